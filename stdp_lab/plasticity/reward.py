"""Reward-modulated rules: MSTDP and MSTDPET (Florian 2007), R-STDP (Mozafari
et al. 2018).

Each reads the reward of every sample at every step, ``post.reward`` of shape
(n_samples,) (:meth:`Rule.reads` returns ``("reward",)``): a third factor that
multiplies (MSTDP), reaches through an eligibility trace (MSTDPET) or selects
(R-STDP) the spike-timing change. The simulator takes the rewards as an input
(``simulate(..., reward=...)``, one value per sample, or one per step and
sample); :class:`~stdp_lab.SpikingFeatureLearner` makes them from labels.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._validation import Interval
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

__all__ = ["MSTDP", "MSTDPET", "RSTDP"]

_REAL = Interval(numbers.Real)


def _reward(rule, post: Activity, dtype) -> np.ndarray:
    """The samples' reward at this step, (n_samples,) in ``dtype``; a clear
    error when the simulator was given none."""
    if post.reward is None:
        raise ValueError(
            f"the rule {type(rule).__name__} is reward-modulated and needs a "
            "reward: pass simulate(..., reward=...) (or y to "
            "SpikingFeatureLearner.fit)"
        )
    reward = np.asarray(post.reward)
    n_samples = np.shape(post.spikes)[0]
    if reward.shape != (n_samples,):
        raise ValueError(
            f"post.reward must have shape ({n_samples},), one value per sample, "
            f"got {reward.shape}"
        )
    return reward.astype(dtype, copy=False)


def _check_dt(dt) -> float:
    if not (isinstance(dt, numbers.Real) and np.isfinite(dt) and dt > 0):
        raise ValueError(f"dt must be a finite number > 0 (ms), got {dt!r}")
    return float(dt)


class MSTDP(Rule):
    """Reward-modulated STDP (MSTDP) of Florian (2007).

    The weight changes at every step by the spike-timing (pair STDP) term of
    the step times the reward of the sample at that step: a pairing counts
    only if it happens while a reward (or punishment) is delivered.

    Parameters
    ----------
    learning_rate : float, default=0.01
        :math:`\\gamma`, >= 0.
    a_plus : float, default=1.0
        Potentiation amplitude of the pair term (pre before post), >= 0.
    a_minus : float, default=0.9
        Depression amplitude of the pair term (post before pre), >= 0. Below
        ``a_plus``: with rate-coded inputs the pairs of a presentation in the
        two orders nearly balance, and with depression ahead (PairSTDP's
        ratio, 1.05) a rewarded neuron lost its weights and a punished one
        gained, so that labels made the decisions worse, not better (see the
        tests of :class:`~stdp_lab.SpikingFeatureLearner`).
    tau_plus : float, default=20.0
        Time constant in ms of the presynaptic trace (potentiation window).
    tau_minus : float, default=20.0
        Time constant in ms of the postsynaptic trace (depression window).

    Notes
    -----
    With presynaptic trace :math:`x`, postsynaptic trace :math:`y` (both
    jump by 1 at a spike: all-to-all pairing), spikes :math:`S` and the
    reward :math:`r_s(t)` of sample :math:`s`,

    .. math::

        \\zeta_{s,lkf}(t) = A_+\\, x_{slk}\\, S^{post}_{slf}
            - A_-\\, S^{pre}_{slk}\\, y_{slf}, \\qquad
        \\Delta w_{lkf}(t) = \\gamma \\sum_s r_s(t)\\, \\zeta_{s,lkf}(t),

    the discrete form of Florian's :math:`dw/dt = \\gamma\\, r(t)\\,
    \\zeta(t)` (:math:`\\zeta` a sum of delta functions at the spikes).
    With :math:`r = 1` at every step it is :class:`PairSTDP` with amplitudes
    :math:`\\gamma A_\\pm`, with :math:`r = -1` its opposite, with :math:`r
    = 0` nothing.

    The reward must coincide with the pairing: a reward that comes later
    changes nothing (the distal reward problem, Izhikevich 2007), which
    :class:`MSTDPET`'s eligibility trace solves.

    References
    ----------
    Florian, R. V. (2007). Reinforcement learning through modulation of
    spike-timing-dependent synaptic plasticity. Neural Computation 19,
    1468-1502 (MSTDP, eqs. 2.7-2.9).

    Examples
    --------
    >>> import numpy as np
    >>> from stdp_lab.plasticity import MSTDP, Activity
    >>> trace = np.full((2, 1, 1), np.exp(-5 / 20))   # pre spike 5 ms ago
    >>> pre = Activity(np.zeros((2, 1, 1)), (trace,))
    >>> post = Activity(np.ones((2, 1, 1)), (np.zeros((2, 1, 1)),),
    ...                 reward=np.array([1.0, 0.0]))   # only sample 0 rewarded
    >>> dw = MSTDP().delta(pre, post, np.full((1, 1, 1), 0.5))
    >>> bool(np.isclose(dw[0, 0, 0], 0.01 * np.exp(-5 / 20)))
    True
    """

    _parameter_constraints = {
        "learning_rate": _NON_NEGATIVE,
        "a_plus": _NON_NEGATIVE,
        "a_minus": _NON_NEGATIVE,
        "tau_plus": _POSITIVE,
        "tau_minus": _POSITIVE,
    }

    def __init__(
        self,
        learning_rate=0.01,
        a_plus=1.0,
        a_minus=0.9,
        tau_plus=20.0,
        tau_minus=20.0,
    ):
        self.learning_rate = learning_rate
        self.a_plus = a_plus
        self.a_minus = a_minus
        self.tau_plus = tau_plus
        self.tau_minus = tau_minus

    def reads(self) -> tuple[str, ...]:
        return ("reward",)

    def pre_traces(self) -> tuple[TraceSpec, ...]:
        self._check()
        return (TraceSpec(float(self.tau_plus), "add"),)

    def post_traces(self) -> tuple[TraceSpec, ...]:
        self._check()
        return (TraceSpec(float(self.tau_minus), "add"),)

    def delta(self, pre: Activity, post: Activity, weights, state=None):
        self._check()
        dtype = _float_dtype(pre.trace, post.trace, weights)
        reward = _reward(self, post, dtype)[:, None, None]  # (B, 1, 1)
        post_spikes = _as(post.spikes, dtype) * reward  # (B,L,F)
        post_trace = _as(post.trace, dtype) * reward  # (B,L,F)
        ltp = _outer(_as(pre.trace, dtype), post_spikes)  # (L,K,F)
        ltd = _outer(_as(pre.spikes, dtype), post_trace)  # (L,K,F)
        return self.learning_rate * (self.a_plus * ltp - self.a_minus * ltd)


class MSTDPET(MSTDP):
    """Reward-modulated STDP with an eligibility trace (MSTDPET) of Florian (2007).

    Every synapse of every sample keeps an eligibility trace :math:`z` of its
    pair STDP term, and the weight follows the reward times that trace: a
    pairing is remembered for about ``tau_z`` ms, so that a reward delivered
    later still credits it (the distal reward problem; Izhikevich 2007 calls
    the trace the synaptic tag).

    Parameters
    ----------
    learning_rate : float, default=0.01
        :math:`\\gamma`, >= 0.
    a_plus, a_minus : float, default=1.0, 0.9
        Amplitudes of the pair term, >= 0 (as :class:`MSTDP`).
    tau_plus, tau_minus : float, default=20.0
        Time constants in ms of the pre- and postsynaptic traces.
    tau_z : float, default=25.0
        Time constant in ms of the eligibility trace.

    Notes
    -----
    With :math:`\\zeta` the pair term of :class:`MSTDP` and :math:`d =
    e^{-\\Delta t/\\tau_z}`, at every step of :math:`\\Delta t` ms, for every
    sample :math:`s` and synapse,

    .. math::

        z_s \\leftarrow d\\, z_s + \\frac{\\zeta_s(t)}{\\tau_z}, \\qquad
        \\Delta w(t) = \\gamma\\, \\Delta t \\sum_s r_s(t)\\, z_s(t),

    the discrete form of :math:`\\tau_z\\, dz/dt = -z + \\zeta(t)`,
    :math:`dw/dt = \\gamma\\, r(t)\\, z(t)` (a delta function in
    :math:`\\zeta` makes :math:`z` jump by :math:`\\zeta/\\tau_z`, which then
    decays exactly). A pairing at step :math:`u` followed by a reward
    :math:`r` at step :math:`t \\ge u` gives :math:`\\gamma \\Delta t\\, r\\,
    \\zeta(u)\\, d^{t-u} / \\tau_z`. Under a reward of 1 at every step from
    the pairing on, the change tends to :math:`\\gamma \\zeta (\\Delta t /
    \\tau_z) / (1 - d)`, MSTDP's to within :math:`\\Delta t / 2\\tau_z`.

    The state is the eligibility, an array broadcastable to (n_samples,
    n_locations, patch_size, n_filters): zero at the start of a presentation,
    one row per sample once the rule has seen the samples. It takes that many
    floats of memory (the compiled engine keeps its two pair terms apart, in
    float64: 46 MB for a batch of 32 on 25 filters of 5 x 5 at 12 x 12
    locations).

    References
    ----------
    Florian, R. V. (2007). Reinforcement learning through modulation of
    spike-timing-dependent synaptic plasticity. Neural Computation 19,
    1468-1502 (MSTDPET, eqs. 2.10-2.11).

    Izhikevich, E. M. (2007). Solving the distal reward problem through
    linkage of STDP and dopamine signaling. Cerebral Cortex 17, 2443-2452.
    """

    _parameter_constraints = {**MSTDP._parameter_constraints, "tau_z": _POSITIVE}

    def __init__(
        self,
        learning_rate=0.01,
        a_plus=1.0,
        a_minus=0.9,
        tau_plus=20.0,
        tau_minus=20.0,
        tau_z=25.0,
    ):
        super().__init__(learning_rate, a_plus, a_minus, tau_plus, tau_minus)
        self.tau_z = tau_z

    def initial_state(self, shape, dtype=np.float64):
        n_locations, n_filters = shape
        return np.zeros((1, n_locations, 1, n_filters), dtype)  # (1, L, 1, F)

    def delta(self, pre: Activity, post: Activity, weights, state=None):
        self._check()
        dt = _check_dt(post.dt)
        dtype = _float_dtype(pre.trace, post.trace, weights)
        reward = _reward(self, post, dtype)  # (B,)
        if state is None:
            state = self.initial_state((pre.spikes.shape[1], post.spikes.shape[2]))
        x, pre_spikes = _as(pre.trace, dtype), _as(pre.spikes, dtype)  # (B,L,K)
        y, post_spikes = _as(post.trace, dtype), _as(post.spikes, dtype)  # (B,L,F)
        # the pair term of every sample and synapse: (B,L,K,1) * (B,L,1,F)
        zeta = self.a_plus * (x[..., None] * post_spikes[:, :, None, :])
        zeta -= self.a_minus * (pre_spikes[..., None] * y[:, :, None, :])
        decay = dtype.type(np.exp(-dt / self.tau_z))
        eligibility = _as(state, dtype) * decay + zeta / dtype.type(self.tau_z)
        dw = np.einsum("s,slkf->lkf", reward, eligibility)  # (L,K,F)
        dw *= dtype.type(self.learning_rate * dt)
        return dw, eligibility


class RSTDP(Rule):
    """Reward-modulated STDP (R-STDP) of Mozafari et al. (2018).

    Order-only STDP as :class:`SimplifiedSTDP` when the decision is rewarded,
    anti-STDP when it is punished: at each postsynaptic spike, under reward
    the inputs that fired earlier in the presentation are potentiated and the
    others depressed; under punishment the inputs that fired earlier are
    depressed and the others potentiated. Each change vanishes at the weight
    bounds (the layer's, :attr:`Rule.bounds`).

    Parameters
    ----------
    a_reward_plus : float, default=0.004
        :math:`a_r^+`: potentiation of the inputs that fired before the
        postsynaptic spike, under reward, >= 0.
    a_reward_minus : float, default=0.003
        :math:`a_r^-`: depression of the other inputs under reward, >= 0.
    a_punish_plus : float, default=0.0005
        :math:`a_p^+`: potentiation of the inputs that did not fire before
        the postsynaptic spike, under punishment, >= 0.
    a_punish_minus : float, default=0.004
        :math:`a_p^-`: depression of the inputs that fired before it, under
        punishment, >= 0.

    Notes
    -----
    With :math:`f_{slk} = 1` if input :math:`k` fired at or before the
    postsynaptic spike in the presentation, :math:`r^+ = \\max(r, 0)`,
    :math:`r^- = \\max(-r, 0)` and the soft bound :math:`\\sigma(w) = (w -
    w_{min})(w_{max} - w)/(w_{max} - w_{min})` (:math:`w(1 - w)` for bounds 0
    and 1),

    .. math::

        \\Delta w = \\sigma(w) \\sum_s S^{post}_{slf} \\big(
            r^+_s\\, [a_r^+ f_{slk} - a_r^- (1 - f_{slk})]
            + r^-_s\\, [a_p^+ (1 - f_{slk}) - a_p^- f_{slk}] \\big).

    Mozafari et al. reward (:math:`r = 1`) the decisions that match the label
    and punish (:math:`r = -1`) the others, and apply the change once the
    presentation has been decided: with the reward of a sample constant over
    its presentation (as :class:`~stdp_lab.SpikingFeatureLearner` gives it)
    and the weights changed at the end of the presentation
    (``update_every=None``) this is their rule. The reward rates are
    those of :class:`SimplifiedSTDP` (Kheradpisheh et al. 2018); the
    punishment depresses the inputs that caused the wrong decision as
    strongly and potentiates the others weakly.

    References
    ----------
    Mozafari, M., Kheradpisheh, S. R., Masquelier, T., Nowzari-Dalini, A. &
    Ganjtabesh, M. (2018). First-spike-based visual categorization using
    reward-modulated STDP. IEEE Trans. Neural Netw. Learn. Syst. 29,
    6178-6190 (eqs. 3-4).
    """

    _parameter_constraints = {
        "a_reward_plus": _NON_NEGATIVE,
        "a_reward_minus": _NON_NEGATIVE,
        "a_punish_plus": _NON_NEGATIVE,
        "a_punish_minus": _NON_NEGATIVE,
    }

    def __init__(
        self,
        a_reward_plus=0.004,
        a_reward_minus=0.003,
        a_punish_plus=0.0005,
        a_punish_minus=0.004,
    ):
        self.a_reward_plus = a_reward_plus
        self.a_reward_minus = a_reward_minus
        self.a_punish_plus = a_punish_plus
        self.a_punish_minus = a_punish_minus

    def reads(self) -> tuple[str, ...]:
        return ("reward",)

    def pre_traces(self) -> tuple[TraceSpec, ...]:
        self._check()
        # "fired earlier in the presentation": a trace that never decays
        return (TraceSpec(_NO_DECAY_MS, "reset"),)

    def post_traces(self) -> tuple[TraceSpec, ...]:
        self._check()
        return ()

    def delta(self, pre: Activity, post: Activity, weights, state=None):
        self._check()
        dtype = _float_dtype(pre.trace, weights)
        reward = _reward(self, post, dtype)  # (B,)
        fired = (np.asarray(pre.trace) > 0) | (np.asarray(pre.spikes) != 0)
        fired = _as(fired, dtype)  # (B,L,K)
        post_spikes = _as(post.spikes, dtype)  # (B,L,F)
        dw = 0
        for part, a_fired, a_other in (
            (np.maximum(reward, 0), self.a_reward_plus, -self.a_reward_minus),
            (np.maximum(-reward, 0), -self.a_punish_minus, self.a_punish_plus),
        ):
            spikes = post_spikes * part[:, None, None]  # (B,L,F)
            n_fired = _outer(fired, spikes)  # (L,K,F)
            n_post = spikes.sum(axis=0)[:, None, :]  # (B,L,F) -> (L,1,F)
            dw = dw + (a_fired * n_fired + a_other * (n_post - n_fired))
        w = _as(weights, dtype)  # broadcastable to (L,K,F)
        w_min, w_max = self.bounds
        soft = (w - w_min) * (w_max - w) / dtype.type(w_max - w_min)
        return (dw * soft).astype(dtype, copy=False)
