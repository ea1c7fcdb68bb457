"""Metrics of a comparison run: the METRICS names, receptive-field diversity and
weight statistics."""

from __future__ import annotations

import math

import numpy as np

#: Metrics measured for every run; the table has ``f"{m}_mean"`` and
#: ``f"{m}_std"`` for each.
METRICS: tuple[str, ...] = (
    "linear_accuracy",
    "vote_accuracy",
    "fit_seconds",
    "transform_seconds",
    "spikes_per_sample",
    "sparsity",
    "weight_mean",
    "weight_std",
    "rf_diversity",
)


def rf_diversity(weights) -> float:
    """Receptive-field diversity: 1 - mean ``|Pearson r|`` between the filters of a
    location, averaged over locations.

    Parameters
    ----------
    weights : array-like of shape (n_locations, patch_size, n_filters)
        Weights in the layout of :mod:`stdp_lab.connectivity` (``(1, K, F)``
        for Dense and Conv2D layers).

    Returns
    -------
    diversity : float
        In [0, 1]: 0 when all filters of every location are the same pattern
        up to scale and offset (or its negative), near 1 when they are
        uncorrelated. NaN when no location has two non-constant filters.

    Notes
    -----
    With :math:`r_{l,fg}` the Pearson correlation over the ``K`` inputs between
    filters :math:`f` and :math:`g` of location :math:`l`, and :math:`P_l` the
    set of pairs :math:`f \\ne g` of non-constant filters there (a constant
    filter has no correlation and is left out),

    .. math::

        D = 1 - \\frac{1}{|\\mathcal{L}|} \\sum_{l \\in \\mathcal{L}}
            \\frac{1}{|P_l|} \\sum_{(f, g) \\in P_l} |r_{l,fg}|,

    where :math:`\\mathcal{L}` are the locations with at least one pair.

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([[1.0, 2.0, 3.0], [1.0, 3.0, 2.0]]).T[None]  # (1, 3, 2)
    >>> round(rf_diversity(w), 3)  # r = 0.5 between the two filters
    0.5
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 3:
        raise ValueError(
            "weights must be 3-D (n_locations, patch_size, n_filters), got shape "
            f"{w.shape}"
        )
    centred = w - w.mean(axis=1, keepdims=True)  # (L, K, F)
    norms = np.linalg.norm(centred, axis=1)  # (L, F)
    # A filter is constant when what is left after removing its mean is at the
    # level of rounding errors.
    scale = np.abs(w).max(axis=1) * np.sqrt(w.shape[1])  # (L, F)
    varies = norms > 1e-12 * np.maximum(scale, np.finfo(np.float64).tiny)  # (L, F)
    unit = np.divide(
        centred,
        norms[:, None, :],
        out=np.zeros_like(centred),
        where=varies[:, None, :],
    )  # (L, K, F)
    r = np.einsum("lkf,lkg->lfg", unit, unit)  # (L, F, F) correlations
    n_filters = w.shape[2]
    pairs = varies[:, :, None] & varies[:, None, :] & ~np.eye(n_filters, dtype=bool)
    n_pairs = pairs.sum(axis=(1, 2))  # (L,)
    if not n_pairs.any():
        return math.nan
    mean_abs = np.abs(np.where(pairs, r, 0.0)).sum(axis=(1, 2))[n_pairs > 0]
    mean_abs /= n_pairs[n_pairs > 0]  # (L with pairs,)
    return float(1.0 - min(mean_abs.mean(), 1.0))


def _weight_metrics(weights) -> dict:
    weights = np.asarray(weights, dtype=np.float64)
    return {
        "weight_mean": float(weights.mean()),
        "weight_std": float(weights.std()),
        "rf_diversity": rf_diversity(weights),
    }
