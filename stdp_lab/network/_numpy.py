"""The numpy engine: one layer over one presentation, step by step (private).

The readable reference: each part (:class:`~._projection.Projection`,
:class:`~._population.Population`, a plasticity accumulator) is stepped in
plain numpy, and the compiled engine must agree with it. Two strategies speed
it up without changing the result beyond float rounding, both tunable through
:class:`~._options.SimulationOptions`: the input currents of many steps are one
sparse product when the input knows all its steps (an encoder's
:class:`~stdp_lab.encoding.SpikeSteps`), and winner-take-all layers are stepped
in windows in which only the neurons near threshold are stepped
(:mod:`._quiet`).
"""

from __future__ import annotations

import numpy as np

from ..encoding import SpikeSteps
from . import _quiet
from ._layer import LayerParams
from ._plasticity import (
    LateralSynapses,
    SteppedTraces,
    check_reward,
    make_accumulator,
    reward_at,
)
from ._population import Population
from ._projection import Projection

__all__ = ["LayerRun", "run_layer"]


class LayerRun:
    """One layer's parts for one simulation: projection, population and, while
    learning, the plasticity accumulators (of the feedforward weights and of a
    learned lateral inhibition)."""

    def __init__(
        self, layer, params, n_samples, dtype, dt, learn, options, reward=None
    ):
        neuron, competition, rule = layer._parts()
        lateral_rule = layer._lateral_rule() if learn else None
        lateral = params.lateral
        if lateral_rule is not None and lateral is None:
            lateral = layer.initial_lateral(dtype)  # the competition's, to learn
        self.layer = layer
        self.projection = Projection(layer, params.weights, n_samples, dtype)
        adapt = learn and params.theta is not None
        self.population = Population(
            neuron,
            competition,
            layer.connectivity,
            params.theta,
            n_samples,
            dtype,
            dt,
            adapt,
            lateral,
        )
        self.lateral = lateral
        self.plasticity = self.lateral_plasticity = None
        self.reads = ()
        if learn and rule is not None:
            self.plasticity = make_accumulator(
                rule, self.projection, self.population.counts, dt, options
            )
            self.reads = rule.reads()
        if lateral_rule is not None:
            self.lateral_synapses = LateralSynapses(
                lateral, self.population.shape, dtype
            )
            rule_state = lateral_rule.initial_state(self.population.shape[1:], dtype)
            self.lateral_plasticity = SteppedTraces(
                lateral_rule, rule_state, self.lateral_synapses, dt
            )
            self.reads = (*self.reads, *lateral_rule.reads())
        self.reward = None
        if "reward" in self.reads:
            if reward is None:
                reader = rule if "reward" in rule.reads() else lateral_rule
                raise ValueError(
                    f"the rule {type(reader).__name__} of this layer is "
                    "reward-modulated: pass simulate(..., reward=...), one reward "
                    "per sample (or per step and sample)"
                )
            self.reward = check_reward(reward, n_samples)
        self.t = 0  # steps taken

    def step(self, pre_spikes, current=None, pre_flat=None) -> np.ndarray:
        """One step; ``current`` (B, L * F) is computed here unless given, and
        ``pre_flat`` (the flat indices of ``pre_spikes``) found when needed."""
        if current is None:
            current = self.projection.currents(pre_spikes)  # (B, L * F)
        spikes, spiked = self.population.step(current)
        extra = {}
        if self.reads:  # what the rules read besides spikes and traces
            if "v" in self.reads:
                extra["v"] = self.population.state.v
            if "reward" in self.reads:
                extra["reward"] = reward_at(self.reward, self.t)
        if self.plasticity is not None:
            self.plasticity.add(pre_spikes, pre_flat, spikes, spiked, **extra)
        if self.lateral_plasticity is not None:
            flat = spikes.reshape(spikes.shape[0], -1)  # (B, L * F)
            self.lateral_plasticity.add(flat, None, spikes, spiked, **extra)
        self.t += 1
        return spikes

    @property
    def learns(self) -> bool:
        return self.plasticity is not None or self.lateral_plasticity is not None

    def update_weights(self) -> None:
        """Apply the changes accumulated since the last update (then clip)."""
        if self.plasticity is not None:
            projection = self.projection
            projection.add(self.plasticity.finish(projection.weights))
        if self.lateral_plasticity is not None:
            synapses = self.lateral_synapses
            synapses.add(self.lateral_plasticity.finish(synapses.weights))
            self.population.set_lateral(synapses.weights)

    def params(self, duration: float) -> LayerParams:
        """Parameters after a presentation of ``duration`` ms."""
        if self.learns:
            self.update_weights()
        weights = self.projection.normalised()
        lateral = self.lateral
        if self.lateral_plasticity is not None:
            lateral = self.lateral_synapses.weights
        return LayerParams(weights, self.population.thresholds(duration), lateral)


def _largest_divisor(n: int, at_most: int) -> int:
    return max(d for d in range(1, min(n, at_most) + 1) if n % d == 0)


def run_layer(
    layer,
    params,
    spikes_in,
    *,
    learn,
    dt,
    record,
    update_every,
    options,
    emit,
    reward=None,
):
    """Run ``layer`` over the steps of ``spikes_in``.

    Returns ``(counts, params, records, spikes_out, info)``: the spike counts
    (B, L, F), the parameters after the presentation, ``{name: (T, B, L, F)
    array}`` for each recorded quantity, (if ``emit``) the layer's spikes as a
    :class:`~stdp_lab.encoding.SpikeSteps` for the next layer, and what the
    engine did (see :class:`~._layer.SimulationResult`). ``reward`` is the
    samples' reward, (B,) or (T, B), for rules that read it.
    """
    n_inputs = layer.connectivity.n_inputs
    run = quiet = chunk = None
    records = {name: [] for name in record}
    out_flat, out_counts = [], []
    n_steps = 0
    # Input that knows all its steps (an encoder's SpikeSteps): the currents
    # for a chunk of steps are one sparse product.
    csr = getattr(spikes_in, "csr", None)
    if getattr(spikes_in, "t", 0):  # already partly consumed: step by step
        csr = None
    for x in spikes_in:
        if run is None:
            if np.ndim(x) != 2 or np.shape(x)[1] != n_inputs:
                raise ValueError(
                    f"spikes_in must yield arrays of shape (n_samples, {n_inputs}), "
                    f"got {np.shape(x)}"
                )
            n_samples = x.shape[0]
            dtype = np.dtype(params.weights.dtype)
            run = LayerRun(layer, params, n_samples, dtype, dt, learn, options, reward)
            if csr is not None:
                n_outputs = layer.connectivity.n_outputs
                row_bytes = max(1, n_samples * n_outputs * dtype.itemsize)
                n_chunk = max(1, options.current_chunk_bytes // row_bytes)
                if learn and update_every is not None:
                    # A chunk must not span a weight update.
                    n_chunk = _largest_divisor(update_every, n_chunk)
                n_total = len(spikes_in)
                quiet = _quiet.quiet_windows(run, record, options)
        if csr is not None:
            offset = n_steps % n_chunk
            if offset == 0:
                stop = min(n_steps + n_chunk, n_total)
                chunk = run.projection.chunk_currents(csr(n_steps, stop))
                chunk = chunk.reshape(stop - n_steps, n_samples, -1)  # (S, B, L*F)
            pre_flat = spikes_in.step_indices(n_steps)
            if quiet is not None:
                spikes = quiet.step(chunk, offset, x, pre_flat)
            else:
                spikes = run.step(x, chunk[offset], pre_flat)
        else:
            spikes = run.step(x)
        for name in record:
            value = spikes if name == "spikes" else run.population.state.v
            records[name].append(value.copy())
        if emit:
            flat = spikes.ravel().nonzero()[0]
            out_flat.append(flat)
            out_counts.append(len(flat))
        n_steps += 1
        if run.learns and update_every is not None:
            if n_steps % update_every == 0:
                run.update_weights()
    if run is None:
        raise ValueError("spikes_in must yield at least one time step")
    records = {name: np.stack(values) for name, values in records.items()}
    spikes_out = None
    if emit:
        bounds = np.zeros(n_steps + 1, dtype=np.intp)
        np.cumsum(out_counts, out=bounds[1:])
        flat = np.concatenate(out_flat).astype(np.intp, copy=False)
        spikes_out = SpikeSteps(flat, bounds, n_samples, layer.connectivity.n_outputs)
    info = {"engine": "numpy"}
    if quiet is not None:
        info["neuron_steps_stepped"] = quiet.n_stepped
        info["neuron_steps_skipped"] = quiet.n_skipped
    counts = run.population.counts
    return counts, run.params(n_steps * dt), records, spikes_out, info
