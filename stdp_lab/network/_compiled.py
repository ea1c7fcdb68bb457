"""The compiled engine: one layer over one presentation in a numba kernel
(private).

This module turns a layer's parts into the arrays and flags of the kernel in
:mod:`stdp_lab._numba.kernel` (their *compiled forms*), runs it, and hands the
result back through the same :class:`~._projection.Projection` and
:class:`~._population.Population` as the numpy engine, so that normalisation
and the batch's learned thresholds are computed by the same code. A part has a
compiled form when its class is listed here exactly (a subclass may change
the equations, so it runs on the numpy engine).
"""

from __future__ import annotations

import numpy as np

from ..competition import Competition
from ..connectivity import Conv2D, Dense, LocallyConnected2D
from ..encoding import SpikeSteps
from ..neurons import IF, LIF, AdaptiveLIF
from ..plasticity import DiehlCookSTDP, PairSTDP
from ._layer import LayerParams
from ._population import Population
from ._projection import Projection

__all__ = ["unsupported", "run_layer"]

_CONNECTIVITIES = (Dense, LocallyConnected2D, Conv2D)
_LINEAR_NEURONS = (LIF, IF, AdaptiveLIF)

#: Bytes of float64 plasticity sums the groups of a learning batch may hold.
SUMS_BYTES = 16 * 2**20
#: Most groups a learning batch is split into (their sums are added in order).
MAX_GROUPS = 8

#: Bytes of input currents a batch that shares its thresholds computes ahead.
CURRENT_CACHE_BYTES = 8 * 2**20

#: Fewest steps between two weight updates for the groups to run on several
#: threads between them (each meeting of the threads costs tens of
#: microseconds); closer updates run on one thread, with the same results.
MIN_PARALLEL_SEGMENT = 16


def _numba_missing() -> str | None:
    try:
        import numba  # noqa: F401
    except ImportError:
        return "numba, which is not installed (pip install numba)"
    return None


def unsupported(layer, learn: bool = True) -> str | None:
    """Why ``layer`` cannot run on the compiled engine, or None if it can
    (the rule matters only while learning)."""
    missing = _numba_missing()
    if missing is not None:
        return missing
    neuron, competition, rule = layer._parts()
    conn = layer.connectivity
    if type(conn) not in _CONNECTIVITIES:
        return f"the connectivity {type(conn).__name__} has no compiled form"
    if type(neuron) not in _LINEAR_NEURONS:
        return f"the neuron model {type(neuron).__name__} has no compiled form"
    if type(competition) is not Competition:
        return f"the competition {type(competition).__name__} has no compiled form"
    if learn and rule is not None and _rule_form(rule, np.float64) is None:
        return f"the rule {type(rule).__name__} has no compiled form"
    return None


def _rule_form(rule, dtype):
    """``(kind, parameters, terms)`` of a rule the kernel computes, or None.

    ``terms`` lists ``(term kind, trace index)``; the parameters are in the
    order :func:`stdp_lab._numba.kernel._apply_update` reads them.
    """
    from .._numba import kernel as K

    if type(rule) is PairSTDP:
        rule._check()
        kind = (
            K.PAIR_ADDITIVE
            if rule.weight_dependence == "additive"
            else K.PAIR_MULTIPLICATIVE
        )
        par = (rule.a_plus, rule.a_minus, rule.w_min, rule.w_max)
        terms = ((K.PRE_TRACE_AT_POST, 0), (K.POST_TRACE_AT_PRE, 0))
    elif type(rule) is DiehlCookSTDP:
        rule._check()
        kind = K.DIEHL_COOK
        par = (rule.learning_rate, rule.x_tar, rule.mu, rule.w_max)
        terms = ((K.PRE_TRACE_AT_POST, 0),)
    else:
        return None
    return kind, np.array(par, dtype=dtype), terms


def _traces(specs, dt):
    """Modes and per-step decay factors ``exp(-dt / tau)`` of traces."""
    from .._numba import kernel as K

    modes = np.array([K.ADD if s.mode == "add" else K.RESET for s in specs], np.int64)
    decay = np.array([np.exp(-dt / s.tau) for s in specs], np.float64)
    return modes, decay


def _neuron_form(neuron, dt, dtype, layer_shape):
    """Per-neuron parameter rows (see the kernel's DECAY, GAIN, ...) and flags."""
    from .._numba import kernel as K

    prepared = neuron._prepared(dt, dtype, layer_shape)
    decay, gain, offset = neuron._linear(prepared)
    rows = [None] * K.N_NEURON_PARAMS
    rows[K.DECAY], rows[K.GAIN], rows[K.OFFSET] = decay, gain, offset
    rows[K.V_RESET] = prepared["v_reset"]
    rows[K.V_THRESH] = prepared["v_thresh"]
    rows[K.T_REF] = prepared["t_ref"]
    adaptation = neuron._adaptation(prepared)
    rows[K.THETA_PLUS], rows[K.THETA_DECAY] = (
        (0.0, 1.0) if adaptation is None else (adaptation[:2])
    )
    npar = np.empty((K.N_NEURON_PARAMS, int(np.prod(layer_shape))), dtype)
    for r, value in enumerate(rows):
        npar[r] = np.broadcast_to(np.asarray(value, dtype), layer_shape).reshape(-1)
    return npar, bool(prepared["has_refractory"]), adaptation is not None


def _members(projection):
    ptr, lk = projection.members()
    return ptr.astype(np.int64), lk.astype(np.int64)


def _neighbours(competition, grid):
    """Neighbouring locations as CSR ``(ptr, idx)``; ptr of length 1 if none."""
    matrix = competition.neighbour_matrix(grid)
    if matrix is None:
        return np.zeros(1, np.int64), np.zeros(0, np.int64)
    rows, cols = np.nonzero(matrix)
    ptr = np.searchsorted(rows, np.arange(matrix.shape[0] + 1)).astype(np.int64)
    return ptr, cols.astype(np.int64)


def _input_events(spikes_in, n_inputs, n_threads):
    """The input's events per (sample, step): ``(ptr, inputs, n_samples,
    n_steps)``, from an encoder's SpikeSteps or any iterable of arrays."""
    from .._numba import kernel as K

    if isinstance(spikes_in, SpikeSteps) and spikes_in.t == 0:
        n_samples, n_features = spikes_in.shape
        if n_features != n_inputs:
            raise ValueError(
                f"spikes_in must yield arrays of shape (n_samples, {n_inputs}), "
                f"got {spikes_in.shape}"
            )
        ptr, inputs = spikes_in.by_sample(n_threads)
        return ptr, inputs, n_samples, spikes_in.n_timesteps
    flats, sizes, shape = [], [], None
    for x in spikes_in:
        if shape is None:
            shape = np.shape(x)
            if len(shape) != 2 or shape[1] != n_inputs:
                raise ValueError(
                    "spikes_in must yield arrays of shape (n_samples, "
                    f"{n_inputs}), got {shape}"
                )
        flat = np.flatnonzero(x)
        flats.append(flat)
        sizes.append(len(flat))
    if shape is None:
        raise ValueError("spikes_in must yield at least one time step")
    n_samples = shape[0]
    bounds = np.zeros(len(sizes) + 1, np.int64)
    np.cumsum(sizes, out=bounds[1:])
    ptr, inputs = K.by_sample(
        np.concatenate(flats).astype(np.int64), bounds, n_samples, n_inputs
    )
    return ptr, inputs, n_samples, len(bounds) - 1


def _groups(n_samples, learn, n_groups):
    """Boundaries of the sample groups: one per sample in inference, else
    ``n_groups`` (see :func:`_plastic`)."""
    if not learn:
        return np.arange(n_samples + 1, dtype=np.int64)
    return np.round(np.linspace(0, n_samples, n_groups + 1)).astype(np.int64)


def _plastic(terms, pre_specs, post_specs, n_samples, dt, conn, learn, share):
    """The kernel's plasticity arrays (see :func:`stdp_lab._numba.kernel._learn`)
    and the number of sample groups: one when the batch shares its thresholds
    (it steps on one thread), else at most MAX_GROUPS, fewer when their
    float64 sums would pass SUMS_BYTES; fixed by the batch and the layer,
    never by the number of threads."""
    n_locations, n_filters = conn.n_locations, conn.n_filters
    n_neurons, n_inputs = n_locations * n_filters, conn.n_inputs
    sums_floats = len(terms) * n_neurons * conn.patch_size
    n_groups = max(1, min(n_samples, MAX_GROUPS, SUMS_BYTES // (8 * sums_floats + 1)))
    if share:
        n_groups = 1
    if not learn:
        n_groups = 0
    pre_mode, pre_decay = _traces(pre_specs, dt)
    post_mode, post_decay = _traces(post_specs, dt)
    rows = n_samples if learn else 0
    plastic = (
        np.array([kind for kind, _ in terms], np.int64),
        np.array([q for _, q in terms], np.int64),
        pre_mode,
        pre_decay,
        post_mode,
        post_decay,
        np.zeros((len(pre_specs), rows, n_inputs)),
        np.zeros((len(post_specs), rows, n_neurons)),
        np.zeros((rows, n_inputs), np.bool_),
        np.zeros((rows, n_inputs + 1), np.int64),
        np.zeros((rows, n_neurons), np.bool_),
        np.zeros((rows, n_locations), np.int64),
        np.zeros((rows, n_neurons), np.int64),
        np.zeros((n_groups, len(terms), n_locations, n_filters * conn.patch_size)),
        np.zeros((n_groups, n_locations, n_filters), np.int64),
        np.zeros((n_groups, n_locations, n_filters), np.bool_),
    )
    return plastic, max(n_groups, 1)


def run_layer(
    layer, params, spikes_in, *, learn, dt, record, update_every, options, emit
):
    """Run ``layer`` over the steps of ``spikes_in`` on the compiled engine.

    Returns ``(counts, params, records, spikes_out, info)`` as
    :func:`stdp_lab.network._numpy.run_layer` does.
    """
    from .._numba import kernel as K
    from .._numba._threads import run_ranges

    neuron, competition, rule = layer._parts()
    conn = layer.connectivity
    ptr, inputs, n_samples, n_steps = _input_events(
        spikes_in, conn.n_inputs, options.n_threads
    )
    dtype = np.dtype(params.weights.dtype)
    projection = Projection(layer, params.weights, n_samples, dtype)
    learn = learn and rule is not None
    population = Population(
        neuron,
        competition,
        conn,
        params.theta,
        n_samples,
        dtype,
        dt,
        learn and params.theta is not None,
    )
    shape = population.shape  # (B, L, F)
    n_neurons = shape[1] * shape[2]
    npar, has_ref, adaptive = _neuron_form(neuron, dt, dtype, shape[1:])
    consts = np.array([dt, 1e-3 * dt], dtype)
    state = population.state

    def flat(a):
        return a.reshape(n_samples, n_neurons)  # views: the state is contiguous

    def zeros():  # what a part without it reads: see the kernel's _neurons
        return np.zeros((n_samples, n_neurons), dtype)

    state_arrays = (
        flat(state.v),
        flat(state.refractory) if has_ref else zeros(),
        flat(state.theta) if adaptive else zeros(),
        flat(population.counts),
        flat(population.inhibition) if competition.inhibits else zeros(),
    )
    shared = conn.weight_shape[0] == 1 and shape[1] > 1
    flags = (shared, bool(competition.inhibits), learn)
    competition_form = (
        int(competition.k or 0),
        float(competition.inhibition),
        float(competition.inhibition_between),
        *_neighbours(competition, conn.output_grid),
    )
    geometry = (np.ascontiguousarray(conn.index, np.int64), *_members(projection))
    weights = np.asarray(params.weights, dtype=dtype, order="C")
    if learn or not weights.flags.writeable:  # one kernel type: writable weights
        weights = weights.copy()
    if learn:
        kind, rule_par, terms = _rule_form(rule, dtype)
        pre_specs, post_specs = rule.pre_traces(), rule.post_traces()
    else:
        kind, rule_par, terms = 0, np.zeros(0, dtype), ()
        pre_specs = post_specs = ()
    share = population.share
    plastic, n_groups = _plastic(
        terms, pre_specs, post_specs, n_samples, dt, conn, learn, share
    )
    group_start = _groups(n_samples, learn, n_groups)
    scratch = (
        np.empty((n_samples, n_neurons), dtype),  # currents
        np.empty((n_samples, n_neurons), dtype),  # margins above threshold
        np.empty((n_samples, n_neurons), np.int64),  # this step's spikes
        np.zeros(n_samples, np.int64),  # how many
        np.zeros((n_samples, shape[1]), np.int64),  # spikes per location
        np.zeros(n_samples, np.bool_),  # whether the inhibition is not all zero
    )
    n_record = n_steps if ("spikes" in record or emit) else 0
    records = (
        np.zeros((n_record, n_samples, n_neurons), bool),
        np.zeros((n_steps if "v" in record else 0, n_samples, n_neurons), dtype),
    )
    n_shared = n_neurons if share else 0
    shared_theta = (
        np.zeros(n_shared, np.int64),
        np.zeros(n_shared, np.int64),
        np.zeros(n_shared, np.int64),
        np.zeros((conn.patch_size if shared else 0, shape[2]), dtype),
    )
    n_chunk = 0
    if share:  # the currents of n_chunk steps, computed ahead
        row_bytes = n_samples * n_neurons * dtype.itemsize
        n_chunk = max(1, min(n_steps, CURRENT_CACHE_BYTES // row_bytes))
    chunk = np.empty((n_samples, n_chunk, n_neurons), dtype)
    inputs = (ptr, inputs)
    rule_form = (int(kind), rule_par)
    bounds = np.array([layer.w_min, layer.w_max], dtype)
    every = int(update_every or 0) if learn else 0

    def run_steps(g0, g1, t0, t1, every):
        K.run_steps(
            g0, g1, t0, t1, every, n_steps, group_start, chunk, inputs, geometry,
            weights, (npar, consts), state_arrays, competition_form, flags,
            plastic, rule_form, bounds, scratch, records, shared_theta,
        )  # fmt: skip

    n_threads = options.n_threads
    n_groups = len(group_start) - 1
    if share:
        t0 = 0
        while t0 < n_steps:
            t1 = min(t0 + n_chunk, n_steps)
            if every:  # a chunk ends at a weight update
                t1 = min(t1, (t0 // every + 1) * every)

            def precompute(lo, hi, t0=t0, t1=t1):
                K.precompute(
                    lo, hi, t0, t1, n_steps, inputs, geometry, weights, shared, chunk
                )

            run_ranges(precompute, n_samples, n_threads)
            run_steps(0, n_groups, t0, t1, every)
            t0 = t1
    elif n_groups == 1 or n_threads == 1 or 0 < every < MIN_PARALLEL_SEGMENT:
        run_steps(0, n_groups, 0, n_steps, every)
    else:
        for t0 in range(0, n_steps, every or n_steps):
            t1 = min(t0 + (every or n_steps), n_steps)
            run_ranges(
                lambda lo, hi, t0=t0, t1=t1: run_steps(lo, hi, t0, t1, 0),
                n_groups,
                n_threads,
            )
            if every and t1 % every == 0:
                K.update(weights, plastic, rule_form, bounds, shared, shared_theta[3])
    if learn:
        K.update(weights, plastic, rule_form, bounds, shared, shared_theta[3])
    rec_spk, rec_v = records
    if learn:
        projection.set_weights(weights)
    new_params = LayerParams(
        projection.normalised(), population.thresholds(n_steps * dt)
    )
    records = {}
    if "spikes" in record:
        records["spikes"] = rec_spk.reshape(n_steps, *shape)
    if "v" in record:
        records["v"] = rec_v.reshape(n_steps, *shape)
    spikes_out = None
    if emit:
        per_step = rec_spk.reshape(n_steps, -1)
        flat_out = [np.flatnonzero(s) for s in per_step]
        bounds = np.zeros(n_steps + 1, np.intp)
        np.cumsum([len(f) for f in flat_out], out=bounds[1:])
        spikes_out = SpikeSteps(
            np.concatenate(flat_out).astype(np.intp), bounds, n_samples, n_neurons
        )
    return population.counts, new_params, records, spikes_out, {"engine": "numba"}
