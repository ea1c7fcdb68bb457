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

# One module per part: the metrics, the k-means baseline, and the comparison run
# with its table.
from ._comparison import BASELINES, compare_rules
from ._kmeans import KMeansPatchFeatures
from ._metrics import METRICS, rf_diversity

__all__ = [
    "compare_rules",
    "KMeansPatchFeatures",
    "rf_diversity",
    "METRICS",
    "BASELINES",
]
