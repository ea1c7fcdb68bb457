"""Spike-timing-dependent rules: pair, triplet and simplified STDP."""

from __future__ import annotations

import numpy as np

from .._validation import Options, none
from ._base import (
    _NO_DECAY_MS,
    _NON_NEGATIVE,
    _POSITIVE,
    Activity,
    Rule,
    TraceSpec,
    _as,
    _float_dtype,
    _outer,
)


class PairSTDP(Rule):
    """Pair-based spike-timing-dependent plasticity.

    Parameters
    ----------
    a_plus : float, default=0.01
        Potentiation amplitude (pre before post), >= 0.
    a_minus : float, default=0.0105
        Depression amplitude (post before pre), >= 0.
    tau_pre : float, default=20.0
        Time constant of the presynaptic trace in ms (potentiation window).
    tau_post : float, default=20.0
        Time constant of the postsynaptic trace in ms (depression window).
    weight_dependence : {"additive", "multiplicative"}, default="additive"
        ``"additive"``: the change does not depend on the weight (Song et al.
        2000). ``"multiplicative"``: soft bounds, potentiation scales with
        ``w_max - w`` and depression with ``w - w_min`` (van Rossum et al.
        2000), the bounds being those of the layer that runs the rule
        (:attr:`Rule.bounds`).
    pairing : {"all", "nearest"}, default="all"
        ``"all"``: every earlier spike pairs (traces of mode ``"add"``);
        ``"nearest"``: only the latest spike on the other side pairs (traces of
        mode ``"reset"``; the symmetric nearest-spike scheme of Morrison et al.
        2008).

    Notes
    -----
    With presynaptic trace :math:`x` and postsynaptic trace :math:`y`, summed
    over samples :math:`s`,

    .. math::

        \\mathrm{LTP}_{lkf} = \\sum_s x_{slk}\\, S^{post}_{slf}, \\qquad
        \\mathrm{LTD}_{lkf} = \\sum_s S^{pre}_{slk}\\, y_{slf}

    .. math::

        \\Delta w = A_+ \\mathrm{LTP} - A_- \\mathrm{LTD} \\quad\\text{(additive)}

    .. math::

        \\Delta w = A_+ (w_{max} - w) \\mathrm{LTP}
                  - A_- (w - w_{min}) \\mathrm{LTD} \\quad\\text{(multiplicative)}

    For an isolated pair with :math:`\\Delta t = t_{post} - t_{pre}` this is
    :math:`A_+ e^{-\\Delta t/\\tau_{pre}}` for :math:`\\Delta t > 0` and
    :math:`-A_- e^{\\Delta t/\\tau_{post}}` for :math:`\\Delta t < 0`.

    References
    ----------
    Song, S., Miller, K. D. & Abbott, L. F. (2000). Competitive Hebbian
    learning through spike-timing-dependent synaptic plasticity. Nature
    Neuroscience 3, 919-926.

    van Rossum, M. C. W., Bi, G. Q. & Turrigiano, G. G. (2000). Stable Hebbian
    learning from spike timing-dependent plasticity. J. Neurosci. 20,
    8812-8821.

    Gütig, R., Aharonov, R., Rotter, S. & Sompolinsky, H. (2003). Learning
    input correlations through nonlinear temporally asymmetric Hebbian
    plasticity. J. Neurosci. 23, 3697-3714.

    Morrison, A., Diesmann, M. & Gerstner, W. (2008). Phenomenological models
    of synaptic plasticity based on spike timing. Biol. Cybern. 98, 459-478.

    Examples
    --------
    >>> import numpy as np
    >>> from stdp_lab.plasticity import Activity, PairSTDP
    >>> rule = PairSTDP()
    >>> trace = np.full((1, 1, 1), np.exp(-5 / 20))   # pre spike 5 ms ago
    >>> pre = Activity(np.zeros((1, 1, 1)), (trace,))
    >>> post = Activity(np.ones((1, 1, 1)), (np.zeros((1, 1, 1)),))
    >>> dw = rule.delta(pre, post, np.full((1, 1, 1), 0.5))
    >>> bool(np.isclose(dw[0, 0, 0], 0.01 * np.exp(-5 / 20)))
    True
    """

    _parameter_constraints = {
        "a_plus": _NON_NEGATIVE,
        "a_minus": _NON_NEGATIVE,
        "tau_pre": _POSITIVE,
        "tau_post": _POSITIVE,
        "weight_dependence": Options("additive", "multiplicative"),
        "pairing": Options("all", "nearest"),
    }

    def __init__(
        self,
        a_plus=0.01,
        a_minus=0.0105,
        tau_pre=20.0,
        tau_post=20.0,
        weight_dependence="additive",
        pairing="all",
    ):
        self.a_plus = a_plus
        self.a_minus = a_minus
        self.tau_pre = tau_pre
        self.tau_post = tau_post
        self.weight_dependence = weight_dependence
        self.pairing = pairing

    def _mode(self) -> str:
        return "add" if self.pairing == "all" else "reset"

    def pre_traces(self) -> tuple[TraceSpec, ...]:
        self._check()
        return (TraceSpec(float(self.tau_pre), self._mode()),)

    def post_traces(self) -> tuple[TraceSpec, ...]:
        self._check()
        return (TraceSpec(float(self.tau_post), self._mode()),)

    def delta(self, pre: Activity, post: Activity, weights, state=None):
        self._check()
        dtype = _float_dtype(pre.trace, post.trace, weights)
        ltp = _outer(_as(pre.trace, dtype), _as(post.spikes, dtype))  # (L,K,F)
        ltd = _outer(_as(pre.spikes, dtype), _as(post.trace, dtype))  # (L,K,F)
        return self._combine(ltp, ltd, weights)

    def pair_terms(self):
        # LTP: pre trace at post spikes; LTD: post trace at pre spikes.
        return ((0, "spikes"), ("spikes", 0))

    def delta_from_sums(self, sums, n_post, weights):
        self._check()
        return self._combine(sums[0], sums[1], weights)

    def _combine(self, ltp, ltd, weights):
        if self.weight_dependence == "additive":
            return self.a_plus * ltp - self.a_minus * ltd
        w = _as(weights, ltp.dtype)  # broadcastable to (L,K,F)
        w_min, w_max = self.bounds
        return self.a_plus * (w_max - w) * ltp - self.a_minus * (w - w_min) * ltd


class TripletSTDP(Rule):
    """Triplet spike-timing-dependent plasticity, all-to-all interactions.

    The defaults are the *minimal* all-to-all model fitted to the visual-cortex
    pairing data of Sjöström et al. (2001): Pfister & Gerstner (2006), Table 3
    ("All-to-All", "Min."): ``a2_plus = 0``, ``a3_plus = 6.5e-3``,
    ``a2_minus = 7.1e-3``, ``a3_minus = 0``, ``tau_y = 114`` ms, with
    ``tau_plus = 16.8`` and ``tau_minus = 33.7`` ms fixed from Bi & Poo. The
    minimal model does not use ``tau_x`` (``a3_minus = 0``); its default, 101
    ms, is the full model's value. The full all-to-all model of the same table
    is ``a2_plus=5e-10, a3_plus=6.2e-3, a2_minus=7e-3, a3_minus=2.3e-4,
    tau_x=101, tau_y=125``.

    Parameters
    ----------
    a2_plus, a3_plus : float
        Pair and triplet (pre-post-post) potentiation amplitudes, >= 0.
    a2_minus, a3_minus : float
        Pair and triplet (post-pre-pre) depression amplitudes, >= 0.
    tau_plus : float, default=16.8
        Time constant in ms of the fast presynaptic trace ``r1``.
    tau_minus : float, default=33.7
        Time constant in ms of the fast postsynaptic trace ``o1``.
    tau_x : float, default=101.0
        Time constant in ms of the slow presynaptic trace ``r2``.
    tau_y : float, default=114.0
        Time constant in ms of the slow postsynaptic trace ``o2``.

    Notes
    -----
    Presynaptic traces :math:`r_1` (:math:`\\tau_+`), :math:`r_2`
    (:math:`\\tau_x`) and postsynaptic traces :math:`o_1` (:math:`\\tau_-`),
    :math:`o_2` (:math:`\\tau_y`) all jump by 1 at a spike. At a postsynaptic
    spike at time :math:`t`, and at a presynaptic spike,

    .. math::

        \\Delta w = r_1(t)\\,[A_2^+ + A_3^+\\, o_2(t - \\epsilon)], \\qquad
        \\Delta w = -o_1(t)\\,[A_2^- + A_3^-\\, r_2(t - \\epsilon)].

    With the module's timing convention the traces passed to ``delta`` are the
    :math:`t - \\epsilon` values, so the same step's spikes never count.

    References
    ----------
    Pfister, J.-P. & Gerstner, W. (2006). Triplets of spikes in a model of
    spike timing-dependent plasticity. J. Neurosci. 26, 9673-9682 (eqs. 3-4,
    Table 3).

    Sjöström, P. J., Turrigiano, G. G. & Nelson, S. B. (2001). Rate, timing,
    and cooperativity jointly determine cortical synaptic plasticity. Neuron
    32, 1149-1164.
    """

    _parameter_constraints = {
        "a2_plus": _NON_NEGATIVE,
        "a3_plus": _NON_NEGATIVE,
        "a2_minus": _NON_NEGATIVE,
        "a3_minus": _NON_NEGATIVE,
        "tau_plus": _POSITIVE,
        "tau_minus": _POSITIVE,
        "tau_x": _POSITIVE,
        "tau_y": _POSITIVE,
    }

    def __init__(
        self,
        a2_plus=0.0,
        a3_plus=6.5e-3,
        a2_minus=7.1e-3,
        a3_minus=0.0,
        tau_plus=16.8,
        tau_minus=33.7,
        tau_x=101.0,
        tau_y=114.0,
    ):
        self.a2_plus = a2_plus
        self.a3_plus = a3_plus
        self.a2_minus = a2_minus
        self.a3_minus = a3_minus
        self.tau_plus = tau_plus
        self.tau_minus = tau_minus
        self.tau_x = tau_x
        self.tau_y = tau_y

    def pre_traces(self) -> tuple[TraceSpec, ...]:
        self._check()
        return (
            TraceSpec(float(self.tau_plus), "add"),  # r1
            TraceSpec(float(self.tau_x), "add"),  # r2
        )

    def post_traces(self) -> tuple[TraceSpec, ...]:
        self._check()
        return (
            TraceSpec(float(self.tau_minus), "add"),  # o1
            TraceSpec(float(self.tau_y), "add"),  # o2
        )

    def delta(self, pre: Activity, post: Activity, weights, state=None):
        self._check()
        r1, r2 = pre.traces[0], pre.traces[1]
        o1, o2 = post.traces[0], post.traces[1]
        dtype = _float_dtype(r1, r2, o1, o2, weights)
        r1, r2 = _as(r1, dtype), _as(r2, dtype)
        o1, o2 = _as(o1, dtype), _as(o2, dtype)
        # postsynaptic spikes weighted by their triplet factor: (B, L, F)
        post_gain = _as(post.spikes, dtype) * (self.a2_plus + self.a3_plus * o2)
        # presynaptic spikes weighted by their triplet factor: (B, L, K)
        pre_gain = _as(pre.spikes, dtype) * (self.a2_minus + self.a3_minus * r2)
        ltp = _outer(r1, post_gain)  # (L,K,F)
        ltd = _outer(pre_gain, o1)  # (L,K,F)
        return ltp - ltd


class SimplifiedSTDP(Rule):
    """Order-only STDP of Masquelier & Thorpe (2007) and Kheradpisheh et al. (2018).

    When a postsynaptic neuron fires, each of its synapses is potentiated if its
    presynaptic neuron fired earlier in the presentation (or within ``window``
    ms) and depressed otherwise, by an amount that vanishes at the weight
    bounds (the layer's, :attr:`Rule.bounds`: 0 and 1 in the papers). The
    precise time difference does not matter, only the order.

    Parameters
    ----------
    a_plus : float, default=0.004
        Potentiation rate, >= 0.
    a_minus : float, default=0.003
        Depression rate, >= 0.
    window : float or None, default=None
        How far back, in ms, a presynaptic spike still counts as "before".
        None means the whole presentation: the presynaptic trace then does not
        decay, so the simulator must start each presentation with zero traces
        (as it does with a new state).

    Notes
    -----
    With :math:`S^{post}` the postsynaptic spikes and :math:`f_{lk}` = 1 if
    presynaptic input :math:`k` fired at :math:`t_{pre} \\le t_{post}`,

    .. math::

        \\Delta w = \\sum_s S^{post}_{slf}\\,
            [A_+ f_{slk} - A_- (1 - f_{slk})]\\;
            \\frac{(w - w_{min})(w_{max} - w)}{w_{max} - w_{min}},

    which is the papers' :math:`w (1 - w)` for bounds 0 and 1, and the same
    rule for the weight rescaled to [0, 1] for other bounds.

    "Fired earlier" is read from a presynaptic trace of mode ``"reset"``: with
    ``window`` None the trace never decays and ``f = trace > 0``; otherwise its
    time constant is ``window`` and ``f = trace >= exp(-1)``, i.e. the last
    presynaptic spike is at most ``window`` ms old. A presynaptic spike in the
    same step as the postsynaptic spike also counts as "before" (Kheradpisheh
    et al. use :math:`t_{pre} \\le t_{post}`): within one step it is the input
    that made the neuron fire.

    References
    ----------
    Masquelier, T. & Thorpe, S. J. (2007). Unsupervised learning of visual
    features through spike timing dependent plasticity. PLoS Comput. Biol. 3,
    e31.

    Kheradpisheh, S. R., Ganjtabesh, M., Thorpe, S. J. & Masquelier, T.
    (2018). STDP-based spiking deep convolutional neural networks for object
    recognition. Neural Networks 99, 56-67.
    """

    _parameter_constraints = {
        "a_plus": _NON_NEGATIVE,
        "a_minus": _NON_NEGATIVE,
        "window": [none, _POSITIVE],
    }

    def __init__(self, a_plus=0.004, a_minus=0.003, window=None):
        self.a_plus = a_plus
        self.a_minus = a_minus
        self.window = window

    def pre_traces(self) -> tuple[TraceSpec, ...]:
        self._check()
        tau = _NO_DECAY_MS if self.window is None else float(self.window)
        return (TraceSpec(tau, "reset"),)

    def post_traces(self) -> tuple[TraceSpec, ...]:
        self._check()
        return ()

    def delta(self, pre: Activity, post: Activity, weights, state=None):
        self._check()
        dtype = _float_dtype(pre.trace, weights)
        trace = np.asarray(pre.trace)
        if self.window is None:
            earlier = trace > 0
        else:
            # a trace of tau = window is >= exp(-1) iff the spike is <= window
            # ms old; the margin absorbs rounding of repeated float32 decays
            earlier = trace >= np.exp(-1.0) * (1.0 - 1e-4)
        fired = _as(earlier | (np.asarray(pre.spikes) != 0), dtype)  # (B,L,K)
        post_spikes = _as(post.spikes, dtype)  # (B,L,F)
        n_ltp = _outer(fired, post_spikes)  # (L,K,F)
        n_post = post_spikes.sum(axis=0)[:, None, :]  # (B,L,F) -> (L,1,F)
        w = _as(weights, dtype)  # broadcastable to (L,K,F)
        w_min, w_max = self.bounds
        soft = (w - w_min) * (w_max - w) / dtype.type(w_max - w_min)
        return (self.a_plus * n_ltp - self.a_minus * (n_post - n_ltp)) * soft


class DiehlCookSTDP(Rule):
    """Post-triggered STDP with a presynaptic target (Diehl & Cook 2015).

    At each post-synaptic spike every incoming weight moves by the distance of
    its presynaptic trace from a target value: inputs active just before the
    spike are potentiated, inputs that were silent are depressed. Without a
    separate depression term, this keeps a neuron's weights a running prototype
    of the inputs that make it fire.

    Parameters
    ----------
    learning_rate : float, default=4e-4
        Step size :math:`\\eta` per post-synaptic spike, >= 0.
    x_tar : float, default=1.0
        Target value of the presynaptic trace at a post spike, >= 0: the larger,
        the more inputs are depressed.
    tau_pre : float, default=5.0
        Time constant of the presynaptic trace in ms (all-to-all: +1 per spike).
    mu : float, default=0.0
        Exponent of the soft weight dependence :math:`(w_{max} - w)^{\\mu}`
        (0: none), with the upper bound of the layer that runs the rule
        (:attr:`Rule.bounds`).

    Notes
    -----
    With presynaptic trace :math:`x` and post-synaptic spikes :math:`S`,
    summed over samples :math:`s`,

    .. math::

        \\Delta w_{lkf} = \\eta \\Big(\\sum_s x_{slk} S_{slf}
            - x_{tar} \\sum_s S_{slf}\\Big) (w_{max} - w_{lkf})^{\\mu}.

    The defaults (5 ms trace, target 1, rate 4e-4) were chosen on the digits
    with the estimator's default network, by how far the learned features beat
    frozen random weights of the same architecture; the paper's own constants
    differ. With shared filters (a convolution) lower the rate (see
    :class:`~stdp_lab.SpikingFeatureLearner`).

    References
    ----------
    Diehl, P. U. & Cook, M. (2015). Unsupervised learning of digit recognition
    using spike-timing-dependent plasticity. Front. Comput. Neurosci. 9:99
    (eq. 2 and Methods, "Learning").
    """

    _parameter_constraints = {
        "learning_rate": _NON_NEGATIVE,
        "x_tar": _NON_NEGATIVE,
        "tau_pre": _POSITIVE,
        "mu": _NON_NEGATIVE,
    }

    def __init__(self, learning_rate=4e-4, x_tar=1.0, tau_pre=5.0, mu=0.0):
        self.learning_rate = learning_rate
        self.x_tar = x_tar
        self.tau_pre = tau_pre
        self.mu = mu

    def pre_traces(self) -> tuple[TraceSpec, ...]:
        self._check()
        return (TraceSpec(float(self.tau_pre), "add"),)

    def post_traces(self) -> tuple[TraceSpec, ...]:
        self._check()
        return ()

    def delta(self, pre: Activity, post: Activity, weights, state=None):
        self._check()
        dtype = _float_dtype(pre.trace, weights)
        post_spikes = _as(post.spikes, dtype)  # (B,L,F)
        towards = _outer(_as(pre.trace, dtype), post_spikes)  # (L,K,F)
        return self._combine(towards, post_spikes.sum(axis=0), weights)

    def pair_terms(self):
        return ((0, "spikes"),)  # the pre trace at each post spike

    def delta_from_sums(self, sums, n_post, weights):
        self._check()
        return self._combine(sums[0], n_post, weights)

    def _combine(self, towards, n_post, weights):
        dtype = towards.dtype
        n_post = np.asarray(n_post, dtype)[:, None, :]  # (L,F) -> (L,1,F)
        dw = self.learning_rate * (towards - self.x_tar * n_post)  # (L,K,F)
        if self.mu:
            w = _as(weights, dtype)  # broadcastable to (L,K,F)
            dw = dw * np.maximum(self.bounds[1] - w, 0.0) ** self.mu
        return dw.astype(dtype, copy=False)
