"""Tests for stdp_lab._numba.poisson: the compiled Poisson trains are the encoder's.

Every test compares with :class:`stdp_lab.encoding.PoissonEncoder` (numpy), spike
for spike: the batch function :func:`poisson_events`, the per-stream state machine
(:func:`stream_start` / :func:`stream_next`) and the hash.
"""

import contextlib
from unittest import mock

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import stdp_lab.encoding as encoding
from stdp_lab._numba import poisson
from stdp_lab._numba.poisson import (
    STATE_SIZE,
    mix,
    poisson_events,
    stream_key,
    stream_next,
    stream_start,
    uniform,
)
from stdp_lab.encoding import PoissonEncoder

# Round sizings that force later rounds: with FEW_GAPS each round draws
# ceil(n_left * p) gaps, so about half of the streams run out of gaps before the
# end; ONE_SD is in between (and its rounds depend on the standard deviation).
FEW_GAPS = {"n_sd_gaps": 0.0, "extra_gaps": 0}
ONE_SD = {"n_sd_gaps": 1.0, "extra_gaps": 1}


def _reference(X, seeds, max_rate, dt, n_timesteps):
    """``(indptr, inputs)`` of the numpy encoder, row ``b * n_timesteps + t``."""
    spikes = PoissonEncoder(max_rate).steps(X, n_timesteps, dt, seeds).csr()
    n_samples = X.shape[0]
    # Row t * n_samples + b of the csr form holds sample b at step t.
    rows = np.arange(n_timesteps) * n_samples + np.arange(n_samples)[:, None]
    rows = rows.reshape(-1)  # (n_samples * n_timesteps,), in (b, t) order
    starts = spikes.indptr[rows]
    counts = spikes.indptr[rows + 1] - starts
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    take = np.repeat(starts - indptr[:-1], counts) + np.arange(indptr[-1])
    return indptr, spikes.indices[take]


def _numpy_trains(X, seeds, max_rate, dt, n_timesteps):
    """Dense spikes of the numpy encoder, shape (n_timesteps, n_samples, n_f)."""
    return PoissonEncoder(max_rate).encode(X, n_timesteps, dt, seeds)


def _encoder_constants(constants):
    """Context in which the numpy encoder sizes its rounds with ``constants``."""
    if not constants:
        return contextlib.nullcontext()
    stack = contextlib.ExitStack()
    stack.enter_context(
        mock.patch.object(encoding, "_N_SD_GAPS", constants["n_sd_gaps"])
    )
    stack.enter_context(
        mock.patch.object(encoding, "_EXTRA_GAPS", constants["extra_gaps"])
    )
    return stack


def _check_same(X, seeds, max_rate, dt, n_timesteps, **constants):
    """Assert that poisson_events gives the numpy encoder's spikes; return them."""
    with _encoder_constants(constants):
        expected = _reference(X, seeds, max_rate, dt, n_timesteps)
    indptr, inputs = poisson_events(
        X, seeds, float(max_rate), float(dt), n_timesteps, **constants
    )
    assert indptr.dtype == np.int64
    assert indptr.shape == (X.shape[0] * n_timesteps + 1,)
    assert inputs.dtype == np.int32
    np.testing.assert_array_equal(indptr, expected[0])
    np.testing.assert_array_equal(inputs, expected[1])
    return indptr, inputs


def _make_X(kind, dtype, rng):
    """Intensities of a given kind, shape (6, 40)."""
    X = rng.random((6, 40))
    if kind == "zeros":  # many zeros and one all-zero row
        X[X < 0.6] = 0.0
        X[2] = 0.0
    elif kind == "ones":  # exact 1.0 entries (p == 1 at max_rate * dt == 1000)
        X[X > 0.5] = 1.0
    elif kind == "tiny":  # tiny p: huge gaps, clipped at the int32 maximum
        X = np.where(X < 0.5, 1e-6, np.where(X < 0.8, 1e-30, X))
    elif kind == "tiny_many":  # enough tiny-p streams that some fire
        X = np.full((50, 400), 3e-5)
    return X.astype(dtype)


def _seeds(n, rng):
    return rng.integers(0, 2**64, size=n, dtype=np.uint64)


@pytest.mark.parametrize("n_timesteps", [1, 2, 17, 250])
@pytest.mark.parametrize("max_rate, dt", [(128.0, 1.0), (1000.0, 1.0), (500, 2.0)])
@pytest.mark.parametrize("kind", ["uniform", "zeros", "ones", "tiny", "tiny_many"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_same_trains_as_numpy_encoder(kind, dtype, max_rate, dt, n_timesteps):
    rng = np.random.default_rng(0)
    X = _make_X(kind, dtype, rng)
    _check_same(X, _seeds(len(X), rng), max_rate, dt, n_timesteps)


@pytest.mark.parametrize("max_rate, dt", [(63.75, 0.5), (250.0, 0.1)])
def test_same_trains_other_scales(max_rate, dt):
    rng = np.random.default_rng(1)
    X = rng.random((5, 30))
    _check_same(X, _seeds(5, rng), max_rate, dt, 250)


def test_sparse_form_is_the_dense_train():
    """(indptr, inputs) read as (b, t) rows equals the encoder's dense output."""
    rng = np.random.default_rng(2)
    X, seeds, T = rng.random((3, 12)), _seeds(3, rng), 40
    indptr, inputs = poisson_events(X, seeds, 128.0, 1.0, T)
    dense = np.zeros((T, 3, 12), dtype=bool)
    for b in range(3):
        for t in range(T):
            row = inputs[indptr[b * T + t] : indptr[b * T + t + 1]]
            assert np.all(np.diff(row) > 0)  # ascending, no repeats
            dense[t, b, row] = True
    np.testing.assert_array_equal(dense, _numpy_trains(X, seeds, 128.0, 1.0, T))
    assert dense.sum() > 0


@pytest.mark.parametrize("shape", [(0, 5), (3, 0), (4, 6)])
def test_empty_and_silent_batches(shape):
    rng = np.random.default_rng(3)
    X = np.zeros(shape)
    indptr, inputs = _check_same(X, _seeds(shape[0], rng), 128.0, 1.0, 9)
    assert len(inputs) == 0


def test_default_seeds_and_int_seeds_match():
    """All-zero seeds (the encoder's default) and int64 seeds give the same keys."""
    rng = np.random.default_rng(4)
    X = rng.random((4, 20))
    indptr, inputs = poisson_events(X, np.zeros(4, np.uint64), 128.0, 1.0, 50)
    expected = _reference(X, None, 128.0, 1.0, 50)
    np.testing.assert_array_equal(indptr, expected[0])
    np.testing.assert_array_equal(inputs, expected[1])
    seeds = np.array([0, 1, 2**40, 2**63 - 1], dtype=np.int64)
    got = poisson_events(X, seeds.astype(np.uint64), 128.0, 1.0, 50)
    expected = _reference(X, seeds, 128.0, 1.0, 50)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])


@pytest.mark.parametrize("constants", [FEW_GAPS, ONE_SD], ids=["few_gaps", "one_sd"])
@pytest.mark.parametrize("n_timesteps", [2, 17, 250])
@pytest.mark.parametrize("kind", ["uniform", "ones", "tiny_many"])
def test_same_trains_with_later_rounds(kind, n_timesteps, constants):
    rng = np.random.default_rng(5)
    X = _make_X(kind, np.float64, rng)
    seeds = _seeds(len(X), rng)
    for max_rate in (128.0, 1000.0):
        _check_same(X, seeds, max_rate, 1.0, n_timesteps, **constants)


def test_few_gaps_do_change_the_trains():
    """The round sizing matters (so the test above checks the later rounds)."""
    rng = np.random.default_rng(6)
    X, seeds = rng.random((4, 50)), _seeds(4, rng)
    default = poisson_events(X, seeds, 128.0, 1.0, 250)
    few = _check_same(X, seeds, 128.0, 1.0, 250, **FEW_GAPS)
    assert not np.array_equal(default[1], few[1])
    # ... and later rounds are drawn: a stream's round number goes past 0.
    state = np.empty(STATE_SIZE, dtype=np.int64)
    p, key = float(X[0, 0]) * 0.128, np.uint64(stream_key(seeds[0], 0))
    t = stream_start(key, p, 250, state, **FEW_GAPS)
    while t < 250:
        t = stream_next(key, p, 250, state, **FEW_GAPS)
    assert state[poisson._ROUND] > 0


def _stream_steps(key, p, n_timesteps, state, **constants):
    """Collect stream_start, stream_next, ... up to n_timesteps."""
    steps = []
    t = stream_start(key, p, n_timesteps, state, **constants)
    while t < n_timesteps:
        steps.append(int(t))
        t = stream_next(key, p, n_timesteps, state, **constants)
    assert t == n_timesteps
    # Once over, the stream stays over.
    assert stream_next(key, p, n_timesteps, state, **constants) == t
    return steps


@pytest.mark.parametrize(
    "constants", [{}, FEW_GAPS, ONE_SD], ids=["default", "few_gaps", "one_sd"]
)
@pytest.mark.parametrize("n_timesteps", [1, 17, 250])
def test_stream_api_gives_each_train(n_timesteps, constants):
    rng = np.random.default_rng(7)
    X = rng.random((3, 40))
    X[X < 0.2] = 0.0
    X[0, :4] = 1.0
    X[1, :4] = 1e-6
    seeds = _seeds(3, rng)
    max_rate, dt = 1000.0, 1.0  # p == X, so that some p are 1
    with _encoder_constants(constants):
        dense = _numpy_trains(X, seeds, max_rate, dt, n_timesteps)
    scale = max_rate * dt / 1000.0
    state = np.full(STATE_SIZE, -7, dtype=np.int64)
    n_spikes = 0
    for b in range(X.shape[0]):
        for i in range(X.shape[1]):
            key = np.uint64(stream_key(seeds[b], i))  # numba returns a Python int
            steps = _stream_steps(key, X[b, i] * scale, n_timesteps, state, **constants)
            assert steps == np.flatnonzero(dense[:, b, i]).tolist()
            n_spikes += len(steps)
    assert n_spikes == dense.sum() > 0


def test_stream_api_interleaved_streams():
    """Streams with their own state rows can be advanced in any interleaving."""
    rng = np.random.default_rng(8)
    X, seeds, T = rng.random((2, 10)), _seeds(2, rng), 100
    dense = _numpy_trains(X, seeds, 128.0, 1.0, T)
    p = X.reshape(-1) * (128.0 * 1.0 / 1000.0)
    keys = [np.uint64(stream_key(seeds[k // 10], k % 10)) for k in range(20)]
    states = np.zeros((20, STATE_SIZE), dtype=np.int64)
    nxt = np.array([stream_start(keys[k], p[k], T, states[k]) for k in range(20)])
    seen = np.zeros((T, 20), dtype=bool)
    while nxt.min() < T:  # always advance the stream with the earliest spike
        k = int(np.argmin(nxt))
        seen[nxt[k], k] = True
        nxt[k] = stream_next(keys[k], p[k], T, states[k])
    np.testing.assert_array_equal(seen, dense.reshape(T, 20))


def test_stream_with_zero_probability_never_spikes():
    state = np.zeros(STATE_SIZE, dtype=np.int64)
    assert stream_start(np.uint64(3), 0.0, 10, state) == 10
    assert stream_next(np.uint64(3), 0.0, 10, state) == 10


def test_hash_matches_encoder():
    rng = np.random.default_rng(9)
    z = np.concatenate(
        [np.array([0, 1, 2**63, 2**64 - 1], np.uint64), _seeds(100, rng)]
    )
    counters = _seeds(len(z), rng)
    np.testing.assert_array_equal([mix(v) for v in z], encoding._mix(z.copy()))
    np.testing.assert_array_equal(
        [uniform(k, c) for k, c in zip(z, counters, strict=True)],
        encoding._uniform(z, counters),
    )
    features = np.arange(len(z), dtype=np.uint64)
    np.testing.assert_array_equal(
        [stream_key(s, i) for s, i in zip(z, features, strict=True)],
        encoding._mix(encoding._mix(z.copy()) + features),
    )


def test_same_result_for_any_number_of_threads():
    rng = np.random.default_rng(10)
    X, seeds = rng.random((64, 100)), _seeds(64, rng)
    one, two, three = (
        poisson_events(X, seeds, 128.0, 1.0, 100, n_threads=n) for n in (1, 2, 3)
    )
    for other in (two, three):
        np.testing.assert_array_equal(one[0], other[0])
        np.testing.assert_array_equal(one[1], other[1])
    assert len(one[1]) > 0


_INTENSITY = st.one_of(
    st.just(0.0), st.just(1.0), st.floats(1e-12, 1.0), st.floats(0.0, 1.0)
)


@st.composite
def _batches(draw):
    n_samples = draw(st.integers(1, 4))
    n_features = draw(st.integers(1, 12))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    X = draw(hnp.arrays(np.float64, (n_samples, n_features), elements=_INTENSITY))
    # Below ~1e-300 the encoder's 1 / log1p(-p) overflows (and warns): not here.
    X[X < 1e-12] = 0.0
    seeds = draw(hnp.arrays(np.uint64, n_samples))
    return X.astype(dtype), seeds


@settings(max_examples=40, deadline=None)
@given(
    batch=_batches(),
    dt=st.sampled_from([0.1, 0.5, 1.0, 2.0]),
    # (A tiny max_rate * dt would make p subnormal, where the encoder warns.)
    rate_fraction=st.one_of(st.just(0.0), st.just(1.0), st.floats(1e-6, 1.0)),
    n_timesteps=st.integers(1, 300),
    constants=st.sampled_from([{}, FEW_GAPS, ONE_SD]),
)
def test_hypothesis_same_trains(batch, dt, rate_fraction, n_timesteps, constants):
    X, seeds = batch
    max_rate = rate_fraction * 1000.0 / dt
    assume(max_rate * dt <= 1000.0)
    _check_same(X, seeds, max_rate, dt, n_timesteps, **constants)
