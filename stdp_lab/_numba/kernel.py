"""The compiled step of one layer over one presentation (numba).

One kernel runs every step of a layer for a batch of samples: the input current
from the weight rows of the inputs that spiked, the neuron update, the
competition among the filters of a location, the inhibition for the next step
and, while learning, the plasticity sums. It does what the numpy engine
(:mod:`stdp_lab.network._numpy`) does, operation for operation in the state's
dtype, so that both give the same spikes bit for bit; the plasticity sums are
kept in float64, as the numpy engine's pair sums are.

Parallel work: samples are split into groups fixed by the caller (never by the
number of threads), and the caller's threads run groups side by side (the
kernels release the GIL). In inference every sample is its own group and runs
all its steps at once. While learning, each group adds its samples' plasticity
sums into its own float64 buffer, and the buffers are added in group order at
each weight update, so the result does not depend on the number of threads.
When the batch shares its learned thresholds, its samples meet after every
step and the other samples' threshold increments are added then, as in the
numpy engine: their currents are computed ahead in parallel, the steps run on
one thread.

Layout: neurons are flat, ``j = l * F + f``; state arrays are ``(B, L * F)``;
the input spikes of sample ``b`` at step ``t`` are
``idx[ptr[b * T + t]:ptr[b * T + t + 1]]``, ascending. The arguments travel in
tuples, each named for what it holds (built by
:mod:`stdp_lab.network._compiled`):

- ``inputs = (ptr, idx)``;
- ``geometry = (index (L, K), mem_ptr (N + 1,), mem_lk)``: ``mem_lk[mem_ptr[i]:
  mem_ptr[i + 1]]`` lists ``l * K + k`` for the patch entries input ``i`` feeds;
- ``weights (S, K, F)``, ``S`` = 1 (shared) or L;
- ``neuron = (npar (N_NEURON_PARAMS, L * F), consts = (dt, refractory tol.))``;
- ``state = (v, ref, theta, counts, inh)``, each (B, L * F) (zeros where the
  model has no refractoriness, adaptive threshold or inhibition);
- ``competition = (k, inhibition, inhibition_between, nb_ptr, nb_idx)``;
- ``flags = (shared, inhibits, learn)``;
- ``plastic``: the rule's terms and traces, see :func:`_learn`;
- ``scratch = (cur, margin, spk, nspk, loc_cnt, inh_on)``, ``records = (spikes,
  v)``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Rows of the neuron parameter array ``npar`` (each a per-neuron vector, L * F).
DECAY, GAIN, OFFSET, V_RESET, V_THRESH, T_REF, THETA_PLUS, THETA_DECAY = range(8)
N_NEURON_PARAMS = 8

# Term kinds of the pair-sum rules: which side's trace is read at the other
# side's spikes.
PRE_TRACE_AT_POST, POST_TRACE_AT_PRE = 0, 1

# Rules whose weight change the kernel computes from the sums.
PAIR_ADDITIVE, PAIR_MULTIPLICATIVE, DIEHL_COOK = 0, 1, 2

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
def _add(into, row):
    """``into += row`` (a loop the compiler vectorises)."""
    for f in range(len(into)):
        into[f] += row[f]


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
def _neurons(b, c, neuron, state, mb):
    """Linear neurons between spikes (LIF, IF, adaptive LIF), in the order of
    :class:`~stdp_lab.neurons.LIF`'s ``_integrate``; writes the margins above
    threshold into ``mb`` and returns how many are at or above it.

    Branch-free, so that it vectorises: a model without inhibition,
    refractoriness or adaptive threshold has all-zero ``inh``, ``ref`` and
    ``theta`` (and ``t_ref = 0``, ``theta_decay = 1``), which leave every
    value as the numpy engine computes it (``x - 0 == x``, ``0 * 1 == 0``).
    """
    npar, consts = neuron
    v, ref, theta, counts, inh = state
    zero = v.dtype.type(0)
    dt, ref_tol = consts[0], consts[1]
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
    """Reset the winners: ``v_reset``, refractory period (0 for models
    without one), threshold increment (0 for models without one)."""
    npar = neuron[0]
    v, ref, theta, counts, inh = state
    for a in range(n):
        j = spk[b, a]
        v[b, j] = npar[V_RESET, j]
        ref[b, j] = npar[T_REF, j]
        theta[b, j] = theta[b, j] + npar[THETA_PLUS, j]
        counts[b, j] += 1


@njit(cache=True, error_model="numpy")
def _inhibit(b, n, spk, loc_cnt, competition, n_filters, ib):
    """Inhibitory current of the next step, as
    :meth:`~stdp_lab.competition.Competition.inhibitory_current` computes it:
    ``inhibition`` per spike of the location but the neuron's own, plus
    ``inhibition_between`` per spike of a neighbouring location."""
    k_max, inh0, inh_between, nb_ptr, nb_idx = competition
    dtype = ib.dtype.type
    ib[:] = 0
    a = 0
    for loc in range(loc_cnt.shape[1]):
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
def _decay(trace, factor):
    """``trace *= factor`` (a loop the compiler vectorises)."""
    for x in range(len(trace)):
        trace[x] *= factor


@njit(cache=True, error_model="numpy")
def _learn(b, t, g, lo, hi, idx, n, spk, geometry, n_filters, plastic):
    """The plasticity sums of one sample and step, into group ``g``'s buffer.

    ``plastic = (term_kind, term_trace, pre_mode, pre_decay, post_mode,
    post_decay, pre_val, post_val, is_alive, alive, spiked, act_n, act, sums,
    npost, touched)``: each
    term sums, over steps and samples, a presynaptic quantity times a
    postsynaptic one, one of them spikes (:meth:`Rule.pair_terms
    <stdp_lab.plasticity.Rule.pair_terms>`): a presynaptic trace at the
    postsynaptic spikes, or a postsynaptic trace at the presynaptic spikes.
    The traces (float64, ``pre_val`` (n_pre, B, N),
    ``post_val`` (n_post, B, L * F)) decay by ``exp(-dt / tau)`` at the start
    of the step and take this step's spikes at its end, as the numpy
    engine's stepped traces do; ``is_alive`` (B, N) marks the inputs that
    have spiked, listed by ``alive`` (B, N + 1; how many in the last column),
    and ``spiked`` (B, L * F) the neurons, listed per location by ``act``
    (B, L * F: the first ``act_n[b, l]`` entries from ``l * F``): the others'
    traces are zero.
    ``sums`` is (G, n_terms, L, F * K): row ``f * K + k`` for the terms read
    at postsynaptic spikes, ``k * F + f`` for those read at presynaptic
    spikes (each adds along a contiguous row); ``npost`` (G, L, F) counts the
    postsynaptic spikes since the last update, ``touched`` (G, L, F) marks
    the neurons whose sums may be non-zero.
    """
    (
        term_kind,
        term_trace,
        pre_mode,
        pre_decay,
        post_mode,
        post_decay,
        pre_val,
        post_val,
        is_alive,
        alive,
        spiked,
        act_n,
        act,
        sums,
        npost,
        touched,
    ) = plastic
    index, mem_ptr, mem_lk = geometry
    n_locations, patch_size = index.shape
    identity = n_locations == 1 and patch_size == len(mem_ptr) - 1  # dense
    n_alive = alive[b, -1]
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
    for a in range(n):
        loc, f = divmod(spk[b, a], n_filters)
        npost[g, loc, f] += 1
        touched[g, loc, f] = True
    for term in range(len(term_kind)):
        kind = term_kind[term]
        q = term_trace[term]
        if kind == PRE_TRACE_AT_POST:
            x = pre_val[q, b]
            for a in range(n):
                loc, f = divmod(spk[b, a], n_filters)
                row = sums[g, term, loc, f * patch_size : (f + 1) * patch_size]
                if identity:
                    for a2 in range(n_alive):
                        i = alive[b, a2]
                        row[i] += x[i]
                else:
                    patch = index[loc]
                    for k in range(patch_size):
                        row[k] += x[patch[k]]
        else:  # POST_TRACE_AT_PRE: the neurons that have spiked
            y = post_val[q, b]
            for e in range(lo, hi):
                i = idx[e]
                for m in range(mem_ptr[i], mem_ptr[i + 1]):
                    loc, k = divmod(mem_lk[m], patch_size)
                    base = loc * n_filters
                    row = sums[g, term, loc, k * n_filters : (k + 1) * n_filters]
                    for a in range(act_n[b, loc]):
                        f = act[b, base + a]
                        row[f] += y[base + f]
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
    for a in range(n):
        loc, f = divmod(spk[b, a], n_filters)
        if not spiked[b, loc * n_filters + f]:  # its first spike
            spiked[b, loc * n_filters + f] = True
            act[b, loc * n_filters + act_n[b, loc]] = f
            act_n[b, loc] += 1


@njit(cache=True, error_model="numpy")
def _step(
    b, t, g, n_steps, c, compute, inputs, geometry, weights, neuron, state,
    competition, flags, plastic, scratch, records,
):  # fmt: skip
    """One step of one sample (see the module docstring for the arguments),
    on the input current ``c``, computed here if ``compute``."""
    ptr, idx = inputs
    cur, margin, spk, nspk, loc_cnt, inh_on = scratch
    shared, inhibits, learn = flags
    n_filters = weights.shape[2]
    lo, hi = ptr[b * n_steps + t], ptr[b * n_steps + t + 1]
    if compute:
        _currents(b, lo, hi, idx, geometry, weights, shared, c)
    n = 0
    if _neurons(b, c, neuron, state, margin[b]):
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
    if learn:
        _learn(b, t, g, lo, hi, idx, n, spk, geometry, n_filters, plastic)


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
def _take_sum(sums, term_kind, term, loc, f, k, n_filters, patch_size):
    """Term ``term``'s sum for synapse (loc, k, f), over the groups in group
    order, and clear it (0 if the rule has fewer terms)."""
    if term >= sums.shape[1]:
        return 0.0
    at = f * patch_size + k
    if term_kind[term] == POST_TRACE_AT_PRE:
        at = k * n_filters + f
    total = 0.0
    for g in range(sums.shape[0]):
        total += sums[g, term, loc, at]
        sums[g, term, loc, at] = 0.0
    return total


@njit(cache=True, error_model="numpy")
def _apply_update(weights, plastic, rule, bounds, shared, dw):
    """Add the weight change of the sums since the last update (every group's,
    in group order), in the state's dtype as the rule's ``delta_from_sums``
    computes it, fold it over locations for shared weights, clip to the
    bounds and clear the sums. ``rule = (kind, parameters)``; only the
    neurons that spiked have non-zero sums (``touched``)."""
    kind, par = rule
    term_kind, sums, npost, touched = plastic[0], plastic[13], plastic[14], plastic[15]
    n_groups, n_terms, n_locations = sums.shape[:3]
    n_filters, patch_size = weights.shape[2], weights.shape[1]
    dtype = weights.dtype.type
    w_lo, w_hi = bounds[0], bounds[1]
    zero, one = np.int64(0), np.int64(1)  # term numbers (variables, one compile)
    dw[:] = 0
    for loc in range(n_locations):
        s = 0 if shared else loc
        for f in range(n_filters):
            n_post = 0
            active = False
            for g in range(n_groups):
                n_post += npost[g, loc, f]
                active = active or touched[g, loc, f]
            if not active:
                continue
            for k in range(patch_size):
                ltp = _take_sum(sums, term_kind, zero, loc, f, k, n_filters, patch_size)
                ltd = _take_sum(sums, term_kind, one, loc, f, k, n_filters, patch_size)
                ltp, ltd = dtype(ltp), dtype(ltd)
                w = weights[s, k, f]
                if kind == PAIR_ADDITIVE:  # a_plus, a_minus
                    change = par[0] * ltp - par[1] * ltd
                elif kind == PAIR_MULTIPLICATIVE:  # a_plus, a_minus, w_min, w_max
                    change = par[0] * (par[3] - w) * ltp - par[1] * (w - par[2]) * ltd
                else:  # DIEHL_COOK: learning_rate, x_tar, mu, w_max
                    change = par[0] * (ltp - par[1] * dtype(n_post))
                    if par[2] != 0:
                        room = par[3] - w
                        if room < 0:
                            room = dtype(0)
                        change = change * room ** par[2]
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
    g0, g1, t0, t1, update_every, n_steps, group_start, chunk, inputs,
    geometry, weights, neuron, state, competition, flags, plastic, rule,
    bounds, scratch, records, shared_theta,
):  # fmt: skip
    """Steps ``t0`` to ``t1`` of the sample groups ``g0`` to ``g1``.

    Without shared thresholds (``shared_theta`` empty) each sample runs
    through the steps on its own, computing its currents; the weights are
    updated every ``update_every`` steps (0: not here) only when every group
    runs here (several threads each run some groups between two updates). A
    batch that shares its thresholds runs step by step, every group, reading
    the currents of ``chunk`` (computed ahead by :func:`precompute`), each
    sample's thresholds taking the others' increments after each step.
    """
    learn = flags[2]
    cur, spk, nspk = scratch[0], scratch[2], scratch[3]
    total, cols, mark, dw = shared_theta
    compute = len(total) == 0  # (a variable: one compiled _step, not two)
    if len(total):
        for t in range(t0, t1):
            for g in range(g0, g1):
                for b in range(group_start[g], group_start[g + 1]):
                    _step(
                        b, t, g, n_steps, chunk[b, t - t0], compute, inputs,
                        geometry, weights, neuron, state, competition, flags,
                        plastic, scratch, records,
                    )  # fmt: skip
            _share_thresholds(state[2], spk, nspk, neuron[0], total, cols, mark)
            if learn and update_every > 0 and (t + 1) % update_every == 0:
                _apply_update(weights, plastic, rule, bounds, flags[0], dw)
        return
    segment = t1 - t0 if update_every <= 0 else update_every
    for s0 in range(t0, t1, segment):
        s1 = min(s0 + segment, t1)
        for g in range(g0, g1):
            for b in range(group_start[g], group_start[g + 1]):
                for t in range(s0, s1):
                    _step(
                        b, t, g, n_steps, cur[b], compute, inputs, geometry,
                        weights, neuron, state, competition, flags, plastic,
                        scratch, records,
                    )  # fmt: skip
        if learn and update_every > 0 and s1 % update_every == 0:
            _apply_update(weights, plastic, rule, bounds, flags[0], dw)


@njit(cache=True, nogil=True, error_model="numpy")
def update(weights, plastic, rule, bounds, shared, dw):
    """Apply the weight change summed since the last update (see
    :func:`_apply_update`)."""
    _apply_update(weights, plastic, rule, bounds, shared, dw)
