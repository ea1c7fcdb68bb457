"""The Izhikevich (2003, 2004) neuron and its named firing patterns."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .._validation import check_scalar
from ._base import (
    _REAL,
    NeuronModel,
    _at,
    _cast,
    _check_below,
    _check_dt,
    run_current,
)


class IzhikevichState(NamedTuple):
    """State of :class:`Izhikevich` neurons.

    Attributes
    ----------
    v : ndarray of shape ``(n_samples, *layer_shape)``
        Membrane potential, in mV.
    u : ndarray of shape ``(n_samples, *layer_shape)``
        Membrane recovery variable.
    """

    v: np.ndarray
    u: np.ndarray


#: Parameters (a, b, c, d) of Izhikevich (2003), Fig. 2, by cortical cell class.
IZHIKEVICH_PRESETS: dict[str, dict[str, float]] = {
    "regular_spiking": {"a": 0.02, "b": 0.2, "c": -65.0, "d": 8.0},
    "intrinsically_bursting": {"a": 0.02, "b": 0.2, "c": -55.0, "d": 4.0},
    "chattering": {"a": 0.02, "b": 0.2, "c": -50.0, "d": 2.0},
    "fast_spiking": {"a": 0.1, "b": 0.2, "c": -65.0, "d": 2.0},
    "low_threshold_spiking": {"a": 0.02, "b": 0.25, "c": -65.0, "d": 2.0},
    "thalamo_cortical": {"a": 0.02, "b": 0.25, "c": -65.0, "d": 0.05},
    "resonator": {"a": 0.1, "b": 0.26, "c": -65.0, "d": 2.0},
}


class Izhikevich(NeuronModel):
    r"""Izhikevich (2003) simple model: quadratic membrane plus a recovery variable.

    Parameters
    ----------
    a : float or array-like, default=0.02
        Time scale of the recovery variable u, in 1/ms (the model's own units).
    b : float or array-like, default=0.2
        Sensitivity of u to the sub-threshold membrane potential.
    c : float or array-like, default=-65.0
        Reset potential after a spike, in mV (below ``v_peak``).
    d : float or array-like, default=8.0
        Increment of u at each spike.
    v_peak : float or array-like, default=30.0
        Spike cut-off, in mV.

    The defaults are the regular-spiking cell; :meth:`preset` gives the others
    (see ``IZHIKEVICH_PRESETS``). Input current is in the model's units (the
    2003 paper uses ``I = 10`` for its gallery).

    Notes
    -----
    With :math:`v` in mV and :math:`t` in ms,

    .. math::
        \frac{dv}{dt} = 0.04 v^2 + 5 v + 140 - u + I, \qquad
        \frac{du}{dt} = a (b v - u),

    and if :math:`v \ge v_{peak}`: :math:`v \leftarrow c,\ u \leftarrow u + d`.

    A step of :math:`\Delta t` is split into
    :math:`n = \lceil \Delta t / 0.25\,\mathrm{ms} \rceil` forward-Euler
    sub-steps (both variables updated from the values at the start of the
    sub-step), so ``dt = 1`` ms is stable. A neuron that reaches ``v_peak``
    within a step is held at ``v_peak`` for the rest of the step and spikes (is
    reset) at its end, so a neuron fires at most once per step and ``margin``
    passed to ``select`` is 0 for every candidate.

    The initial state is the resting state at :math:`I = 0`: :math:`u = b v` with
    :math:`v` the lower root of :math:`0.04 v^2 + (5 - b) v + 140 = 0` (-70 mV
    for :math:`b = 0.2`, about -64.4 mV for :math:`b = 0.25`), so that a cell
    left without input stays silent. (The paper's network code starts every
    cell at -65 mV, which makes the resonator fire a rebound spike.) Cells
    without a resting state (:math:`(5 - b)^2 < 22.4`) start at
    ``v_fallback = -65`` mV.

    References
    ----------
    .. [1] Izhikevich, E. M. (2003). Simple model of spiking neurons. IEEE
       Trans. Neural Netw. 14(6), 1569-1572.
    .. [2] Izhikevich, E. M. (2004). Which model to use for cortical spiking
       neurons? IEEE Trans. Neural Netw. 15(5), 1063-1070.

    Examples
    --------
    >>> from stdp_lab.neurons import Izhikevich
    >>> Izhikevich.preset("chattering")
    Izhikevich(c=-50.0, d=2.0)
    """

    #: Largest Euler sub-step, in ms.
    max_substep = 0.25
    #: Initial membrane potential, in mV, for cells without a resting state at I = 0.
    v_fallback = -65.0

    _parameter_constraints = {
        "a": _REAL,
        "b": _REAL,
        "c": _REAL,
        "d": _REAL,
        "v_peak": _REAL,
    }

    def __init__(self, a=0.02, b=0.2, c=-65.0, d=8.0, v_peak=30.0):
        self.a = a
        self.b = b
        self.c = c
        self.d = d
        self.v_peak = v_peak

    @classmethod
    def preset(cls, name: str) -> Izhikevich:
        """Return the neuron with the parameters of a named cell class.

        Parameters
        ----------
        name : str
            One of the keys of ``IZHIKEVICH_PRESETS``: ``"regular_spiking"``,
            ``"intrinsically_bursting"``, ``"chattering"``, ``"fast_spiking"``,
            ``"low_threshold_spiking"``, ``"thalamo_cortical"``, ``"resonator"``.

        Returns
        -------
        neuron : Izhikevich
        """
        if not isinstance(name, str) or name not in IZHIKEVICH_PRESETS:
            known = ", ".join(repr(k) for k in IZHIKEVICH_PRESETS)
            raise ValueError(f"unknown Izhikevich preset {name!r}; known: {known}")
        return cls(**IZHIKEVICH_PRESETS[name])

    def _validate(self, params):
        _check_below(params["c"], "c", params["v_peak"], "v_peak")

    def _prepare(self, params, dt, dtype):
        n_substeps = max(1, math.ceil(dt / self.max_substep - 1e-9))
        prepared = _cast(params, dtype, "a", "b", "c", "d", "v_peak")
        prepared.update(n_substeps=n_substeps, h=dtype.type(dt / n_substeps))
        return prepared

    def _new_state(self, shape, dtype, prepared):
        # Rest with I = 0: u = b v and 0.04 v^2 + (5 - b) v + 140 = 0 (lower root).
        b = prepared["b"].astype(np.float64)
        disc = (5.0 - b) ** 2 - 4 * 0.04 * 140.0
        root = ((b - 5.0) - np.sqrt(np.maximum(disc, 0.0))) / (2 * 0.04)
        v_start = np.where(disc >= 0, root, self.v_fallback)
        v = np.empty(shape, dtype=dtype)
        v[...] = v_start
        u = np.empty(shape, dtype=dtype)
        np.multiply(v, prepared["b"], out=u)
        return IzhikevichState(v=v, u=u)

    def _integrate(self, state, current, dt, prepared):
        v, u = state.v, state.u
        a, b, h, v_peak = (
            prepared["a"],
            prepared["b"],
            prepared["h"],
            prepared["v_peak"],
        )
        dv = np.empty_like(v)
        du = np.empty_like(u)
        for _ in range(prepared["n_substeps"]):
            # du = h a (b v - u), from the values at the start of the sub-step
            np.multiply(v, b, out=du)
            du -= u
            du *= a
            du *= h
            # dv = h ((0.04 v + 5) v + 140 - u + I)
            np.multiply(v, 0.04, out=dv)
            dv += 5.0
            dv *= v
            dv += 140.0
            dv -= u
            dv += current
            dv *= h
            v += dv
            u += du
            # Hold neurons that reached the peak there until the end of the step.
            np.minimum(v, v_peak, out=v)

    def _margin(self, state, prepared):
        return state.v - prepared["v_peak"]

    def _reset(self, state, spiked, prepared):
        state.v.flat[spiked] = _at(prepared["c"], spiked, state.v.shape)
        state.u.flat[spiked] += _at(prepared["d"], spiked, state.u.shape)


class StepResponses(NamedTuple):
    """Responses of several Izhikevich cell classes to one step current.

    Attributes
    ----------
    names : tuple of str
        Preset names, one per neuron.
    t : ndarray of shape (n_steps,)
        Time at the end of each step, in ms.
    current : ndarray of shape (n_steps,)
        Input current during each step.
    v : ndarray of shape (n_steps, n_presets)
        Membrane potential, in mV, with ``v_peak`` at the steps with a spike
        (as in the paper's figures).
    spikes : ndarray of bool, shape (n_steps, n_presets)
    onset : float
        Time at which the current switched on, in ms.
    """

    names: tuple[str, ...]
    t: np.ndarray
    current: np.ndarray
    v: np.ndarray
    spikes: np.ndarray
    onset: float


def izhikevich_step_responses(
    presets=None,
    *,
    duration: float = 200.0,
    dt: float = 0.25,
    current: float = 10.0,
    onset: float = 20.0,
) -> StepResponses:
    """Simulate Izhikevich presets under a step current (the classic gallery).

    All presets run at once, as one layer with per-neuron ``a, b, c, d``.

    Parameters
    ----------
    presets : sequence of str, optional
        Preset names (default: every key of ``IZHIKEVICH_PRESETS``).
    duration : float, default=200.0
        Simulated time, in ms.
    dt : float, default=0.25
        Time step, in ms.
    current : float, default=10.0
        Amplitude of the step current (0 before ``onset``).
    onset : float, default=20.0
        Time at which the current switches on, in ms.

    Returns
    -------
    responses : StepResponses
    """
    names = tuple(IZHIKEVICH_PRESETS) if presets is None else tuple(presets)
    if not names:
        raise ValueError("presets must name at least one preset")
    for name in names:
        Izhikevich.preset(name)  # raises for unknown names
    check_scalar(duration, "duration", low=0.0, low_inclusive=False)
    dt = _check_dt(dt)
    check_scalar(current, "current")
    check_scalar(onset, "onset", low=0.0)
    n_steps = max(1, round(duration / dt))
    t = dt * np.arange(1, n_steps + 1)  # (n_steps,)
    drive = np.where(t > onset, float(current), 0.0)  # (n_steps,)
    params = {
        key: np.array([IZHIKEVICH_PRESETS[n][key] for n in names])  # (n_presets,)
        for key in ("a", "b", "c", "d")
    }
    neuron = Izhikevich(**params)
    # (n_steps, 1, 1) broadcasts to the state shape (1, n_presets)
    v, spikes = run_current(neuron, drive[:, None, None], dt, shape=(1, len(names)))
    v, spikes = v[:, 0], spikes[:, 0]  # (n_steps, n_presets)
    v = np.where(spikes, neuron.v_peak, v)
    return StepResponses(
        names=names, t=t, current=drive, v=v, spikes=spikes, onset=float(onset)
    )
