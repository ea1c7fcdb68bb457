"""scikit-learn's own estimator checks, from the default constructors with only
speed parameters shrunk."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from stdp_lab import SpikeCountClassifier, SpikingFeatureLearner

# No expected failures: Poisson spike trains are seeded from each sample's own
# content, so subset and sample-order invariance hold; the vote classifier
# declares itself a weak classifier through the ``poor_score`` tag.
ESTIMATORS = [
    SpikingFeatureLearner(n_timesteps=10, n_filters=2),
    SpikeCountClassifier(),
    SpikeCountClassifier(weighting="proportion"),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_defaults_are_only_speed_shrunk(estimator):
    defaults = type(estimator)().get_params()
    changed = {k for k, v in estimator.get_params().items() if defaults[k] != v}
    assert changed <= {"n_timesteps", "n_filters", "weighting"}
