"""Tests for stdp_lab.encoding: spike statistics, determinism, validation."""

import time
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats
from sklearn.base import clone

import stdp_lab.encoding as encoding
from stdp_lab.encoding import (
    Encoder,
    LatencyEncoder,
    PoissonEncoder,
    RankOrderEncoder,
    make_encoder,
)

ENCODERS = [PoissonEncoder(), LatencyEncoder(), RankOrderEncoder()]
IDS = ["poisson", "latency", "rank_order"]


def _first_spike_steps(spikes):
    """Step of the first spike of each (sample, input); -1 if it never fires."""
    # spikes: (n_timesteps, n_samples, n_features)
    fired = spikes.any(axis=0)
    first = np.argmax(spikes, axis=0)  # (n_samples, n_features)
    return np.where(fired, first, -1)


# --------------------------------------------------------------------- Poisson


@pytest.mark.parametrize("max_rate, dt", [(128.0, 1.0), (64.0, 0.5), (900.0, 1.0)])
def test_poisson_rate_matches_bernoulli_law(max_rate, dt):
    intensities = np.array([0.0, 0.05, 0.3, 0.5, 0.9, 1.0])
    n_samples, n_timesteps = 20, 2000
    X = np.tile(intensities, (n_samples, 1))
    counts = np.zeros(X.shape, dtype=np.int64)
    for spikes in PoissonEncoder(max_rate=max_rate).steps(
        X, n_timesteps, dt=dt, seeds=np.arange(n_samples) + 100
    ):
        counts += spikes
    total = counts.sum(axis=0)  # spikes per intensity over all samples
    n_trials = n_samples * n_timesteps
    p = intensities * max_rate * dt / 1000.0
    sd = np.sqrt(n_trials * p * (1 - p))
    assert np.all(np.abs(total - n_trials * p) <= 5 * sd + 1e-12)
    # The rate in Hz is x * max_rate.
    rate_hz = total / (n_trials * dt / 1000.0)
    np.testing.assert_allclose(
        rate_hz[1:], intensities[1:] * max_rate, rtol=0.15, atol=0
    )
    assert total[0] == 0  # x = 0 never spikes


def test_poisson_at_most_one_spike_per_step_high_probability():
    # p = 0.9: Bernoulli gives 0.9 spikes per step; a Poisson count clipped to
    # one per step would give 1 - exp(-0.9) ~ 0.59.
    n_timesteps = 5000
    spikes = PoissonEncoder(max_rate=900.0).encode(
        np.ones((1, 3)), n_timesteps, seeds=[3]
    )
    assert spikes.dtype == bool
    frac = spikes.mean()
    sd = np.sqrt(0.9 * 0.1 / spikes.size)
    assert abs(frac - 0.9) < 5 * sd


def test_poisson_probability_one_fires_every_step():
    spikes = PoissonEncoder(max_rate=1000.0).encode(np.ones((2, 2)), 50, seeds=[1, 2])
    assert spikes.all()


def _isi(train):
    return np.diff(np.flatnonzero(train))


@pytest.mark.parametrize("shrink_draws", [False, True])
def test_poisson_interspike_intervals_are_geometric(monkeypatch, shrink_draws):
    if shrink_draws:
        # Force the overflow path (more gaps drawn in later rounds) all the time.
        monkeypatch.setattr(encoding, "_N_SD_GAPS", 0.0)
        monkeypatch.setattr(encoding, "_EXTRA_GAPS", 0)
    p = 0.2
    n_timesteps = 30000
    spikes = PoissonEncoder(max_rate=200.0).encode(
        np.ones((1, 2)), n_timesteps, seeds=[11]
    )
    for j in range(2):
        train = spikes[:, 0, j]
        gaps = _isi(train)
        # Chi-square goodness of fit against P(k) = (1-p)^(k-1) p, k >= 1,
        # with a tail bin so that expected counts stay large.
        k_max = 15
        observed = np.bincount(np.minimum(gaps, k_max + 1), minlength=k_max + 2)[1:]
        pmf = stats.geom.pmf(np.arange(1, k_max + 1), p)
        expected_p = np.append(pmf, stats.geom.sf(k_max, p))
        expected = expected_p * gaps.size
        _, pvalue = stats.chisquare(observed, expected)
        assert pvalue > 1e-4
        assert abs(gaps.mean() - 1 / p) < 5 * np.sqrt((1 - p) / p**2 / gaps.size)
        # Count in the whole train is Binomial(n_timesteps, p).
        count = train.sum()
        assert abs(count - n_timesteps * p) < 5 * np.sqrt(n_timesteps * p * (1 - p))
        # First spike step is geometric minus one; rarely far from 0.
        assert np.flatnonzero(train)[0] < 100


def test_poisson_overflow_path_gives_same_statistics(monkeypatch):
    X = np.full((30, 4), 0.5)
    seeds = np.arange(30)
    monkeypatch.setattr(encoding, "_N_SD_GAPS", 0.0)
    monkeypatch.setattr(encoding, "_EXTRA_GAPS", 0)
    counts = PoissonEncoder(max_rate=100.0).encode(X, 400, seeds=seeds).sum(axis=0)
    # Counts per input are Binomial(400, 0.05): compare mean and variance.
    n_inputs = counts.size
    assert abs(counts.mean() - 20.0) < 5 * np.sqrt(19.0 / n_inputs)
    assert 0.5 * 19.0 < counts.var(ddof=1) < 1.6 * 19.0


def test_poisson_tiny_rate_does_not_overflow():
    spikes = PoissonEncoder(max_rate=1e-12).encode(np.ones((2, 3)), 1000, seeds=[0, 1])
    assert not spikes.any()


# ---------------------------------------------------------------- determinism


def test_same_seeds_same_trains_different_seeds_different():
    rng = np.random.default_rng(0)
    X = rng.random((5, 40))
    enc = PoissonEncoder()
    a = enc.encode(X, 200, seeds=np.arange(5))
    b = enc.encode(X, 200, seeds=np.arange(5))
    c = enc.encode(X, 200, seeds=np.arange(5) + 5)
    np.testing.assert_array_equal(a, b)
    for i in range(5):
        assert not np.array_equal(a[:, i], c[:, i])


def test_none_seeds_mean_zero_seeds():
    X = np.random.default_rng(1).random((3, 10))
    enc = PoissonEncoder()
    np.testing.assert_array_equal(
        enc.encode(X, 100), enc.encode(X, 100, seeds=np.zeros(3, dtype=int))
    )


@pytest.mark.parametrize("encoder", ENCODERS, ids=IDS)
def test_sample_train_independent_of_other_rows_and_order(encoder):
    rng = np.random.default_rng(2)
    X = rng.random((6, 30)) * (rng.random((6, 30)) < 0.7)
    seeds = rng.integers(0, 2**32, size=6)
    full = encoder.encode(X, 120, seeds=seeds)
    # Permute rows (with their seeds) and change one row not in the subset.
    perm = np.array([3, 0, 5, 1, 4, 2])
    X2 = X[perm].copy()
    X2[1] = rng.random(30)  # this is original row 0, changed
    permuted = encoder.encode(X2, 120, seeds=seeds[perm])
    for new_pos, old in enumerate(perm):
        if new_pos == 1:
            continue
        np.testing.assert_array_equal(permuted[:, new_pos], full[:, old])
    # A subset of one row alone.
    alone = encoder.encode(X[4:5], 120, seeds=seeds[4:5])
    np.testing.assert_array_equal(alone[:, 0], full[:, 4])


def test_integer_binary_input_accepted():
    X = np.array([[0, 1, 1], [1, 0, 0]])
    spikes = LatencyEncoder().encode(X, 5)
    np.testing.assert_array_equal(spikes[0], X.astype(bool))
    assert not spikes[1:].any()


# ------------------------------------------------------------------- latency


def test_latency_linear_analytic_times():
    # window = n_timesteps * dt = 50 ms; t = (1 - x) * 50 ms; step = t / 0.5 ms.
    X = np.array([[1.0, 0.75, 0.25, 0.0, 0.9, 1e-6]])
    first = _first_spike_steps(LatencyEncoder().encode(X, 100, dt=0.5))[0]
    # x = 0.9: 0.1 * 100 = 10 steps exactly, despite 1 - 0.9 < 0.1 in floats.
    np.testing.assert_array_equal(first, [0, 25, 75, -1, 10, 99])


def test_latency_t_max_window_and_clipping():
    X = np.array([[0.5, 0.1, 0.2, 1.0]])
    # t = (1 - x) * 20 ms with dt = 1 ms: 10, 18, 16, 0
    first = _first_spike_steps(LatencyEncoder(t_max=20.0).encode(X, 50))[0]
    np.testing.assert_array_equal(first, [10, 18, 16, 0])
    # t_max longer than the presentation: late spikes are clipped to the last step.
    first = _first_spike_steps(LatencyEncoder(t_max=100.0).encode(X, 50))[0]
    np.testing.assert_array_equal(first, [49, 49, 49, 0])


def test_latency_order_once_and_zero_silent():
    rng = np.random.default_rng(3)
    X = np.round(rng.random((4, 50)), 2) * (rng.random((4, 50)) < 0.8)
    spikes = LatencyEncoder().encode(X, 37, dt=0.7)
    n_spikes = spikes.sum(axis=0)
    np.testing.assert_array_equal(n_spikes, (X > 0).astype(int))
    first = _first_spike_steps(spikes)
    for i in range(X.shape[0]):
        active = np.flatnonzero(X[i])
        for a in active:
            for b in active:
                if X[i, a] > X[i, b]:
                    assert first[i, a] <= first[i, b]
                elif X[i, a] == X[i, b]:
                    assert first[i, a] == first[i, b]


# ---------------------------------------------------------------- rank order


def test_rank_order_hand_example():
    X = np.array([[0.2, 0.9, 0.0, 0.5, 0.5, 0.1], [0.0] * 6, [0.3] * 6])
    first = _first_spike_steps(RankOrderEncoder().encode(X, 10))
    # Row 0: ranks 0.9 -> 0, 0.5 -> 1 (tie), 0.2 -> 3, 0.1 -> 4, n_active = 5,
    # step = floor(r * 10 / 5).
    np.testing.assert_array_equal(first[0], [6, 0, -1, 2, 2, 8])
    np.testing.assert_array_equal(first[1], [-1] * 6)
    np.testing.assert_array_equal(first[2], [0] * 6)


def test_rank_order_matches_loop_reference():
    rng = np.random.default_rng(4)
    # Few distinct levels so that ties are common.
    X = rng.integers(0, 5, size=(7, 13)) / 4.0
    n_timesteps = 9
    spikes = RankOrderEncoder().encode(X, n_timesteps)
    reference = np.zeros_like(spikes)
    for i in range(X.shape[0]):
        active = [j for j in range(X.shape[1]) if X[i, j] > 0]
        for j in active:
            rank = sum(1 for k in active if X[i, k] > X[i, j])
            reference[(rank * n_timesteps) // len(active), i, j] = True
    np.testing.assert_array_equal(spikes, reference)


# --------------------------------------------------------------- validation


@pytest.mark.parametrize("encoder", ENCODERS, ids=IDS)
@pytest.mark.parametrize(
    "X",
    [
        np.array([[0.5, np.nan]]),
        np.array([[0.5, np.inf]]),
        np.array([[0.5, -0.1]]),
        np.array([[0.5, 1.5]]),
        np.array([0.5, 0.2]),
        np.zeros((2, 2, 2)),
    ],
    ids=["nan", "inf", "negative", "above_one", "1d", "3d"],
)
def test_invalid_X_raises(encoder, X):
    with pytest.raises(ValueError, match="X"):
        encoder.steps(X, 10)


@pytest.mark.parametrize("encoder", ENCODERS, ids=IDS)
def test_invalid_arguments_raise_naming_parameter(encoder):
    X = np.full((3, 4), 0.5)
    with pytest.raises(ValueError, match="seeds"):
        encoder.steps(X, 10, seeds=[0, 1])
    with pytest.raises(ValueError, match="seeds"):
        encoder.steps(X, 10, seeds=[0, -1, 2])
    with pytest.raises(ValueError, match="seeds"):
        encoder.steps(X, 10, seeds=np.zeros((3, 1), dtype=int))
    with pytest.raises(TypeError, match="seeds"):
        encoder.steps(X, 10, seeds=[0.5, 1.0, 2.0])
    with pytest.raises(ValueError, match="n_timesteps"):
        encoder.steps(X, 0)
    with pytest.raises(TypeError, match="n_timesteps"):
        encoder.steps(X, 2.5)
    for dt in (0.0, -1.0):
        with pytest.raises(ValueError, match="dt"):
            encoder.steps(X, 10, dt=dt)


def test_invalid_encoder_parameters():
    X = np.full((1, 2), 0.5)
    with pytest.raises(ValueError, match="max_rate"):
        PoissonEncoder(max_rate=600.0).steps(X, 10, dt=2.0)
    with pytest.raises(ValueError, match="max_rate"):
        PoissonEncoder(max_rate=-1.0).steps(X, 10)
    with pytest.raises(ValueError, match="t_max"):
        LatencyEncoder(t_max=0.0).steps(X, 10)
    with pytest.raises(ValueError, match="kind"):
        LatencyEncoder(kind="cubic").steps(X, 10)


def test_make_encoder():
    assert type(make_encoder("poisson")) is PoissonEncoder
    assert type(make_encoder("latency")) is LatencyEncoder
    assert type(make_encoder("rank_order")) is RankOrderEncoder
    enc = PoissonEncoder(max_rate=10.0)
    assert make_encoder(enc) is enc
    with pytest.raises(ValueError, match="rank_order"):
        make_encoder("poison")
    with pytest.raises(TypeError, match="encoder"):
        make_encoder(3)
    with pytest.raises(TypeError, match="encoder"):
        make_encoder(None)


@pytest.mark.parametrize("encoder", ENCODERS, ids=IDS)
def test_sklearn_params_and_clone(encoder):
    cloned = clone(encoder)
    assert cloned.get_params() == encoder.get_params()
    assert isinstance(cloned, Encoder)


# ------------------------------------------------------------------ laziness


def test_steps_is_lazy_and_small_in_memory():
    n_samples, n_features, n_timesteps = 4, 50, 10**6
    X = np.full((n_samples, n_features), 0.001)
    dense_bytes = n_timesteps * n_samples * n_features  # one byte per bool
    tracemalloc.start()
    try:
        start = time.perf_counter()
        iterator = PoissonEncoder().steps(X, n_timesteps, seeds=np.arange(n_samples))
        first = next(iterator)
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert first.shape == (n_samples, n_features)
    assert peak < dense_bytes / 4
    assert elapsed < 2.0


def test_steps_reuses_buffer_and_clears_previous_spikes():
    X = np.array([[1.0, 0.5, 0.0]])
    seen = [spikes.copy() for spikes in LatencyEncoder().steps(X, 4)]
    # x = 1 fires at step 0 only, x = 0.5 at step 2 only.
    expected = np.zeros((4, 1, 3), dtype=bool)
    expected[0, 0, 0] = expected[2, 0, 1] = True
    np.testing.assert_array_equal(np.stack(seen), expected)


# ----------------------------------------------------------------- property


@settings(max_examples=40, deadline=None)
@given(
    X=hnp.arrays(
        np.float64,
        st.tuples(st.integers(0, 4), st.integers(1, 6)),
        elements=st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.7, 1.0]),
    ),
    n_timesteps=st.integers(1, 30),
    dt=st.sampled_from([0.25, 1.0, 2.0]),
    seed=st.integers(0, 2**32 - 1),
    which=st.integers(0, 2),
)
def test_encode_equals_stacked_steps(X, n_timesteps, dt, seed, which):
    encoder = [PoissonEncoder(), LatencyEncoder(), RankOrderEncoder()][which]
    seeds = np.arange(X.shape[0]) + seed
    stacked = [s.copy() for s in encoder.steps(X, n_timesteps, dt=dt, seeds=seeds)]
    dense = encoder.encode(X, n_timesteps, dt=dt, seeds=seeds)
    assert dense.shape == (n_timesteps, *X.shape)
    assert dense.dtype == bool
    assert len(stacked) == n_timesteps
    np.testing.assert_array_equal(dense, np.stack(stacked).reshape(dense.shape))
    # Zero intensities never fire; single-spike codes fire exactly once otherwise.
    assert not dense[:, X == 0].any()
    if which > 0:
        np.testing.assert_array_equal(dense.sum(axis=0), (X > 0).astype(int))


@pytest.mark.parametrize("shrink_draws", [False, True])
def test_poisson_first_and_last_steps_have_probability_p(monkeypatch, shrink_draws):
    if shrink_draws:
        monkeypatch.setattr(encoding, "_N_SD_GAPS", 0.0)
        monkeypatch.setattr(encoding, "_EXTRA_GAPS", 0)
    n_samples, n_features, n_timesteps = 40, 100, 30
    X = np.full((n_samples, n_features), 0.5)
    spikes = PoissonEncoder(max_rate=600.0).encode(
        X, n_timesteps, seeds=np.arange(n_samples)
    )
    p = 0.3
    n = n_samples * n_features
    bound = 5 * np.sqrt(p * (1 - p) / n)
    per_step = spikes.mean(axis=(1, 2))  # (n_timesteps,)
    assert abs(per_step[0] - p) < bound
    assert abs(per_step[-1] - p) < bound
    assert np.all(np.abs(per_step - p) < bound)
    # Steps are independent: P(spike at the last step | spike at the one before)
    # is still p (this is where a truncated draw would lose spikes).
    before = spikes[-2]
    n_before = before.sum()
    conditional = spikes[-1][before].mean()
    assert abs(conditional - p) < 5 * np.sqrt(p * (1 - p) / n_before)


def test_poisson_blocks_of_streams_do_not_change_the_trains(monkeypatch):
    """Streams are drawn in blocks that fit the cache; each stream's draws depend
    only on its key, so any block size gives the same spikes."""
    X = np.random.default_rng(0).uniform(0, 1, size=(6, 50))
    seeds = np.arange(6)
    trains = []
    for block in (2**20, 40, 1):  # one block, several, one stream per block
        monkeypatch.setattr(encoding, "_BLOCK_SPIKES", block)
        trains.append(PoissonEncoder(max_rate=300.0).encode(X, 80, 1.0, seeds))
    assert trains[0].sum() > 1000
    np.testing.assert_array_equal(trains[1], trains[0])
    np.testing.assert_array_equal(trains[2], trains[0])


class _ShuffledPoisson(PoissonEncoder):
    """A Poisson encoder whose events come in a random order (a subclass that
    ignores the ordering hint of ``_events``)."""

    def _events(self, X, n_timesteps, dt, seeds):
        times, flat = super()._events(X, n_timesteps, dt, seeds)
        order = np.random.default_rng(5).permutation(len(flat))
        return times[order], flat[order]


@pytest.mark.parametrize("shrink_draws", [False, True])
@pytest.mark.parametrize(
    "encoder", [PoissonEncoder(300.0), _ShuffledPoisson(300.0), RankOrderEncoder()]
)
def test_csr_equals_scipy_coo_construction(monkeypatch, encoder, shrink_draws):
    """``SpikeSteps.csr`` builds the CSR arrays directly from the sorted events;
    it must equal scipy's own COO -> CSR conversion (canonical: columns sorted
    within each row), for every slice of steps, with every step in ascending
    order, also when the encoder needs later rounds of draws or gives its events
    unordered."""
    from scipy.sparse import coo_array

    if shrink_draws:
        monkeypatch.setattr(encoding, "_N_SD_GAPS", 0.0)
        monkeypatch.setattr(encoding, "_EXTRA_GAPS", 0)
    rng = np.random.default_rng(1)
    X = rng.uniform(0, 1, size=(7, 40)) * (rng.uniform(size=(7, 40)) < 0.7)
    dense = encoder.encode(X, 60, 1.0, np.arange(7))  # (T, B, N)
    if not isinstance(encoder, _ShuffledPoisson):  # the library's own: ordered
        _, flat = encoder._events(X, 60, 1.0, np.arange(7))
        assert np.all(np.diff(flat) >= 0)
    steps = encoder.steps(X, 60, 1.0, np.arange(7))
    for t in range(60):
        indices = steps.step_indices(t)
        assert np.all(np.diff(indices) > 0)
        np.testing.assert_array_equal(indices, np.flatnonzero(dense[t]))
    for start, stop in [(0, 60), (13, 29), (59, 60), (7, 7)]:
        got = steps.csr(start, stop)
        rows, cols = np.nonzero(dense[start:stop].reshape(-1, 40))
        want = coo_array(
            (np.ones(len(rows), np.float32), (rows, cols)), shape=got.shape
        ).tocsr()
        want.sum_duplicates()  # canonical: sorted columns within rows
        np.testing.assert_array_equal(got.indptr, want.indptr)
        np.testing.assert_array_equal(got.indices, want.indices)
        assert got.dtype == np.float32 and np.all(got.data == 1)
        assert got.has_canonical_format
