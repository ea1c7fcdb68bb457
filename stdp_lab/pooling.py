"""Spatial pooling of spike counts over the location grid of a layer.

A convolutional layer's counts are location-major: ``(n_samples, n_locations *
n_filters)``, all filters of location 0 first, locations in C order over the
``(n_rows, n_cols)`` grid. Pooling sums each filter's counts over windows of
locations, so that features stay spike counts.
:class:`~stdp_lab.SpikingFeatureLearner` pools with its ``pooling`` and
``pooling_stride`` parameters; :func:`pool_counts` pools counts that were
computed once without pooling in several ways (for instance small windows for
a second layer and larger, overlapping ones for a linear readout), at no new
simulation cost.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_choice, check_pair

__all__ = ["pool_counts"]


def resolve_pooling(pooling, pooling_stride, grid):
    """``((ph, pw), (sh, sw))``: the window (clipped to the grid) and stride in
    locations, or None for no pooling; validates both parameters."""
    stride = (
        None if pooling_stride is None else check_pair(pooling_stride, "pooling_stride")
    )
    if pooling is None:
        return None
    if isinstance(pooling, str):
        check_choice(pooling, "pooling", ("global",))
        return tuple(grid), tuple(grid)
    ph, pw = check_pair(pooling, "pooling")
    window = (min(ph, grid[0]), min(pw, grid[1]))
    return window, window if stride is None else stride


def _windows(n: int, size: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) of the pooling windows along one grid axis.

    Windows of ``size`` locations start every ``stride`` locations, from 0 until
    one reaches the end of the axis (or the next would start past it):
    ``min(ceil(max(n - size, 0) / stride) + 1, ceil(n / stride))`` of them.
    Where the stride does not fit, the last window is partial (it ends at
    ``n``).
    """
    n_windows = min(-(-max(n - size, 0) // stride) + 1, -(-n // stride))
    starts = np.arange(n_windows) * stride
    return starts, np.minimum(starts + size, n)


def pooled_grid(grid, resolved) -> tuple[int, int]:
    """``(n_rows, n_cols)`` of windows for a :func:`resolve_pooling` result."""
    if resolved is None:
        return tuple(grid)
    (ph, pw), (sh, sw) = resolved
    return len(_windows(grid[0], ph, sh)[0]), len(_windows(grid[1], pw, sw)[0])


def _sum_dtype(dtype) -> np.dtype:
    """dtype in which :func:`pool` sums counts of ``dtype``: int64 for integers
    and booleans (a uint8 sum would wrap around), at least float32 for floats
    (float32 keeps integer sums exact up to 2**24)."""
    dtype = np.dtype(dtype)
    if dtype.kind in "biu":
        return np.promote_types(dtype, np.int64)
    return np.promote_types(dtype, np.float32)


#: Floats of the summed-area table of one block of samples in :func:`pool`.
POOL_BLOCK_FLOATS = 2**22


def pool(counts: np.ndarray, grid, resolved) -> np.ndarray:
    """Window sums of ``counts`` (n_samples, n_locations, n_filters) for a
    :func:`resolve_pooling` result; returns (n_samples, n_windows * n_filters),
    window-major (window rows, window columns, filters; C order)."""
    n_samples, _, n_filters = counts.shape
    if resolved is None:
        return counts.reshape(n_samples, -1)  # (B, L * F)
    (ph, pw), (sh, sw) = resolved
    rows, cols = grid
    r0, r1 = _windows(rows, ph, sh)
    c0, c1 = _windows(cols, pw, sw)
    out = np.empty((n_samples, len(r0), len(c0), n_filters), _sum_dtype(counts.dtype))
    # Summed-area table with a zero first row and column: a window's sum is
    # then four look-ups. Counts are small integers, so float sums are exact.
    # Blocks of samples keep the table small (a few tens of MB).
    block = max(1, POOL_BLOCK_FLOATS // ((rows + 1) * (cols + 1) * n_filters))
    table = np.zeros((min(block, n_samples), rows + 1, cols + 1, n_filters), out.dtype)
    for start in range(0, n_samples, block):
        part = counts[start : start + block]
        t = table[: len(part)]
        t[:, 1:, 1:] = part.reshape(len(part), rows, cols, n_filters)
        # Running sums down the rows, then along the columns: the additions of
        # np.cumsum in the same order, but each a contiguous block of the
        # batch (1.5 times faster than cumsum along an inner axis).
        for r in range(1, rows + 1):
            t[:, r] += t[:, r - 1]
        for c in range(1, cols + 1):
            t[:, :, c] += t[:, :, c - 1]
        top, bottom = t[:, r0], t[:, r1]  # (b, nR, C + 1, F) each
        window = out[start : start + block]
        np.subtract(bottom[:, :, c1], bottom[:, :, c0], out=window)
        window -= top[:, :, c1]
        window += top[:, :, c0]
    return out.reshape(n_samples, -1)  # (B, nR, nC, F) -> (B, nR * nC * F)


def pool_counts(counts, grid, pooling, pooling_stride=None) -> np.ndarray:
    """Sum location-major spike counts over windows of the location grid.

    The same sums as ``SpikingFeatureLearner(pooling=pooling,
    pooling_stride=pooling_stride).transform``, from the counts of the same
    learner with ``pooling=None``: one simulation can then serve several
    poolings.

    Parameters
    ----------
    counts : array-like of shape (n_samples, n_locations * n_filters)
        Location-major counts, as ``transform`` returns them without pooling.
    grid : pair of int
        ``(n_rows, n_cols)`` of locations (an unpooled learner's ``pool_grid_``,
        or ``layer_.connectivity.output_grid``).
    pooling : int, pair of int or "global"
        Window in locations (see :class:`~stdp_lab.SpikingFeatureLearner`).
    pooling_stride : int, pair of int or None, default=None
        Distance between window starts; None: the window (no overlap).

    Returns
    -------
    features : ndarray of shape (n_samples, n_windows * n_filters)
        Window-major sums: float32 or float64 as ``counts`` (float16: float32),
        int64 for integer or boolean ``counts``, so that the sums cannot
        overflow a small integer type.

    Raises
    ------
    ValueError
        If ``counts`` is not 2-D or its width is not a multiple of the number
        of locations, or if a parameter is out of range.
    TypeError
        If ``grid``, ``pooling`` or ``pooling_stride`` has the wrong type.

    Examples
    --------
    >>> import numpy as np
    >>> from stdp_lab.pooling import pool_counts
    >>> counts = np.arange(9.0).reshape(1, 9)  # a 3 x 3 grid, one filter
    >>> pool_counts(counts, (3, 3), 2, pooling_stride=1)  # four 2 x 2 windows
    array([[ 8., 12., 20., 24.]])
    """
    counts = np.asarray(counts)
    rows, cols = check_pair(grid, "grid")
    if counts.ndim != 2:
        raise ValueError(f"counts must be 2-D, got shape {counts.shape}")
    if counts.shape[1] % (rows * cols):
        raise ValueError(
            f"counts has {counts.shape[1]} columns, not a multiple of the "
            f"{rows} x {cols} = {rows * cols} locations of grid"
        )
    resolved = resolve_pooling(pooling, pooling_stride, (rows, cols))
    n_filters = counts.shape[1] // (rows * cols)
    return pool(
        counts.reshape(len(counts), rows * cols, n_filters), (rows, cols), resolved
    )
