"""SpikingFeatureLearner and SpikeCountClassifier as scikit-learn users meet them."""

import _thread
import copy
import gc
import pickle
import threading
import time
import warnings

import joblib
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from stdp_lab import SpikeCountClassifier, SpikingFeatureLearner, estimators
from stdp_lab.connectivity import Conv2D, Dense, LocallyConnected2D
from stdp_lab.datasets import load_digits
from stdp_lab.encoding import PoissonEncoder
from stdp_lab.plasticity import InhibitorySTDP, PairSTDP, Rule, TraceSpec


@pytest.fixture(scope="module")
def digits():
    images, target = load_digits()
    return images.reshape(len(images), -1), target


def small(**params):
    base = dict(n_timesteps=30, n_filters=4, batch_size=16, random_state=0)
    base.update(params)
    return SpikingFeatureLearner(**base)


def test_fit_equals_partial_fit_in_the_same_batches(digits):
    X = digits[0][:64]
    fitted = small().fit(X)
    streamed = small()
    for start in range(0, 64, 16):
        streamed.partial_fit(X[start : start + 16])
    np.testing.assert_array_equal(fitted.weights_, streamed.weights_)
    np.testing.assert_array_equal(fitted.thresholds_, streamed.thresholds_)
    # One partial_fit over all of X batches it the same way.
    whole = small().partial_fit(X)
    np.testing.assert_array_equal(fitted.weights_, whole.weights_)
    assert streamed.n_samples_seen_ == 64


def test_same_random_state_same_model_different_state_different_model(digits):
    X = digits[0][:48]
    a, b, c = small().fit(X), small().fit(X), small(random_state=1).fit(X)
    np.testing.assert_array_equal(a.weights_, b.weights_)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    assert not np.array_equal(a.weights_, c.weights_)


def test_learning_changes_the_weights_and_features_respond(digits):
    X = digits[0][:64]
    model = small().fit(X)
    F = model.transform(X)
    assert F.shape == (64, model.layer_.connectivity.n_locations * 4)
    assert F.sum() > 0
    assert np.all(F >= 0) and np.all(F == np.round(F))


def test_simulation_runs_in_float32_and_counts_keep_the_input_dtype(digits):
    X = digits[0][:32]
    model = small().fit(X)  # float64 input
    assert model.weights_.dtype == np.float32
    assert model.thresholds_.dtype == np.float32
    assert model.transform(X).dtype == np.float64
    assert model.transform(X.astype(np.float32)).dtype == np.float32
    # Digits are whole numbers: the scaled intensities are the same in both
    # dtypes, so the same model and spike counts come out.
    model32 = small().fit(X.astype(np.float32))
    np.testing.assert_array_equal(model32.weights_, model.weights_)
    np.testing.assert_array_equal(
        model32.transform(X.astype(np.float32)), model.transform(X)
    )


def test_features_independent_of_batch_and_order(digits, monkeypatch):
    X = digits[0][:40]
    model = small().fit(X)
    full = model.transform(X)
    perm = np.random.default_rng(0).permutation(40)
    np.testing.assert_array_equal(model.transform(X[perm]), full[perm])
    np.testing.assert_array_equal(model.transform(X[5:9]), full[5:9])
    # transform simulates chunks of samples: 3 at a time here (14 chunks), and
    # larger layers than this one would take fewer than batch_size per chunk.
    n_neurons = model.layer_.connectivity.n_outputs
    for name in ("TRANSFORM_NEURONS", "TRANSFORM_NEURONS_COMPILED"):
        monkeypatch.setattr(estimators, name, 3 * n_neurons + 1)
    np.testing.assert_array_equal(model.transform(X), full)


def test_transform_timesteps_changes_transform_only(digits):
    """``transform_timesteps`` sets the presentation of ``transform`` alone: the
    learned model is that of ``n_timesteps``, and the features are those of the
    same model presented for ``transform_timesteps`` steps."""
    X = digits[0][:40]
    plain = small(n_timesteps=30).fit(X)
    short = small(n_timesteps=30, transform_timesteps=12).fit(X)
    np.testing.assert_array_equal(short.weights_, plain.weights_)
    np.testing.assert_array_equal(short.thresholds_, plain.thresholds_)
    F = short.transform(X)
    np.testing.assert_array_equal(F, plain.set_params(n_timesteps=12).transform(X))
    assert F.sum() < plain.set_params(n_timesteps=30).transform(X).sum()


def test_transform_encoder_changes_transform_only(digits):
    """``transform_encoder`` encodes the samples of ``transform`` alone: the
    learned model is that of ``encoder``, and the features are those of the
    same model with ``transform_encoder`` as its encoder."""
    X = digits[0][:40]
    slow, fast = PoissonEncoder(max_rate=200.0), PoissonEncoder(max_rate=600.0)
    plain = small(encoder=slow).fit(X)
    model = small(encoder=slow, transform_encoder=fast).fit(X)
    np.testing.assert_array_equal(model.weights_, plain.weights_)
    np.testing.assert_array_equal(model.thresholds_, plain.thresholds_)
    F = model.transform(X)
    np.testing.assert_array_equal(F, plain.set_params(encoder=fast).transform(X))
    assert F.sum() > plain.set_params(encoder=slow).transform(X).sum()


def test_transform_stride_reads_the_learned_filters_on_a_finer_grid(digits):
    """``transform_stride`` changes ``transform`` alone: the model learns as at
    ``stride``; read at stride 1, the locations that a stride-2 grid shares
    count as the stride-2 model does, and every location has the thresholds of
    the nearest learned one (checked against a stride-1 model given the same
    filters and thresholds copied by an explicit loop)."""
    X = digits[0][:60]
    conv = dict(
        connectivity="conv", kernel_size=3, stride=2, n_timesteps=20, pooling=None
    )
    coarse = small(**conv).fit(X)  # 8 x 8 digits: 3 x 3 locations
    model = small(**conv, transform_stride=1).fit(X)  # read on 6 x 6
    np.testing.assert_array_equal(model.weights_, coarse.weights_)
    np.testing.assert_array_equal(model.thresholds_, coarse.thresholds_)
    assert model.pool_grid_ == (6, 6)
    F = model.transform(X)
    assert F.shape == (60, 6 * 6 * 4) == (60, model.get_feature_names_out().size)
    shared = F.reshape(60, 6, 6, 4)[:, ::2, ::2]  # positions 0, 2, 4 of both
    np.testing.assert_array_equal(shared.reshape(60, -1), coarse.transform(X))

    reference = small(**dict(conv, stride=1)).fit(X)  # same seeds, 6 x 6 grid
    reference.weights_ = coarse.weights_
    theta = coarse.thresholds_.reshape(3, 3, 4)
    copied = np.empty((6, 6, 4), dtype=theta.dtype)
    for row in range(6):
        for col in range(6):
            # nearest learned position 2 * i to the position row (tie: lower)
            i = min(range(3), key=lambda i: (abs(2 * i - row), i))
            j = min(range(3), key=lambda j: (abs(2 * j - col), j))
            copied[row, col] = theta[i, j]
    reference.thresholds_ = copied.reshape(36, 4)
    np.testing.assert_array_equal(F, reference.transform(X))
    assert not np.array_equal(F[:, 4:8], F[:, :4])  # the odd locations count

    with pytest.raises(ValueError, match="transform_stride"):
        model.set_params(transform_stride=2).transform(X)  # another grid: refit


@pytest.mark.parametrize(
    "n, stride, n_fitted, fitted_stride",
    [
        (24, 1, 12, 2),
        (12, 2, 24, 1),
        (10, 1, 4, 3),
        (7, 3, 9, 2),
        (5, 2, 5, 2),
        (9, 2, 3, 4),
        (1, 1, 1, 1),
    ],
)
def test_nearest_positions_match_a_search_over_the_fitted_fields(
    n, stride, n_fitted, fitted_stride
):
    from stdp_lab.estimators import _nearest_positions

    expected = [
        min(range(n_fitted), key=lambda j: (abs(j * fitted_stride - i * stride), j))
        for i in range(n)
    ]
    nearest = _nearest_positions(n, stride, n_fitted, fitted_stride)
    np.testing.assert_array_equal(nearest, expected)


def test_n_jobs_gives_identical_output(digits):
    X = digits[0][:300]
    model = small().fit(X[:32])
    one = model.transform(X)
    two = model.set_params(n_jobs=2).transform(X)
    np.testing.assert_array_equal(one, two)


def test_pickle_and_joblib_round_trips(digits, tmp_path):
    X = digits[0][:40]
    model = small().fit(X)
    expected = model.transform(X)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.transform(X), expected)
    path = tmp_path / "model.joblib"
    joblib.dump(model, path)
    np.testing.assert_array_equal(joblib.load(path).transform(X), expected)


def test_pipeline_clone_grid_search_and_cross_val(digits):
    X, y = digits[0][:150], digits[1][:150]
    pipe = make_pipeline(
        small(n_timesteps=20, rule=PairSTDP(a_plus=0.001, a_minus=0.001)),
        StandardScaler(),
        LogisticRegression(max_iter=500),
    )
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.mean() > 0.3  # ten classes: chance is 0.1
    grid = GridSearchCV(
        pipe,
        {"spikingfeaturelearner__rule__a_plus": [0.005, 0.02]},
        cv=2,
        n_jobs=2,
    )
    grid.fit(X, y)
    assert grid.best_score_ > 0.3
    assert grid.best_params_["spikingfeaturelearner__rule__a_plus"] in (0.005, 0.02)
    assert (
        grid.best_estimator_.steps[0][1].rule.a_plus
        == grid.best_params_["spikingfeaturelearner__rule__a_plus"]
    )
    cloned = clone(pipe)
    assert cloned.get_params()["spikingfeaturelearner__n_timesteps"] == 20
    assert not hasattr(cloned.steps[0][1], "weights_")


def test_set_output_pandas(digits):
    pd = pytest.importorskip("pandas")
    X = digits[0][:20]
    model = small().set_output(transform="pandas").fit(X)
    out = model.transform(X)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(model.get_feature_names_out())
    assert out.columns[0] == "spikingfeaturelearner0"


@pytest.mark.parametrize("loader", [load_iris, load_breast_cancer])
def test_tabular_data_with_the_default_constructor(loader):
    X, y = loader(return_X_y=True)
    model = SpikingFeatureLearner(n_timesteps=50, random_state=0)
    pipe = make_pipeline(model, StandardScaler(), LogisticRegression(max_iter=1000))
    score = cross_val_score(pipe, X, y, cv=3).mean()
    chance = np.bincount(y).max() / len(y)
    assert score > chance + 0.05
    if X.shape[1] == 30:  # not a square: a 1 x n strip with one location
        assert model.fit(X).layer_.connectivity.n_locations == 1


def test_image_shape_channels_and_non_square():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, size=(10, 6 * 9 * 2))
    model = small(image_shape=(6, 9, 2), kernel_size=(3, 4), stride=(3, 5)).fit(X)
    conn = model.layer_.connectivity
    assert conn.output_grid == (2, 2)
    assert model.transform(X).shape == (10, 4 * 4)


@pytest.mark.parametrize(
    "params, X_maker, match",
    [
        ({}, lambda X: np.where(X > 8, np.nan, X), "NaN"),
        ({}, lambda X: np.where(X > 8, np.inf, X), "infinity|inf"),
        ({}, lambda X: X - 1.0, "non-negative"),
        ({}, lambda X: X[0], "2D array|1D|Expected 2D"),
        ({}, lambda X: X[:0], "0 sample"),
        ({"image_shape": (7, 7)}, lambda X: X, "image_shape"),
        ({"rule": "hebb"}, lambda X: X, "rule"),
        ({"neuron": "hh"}, lambda X: X, "neuron"),
        ({"encoder": "morse"}, lambda X: X, "encoder"),
        ({"connectivity": "sparse"}, lambda X: X, "connectivity"),
        ({"n_timesteps": 0}, lambda X: X, "n_timesteps"),
        ({"transform_timesteps": 0}, lambda X: X, "transform_timesteps"),
        ({"transform_timesteps": 2.5}, lambda X: X, "transform_timesteps"),
        ({"transform_encoder": "morse"}, lambda X: X, "transform_encoder"),
        ({"transform_encoder": 3}, lambda X: X, "transform_encoder"),
        ({"transform_encoder": PoissonEncoder(max_rate=5e3)}, lambda X: X, "max_rate"),
        ({"encoder": PoissonEncoder(max_rate=5e3)}, lambda X: X, "max_rate"),
        ({"kernel_size": 9}, lambda X: X, "kernel_size"),
        ({"batch_size": 0}, lambda X: X, "batch_size"),
        ({"dt": -1.0}, lambda X: X, "dt"),
        ({"pooling": 0}, lambda X: X, "pooling"),
        ({"pooling": "max"}, lambda X: X, "pooling"),
        ({"pooling": 2.5}, lambda X: X, "pooling"),
        ({"pooling": (2, 2, 2)}, lambda X: X, "pooling"),
        ({"pooling": 2, "pooling_stride": 0}, lambda X: X, "pooling_stride"),
        ({"pooling": 2, "pooling_stride": 1.5}, lambda X: X, "pooling_stride"),
        ({"pooling_stride": (1, 1, 1)}, lambda X: X, "pooling_stride"),
        ({"transform_stride": 1}, lambda X: X, "transform_stride"),  # local
        (
            {"connectivity": "dense", "transform_stride": 1},
            lambda X: X,
            "transform_stride",
        ),
        (
            {"connectivity": "conv", "kernel_size": 3, "transform_stride": 0},
            lambda X: X,
            "transform_stride",
        ),
        (
            {"connectivity": "conv", "kernel_size": 3, "transform_stride": 1.5},
            lambda X: X,
            "transform_stride",
        ),
    ],
)
def test_bad_input_is_named_and_leaves_a_fitted_model_unchanged(
    digits, params, X_maker, match
):
    X = digits[0][:20]
    model = small().fit(X)
    weights, thresholds = model.weights_.copy(), model.thresholds_.copy()
    state = dict(model.__dict__)
    model.set_params(**params)
    for method in (model.fit, model.partial_fit):
        with pytest.raises((ValueError, TypeError), match=match):
            method(X_maker(X))
        np.testing.assert_array_equal(model.weights_, weights)
        np.testing.assert_array_equal(model.thresholds_, thresholds)
        assert model.__dict__.keys() == state.keys()


def test_wrong_number_of_features_at_transform(digits):
    model = small().fit(digits[0][:20])
    with pytest.raises(ValueError, match="features"):
        model.transform(digits[0][:5, :63])


def test_verbose_progress_bar(digits, capsys):
    X = digits[0][:32]
    small(verbose=0).fit(X).transform(X)
    quiet = capsys.readouterr()
    assert quiet.out == "" and quiet.err == ""
    small(verbose=1).fit(X)
    loud = capsys.readouterr()
    assert "sample" in loud.err


# -- pooling -------------------------------------------------------------------


def reference_pool(F, grid, n_filters, window, stride=None):
    """Window sums of location-major counts, with explicit loops: a window
    starts every ``stride`` locations until one reaches the grid's end."""
    rows, cols = grid
    ph, pw = window
    sh, sw = stride or window
    row_starts = [0]
    while row_starts[-1] + ph < rows:
        row_starts.append(row_starts[-1] + sh)
    col_starts = [0]
    while col_starts[-1] + pw < cols:
        col_starts.append(col_starts[-1] + sw)
    pooled = []
    for sample in F:
        features = []
        for r0 in row_starts:
            for c0 in col_starts:
                for f in range(n_filters):
                    total = 0.0
                    for r in range(r0, min(r0 + ph, rows)):
                        for c in range(c0, min(c0 + pw, cols)):
                            total += sample[(r * cols + c) * n_filters + f]
                    features.append(total)
        pooled.append(features)
    return np.array(pooled)


@pytest.mark.parametrize(
    "pooling, pooling_stride, window, stride, pool_grid",
    [
        (2, None, (2, 2), None, (3, 3)),  # divides the 6 x 6 grid
        ((4, 5), None, (4, 5), None, (2, 2)),  # partial last windows
        ((1, 6), None, (1, 6), None, (6, 1)),
        ("global", 1, (6, 6), None, (1, 1)),  # the stride is ignored
        (10, None, (6, 6), None, (1, 1)),  # larger than the grid: all of it
        (2, 2, (2, 2), None, (3, 3)),  # the default stride, given
        (3, 1, (3, 3), (1, 1), (4, 4)),  # overlapping windows
        (4, (1, 3), (4, 4), (1, 3), (3, 2)),  # a partial last column window
        ((2, 3), (4, 1), (2, 3), (4, 1), (2, 4)),  # rows 2 and 3 in no window
    ],
)
def test_pooling_sums_counts_over_windows_like_a_loop(
    digits, pooling, pooling_stride, window, stride, pool_grid
):
    X = digits[0][:30]
    params = dict(connectivity="conv", kernel_size=3, stride=1, n_filters=3)
    plain = small(**params, pooling=None).fit(X)
    pooled = small(**params, pooling=pooling, pooling_stride=pooling_stride).fit(X)
    # Pooling changes the features, never the learning.
    np.testing.assert_array_equal(plain.weights_, pooled.weights_)
    assert plain.layer_.connectivity.output_grid == (6, 6)
    F = plain.transform(X)
    expected = reference_pool(F, (6, 6), 3, window, stride)
    got = pooled.transform(X)
    np.testing.assert_array_equal(got, expected)
    assert pooled.pool_grid_ == pool_grid
    n_out = pool_grid[0] * pool_grid[1] * 3
    assert got.shape == (30, n_out)
    assert len(pooled.get_feature_names_out()) == n_out
    if stride is None:
        # Non-overlapping windows count every spike once.
        np.testing.assert_array_equal(got.sum(axis=1), F.sum(axis=1))


def test_overlapping_pooling_equals_scipy_window_sums(digits):
    """Stride-1 windows of a convolution's counts are a box filter of them."""
    X = digits[0][:10]
    params = dict(connectivity="conv", kernel_size=3, stride=1, n_filters=2)
    plain = small(**params, pooling=None).fit(X)
    pooled = small(**params, pooling=(2, 3), pooling_stride=1).fit(X)
    counts = plain.transform(X).reshape(10, 6, 6, 2)
    box = signal.convolve(counts, np.ones((1, 2, 3, 1)), mode="valid", method="direct")
    expected = box.reshape(10, -1)  # (10, 5, 4, 2): the windows inside the grid
    np.testing.assert_array_equal(pooled.transform(X), expected)


def test_pooling_changed_after_fit_is_refused_at_transform(digits):
    X = digits[0][:20]
    model = small(connectivity="conv", kernel_size=3, pooling=2).fit(X)
    model.set_params(pooling=3)
    with pytest.raises(ValueError, match="pooling"):
        model.transform(X)


# -- SpikeCountClassifier ------------------------------------------------------


def reference_vote(F_train, y_train, F_test):
    """Diehl & Cook's assignment and vote, written with explicit loops."""
    classes = sorted(set(y_train))
    n_features = F_train.shape[1]
    assignment = []
    for j in range(n_features):
        best, best_rate = None, -1.0
        for c in classes:
            rows = [F_train[i, j] for i in range(len(y_train)) if y_train[i] == c]
            rate = sum(rows) / len(rows)
            if rate > best_rate:
                best, best_rate = c, rate
        assignment.append(best)
    predictions = []
    for x in F_test:
        scores = []
        for c in classes:
            members = [x[j] for j in range(n_features) if assignment[j] == c]
            scores.append(sum(members) / len(members) if members else 0.0)
        predictions.append(classes[int(np.argmax(scores))])
    return np.array(predictions)


def test_vote_classifier_matches_explicit_reference():
    rng = np.random.default_rng(0)
    labels = np.array(["cat", "dog", "emu", "fox"])
    y = labels[rng.integers(0, 4, size=120)]
    F = rng.poisson(2.0, size=(120, 30)).astype(float)
    F[:, :8] += 5 * (y[:, None] == labels[np.arange(8) % 4])  # informative features
    clf = SpikeCountClassifier().fit(F[:80], y[:80])
    np.testing.assert_array_equal(
        clf.predict(F[80:]), reference_vote(F[:80], y[:80], F[80:])
    )
    proba = clf.predict_proba(F[80:])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert clf.score(F[80:], y[80:]) > 0.5
    assert set(clf.predict(F[80:])) <= set(labels)


def test_vote_classifier_proportion_weighting():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, size=90)
    F = rng.poisson(1.0, size=(90, 12)).astype(float)
    F[:, :6] += 4 * (y[:, None] == np.arange(6) % 3)
    clf = SpikeCountClassifier(weighting="proportion").fit(F, y)
    rates = np.array([F[y == c].mean(axis=0) for c in range(3)])
    proportions = rates / rates.sum(axis=0)
    expected = np.argmax(F @ proportions.T, axis=1)
    np.testing.assert_array_equal(clf.predict(F), expected)


def test_vote_classifier_on_learned_digit_features(digits):
    X, y = digits
    model = small(n_filters=8, n_timesteps=40).fit(X[:300])
    F = model.transform(X[:600])
    clf = SpikeCountClassifier().fit(F[:300], y[:300])
    assert clf.score(F[300:], y[300:600]) > 0.4  # chance 0.1


@parametrize_with_checks(
    [SpikingFeatureLearner(connectivity="conv", pooling="global", n_timesteps=10)]
)
def test_pooled_learner_passes_sklearn_checks(estimator, check):
    check(estimator)


class _Interrupting(Rule):
    """Pair STDP that raises ``KeyboardInterrupt`` at its ``after``-th step
    (Ctrl-C in the middle of a ``partial_fit``); a rule of one's own, so it
    runs on the numpy engine."""

    def __init__(self, after=None):
        self.after = after

    def pre_traces(self):
        return (TraceSpec(20.0, "add"),)

    def post_traces(self):
        return (TraceSpec(20.0, "add"),)

    def delta(self, pre, post, weights, state=None):
        if self.after is not None:
            self.calls = getattr(self, "calls", 0) + 1
            if self.calls == self.after:
                raise KeyboardInterrupt
        return PairSTDP(0.01, 0.0105).delta(pre, post, weights)


def test_interrupted_partial_fit_leaves_everything_as_before(digits):
    """An interrupted partial_fit leaves the estimator, random state included,
    as it was: the next call gives what a model that never saw it gives."""
    X = digits[0][:48]
    rule = _Interrupting()
    model, reference = small(rule=rule).fit(X[:16]), small(rule=rule).fit(X[:16])
    model.rule.after = 40  # in the second batch of the next call
    with pytest.raises(KeyboardInterrupt):
        model.partial_fit(X[16:48])
    model.rule.after = None
    model.partial_fit(X[16:48])
    reference.partial_fit(X[16:48])
    np.testing.assert_array_equal(model.weights_, reference.weights_)
    np.testing.assert_array_equal(model.thresholds_, reference.thresholds_)
    assert model.n_samples_seen_ == reference.n_samples_seen_ == 48


@pytest.mark.parametrize("engine", ["numpy", "numba"])
@pytest.mark.parametrize("method", ["fit", "partial_fit", "transform"])
def test_ctrl_c_from_a_timer_leaves_the_model_as_before(digits, method, engine):
    """KeyboardInterrupt raised in the main thread by a timer, in the middle of
    a long fit, partial_fit or transform (on the compiled engine while its
    threads run): the model is left exactly as before, random state included,
    so that the next calls give what an untouched copy gives."""
    if engine == "numba":
        pytest.importorskip("numba")
    X = digits[0]
    model = small(engine=engine, n_timesteps=100).fit(X[:32])
    untouched = copy.deepcopy(model)
    long_X = np.tile(X, (4, 1))  # several seconds of work
    timer = threading.Timer(0.2, _thread.interrupt_main)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            getattr(model, method)(long_X)
            time.sleep(5)  # if the call ended first, the interrupt lands here
    finally:
        timer.cancel()
    assert sorted(vars(model)) == sorted(vars(untouched))
    for follow_up in ("partial_fit", "transform"):
        got = getattr(model, follow_up)(X[32:64])
        expected = getattr(untouched, follow_up)(X[32:64])
        if follow_up == "transform":
            np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(model.weights_, untouched.weights_)
    np.testing.assert_array_equal(model.thresholds_, untouched.thresholds_)
    assert model.n_samples_seen_ == untouched.n_samples_seen_ == 64


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_overflowing_rule_raises_and_leaves_the_model_unchanged(digits, engine):
    """Weight changes that overflow (NaN or infinity) are an error at the
    update, never NaN or saturated weights returned without a word."""
    if engine == "numba":
        pytest.importorskip("numba")
    X = digits[0][:32]
    huge = PairSTDP(a_plus=1e38, a_minus=1e38)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's own overflow
        with pytest.raises(ValueError, match="not finite.*overflowed"):
            small(rule=huge, engine=engine).fit(X)
        model = small(engine=engine).fit(X)
        weights = model.weights_.copy()
        with pytest.raises(ValueError, match="not finite"):
            model.set_params(rule=huge).partial_fit(X)
    np.testing.assert_array_equal(model.weights_, weights)


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_calls_leave_no_reference_cycles(digits, engine):
    """partial_fit and transform free everything they built when they return:
    no reference cycle (one held the numpy engine's per-batch arrays until the
    garbage collector's rare full pass, so a long stream's memory grew)."""
    if engine == "numba":
        pytest.importorskip("numba")
    X = digits[0][:64]
    model = small(engine=engine, competition="wta").fit(X[:16])
    gc.collect()
    gc.disable()
    try:
        model.partial_fit(X)
        model.transform(X)
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_n_jobs_zero_is_refused_at_fit(digits):
    with pytest.raises(ValueError, match="n_jobs"):
        small(n_jobs=0).fit(digits[0][:16])


def test_an_all_zero_first_batch_does_not_fix_the_input_scale(digits):
    """partial_fit on zeros, then on digits: the scale is the digits' maximum
    (16), not 1 (which saturated every pixel)."""
    X = digits[0][:32]
    model = small().partial_fit(np.zeros((8, 64)))
    assert model.input_scale_ is None
    with warnings.catch_warnings():
        warnings.simplefilter("error", estimators.ScaleWarning)
        model.partial_fit(X)
    assert model.input_scale_ == X.max() == 16.0
    assert small().fit(X).input_scale_ == 16.0


def test_data_off_the_fitted_scale_are_warned_about(digits):
    """Values above input_scale_ are clipped with a warning that counts them;
    data far below it (0..1 rows on a model fitted on 0..16) are warned about;
    data on the fitted scale give no warning."""
    X = digits[0][:32]
    model = small().fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error", estimators.ScaleWarning)
        model.transform(X)
    above = X.copy()
    above[0, :3] = 32.0
    with pytest.warns(estimators.ScaleWarning, match="3 of the 2048 values"):
        clipped = model.transform(above)
    np.testing.assert_array_equal(clipped[1:], model.transform(X)[1:])
    with pytest.warns(estimators.ScaleWarning, match="below a tenth"):
        model.transform(X / 16.0)
    explicit = small(input_scale=1.0).fit(X / 16.0)
    assert explicit.input_scale_ == 1.0


def _fitted_state(model):
    """Everything a failed call must leave as it was."""
    state = {k: v for k, v in vars(model).items() if k != "_rng"}
    state["_rng"] = model._rng.bit_generator.state
    return copy.deepcopy(state)


def _assert_same_state(model, state):
    now = _fitted_state(model)
    assert now.keys() == state.keys()
    for key, value in state.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(now[key], value)
        elif key not in ("layer_",):  # rebuilt objects: compared by their params
            assert now[key] == value, key


_VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.integers(-(2**40), 2**40),
    st.sampled_from([0.0, 1.0, 16.0, 1e300, -1.0, np.nan, np.inf]),
)


@settings(max_examples=40, deadline=None)
@given(
    n_rows=st.integers(0, 4),
    n_cols=st.sampled_from([1, 63, 64, 65]),
    kind=st.sampled_from(["float64", "float32", "int64", "bool", "list", "sparse"]),
    values=st.lists(_VALUES, min_size=1, max_size=8),
)
def test_any_input_gives_a_result_or_a_named_error_and_no_change(
    n_rows, n_cols, kind, values
):
    """Generated X at fit, partial_fit and transform: either a result of the
    right shape or ValueError/TypeError, and a fitted model left exactly as it
    was when the call fails (random state included)."""
    import scipy.sparse as sp

    flat = np.resize(np.asarray(values, dtype=np.float64), n_rows * n_cols)
    X = flat.reshape(n_rows, n_cols)
    if kind == "bool":
        X = np.nan_to_num(X) > 0
    elif kind == "int64":
        X = np.nan_to_num(X, posinf=2**40, neginf=-(2**40)).astype(np.int64)
    elif kind == "float32":
        with np.errstate(over="ignore"):
            X = X.astype(np.float32)
    elif kind == "list":
        X = X.tolist()
    elif kind == "sparse":
        X = sp.csr_matrix(np.nan_to_num(X))
    model = small(n_timesteps=5, batch_size=4).fit(
        np.abs(np.arange(128.0)).reshape(2, 64)
    )
    state = _fitted_state(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for call in (model.partial_fit, model.transform):
            try:
                out = call(X)
            except (ValueError, TypeError):
                _assert_same_state(model, state)
            else:
                if call is model.transform:
                    assert out.shape[0] == n_rows and np.all(np.isfinite(out))
                state = _fitted_state(model)
        try:
            fresh = small(n_timesteps=5).fit(X)
        except (ValueError, TypeError):
            pass
        else:
            assert np.all(np.isfinite(fresh.weights_))


# -- defaults by input kind ----------------------------------------------------------


@pytest.mark.parametrize(
    "shape, kind, kernel, stride, pool_grid",
    [
        ((28, 28), Conv2D, (5, 5), (2, 2), (9, 9)),  # 12 x 12 grid, 4 x 4 windows
        ((20, 30), Conv2D, (4, 5), (2, 2), (7, 10)),  # 9 x 13 grid, 3 x 4 windows
        ((8, 8), LocallyConnected2D, (3, 3), (1, 1), (6, 6)),  # no pooling
        ((1, 30), Dense, None, None, (1, 1)),  # tabular
    ],
)
def test_auto_architecture_follows_the_input(shape, kind, kernel, stride, pool_grid):
    """connectivity="auto", pooling="auto": a pooled convolution for images of
    at least 16 pixels a side (kernel 5/28 of the side, stride half of it,
    windows of a third of the grid at stride 1), locally connected filters for
    smaller images, a dense layer for tabular data."""
    X = np.random.default_rng(0).uniform(0, 1, size=(6, shape[0] * shape[1]))
    image_shape = shape if shape == (20, 30) else None  # not a square
    model = small(image_shape=image_shape, n_timesteps=5).fit(X)
    conn = model.layer_.connectivity
    assert type(conn) is kind
    if kernel is not None:
        assert conn.kernel_size == kernel and conn.stride == stride
    assert model.pool_grid_ == pool_grid
    grid = conn.output_grid
    n_out = pool_grid[0] * pool_grid[1] * 4
    if kind is Conv2D:  # overlapping windows of a third of the grid, stride 1
        assert pool_grid == tuple(g - g // 3 + 1 for g in grid)
    assert model.transform(X).shape == (6, n_out)


@pytest.mark.parametrize("channels", [False, True])
def test_arrays_of_images_equal_their_flattened_rows(digits, channels):
    """(n, H, W) and (n, H, W, C) arrays: the same model and features as the
    flattened rows with image_shape; images of another shape are refused."""
    X = digits[0][:40]
    images = X.reshape(40, 8, 8, 1) if channels else X.reshape(40, 8, 8)
    shape = (8, 8, 1) if channels else (8, 8)
    from_images = small().fit(images)
    from_rows = small(image_shape=shape).fit(X)
    np.testing.assert_array_equal(from_images.weights_, from_rows.weights_)
    assert from_images.image_shape_ == (8, 8, 1)
    np.testing.assert_array_equal(from_images.transform(images), from_rows.transform(X))
    np.testing.assert_array_equal(from_images.transform(X), from_rows.transform(X))
    with pytest.raises(ValueError, match="shape"):
        from_images.transform(X.reshape(40, 4, 16))


# --------------------------------------------------------------------------
# reward-modulated rules learning from labels; the learned lateral inhibition


def _halves(n, seed):
    """8 x 8 images of one horizontal bar (and a little noise): class 0 in the
    top half, class 1 in the bottom half."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = 0.1 * rng.random((n, 8, 8))
    X[np.arange(n), rng.integers(0, 4, n) + 4 * y, :] = 1.0
    return X.reshape(n, -1), y


def _reward_learner(rule, **params):
    from stdp_lab import Competition

    base = dict(
        rule=rule,
        connectivity="dense",
        n_filters=4,
        n_timesteps=30,
        batch_size=8,
        norm=None,
        input_scale=1.0,
        competition=Competition(k=1, inhibition=100.0),  # the winner learns
        random_state=0,
    )
    base.update(params)
    return SpikingFeatureLearner(**base)


def _decisions_right(model, X, y):
    """Share of samples whose most active filter stands for their class."""
    counts = model.transform(X)  # (n, F): one location
    return np.mean(model.filter_classes_[counts.argmax(axis=1)] == y)


@pytest.mark.parametrize("rule", ["rstdp", "mstdp", "mstdpet"])
def test_reward_rules_learn_to_decide_from_labels(rule):
    """The semi-supervised use (Mozafari et al. 2018): two filters per class,
    a reward of +1 when the most active filter's class is the label and -1
    otherwise. Before learning the decisions are right by chance; after three
    epochs with the labels nearly always; with shuffled labels they are not."""
    X, y = _halves(160, 0)
    X_test, y_test = _halves(200, 1)
    untrained = _reward_learner(rule).partial_fit(X[:1], y[:1], classes=[0, 1])
    np.testing.assert_array_equal(untrained.filter_classes_, [0, 0, 1, 1])
    assert abs(_decisions_right(untrained, X_test, y_test) - 0.5) < 0.1
    trained = _reward_learner(rule, n_epochs=3).fit(X, y)
    assert _decisions_right(trained, X_test, y_test) > 0.9
    shuffled = np.random.default_rng(5).permutation(y)
    control = _reward_learner(rule, n_epochs=3).fit(X, shuffled)
    assert _decisions_right(control, X_test, y_test) < 0.8


def test_the_reward_is_the_decision_of_the_network_on_each_sample(monkeypatch):
    """Each batch is presented first without learning: a sample's reward is +1
    if its most active filter (spikes summed over the presentation and the
    locations) stands for its label, -1 if another, 0 if no filter spiked;
    the learning presentation then gets it, with the same input spikes."""
    calls = []
    real = estimators.simulate

    def spy(layers, params, steps, **kwargs):
        steps = list(steps)  # the input spikes, to compare the two passes
        result = real(layers, params, iter(steps), **kwargs)
        calls.append((kwargs.get("learn", False), steps, result, kwargs.get("reward")))
        return result

    monkeypatch.setattr(estimators, "simulate", spy)
    X, y = _halves(24, 3)
    y = np.array(["top", "bottom"])[y]
    model = _reward_learner("rstdp", connectivity="local", kernel_size=4, stride=2)
    model.set_params(n_filters=5)
    model.fit(X, y)
    np.testing.assert_array_equal(model.reward_classes_, ["bottom", "top"])
    np.testing.assert_array_equal(model.filter_classes_, [0, 0, 0, 1, 1])  # 3 + 2
    assert [learn for learn, *_ in calls] == [False, True] * 3
    labels = np.searchsorted(model.reward_classes_, y)
    for batch, (decide, learn) in enumerate(zip(calls[::2], calls[1::2], strict=True)):
        for a, b in zip(decide[1], learn[1], strict=True):
            np.testing.assert_array_equal(a, b)  # the same input spikes
        per_filter = decide[2].counts[0].sum(axis=1)  # (B, F)
        expected = []
        for counts, label in zip(
            per_filter, labels[batch * 8 : (batch + 1) * 8], strict=True
        ):
            if counts.max() == 0:
                expected.append(0.0)
            else:
                winner = np.flatnonzero(counts == counts.max())[0]
                expected.append(1.0 if model.filter_classes_[winner] == label else -1.0)
        np.testing.assert_array_equal(learn[3], expected)
        assert decide[3] is None
    rewards = np.concatenate([learn[3] for learn in calls[1::2]])
    assert (rewards == 1).any() and (rewards == -1).any()


def test_without_labels_a_reward_rule_learns_as_its_unmodulated_form(digits):
    """fit(X) rewards every presentation, with a warning: R-STDP is then
    SimplifiedSTDP with its reward rates, MSTDP pair STDP times gamma."""
    from stdp_lab.plasticity import MSTDP, RSTDP, SimplifiedSTDP

    X = digits[0][:32]
    for rule, plain in (
        (RSTDP(), SimplifiedSTDP(0.004, 0.003)),
        (MSTDP(learning_rate=0.02), PairSTDP(0.02, 0.018)),
    ):
        with pytest.warns(UserWarning, match=f"{type(rule).__name__} .*no labels"):
            rewarded = small(rule=rule).fit(X)
        assert not hasattr(rewarded, "filter_classes_")
        unmodulated = small(rule=plain).fit(X)
        np.testing.assert_allclose(rewarded.weights_, unmodulated.weights_, atol=1e-6)


def test_labels_that_cannot_be_used_are_refused(digits):
    X, y = digits[0][:32], digits[1][:32]
    with pytest.raises(ValueError, match="n_filters must be at least 10"):
        small(rule="rstdp").fit(X, y)
    with pytest.raises(ValueError, match="one label per sample"):
        small(rule="rstdp", n_filters=10).fit(X, y[:5])
    model = small(rule="mstdp", n_filters=10).partial_fit(X[:16], y[:16] % 3)
    before = model.weights_.copy()
    with pytest.raises(ValueError, match="not among the classes"):
        model.partial_fit(X[16:], y[16:])
    np.testing.assert_array_equal(model.weights_, before)  # left as it was
    model.partial_fit(X[16:], y[16:] % 3)
    fresh = small(rule="mstdp", n_filters=10).partial_fit(
        X[:16], y[:16], classes=range(10)
    )
    np.testing.assert_array_equal(fresh.filter_classes_, np.arange(10))


def test_a_learned_lateral_inhibition_is_fitted_kept_and_used(digits):
    """lateral_rule learns the per-pair inhibition (starting from the
    competition's 3.0), partial_fit continues it, transform uses it; the
    inhibitory rule given as ``rule`` learns it and leaves the weights as
    initialised."""
    X = digits[0][:48]
    model = small(lateral_rule="istdp").fit(X)
    lateral = model.lateral_weights_
    n_sets = model.weights_.shape[0]
    assert lateral.shape == (n_sets, 4, 4) and lateral.dtype == np.float32
    off = ~np.eye(4, dtype=bool)
    assert not np.allclose(lateral[:, off], 3.0)
    assert np.all(lateral >= 0) and np.all(lateral[:, ~off] == 0)
    assert small().fit(X).lateral_weights_ is None
    streamed = small(lateral_rule="istdp")
    for start in range(0, 48, 16):
        streamed.partial_fit(X[start : start + 16])
    np.testing.assert_array_equal(streamed.lateral_weights_, lateral)
    features = model.transform(X)
    model.lateral_weights_ = lateral * 0
    assert model.transform(X).sum() > features.sum()  # no inhibition: more spikes
    a = small(rule="istdp").fit(X)
    b = small(rule=InhibitorySTDP(eta=0.05)).fit(X)
    np.testing.assert_array_equal(a.weights_, b.weights_)  # not learned
    assert not np.allclose(a.lateral_weights_, b.lateral_weights_)
    with pytest.raises(ValueError, match="inhibitory rule"):
        small(rule="istdp", lateral_rule="istdp").fit(X)
