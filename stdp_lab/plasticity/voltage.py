"""Voltage-based STDP of Clopath et al. (2010)."""

from __future__ import annotations

import numbers

import numpy as np

from .._validation import Interval
from ._base import (
    _NON_NEGATIVE,
    _POSITIVE,
    Activity,
    Rule,
    TraceSpec,
    _as,
    _float_dtype,
    _outer,
)

__all__ = ["ClopathSTDP"]

_REAL = Interval(numbers.Real)


class ClopathSTDP(Rule):
    """Voltage-based STDP of Clopath et al. (2010).

    The change depends on the postsynaptic membrane potential rather than on
    postsynaptic spike times: a presynaptic spike depresses its synapse when
    the recent potential (low-pass filtered, :math:`\\bar u_-`) is above a
    threshold :math:`\\theta_-`; potentiation needs the potential itself above
    a higher threshold :math:`\\theta_+` (a spike) while its other low-pass
    filter :math:`\\bar u_+` is above :math:`\\theta_-`, and is proportional
    to the presynaptic trace :math:`\\bar x`. Repeated depolarisation (high
    pairing frequencies) keeps :math:`\\bar u_+` up, so the same pairings
    that depress at low frequency potentiate at high frequency.

    Potentials are in the units of the layer's neuron model. The default
    potentials suit neurons at rest at 0 with threshold 1 (the default
    :class:`~stdp_lab.neurons.LIF`, :class:`~stdp_lab.neurons.IF` and
    :class:`~stdp_lab.neurons.AdaptiveLIF`): the paper's, in units of its
    20.2 mV from rest (:math:`E_L = -70.6` mV) to threshold (:math:`V_T =
    -50.4` mV): :math:`\\theta_-` at rest, :math:`\\theta_+` 25.3 mV above
    rest and a spike peak about 100 mV above rest; for a neuron in mV (as
    :func:`~stdp_lab.presets.diehl_cook_neuron`) set them in mV. The
    amplitudes are not the paper's fit (its neuron, an adaptive exponential
    integrate-and-fire model with a spike after-depolarisation, is not one of
    ours): they make the paper's pairing protocol (five pairs at +-10 ms,
    0.1 to 50 Hz) on a neuron whose spikes leave a 40 ms after-depolarisation
    of one threshold unit depress at low frequencies and potentiate at 50 Hz
    by a few percent of the weight range, as in the paper's Fig. 2b (see the
    tests).

    Parameters
    ----------
    a_ltd : float, default=0.01
        :math:`A_{LTD}`, depression per presynaptic spike and unit of
        :math:`[\\bar u_- - \\theta_-]_+`, >= 0.
    a_ltp : float, default=0.05
        :math:`A_{LTP}`, potentiation per ms and unit of
        :math:`\\bar x [u - \\theta_+]_+ [\\bar u_+ - \\theta_-]_+`, >= 0.
    theta_minus : float, default=0.0
        :math:`\\theta_-`, the depression threshold of the filtered potentials.
    theta_plus : float, default=1.25
        :math:`\\theta_+`, the potentiation threshold of the potential.
    tau_x : float, default=15.0
        Time constant in ms of the presynaptic trace :math:`\\bar x`.
    tau_minus : float, default=10.0
        Time constant in ms of :math:`\\bar u_-`.
    tau_plus : float, default=7.0
        Time constant in ms of :math:`\\bar u_+`.
    u_spike : float, default=5.0
        The potential the rule reads in a step in which the neuron spiked.
        The neuron models reset the potential within the step of the spike,
        so without it the spike itself (the paper's action potential, which
        crosses :math:`\\theta_+` and raises both filters) would not be seen.

    Notes
    -----
    With :math:`u` the postsynaptic potential (``post.v``, or ``u_spike`` in
    a step with a postsynaptic spike), presynaptic spikes :math:`X` and, at
    every step of :math:`\\Delta t` ms,

    .. math::

        \\Delta w = -A_{LTD}\\, X\\, [\\bar u_- - \\theta_-]_+
            + A_{LTP}\\, \\bar x\\, [u - \\theta_+]_+\\,
              [\\bar u_+ - \\theta_-]_+ \\, \\Delta t,

    summed over samples, where :math:`\\tau_x\\, d\\bar x/dt = -\\bar x + X`
    (:math:`\\bar x` jumps by :math:`1/\\tau_x` at a presynaptic spike) and
    :math:`\\tau_\\pm\\, d\\bar u_\\pm/dt = -\\bar u_\\pm + u`, each filter
    moving exactly for :math:`u` constant over the step, :math:`\\bar u
    \\leftarrow u + (\\bar u - u)\\, e^{-\\Delta t/\\tau}`. As the module's
    traces, :math:`\\bar x` and :math:`\\bar u_\\pm` are read as they are
    before this step's spikes and potential are added; the filters start at
    :math:`\\theta_-` (the paper's resting potential). The homeostatic
    scaling of :math:`A_{LTD}` by the mean potential is left out.

    The state is the two filtered potentials, an array broadcastable to (2,
    n_samples, n_locations, n_filters) (:math:`\\bar u_-` then :math:`\\bar
    u_+`).

    References
    ----------
    Clopath, C., Büsing, L., Vasilaki, E. & Gerstner, W. (2010). Connectivity
    reflects coding: a model of voltage-based STDP with homeostasis. Nature
    Neuroscience 13, 344-352 (eqs. 1-4).
    """

    _parameter_constraints = {
        "a_ltd": _NON_NEGATIVE,
        "a_ltp": _NON_NEGATIVE,
        "theta_minus": _REAL,
        "theta_plus": _REAL,
        "tau_x": _POSITIVE,
        "tau_minus": _POSITIVE,
        "tau_plus": _POSITIVE,
        "u_spike": _REAL,
    }

    def __init__(
        self,
        a_ltd=0.01,
        a_ltp=0.05,
        theta_minus=0.0,
        theta_plus=1.25,
        tau_x=15.0,
        tau_minus=10.0,
        tau_plus=7.0,
        u_spike=5.0,
    ):
        self.a_ltd = a_ltd
        self.a_ltp = a_ltp
        self.theta_minus = theta_minus
        self.theta_plus = theta_plus
        self.tau_x = tau_x
        self.tau_minus = tau_minus
        self.tau_plus = tau_plus
        self.u_spike = u_spike

    def reads(self) -> tuple[str, ...]:
        return ("v",)

    def pre_traces(self) -> tuple[TraceSpec, ...]:
        self._check()
        return (TraceSpec(float(self.tau_x), "add"),)  # tau_x * x_bar

    def post_traces(self) -> tuple[TraceSpec, ...]:
        self._check()
        return ()

    def initial_state(self, shape, dtype=np.float64):
        n_locations, n_filters = shape
        return np.full((2, 1, n_locations, n_filters), self.theta_minus, dtype)

    def delta(self, pre: Activity, post: Activity, weights, state=None):
        self._check()
        if post.v is None:
            raise ValueError(
                "the rule ClopathSTDP reads the postsynaptic membrane potential: "
                "post.v must be given"
            )
        dt = float(post.dt)
        if not (np.isfinite(dt) and dt > 0):
            raise ValueError(f"dt must be a finite number > 0 (ms), got {dt!r}")
        dtype = _float_dtype(pre.trace, post.v, weights)
        if state is None:
            state = self.initial_state((pre.spikes.shape[1], post.spikes.shape[2]))
        state = _as(state, dtype)
        u_minus, u_plus = state[0], state[1]  # (1|B, L, F), before this step
        spiked = np.asarray(post.spikes) != 0
        u = np.where(spiked, dtype.type(self.u_spike), _as(post.v, dtype))  # (B,L,F)
        theta_minus = dtype.type(self.theta_minus)
        depress = np.maximum(u_minus - theta_minus, 0)  # (1|B, L, F)
        depress = np.broadcast_to(depress, u.shape)  # (B,L,F)
        ltd = _outer(_as(pre.spikes, dtype), np.ascontiguousarray(depress))  # (L,K,F)
        gain = np.maximum(u - dtype.type(self.theta_plus), 0)  # (B,L,F)
        gain *= np.maximum(u_plus - theta_minus, 0)
        x_bar = _as(pre.trace, dtype) / dtype.type(self.tau_x)  # (B,L,K)
        ltp = _outer(x_bar, gain)  # (L,K,F)
        dw = (self.a_ltp * dt) * ltp - self.a_ltd * ltd
        decay = np.array(
            [np.exp(-dt / self.tau_minus), np.exp(-dt / self.tau_plus)], dtype
        )[:, None, None, None]  # (2,1,1,1)
        new_state = u + (state - u) * decay  # (2,B,L,F)
        return dw.astype(dtype, copy=False), new_state
