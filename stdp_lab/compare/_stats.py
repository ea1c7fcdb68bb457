"""Statistics of a comparison: summaries over seeds and paired differences."""

from __future__ import annotations

import math

import numpy as np


def _summary(values) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof=1) of the values that are not
    NaN; NaN where undefined (no value, or a single value for the spread)."""
    values = np.asarray(values, dtype=np.float64)
    if np.isnan(values).all():
        return math.nan, math.nan
    values = values[~np.isnan(values)]
    mean = float(values.mean())
    std = float(values.std(ddof=1)) if len(values) > 1 else math.nan
    return mean, std


def paired_difference(a, b, confidence: float = 0.95) -> dict:
    """Mean paired difference ``a - b`` over seeds with its t interval.

    Parameters
    ----------
    a, b : array-like of shape (n_seeds,)
        One value per seed of two entries measured on the same seeds and the
        same images (e.g. the test accuracy of a rule and of the frozen random
        weights).
    confidence : float, default=0.95
        Coverage of the interval, in (0, 1).

    Returns
    -------
    difference : dict
        ``"mean"``, ``"std"`` (sample standard deviation of the differences,
        ddof=1), ``"low"``, ``"high"`` (the interval) and ``"n"`` (seeds).
        With one seed, ``std``, ``low`` and ``high`` are NaN: one difference
        says nothing about its spread.

    Notes
    -----
    With :math:`d_s = a_s - b_s` over :math:`n` seeds, mean :math:`\\bar d` and
    sample standard deviation :math:`s_d`, the interval is

    .. math::

        \\bar d \\pm t_{(1 + c)/2,\\, n - 1} \\, s_d / \\sqrt{n},

    with :math:`t_{q, \\nu}` the :math:`q` quantile of Student's t
    distribution with :math:`\\nu` degrees of freedom (the paired t interval).
    Pairing removes what both entries share on a seed (the initial weights,
    the input spike trains), so it is narrower than an interval from the two
    means and spreads.

    Examples
    --------
    >>> from stdp_lab.compare import paired_difference
    >>> d = paired_difference([0.95, 0.96, 0.97], [0.94, 0.94, 0.95])
    >>> round(d["mean"], 4), round(d["low"], 4), round(d["high"], 4)
    (0.0167, 0.0023, 0.031)
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.ndim != 1 or a.shape != b.shape or not len(a):
        raise ValueError(
            "a and b must be 1-D of the same non-zero length (one value per "
            f"seed), got shapes {a.shape} and {b.shape}"
        )
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    d = a - b  # (n_seeds,)
    n = len(d)
    mean = float(d.mean())
    if n < 2:
        return {
            "mean": mean,
            "std": math.nan,
            "low": math.nan,
            "high": math.nan,
            "n": n,
        }
    from scipy.stats import t

    std = float(d.std(ddof=1))
    half = float(t.ppf(0.5 + confidence / 2.0, n - 1)) * std / math.sqrt(n)
    return {"mean": mean, "std": std, "low": mean - half, "high": mean + half, "n": n}
