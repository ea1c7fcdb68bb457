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

from ._base import LIFState, NeuronModel, run_current
from .izhikevich import (
    IZHIKEVICH_PRESETS,
    Izhikevich,
    IzhikevichState,
    StepResponses,
    izhikevich_step_responses,
)
from .lif import IF, LIF, AdaptiveLIF, AdaptiveLIFState

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
