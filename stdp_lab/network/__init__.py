"""Spiking layers and the simulator.

A :class:`Layer` is configuration only: a connectivity (which inputs reach which
neuron), a neuron model, a competition, optionally a plasticity rule, and the
weight bounds and normalisation applied after each update. Its learned
quantities travel as arrays in :class:`LayerParams` (weights and, for adaptive
neurons, the learned threshold offsets), and :func:`simulate` runs a stack of
layers on a stream of input spikes, one time step at a time, for a whole batch of
samples at once.

Order of work in one step of one layer (the same for every connectivity, neuron
and rule, and on both engines):

1. input current ``I = connectivity.currents(pre_spikes, weights)`` minus the
   inhibitory current that the competition computed from the previous step;
2. ``spikes = neuron.step(state, I, dt, select=competition.select)``;
3. inhibition for the next step from these spikes;
4. while learning: traces decay by ``exp(-dt / tau)``, the rule computes ``dw``
   from this step's spikes and the decayed traces (so a spike does not pair with
   itself or with a spike of the same step) and the layer adds ``fold(dw)`` to
   its accumulated change; then this step's spikes are added to the traces. A
   rule that reads more (:meth:`~stdp_lab.plasticity.Rule.reads`) also gets the
   potentials at the end of the step or the samples' reward at the step (an
   input of :func:`simulate`, like the spikes).

A layer may learn its lateral inhibition too (``Layer(lateral_rule=...)``): a
per-pair inhibitory matrix among the filters of each location, in
:class:`LayerParams` beside the weights, changed by its own rule (Vogels et
al.'s inhibitory STDP) from the layer's own spikes, at the same updates as the
weights.

The weights a presentation sees are those at its start: the changes of every
step and every sample are summed and applied at the end (then clipped to
``[w_min, w_max]`` and normalised), as a mini-batch of stochastic gradient
descent would, unless ``update_every`` applies them every few steps (Diehl &
Cook 2015 change them at every step). With ``batch_size=1`` the weights change
once per sample, so that to first order a batch of ``B`` samples makes the same
change as ``B`` samples one after the other and the learning rate means the
same thing at every batch size. The learned thresholds of adaptive neurons are
shared by the batch too: while learning, a spike in any sample raises that
neuron's threshold in all samples at once, so that a neuron winning many
samples of a batch is held back within the batch, as it would be if the
samples came one by one (with ``batch_size=1`` this is exactly the paper's
rule). Without learning each sample adapts on its own, so features never
depend on the other samples.

State (membrane potentials, traces, inhibition) is reset between batches: every
sample starts from rest, as in Diehl & Cook (2015), where the network is left to
relax between samples.

Two engines run a layer (``engine=`` of :func:`simulate` and of the
estimators). The numpy engine (``_numpy``) is the specification: its parts are
readable on their own, a :class:`~._projection.Projection` (connectivity and
weights: currents, fold, clip, normalise), a
:class:`~._population.Population` (neuron model, competition, state and the
batch's learned thresholds) and a plasticity accumulator (``_plasticity``:
stepped traces, or pair sums for rules made of outer products with spikes),
stepped in plain numpy, with two exact shortcuts (the currents of many steps in
one sparse product, and windows in which only the neurons near threshold are
stepped, ``_quiet``) tuned by :class:`SimulationOptions`. The compiled engine
(``_compiled``) runs the same step as one numba kernel per layer and batch, and
must agree with it.
"""

from ._layer import Layer, LayerParams, SimulationResult
from ._options import SimulationOptions
from ._simulate import measure_stdp_window, resolve_engine, simulate

__all__ = [
    "Layer",
    "LayerParams",
    "SimulationOptions",
    "SimulationResult",
    "simulate",
    "resolve_engine",
    "measure_stdp_window",
]
