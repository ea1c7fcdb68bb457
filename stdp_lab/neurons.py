"""Spiking neuron models with explicit, batched state.

A model object holds hyperparameters only (it is a scikit-learn
``BaseEstimator``, so ``get_params``/``set_params``/``clone`` and pickling work).
The membrane state lives in a small ``NamedTuple`` of arrays with a leading batch
axis, made by :meth:`NeuronModel.initial_state` and advanced in place by
:meth:`NeuronModel.step`::

    neuron = LIF(tau_mem=20.0)
    state = neuron.initial_state((n_samples, n_locations, n_filters))
    for current in currents:                  # one array per time step
        spikes, state = neuron.step(state, current, dt=1.0)

Every model shares one step skeleton, written once in :class:`NeuronModel`:
integrate the membrane over ``dt`` -> find the neurons at or above threshold
(candidates) -> let an optional ``select`` callable (the competition) choose which
candidates spike -> reset the chosen ones. A new model is a parameter class, a
state ``NamedTuple``, ``initial_state`` and four small hooks (``_prepare``,
``_integrate``, ``_margin``, ``_reset``).

Times are in ms, rates in Hz. Parameters may be scalars or arrays broadcastable to
the layer shape (``shape[1:]`` of the state), giving per-neuron values.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from sklearn.base import BaseEstimator

from ._validation import check_scalar

__all__ = [
    "NeuronModel",
    "LIF",
    "IF",
    "AdaptiveLIF",
    "Izhikevich",
    "LIFState",
    "AdaptiveLIFState",
    "IzhikevichState",
    "IZHIKEVICH_PRESETS",
    "make_neuron",
    "run_current",
    "StepResponses",
    "izhikevich_step_responses",
]

SelectFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


# ---------------------------------------------------------------------------
# State tuples
# ---------------------------------------------------------------------------
class LIFState(NamedTuple):
    """State of :class:`LIF` and :class:`IF` neurons.

    Attributes
    ----------
    v : ndarray of shape (n_samples, *layer_shape)
        Membrane potential.
    refractory : ndarray of shape (n_samples, *layer_shape)
        Time left in the refractory period, in ms (0 when not refractory).
    """

    v: np.ndarray
    refractory: np.ndarray


class AdaptiveLIFState(NamedTuple):
    """State of :class:`AdaptiveLIF` neurons.

    Attributes
    ----------
    v : ndarray of shape (n_samples, *layer_shape)
        Membrane potential.
    refractory : ndarray of shape (n_samples, *layer_shape)
        Time left in the refractory period, in ms.
    theta : ndarray of shape (n_samples, *layer_shape)
        Adaptive threshold increment; the threshold is ``v_thresh + theta``. A
        simulator may replace it (``state._replace(theta=...)``) with a learned value.
    """

    v: np.ndarray
    refractory: np.ndarray
    theta: np.ndarray


class IzhikevichState(NamedTuple):
    """State of :class:`Izhikevich` neurons.

    Attributes
    ----------
    v : ndarray of shape (n_samples, *layer_shape)
        Membrane potential, in mV.
    u : ndarray of shape (n_samples, *layer_shape)
        Membrane recovery variable.
    """

    v: np.ndarray
    u: np.ndarray


# ---------------------------------------------------------------------------
# Parameter helpers
# ---------------------------------------------------------------------------
@functools.cache
def _param_names(cls) -> tuple[str, ...]:
    # BaseEstimator inspects the signature on every call; once per class is enough.
    return tuple(cls._get_param_names())


def _check_param(value, name: str, *, low=None, low_inclusive: bool = True):
    """Return ``value`` as a float64 array after checking it is finite and >= low.

    Scalars give 0-d arrays; array-likes keep their shape (per-neuron values).
    """
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        check_scalar(value, name, low=low, low_inclusive=low_inclusive)
        return np.asarray(value, dtype=np.float64)
    if isinstance(value, bool) or value is None or isinstance(value, str):
        raise TypeError(
            f"{name} must be a number or an array of numbers, got {value!r}"
        )
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} must be an array of numbers: {exc}") from None
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if low is not None:
        bad = arr < low if low_inclusive else arr <= low
        if np.any(bad):
            op = ">=" if low_inclusive else ">"
            raise ValueError(
                f"{name} must be {op} {low} everywhere, got {arr[bad].flat[0]!r}"
            )
    return arr


def _check_below(low_value, low_name, high_value, high_name):
    """Raise unless ``low_value < high_value`` elementwise (broadcast)."""
    if np.any(np.asarray(low_value) >= np.asarray(high_value)):
        raise ValueError(
            f"{low_name} must be below {high_name}, got {low_name}="
            f"{np.asarray(low_value).tolist()!r} and {high_name}="
            f"{np.asarray(high_value).tolist()!r}"
        )


def _check_dt(dt) -> float:
    if type(dt) is float and 0.0 < dt < math.inf:  # fast path, called every step
        return dt
    check_scalar(dt, "dt", low=0.0, low_inclusive=False)
    return float(dt)


def _check_shape(shape) -> tuple[int, ...]:
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        shape = tuple(shape)
    except TypeError:
        raise TypeError(
            f"shape must be a tuple of ints (n_samples, *layer_shape), got {shape!r}"
        ) from None
    if (
        len(shape) == 0
        or not all(
            isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in shape
        )
        or min(shape) < 0
    ):
        raise ValueError(
            "shape must be a non-empty tuple of non-negative ints "
            f"(n_samples, *layer_shape), got {shape!r}"
        )
    return tuple(int(n) for n in shape)


def _check_dtype(dtype) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"dtype must be a floating dtype, got {dtype}")
    return dtype


# ---------------------------------------------------------------------------
# Base class: the shared step skeleton
# ---------------------------------------------------------------------------
class NeuronModel(BaseEstimator):
    """Base class of the neuron models: parameters only, state passed explicitly.

    Subclasses define ``_param_checks`` (how each parameter is validated) and
    the hooks

    - ``_validate(params)``: cross-parameter checks (e.g. reset below threshold);
    - ``_prepare(params, dt, dtype) -> dict``: constants for one ``dt`` and dtype
      (decay factors, parameters cast to the state dtype);
    - ``_new_state(shape, dtype, prepared) -> NamedTuple``;
    - ``_integrate(state, current, dt, prepared)``: advance the state in place;
    - ``_margin(state, prepared) -> ndarray``: ``v`` minus the current threshold;
    - ``_reset(state, spikes, prepared)``: reset the neurons that spike, in place.

    Validation and the derived constants are computed once and cached for the
    last ``(parameters, dt, dtype, layer shape)`` seen, so :meth:`step` only
    checks ``dt`` per call. The cache is keyed on the identity of the parameter
    values: after changing a parameter array *in place*, call
    ``set_params`` (or assign the attribute again) to refresh it. The cache is not
    pickled or cloned; a model holds parameters only.
    """

    #: name -> keyword arguments of :func:`_check_param`; filled by subclasses.
    _param_checks: dict[str, dict[str, Any]] = {}

    # -- hooks ---------------------------------------------------------------
    def _validate(self, params: dict[str, np.ndarray]) -> None:
        """Cross-parameter checks; per-parameter ones come from ``_param_checks``."""

    def _prepare(self, params, dt: float, dtype: np.dtype) -> dict[str, Any]:
        raise NotImplementedError

    def _new_state(self, shape, dtype, prepared):
        raise NotImplementedError

    def _integrate(self, state, current, dt: float, prepared) -> None:
        raise NotImplementedError

    def _margin(self, state, prepared) -> np.ndarray:
        raise NotImplementedError

    def _reset(self, state, spikes: np.ndarray, prepared) -> None:
        raise NotImplementedError

    # -- shared machinery ----------------------------------------------------
    def _checked_params(self, layer_shape) -> dict[str, np.ndarray]:
        params = {}
        for name in _param_names(type(self)):
            arr = _check_param(getattr(self, name), name, **self._param_checks[name])
            if arr.ndim:
                try:
                    ok = np.broadcast_shapes(arr.shape, layer_shape) == layer_shape
                except ValueError:
                    ok = False
                if not ok:
                    raise ValueError(
                        f"{name} has shape {arr.shape}, which does not broadcast "
                        f"to the layer shape {layer_shape}"
                    )
            params[name] = arr
        self._validate(params)
        return params

    def _prepared(self, dt: float, dtype: np.dtype, layer_shape) -> dict[str, Any]:
        values = tuple(getattr(self, n) for n in _param_names(type(self)))
        cache = self.__dict__.get("_cache")
        if (
            cache is not None
            and cache[1] == dt
            and cache[2] == dtype
            and cache[3] == layer_shape
            and all(a is b for a, b in zip(cache[0], values, strict=True))
        ):
            return cache[4]
        prepared = self._prepare(self._checked_params(layer_shape), dt, dtype)
        # The values themselves are kept so that their ids cannot be reused.
        self._cache = (values, dt, dtype, layer_shape, prepared)
        return prepared

    def __getstate__(self):
        state = dict(super().__getstate__())  # a copy: never drop the live cache
        state.pop("_cache", None)
        return state

    def initial_state(self, shape, dtype=np.float64):
        """Return a fresh state for a batch of neurons.

        Parameters
        ----------
        shape : tuple of int
            ``(n_samples, *layer_shape)``; every state array has this shape.
        dtype : floating dtype, default=np.float64
            dtype of the state arrays (float32 is kept by :meth:`step`).

        Returns
        -------
        state : NamedTuple of ndarray, each of shape ``shape``
            The model's state type, at rest (see the model's docstring).
        """
        shape = _check_shape(shape)
        dtype = _check_dtype(dtype)
        # dt does not matter for the initial state; 1 ms validates everything.
        prepared = self._prepare(self._checked_params(shape[1:]), 1.0, dtype)
        return self._new_state(shape, dtype, prepared)

    def step(
        self, state, current, dt: float, select: SelectFn | None = None
    ) -> tuple[np.ndarray, Any]:
        """Advance the neurons by one time step of ``dt`` ms, in place.

        Parameters
        ----------
        state : NamedTuple of ndarray, each of shape (n_samples, *layer_shape)
            State from :meth:`initial_state` (or a previous step). Its arrays are
            updated in place.
        current : float or ndarray broadcastable to (n_samples, *layer_shape)
            Input current, held constant over the step.
        dt : float
            Time step, in ms (> 0).
        select : callable, optional
            ``select(candidates, margin) -> chosen``: given the bool array of
            neurons at or above threshold and ``margin = v - threshold`` (float
            array, same shape), return a bool array choosing which of them spike
            (e.g. k-winners-take-all). Only chosen neurons are reset, become
            refractory or adapt; the others keep their supra-threshold ``v``.
            The result is intersected with ``candidates``. ``None`` lets every
            candidate spike.

        Returns
        -------
        spikes : ndarray of bool, shape (n_samples, *layer_shape)
            Which neurons spiked during the step.
        state : NamedTuple
            The same state object, updated.
        """
        dt = _check_dt(dt)
        v = state[0]
        prepared = self._prepared(dt, v.dtype, v.shape[1:])
        self._integrate(state, current, dt, prepared)
        margin = self._margin(state, prepared)
        spikes = margin >= 0
        if select is not None:
            chosen = np.asarray(select(spikes, margin))
            if chosen.shape != spikes.shape:
                raise ValueError(
                    f"select must return an array of shape {spikes.shape}, "
                    f"got shape {chosen.shape}"
                )
            spikes = np.logical_and(chosen, spikes)
        self._reset(state, spikes, prepared)
        return spikes, state


# ---------------------------------------------------------------------------
# Refractoriness shared by LIF, IF and AdaptiveLIF
# ---------------------------------------------------------------------------
# A refractory time below this fraction of dt is taken as rounding error, so a
# period of t_ref ms lasts ceil(t_ref / dt) steps even after many float32
# subtractions of dt.
_REFRACTORY_TOL = 1e-3


def _hold_refractory(state, dt: float, prepared) -> None:
    """Clamp refractory neurons at ``v_reset`` and count their time down."""
    if not prepared["has_refractory"]:
        return
    refractory = state.refractory
    np.copyto(state.v, prepared["v_reset"], where=refractory > _REFRACTORY_TOL * dt)
    np.subtract(refractory, dt, out=refractory)
    np.maximum(refractory, 0, out=refractory)


def _reset_refractory(state, spikes, prepared) -> None:
    np.copyto(state.v, prepared["v_reset"], where=spikes)
    if prepared["has_refractory"]:
        np.copyto(state.refractory, prepared["t_ref"], where=spikes)


def _cast(params, dtype, *names) -> dict[str, np.ndarray]:
    return {n: params[n].astype(dtype) for n in names}


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

    _param_checks = {
        "tau_mem": {"low": 0.0, "low_inclusive": False},
        "v_rest": {},
        "v_reset": {},
        "v_thresh": {},
        "t_ref": {"low": 0.0},
        "resistance": {"low": 0.0, "low_inclusive": False},
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

    def _reset(self, state, spikes, prepared):
        _reset_refractory(state, spikes, prepared)


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

    _param_checks = {
        "v_thresh": {},
        "v_reset": {},
        "t_ref": {"low": 0.0},
        "capacitance": {"low": 0.0, "low_inclusive": False},
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

    def _reset(self, state, spikes, prepared):
        _reset_refractory(state, spikes, prepared)


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
        (about 2.8 h) makes the adaptation nearly permanent, as in [1]_.

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

    _param_checks = {
        **LIF._param_checks,
        "theta_plus": {"low": 0.0},
        "tau_theta": {"low": 0.0, "low_inclusive": False},
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
        self.tau_mem = tau_mem
        self.v_rest = v_rest
        self.v_reset = v_reset
        self.v_thresh = v_thresh
        self.t_ref = t_ref
        self.resistance = resistance
        self.theta_plus = theta_plus
        self.tau_theta = tau_theta

    def _prepare(self, params, dt, dtype):
        prepared = super()._prepare(params, dt, dtype)
        prepared.update(
            theta_plus=params["theta_plus"].astype(dtype),
            theta_decay=np.exp(-dt / params["tau_theta"]).astype(dtype),
        )
        return prepared

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

    def _reset(self, state, spikes, prepared):
        super()._reset(state, spikes, prepared)
        np.add(state.theta, prepared["theta_plus"], out=state.theta, where=spikes)


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

    _param_checks = {"a": {}, "b": {}, "c": {}, "d": {}, "v_peak": {}}

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

    def _reset(self, state, spikes, prepared):
        np.copyto(state.v, prepared["c"], where=spikes)
        np.add(state.u, prepared["d"], out=state.u, where=spikes)


_NEURONS = {"lif": LIF, "if": IF, "adaptive_lif": AdaptiveLIF, "izhikevich": Izhikevich}


def make_neuron(neuron) -> NeuronModel:
    """Return a neuron model from a name, or a :class:`NeuronModel` unchanged.

    Parameters
    ----------
    neuron : str or NeuronModel
        ``"lif"``, ``"if"``, ``"adaptive_lif"``, ``"izhikevich"`` (default
        parameters) or an Izhikevich preset name (see ``IZHIKEVICH_PRESETS``).

    Returns
    -------
    neuron : NeuronModel
    """
    if isinstance(neuron, NeuronModel):
        return neuron
    if not isinstance(neuron, str):
        raise TypeError(
            f"neuron must be a name or a NeuronModel instance, got "
            f"{type(neuron).__name__}"
        )
    if neuron in _NEURONS:
        return _NEURONS[neuron]()
    if neuron in IZHIKEVICH_PRESETS:
        return Izhikevich.preset(neuron)
    known = ", ".join(repr(k) for k in (*_NEURONS, *IZHIKEVICH_PRESETS))
    raise ValueError(f"unknown neuron {neuron!r}; known: {known}")


# ---------------------------------------------------------------------------
# Recording helpers (they keep every step, so use them for short runs)
# ---------------------------------------------------------------------------
def run_current(
    neuron: NeuronModel,
    current,
    dt: float,
    shape=None,
    dtype=np.float64,
) -> tuple[np.ndarray, np.ndarray]:
    """Drive neurons with a given current and record membrane potential and spikes.

    Parameters
    ----------
    neuron : NeuronModel
    current : array-like of shape (n_steps, ...)
        ``current[t]`` is the input during step ``t``, broadcastable to ``shape``.
    dt : float
        Time step, in ms.
    shape : tuple of int, optional
        State shape ``(n_samples, *layer_shape)``; default ``current.shape[1:]``.
    dtype : floating dtype, default=np.float64

    Returns
    -------
    v : ndarray of shape (n_steps, *shape)
        Membrane potential at the end of each step (after any reset).
    spikes : ndarray of bool, shape (n_steps, *shape)
    """
    current = np.asarray(current)
    if current.ndim < 1:
        raise ValueError("current must have a leading time axis (n_steps, ...)")
    shape = current.shape[1:] if shape is None else shape
    state = neuron.initial_state(shape, dtype=dtype)
    n_steps = current.shape[0]
    v = np.empty((n_steps, *state[0].shape), dtype=state[0].dtype)
    spikes = np.empty((n_steps, *state[0].shape), dtype=bool)
    for t in range(n_steps):
        spikes[t], state = neuron.step(state, current[t], dt)
        v[t] = state[0]
    return v, spikes


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
