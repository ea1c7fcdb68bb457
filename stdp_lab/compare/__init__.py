"""Compare plasticity rules fairly on one architecture: one call, one result.

:func:`compare_rules` chooses each rule's learning rate on a validation split
of the training set, trains the same :class:`~stdp_lab.SpikingFeatureLearner`
with each rule over several seeds, reads its spike counts out with a linear
classifier and with the vote of :class:`~stdp_lab.SpikeCountClassifier`, and
measures time, spikes, sparsity, weight statistics, receptive-field diversity
and a learning curve. Three baselines are rows of the same table: the same
network with frozen random weights (what learning adds, Illing et al. 2019;
every rule's paired difference to it comes with a 95% interval), k-means patch
features (:class:`KMeansPatchFeatures`, Coates & Ng 2011) and the raw pixels.
It returns a :class:`Comparison`, which writes the table, ``report.json`` and
the figures.
"""

from __future__ import annotations

# One module per part: the metrics and statistics, the tuning, the k-means
# baseline, the runs, the result object with its table and figures.
from ._architecture import IMAGE_ARCHITECTURE, TABULAR_ARCHITECTURE
from ._comparison import compare_rules
from ._inputs import BASELINES
from ._kmeans import KMeansPatchFeatures
from ._metrics import METRICS, rf_diversity
from ._result import Comparison
from ._runs import CURVE_FRACTIONS, CURVE_N_PROBE
from ._stats import paired_difference
from ._tuning import (
    KMEANS_GRID,
    LEARNING_RATES,
    TUNE_GRID,
    VALIDATION_SIZE,
    learning_rate_params,
)

__all__ = [
    "compare_rules",
    "Comparison",
    "KMeansPatchFeatures",
    "paired_difference",
    "learning_rate_params",
    "rf_diversity",
    "METRICS",
    "BASELINES",
    "IMAGE_ARCHITECTURE",
    "TABULAR_ARCHITECTURE",
    "LEARNING_RATES",
    "TUNE_GRID",
    "KMEANS_GRID",
    "VALIDATION_SIZE",
    "CURVE_FRACTIONS",
    "CURVE_N_PROBE",
]
