"""The compiled step of one layer over one presentation (numba).

One kernel runs every step of a layer for a batch of samples: the input current
from the weight rows of the inputs that spiked, the neuron update, the
competition among the filters of a location, the inhibition for the next step
and, while learning, the plasticity sums. It does what the numpy engine
(:mod:`stdp_lab.network._numpy`) does, operation for operation in the state's
dtype, so that both give the same spikes bit for bit. The plasticity sums
and traces are kept in float64: the numpy engine's pair sums are too, while
its stepped traces (the rules without pair terms: triplet, simplified STDP,
Hebbian, Oja, BCM) are in the state's dtype and agree to its rounding. The
reward of the reward-modulated rules is an input (B, T); MSTDPET's
eligibility and Clopath's filtered potentials are kept per sample in float64.

Parallel work: samples are split into groups fixed by the caller (never by the
number of threads), and the caller's threads run groups side by side (the
kernels release the GIL). In inference every sample is its own group and runs
all its steps at once. While learning, each group adds its samples' plasticity
sums into its own float64 buffer, and the buffers are added in group order at
each weight update, so the result does not depend on the number of threads.
A *serial* batch meets after every step: when it shares its learned
thresholds (the other samples' threshold increments are added then, as in the
numpy engine) or when its rule couples the samples at every step (BCM's
threshold follows the batch mean of ``y**2``). Its currents are computed
ahead in parallel, the steps run on one thread, in one group.

Layout: neurons are flat, ``j = l * F + f``; state arrays are ``(B, L * F)``;
the input spikes of sample ``b`` at step ``t`` are
``idx[ptr[b * T + t]:ptr[b * T + t + 1]]``, ascending. The arguments travel in
tuples, each named for what it holds (built by
:mod:`stdp_lab.network._compiled`):

- ``inputs = (ptr, idx)``;
- ``geometry = (index (L, K), mem_ptr (N + 1,), mem_lk)``: ``mem_lk[mem_ptr[i]:
  mem_ptr[i + 1]]`` lists ``l * K + k`` for the patch entries input ``i`` feeds;
- ``weights (S, K, F)``, ``S`` = 1 (shared) or L;
- ``neuron = (kind, npar (N_NEURON_PARAMS, L * F), consts)``: the model kind
  (LINEAR: LIF, IF, adaptive LIF; IZHIKEVICH), its per-neuron parameters (rows
  DECAY, GAIN, ...) and its constants (entries DT, REF_TOL, ...), all in the
  state's dtype;
- ``state = (v, aux, theta, counts, inh)``, each (B, L * F): ``aux`` is the
  refractory time left of the linear models, the recovery variable ``u`` of
  Izhikevich's (zeros where the model has no refractoriness, adaptive
  threshold or inhibition);
- ``competition = (k, inhibition, inhibition_between, nb_ptr, nb_idx,
  lateral)``, ``lateral`` a learned lateral inhibition (1 | L, F, F) or empty;
- ``flags = (shared, inhibits, learn, serial, lateral_learn)``;
- ``plastic``: the rule's terms, traces and sums, see :func:`_learn`;
  ``rule = (kind, parameters, overflow)``, see :func:`_change`;
  ``lateral``: the sums of a learned lateral inhibition, see
  :func:`_learn_lateral`;
- ``scratch = (cur, margin, spk, nspk, loc_cnt, inh_on)``, ``records = (spikes,
  v)``.

Compilation: numba compiles each function with the code of every function it
calls linked in and optimised again, so code is compiled once per level of
calls above it. Hence two entry points, :func:`run_steps` (the steps and the
weight updates) and :func:`precompute` (currents ahead), and :func:`_step` and
:func:`_learn`, called once from :func:`run_steps`, are inlined there (in numba
IR); the functions they call are compiled twice, on their own and within
:func:`run_steps`. One compilation serves every neuron model, rule and
connectivity of a dtype: kinds and flags are values, never literals.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Neuron model kinds.
LINEAR, IZHIKEVICH = 0, 1

# Rows of the neuron parameter array ``npar`` (each a per-neuron vector, L * F).
DECAY, GAIN, OFFSET, V_RESET, V_THRESH, T_REF, THETA_PLUS, THETA_DECAY = range(8)
N_NEURON_PARAMS = 8
# The Izhikevich model keeps its reset potential ``c`` and its peak ``v_peak``
# in the rows of the same roles (V_RESET, V_THRESH), ``a``, ``b`` and ``d`` in
# rows it has no other use for.
IZ_A, IZ_B, IZ_D = DECAY, GAIN, OFFSET
# Entries of the neuron constants ``consts``: the step, the refractory
# tolerance, Izhikevich's sub-step and number of sub-steps.
DT, REF_TOL, IZ_H, IZ_N_SUBSTEPS = range(4)
N_NEURON_CONSTS = 4

# Term kinds: what a plasticity sum adds at each step (see _learn).
PRE_TRACE_AT_POST, POST_TRACE_AT_PRE, PRE_FIRED_AT_POST, TRACE_PRODUCT = range(4)
POST_COUNT, VOLTAGE_AT_PRE, TRACE_AT_VOLTAGE, PRE_COUNT = 4, 5, 6, 7

# How a term weighs the sample's reward at the step (see _learn): not at all,
# by the reward, by its positive part, by its negative part's magnitude.
NO_REWARD, REWARD, REWARD_POSITIVE, REWARD_NEGATIVE = range(4)

# Rules whose weight change the kernel computes from the sums (see _change).
PAIR_ADDITIVE, PAIR_MULTIPLICATIVE, DIEHL_COOK, TRIPLET = 0, 1, 2, 3
SIMPLIFIED, HEBBIAN, OJA, BCM = 4, 5, 6, 7
MSTDP, MSTDPET, RSTDP, CLOPATH, ISTDP = 8, 9, 10, 11, 12

# Entries of the voltage-based rule's constants (see _learn).
CL_U_SPIKE, CL_THETA_MINUS, CL_THETA_PLUS, CL_DECAY_MINUS, CL_DECAY_PLUS = range(5)

# Trace modes.
ADD, RESET = 0, 1


@njit(cache=True)
def by_sample(flat, bounds, n_samples, n_inputs):
    """Events ordered by (time, sample, input) to ``(ptr, idx)`` ordered by
    (sample, time, input); ``ptr`` has shape (B * T + 1,)."""
    n_steps = len(bounds) - 1
    ptr = np.zeros(n_samples * n_steps + 1, np.int64)
    for t in range(n_steps):
        for e in range(bounds[t], bounds[t + 1]):
            b = flat[e] // n_inputs
            ptr[b * n_steps + t + 1] += 1
    for r in range(n_samples * n_steps):
        ptr[r + 1] += ptr[r]
    fill = ptr[:-1].copy()
    idx = np.empty(len(flat), np.int32)
    for t in range(n_steps):
        for e in range(bounds[t], bounds[t + 1]):
            b = flat[e] // n_inputs
            r = b * n_steps + t
            idx[fill[r]] = flat[e] - b * n_inputs
            fill[r] += 1
    return ptr, idx


@njit(cache=True, error_model="numpy")
def _currents(b, lo, hi, idx, geometry, weights, shared, c):
    """Input current of one sample and step: the weight rows of its input
    spikes ``idx[lo:hi]`` added in ascending input order, as the numpy
    engine's sparse products add them."""
    index, mem_ptr, mem_lk = geometry
    n_locations, patch_size = index.shape
    n_filters = weights.shape[2]
    c[:] = 0
    if n_locations == 1 and patch_size == len(mem_ptr) - 1:  # dense
        for e in range(lo, hi):
            row = weights[0, idx[e]]
            for f in range(n_filters):
                c[f] += row[f]
        return
    for e in range(lo, hi):
        i = idx[e]
        for m in range(mem_ptr[i], mem_ptr[i + 1]):
            loc, k = divmod(mem_lk[m], patch_size)
            row = weights[0 if shared else loc, k]
            cb = c[loc * n_filters : (loc + 1) * n_filters]
            for f in range(n_filters):
                cb[f] += row[f]


@njit(cache=True, error_model="numpy")
def _linear(b, c, neuron, state, mb):
    """Linear neurons between spikes (LIF, IF, adaptive LIF), in the order of
    :class:`~stdp_lab.neurons.LIF`'s ``_integrate``; writes the margins above
    threshold into ``mb`` and returns how many are at or above it.

    Branch-free, so that it vectorises: a model without inhibition,
    refractoriness or adaptive threshold has all-zero ``inh``, ``aux`` and
    ``theta`` (and ``t_ref = 0``, ``theta_decay = 1``), which leave every
    value as the numpy engine computes it (``x - 0 == x``, ``0 * 1 == 0``).
    """
    npar, consts = neuron[1], neuron[2]
    v, ref, theta, counts, inh = state
    zero = v.dtype.type(0)
    dt, ref_tol = consts[DT], consts[REF_TOL]
    vb, rb, tb, ib = v[b], ref[b], theta[b], inh[b]
    decay, gain, offset = npar[DECAY], npar[GAIN], npar[OFFSET]
    v_reset, v_thresh, theta_decay = npar[V_RESET], npar[V_THRESH], npar[THETA_DECAY]
    n_cand = 0
    for j in range(len(vb)):
        current = c[j] - ib[j]
        th = tb[j] * theta_decay[j]
        tb[j] = th
        x = vb[j] * decay[j]
        x = x + gain[j] * current
        x = x + offset[j]
        left = rb[j]
        x = v_reset[j] if left > ref_tol else x
        left = left - dt
        rb[j] = left if left > zero else zero
        vb[j] = x
        margin = (x - v_thresh[j]) - th
        mb[j] = margin
        n_cand += margin >= zero
    return n_cand


@njit(cache=True, error_model="numpy")
def _izhikevich(b, c, neuron, state, mb):
    """Izhikevich neurons over one step, in the order of
    :class:`~stdp_lab.neurons.Izhikevich`'s ``_integrate``: forward-Euler
    sub-steps of ``h`` ms, ``u`` and ``v`` both from the values at the start
    of the sub-step, then ``v`` held at ``v_peak``; ``u`` is in the state's
    ``aux``. Writes ``v - v_peak`` into ``mb``, returns how many are >= 0.

    Every operation is numpy's, in the state's dtype: numpy 2 turns the
    Python floats 0.04, 5 and 140 of the equation into the state's dtype
    first (weak scalars), so they are cast here too (numba would compute a
    float32 expression with a float64 constant in float64).
    """
    npar, consts = neuron[1], neuron[2]
    v, u, theta, counts, inh = state
    dtype = v.dtype.type
    c004, c5, c140, zero = dtype(0.04), dtype(5.0), dtype(140.0), dtype(0)
    h, n_substeps = consts[IZ_H], int(consts[IZ_N_SUBSTEPS])
    vb, ub, ib = v[b], u[b], inh[b]
    a, bb, v_peak = npar[IZ_A], npar[IZ_B], npar[V_THRESH]
    n_cand = 0
    for j in range(len(vb)):
        current = c[j] - ib[j]
        x, y, peak = vb[j], ub[j], v_peak[j]
        for _ in range(n_substeps):
            du = x * bb[j]  # du = h a (b v - u)
            du = du - y
            du = du * a[j]
            du = du * h
            dv = x * c004  # dv = h ((0.04 v + 5) v + 140 - u + I)
            dv = dv + c5
            dv = dv * x
            dv = dv + c140
            dv = dv - y
            dv = dv + current
            dv = dv * h
            x = x + dv
            y = y + du
            x = peak if peak < x else x  # np.minimum (a NaN stays NaN)
        vb[j] = x
        ub[j] = y
        margin = x - peak
        mb[j] = margin
        n_cand += margin >= zero
    return n_cand


@njit(cache=True, error_model="numpy")
def _compete(b, mb, k_max, n_filters, spk, loc_cnt):
    """At most ``k_max`` winners per location (0: no limit) among the neurons
    at or above threshold: the largest margins, ties to the lower filter.
    Lists the winners in ``spk[b]`` in ascending order; returns how many."""
    zero = mb.dtype.type(0)
    n = 0
    for loc in range(len(mb) // n_filters):
        base = loc * n_filters
        n_cand = 0
        for f in range(n_filters):
            if mb[base + f] >= zero:
                n_cand += 1
        if k_max > 0 and n_cand > k_max:
            first = n
            for _ in range(k_max):
                best = -1
                for f in range(n_filters):
                    mf = mb[base + f]
                    if mf >= zero and (best < 0 or mf > mb[base + best]):
                        best = f
                spk[b, n] = base + best
                n += 1
                mb[base + best] = -np.inf  # taken
            for a in range(first + 1, n):  # insertion sort of the k winners
                key = spk[b, a]
                p = a - 1
                while p >= first and spk[b, p] > key:
                    spk[b, p + 1] = spk[b, p]
                    p -= 1
                spk[b, p + 1] = key
            n_cand = k_max
        elif n_cand:
            for f in range(n_filters):
                if mb[base + f] >= zero:
                    spk[b, n] = base + f
                    n += 1
        loc_cnt[b, loc] = n_cand
    return n


@njit(cache=True)
def _reset(b, n, spk, neuron, state):
    """Reset the winners to ``v_reset`` (Izhikevich: ``c``); a linear model
    starts its refractory period (0 for models without one) and raises the
    threshold (by 0 for models without adaptation), Izhikevich's adds ``d``
    to ``u``."""
    kind, npar = neuron[0], neuron[1]
    v, aux, theta, counts, inh = state
    for a in range(n):
        j = spk[b, a]
        v[b, j] = npar[V_RESET, j]
        counts[b, j] += 1
        if kind == LINEAR:
            aux[b, j] = npar[T_REF, j]
            theta[b, j] = theta[b, j] + npar[THETA_PLUS, j]
        else:  # IZHIKEVICH
            aux[b, j] = aux[b, j] + npar[IZ_D, j]


@njit(cache=True, error_model="numpy")
def _inhibit(b, n, spk, loc_cnt, competition, n_filters, ib):
    """Inhibitory current of the next step, as
    :meth:`~stdp_lab.competition.Competition.inhibitory_current` computes it:
    ``inhibition`` per spike of the location but the neuron's own, plus
    ``inhibition_between`` per spike of a neighbouring location. With a
    learned lateral inhibition (``lateral`` (1 | L, F, F), not empty), each
    spike of filter ``i`` adds ``lateral[l, i]`` to the filters of its
    location instead, in the order of the spikes, as the numpy engine's
    ``Population`` does."""
    k_max, inh0, inh_between, nb_ptr, nb_idx, lateral = competition
    dtype = ib.dtype.type
    ib[:] = 0
    a = 0
    if lateral.shape[0] > 0:
        for a in range(n):
            loc, i = divmod(spk[b, a], n_filters)
            row = lateral[0 if lateral.shape[0] == 1 else loc, i]
            base = loc * n_filters
            for f in range(n_filters):
                ib[base + f] = ib[base + f] + row[f]
    for loc in range(loc_cnt.shape[1] if lateral.shape[0] == 0 else 0):
        count = loc_cnt[b, loc]
        if count == 0:
            continue
        base = loc * n_filters
        strength = dtype(inh0 * count)
        for f in range(n_filters):
            ib[base + f] = strength
        while a < n and spk[b, a] < base + n_filters:
            ib[spk[b, a]] = ib[spk[b, a]] - dtype(inh0)
            a += 1
    if len(nb_ptr) > 1:
        between = dtype(inh_between)
        for loc in range(loc_cnt.shape[1]):
            total = 0
            for q in range(nb_ptr[loc], nb_ptr[loc + 1]):
                total += loc_cnt[b, nb_idx[q]]
            near = dtype(total) * between
            base = loc * n_filters
            for f in range(n_filters):
                ib[base + f] = ib[base + f] + near


@njit(cache=True, error_model="numpy")
def _add_patch(row, x, weight, patch, alive, identity):
    """``row[k] += x[patch[k]] * weight`` over a patch; for a dense layer
    (``identity``: the patch is every input) only over the inputs that have
    spiked (``alive``, how many in its last entry), the others' trace being 0."""
    if identity:
        for a in range(alive[-1]):
            i = alive[a]
            row[i] += x[i] * weight
    else:
        for k in range(len(patch)):
            row[k] += x[patch[k]] * weight


@njit(cache=True, error_model="numpy")
def _pre_trace_at_post(b, g, term, n, spk, x, post_val, q, c0, c1, patches, sums):
    """Term ``term`` of one sample and step: at each postsynaptic spike, the
    presynaptic trace ``x`` of the neuron's patch, times the factor ``c0 + c1
    * y`` of its postsynaptic trace ``y = post_val[q]`` (the triplet rule's
    ``a2_plus + a3_plus * o2``; ``c0`` if ``q < 0``). ``patches = (index,
    identity, alive)``: a dense layer reads the inputs that have spiked, the
    others' traces being zero."""
    index, identity, alive = patches
    n_filters = sums.shape[3] // index.shape[1]
    patch_size = index.shape[1]
    for a in range(n):
        j = spk[b, a]
        loc, f = divmod(j, n_filters)
        factor = c0
        if q >= 0:
            factor += c1 * post_val[q, b, j]
        row = sums[g, term, loc, f * patch_size : (f + 1) * patch_size]
        _add_patch(row, x, factor, index[loc], alive[b], identity)


@njit(cache=True, error_model="numpy")
def _post_trace_at_pre(b, g, term, lo, hi, idx, y, pre_val, q, c0, c1, members, sums):
    """Term ``term`` of one sample and step: at each presynaptic spike, the
    postsynaptic traces ``y`` of the neurons its patch entries feed (those
    that have spiked: the others' are zero), times the factor ``c0 + c1 * x``
    of its presynaptic trace ``x = pre_val[q]`` (the triplet rule's ``a2_minus
    + a3_minus * r2``; ``c0`` if ``q < 0``). ``members = (mem_ptr, mem_lk,
    act_n, act)``."""
    mem_ptr, mem_lk, act_n, act = members
    n_filters = len(y) // act_n.shape[1]
    patch_size = sums.shape[3] // n_filters
    for e in range(lo, hi):
        i = idx[e]
        factor = c0
        if q >= 0:
            factor += c1 * pre_val[q, b, i]
        for m in range(mem_ptr[i], mem_ptr[i + 1]):
            loc, k = divmod(mem_lk[m], patch_size)
            base = loc * n_filters
            row = sums[g, term, loc, k * n_filters : (k + 1) * n_filters]
            for a in range(act_n[b, loc]):
                f = act[b, base + a]
                row[f] += y[base + f] * factor


@njit(cache=True, error_model="numpy")
def _fired_at_post(b, g, term, n, spk, x, threshold, weight, patches, sums):
    """Term ``term`` of one sample and step, once this step's presynaptic
    spikes have joined the traces: at each postsynaptic spike, ``weight`` (1,
    or R-STDP's reward) for each input of the neuron's patch that counts as
    having fired, its trace ``x`` (``"reset"`` mode: 1 at a spike, this
    step's included) above ``threshold`` (SimplifiedSTDP, R-STDP)."""
    index, identity, alive = patches
    patch_size = index.shape[1]
    n_filters = sums.shape[3] // patch_size
    for a in range(n):
        loc, f = divmod(spk[b, a], n_filters)
        row = sums[g, term, loc, f * patch_size : (f + 1) * patch_size]
        if identity:
            for a2 in range(alive[b, -1]):
                i = alive[b, a2]
                if x[i] > threshold:
                    row[i] += weight
        else:
            patch = index[loc]
            for k in range(patch_size):
                if x[patch[k]] > threshold:
                    row[k] += weight


@njit(cache=True, error_model="numpy")
def _post_count(b, g, term, n, spk, weight, n_filters, sums):
    """Term ``term`` of one sample and step: ``weight`` (R-STDP's reward) for
    every synapse of each neuron that spiked (its postsynaptic spikes,
    counted per synapse; row ``f * K + k``)."""
    patch_size = sums.shape[3] // n_filters
    for a in range(n):
        loc, f = divmod(spk[b, a], n_filters)
        row = sums[g, term, loc, f * patch_size : (f + 1) * patch_size]
        for k in range(patch_size):
            row[k] += weight


@njit(cache=True, error_model="numpy")
def _pre_count(b, g, term, lo, hi, idx, n_filters, members, sums):
    """Term ``term`` of one sample and step: 1 for every synapse of each
    presynaptic spike, to every neuron its patch entries feed, spiked or not
    (row ``k * F + f``; the inhibitory rule's constant depression)."""
    mem_ptr, mem_lk = members
    patch_size = sums.shape[3] // n_filters
    for e in range(lo, hi):
        i = idx[e]
        for m in range(mem_ptr[i], mem_ptr[i + 1]):
            loc, k = divmod(mem_lk[m], patch_size)
            row = sums[g, term, loc, k * n_filters : (k + 1) * n_filters]
            for f in range(n_filters):
                row[f] += 1.0


@njit(cache=True, error_model="numpy")
def _voltage_at_pre(b, g, term, lo, hi, idx, ubar, theta, n_filters, members, sums):
    """Term ``term`` of one sample and step (Clopath's depression): at each
    presynaptic spike, ``[ubar - theta]_+`` of every neuron its patch entries
    feed, ``ubar`` being the sample's low-pass filtered potentials (L * F),
    read before this step's potential; every neuron, spiked or not.
    ``members = (mem_ptr, mem_lk)``; row ``k * F + f``."""
    mem_ptr, mem_lk = members
    patch_size = sums.shape[3] // n_filters
    for e in range(lo, hi):
        i = idx[e]
        for m in range(mem_ptr[i], mem_ptr[i + 1]):
            loc, k = divmod(mem_lk[m], patch_size)
            base = loc * n_filters
            row = sums[g, term, loc, k * n_filters : (k + 1) * n_filters]
            for f in range(n_filters):
                above = ubar[base + f] - theta
                if above > 0:
                    row[f] += above


@njit(cache=True, error_model="numpy")
def _trace_at_voltage(b, g, term, x, u, ubar, vconst, c0, patches, sums):
    """Term ``term`` of one sample and step (Clopath's potentiation): for
    every neuron with ``[u - theta_plus]_+ [ubar_plus - theta_minus]_+ > 0``
    (``u`` its potential at this step, ``ubar`` its filtered potential before
    it), the presynaptic trace ``x`` of its patch times that product times
    ``c0``."""
    index, identity, alive = patches
    n_locations, patch_size = index.shape
    n_filters = len(u) // n_locations
    theta_minus, theta_plus = vconst[CL_THETA_MINUS], vconst[CL_THETA_PLUS]
    for j in range(len(u)):
        gain = u[j] - theta_plus
        if gain <= 0:
            continue
        other = ubar[j] - theta_minus
        if other <= 0:
            continue
        loc, f = divmod(j, n_filters)
        row = sums[g, term, loc, f * patch_size : (f + 1) * patch_size]
        _add_patch(row, x, gain * other * c0, index[loc], alive[b], identity)


@njit(cache=True, error_model="numpy")
def _eligibility(b, g, decay, credit, elig, sums, term_kind, modes, act_n, act):
    """MSTDPET's eligibility of sample ``b`` (``elig[b]``, the layout of the
    sums): with ``decay``, multiply the rows of the neurons that have spiked
    (the others are zero) by it; else add ``credit`` (the reward times
    ``dt``) times them to group ``g``'s sums."""
    n_locations, width = elig.shape[2], elig.shape[3]
    n_filters = act.shape[1] // n_locations
    patch_size = width // n_filters
    for term in range(len(term_kind)):
        if not modes[term, 1]:
            continue
        by_pre = term_kind[term] == POST_TRACE_AT_PRE  # row k * F + f
        for loc in range(n_locations):
            rows = elig[b, term, loc]
            out = sums[g, term, loc]
            for a in range(act_n[b, loc]):
                f = act[b, loc * n_filters + a]
                for k in range(patch_size):
                    at = k * n_filters + f if by_pre else f * patch_size + k
                    if decay:
                        rows[at] *= credit
                    else:
                        out[at] += credit * rows[at]


@njit(cache=True, error_model="numpy")
def _trace_products(b, g, term, x, y, theta, patches, act_n, act, sums, post_sq):
    """Term ``term`` of one sample and step: the presynaptic trace ``x`` of
    each neuron's patch times its postsynaptic trace ``y`` (Hebbian, Oja), or
    times ``y * (y - theta)`` with BCM's sliding threshold ``theta`` (empty
    for the others); only the neurons that have spiked have a non-zero ``y``.
    Adds ``y**2`` to ``post_sq`` (Oja's decay, BCM's threshold)."""
    index, identity, alive = patches
    n_locations, patch_size = index.shape
    n_filters = len(y) // n_locations
    bcm = theta.shape[0] > 0
    for loc in range(n_locations):
        base = loc * n_filters
        patch = index[loc]
        for a in range(act_n[b, loc]):
            f = act[b, base + a]
            yf = y[base + f]
            post_sq[g, loc, f] += yf * yf
            weight = yf * (yf - theta[loc, f]) if bcm else yf
            row = sums[g, term, loc, f * patch_size : (f + 1) * patch_size]
            _add_patch(row, x, weight, patch, alive[b], identity)


@njit(cache=True, error_model="numpy", inline="always")
def _learn(b, t, g, n_steps, inputs, spk, nspk, geometry, n_filters, plastic, v):
    """The plasticity sums of one sample and step (its ``nspk[b]`` spikes
    ``spk[b]``; ``v`` the neurons' potentials at the end of the step), into
    group ``g``'s buffers.

    ``plastic = (terms, traces, activity, totals, sliding, modulation,
    voltage)``. Each of the rule's terms sums, over steps and samples, a
    presynaptic quantity times a postsynaptic one (``terms = (kind, trace,
    factor, coef, modes)``, one entry per term):

    - PRE_TRACE_AT_POST: presynaptic trace ``trace`` at the postsynaptic
      spikes, times ``coef[0] + coef[1] * y`` with ``y`` the postsynaptic
      trace ``factor`` (-1: times ``coef[0]``);
    - POST_TRACE_AT_PRE: postsynaptic trace ``trace`` at the presynaptic
      spikes, times ``coef[0] + coef[1] * x`` with ``x`` the presynaptic trace
      ``factor`` (-1: times ``coef[0]``);
    - PRE_FIRED_AT_POST: at the postsynaptic spikes, whether the presynaptic
      trace ``trace``, this step's spikes included, is above ``coef[0]``;
    - TRACE_PRODUCT: at every step, presynaptic trace ``trace`` times the
      postsynaptic trace ``factor`` (times ``y - theta`` for BCM); at most one
      such term (it also sums ``y**2``);
    - POST_COUNT: 1 per postsynaptic spike, for every synapse of the neuron;
    - VOLTAGE_AT_PRE: at the presynaptic spikes, ``[ubar_minus -
      theta_minus]_+`` of every neuron fed (Clopath's depression);
    - TRACE_AT_VOLTAGE: at every step, presynaptic trace ``trace`` times
      ``coef[0] [u - theta_plus]_+ [ubar_plus - theta_minus]_+`` (Clopath's
      potentiation; ``u`` the potential, ``u_spike`` at a spike).

    ``modes`` (n_terms, 2): column 0 says how a term weighs the sample's
    reward ``r`` at the step (NO_REWARD; REWARD: times ``r``;
    REWARD_POSITIVE: ``max(r, 0)``; REWARD_NEGATIVE: ``max(-r, 0)``), column
    1 whether it goes through an eligibility trace (MSTDPET): then its
    contributions go into the sample's eligibility (``modulation``), which
    decays by ``elig_decay`` at the start of every step, and ``r * dt`` times
    the eligibility is added to the sums at the end of it.

    ``traces = (pre_mode, pre_decay, post_mode, post_decay, pre_val,
    post_val)``: the traces (float64, ``pre_val`` (n_pre, B, N), ``post_val``
    (n_post, B, L * F)) decay by ``exp(-dt / tau)`` at the start of the step
    and take this step's spikes at its end, as the numpy engine's stepped
    traces do, so that the terms read them before this step's spikes (but
    PRE_FIRED_AT_POST).

    ``activity = (is_alive, alive, spiked, act_n, act)``: ``is_alive`` (B, N)
    marks the inputs that have spiked, listed by ``alive`` (B, N + 1; how many
    in the last column), and ``spiked`` (B, L * F) the neurons, listed per
    location by ``act`` (B, L * F: the first ``act_n[b, l]`` entries from
    ``l * F``): the others' traces are zero.

    ``totals = (sums, npost, touched, nstep, post_sq)``, per group, since
    the last update: ``sums`` (G, n_terms, L, F * K), row ``f * K + k`` for
    the terms read at postsynaptic spikes or every step, ``k * F + f`` for
    those read at presynaptic spikes (each adds along a contiguous row);
    ``npost`` (G, L, F) counts the postsynaptic spikes, ``nstep`` (G,) the
    steps of the group's samples, ``post_sq`` (G, L, F) sums ``y**2`` of a
    TRACE_PRODUCT term; ``touched`` (G, L, F) marks the neurons that have
    spiked in the presentation, the only ones whose sums may be non-zero
    (but Clopath's).

    ``sliding = (theta (L, F), rate (1,))``: BCM's threshold (float64) and
    the fraction of the way it moves after each step; empty for other rules.

    ``modulation = (reward (B, T), elig (B, n_terms, L, F * K), (elig_decay,
    dt))``: the samples' reward at every step (empty for rules that read
    none; float64) and MSTDPET's eligibility (empty for other rules).

    ``voltage = (ubar (2, B, L * F), vconst, u)``: Clopath's filtered
    potentials (``ubar_minus``, ``ubar_plus``; float64, starting at
    ``theta_minus``), its constants (entries CL_U_SPIKE, CL_THETA_MINUS, ...) and a
    scratch row per sample for the potential it reads; empty for other
    rules. The filters move towards this step's potential at the end of the
    step, ``ubar = u + (ubar - u) * decay``.
    """
    ptr, idx = inputs
    lo, hi = ptr[b * n_steps + t], ptr[b * n_steps + t + 1]
    n = nspk[b]
    term_kind, trace, factor, coef, modes = plastic[0]
    pre_mode, pre_decay, post_mode, post_decay, pre_val, post_val = plastic[1]
    is_alive, alive, spiked, act_n, act = plastic[2]
    sums, npost, touched, nstep, post_sq = plastic[3]
    reward, elig, elig_const = plastic[5]
    ubar, vconst, u_now = plastic[6]
    n_locations = geometry[0].shape[0]
    n_alive = alive[b, -1]
    rw = reward[b, t] if reward.shape[0] > 0 else 1.0
    # the traces decay (only the inputs and neurons that have spiked: the
    # others' are zero)
    for q in range(len(pre_mode)):
        x, d = pre_val[q, b], pre_decay[q]
        for a in range(n_alive):
            x[alive[b, a]] *= d
    for q in range(len(post_mode)):
        y, d = post_val[q, b], post_decay[q]
        for loc in range(n_locations):
            base = loc * n_filters
            for a in range(act_n[b, loc]):
                y[base + act[b, base + a]] *= d
    if elig.shape[0] > 0:  # MSTDPET's eligibility decays
        _eligibility(
            b, g, True, elig_const[0], elig, sums, term_kind, modes, act_n, act
        )
    voltage = ubar.shape[0] > 0
    if voltage:  # Clopath's potential: v, or u_spike in the step of a spike
        u = u_now[b]
        u[:] = v[b]
        for a in range(n):
            u[spk[b, a]] = vconst[CL_U_SPIKE]
    nstep[g] += 1
    for a in range(n):
        loc, f = divmod(spk[b, a], n_filters)
        npost[g, loc, f] += 1
        touched[g, loc, f] = True
    index, mem_ptr, mem_lk = geometry
    identity = n_locations == 1 and index.shape[1] == len(mem_ptr) - 1  # dense
    patches = (index, identity, alive)
    for term in range(len(term_kind)):
        kind, q, c0, c1 = term_kind[term], factor[term], coef[term, 0], coef[term, 1]
        weight = 1.0  # of the reward
        if modes[term, 0] == REWARD:
            weight = rw
        elif modes[term, 0] == REWARD_POSITIVE:
            weight = max(rw, 0.0)
        elif modes[term, 0] == REWARD_NEGATIVE:
            weight = max(-rw, 0.0)
        out, gb = sums, g
        if modes[term, 1]:  # into the sample's eligibility
            out, gb = elig, b
        elif weight == 0.0:
            continue
        if kind == PRE_TRACE_AT_POST:
            x = pre_val[trace[term], b]
            _pre_trace_at_post(
                b, gb, term, n, spk, x, post_val, q, c0 * weight, c1 * weight,
                patches, out,
            )  # fmt: skip
        elif kind == POST_TRACE_AT_PRE:
            y = post_val[trace[term], b]
            members = (mem_ptr, mem_lk, act_n, act)
            _post_trace_at_pre(
                b, gb, term, lo, hi, idx, y, pre_val, q, c0 * weight, c1 * weight,
                members, out,
            )  # fmt: skip
        elif kind == TRACE_PRODUCT:
            x, y = pre_val[trace[term], b], post_val[q, b]
            _trace_products(
                b, g, term, x, y, plastic[4][0], patches, act_n, act, sums, post_sq
            )
        elif kind == POST_COUNT:
            _post_count(b, gb, term, n, spk, weight, n_filters, out)
        elif kind == VOLTAGE_AT_PRE:
            _voltage_at_pre(
                b, gb, term, lo, hi, idx, ubar[0, b], vconst[CL_THETA_MINUS],
                n_filters, (mem_ptr, mem_lk), out,
            )  # fmt: skip
        elif kind == PRE_COUNT:
            _pre_count(b, gb, term, lo, hi, idx, n_filters, (mem_ptr, mem_lk), out)
        elif kind == TRACE_AT_VOLTAGE:
            x = pre_val[trace[term], b]
            _trace_at_voltage(
                b, gb, term, x, u_now[b], ubar[1, b], vconst, c0, patches, out
            )
    # this step's spikes join the traces
    for e in range(lo, hi):
        i = idx[e]
        if not is_alive[b, i]:  # its first spike
            is_alive[b, i] = True
            alive[b, n_alive] = i
            n_alive += 1
    alive[b, -1] = n_alive
    for q in range(len(pre_mode)):
        x = pre_val[q, b]
        for e in range(lo, hi):
            i = idx[e]
            x[i] = x[i] + 1.0 if pre_mode[q] == ADD else 1.0
    for q in range(len(post_mode)):
        y = post_val[q, b]
        for a in range(n):
            j = spk[b, a]
            y[j] = y[j] + 1.0 if post_mode[q] == ADD else 1.0
    for term in range(len(term_kind)):
        if term_kind[term] == PRE_FIRED_AT_POST:
            weight = 1.0
            if modes[term, 0] == REWARD_POSITIVE:
                weight = max(rw, 0.0)
            elif modes[term, 0] == REWARD_NEGATIVE:
                weight = max(-rw, 0.0)
            elif modes[term, 0] == REWARD:
                weight = rw
            if weight == 0.0:
                continue
            x, threshold = pre_val[trace[term], b], coef[term, 0]
            _fired_at_post(b, g, term, n, spk, x, threshold, weight, patches, sums)
    for a in range(n):
        loc, f = divmod(spk[b, a], n_filters)
        if not spiked[b, loc * n_filters + f]:  # its first spike
            spiked[b, loc * n_filters + f] = True
            act[b, loc * n_filters + act_n[b, loc]] = f
            act_n[b, loc] += 1
    if elig.shape[0] > 0 and rw != 0.0:  # the reward credits the eligibility
        credit = rw * elig_const[1]  # times dt
        _eligibility(b, g, False, credit, elig, sums, term_kind, modes, act_n, act)
    if voltage:  # the filtered potentials take this step's
        u = u_now[b]
        for r in range(2):
            d = vconst[CL_DECAY_MINUS + r]
            row = ubar[r, b]
            for j in range(len(u)):
                row[j] = u[j] + (row[j] - u[j]) * d


@njit(cache=True, error_model="numpy", inline="always")
def _step(
    b, t, n_steps, c, compute, inputs, geometry, weights, neuron, state,
    competition, flags, scratch, records,
):  # fmt: skip
    """One step of one sample's neurons (see the module docstring for the
    arguments), on the input current ``c``, computed here if ``compute``;
    the caller then calls :func:`_learn` (see "Compilation" in the module
    docstring)."""
    ptr, idx = inputs
    cur, margin, spk, nspk, loc_cnt, inh_on = scratch
    shared, inhibits = flags[0], flags[1]
    n_filters = weights.shape[2]
    lo, hi = ptr[b * n_steps + t], ptr[b * n_steps + t + 1]
    if compute:
        _currents(b, lo, hi, idx, geometry, weights, shared, c)
    if neuron[0] == LINEAR:
        n_cand = _linear(b, c, neuron, state, margin[b])
    else:
        n_cand = _izhikevich(b, c, neuron, state, margin[b])
    n = 0
    if n_cand:
        n = _compete(b, margin[b], competition[0], n_filters, spk, loc_cnt)
        _reset(b, n, spk, neuron, state)
    nspk[b] = n
    if inhibits and n:
        _inhibit(b, n, spk, loc_cnt, competition, n_filters, state[4][b])
        inh_on[b] = True
    elif inh_on[b]:  # no spike: no inhibition at the next step
        state[4][b][:] = 0
        inh_on[b] = False
    rec_spk, rec_v = records
    if rec_spk.shape[0] > 0:
        for a in range(n):
            rec_spk[t, b, spk[b, a]] = True
    if rec_v.shape[0] > 0:
        vb = state[0][b]
        for j in range(len(vb)):
            rec_v[t, b, j] = vb[j]


@njit(cache=True)
def _share_thresholds(theta, spk, nspk, npar, total, cols, mark):
    """Add to every sample's thresholds the increments of the other samples'
    spikes of this step (the batch shares its learned thresholds), as
    :meth:`NeuronModel.share_adaptation
    <stdp_lab.neurons.NeuronModel.share_adaptation>` does."""
    n_samples = theta.shape[0]
    n_cols = 0
    for b in range(n_samples):
        for a in range(nspk[b]):
            j = spk[b, a]
            if total[j] == 0:
                cols[n_cols] = j
                n_cols += 1
            total[j] += 1
    for b in range(n_samples):
        for a in range(nspk[b]):
            mark[spk[b, a]] = 1
        for c in range(n_cols):
            j = cols[c]
            others = theta.dtype.type(total[j] - mark[j])
            theta[b, j] = theta[b, j] + others * npar[THETA_PLUS, j]
        for a in range(nspk[b]):
            mark[spk[b, a]] = 0
    for c in range(n_cols):
        total[cols[c]] = 0


@njit(cache=True, error_model="numpy")
def _slide_thresholds(plastic):
    """BCM: after a step of every sample, each threshold moves towards the
    batch mean of this step's ``y**2`` (summed by :func:`_trace_products`),
    ``theta += alpha * (mean - theta)``, as :meth:`BCM.delta
    <stdp_lab.plasticity.BCM.delta>` does; clears the sums of ``y**2``."""
    n_samples = plastic[2][2].shape[0]
    post_sq = plastic[3][4]
    theta, rate = plastic[4]
    alpha = rate[0]
    for loc in range(theta.shape[0]):
        for f in range(theta.shape[1]):
            total = 0.0
            for g in range(post_sq.shape[0]):
                total += post_sq[g, loc, f]
                post_sq[g, loc, f] = 0.0
            theta[loc, f] = theta[loc, f] + alpha * (total / n_samples - theta[loc, f])


@njit(cache=True, error_model="numpy")
def _take_row(sums, term_kind, term, loc, f, out):
    """Term ``term``'s sums of the synapses (loc, :, f) into ``out`` (K,),
    added over the groups in group order, and clear them (0 if the rule has
    fewer terms)."""
    out[:] = 0.0
    if term >= sums.shape[1]:
        return
    patch_size = len(out)
    n_filters = sums.shape[3] // patch_size
    start, stride = f * patch_size, 1  # row f * K + k
    by_pre = (POST_TRACE_AT_PRE, VOLTAGE_AT_PRE, PRE_COUNT)
    if term_kind[term] in by_pre:  # row k * F + f
        start, stride = f, n_filters
    for g in range(sums.shape[0]):
        row = sums[g, term, loc]
        for k in range(patch_size):
            out[k] += row[start + k * stride]
            row[start + k * stride] = 0.0


@njit(cache=True, error_model="numpy")
def _change(kind, par, sums, k, w, n_post, post_sq, n_steps):
    """The change of a weight ``w`` as its rule computes it from the sums of
    a presentation, in the weights' dtype: ``sums[i, k]`` is the float64 sum
    of term ``i`` (0 to 3) of synapse ``k``; ``n_post`` (the neuron's postsynaptic
    spikes), ``post_sq`` (its summed ``y**2``) and ``n_steps`` (the steps since
    the last update) are in the weights' dtype, as are the rule's parameters
    ``par``: numpy 2 casts a rule's Python floats (weak scalars) to it.

    (One weight per call, the rule's branch taken inside the caller's loop
    over a row: a loop per rule would compile several times longer, and the
    branch always goes the same way.)
    """
    dtype = par.dtype.type
    ltp, ltd = dtype(sums[0, k]), dtype(sums[1, k])
    if kind == PAIR_ADDITIVE:
        # PairSTDP: a_plus * LTP - a_minus * LTD
        return par[0] * ltp - par[1] * ltd
    if kind == PAIR_MULTIPLICATIVE:
        # PairSTDP: a_plus * (w_max - w) * LTP - a_minus * (w - w_min) * LTD
        return par[0] * (par[3] - w) * ltp - par[1] * (w - par[2]) * ltd
    if kind == DIEHL_COOK:
        # DiehlCookSTDP: learning_rate * (LTP - x_tar * n_post)
        #                * max(w_max - w, 0) ** mu (if mu)
        change = par[0] * (ltp - par[1] * n_post)
        if par[2] != 0:
            room = par[3] - w
            if room < 0:
                room = dtype(0)
            change = change * room ** par[2]
        return change
    if kind == TRIPLET:
        # TripletSTDP: LTP - LTD, the factors a2 + a3 * trace in the sums
        return ltp - ltd
    if kind == SIMPLIFIED:
        # SimplifiedSTDP: (a_plus * n_ltp - a_minus * (n_post - n_ltp))
        #                 * (w - w_min) (w_max - w) / (w_max - w_min)
        soft = (w - par[2]) * (par[3] - w) / par[4]  # par[4]: w_max - w_min
        return (par[0] * ltp - par[1] * (n_post - ltp)) * soft
    if kind == HEBBIAN:
        # Hebbian: learning_rate * sum x y - (n_samples * decay) * w per step
        return par[0] * ltp - n_steps * (par[1] * w)
    if kind == OJA:
        # Oja: learning_rate * (sum x y - sum y^2 * w)
        return par[0] * (ltp - post_sq * w)
    if kind == MSTDP or kind == MSTDPET:
        # MSTDP: learning_rate * (a_plus * sum r x S - a_minus * sum r S y);
        # MSTDPET: learning_rate * dt * (a_plus * sum r z_ltp - a_minus * ...)
        return par[0] * (par[1] * ltp - par[2] * ltd)
    if kind == RSTDP:
        # RSTDP: (a_r+ F+ - a_r- (N+ - F+) + a_p+ (N- - F-) - a_p- F-) * soft,
        # F the fired counts, N the post spikes, weighted by r+ and r-
        fired_n, all_n = dtype(sums[2, k]), dtype(sums[3, k])
        change = par[0] * ltp - par[1] * (ltd - ltp)
        change = change + (par[2] * (all_n - fired_n) - par[3] * fired_n)
        soft = (w - par[4]) * (par[5] - w) / par[6]
        return change * soft
    if kind == CLOPATH:
        # ClopathSTDP: a_ltp * dt * sum x_bar gain - a_ltd * sum [ubar - theta]+
        return par[0] * ltp - par[1] * ltd
    if kind == ISTDP:
        # InhibitorySTDP on these synapses: eta * (sum S_pre y + sum x S_post
        #                                          - alpha * n_pre)
        return par[0] * ((ltd + ltp) - par[1] * dtype(sums[2, k]))
    # BCM: learning_rate * sum x y (y - theta)
    return par[0] * ltp


@njit(cache=True, error_model="numpy")
def _apply_update(weights, plastic, rule, bounds, shared, dw):
    """Add the weight change of the sums since the last update (every group's,
    in group order), computed by :func:`_change`, fold it over locations for
    shared weights, clip to the bounds and clear the sums. Only the neurons
    that spiked have non-zero sums (``touched``); the Hebbian rule's decay
    changes every weight."""
    kind, par, overflow = rule
    dtype = weights.dtype.type
    term_kind, n_samples = plastic[0][0], plastic[2][2].shape[0]
    sums, npost, touched, nstep, post_sq = plastic[3]
    n_groups, n_locations = sums.shape[0], sums.shape[2]
    n_filters, patch_size = weights.shape[2], weights.shape[1]
    w_lo, w_hi = bounds[0], bounds[1]
    n_steps = 0  # since the last update: the group's samples' steps / B
    for g in range(n_groups):
        n_steps += nstep[g]
        nstep[g] = 0
    steps = dtype(n_steps // max(n_samples, 1))
    # the Hebbian decay, and Clopath's depression of neurons that never spiked
    # the inhibitory rule's depression at every presynaptic spike
    every_neuron = (kind == HEBBIAN and par[1] != 0) or kind == CLOPATH
    every_neuron = every_neuron or kind == ISTDP
    rows = np.empty((4, patch_size))  # the sums of terms 0 to 3
    dw[:] = 0
    for loc in range(n_locations):
        s = 0 if shared else loc
        for f in range(n_filters):
            n_post = 0
            active = every_neuron
            y2 = 0.0
            for g in range(n_groups):
                n_post += npost[g, loc, f]
                active = active or touched[g, loc, f]
                y2 += post_sq[g, loc, f]
                post_sq[g, loc, f] = 0.0
            if not active:
                continue
            for term in range(4):
                _take_row(sums, term_kind, np.int64(term), loc, f, rows[term])
            n, sq = dtype(n_post), dtype(y2)
            for k in range(patch_size):
                w = weights[s, k, f]
                change = _change(kind, par, rows, k, w, n, sq, steps)
                if not np.isfinite(change):  # counted: the caller raises
                    overflow[0] += 1
                if shared:
                    dw[k, f] += change
                else:
                    weights[s, k, f] = w + change
    if shared:
        for k in range(patch_size):
            for f in range(n_filters):
                weights[0, k, f] = weights[0, k, f] + dw[k, f]
    flat = weights.reshape(-1)
    for x in range(len(flat)):
        flat[x] = min(max(flat[x], w_lo), w_hi)
    npost[:] = 0


@njit(cache=True, error_model="numpy")
def _learn_lateral(b, g, n, spk, n_filters, lateral_plastic):
    """The sums of the inhibitory rule (Vogels et al. 2011) of a learned
    lateral inhibition, one sample and step: each spike of neuron ``j``
    (postsynaptic side) adds the trace of every neuron ``i`` of its location
    to the pair ``(i, j)``, each spike of ``i`` (presynaptic side) adds the
    trace of every ``j`` minus ``alpha``; the traces (float64, one per neuron:
    both sides have the same time constant) decay first and take this step's
    spikes last, as the numpy engine's stepped traces.

    ``lateral_plastic = (sums (G, L, F * F), traces (B, L * F), const)``, row
    ``i * F + j``, ``const = (decay, alpha, eta)``.
    """
    sums, traces, const = lateral_plastic
    decay, alpha = const[0], const[1]
    x = traces[b]
    for j in range(len(x)):
        x[j] *= decay
    for a in range(n):
        loc, j = divmod(spk[b, a], n_filters)
        base = loc * n_filters
        row = sums[g, loc]
        for i in range(n_filters):
            row[i * n_filters + j] += x[base + i]  # i's trace at j's spike
        for f in range(n_filters):
            row[j * n_filters + f] += x[base + f] - alpha  # j's as presynaptic
    for a in range(n):
        j = spk[b, a]
        x[j] = x[j] + 1.0


@njit(cache=True, error_model="numpy")
def _apply_lateral(lateral, lateral_plastic, overflow):
    """Add ``eta`` times the lateral sums (every group's, in group order;
    over locations for a shared matrix) to the lateral inhibition, keep it
    >= 0 with a zero diagonal, clear the sums."""
    sums, traces, const = lateral_plastic
    eta = lateral.dtype.type(const[2])
    n_groups, n_locations = sums.shape[0], sums.shape[1]
    n_filters = lateral.shape[2]
    shared = lateral.shape[0] == 1
    total = np.zeros((lateral.shape[0], n_filters * n_filters))
    for g in range(n_groups):
        for loc in range(n_locations):
            row = total[0 if shared else loc]
            for e in range(n_filters * n_filters):
                row[e] += sums[g, loc, e]
                sums[g, loc, e] = 0.0
    for s in range(lateral.shape[0]):
        for i in range(n_filters):
            for j in range(n_filters):
                change = eta * lateral.dtype.type(total[s, i * n_filters + j])
                if not np.isfinite(change):
                    overflow[0] += 1
                value = lateral[s, i, j] + change
                keep = value > 0 and i != j
                lateral[s, i, j] = value if keep else lateral.dtype.type(0)


@njit(cache=True, nogil=True, error_model="numpy")
def precompute(b0, b1, t0, t1, n_steps, inputs, geometry, weights, shared, chunk):
    """The input currents of steps ``t0`` to ``t1`` of samples ``b0`` to
    ``b1`` into ``chunk`` (B, t1 - t0, L * F): they depend only on the input
    spikes and the weights."""
    ptr, idx = inputs
    for b in range(b0, b1):
        for t in range(t0, t1):
            lo, hi = ptr[b * n_steps + t], ptr[b * n_steps + t + 1]
            _currents(b, lo, hi, idx, geometry, weights, shared, chunk[b, t - t0])


@njit(cache=True, nogil=True, error_model="numpy")
def run_steps(
    g0, g1, t0, t1, update_every, finish, n_steps, group_start, chunk, inputs,
    geometry, weights, neuron, state, competition, flags, plastic, rule,
    bounds, scratch, records, shared_theta, lateral,
):  # fmt: skip
    """Steps ``t0`` to ``t1`` of the sample groups ``g0`` to ``g1``, then, if
    ``finish``, the weight update of the changes summed since the last one
    (the caller's only way to update: see "Compilation" in the module
    docstring). ``lateral`` holds the sums and traces of a learned lateral
    inhibition (``flags[4]``; see :func:`_learn_lateral`), whose matrices
    are ``competition[5]`` and change at the weight updates.

    A batch that is not serial (``flags[3]``) runs each sample through the
    steps on its own, computing its currents; the weights are updated every
    ``update_every`` steps (0: not here) only when every group runs here
    (several threads each run some groups between two updates). A serial
    batch runs step by step, every group, reading the currents of ``chunk``
    (computed ahead by :func:`precompute`); after each step every sample's
    thresholds take the others' increments if the batch shares them
    (``shared_theta`` not empty), and BCM's thresholds move.
    """
    learn, serial, lateral_learn = flags[2], flags[3], flags[4]
    cur, spk, nspk = scratch[0], scratch[2], scratch[3]
    n_filters = weights.shape[2]
    total, cols, mark, dw = shared_theta
    sliding = learn and len(plastic[4][1]) > 0
    compute = not serial
    # Segments of steps between two meetings of the samples: one step for a
    # serial batch, else the steps between two weight updates (one loop for
    # both orders: one call of _step and of _learn to inline).
    segment = t1 - t0 if update_every <= 0 else update_every
    segment = 1 if serial else max(segment, 1)
    for s0 in range(t0, t1, segment):
        s1 = min(s0 + segment, t1)
        for g in range(g0, g1):
            for b in range(group_start[g], group_start[g + 1]):
                for t in range(s0, s1):
                    c = chunk[b, t - t0] if serial else cur[b]
                    _step(
                        b, t, n_steps, c, compute, inputs, geometry, weights,
                        neuron, state, competition, flags, scratch, records,
                    )  # fmt: skip
                    if learn:
                        _learn(
                            b, t, g, n_steps, inputs, spk, nspk, geometry,
                            n_filters, plastic, state[0],
                        )  # fmt: skip
                    if lateral_learn:
                        _learn_lateral(b, g, nspk[b], spk, n_filters, lateral)
        if serial and len(total):
            _share_thresholds(state[2], spk, nspk, neuron[1], total, cols, mark)
        if sliding:
            _slide_thresholds(plastic)
        if update_every > 0 and s1 % update_every == 0:
            if learn:
                _apply_update(weights, plastic, rule, bounds, flags[0], dw)
            if lateral_learn:
                _apply_lateral(competition[5], lateral, rule[2])
    if learn and finish:
        _apply_update(weights, plastic, rule, bounds, flags[0], dw)
    if lateral_learn and finish:
        _apply_lateral(competition[5], lateral, rule[2])
