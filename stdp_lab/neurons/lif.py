"""Leaky and non-leaky integrate-and-fire neurons, with and without an adaptive
threshold."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._base import (
    _NON_NEGATIVE,
    _POSITIVE,
    _REAL,
    LIFState,
    NeuronModel,
    _at,
    _cast,
    _check_below,
    _hold_refractory,
    _reset_refractory,
)


class AdaptiveLIFState(NamedTuple):
    """State of :class:`AdaptiveLIF` neurons.

    Attributes
    ----------
    v : ndarray of shape ``(n_samples, *layer_shape)``
        Membrane potential.
    refractory : ndarray of shape ``(n_samples, *layer_shape)``
        Time left in the refractory period, in ms.
    theta : ndarray of shape ``(n_samples, *layer_shape)``
        Adaptive threshold increment; the threshold is ``v_thresh + theta``. A
        simulator may replace it (``state._replace(theta=...)``) with a learned value.
    """

    v: np.ndarray
    refractory: np.ndarray
    theta: np.ndarray


# ---------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------
class LIF(NeuronModel):
    r"""Leaky integrate-and-fire neuron, exact for input constant over each step.

    Parameters
    ----------
    tau_mem : float or array-like, default=20.0
        Membrane time constant, in ms (> 0).
    v_rest : float or array-like, default=0.0
        Resting potential.
    v_reset : float or array-like, default=0.0
        Potential after a spike (must be below ``v_thresh``).
    v_thresh : float or array-like, default=1.0
        Firing threshold.
    t_ref : float or array-like, default=2.0
        Absolute refractory period, in ms (>= 0).
    resistance : float or array-like, default=1.0
        Membrane resistance R (> 0); the input enters as ``R * I``.

    Array parameters must broadcast to the layer shape (per-neuron values).

    Notes
    -----
    Between spikes

    .. math:: \tau_m \frac{dv}{dt} = -(v - v_{rest}) + R I .

    With :math:`I` constant over a step of :math:`\Delta t` the solution is exact:

    .. math:: v \leftarrow v_\infty + (v - v_\infty) e^{-\Delta t / \tau_m},
              \qquad v_\infty = v_{rest} + R I .

    When :math:`v \ge v_{thresh}` at the end of a step the neuron spikes,
    :math:`v \leftarrow v_{reset}` and for ``t_ref`` ms :math:`v` stays at
    :math:`v_{reset}` whatever the input. The refractory period is rounded up to
    a whole number of steps, ``ceil(t_ref / dt)``. Under a constant current with
    :math:`v_{reset} = v_{rest}` the firing rate is

    .. math:: \nu = \left[t_{ref} + \tau_m
              \ln\frac{R I}{R I - (v_{thresh} - v_{rest})}\right]^{-1}.

    The initial state is ``v = v_rest`` and no refractoriness.

    References
    ----------
    .. [1] Lapicque, L. (1907). Recherches quantitatives sur l'excitation
       electrique des nerfs traitee comme une polarisation. J. Physiol. Pathol.
       Gen. 9, 620-635.
    .. [2] Gerstner, W. & Kistler, W. M. (2002). Spiking Neuron Models, ch. 4.1.
       Cambridge University Press.

    Examples
    --------
    >>> import numpy as np
    >>> from stdp_lab.neurons import LIF
    >>> neuron = LIF(tau_mem=10.0, t_ref=2.0)
    >>> state = neuron.initial_state((1, 3))
    >>> n_spikes = np.zeros((1, 3), dtype=int)
    >>> for _ in range(1000):  # 100 ms at dt = 0.1 ms
    ...     spikes, state = neuron.step(state, np.array([0.5, 2.0, 4.0]), dt=0.1)
    ...     n_spikes += spikes
    >>> n_spikes.tolist()
    [[0, 11, 20]]
    """

    _parameter_constraints = {
        "tau_mem": _POSITIVE,
        "v_rest": _REAL,
        "v_reset": _REAL,
        "v_thresh": _REAL,
        "t_ref": _NON_NEGATIVE,
        "resistance": _POSITIVE,
    }

    def __init__(
        self,
        tau_mem=20.0,
        v_rest=0.0,
        v_reset=0.0,
        v_thresh=1.0,
        t_ref=2.0,
        resistance=1.0,
    ):
        self.tau_mem = tau_mem
        self.v_rest = v_rest
        self.v_reset = v_reset
        self.v_thresh = v_thresh
        self.t_ref = t_ref
        self.resistance = resistance

    def _validate(self, params):
        _check_below(params["v_reset"], "v_reset", params["v_thresh"], "v_thresh")

    def _prepare(self, params, dt, dtype):
        decay = np.exp(-dt / params["tau_mem"])
        one_minus = -np.expm1(-dt / params["tau_mem"])  # 1 - decay, accurate
        prepared = _cast(params, dtype, "v_rest", "v_reset", "v_thresh", "t_ref")
        prepared.update(
            decay=decay.astype(dtype),
            gain=(one_minus * params["resistance"]).astype(dtype),
            offset=(one_minus * params["v_rest"]).astype(dtype),
            has_refractory=bool(np.any(params["t_ref"] > 0)),
        )
        return prepared

    def _new_state(self, shape, dtype, prepared):
        v = np.empty(shape, dtype=dtype)
        v[...] = prepared["v_rest"]
        return LIFState(v=v, refractory=np.zeros(shape, dtype=dtype))

    def _integrate(self, state, current, dt, prepared):
        v = state.v
        # v <- v_inf + (v - v_inf) * decay  ==  v * decay + (1 - decay) * (v_rest + R I)
        np.multiply(v, prepared["decay"], out=v)
        v += prepared["gain"] * current
        v += prepared["offset"]
        _hold_refractory(state, dt, prepared)

    def _margin(self, state, prepared):
        return state.v - prepared["v_thresh"]

    def _reset(self, state, spiked, prepared):
        _reset_refractory(state, spiked, prepared)

    def _linear(self, prepared):
        return prepared["decay"], prepared["gain"], prepared["offset"]


class IF(NeuronModel):
    r"""Perfect (non-leaky) integrate-and-fire neuron.

    Parameters
    ----------
    v_thresh : float or array-like, default=1.0
        Firing threshold.
    v_reset : float or array-like, default=0.0
        Potential after a spike, and the initial potential (below ``v_thresh``).
    t_ref : float or array-like, default=0.0
        Absolute refractory period, in ms (>= 0), rounded up to whole steps.
    capacitance : float or array-like, default=1.0
        Membrane capacitance C (> 0).

    Notes
    -----
    .. math:: C \frac{dv}{dt} = I, \qquad v \leftarrow v + \frac{\Delta t}{C} I

    (exact for a current constant over the step). At :math:`v \ge v_{thresh}` the
    neuron spikes and :math:`v \leftarrow v_{reset}`, with the same
    refractoriness as :class:`LIF`. From :math:`v_{reset} = 0` with no refractory
    period a constant current fires every :math:`C v_{thresh} / (I \Delta t)`
    steps (rounded up). The state type is :class:`LIFState`.

    References
    ----------
    .. [1] Gerstner, W. & Kistler, W. M. (2002). Spiking Neuron Models, ch. 4.1.
       Cambridge University Press.
    """

    _parameter_constraints = {
        "v_thresh": _REAL,
        "v_reset": _REAL,
        "t_ref": _NON_NEGATIVE,
        "capacitance": _POSITIVE,
    }

    def __init__(self, v_thresh=1.0, v_reset=0.0, t_ref=0.0, capacitance=1.0):
        self.v_thresh = v_thresh
        self.v_reset = v_reset
        self.t_ref = t_ref
        self.capacitance = capacitance

    def _validate(self, params):
        _check_below(params["v_reset"], "v_reset", params["v_thresh"], "v_thresh")

    def _prepare(self, params, dt, dtype):
        prepared = _cast(params, dtype, "v_reset", "v_thresh", "t_ref")
        prepared.update(
            gain=(dt / params["capacitance"]).astype(dtype),
            has_refractory=bool(np.any(params["t_ref"] > 0)),
        )
        return prepared

    def _new_state(self, shape, dtype, prepared):
        v = np.empty(shape, dtype=dtype)
        v[...] = prepared["v_reset"]
        return LIFState(v=v, refractory=np.zeros(shape, dtype=dtype))

    def _integrate(self, state, current, dt, prepared):
        v = state.v
        v += prepared["gain"] * current
        _hold_refractory(state, dt, prepared)

    def _margin(self, state, prepared):
        return state.v - prepared["v_thresh"]

    def _reset(self, state, spiked, prepared):
        _reset_refractory(state, spiked, prepared)

    def _linear(self, prepared):
        return 1.0, prepared["gain"], 0.0


class AdaptiveLIF(LIF):
    r"""LIF neuron with an adaptive threshold (homeostasis of Diehl & Cook 2015).

    Parameters
    ----------
    tau_mem, v_rest, v_reset, v_thresh, t_ref, resistance
        As in :class:`LIF` (times in ms).
    theta_plus : float or array-like, default=0.05
        Threshold increase at each spike (>= 0).
    tau_theta : float or array-like, default=1e7
        Decay time constant of the threshold increase, in ms (> 0); the default
        (about 2.8 h) is that of [1]_. It is the homeostasis's memory: a neuron
        firing at rate :math:`r` settles where growth and decay balance,
        :math:`\theta \approx \theta_+ r \tau_\theta`, after a few
        :math:`\tau_\theta` of simulated time (with 250 ms per sample, the
        default is 40,000 samples). A shorter one settles sooner and keeps the
        activity of a long stream level; a longer one lets the thresholds keep
        growing over the stream, so the activity fades.

    Notes
    -----
    The membrane follows :class:`LIF`; the threshold is
    :math:`v_{thresh} + \theta` with

    .. math:: \tau_\theta \frac{d\theta}{dt} = -\theta, \qquad
              \theta \leftarrow \theta + \theta_+ \text{ at each spike},

    the decay integrated exactly (:math:`\theta \leftarrow \theta
    e^{-\Delta t/\tau_\theta}`) before the membrane update of each step. Only
    neurons that actually spike (after ``select``) adapt. ``theta`` starts at 0;
    a simulator may overwrite ``state.theta`` with learned values.

    References
    ----------
    .. [1] Diehl, P. U. & Cook, M. (2015). Unsupervised learning of digit
       recognition using spike-timing-dependent plasticity. Front. Comput.
       Neurosci. 9:99.
    """

    _parameter_constraints = {
        **LIF._parameter_constraints,
        "theta_plus": _NON_NEGATIVE,
        "tau_theta": _POSITIVE,
    }

    def __init__(
        self,
        tau_mem=20.0,
        v_rest=0.0,
        v_reset=0.0,
        v_thresh=1.0,
        t_ref=2.0,
        resistance=1.0,
        theta_plus=0.05,
        tau_theta=1e7,
    ):
        super().__init__(tau_mem, v_rest, v_reset, v_thresh, t_ref, resistance)
        self.theta_plus = theta_plus
        self.tau_theta = tau_theta

    def _prepare(self, params, dt, dtype):
        prepared = super()._prepare(params, dt, dtype)
        prepared.update(
            theta_plus=params["theta_plus"].astype(dtype),
            theta_decay=np.exp(-dt / params["tau_theta"]).astype(dtype),
            tau_theta=params["tau_theta"],
        )
        return prepared

    def _adaptation(self, prepared):
        return prepared["theta_plus"], prepared["theta_decay"], prepared["tau_theta"]

    def _new_state(self, shape, dtype, prepared):
        base = super()._new_state(shape, dtype, prepared)
        return AdaptiveLIFState(
            v=base.v, refractory=base.refractory, theta=np.zeros(shape, dtype=dtype)
        )

    def _integrate(self, state, current, dt, prepared):
        np.multiply(state.theta, prepared["theta_decay"], out=state.theta)
        super()._integrate(state, current, dt, prepared)

    def _margin(self, state, prepared):
        margin = state.v - prepared["v_thresh"]
        margin -= state.theta
        return margin

    def _reset(self, state, spiked, prepared):
        super()._reset(state, spiked, prepared)
        state.theta.flat[spiked] += _at(
            prepared["theta_plus"], spiked, state.theta.shape
        )

    def _threshold_floor(self, state, prepared, n_steps):
        # theta decays towards 0 from either side: its extremes are the ends.
        theta = state.theta
        later = theta * prepared["theta_decay"] ** n_steps
        return prepared["v_thresh"] + np.minimum(theta, later, out=later)

    def _advance(self, state, drive, n_steps, prepared):
        super()._advance(state, drive, n_steps, prepared)
        theta = state.theta
        np.multiply(theta, prepared["theta_decay"] ** n_steps, out=theta)
