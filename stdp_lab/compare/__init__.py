"""Compare plasticity rules on one architecture: one call, one table, one figure.

:func:`compare_rules` trains the same :class:`~stdp_lab.SpikingFeatureLearner`
with each rule over several seeds, reads its spike counts out with a linear
classifier and with the vote of :class:`~stdp_lab.SpikeCountClassifier`, and
measures time, spikes, sparsity, weight statistics and receptive-field
diversity. Three baselines are rows of the same table: the same network with
frozen random weights (what learning adds, Illing et al. 2019), k-means patch
features (:class:`KMeansPatchFeatures`, Coates & Ng 2011) and the raw pixels.
"""

from __future__ import annotations

# One module per part: the metrics, the k-means baseline, the comparison run and
# its table; every name of the former single module stays importable from here.
from ._comparison import (  # noqa: F401
    _BASELINE_DESCRIPTIONS,
    _KMEANS_GEOMETRY,
    _MAX_ITER,
    BASELINES,
    _check_baselines,
    _check_data,
    _check_seeds,
    _entries,
    _FrozenWeights,
    _geometry,
    _readouts,
    _rule_label,
    _run,
    _same,
    _timed_features,
    compare_rules,
)
from ._kmeans import KMeansPatchFeatures
from ._metrics import METRICS, _weight_metrics, rf_diversity  # noqa: F401
from ._table import (  # noqa: F401
    _MD_COLUMNS,
    _N_FIGURE_FILTERS,
    _as_table,
    _columns,
    _markdown,
    _row,
    _save_figure,
    _summary,
    _write_csv,
)

__all__ = [
    "compare_rules",
    "KMeansPatchFeatures",
    "rf_diversity",
    "METRICS",
    "BASELINES",
]
