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
from sklearn.base import clone

from ..competition import Competition
from ..connectivity import Conv2D, Dense, LocallyConnected2D
from ..encoding import SpikeSteps
from ..neurons import IF, LIF, AdaptiveLIF, Izhikevich
from ..plasticity import (
    BCM,
    MSTDP,
    MSTDPET,
    RSTDP,
    Activity,
    ClopathSTDP,
    DiehlCookSTDP,
    Hebbian,
    InhibitorySTDP,
    Oja,
    PairSTDP,
    SimplifiedSTDP,
    TripletSTDP,
)
from ._layer import LayerParams
from ._plasticity import check_reward
from ._population import Population
from ._projection import Projection, raise_overflow

__all__ = ["unsupported", "run_layer"]

_CONNECTIVITIES = (Dense, LocallyConnected2D, Conv2D)
_LINEAR_NEURONS = (LIF, IF, AdaptiveLIF)
_NEURONS = (*_LINEAR_NEURONS, Izhikevich)
_RULES = (
    PairSTDP,
    DiehlCookSTDP,
    TripletSTDP,
    SimplifiedSTDP,
    Hebbian,
    Oja,
    BCM,
    MSTDP,
    MSTDPET,
    RSTDP,
    ClopathSTDP,
    InhibitorySTDP,
)
#: Rules of a learned lateral inhibition with a compiled form.
_LATERAL_RULES = (InhibitorySTDP,)

#: Bytes of float64 plasticity sums the groups of a learning batch may hold.
SUMS_BYTES = 16 * 2**20
#: Most groups a learning batch is split into (their sums are added in order).
MAX_GROUPS = 8

#: Bytes of input currents a serial batch computes ahead.
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
    if type(neuron) not in _NEURONS:
        return f"the neuron model {type(neuron).__name__} has no compiled form"
    if type(competition) is not Competition:
        return f"the competition {type(competition).__name__} has no compiled form"
    if learn and rule is not None and type(rule) not in _RULES:
        return f"the rule {type(rule).__name__} has no compiled form"
    lateral = layer._lateral_rule() if learn else None
    if lateral is not None and type(lateral) not in _LATERAL_RULES:
        return (
            f"the lateral rule {type(lateral).__name__} has no compiled form "
            "(InhibitorySTDP has one)"
        )
    return None


def _rule_form(rule, dtype, dt, n_samples, n_steps):
    """``(kind, parameters, terms, sliding, extra)`` of a rule the kernel
    computes (one of ``_RULES``).

    ``terms`` lists ``(term kind, trace, factor trace, c0, c1, reward mode,
    eligibility)`` (see the kernel's ``_learn``; float64 coefficients); the
    parameters, in the weights' dtype, are in the order the kernel's
    ``_change`` reads them; ``sliding`` is BCM's ``(theta_init, alpha)``,
    else None; ``extra`` holds MSTDPET's ``"eligibility"`` (the decay of its
    trace per step) and Clopath's ``"voltage"`` constants (the kernel's
    CL_U_SPIKE, ...). ``dt``, ``n_samples`` and ``n_steps`` are the
    presentation's.

    Every rule's change over the steps between two updates (the weights
    fixed) is a sum over steps and samples that the kernel keeps in float64,
    then combines once as the rule's ``delta`` does per step:

    - PairSTDP, DiehlCookSTDP: a trace at the other side's spikes (their
      ``pair_terms``), combined as their ``delta_from_sums``;
    - TripletSTDP: ``r1`` at the postsynaptic spikes times ``a2_plus + a3_plus
      * o2``, ``o1`` at the presynaptic spikes times ``a2_minus + a3_minus *
      r2`` (the factors inside the sums, read before this step's spikes as
      ``delta`` reads them); the change is their difference;
    - SimplifiedSTDP: the number of patch inputs that "fired" at each
      postsynaptic spike (see :func:`_fired_threshold`) and the number of
      postsynaptic spikes; the change is linear in both counts;
    - Hebbian, Oja, BCM: the product of the two traces at every step, only
      over the neurons that have spiked (the others' trace is 0), times ``y
      - theta`` for BCM; Oja also sums ``y**2`` per neuron, and the Hebbian
      decay is the steps since the update times numpy's per-step
      ``(n_samples * decay) * w``. BCM's threshold changes at every step from
      the batch's ``y**2``, so its batch steps serially;
    - MSTDP: the pair terms, each weighted by the sample's reward at the step;
    - MSTDPET: the pair terms (over ``tau_z``) into each sample's
      eligibility, which the reward times ``dt`` adds to the sums at every
      step; the change is MSTDP's from these sums times ``dt``;
    - RSTDP: the inputs that "fired" and all inputs, counted at each
      postsynaptic spike, each weighted by the positive and by the negative
      part of the reward (four sums);
    - InhibitorySTDP (on the feedforward synapses: a lateral inhibition has
      its own sums, see :func:`_lateral_plastic`): the pair terms and the
      presynaptic spikes of every synapse;
    - ClopathSTDP: ``x / tau_x`` times ``[u - theta_plus]_+ [ubar_plus -
      theta_minus]_+`` at every step, ``[ubar_minus - theta_minus]_+`` of
      every neuron at the presynaptic spikes.
    """
    from .._numba import kernel as K

    rule._check()
    dtype = np.dtype(dtype)
    sliding = None
    extra = {}
    # Pair rules and Diehl & Cook: a trace at the other side's spikes.
    pre_at_post = (K.PRE_TRACE_AT_POST, 0, -1, 1.0, 0.0)
    post_at_pre = (K.POST_TRACE_AT_PRE, 0, -1, 1.0, 0.0)
    # Hebbian, Oja, BCM: presynaptic trace 0 times postsynaptic trace 0.
    product = (K.TRACE_PRODUCT, 0, 0, 0.0, 0.0)
    if type(rule) is PairSTDP:
        kind = (
            K.PAIR_ADDITIVE
            if rule.weight_dependence == "additive"
            else K.PAIR_MULTIPLICATIVE
        )
        par = (rule.a_plus, rule.a_minus, *rule.bounds)
        terms = (pre_at_post, post_at_pre)
    elif type(rule) is DiehlCookSTDP:
        kind = K.DIEHL_COOK
        par = (rule.learning_rate, rule.x_tar, rule.mu, rule.bounds[1])
        terms = (pre_at_post,)
    elif type(rule) is TripletSTDP:
        # r1 at post spikes times a2_plus + a3_plus * o2; o1 at pre spikes
        # times a2_minus + a3_minus * r2 (traces: pre r1, r2; post o1, o2)
        kind, par = K.TRIPLET, ()
        terms = (
            (K.PRE_TRACE_AT_POST, 0, 1, rule.a2_plus, rule.a3_plus),
            (K.POST_TRACE_AT_PRE, 0, 1, rule.a2_minus, rule.a3_minus),
        )
    elif type(rule) is SimplifiedSTDP:
        w_min, w_max = rule.bounds
        kind, par = (
            K.SIMPLIFIED,
            (rule.a_plus, rule.a_minus, w_min, w_max, w_max - w_min),
        )
        threshold = _fired_threshold(rule, dtype, dt, n_steps)
        terms = ((K.PRE_FIRED_AT_POST, 0, -1, threshold, 0.0),)
    elif type(rule) is Hebbian:
        # numpy's decay per step is (n_samples * decay) * w, a Python float
        kind, par = K.HEBBIAN, (rule.learning_rate, n_samples * rule.decay)
        terms = (product,)
    elif type(rule) is Oja:
        kind, par, terms = K.OJA, (rule.learning_rate,), (product,)
    elif type(rule) is BCM:
        kind, par, terms = K.BCM, (rule.learning_rate,), (product,)
        # the threshold starts at theta_init in the dtype, as numpy's state
        theta_init = float(dtype.type(rule.theta_init))
        sliding = (theta_init, -np.expm1(-dt / rule.tau_theta))
    elif type(rule) is MSTDP:
        kind, par = K.MSTDP, (rule.learning_rate, rule.a_plus, rule.a_minus)
        terms = (
            (*pre_at_post, K.REWARD, 0),
            (*post_at_pre, K.REWARD, 0),
        )
    elif type(rule) is MSTDPET:
        # the pair terms over tau_z go into the eligibility; the reward times
        # dt credits it (the kernel), learning_rate times dt scales the sums
        kind = K.MSTDPET
        par = (rule.learning_rate * dt, rule.a_plus, rule.a_minus)
        into = 1.0 / rule.tau_z
        terms = (
            (K.PRE_TRACE_AT_POST, 0, -1, into, 0.0, K.NO_REWARD, 1),
            (K.POST_TRACE_AT_PRE, 0, -1, into, 0.0, K.NO_REWARD, 1),
        )
        extra["eligibility"] = (np.exp(-dt / rule.tau_z), dt)
    elif type(rule) is RSTDP:
        w_min, w_max = rule.bounds
        kind = K.RSTDP
        par = (
            rule.a_reward_plus,
            rule.a_reward_minus,
            rule.a_punish_plus,
            rule.a_punish_minus,
            w_min,
            w_max,
            w_max - w_min,
        )
        # "fired": the trace never decays within a presentation (1 at a
        # spike, then at least 1 - n_steps * 1e-12 in float64), 0 otherwise
        fired = (K.PRE_FIRED_AT_POST, 0, -1, 0.5, 0.0)
        every = (K.POST_COUNT, 0, -1, 0.0, 0.0)
        terms = (
            (*fired, K.REWARD_POSITIVE, 0),
            (*every, K.REWARD_POSITIVE, 0),
            (*fired, K.REWARD_NEGATIVE, 0),
            (*every, K.REWARD_NEGATIVE, 0),
        )
    elif type(rule) is InhibitorySTDP:  # on these synapses, not a lateral one
        kind, par = K.ISTDP, (rule.eta, rule.alpha)
        terms = (
            pre_at_post,
            post_at_pre,
            (K.PRE_COUNT, 0, -1, 0.0, 0.0),
        )
    else:  # ClopathSTDP
        kind, par = K.CLOPATH, (rule.a_ltp * dt, rule.a_ltd)
        terms = (
            (K.TRACE_AT_VOLTAGE, 0, -1, 1.0 / rule.tau_x, 0.0),
            (K.VOLTAGE_AT_PRE, 0, -1, 0.0, 0.0),
        )
        constants = np.zeros(5)
        constants[K.CL_U_SPIKE] = rule.u_spike
        constants[K.CL_THETA_MINUS] = rule.theta_minus
        constants[K.CL_THETA_PLUS] = rule.theta_plus
        constants[K.CL_DECAY_MINUS] = np.exp(-dt / rule.tau_minus)
        constants[K.CL_DECAY_PLUS] = np.exp(-dt / rule.tau_plus)
        extra["voltage"] = constants
    # every term weighs no reward and goes straight into the sums unless said
    terms = tuple(tuple(term) + (K.NO_REWARD, 0)[len(term) - 5 :] for term in terms)
    return kind, np.array(par, dtype=dtype), terms, sliding, extra


def _fired_threshold(rule, dtype, dt, n_steps):
    """SimplifiedSTDP: the value above which the kernel's float64 trace counts
    an input as having fired.

    The numpy engine decides from its stepped trace in the weights' dtype: 1
    at the last presynaptic spike, times ``dtype(exp(-dt / tau))`` at every
    step since (``delta`` tests it against ``exp(-1)`` or 0). The decision
    depends only on the number of steps since that spike, the trace's age,
    and a younger trace is never smaller, so it holds up to some age. That
    age is found by asking the rule's own ``delta`` at every age up to
    ``n_steps`` on the numpy engine's trace values; the threshold lies
    halfway between the kernel's float64 trace at that age and at the next,
    so that the kernel decides as numpy does at every age, whatever the
    rounding of either dtype. (A spike of the same step counts too: the
    kernel reads the trace once this step's spikes have set it to 1.)
    """
    tau = rule.pre_traces()[0].tau

    def trace_by_age(decay):  # after 0, 1, ..., n_steps steps: 1, then *= decay
        trace = np.ones(n_steps + 1, type(decay))
        np.cumprod(np.full(n_steps, decay), out=trace[1:])  # multiplies in order
        return trace

    numpy_trace = trace_by_age(dtype.type(np.exp(-dt / tau)))  # as SteppedTraces
    kernel_trace = trace_by_age(np.float64(np.exp(-dt / tau)))  # as the kernel's
    probe = clone(rule).set_params(a_plus=1.0, a_minus=0.0)  # dw > 0 iff counted
    pre = Activity(np.zeros((1, 1, n_steps + 1), bool), (numpy_trace[None, None],), dt)
    post = Activity(np.ones((1, 1, 1), bool), (), dt)
    counted = probe.delta(pre, post, np.full((1, 1, 1), 0.5, dtype))[0, :, 0] > 0
    n_counted = n_steps + 1 if counted.all() else int(np.argmin(counted))
    assert n_counted > 0 and not counted[n_counted:].any()  # a younger one counts
    if n_counted > n_steps:
        return float(kernel_trace[n_steps] / 2)
    younger, older = kernel_trace[n_counted - 1], kernel_trace[n_counted]
    threshold = (younger + older) / 2
    assert older < threshold < younger
    return float(threshold)


def _traces(specs, dt):
    """Modes and per-step decay factors ``exp(-dt / tau)`` of traces."""
    from .._numba import kernel as K

    modes = np.array([K.ADD if s.mode == "add" else K.RESET for s in specs], np.int64)
    decay = np.array([np.exp(-dt / s.tau) for s in specs], np.float64)
    return modes, decay


def _neuron_form(neuron, dt, dtype, layer_shape):
    """The kernel's ``(kind, npar, consts)`` of a neuron model (see the
    kernel's rows DECAY, GAIN, ... and entries DT, REF_TOL, ...), whether it
    has a refractory period and an adaptive threshold."""
    from .._numba import kernel as K
    from ..neurons._base import _REFRACTORY_TOL

    prepared = neuron._prepared(dt, dtype, layer_shape)
    rows = {K.THETA_DECAY: 1.0}  # the others default to 0
    consts = np.zeros(K.N_NEURON_CONSTS, dtype)
    consts[K.DT], consts[K.REF_TOL] = dt, _REFRACTORY_TOL * dt
    has_ref = adaptive = False
    if type(neuron) is Izhikevich:
        kind = K.IZHIKEVICH
        rows[K.IZ_A], rows[K.IZ_B], rows[K.IZ_D] = (prepared[p] for p in "abd")
        rows[K.V_RESET], rows[K.V_THRESH] = prepared["c"], prepared["v_peak"]
        consts[K.IZ_H] = prepared["h"]  # the sub-step, ms
        consts[K.IZ_N_SUBSTEPS] = prepared["n_substeps"]
    else:
        kind = K.LINEAR
        rows[K.DECAY], rows[K.GAIN], rows[K.OFFSET] = neuron._linear(prepared)
        rows[K.V_RESET] = prepared["v_reset"]
        rows[K.V_THRESH] = prepared["v_thresh"]
        rows[K.T_REF] = prepared["t_ref"]
        has_ref = bool(prepared["has_refractory"])
        adaptation = neuron._adaptation(prepared)
        if adaptation is not None:
            rows[K.THETA_PLUS], rows[K.THETA_DECAY] = adaptation[:2]
            adaptive = True
    npar = np.zeros((K.N_NEURON_PARAMS, int(np.prod(layer_shape))), dtype)
    for r, value in rows.items():
        npar[r] = np.broadcast_to(np.asarray(value, dtype), layer_shape).reshape(-1)
    return (kind, npar, consts), has_ref, adaptive


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


def _plastic(
    terms,
    pre_specs,
    post_specs,
    sliding,
    n_samples,
    dt,
    conn,
    learn,
    serial,
    extra=None,
    reward=None,
    lateral_learn=False,
):
    """The kernel's plasticity arrays (see :func:`stdp_lab._numba.kernel._learn`)
    and the number of sample groups: one for a serial batch (it steps on one
    thread), else at most MAX_GROUPS, fewer when their float64 sums would
    pass SUMS_BYTES; fixed by the batch and the layer, never by the number of
    threads. ``extra`` is the rule's (see :func:`_rule_form`), ``reward``
    the samples' reward as (B, T) float64 for a rule that reads it; a layer
    that learns only its lateral inhibition (``lateral_learn``) has groups
    but no rule terms."""
    from .._numba import kernel as K

    n_locations, n_filters = conn.n_locations, conn.n_filters
    n_neurons, n_inputs = n_locations * n_filters, conn.n_inputs
    sums_floats = len(terms) * n_neurons * conn.patch_size
    n_groups = max(1, min(n_samples, MAX_GROUPS, SUMS_BYTES // (8 * sums_floats + 1)))
    if serial:
        n_groups = 1
    if not (learn or lateral_learn):
        n_groups = 0
    extra = extra or {}
    pre_mode, pre_decay = _traces(pre_specs, dt)
    post_mode, post_decay = _traces(post_specs, dt)
    rows = n_samples if learn else 0
    terms = (
        np.array([term[0] for term in terms], np.int64),  # kind
        np.array([term[1] for term in terms], np.int64),  # trace
        np.array([term[2] for term in terms], np.int64),  # factor trace
        np.array([term[3:5] for term in terms], np.float64).reshape(-1, 2),  # c0, c1
        np.array([term[5:7] for term in terms], np.int64).reshape(-1, 2),  # modes
    )
    traces = (
        pre_mode,
        pre_decay,
        post_mode,
        post_decay,
        np.zeros((len(pre_specs), rows, n_inputs)),
        np.zeros((len(post_specs), rows, n_neurons)),
    )
    activity = (
        np.zeros((rows, n_inputs), np.bool_),
        np.zeros((rows, n_inputs + 1), np.int64),
        np.zeros((rows, n_neurons), np.bool_),
        np.zeros((rows, n_locations), np.int64),
        np.zeros((rows, n_neurons), np.int64),
    )
    per_neuron = (n_groups, n_locations, n_filters)
    totals = (
        np.zeros((n_groups, len(terms[0]), n_locations, n_filters * conn.patch_size)),
        np.zeros(per_neuron, np.int64),
        np.zeros(per_neuron, np.bool_),
        np.zeros(n_groups, np.int64),
        np.zeros(per_neuron),
    )
    if sliding is None:
        sliding = (np.zeros((0, 0)), np.zeros(0))
    else:  # BCM's threshold, float64 (numpy's is in the dtype)
        theta_init, alpha = sliding
        sliding = (np.full((n_locations, n_filters), theta_init), np.array([alpha]))
    if reward is None or not learn:
        reward = np.zeros((0, 0))
    n_width = n_filters * conn.patch_size
    if "eligibility" in extra and learn:  # MSTDPET's, per sample and synapse
        eligibility = np.zeros((n_samples, len(terms[0]), n_locations, n_width))
        constants = np.array(extra["eligibility"], np.float64)  # decay, dt
    else:
        eligibility, constants = np.zeros((0, 0, 0, 0)), np.zeros(2)
    modulation = (reward, eligibility, constants)
    if "voltage" in extra and learn:  # Clopath's filtered potentials
        constants = np.asarray(extra["voltage"], np.float64)
        ubar = np.full((2, n_samples, n_neurons), constants[K.CL_THETA_MINUS])
        voltage = (ubar, constants, np.zeros((n_samples, n_neurons)))
    else:
        voltage = (np.zeros((0, 0, 0)), np.zeros(5), np.zeros((0, 0)))
    plastic = (terms, traces, activity, totals, sliding, modulation, voltage)
    return plastic, max(n_groups, 1)


def _lateral_plastic(rule, n_groups, n_samples, shape, dt):
    """The kernel's arrays of a learned lateral inhibition (see
    :func:`stdp_lab._numba.kernel._learn_lateral`): float64 sums per group
    (G, L, F * F), one trace per neuron (B, L * F) and ``(decay, alpha,
    eta)``; empty when the layer does not learn one."""
    n_locations, n_filters = shape[1:]
    if rule is None:
        return (np.zeros((0, 0, 0)), np.zeros((0, 0)), np.zeros(3))
    rule._check()
    constants = np.array([np.exp(-dt / rule.tau), rule.alpha, rule.eta])
    return (
        np.zeros((n_groups, n_locations, n_filters * n_filters)),
        np.zeros((n_samples, n_locations * n_filters)),
        constants,
    )


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
    lateral_rule = layer._lateral_rule() if learn else None
    lateral = params.lateral
    if lateral_rule is not None and lateral is None:
        lateral = layer.initial_lateral(dtype)  # the competition's, to learn
    population = Population(
        neuron,
        competition,
        conn,
        params.theta,
        n_samples,
        dtype,
        dt,
        learn and params.theta is not None,
        lateral,
    )
    learn = learn and rule is not None
    lateral_learn = lateral_rule is not None
    learns = learn or lateral_learn
    shape = population.shape  # (B, L, F)
    n_neurons = shape[1] * shape[2]
    neuron_form, has_ref, adaptive = _neuron_form(neuron, dt, dtype, shape[1:])
    state = population.state

    def flat(a):
        return a.reshape(n_samples, n_neurons)  # views: the state is contiguous

    def zeros():  # what a part without it reads: see the kernel's _linear
        return np.zeros((n_samples, n_neurons), dtype)

    if type(neuron) is Izhikevich:
        aux = flat(state.u)
    else:
        aux = flat(state.refractory) if has_ref else zeros()
    state_arrays = (
        flat(state.v),
        aux,
        flat(state.theta) if adaptive else zeros(),
        flat(population.counts),
        flat(population.inhibition) if population.inhibition is not None else zeros(),
    )
    shared = conn.weight_shape[0] == 1 and shape[1] > 1
    if population.lateral is None:
        lateral_matrix = np.zeros((0, 0, 0), dtype)
    else:  # written in place at the weight updates when learned
        lateral_matrix = np.array(population.lateral, dtype=dtype, order="C")
    competition_form = (
        int(competition.k or 0),
        float(competition.inhibition),
        float(competition.inhibition_between),
        *_neighbours(competition, conn.output_grid),
        lateral_matrix,
    )
    geometry = (np.ascontiguousarray(conn.index, np.int64), *_members(projection))
    weights = np.asarray(params.weights, dtype=dtype, order="C")
    if learn or not weights.flags.writeable:  # one kernel type: writable weights
        weights = weights.copy()
    reward_steps = None
    if learn:
        kind, rule_par, terms, sliding, extra = _rule_form(
            rule, dtype, dt, n_samples, n_steps
        )
        pre_specs, post_specs = rule.pre_traces(), rule.post_traces()
        if "reward" in rule.reads():
            if reward is None:
                raise ValueError(
                    f"the rule {type(rule).__name__} of this layer is "
                    "reward-modulated: pass simulate(..., reward=...), one reward "
                    "per sample (or per step and sample)"
                )
            reward_steps = check_reward(reward, n_samples, n_steps)
            if reward_steps.ndim == 1:
                reward_steps = np.repeat(reward_steps[:, None], n_steps, axis=1)
            else:  # (T, B) -> (B, T)
                reward_steps = np.ascontiguousarray(reward_steps[:n_steps].T)
    else:
        kind, rule_par, terms, sliding, extra = 0, np.zeros(0, dtype), (), None, {}
        pre_specs = post_specs = ()
    share = population.share
    # A serial batch steps all its samples together, one step at a time: when
    # it shares its thresholds, or when its rule couples the samples at every
    # step (BCM's threshold follows the batch's y**2).
    serial = share or sliding is not None
    inhibits = population.inhibition is not None
    flags = (shared, inhibits, learn, serial, lateral_learn)
    plastic, n_groups = _plastic(
        terms,
        pre_specs,
        post_specs,
        sliding,
        n_samples,
        dt,
        conn,
        learn,
        serial,
        extra,
        reward_steps,
        lateral_learn,
    )
    group_start = _groups(n_samples, learns, n_groups)
    lateral_plastic = _lateral_plastic(
        lateral_rule, n_groups if lateral_learn else 0, n_samples, shape, dt
    )
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
    if serial:  # the currents of n_chunk steps, computed ahead
        row_bytes = n_samples * n_neurons * dtype.itemsize
        n_chunk = max(1, min(n_steps, CURRENT_CACHE_BYTES // row_bytes))
    chunk = np.empty((n_samples, n_chunk, n_neurons), dtype)
    inputs = (ptr, inputs)
    overflow = np.zeros(1, np.int64)  # non-finite weight changes (the kernel's)
    rule_form = (int(kind), rule_par, overflow)
    bounds = np.array([layer.w_min, layer.w_max], dtype)
    every = int(update_every or 0) if learns else 0

    def run_steps(g0, g1, t0, t1, every, finish=False):
        K.run_steps(
            g0, g1, t0, t1, every, finish, n_steps, group_start, chunk, inputs,
            geometry, weights, neuron_form, state_arrays, competition_form,
            flags, plastic, rule_form, bounds, scratch, records, shared_theta,
            lateral_plastic,
        )  # fmt: skip

    n_threads = options.n_threads
    n_groups = len(group_start) - 1
    if serial:
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
                run_steps(0, 0, t1, t1, 0, finish=True)  # the update only
    if learns:
        run_steps(0, 0, n_steps, n_steps, 0, finish=True)
    rec_spk, rec_v = records
    if overflow[0]:
        raise_overflow(rule if learn else lateral_rule, int(overflow[0]))
    if learn:
        projection.set_weights(weights)
    new_params = LayerParams(
        projection.normalised(),
        population.thresholds(n_steps * dt),
        lateral_matrix if lateral_learn else params.lateral,
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
