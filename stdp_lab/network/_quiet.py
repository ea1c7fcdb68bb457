"""Exact skipping of the neurons that cannot spike: the numpy engine's stepping
strategy for winner-take-all layers (private).

In a winner-take-all layer almost every neuron is far below threshold almost all
the time: after a Diehl & Cook winner fires, the others sit about 120 mV under
it. Stepping them one step at a time is most of the cost of inference. For
neuron models that are linear between spikes (:meth:`NeuronModel._linear
<stdp_lab.neurons.NeuronModel._linear>`: LIF, IF, adaptive LIF),

.. math:: v_{t+1} = d\\,v_t + g\\,(I_t - J_t) + c ,

with input current :math:`I_t \\ge 0` (non-negative weights, spikes as input)
and inhibitory current :math:`J_t \\ge 0`, the simulator takes windows of
``SimulationOptions.quiet_steps`` steps whose input currents are already known
(one sparse product per chunk of steps) and bounds, for every neuron, the
highest potential it could reach in the window without inhibition:

.. math:: \\max_{t \\le S} v_t \\le \\max(v_0,\\ d^S v_0 + c \\textstyle\\sum_{j<S} d^j)
          + g\\, d^{-(S-1)} \\textstyle\\sum_{s<S} d^{S-1-s} I_s

(without input the potential moves monotonically towards its fixed point, and
:math:`d \\le 1`). A neuron whose bound stays below its lowest threshold in the
window (:meth:`NeuronModel._threshold_floor`), that is not refractory and did
not spike in the step before the window, cannot spike in it whatever the others
do: inhibition only lowers the potential, and selection (``k=1``) only removes
candidates. Only the other neurons ("active": typically the winner of each
sample and a few rivals) are stepped, on compact arrays. At the end of the
window the quiet ones are advanced in closed form
(:meth:`NeuronModel._advance`),

.. math:: v_S = d^S v_0 + g \\textstyle\\sum_{s<S} d^{S-1-s} (I_s - J_s)
          + c \\textstyle\\sum_{j<S} d^j ,

where the weighted inhibition :math:`\\sum_s d^{S-1-s} J_s` is accumulated per
location from the active neurons' spikes (the inhibitory current is linear in
the spike counts of each location). The result is that of stepping every
neuron, up to float rounding (the tests compare spike counts exactly in float64);
neurons within a relative ``quiet_tolerance`` of threshold are stepped, so
rounding cannot turn a bound into a wrong skip.

Used on a layer fed by an encoder's spike steps (or another layer's) when the
competition is ``k=None`` or ``k=1``, in inference and while learning with a
rule made of pair terms (pair STDP, Diehl & Cook's rule: the pair sums only
need the spikes) and ``w_min >= 0``; while a batch learns adaptive
thresholds, the quiet neurons get the other samples' increments at the
window's end, decayed as stepping would decay them. Otherwise the simulator
steps every neuron.
"""

from __future__ import annotations

import numpy as np

from ..competition import one_per_group
from ..neurons._base import _param_names


def quiet_windows(run, record, options):
    """A :class:`QuietWindows` for the layer run ``run``, or None when the
    closed form does not apply (recording, a rule that reads every neuron's
    traces, a nonlinear neuron model, per-neuron parameters, ``k > 1``,
    negative weights) or does not pay (fewer than
    ``options.quiet_min_neurons`` neurons)."""
    population = run.population
    neuron = population.neuron
    if options.quiet_steps < 2 or record:
        return None
    if population.counts.size < options.quiet_min_neurons:
        return None
    plasticity = run.plasticity
    if plasticity is not None and (
        plasticity.reads_every_neuron or run.projection.layer.w_min < 0
    ):
        return None  # the rule reads every neuron's traces at every step
    if population.lateral is not None or run.lateral_plasticity is not None:
        return None  # a learned lateral inhibition: not the competition's current
    if any(np.ndim(getattr(neuron, name)) for name in _param_names(type(neuron))):
        return None  # compact states need scalar parameters
    prepared = neuron._prepared(population.dt, population.dtype, ())
    if neuron._linear(prepared) is None:
        return None
    k = population.competition.k
    if k is not None and 1 < k < population.shape[2]:
        return None
    if np.min(run.projection.weights, initial=0.0) < 0:
        return None  # currents could be negative: the bound needs I >= 0
    return QuietWindows(run, prepared, options)


class QuietWindows:
    """Steps one layer window by window, only its active neurons (private).

    :meth:`step` is called once per step with the chunk of input currents the
    step belongs to and the step's offset in it; windows start at offsets that
    are multiples of ``options.quiet_steps`` and never span two chunks. A
    window in which most neurons are active (the first steps of a
    presentation, or a layer with weak inhibition) is stepped by the layer's
    own step (``run.step``), so that such layers cost what they did.

    ``run`` holds the layer's ``population`` (whose state, counts and
    inhibition this class steps), ``plasticity`` (None, or an accumulator that
    needs only the spikes) and ``step(pre_spikes, current, pre_flat)``.
    """

    def __init__(self, run, prepared, options):
        population = run.population
        n_samples, n_locations, n_filters = population.shape
        self.window_steps = options.quiet_steps
        self.all_active_fraction = options.all_active_fraction
        self.tolerance = options.quiet_tolerance
        # While a batch learns, a spike raises that neuron's threshold in every
        # sample (NeuronModel.share_adaptation); quiet neurons get the window's
        # increments at its end, decayed as stepping would decay them.
        self.share = population.share
        if self.share:
            theta_plus, theta_decay, _ = population.neuron._adaptation(prepared)
            self.theta_plus = float(theta_plus)
            self.theta_decay = float(theta_decay)
        self.n_neurons = n_locations * n_filters
        self.run = run
        self.population = population
        self.prepared = prepared
        decay, gain, offset = (float(c) for c in population.neuron._linear(prepared))
        self.decay, self.gain, self.offset = decay, gain, offset
        self.n_filters = n_filters
        self.n_groups = n_samples * n_locations
        competition = population.competition
        # A flag, not the bound method: an attribute holding self._select would
        # make a reference cycle, kept (with the layer's arrays) until the
        # garbage collector's rare full pass.
        self.one_winner = competition.k == 1 and n_filters > 1
        self.inhibits = competition.inhibits
        self.spikes = np.zeros(population.shape, dtype=bool)  # this step's
        self.spiked = np.zeros(0, dtype=np.intp)  # their flat indices
        self.full = True  # the layer's own step, as at a presentation's start
        self.t = 0  # steps taken in the current window
        # Windows to step in full before the next check: none is quiet at rest.
        self.wait = 1
        self.backoff = 0  # the next wait after a mostly active window
        self.n_stepped = 0  # neuron-steps stepped (for tests and profiling)
        self.n_skipped = 0  # neuron-steps advanced in closed form

    # -- one window ----------------------------------------------------------
    def _begin(self, currents):
        """Start a window on ``currents`` of shape (S, B, L * F)."""
        population = self.population
        n_window = len(currents)
        if self.wait:  # recently mostly active: step the layer, check later
            self.wait -= 1
            self.n_window, self.t = n_window, 0
            self.n_stepped += n_window * population.counts.size
            return
        dtype = population.dtype
        d = self.decay
        flat = currents.reshape(n_window, -1)  # (S, B * L * F)
        powers = (d ** np.arange(n_window - 1, -1, -1)).astype(dtype)  # (S,)
        drive = powers @ flat  # (B * L * F,): sum_s d^(S-1-s) I_s
        state = population.state
        v = state.v.reshape(-1)
        rest = self.offset * sum(d**j for j in range(n_window))
        top = v * dtype.type(d**n_window)  # free potential at the window's end
        top += dtype.type(rest)
        np.maximum(top, v, out=top)
        top += dtype.type(self.gain * d ** -(n_window - 1)) * drive
        floor = population.neuron._threshold_floor(state, self.prepared, n_window)
        floor = np.reshape(floor, -1) if np.ndim(floor) else float(floor)
        tol = self.tolerance * (1.0 + float(np.max(np.abs(floor))))
        active = top >= floor - tol  # (B * L * F,)
        refractory = getattr(state, "refractory", None)
        if refractory is not None:
            active |= refractory.reshape(-1) > 0
        spiked = self._last_spiked()
        active[spiked] = True  # they inhibit, but not themselves
        ids = active.nonzero()[0]  # sorted flat indices
        self.n_window, self.t = n_window, 0
        if len(ids) > self.all_active_fraction * v.size:
            self.n_stepped += n_window * v.size
            self.wait = self.backoff  # 0, 2, 8, 8, ... windows without a check
            self.backoff = min(max(4 * self.backoff, 2), 8)
            if not self.full and self.inhibits:  # the layer's step reads its buffer
                population.competition.inhibitory_current(
                    self.spikes,
                    population.neighbours,
                    out=population.inhibition,
                    spiked=spiked,
                )
            self.full = True
            return
        self.full = False
        self.backoff = 0
        self.n_stepped += n_window * len(ids)
        self.n_skipped += n_window * (v.size - len(ids))
        self.powers, self.drive, self.ids = powers, drive, ids
        self.group = ids // self.n_filters  # (n_active,), sorted
        self.state = type(state)(*(a.reshape(-1)[ids] for a in state))
        self.currents = flat[:, ids]  # (S, n_active)
        self.weighted = np.zeros(self.n_groups, dtype)  # (B * L,)
        self.previous = None
        if self.share:
            self.neuron_id = ids % self.n_neurons  # (n_active,), within a sample
            self.shared = np.zeros(self.n_neurons)  # sum_s td^(S-1-s) spikes_s
            self.theta_powers = self.theta_decay ** np.arange(n_window - 1, -1, -1)
        if spiked.size and self.inhibits:  # inhibition at the window's first step
            counts = self._counts(spiked)
            self.weighted += powers[0] * counts
            self.previous = (counts, np.searchsorted(ids, spiked))

    def _last_spiked(self):
        """Flat indices of the spikes of the step before the window."""
        if self.full:
            return self.run_spikes.ravel().nonzero()[0] if self.t else self.spiked
        return self.spiked

    def _counts(self, spiked):
        """Spikes per location, (B * L,) in the run's dtype."""
        counts = np.bincount(spiked // self.n_filters, minlength=self.n_groups)
        return counts.astype(self.weighted.dtype)

    def _end(self):
        """Advance the quiet neurons in closed form, write back the active ones."""
        population = self.population
        state = population.state
        drive = self.drive
        if self.inhibits:
            total = population.competition.location_current(
                self.weighted, population.neighbours
            )
            drive = drive.reshape(-1, self.n_filters)  # (B * L, F)
            drive -= total[:, None].astype(drive.dtype, copy=False)
            drive = drive.reshape(-1)
        population.neuron._advance(state, drive, self.n_window, self.prepared)
        if self.share:
            theta = state.theta.reshape(-1, self.n_neurons)  # (B, L * F)
            theta += (self.theta_plus * self.shared).astype(theta.dtype)
        for full, part in zip(state, self.state, strict=True):
            full.reshape(-1)[self.ids] = part

    # -- one step ------------------------------------------------------------
    def step(self, currents, offset: int, pre_spikes, pre_flat) -> np.ndarray:
        """Step ``offset`` of the chunk ``currents`` (S_chunk, B, L * F), whose
        input spikes are ``pre_spikes`` (flat indices ``pre_flat``); returns this
        step's spikes, (B, L, F) bool (a reused buffer)."""
        if offset % self.window_steps == 0:
            self._begin(currents[offset : offset + self.window_steps])
        self.t += 1
        if self.full:
            self.run_spikes = self.run.step(pre_spikes, currents[offset], pre_flat)
            return self.run_spikes
        return self._step_active(self.t - 1, pre_spikes, pre_flat)

    def _step_active(self, t, pre_spikes, pre_flat):
        current = self.currents[t]  # (n_active,)
        population = self.population
        if self.previous is not None:
            counts, own = self.previous
            competition = population.competition
            inhibition = competition.location_current(counts, population.neighbours)
            inhibition = inhibition[self.group]  # (n_active,)
            inhibition[own] -= competition.inhibition  # not by its own spike
            current = current - inhibition
        spikes, local, self.state = population.neuron._step(
            self.state,
            current,
            population.dt,
            select=self._select if self.one_winner else None,
        )
        spiked = self.ids[local]
        population.counts.reshape(-1)[spiked] += 1
        flat = self.spikes.reshape(-1)
        flat[self.spiked] = False
        flat[spiked] = True
        self.spiked = spiked
        self.previous = None
        if self.inhibits and local.size:
            counts = self._counts(spiked)
            if t + 1 < self.n_window:  # felt at the next step of this window
                self.weighted += self.powers[t + 1] * counts
            self.previous = (counts, local)
        if self.share and local.size:
            total = np.bincount(spiked % self.n_neurons, minlength=self.n_neurons)
            others = total[self.neuron_id] - spikes  # (n_active,): own one counted
            theta = self.state.theta
            theta += (self.theta_plus * others).astype(theta.dtype)
            self.shared += self.theta_powers[t] * total
        if self.run.plasticity is not None:
            self.run.plasticity.add(pre_spikes, pre_flat, self.spikes, spiked)
        if t + 1 == self.n_window:
            self._end()
        return self.spikes

    def _select(self, candidates, margin):
        """``Competition(k=1).select`` on the compact arrays of the active neurons."""
        flat = candidates.nonzero()[0]
        chosen = one_per_group(flat, self.group[flat], margin[flat])
        if chosen is None:
            return candidates
        keep = np.zeros_like(candidates)
        keep[chosen] = True
        return keep
