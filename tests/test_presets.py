"""Tests of the ready configurations in stdp_lab.presets."""

import numpy as np

from stdp_lab.presets import count_layer, diehl_cook_2015


def _counts(rng, n_samples, n_features, active=0.3, top=9):
    """Spike-count-like data: each feature silent or a count in [1, top]."""
    on = rng.random((n_samples, n_features)) < active
    return np.where(on, rng.integers(1, top + 1, (n_samples, n_features)), 0).astype(
        np.float64
    )


def test_count_layer_is_diehl_cook_with_overrides():
    layer = count_layer(7, n_timesteps=20, batch_size=3)
    reference = diehl_cook_2015(7)
    assert layer.connectivity == "dense"
    assert layer.n_filters == 7
    assert (layer.n_timesteps, layer.batch_size) == (20, 3)
    assert layer.rule.get_params() == reference.rule.get_params()
    assert layer.competition.get_params() == reference.competition.get_params()
    assert layer.input_scale == 1.0
    assert layer.neuron.theta_plus == 0.4  # documented: 8 x the paper's 0.05
    assert reference.neuron.theta_plus == 0.05


def test_count_layer_binarises_counts():
    # Every count >= 1 drives its input at the full rate, so a sample whose
    # non-zero counts are all 1 and the same sample with larger counts give the
    # same mean response (their Poisson trains differ: seeds come from the rows'
    # bytes). With the data's maximum (9) as the scale the ones would fire at
    # 1/9 of the rate instead.
    rng = np.random.default_rng(0)
    X = _counts(rng, 150, 200)
    ones = (X > 0).astype(np.float64)
    model = count_layer(4, n_timesteps=40, random_state=0).fit(X[:20])
    assert model.input_scale_ == 1.0
    big = model.transform(X).sum(axis=1)
    small = model.transform(ones).sum(axis=1)
    diff = big - small
    stderr = diff.std(ddof=1) / np.sqrt(len(diff))
    assert big.mean() > 0.5  # the layer responds at all
    assert abs(diff.mean()) < 4 * stderr + 1e-9

    scaled = count_layer(4, n_timesteps=40, random_state=0, input_scale=9.0)
    scaled.fit(X[:20])
    assert scaled.transform(ones).sum(axis=1).mean() < 0.5 * small.mean()


def test_count_layer_normalises_weights():
    rng = np.random.default_rng(1)
    n_features = 50
    X = _counts(rng, 64, n_features)
    model = count_layer(5, n_timesteps=30, batch_size=16, random_state=1).fit(X)
    # (1, n_features, n_neurons) dense weights, each neuron's sum 0.1 per input
    assert model.weights_.shape == (1, n_features, 5)
    np.testing.assert_allclose(model.weights_.sum(axis=1), 0.1 * n_features, rtol=1e-4)
    assert model.weights_.min() >= 0.0 and model.weights_.max() <= 1.0
