"""Base class of the neuron models: the shared step skeleton, parameter checks,
refractoriness helpers and ``run_current`` (the public names are re-exported
by :mod:`stdp_lab.neurons`)."""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from sklearn.base import BaseEstimator

from .._validation import Interval, check_scalar, validate_params

SelectFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


# ---------------------------------------------------------------------------
# State tuples
# ---------------------------------------------------------------------------
class LIFState(NamedTuple):
    """State of :class:`LIF` and :class:`IF` neurons.

    Attributes
    ----------
    v : ndarray of shape ``(n_samples, *layer_shape)``
        Membrane potential.
    refractory : ndarray of shape ``(n_samples, *layer_shape)``
        Time left in the refractory period, in ms (0 when not refractory).
    """

    v: np.ndarray
    refractory: np.ndarray


# ---------------------------------------------------------------------------
# Parameter helpers
# ---------------------------------------------------------------------------
@functools.cache
def _param_names(cls) -> tuple[str, ...]:
    # BaseEstimator inspects the signature on every call; once per class is enough.
    return tuple(cls._get_param_names())


#: Constraints of neuron parameters: numbers, or per-neuron arrays of them.
_REAL = Interval(numbers.Real, arrays=True)
_POSITIVE = Interval(numbers.Real, 0.0, None, closed="neither", arrays=True)
_NON_NEGATIVE = Interval(numbers.Real, 0.0, None, arrays=True)


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

    Subclasses declare ``_parameter_constraints`` (what each parameter accepts:
    a number or a per-neuron array, see :mod:`stdp_lab._validation`) and
    define the hooks

    - ``_validate(params)``: cross-parameter checks (e.g. reset below threshold);
    - ``_prepare(params, dt, dtype) -> dict``: constants for one ``dt`` and dtype
      (decay factors, parameters cast to the state dtype);
    - ``_new_state(shape, dtype, prepared) -> NamedTuple``;
    - ``_integrate(state, current, dt, prepared)``: advance the state in place;
    - ``_margin(state, prepared) -> ndarray``: ``v`` minus the current threshold;
    - ``_reset(state, spiked, prepared)``: reset the neurons that spike, in
      place; ``spiked`` holds their flat (C-order) indices into the state
      arrays (use ``arr.flat[spiked]``) and is never empty.

    Validation and the derived constants are computed once and cached for the
    last ``(dt, dtype, layer shape)`` seen and dropped whenever a parameter is
    set, so :meth:`step` only checks ``dt`` per call. After changing a parameter
    array *in place*, call ``set_params`` (or assign the attribute again) to
    refresh it. The cache is not pickled or cloned; a model holds parameters
    only.
    """

    #: name -> constraint of every parameter; filled by subclasses.
    _parameter_constraints: dict = {}

    # -- hooks ---------------------------------------------------------------
    def _validate(self, params: dict[str, np.ndarray]) -> None:
        """Cross-parameter checks, after ``_parameter_constraints``."""

    def _prepare(self, params, dt: float, dtype: np.dtype) -> dict[str, Any]:
        raise NotImplementedError

    def _new_state(self, shape, dtype, prepared):
        raise NotImplementedError

    def _integrate(self, state, current, dt: float, prepared) -> None:
        raise NotImplementedError

    def _margin(self, state, prepared) -> np.ndarray:
        raise NotImplementedError

    def _reset(self, state, spiked: np.ndarray, prepared) -> None:
        raise NotImplementedError

    # -- optional: closed-form advance of neurons that cannot spike -----------
    def _linear(self, prepared) -> tuple[float, float, float] | None:
        """``(decay, gain, offset)`` when, between spikes and outside the
        refractory period, the potential follows ``v <- decay * v + gain * I +
        offset`` with ``0 < decay <= 1`` and ``gain > 0``; None for other models.

        For such models the simulator may advance neurons that provably cannot
        spike during a window of steps in one closed-form update
        (:meth:`_advance`) instead of step by step (see ``stdp_lab._quiet``).
        """
        return None

    def _adaptation(self, prepared):
        """``(theta_plus, theta_decay, tau_theta)`` of an adaptive threshold held
        in ``state.theta``, or None for models without one: the increment at
        each spike and the decay factor per step (in the state's dtype,
        scalars or per-neuron arrays), and the decay time constant in ms
        (float64). The simulator uses them to share the increments of a
        learning batch and to merge its thresholds (``stdp_lab.network``)."""
        return None

    def share_adaptation(self, state, spikes, dt: float, spiked=None) -> None:
        """Raise every sample's threshold by the other samples' spikes, in place.

        For models with an adaptive threshold (:meth:`_adaptation`), while a
        batch learns: the learned thresholds are shared by the batch, as its
        weights are (see :mod:`stdp_lab.network`), so a spike of neuron ``j``
        in any sample adds ``theta_plus`` to ``theta_j`` of all samples; its
        own sample already got it in :meth:`step`. ``spiked`` may give
        ``np.flatnonzero(spikes)`` when the caller has it already.
        """
        theta = state.theta
        prepared = self._prepared(dt, theta.dtype, theta.shape[1:])
        plus = self._adaptation(prepared)[0]
        n_samples = theta.shape[0]
        n_neurons = theta[0].size
        if spiked is None:
            spiked = spikes.ravel().nonzero()[0]
        if not spiked.size:
            return
        total = np.bincount(spiked % n_neurons, minlength=n_neurons)  # per neuron
        cols = total.nonzero()[0]  # neurons that spiked in some sample
        others = total[cols] - spikes.reshape(n_samples, -1)[:, cols]  # (B, n)
        if plus.ndim:  # per-neuron values
            plus = np.broadcast_to(plus, theta.shape[1:]).reshape(-1)[cols]
        rows = theta.reshape(n_samples, -1)  # a view: the state is contiguous
        rows[:, cols] += others.astype(theta.dtype) * plus

    def _threshold_floor(self, state, prepared, n_steps: int):
        """Lowest threshold from now to ``n_steps`` steps on if no neuron spikes
        (a scalar or an array of the state's shape)."""
        return prepared["v_thresh"]

    def _advance(self, state, drive: np.ndarray, n_steps: int, prepared) -> None:
        """Advance every neuron ``n_steps`` steps in closed form, in place.

        Valid for the neurons that neither spike nor are refractory during
        those steps (the caller overwrites the others). ``drive`` (flat, one
        value per neuron) is ``sum_s decay**(n_steps - 1 - s) * I_s`` over the
        steps' currents, so that
        ``v_n = decay**n * v_0 + gain * drive + offset * sum_j decay**j``.
        """
        decay, gain, offset = (float(c) for c in self._linear(prepared))
        v = state.v.reshape(-1)  # a view: the state is contiguous
        v *= v.dtype.type(decay**n_steps)
        v += v.dtype.type(gain) * drive
        if offset:
            v += v.dtype.type(offset * sum(decay**j for j in range(n_steps)))

    # -- shared machinery ----------------------------------------------------
    def _checked_params(self, layer_shape) -> dict[str, np.ndarray]:
        params = validate_params(self, self._parameter_constraints)
        for name, value in params.items():
            arr = params[name] = np.asarray(value, dtype=np.float64)
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
        self._validate(params)
        return params

    def __setattr__(self, name, value):
        # Setting a parameter (directly or through set_params) drops the cached
        # constants, so that the check in _prepared stays cheap: the simulator
        # calls it at every time step.
        if name in _param_names(type(self)):
            self.__dict__.pop("_cache", None)
        super().__setattr__(name, value)

    def _prepared(self, dt: float, dtype: np.dtype, layer_shape) -> dict[str, Any]:
        cache = self.__dict__.get("_cache")
        if cache is not None and cache[0] == (dt, dtype, layer_shape):
            return cache[1]
        prepared = self._prepare(self._checked_params(layer_shape), dt, dtype)
        self._cache = ((dt, dtype, layer_shape), prepared)
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
        state : NamedTuple of ndarray, each of shape ``(n_samples, *layer_shape)``
            State from :meth:`initial_state` (or a previous step). Its arrays are
            updated in place.
        current : float or ndarray broadcastable to ``(n_samples, *layer_shape)``
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
        spikes : ndarray of bool, shape ``(n_samples, *layer_shape)``
            Which neurons spiked during the step.
        state : NamedTuple
            The same state object, updated.
        """
        spikes, _, state = self._step(state, current, dt, select)
        return spikes, state

    def _step(self, state, current, dt, select=None):
        """:meth:`step`, also returning the flat indices of the spiking neurons
        (``(spikes, spiked, state)``), which the simulator reuses."""
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
            if chosen is not spikes:
                spikes = np.logical_and(chosen, spikes)
        spiked = spikes.ravel().nonzero()[0]  # np.flatnonzero, minus wrappers
        if spiked.size:
            self._reset(state, spiked, prepared)
        return spikes, spiked, state


# ---------------------------------------------------------------------------
# Refractoriness shared by LIF, IF and AdaptiveLIF
# ---------------------------------------------------------------------------
# A refractory time below this fraction of dt is taken as rounding error, so a
# period of t_ref ms lasts ceil(t_ref / dt) steps even after many float32
# subtractions of dt.
_REFRACTORY_TOL = 1e-3


def _at(value, spiked, shape):
    """``value`` (a scalar or per-neuron array broadcastable to the layer shape
    ``shape[1:]``) at the flat indices ``spiked`` of a state of ``shape``."""
    if value.ndim == 0:
        return value
    per_neuron = np.broadcast_to(value, shape[1:])
    return per_neuron.flat[spiked % per_neuron.size]


def _hold_refractory(state, dt: float, prepared) -> None:
    """Clamp refractory neurons at ``v_reset`` and count their time down.

    Few neurons are refractory at a time, so only those are touched.
    """
    if not prepared["has_refractory"]:
        return
    refractory = state.refractory
    held = (refractory > 0).ravel().nonzero()[0]  # (faster than on the floats)
    if not held.size:
        return
    left = refractory.flat[held]
    clamped = held[left > _REFRACTORY_TOL * dt]
    state.v.flat[clamped] = _at(prepared["v_reset"], clamped, refractory.shape)
    left -= dt
    np.maximum(left, 0, out=left)
    refractory.flat[held] = left


def _reset_refractory(state, spiked, prepared) -> None:
    state.v.flat[spiked] = _at(prepared["v_reset"], spiked, state.v.shape)
    if prepared["has_refractory"]:
        state.refractory.flat[spiked] = _at(prepared["t_ref"], spiked, state.v.shape)


def _cast(params, dtype, *names) -> dict[str, np.ndarray]:
    return {n: params[n].astype(dtype) for n in names}


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
    v : ndarray of shape ``(n_steps, *shape)``
        Membrane potential at the end of each step (after any reset).
    spikes : ndarray of bool, shape ``(n_steps, *shape)``
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
