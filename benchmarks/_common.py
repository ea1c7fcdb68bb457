"""What the benchmark scripts share: timing a learner, reading peak memory and
writing the results.

The scripts run as ``python benchmarks/<script>.py``, so this folder is on
``sys.path`` and they import this module as ``_common``.
"""

from __future__ import annotations

import json
import platform
import resource
import time
from pathlib import Path


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MB (joblib's worker processes,
    still alive when this is read, are not included)."""
    scale = 1024 * 1024 if platform.system() == "Darwin" else 1024  # bytes vs KiB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


def fit_transform(learner, X_fit, X_train, X_test, transform=None):
    """Fit ``learner`` on ``X_fit`` (one pass, no labels) and transform both sets
    (with ``transform(learner, X)`` if given, else ``learner.transform(X)``).

    Returns
    -------
    learner, F_train, F_test, fit_seconds, transform_seconds
    """
    start = time.perf_counter()
    learner.fit(X_fit)
    fit_seconds = time.perf_counter() - start
    if transform is None:
        transform = type(learner).transform
    start = time.perf_counter()
    F_train = transform(learner, X_train)
    F_test = transform(learner, X_test)
    transform_seconds = time.perf_counter() - start
    return learner, F_train, F_test, fit_seconds, transform_seconds


def write_json(results, out) -> None:
    """Write ``results`` as indented JSON to ``out`` (creating its folder) and
    say where."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out}")


def architecture(learner) -> dict:
    """What the defaults resolved to for the data the learner was fitted on."""
    conn = learner.layer_.connectivity
    return {
        "connectivity": type(conn).__name__,
        "kernel_size": list(getattr(conn, "kernel_size", ())) or None,
        "stride": list(getattr(conn, "stride", ())) or None,
        "n_filters": conn.n_filters,
        "location_grid": list(conn.output_grid),
        "pool_grid": list(learner.pool_grid_),
        "n_features_out": int(learner._n_features_out),
    }
