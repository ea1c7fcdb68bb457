"""Spatial pooling of spike counts (stdp_lab.pooling)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import stdp_lab.pooling as pooling_module
from stdp_lab import SpikingFeatureLearner
from stdp_lab.datasets import load_digits
from stdp_lab.pooling import pool_counts


def brute_force(counts, grid, window, stride):
    """Every window by slicing the (rows, cols, filters) array of each sample;
    windows start every stride until one covers the last row / column."""
    rows, cols = grid
    ph, pw = min(window[0], rows), min(window[1], cols)
    sh, sw = stride

    def starts(n, size, step):
        first = list(range(0, max(n - size, 0) + 1, step))
        if first[-1] + size < n and first[-1] + step < n:  # a partial last one
            first.append(first[-1] + step)
        return first

    out = []
    for sample in counts:
        grid_counts = sample.reshape(rows, cols, -1)
        out.append(
            [
                grid_counts[r : r + ph, c : c + pw].sum(axis=(0, 1))
                for r in starts(rows, ph, sh)
                for c in starts(cols, pw, sw)
            ]
        )
    return np.array(out).reshape(len(counts), -1)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(1, 7),
    cols=st.integers(1, 7),
    n_filters=st.integers(1, 3),
    window=st.tuples(st.integers(1, 8), st.integers(1, 8)),
    stride=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    seed=st.integers(0, 2**16),
)
def test_pool_counts_equals_window_slicing(rows, cols, n_filters, window, stride, seed):
    counts = np.random.default_rng(seed).poisson(2.0, (3, rows * cols * n_filters))
    counts = counts.astype(np.float32)
    got = pool_counts(counts, (rows, cols), window, pooling_stride=stride)
    np.testing.assert_array_equal(
        got, brute_force(counts, (rows, cols), window, stride)
    )
    assert got.dtype == np.float32


@pytest.mark.parametrize(
    "dtype, expected",
    [
        (np.uint8, np.int64),
        (np.int32, np.int64),
        (np.float16, np.float32),
        (np.float64, np.float64),
    ],
)
def test_pool_counts_of_small_types_do_not_overflow(dtype, expected):
    """Counts stored compactly (uint8, float16) sum in a type that holds the
    sums: 4 x 4 windows of counts near 255 reach several thousand."""
    counts = np.random.default_rng(0).integers(200, 256, (2, 5 * 5 * 3))
    got = pool_counts(counts.astype(dtype), (5, 5), 4, pooling_stride=1)
    assert got.dtype == expected
    np.testing.assert_array_equal(got, brute_force(counts, (5, 5), (4, 4), (1, 1)))


def test_pool_counts_of_unpooled_features_equal_the_pooled_learner():
    """One simulation, several poolings: the same features as refitting."""
    X = load_digits(flatten=True)[0][:40]
    params = dict(
        connectivity="conv",
        kernel_size=3,
        stride=1,
        n_filters=4,
        n_timesteps=20,
        random_state=0,
    )
    plain = SpikingFeatureLearner(**params, pooling=None).fit(X)
    counts = plain.transform(X)
    for pooling, stride in [(2, None), (3, 1), ("global", None), ((2, 4), (1, 3))]:
        pooled = SpikingFeatureLearner(
            **params, pooling=pooling, pooling_stride=stride
        ).fit(X)
        np.testing.assert_array_equal(
            pool_counts(counts, plain.pool_grid_, pooling, stride), pooled.transform(X)
        )


@pytest.mark.parametrize(
    "args, error, match",
    [
        ((np.ones(9), (3, 3), 2), ValueError, "2-D"),
        ((np.ones((2, 10)), (3, 3), 2), ValueError, "multiple"),
        ((np.ones((2, 9)), (3, 0), 2), ValueError, "grid"),
        ((np.ones((2, 9)), "3x3", 2), TypeError, "grid"),
        ((np.ones((2, 9)), (3, 3), 0), ValueError, "pooling"),
        ((np.ones((2, 9)), (3, 3), "max"), ValueError, "pooling"),
        ((np.ones((2, 9)), (3, 3), 2, 0), ValueError, "pooling_stride"),
        ((np.ones((2, 9)), (3, 3), 2, 1.5), TypeError, "pooling_stride"),
    ],
)
def test_pool_counts_bad_input_is_named(args, error, match):
    with pytest.raises(error, match=match):
        pool_counts(*args)


@pytest.mark.parametrize("block_floats", [1, 2 * 5 * 6 * 2, 10**9])
def test_pool_counts_in_blocks_of_samples_equals_window_slicing(
    monkeypatch, block_floats
):
    """Blocks of one sample, of two (the last one partial) and all at once."""
    monkeypatch.setattr(pooling_module, "POOL_BLOCK_FLOATS", block_floats)
    counts = np.random.default_rng(0).poisson(1.0, (5, 4 * 5 * 2)).astype(np.float64)
    got = pool_counts(counts, (4, 5), (2, 3), pooling_stride=(1, 2))
    np.testing.assert_array_equal(got, brute_force(counts, (4, 5), (2, 3), (1, 2)))
