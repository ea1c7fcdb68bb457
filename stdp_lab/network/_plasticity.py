"""Plasticity accumulators: a rule's weight change summed over the steps and
samples of a presentation (private).

Both accumulators take one step at a time (:meth:`add`) and give the change
since the last update (:meth:`finish`), folded to the layer's weight shape:

* :class:`SteppedTraces` keeps the traces the rule reads and calls its
  :meth:`~stdp_lab.plasticity.Rule.delta` at every step: the definition;
* :class:`PairSums` gets the same sums for rules made of outer products with
  spikes (:meth:`~stdp_lab.plasticity.Rule.pair_terms`) without stepping any
  trace, so its cost grows with the spikes.

Timing convention (both): at each step the traces decay by ``exp(-dt / tau)``,
the rule sees this step's spikes and the decayed traces (so a spike does not
pair with itself or with a spike of the same step), then this step's spikes
are added to the traces.
"""

from __future__ import annotations

import math

import numpy as np

from ..plasticity import Activity

__all__ = [
    "SteppedTraces",
    "PairSums",
    "LateralSynapses",
    "make_accumulator",
    "check_reward",
    "reward_at",
]


def make_accumulator(rule, projection, counts, dt, options):
    """The accumulator of ``rule``: :class:`PairSums` when the rule declares
    pair terms, has no running state, reads nothing but spikes and traces
    (:meth:`~stdp_lab.plasticity.Rule.reads`) and ``options.pair_sums``, else
    :class:`SteppedTraces`."""
    n_locations, n_filters = projection.shape[1:]
    rule_state = rule.initial_state((n_locations, n_filters), projection.dtype)
    terms = rule.pair_terms() if rule_state is None and not rule.reads() else None
    if terms is not None and options.pair_sums:
        return PairSums(rule, terms, projection, counts, dt, options)
    return SteppedTraces(rule, rule_state, projection, dt)


def check_reward(reward, n_samples: int, n_steps: int | None = None) -> np.ndarray:
    """``reward`` as float64 of shape (n_samples,) (the same at every step) or
    (n_steps, n_samples) (one row per step; ``n_steps`` is checked when
    known), with an error naming what is wrong."""
    reward = np.asarray(reward, dtype=np.float64)
    if reward.ndim == 1 and reward.shape == (n_samples,):
        pass
    elif reward.ndim == 2 and reward.shape[1] == n_samples:
        if n_steps is not None and len(reward) < n_steps:
            raise ValueError(
                f"reward holds {len(reward)} steps but the input has {n_steps}"
            )
    else:
        raise ValueError(
            f"reward must have shape (n_samples,) = ({n_samples},) or (n_steps, "
            f"n_samples), got {reward.shape}"
        )
    if not np.isfinite(reward).all():
        raise ValueError("reward must be finite")
    return reward


def reward_at(reward: np.ndarray, t: int) -> np.ndarray:
    """The samples' reward at step ``t`` (from :func:`check_reward`)."""
    if reward.ndim == 1:
        return reward
    if t >= len(reward):
        raise ValueError(f"reward holds {len(reward)} steps, the input has more")
    return reward[t]


class LateralSynapses:
    """The learned lateral inhibition of a layer seen as a projection, for a
    rule's accumulator (:class:`SteppedTraces`): the presynaptic side of the
    synapses at location ``l`` is the layer's own ``n_filters`` neurons there
    (a patch of size F, in the input layout (B, L * F)), the postsynaptic side
    the same neurons; the weights are the matrices (1 | L, F, F).

    Parameters
    ----------
    lateral : ndarray of shape (1 | n_locations, n_filters, n_filters)
    shape : tuple
        ``(n_samples, n_locations, n_filters)``.
    dtype : numpy dtype
    """

    def __init__(self, lateral, shape, dtype):
        self.weights = lateral
        self.shape = shape  # (B, L, F)
        self.dtype = np.dtype(dtype)
        self.n_inputs = shape[1] * shape[2]

    def patches(self, x: np.ndarray) -> np.ndarray:
        """The layer's activity (B, L * F) or (B, L, F) as patches (B, L, F)."""
        return x.reshape(self.shape)

    def fold(self, dw) -> np.ndarray:
        """A change (L, F, F) in the matrices' shape (summed over locations when
        they are shared), in their dtype."""
        dw = np.asarray(dw, dtype=self.dtype)
        if len(self.weights) == 1:
            return dw.sum(axis=0, keepdims=True)
        return dw

    def add(self, dw: np.ndarray) -> None:
        """Add a change of the matrices' shape, keep them >= 0 and their
        diagonal at 0 (a neuron does not inhibit itself); a change that is not
        finite raises ValueError."""
        if not np.isfinite(dw).all():
            raise ValueError(
                "the change of the lateral inhibition is not finite (NaN or "
                "infinity): lower the learning rate of the lateral rule"
            )
        lateral = self.weights + dw
        np.maximum(lateral, 0, out=lateral)
        n_filters = lateral.shape[-1]
        lateral[:, np.arange(n_filters), np.arange(n_filters)] = 0
        self.weights = lateral


class SteppedTraces:
    """Steps the traces a rule reads and sums its ``delta`` at every step.

    Presynaptic traces live in the input layout (B, N) and are gathered into
    patches (B, L, K) when the rule reads them; postsynaptic traces are (B, L,
    F). A rule with a running state (BCM's threshold) carries it from step to
    step.
    """

    #: Whether the rule reads every neuron's traces at every step (the quiet
    #: windows of the numpy engine only step the neurons near threshold).
    reads_every_neuron = True

    def __init__(self, rule, rule_state, projection, dt):
        n_samples = projection.shape[0]
        dtype = projection.dtype
        self.rule = rule
        self.rule_state = rule_state
        self.projection = projection
        self.dt = dt
        self.pre_specs = rule.pre_traces()
        self.post_specs = rule.post_traces()
        self.pre_traces = [
            np.zeros((n_samples, projection.n_inputs), dtype) for _ in self.pre_specs
        ]
        self.post_traces = [np.zeros(projection.shape, dtype) for _ in self.post_specs]
        self.pre_decay = [dtype.type(np.exp(-dt / s.tau)) for s in self.pre_specs]
        self.post_decay = [dtype.type(np.exp(-dt / s.tau)) for s in self.post_specs]
        self.dw = np.zeros(np.shape(projection.weights), dtype)  # (1|L, K, F)

    def add(self, pre_spikes, pre_flat, post_spikes, post_flat, v=None, reward=None):
        """Take in one step's spikes (the flat indices are not needed here) and,
        for a rule that reads them, the postsynaptic potential ``v`` (B, L, F)
        and the samples' reward ``reward`` (B,)."""
        projection = self.projection
        for trace, decay in zip(self.pre_traces, self.pre_decay, strict=True):
            trace *= decay
        for trace, decay in zip(self.post_traces, self.post_decay, strict=True):
            trace *= decay
        pre = Activity(
            projection.patches(pre_spikes),
            tuple(projection.patches(trace) for trace in self.pre_traces),  # (B,L,K)
            self.dt,
        )
        post = Activity(post_spikes, tuple(self.post_traces), self.dt, v, reward)
        weights = projection.weights
        if self.rule_state is None:
            dw = self.rule.delta(pre, post, weights)
        else:
            dw, self.rule_state = self.rule.delta(
                pre, post, weights, state=self.rule_state
            )
        self.dw += projection.fold(dw)  # (1|L, K, F)
        _add_spikes(self.pre_traces, self.pre_specs, pre_spikes)
        _add_spikes(self.post_traces, self.post_specs, post_spikes)

    def finish(self, weights):
        """The summed change since the last call (weights' shape); resets it."""
        dw = self.dw.copy()
        self.dw[...] = 0
        return dw


def _add_spikes(traces, specs, spikes):
    for trace, spec in zip(traces, specs, strict=True):
        if spec.mode == "add":
            trace += spikes
        else:  # "reset": nearest-spike pairing, the trace jumps to 1
            trace[spikes] = 1


class PairSums:
    """Sums over steps and samples of the outer products of a rule's
    :meth:`~stdp_lab.plasticity.Rule.pair_terms` (private).

    One side of each product is spikes, so a trace is only ever needed at the
    other side's spikes, and no trace is stepped. With the per-step decay
    ``d = exp(-dt / tau)`` and steps ``t`` counted from an origin that moves
    forward at weight updates and every ``SimulationOptions.pair_rebase_taus``
    time constants:

    * **a presynaptic trace at a postsynaptic spike** at step ``s`` is
      ``d**s * H``, where ``H`` accumulates ``d**-u`` for the presynaptic spikes
      at steps ``u < s`` (``"add"``), or holds that of the last one
      (``"reset"``);
    * **a postsynaptic trace at the presynaptic spikes**, summed over steps, is
      counted per postsynaptic spike. With ``E(t)`` the running sum of ``d**u``
      over the presynaptic spikes at steps ``u <= t``, the presynaptic spikes
      after a postsynaptic spike at step ``s`` add ``d**-s * (E(end) - E(s))``
      (``"add"``); with nearest pairing the trace is reset by the neuron's next
      spike at ``s'``, so ``d**-s * (E(s') - E(s))``. Each postsynaptic spike
      thus gives a patch of ``E`` times a coefficient, and every neuron one
      ``E(end)`` patch times the coefficient it carries (its trace at the
      origin plus its spikes' ``d**-s``, or its last spike's).

    A step costs a scatter of its input spikes and a gather of K values per
    postsynaptic spike; the patches are folded into the sums with one sparse
    product per buffer. The result equals stepping the traces and summing the
    rule's ``delta`` at every step (see the tests), to float64 rounding.
    """

    #: The sums need only the spikes (see :class:`SteppedTraces`).
    reads_every_neuron = False

    def __init__(self, rule, terms, projection, counts, dt, options):
        n_samples, n_locations, n_filters = projection.shape
        n_inputs = projection.n_inputs
        self.rule = rule
        self.projection = projection
        self.counts = counts  # the population's spike counts, (B, L, F)
        self.dt = dt
        self.dtype = projection.dtype
        self.buffer_floats = options.pair_buffer_floats
        self.terms = tuple(terms)
        pre_specs, post_specs = rule.pre_traces(), rule.post_traces()
        for pre_q, post_q in self.terms:
            if "spikes" not in (pre_q, post_q):
                raise ValueError(
                    "pair_terms must pair every quantity with spikes, got "
                    f"{(pre_q, post_q)!r}"
                )
        patch_size = projection.index.shape[1]
        self.sums = [np.zeros((n_locations, patch_size, n_filters)) for _ in self.terms]
        self.counted = np.zeros((n_locations, n_filters), np.int64)  # at last finish
        self.events = [[] for _ in self.terms]
        self.n_buffered = [0] * len(self.terms)
        # H per presynaptic trace read at post spikes (in the run's dtype, like
        # a stepped trace); E and the coefficient each neuron carries per
        # postsynaptic trace read at pre spikes (float64: E(end) - E(s) cancels).
        self.pre = {
            q: (pre_specs[q], np.zeros((n_samples, n_inputs), self.dtype))
            for q, p in self.terms
            if p == "spikes" and q != "spikes"
        }
        self.post = {
            p: (
                post_specs[p],
                np.zeros((n_samples, n_inputs)),
                np.zeros(projection.shape),
            )
            for q, p in self.terms
            if q == "spikes" and p != "spikes"
        }
        taus = [spec.tau for spec, *_ in (*self.pre.values(), *self.post.values())]
        self.rebase_every = (
            max(1, int(options.pair_rebase_taus * min(taus) / dt)) if taus else np.inf
        )
        self.t = 0  # steps since the origin

    def add(self, pre_spikes, pre_flat, post_spikes, post_flat):
        """Take in one step: ``pre_flat`` holds the flat indices (b * N + i) of
        ``pre_spikes`` (or None to find them), ``post_flat`` those of the
        postsynaptic spikes ((b * L + l) * F + f)."""
        projection, t, dt = self.projection, self.t, self.dt
        n_samples, n_locations, n_filters = projection.shape
        if pre_flat is None:
            pre_flat = pre_spikes.ravel().nonzero()[0]
        if post_flat.size:
            cell, f = np.divmod(post_flat, n_filters)
            b, loc = np.divmod(cell, n_locations)
            keys = loc * n_filters + f  # (n,)
            patches = (b * projection.n_inputs)[:, None] + projection.index[loc]
            for i, (pre_q, post_q) in enumerate(self.terms):
                if post_q != "spikes":
                    continue
                if pre_q == "spikes":
                    rows = pre_spikes.reshape(-1)[patches].astype(self.dtype)
                else:  # the trace before this step's spikes
                    spec, H = self.pre[pre_q]
                    rows = H.reshape(-1)[patches]
                    rows *= math.exp(-t * dt / spec.tau)
                self._push(i, rows, keys)
        for spec, H in self.pre.values():
            weight = math.exp(t * dt / spec.tau)
            if spec.mode == "add":
                H.reshape(-1)[pre_flat] += weight
            else:
                H.reshape(-1)[pre_flat] = weight
        for q, (spec, E, carried) in self.post.items():
            E.reshape(-1)[pre_flat] += math.exp(-t * dt / spec.tau)
            if not post_flat.size:
                continue
            weight = math.exp(t * dt / spec.tau)
            before = carried.reshape(-1)[post_flat]  # (n,)
            if spec.mode == "add":
                coef = np.full(len(post_flat), -weight)
                carried.reshape(-1)[post_flat] = before + weight
            else:
                coef = before - weight
                carried.reshape(-1)[post_flat] = weight
            rows = E.reshape(-1)[patches]  # E(s), this step's spikes included
            rows *= coef[:, None]
            for i, (pre_q, post_q) in enumerate(self.terms):
                if pre_q == "spikes" and post_q == q:
                    self._push(i, rows, keys)
        self.t = t + 1
        if self.t >= self.rebase_every:
            self._close()

    def _push(self, i, rows, keys):
        self.events[i].append((rows, keys))
        self.n_buffered[i] += rows.size
        if self.n_buffered[i] >= self.buffer_floats:
            self._flush(i)

    def _flush(self, i):
        """Fold the buffered patches of term ``i`` into its sum."""
        import scipy.sparse as sp

        events = self.events[i]
        if not events:
            return
        n_samples, n_locations, n_filters = self.projection.shape
        patch_size = self.projection.index.shape[1]
        rows = np.concatenate([e[0] for e in events])  # (n, K)
        keys = np.concatenate([e[1] for e in events])  # (n,): l * F + f
        n = len(keys)
        matrix = sp.csr_array(
            (np.ones(n, rows.dtype), (keys, np.arange(n))),
            shape=(n_locations * n_filters, n),
        )
        total = np.asarray(matrix @ rows)  # (L * F, K)
        total = total.reshape(n_locations, n_filters, patch_size)
        self.sums[i] += total.transpose(0, 2, 1)  # (L, K, F)
        self.events[i] = []
        self.n_buffered[i] = 0

    def _close(self):
        """Add the traces carried to the presynaptic spikes since the origin,
        then move the origin to the current step."""
        elapsed = self.t * self.dt
        for q, (spec, E, carried) in self.post.items():
            patches = self.projection.patches(E)  # (B, L, K)
            tail = np.matmul(
                patches.transpose(1, 2, 0), carried.transpose(1, 0, 2)
            )  # (L, K, F): sum over samples
            for i, (pre_q, post_q) in enumerate(self.terms):
                if pre_q == "spikes" and post_q == q:
                    self.sums[i] += tail
            carried *= math.exp(-elapsed / spec.tau)
            E[...] = 0
        for spec, H in self.pre.values():
            H *= math.exp(-elapsed / spec.tau)
        self.t = 0

    def finish(self, weights):
        """The weight change (folded to the weights' shape) since the last
        call, from the rule's :meth:`~stdp_lab.plasticity.Rule.delta_from_sums`;
        resets the sums."""
        self._close()
        for i in range(len(self.terms)):
            self._flush(i)
        total = self.counts.sum(axis=0, dtype=np.int64)  # (L, F)
        sums = [x.astype(self.dtype) for x in self.sums]
        n_post = total - self.counted
        for x in self.sums:
            x[...] = 0
        self.counted = total
        dw = self.rule.delta_from_sums(sums, n_post, weights)
        return self.projection.fold(dw)
