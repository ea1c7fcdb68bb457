"""Local plasticity rules: pair and triplet STDP, Hebb, Oja and BCM.

A rule sees the activity on the two sides of every synapse in one canonical
layout and returns the weight change; it never writes weights and never knows
which connectivity it sits in::

    pre.spikes, pre.traces[i]     (n_samples, n_locations, patch_size)   # (B, L, K)
    post.spikes, post.traces[i]   (n_samples, n_locations, n_filters)    # (B, L, F)
    weights                       broadcastable to (L, K, F)
    dw = rule.delta(pre, post, weights)                                  # (L, K, F)

A rule declares the traces it reads with :meth:`Rule.pre_traces` and
:meth:`Rule.post_traces` (a tuple of :class:`TraceSpec`); the simulator keeps
them and passes them in the same order in :attr:`Activity.traces`.

Timing convention
-----------------
At every step of ``dt`` ms the simulator

1. decays every trace exactly, ``x *= exp(-dt / tau)``;
2. calls ``delta`` with this step's spikes and the traces as they are *before*
   this step's spikes are added;
3. adds this step's spikes to the traces: ``x += spike`` for mode ``"add"``
   (every earlier spike counts: all-to-all pairing), ``x = 1`` where a spike
   occurred for mode ``"reset"`` (only the latest spike counts: nearest-spike
   pairing).

So the traces passed to ``delta`` are the paper's values at ``t - epsilon``:
a presynaptic spike 5 ms before a postsynaptic spike gives
``a_plus * exp(-5 / tau_pre)`` at the postsynaptic spike, the reverse order
gives ``-a_minus * exp(-5 / tau_post)``, and spikes in the same step do not
pair with each other.

Batches
-------
The updates of the samples of a batch are **summed** (the ``s`` axis of every
einsum is contracted). To first order in the learning rate this is what
presenting the B samples one after the other would give, so a learning rate
means the same thing at every batch size; a mean would divide the learning
rate by the batch size. Terms that do not depend on activity (the weight decay
of :class:`Hebbian`) are counted once per sample for the same reason.

dtype
-----
``dw`` has the floating dtype of the traces and weights (float32 stays
float32); boolean spikes are accepted.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from sklearn.base import BaseEstimator

from ._validation import check_choice, check_scalar

__all__ = [
    "TraceSpec",
    "Activity",
    "Rule",
    "PairSTDP",
    "TripletSTDP",
    "SimplifiedSTDP",
    "Hebbian",
    "Oja",
    "BCM",
    "RULES",
    "make_rule",
]

# A time constant long enough that a trace never decays within any realistic
# presentation (exp(-dt / 1e12) is 1 in float32 and within 1e-12 of it in
# float64); kept finite so that the simulator's checks on tau still apply.
_NO_DECAY_MS = 1e12


class TraceSpec(NamedTuple):
    """A trace a rule reads, kept by the simulator.

    Attributes
    ----------
    tau : float
        Time constant in ms; the trace decays exactly, ``x *= exp(-dt / tau)``
        per step.
    mode : {"add", "reset"}
        ``"add"``: ``x += spike`` (all-to-all pairing); ``"reset"``: ``x = 1``
        at a spike (nearest-spike pairing).
    """

    tau: float
    mode: str


class Activity(NamedTuple):
    """Spikes of one side of the synapses at this step, with their traces.

    Attributes
    ----------
    spikes : ndarray of shape (n_samples, n_locations, n_units)
        Spikes of this step (bool or float); ``n_units`` is ``patch_size`` for
        the presynaptic side and ``n_filters`` for the postsynaptic side.
    traces : tuple of ndarray of shape (n_samples, n_locations, n_units)
        One array per :class:`TraceSpec` the rule asked for, in that order,
        as they are before this step's spikes are added.
    dt : float, default=1.0
        The simulation step in ms (used by rules with a running state, BCM).
    """

    spikes: np.ndarray
    traces: tuple
    dt: float = 1.0

    @property
    def trace(self) -> np.ndarray:
        """The first trace, ``traces[0]``."""
        return self.traces[0]


def _float_dtype(*arrays) -> np.dtype:
    """Floating result dtype of ``arrays`` (float64 if none is floating)."""
    dtype = np.result_type(*arrays)
    if not np.issubdtype(dtype, np.floating):
        dtype = np.dtype(np.float64)
    return dtype


def _as(array, dtype) -> np.ndarray:
    """``array`` as ``dtype`` without a copy when it already is."""
    return np.asarray(array).astype(dtype, copy=False)


def _outer(pre, post) -> np.ndarray:
    """Sum over samples of the outer product of pre and post activity.

    This is ``einsum("slk,slf->lkf", pre, post)``, written as a batched matmul
    over locations because einsum does not use BLAS here (about 5-10x slower at
    B=64, L=576, K=25, F=16).
    """
    # Samples with no post-synaptic activity add nothing: post spikes are rare, so
    # dropping them first makes the spike-triggered terms much cheaper.
    active = post.any(axis=(1, 2))  # (B,)
    if not active.all():
        pre, post = pre[active], post[active]
    # (B,L,K) -> (L,K,B) and (B,L,F) -> (L,B,F); (L,K,B) @ (L,B,F) -> (L,K,F)
    return np.matmul(pre.transpose(1, 2, 0), post.transpose(1, 0, 2))


class Rule(BaseEstimator):
    """Base class of the plasticity rules.

    Subclasses store their hyperparameters unchanged in ``__init__`` (no
    arrays, no callables), check them in ``_check`` and implement
    :meth:`pre_traces`, :meth:`post_traces` and :meth:`delta`. A rule with a
    running quantity (BCM's threshold) also overrides :meth:`initial_state`;
    its ``delta`` then returns ``(dw, new_state)``.
    """

    def _check(self) -> None:
        """Raise ValueError/TypeError naming a bad hyperparameter.

        Subclasses put their checks in ``_validate``; ``_check`` runs them only
        when a hyperparameter changed since the last successful check, since
        ``delta`` calls it at every step.
        """
        values = tuple(v for k, v in vars(self).items() if k != "_checked_values")
        if vars(self).get("_checked_values") == values:
            return
        self._validate()
        self._checked_values = values

    def _validate(self) -> None:
        """Check every hyperparameter; raise naming the first bad one."""

    def pre_traces(self) -> tuple[TraceSpec, ...]:
        """Presynaptic traces the rule reads, in the order of ``pre.traces``."""
        raise NotImplementedError

    def post_traces(self) -> tuple[TraceSpec, ...]:
        """Postsynaptic traces the rule reads, in the order of ``post.traces``."""
        raise NotImplementedError

    def initial_state(self, shape, dtype=np.float64):
        """Running state of shape ``(n_locations, n_filters)``; None if stateless."""
        return None

    def delta(self, pre: Activity, post: Activity, weights, state=None):
        """Weight change for this step, summed over the batch.

        Parameters
        ----------
        pre : Activity
            Presynaptic spikes and traces, each of shape (n_samples,
            n_locations, patch_size).
        post : Activity
            Postsynaptic spikes and traces, each of shape (n_samples,
            n_locations, n_filters).
        weights : ndarray broadcastable to (n_locations, patch_size, n_filters)
            Current weights (read only).
        state : ndarray of shape (n_locations, n_filters), optional
            Running state for rules whose :meth:`initial_state` is not None.

        Returns
        -------
        dw : ndarray of shape (n_locations, patch_size, n_filters)
            Or ``(dw, new_state)`` for rules with a state.
        """
        raise NotImplementedError


def _check_positive(rule, *names) -> None:
    for name in names:
        check_scalar(getattr(rule, name), name, low=0.0, low_inclusive=False)


def _check_nonnegative(rule, *names) -> None:
    for name in names:
        check_scalar(getattr(rule, name), name, low=0.0)


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
        2000).
    pairing : {"all", "nearest"}, default="all"
        ``"all"``: every earlier spike pairs (traces of mode ``"add"``);
        ``"nearest"``: only the latest spike on the other side pairs (traces of
        mode ``"reset"``; the symmetric nearest-spike scheme of Morrison et al.
        2008).
    w_min, w_max : float, default=0.0, 1.0
        Soft bounds of the multiplicative rule (unused when additive); the
        layer applies hard bounds itself.

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

    def __init__(
        self,
        a_plus=0.01,
        a_minus=0.0105,
        tau_pre=20.0,
        tau_post=20.0,
        weight_dependence="additive",
        pairing="all",
        w_min=0.0,
        w_max=1.0,
    ):
        self.a_plus = a_plus
        self.a_minus = a_minus
        self.tau_pre = tau_pre
        self.tau_post = tau_post
        self.weight_dependence = weight_dependence
        self.pairing = pairing
        self.w_min = w_min
        self.w_max = w_max

    def _validate(self) -> None:
        _check_nonnegative(self, "a_plus", "a_minus")
        _check_positive(self, "tau_pre", "tau_post")
        check_choice(
            self.weight_dependence,
            "weight_dependence",
            ("additive", "multiplicative"),
        )
        check_choice(self.pairing, "pairing", ("all", "nearest"))
        check_scalar(self.w_min, "w_min")
        check_scalar(self.w_max, "w_max")
        if self.w_max <= self.w_min:
            raise ValueError(
                f"w_max must be > w_min, got w_min={self.w_min!r}, w_max={self.w_max!r}"
            )

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
        if self.weight_dependence == "additive":
            return self.a_plus * ltp - self.a_minus * ltd
        w = _as(weights, dtype)  # broadcastable to (L,K,F)
        return (
            self.a_plus * (self.w_max - w) * ltp - self.a_minus * (w - self.w_min) * ltd
        )


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

    def _validate(self) -> None:
        _check_nonnegative(self, "a2_plus", "a3_plus", "a2_minus", "a3_minus")
        _check_positive(self, "tau_plus", "tau_minus", "tau_x", "tau_y")

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
    bounds 0 and 1. The precise time difference does not matter, only the
    order. Weights are assumed to lie in [0, 1].

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
            [A_+ f_{slk} - A_- (1 - f_{slk})]\\; w (1 - w).

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

    def __init__(self, a_plus=0.004, a_minus=0.003, window=None):
        self.a_plus = a_plus
        self.a_minus = a_minus
        self.window = window

    def _validate(self) -> None:
        _check_nonnegative(self, "a_plus", "a_minus")
        if self.window is not None:
            _check_positive(self, "window")

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
        soft = w * (1.0 - w)
        return (self.a_plus * n_ltp - self.a_minus * (n_post - n_ltp)) * soft


class _RateRule(Rule):
    """A rule that reads pre- and post-synaptic rates: traces of ``tau`` ms with
    all-to-all accumulation, a low-pass estimate of each neuron's rate."""

    def pre_traces(self) -> tuple[TraceSpec, ...]:
        self._check()
        return (TraceSpec(float(self.tau), "add"),)

    def post_traces(self) -> tuple[TraceSpec, ...]:
        self._check()
        return (TraceSpec(float(self.tau), "add"),)


class Hebbian(_RateRule):
    """Plain Hebbian rule on rate estimates, with weight decay.

    Parameters
    ----------
    learning_rate : float, default=1e-4
        Rate of the Hebbian term, >= 0.
    decay : float, default=1e-6
        Weight decay per sample and step, >= 0.
    tau : float, default=20.0
        Time constant in ms of the pre- and postsynaptic traces (mode
        ``"add"``) used as rate estimates.

    Notes
    -----
    With :math:`x` and :math:`y` the pre- and postsynaptic traces and
    :math:`B` the number of samples,

    .. math::

        \\Delta w_{lkf} = \\eta \\sum_s x_{slk}\\, y_{slf} - B\\, \\lambda\\, w_{lkf}.

    The decay is counted once per sample, as the Hebbian term is, so that a
    batch of B samples changes the weights as B single-sample steps would.

    References
    ----------
    Hebb, D. O. (1949). The Organization of Behavior. Wiley.

    Gerstner, W. & Kistler, W. M. (2002). Spiking Neuron Models, ch. 10.
    Cambridge University Press.
    """

    def __init__(self, learning_rate=1e-4, decay=1e-6, tau=20.0):
        self.learning_rate = learning_rate
        self.decay = decay
        self.tau = tau

    def _validate(self) -> None:
        _check_nonnegative(self, "learning_rate", "decay")
        _check_positive(self, "tau")

    def delta(self, pre: Activity, post: Activity, weights, state=None):
        self._check()
        dtype = _float_dtype(pre.trace, post.trace, weights)
        x, y = _as(pre.trace, dtype), _as(post.trace, dtype)
        n_samples = x.shape[0]
        w = _as(weights, dtype)  # broadcastable to (L,K,F)
        hebb = _outer(x, y)  # (L,K,F)
        return self.learning_rate * hebb - (n_samples * self.decay) * w


class Oja(_RateRule):
    """Oja's normalised Hebbian rule; a linear neuron learns the first PC.

    Parameters
    ----------
    learning_rate : float, default=1e-3
        Learning rate, >= 0.
    tau : float, default=20.0
        Time constant in ms of the pre- and postsynaptic traces (mode
        ``"add"``) used as the activities :math:`x` and :math:`y`.

    Notes
    -----
    .. math::

        \\Delta w_{lkf} = \\eta \\sum_s y_{slf} (x_{slk} - y_{slf} w_{lkf})

    For a linear neuron :math:`y = w^T x` on zero-mean data the weight vector
    converges to the unit-norm principal eigenvector of the input covariance.

    References
    ----------
    Oja, E. (1982). A simplified neuron model as a principal component
    analyzer. J. Math. Biol. 15, 267-273.
    """

    def __init__(self, learning_rate=1e-3, tau=20.0):
        self.learning_rate = learning_rate
        self.tau = tau

    def _validate(self) -> None:
        _check_nonnegative(self, "learning_rate")
        _check_positive(self, "tau")

    def delta(self, pre: Activity, post: Activity, weights, state=None):
        self._check()
        dtype = _float_dtype(pre.trace, post.trace, weights)
        x, y = _as(pre.trace, dtype), _as(post.trace, dtype)
        w = _as(weights, dtype)  # broadcastable to (L,K,F)
        hebb = _outer(x, y)  # (L,K,F)
        y2 = np.einsum("slf,slf->lf", y, y)  # (B,L,F),(B,L,F) -> (L,F)
        return self.learning_rate * (hebb - y2[:, None, :] * w)  # (L,1,F)*(.,K,F)


class BCM(_RateRule):
    """Bienenstock-Cooper-Munro rule with a sliding threshold.

    Parameters
    ----------
    learning_rate : float, default=1e-4
        Learning rate, >= 0.
    tau : float, default=20.0
        Time constant in ms of the pre- and postsynaptic traces (mode
        ``"add"``) used as rates :math:`x` and :math:`y`.
    tau_theta : float, default=1000.0
        Time constant in ms of the threshold's running average of
        :math:`y^2`.
    theta_init : float, default=0.0
        Initial threshold of every postsynaptic neuron, >= 0.

    Notes
    -----
    The threshold :math:`\\theta` (one per location and filter, state of shape
    ``(n_locations, n_filters)``) follows
    :math:`\\tau_\\theta\\, d\\theta/dt = \\langle y^2 \\rangle - \\theta`,
    integrated exactly over a step of ``dt`` ms (taken from ``post.dt``) with
    the batch mean of :math:`y^2` held constant:

    .. math::

        \\theta \\leftarrow \\theta + (1 - e^{-dt/\\tau_\\theta})
            (\\langle y^2 \\rangle_s - \\theta).

    The weight change uses the threshold before this update:

    .. math::

        \\Delta w_{lkf} = \\eta \\sum_s x_{slk}\\, y_{slf} (y_{slf} - \\theta_{lf}).

    References
    ----------
    Bienenstock, E. L., Cooper, L. N. & Munro, P. W. (1982). Theory for the
    development of neuron selectivity. J. Neurosci. 2, 32-48.

    Intrator, N. & Cooper, L. N. (1992). Objective function formulation of the
    BCM theory of visual cortical plasticity. Neural Networks 5, 3-17.
    """

    def __init__(self, learning_rate=1e-4, tau=20.0, tau_theta=1000.0, theta_init=0.0):
        self.learning_rate = learning_rate
        self.tau = tau
        self.tau_theta = tau_theta
        self.theta_init = theta_init

    def _validate(self) -> None:
        _check_nonnegative(self, "learning_rate", "theta_init")
        _check_positive(self, "tau", "tau_theta")

    def initial_state(self, shape, dtype=np.float64) -> np.ndarray:
        """Threshold of shape ``(n_locations, n_filters)``, filled with theta_init."""
        self._check()
        return np.full(shape, self.theta_init, dtype=dtype)

    def delta(self, pre: Activity, post: Activity, weights, state=None):
        self._check()
        dt = check_scalar(post.dt, "dt", low=0.0, low_inclusive=False)
        dtype = _float_dtype(pre.trace, post.trace, weights)
        x, y = _as(pre.trace, dtype), _as(post.trace, dtype)
        if state is None:
            state = self.initial_state(y.shape[1:], dtype)
        theta = _as(state, dtype)  # (L,F)
        phi = y * (y - theta)  # (B,L,F) - (L,F) -> (B,L,F)
        dw = self.learning_rate * _outer(x, phi)  # (L,K,F)
        alpha = -np.expm1(-dt / self.tau_theta)
        mean_y2 = np.mean(y * y, axis=0)  # (B,L,F) -> (L,F)
        new_theta = (theta + alpha * (mean_y2 - theta)).astype(dtype, copy=False)
        return dw, new_theta


# name -> (class, keyword arguments) of the default instance
_RULE_FACTORIES = {
    "stdp": (PairSTDP, {}),
    "stdp_multiplicative": (PairSTDP, {"weight_dependence": "multiplicative"}),
    "triplet": (TripletSTDP, {}),
    "simplified_stdp": (SimplifiedSTDP, {}),
    "hebbian": (Hebbian, {}),
    "oja": (Oja, {}),
    "bcm": (BCM, {}),
}

#: Names accepted by :func:`make_rule`, each giving a default instance.
RULES: tuple[str, ...] = tuple(_RULE_FACTORIES)


def make_rule(rule) -> Rule:
    """Return a plasticity rule from a name or an instance.

    Parameters
    ----------
    rule : str or Rule
        One of :data:`RULES` (a new default instance is built) or a
        :class:`Rule` instance (returned unchanged).

    Returns
    -------
    rule : Rule

    Raises
    ------
    ValueError
        If ``rule`` is an unknown name; the message lists the known names.
    TypeError
        If ``rule`` is neither a string nor a Rule.

    Examples
    --------
    >>> from stdp_lab.plasticity import make_rule
    >>> make_rule("stdp_multiplicative").weight_dependence
    'multiplicative'
    """
    if isinstance(rule, Rule):
        return rule
    if isinstance(rule, str):
        if rule not in _RULE_FACTORIES:
            known = ", ".join(repr(name) for name in RULES)
            raise ValueError(f"rule must be one of {known}; got {rule!r}")
        cls, kwargs = _RULE_FACTORIES[rule]
        return cls(**kwargs)
    raise TypeError(
        f"rule must be a rule name (str) or a Rule instance, got {type(rule).__name__}"
    )
