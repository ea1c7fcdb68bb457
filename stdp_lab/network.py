"""Spiking layers and the simulation loop.

A :class:`Layer` is configuration only: a connectivity (which inputs reach which
neuron), a neuron model, a competition, optionally a plasticity rule, and the
weight bounds and normalisation applied after each update. Its learned
quantities travel as arrays in :class:`LayerParams` (weights and, for adaptive
neurons, the learned threshold offsets), and :func:`simulate` runs a stack of
layers on a stream of input spikes, one time step at a time, for a whole batch of
samples at once.

Order of work in one step of one layer (the same for every connectivity, neuron
and rule):

1. input current ``I = connectivity.currents(pre_spikes, weights)`` minus the
   inhibitory current that the competition computed from the previous step;
2. ``spikes = neuron.step(state, I, dt, select=competition.select)``;
3. inhibition for the next step from these spikes;
4. while learning: traces decay by ``exp(-dt / tau)``, the rule computes ``dw``
   from this step's spikes and the decayed traces (so a spike does not pair with
   itself or with a spike of the same step) and the layer adds ``fold(dw)`` to
   its accumulated change; then this step's spikes are added to the traces.
   Rules made of outer products with spikes (:meth:`Rule.pair_terms
   <stdp_lab.plasticity.Rule.pair_terms>`: pair STDP, Diehl & Cook's rule) get
   the same sums without stepping any trace: a trace is only read at the other
   side's spikes, and is computed there from running sums of
   ``exp(+-t dt / tau)`` over the spikes (see ``_PairSums``), so the cost grows
   with the spikes, not with ``n_samples * n_inputs`` per step.

The weights a presentation sees are those at its start: the changes of every
step and every sample are summed and applied at the end (then clipped to
``[w_min, w_max]`` and normalised), as a mini-batch of stochastic gradient
descent would. With ``batch_size=1`` the weights change once per sample (Diehl &
Cook 2015 change them at every step; within one presentation of 250 ms the
difference is small), so that to first order a batch of ``B`` samples makes the
same change as ``B`` samples one after the other and the learning rate means the
same thing at every batch size. Fixed weights within a presentation are also
what makes the simulation fast: the first layer's input currents for many steps
are one sparse product (:meth:`SpikeSteps.csr <stdp_lab.encoding.SpikeSteps.csr>`
times the layer's expanded weight matrix), whose cost grows with the number of
input spikes. The learned thresholds of adaptive neurons are shared by the batch
too: while learning, a spike in any sample raises that neuron's threshold in all
samples at once, so that a neuron winning many samples of a batch is held back
within the batch, as it would be if the samples came one by one (with
``batch_size=1`` this is exactly the paper's rule). Without learning each sample
adapts on its own, so features never depend on the other samples.

A first layer of linear neurons (LIF, IF, adaptive LIF) with ``k=None`` or
``k=1`` (learning, if at all, with pair sums) is stepped in windows of a few
steps in which only the
neurons that could reach threshold are stepped; the others (after a winner's
inhibition, nearly all) are advanced in closed form at the window's end, with
the same spikes as stepping them (see ``stdp_lab._quiet``).

State (membrane potentials, traces, inhibition) is reset between batches: every
sample starts from rest, as in Diehl & Cook (2015), where the network is left to
relax between samples.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np
from sklearn.base import BaseEstimator

from . import _quiet
from ._validation import check_scalar
from .competition import make_competition
from .connectivity import expanded_currents
from .neurons import make_neuron
from .plasticity import Activity, make_rule

__all__ = [
    "Layer",
    "LayerParams",
    "SimulationResult",
    "simulate",
    "measure_stdp_window",
]


class LayerParams(NamedTuple):
    """Learned quantities of one layer.

    Attributes
    ----------
    weights : ndarray of shape connectivity.weight_shape
        Synaptic weights, ``(1 | n_locations, patch_size, n_filters)``.
    theta : ndarray of shape (n_locations, n_filters) or None
        Learned threshold offsets of adaptive neurons (Diehl & Cook 2015), kept from
        sample to sample; None for neuron models without an adaptive threshold.
    """

    weights: np.ndarray
    theta: np.ndarray | None = None


class SimulationResult(NamedTuple):
    """What :func:`simulate` returns.

    Attributes
    ----------
    counts : list of ndarray of shape (n_samples, n_locations, n_filters)
        Spike counts of each layer over the presentation.
    params : list of LayerParams
        The layers' parameters after the presentation (new arrays if learning,
        the given ones otherwise).
    records : dict
        ``records[name][i]`` holds the recorded quantity of layer ``i`` as an
        array of shape (n_timesteps, n_samples, n_locations, n_filters), for each
        name asked for in ``record`` ("spikes", "v").
    """

    counts: list
    params: list
    records: dict


class Layer(BaseEstimator):
    """A spiking layer: connectivity, neuron model, competition and plasticity.

    Parameters
    ----------
    connectivity : Connectivity
        ``Dense``, ``LocallyConnected2D`` or ``Conv2D`` (or any object with the
        same methods).
    neuron : str or NeuronModel, default=None
        Neuron model or its name; None means ``"adaptive_lif"``.
    competition : str or Competition, default=None
        Competition among filters at a location; None means no competition.
    rule : str or Rule, default=None
        Plasticity rule or its name; None means the layer does not learn.
    w_min, w_max : float, default=0.0, 1.0
        Weight bounds, applied after every update.
    norm : float or None, default=None
        If given, after each batch the incoming weights of every neuron are scaled
        to sum to ``norm`` (Diehl & Cook 2015 use 78.4 for 784 inputs).
    w_init : float, default=0.3
        Initial weights are uniform in ``[w_min, w_min + w_init * (w_max - w_min)]``.
    """

    def __init__(
        self,
        connectivity,
        neuron=None,
        competition=None,
        rule=None,
        w_min=0.0,
        w_max=1.0,
        norm=None,
        w_init=0.3,
    ):
        self.connectivity = connectivity
        self.neuron = neuron
        self.competition = competition
        self.rule = rule
        self.w_min = w_min
        self.w_max = w_max
        self.norm = norm
        self.w_init = w_init

    # -- resolved parts --------------------------------------------------------
    def _parts(self):
        check_scalar(self.w_min, "w_min", numbers.Real)
        check_scalar(
            self.w_max, "w_max", numbers.Real, low=self.w_min, low_inclusive=False
        )
        check_scalar(self.w_init, "w_init", numbers.Real, low=0.0, high=1.0)
        if self.norm is not None:
            check_scalar(self.norm, "norm", numbers.Real, low=0.0, low_inclusive=False)
        neuron = make_neuron("adaptive_lif" if self.neuron is None else self.neuron)
        competition = make_competition(self.competition)
        competition._check()
        rule = None if self.rule is None else make_rule(self.rule)
        return neuron, competition, rule

    @property
    def output_shape(self) -> tuple[int, int]:
        """``(n_locations, n_filters)``."""
        return (self.connectivity.n_locations, self.connectivity.n_filters)

    def initial_params(self, rng: np.random.Generator, dtype=np.float64) -> LayerParams:
        """Random initial weights and zero threshold offsets."""
        neuron, _, _ = self._parts()
        high = self.w_min + self.w_init * (self.w_max - self.w_min)
        weights = rng.uniform(self.w_min, high, size=self.connectivity.weight_shape)
        weights = weights.astype(dtype, copy=False)
        if self.norm is not None:
            weights = self.normalise(weights)
        theta = None
        if _has_theta(neuron, self.output_shape):
            theta = np.zeros(self.output_shape, dtype=dtype)
        return LayerParams(weights, theta)

    def normalise(self, weights: np.ndarray) -> np.ndarray:
        """Scale each neuron's incoming weights to sum to ``norm`` (in place)."""
        if self.norm is None:
            return weights
        total = weights.sum(axis=1, keepdims=True)  # (1|L, 1, F)
        np.divide(self.norm, total, out=total, where=total > 0)
        weights *= total
        return weights


def _has_theta(neuron, layer_shape) -> bool:
    state = neuron.initial_state((1, *layer_shape), np.float64)
    return hasattr(state, "theta")


class _LayerRun:
    """Per-simulation working memory of one layer (private).

    Holds the resolved parts, the neuron state, traces and every buffer the step
    loop writes into, all allocated once per call of :func:`simulate`.
    """

    def __init__(self, layer, params, n_samples, dtype, dt, learn):
        conn = layer.connectivity
        self.layer = layer
        self.conn = conn
        self.dt = dt
        self.neuron, self.competition, self.rule = layer._parts()
        self.learn = learn and self.rule is not None  # weights change
        self.adapt = learn and params.theta is not None  # thresholds are learned
        shape = (n_samples, conn.n_locations, conn.n_filters)  # (B, L, F)
        conn.validate_weights(params.weights)
        self.weights = self.given_weights = params.weights
        # The weights stay fixed between updates, so the input current of a step
        # is one product with the layer's expanded (n_inputs, L * F) matrix, or
        # a sum of its rows of the inputs that spiked when few did (built on
        # first use: shared weights fed in chunks never need it).
        self._expanded = None
        self.shape = shape
        self.dtype = dtype
        self.index = conn.index  # (L, K)
        self.member = None  # inputs -> (location, patch entry) pairs, on demand
        # A dense layer reads its input as one patch: a view, no gather.
        n_locations, patch_size = self.index.shape
        self.identity = n_locations == 1 and np.array_equal(
            self.index[0], np.arange(conn.n_inputs)
        )
        self.theta0 = params.theta
        self.state = self.neuron.initial_state(shape, dtype)
        if params.theta is not None:
            if not hasattr(self.state, "theta"):
                raise ValueError(
                    "params.theta is given but the neuron model "
                    f"{type(self.neuron).__name__} has no adaptive threshold"
                )
            self.state.theta[...] = params.theta  # (B, L, F) <- (L, F)
        self.share_theta = self.adapt and n_samples > 1
        self.counts = np.zeros(shape, np.int32)  # spikes of the presentation
        self.select = self.competition.select if self.competition.k else None
        self.inhibition = np.zeros(shape, dtype) if self.competition.inhibits else None
        neighbours = self.competition.neighbour_matrix(conn.output_grid)
        self.neighbours = None if neighbours is None else neighbours.astype(dtype)
        if self.learn:
            self.dw = np.zeros(np.shape(self.weights), dtype)  # (1|L, K, F)
            self.pre_specs = self.rule.pre_traces()
            self.post_specs = self.rule.post_traces()
            self.rule_state = self.rule.initial_state(
                (conn.n_locations, conn.n_filters), dtype
            )
            terms = self.rule.pair_terms() if self.rule_state is None else None
            self.pair_sums = None if terms is None else _PairSums(self, terms)
            # Rules called at every step read stepped traces: pre traces in the
            # input layout (B, N), gathered into patches when the rule reads
            # them; post traces (B, L, F). The pair sums need none.
            stepped = self.pair_sums is None
            self.pre_traces = (
                [np.zeros((n_samples, conn.n_inputs), dtype) for _ in self.pre_specs]
                if stepped
                else []
            )
            self.post_traces = (
                [np.zeros(shape, dtype) for _ in self.post_specs] if stepped else []
            )
            self.pre_decay = [dtype.type(np.exp(-dt / s.tau)) for s in self.pre_specs]
            self.post_decay = [dtype.type(np.exp(-dt / s.tau)) for s in self.post_specs]

    @property
    def expanded(self) -> np.ndarray:
        """The expanded (n_inputs, L * F) matrix of the current weights."""
        if self._expanded is None:
            self._expanded = self.conn.expand(self.weights)
        return self._expanded

    def spread(self, inputs: np.ndarray):
        """The (location, patch entry) pairs that each of ``inputs`` feeds.

        Returns ``(event, lk)``: for every pair, the position in ``inputs`` of
        the input and ``l * K + k`` with ``index[l, k] == inputs[event]``.
        """
        if self.member is None:
            flat = self.index.reshape(-1)  # (L * K,), input of each (l, k)
            order = np.argsort(flat, kind="stable")
            self.member_ptr = np.searchsorted(
                flat[order], np.arange(self.conn.n_inputs + 1)
            )  # (N + 1,)
            self.member = order  # (L * K,): l * K + k, grouped by input
        counts = np.diff(self.member_ptr)[inputs]  # (n,)
        event = np.repeat(np.arange(len(inputs)), counts)
        within = np.arange(len(event)) - np.repeat(np.cumsum(counts) - counts, counts)
        lk = self.member[np.repeat(self.member_ptr[inputs], counts) + within]
        return event, lk

    def chunk_currents(self, spikes) -> np.ndarray:
        """Input currents of several steps from their spikes in one product.

        ``spikes`` is a scipy CSR matrix of shape (n_steps * B, N); returns an
        array of shape (n_steps * B, L * F). Shared (convolutional) weights
        multiply the spiking patch entries (rows (step, sample, location)) by
        the (K, F) filters, so the cost grows with the spikes times the
        locations each input feeds, not with the (mostly zero) expanded matrix.
        """
        n_rows = spikes.shape[0]
        n_samples, n_locations, n_filters = self.shape
        if self.weights.shape[0] == n_locations or n_locations == 1:
            return np.asarray(spikes @ self.expanded, dtype=self.dtype)
        import scipy.sparse as sp

        row = np.repeat(np.arange(n_rows), np.diff(spikes.indptr))  # (nnz,)
        event, lk = self.spread(spikes.indices)
        loc, k = np.divmod(lk, self.index.shape[1])
        patches = sp.csr_array(
            (np.ones(len(lk), self.dtype), (row[event] * n_locations + loc, k)),
            shape=(n_rows * n_locations, self.index.shape[1]),
        )  # (rows * L, K)
        current = np.asarray(patches @ self.weights[0], dtype=self.dtype)
        return current.reshape(n_rows, n_locations * n_filters)

    def patches(self, x: np.ndarray) -> np.ndarray:
        """``x`` of shape (B, N) as patches (B, L, K) (a view for dense layers)."""
        return x[:, None, :] if self.identity else x[:, self.index]

    def step(self, pre_spikes: np.ndarray, current=None, pre_flat=None) -> np.ndarray:
        """One step; ``current`` (B, L * F) is computed here unless given, and
        ``pre_flat`` (the flat indices of ``pre_spikes``) found when needed."""
        if current is None:
            current = expanded_currents(self.expanded, pre_spikes)  # (B, L * F)
        current = current.reshape(self.shape)  # (B, L, F)
        if self.inhibition is not None:
            current -= self.inhibition
        # With the few spikes' flat indices, found once by the neuron's reset
        # and reused by everything below.
        spikes, spiked, self.state = self.neuron._step(
            self.state, current, self.dt, select=self.select
        )
        self.counts.reshape(-1)[spiked] += 1
        if self.inhibition is not None:
            self.competition.inhibitory_current(
                spikes, self.neighbours, out=self.inhibition, spiked=spiked
            )
        if self.share_theta:
            # Every sample's threshold also rises with the other samples' spikes.
            self.neuron.share_adaptation(self.state, spikes, self.dt, spiked=spiked)
        if self.learn:
            self._learn(pre_spikes, pre_flat, spikes, spiked)
        return spikes

    def _learn(self, pre_spikes, pre_flat, post_spikes, post_flat):
        if self.pair_sums is not None:  # no traces to step
            self.pair_sums.add(pre_spikes, pre_flat, post_flat)
            return
        dtype = self.dtype
        for trace, decay in zip(self.pre_traces, self.pre_decay, strict=False):
            trace *= decay
        for trace, decay in zip(self.post_traces, self.post_decay, strict=False):
            trace *= decay
        pre = Activity(
            self.patches(pre_spikes),
            tuple(self.patches(trace) for trace in self.pre_traces),  # (B, L, K)
            self.dt,
        )
        post = Activity(post_spikes, tuple(self.post_traces), self.dt)
        if self.rule_state is None:
            dw = self.rule.delta(pre, post, self.weights)
        else:
            dw, self.rule_state = self.rule.delta(
                pre, post, self.weights, state=self.rule_state
            )
        self.dw += self.conn.fold(np.asarray(dw, dtype=dtype))  # (1|L, K, F)
        _add_spikes(self.pre_traces, self.pre_specs, pre_spikes)
        _add_spikes(self.post_traces, self.post_specs, post_spikes)

    def update_weights(self) -> None:
        """Apply the changes accumulated since the last update (then clip)."""
        if self.pair_sums is not None:
            sums, n_post = self.pair_sums.finish()
            dw = self.rule.delta_from_sums(sums, n_post, self.weights)
            self.dw += self.conn.fold(np.asarray(dw, dtype=self.dtype))
        if self.weights is self.given_weights:  # never write into the caller's
            self.weights = self.weights + self.dw
        else:
            self.weights += self.dw
        np.clip(self.weights, self.layer.w_min, self.layer.w_max, out=self.weights)
        self.dw[...] = 0
        self._expanded = None

    def params(self, duration: float) -> LayerParams:
        """Parameters after a presentation of ``duration`` ms."""
        weights = self.weights
        if self.learn:
            self.update_weights()
            weights = self.layer.normalise(self.weights)
        theta = self.theta0
        if self.adapt:
            # The learned offset keeps every sample's increment and decays for
            # the whole batch, as if the samples came one by one:
            # theta_new = decay(T)^B * theta0 + increments, where the increments
            # are those of every sample (each row holds them all when shared).
            # With one sample per batch this is exactly Diehl & Cook's rule.
            end = self.state.theta  # (B, L, F)
            decay = np.exp(-duration / getattr(self.neuron, "tau_theta", np.inf))
            if self.share_theta:  # every row holds every sample's increments
                increments = end.mean(axis=0) - decay * theta  # (L, F)
            else:
                increments = (end - decay * theta).sum(axis=0)  # (L, F)
            theta = decay ** end.shape[0] * theta + increments
            theta = theta.astype(self.weights.dtype, copy=False)
        return LayerParams(weights, theta)


#: Floats the pair sums buffer before folding them in with one sparse product.
PAIR_BUFFER_FLOATS = 2**22

#: The pair sums weigh a spike at step t by exp(+-t dt / tau) from a time origin
#: that moves forward at least every this many trace time constants, so float64
#: keeps a relative error below about 1e-16 * exp(PAIR_REBASE_TAUS).
PAIR_REBASE_TAUS = 16.0


class _PairSums:
    """Sums over steps and samples of the outer products of a rule's
    :meth:`~stdp_lab.plasticity.Rule.pair_terms` (private).

    One side of each product is spikes, so a trace is only ever needed at the
    other side's spikes, and no trace is stepped. With the per-step decay
    ``d = exp(-dt / tau)`` and steps ``t`` counted from an origin that moves
    forward at weight updates and every ``PAIR_REBASE_TAUS`` time constants:

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

    def __init__(self, run, terms):
        n_samples, n_locations, n_filters = run.shape
        n_inputs = run.conn.n_inputs
        self.run = run
        self.terms = tuple(terms)
        for pre_q, post_q in self.terms:
            if "spikes" not in (pre_q, post_q):
                raise ValueError(
                    "pair_terms must pair every quantity with spikes, got "
                    f"{(pre_q, post_q)!r}"
                )
        patch_size = run.index.shape[1]
        self.sums = [np.zeros((n_locations, patch_size, n_filters)) for _ in self.terms]
        self.counted = np.zeros((n_locations, n_filters), np.int64)  # at last finish
        self.events = [[] for _ in self.terms]
        self.n_buffered = [0] * len(self.terms)
        # H per presynaptic trace read at post spikes (in the run's dtype, like
        # a stepped trace); E and the coefficient each neuron carries per
        # postsynaptic trace read at pre spikes (float64: E(end) - E(s) cancels).
        self.pre = {
            q: (run.pre_specs[q], np.zeros((n_samples, n_inputs), run.dtype))
            for q, p in self.terms
            if p == "spikes" and q != "spikes"
        }
        self.post = {
            p: (
                run.post_specs[p],
                np.zeros((n_samples, n_inputs)),
                np.zeros(run.shape),
            )
            for q, p in self.terms
            if q == "spikes" and p != "spikes"
        }
        taus = [spec.tau for spec, *_ in (*self.pre.values(), *self.post.values())]
        self.rebase_every = (
            max(1, int(PAIR_REBASE_TAUS * min(taus) / run.dt)) if taus else np.inf
        )
        self.t = 0  # steps since the origin

    def add(self, pre_spikes, pre_flat, post_flat):
        """Take in one step: ``pre_flat`` holds the flat indices (b * N + i) of
        ``pre_spikes`` (or None to find them), ``post_flat`` those of the
        postsynaptic spikes ((b * L + l) * F + f)."""
        run, t, dt = self.run, self.t, self.run.dt
        n_samples, n_locations, n_filters = run.shape
        if pre_flat is None:
            pre_flat = pre_spikes.ravel().nonzero()[0]
        if post_flat.size:
            cell, f = np.divmod(post_flat, n_filters)
            b, loc = np.divmod(cell, n_locations)
            keys = loc * n_filters + f  # (n,)
            patches = (b * run.conn.n_inputs)[:, None] + run.index[loc]  # (n, K)
            for i, (pre_q, post_q) in enumerate(self.terms):
                if post_q != "spikes":
                    continue
                if pre_q == "spikes":
                    rows = pre_spikes.reshape(-1)[patches].astype(run.dtype)
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
        if self.n_buffered[i] >= PAIR_BUFFER_FLOATS:
            self._flush(i)

    def _flush(self, i):
        """Fold the buffered patches of term ``i`` into its sum."""
        import scipy.sparse as sp

        events = self.events[i]
        if not events:
            return
        n_samples, n_locations, n_filters = self.run.shape
        patch_size = self.run.index.shape[1]
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
        run, elapsed = self.run, self.t * self.run.dt
        for q, (spec, E, carried) in self.post.items():
            patches = run.patches(E)  # (B, L, K)
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

    def finish(self):
        """The sums and postsynaptic spike counts since the last call; resets them."""
        self._close()
        for i in range(len(self.terms)):
            self._flush(i)
        total = self.run.counts.sum(axis=0, dtype=np.int64)  # (L, F)
        sums = [x.astype(self.run.dtype) for x in self.sums]
        n_post = total - self.counted
        for x in self.sums:
            x[...] = 0
        self.counted = total
        return sums, n_post


def _add_spikes(traces, specs, spikes):
    for trace, spec in zip(traces, specs, strict=False):
        if spec.mode == "add":
            trace += spikes
        else:  # "reset": nearest-spike pairing, the trace jumps to 1
            trace[spikes] = 1


def simulate(
    layers: Sequence[Layer],
    params: Sequence[LayerParams],
    spikes_in: Iterable[np.ndarray],
    *,
    learn: bool = False,
    dt: float = 1.0,
    record: Sequence[str] = (),
    update_every: int | None = None,
) -> SimulationResult:
    """Run a stack of layers on a stream of input spikes, one step at a time.

    Parameters
    ----------
    layers : sequence of Layer
        Layer ``i + 1`` receives the spikes of layer ``i`` flattened in C order
        from ``(n_locations, n_filters)``, i.e. as an image
        ``(*layers[i].connectivity.output_grid, n_filters)``.
    params : sequence of LayerParams
        One per layer; not modified (learning works on copies).
    spikes_in : iterable of ndarray of bool, shape (n_samples, n_inputs)
        Input spikes, one array per time step of ``dt`` ms (an encoder's
        ``steps(...)``). The arrays may be reused buffers; they are read at once.
    learn : bool, default=False
        Apply each layer's plasticity rule (layers without one do not learn).
    dt : float, default=1.0
        Time step in ms.
    record : sequence of {"spikes", "v"}, default=()
        Quantities to keep at every step (memory grows with the number of steps,
        so only on request).
    update_every : int or None, default=None
        While learning, apply the accumulated weight changes every
        ``update_every`` steps (1: online learning, as in Diehl & Cook 2015 and
        BindsNET, for long continuous streams); None: once, at the end of the
        presentation (fastest: the first layer's currents of many steps are then
        one sparse product). Normalisation happens at the end in both cases.

    Returns
    -------
    SimulationResult
        Spike counts per layer, parameters after the run, and the records.
    """
    check_scalar(dt, "dt", numbers.Real, low=0.0, low_inclusive=False)
    if len(layers) != len(params) or not layers:
        raise ValueError(
            "layers and params must be non-empty and of equal length, got "
            f"{len(layers)} "
            f"layers and {len(params)} params"
        )
    for name in record:
        if name not in ("spikes", "v"):
            raise ValueError(f"record must hold 'spikes' or 'v', got {name!r}")
    if update_every is not None:
        check_scalar(update_every, "update_every", numbers.Integral, low=1)
    with _blas_single_thread():
        return _simulate(layers, params, spikes_in, learn, dt, record, update_every)


_CONTROLLER = None


def _blas_single_thread():
    """Context in which BLAS uses one thread.

    The products of one time step are small (well under a millisecond), and a
    threaded BLAS spends more time waking its threads than computing; on a busy
    machine it can be 100 times slower. Parallel work belongs to ``n_jobs``
    (samples split across processes), as in scikit-learn.
    """
    global _CONTROLLER
    if _CONTROLLER is None:
        from threadpoolctl import ThreadpoolController  # a scikit-learn dependency

        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1, user_api="blas")


#: Bytes of first-layer input currents computed in one sparse product.
CURRENT_CHUNK_BYTES = 16 * 2**20


def _largest_divisor(n: int, at_most: int) -> int:
    return max(d for d in range(1, min(n, at_most) + 1) if n % d == 0)


def _simulate(
    layers, params, spikes_in, learn, dt, record, update_every=None
) -> SimulationResult:
    runs = None
    counts = None
    records = {name: [[] for _ in layers] for name in record}
    n_steps = 0
    # Input that knows all its steps (an encoder's SpikeSteps): the first layer's
    # currents for a chunk of steps are one sparse product.
    csr = getattr(spikes_in, "csr", None)
    if getattr(spikes_in, "t", 0):  # already partly consumed: step by step
        csr = None
    chunk = quiet = None
    for x in spikes_in:
        if runs is None:
            n_inputs = layers[0].connectivity.n_inputs
            if x.ndim != 2 or x.shape[1] != n_inputs:
                raise ValueError(
                    f"spikes_in must yield arrays of shape (n_samples, {n_inputs}), "
                    f"got {x.shape}"
                )
            n_samples = x.shape[0]
            dtype = np.dtype(params[0].weights.dtype)
            runs = [
                _LayerRun(layer, p, n_samples, dtype, dt, learn)
                for layer, p in zip(layers, params, strict=False)
            ]
            if csr is not None:
                n_outputs = runs[0].conn.n_outputs
                row_bytes = max(1, n_samples * n_outputs * dtype.itemsize)
                n_chunk = max(1, CURRENT_CHUNK_BYTES // row_bytes)
                if learn and update_every is not None:
                    # A chunk must not span a weight update.
                    n_chunk = _largest_divisor(update_every, n_chunk)
                n_total = len(spikes_in)
                quiet = _quiet.quiet_windows(runs[0], record)
        current = None
        if csr is not None:
            offset = n_steps % n_chunk
            if offset == 0:
                stop = min(n_steps + n_chunk, n_total)
                chunk = runs[0].chunk_currents(csr(n_steps, stop))  # (steps*B, L*F)
                chunk = chunk.reshape(stop - n_steps, n_samples, -1)
            current = chunk[offset]  # (B, L * F)
            pre_flat = spikes_in.step_indices(n_steps)
        else:
            pre_flat = None
        for i, run in enumerate(runs):
            if i == 0 and quiet is not None:
                spikes = quiet.step(chunk, offset, x, pre_flat)
            else:
                spikes = run.step(x, current, pre_flat)
            current = pre_flat = None
            for name in record:
                value = spikes if name == "spikes" else run.state.v
                records[name][i].append(value.copy())
            x = spikes.reshape(spikes.shape[0], -1)  # (B, L * F)
        n_steps += 1
        if learn and update_every is not None and n_steps % update_every == 0:
            for run in runs:
                if run.learn:
                    run.update_weights()
    if runs is None:
        raise ValueError("spikes_in must yield at least one time step")
    records = {
        name: [np.stack(r) for r in per_layer] for name, per_layer in records.items()
    }
    counts = [run.counts for run in runs]
    return SimulationResult(counts, [run.params(n_steps * dt) for run in runs], records)


def measure_stdp_window(rule, delays, *, dt: float = 1.0, weight: float = 0.5):
    """Weight change of one synapse for isolated pre/post pairs, through the simulator.

    For each delay ``d = t_post - t_pre`` (ms) a two-input dense layer with one
    non-leaky integrate-and-fire neuron is run: input 0 is the measured synapse
    (weight ``weight``, too weak to fire the neuron on its own), input 1 makes the
    neuron fire at ``t_post``. Each delay is a separate run, so the pairs stay
    isolated; the change of the measured synapse is returned.

    Parameters
    ----------
    rule : str or Rule
    delays : array-like of float
        ``t_post - t_pre`` in ms, multiples of ``dt``; positive means the
        pre-synaptic spike comes first.
    dt : float, default=1.0
        Time step in ms.
    weight : float, default=0.5
        Weight of the measured synapse in [0, 1).

    Returns
    -------
    dw : ndarray of shape (n_delays,)
    """
    from .connectivity import Dense
    from .neurons import IF

    delays = np.asarray(delays, dtype=np.float64)
    steps = np.rint(delays / dt).astype(int)  # (n,)
    n = len(steps)
    start = int(np.abs(steps).max(initial=0)) + 1
    t_pre = np.where(steps >= 0, start, start - steps)
    t_post = t_pre + steps
    n_steps = int(max(t_pre.max(), t_post.max())) + 2
    train = np.zeros((n_steps, n, 2), dtype=bool)  # (T, B, inputs)
    train[t_pre, np.arange(n), 0] = True
    train[t_post, np.arange(n), 1] = True
    conn = Dense(2, n_filters=1)
    layer = Layer(
        conn,
        neuron=IF(v_thresh=1.0, v_reset=0.0, t_ref=0.0),
        rule=rule,
        w_min=-1e6,
        w_max=1e6,
    )
    params = LayerParams(np.array([[[weight], [1.0 / dt]]]))  # (1, 2, 1)
    # One sample per layer run keeps each pair isolated from the others' updates.
    dw = np.empty(n)
    for i in range(n):
        out = simulate([layer], [params], iter(train[:, i : i + 1]), learn=True, dt=dt)
        dw[i] = out.params[0].weights[0, 0, 0] - weight
    return dw
