"""compare_rules: one table of rules and baselines, its files, its metrics."""

import builtins
import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.model_selection import train_test_split

from stdp_lab import PairSTDP, SpikingFeatureLearner
from stdp_lab.compare import METRICS, KMeansPatchFeatures, compare_rules, rf_diversity
from stdp_lab.datasets import load_digits
from stdp_lab.plasticity import Rule, TraceSpec

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "compare_rules.py"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SMALL = dict(n_timesteps=15, n_filters=6)


class Instar(Rule):
    """A user-defined rule: dw = lr * post_spike * (pre_trace - w)."""

    def __init__(self, learning_rate=0.05, tau_pre=20.0):
        self.learning_rate = learning_rate
        self.tau_pre = tau_pre

    def pre_traces(self):
        return (TraceSpec(self.tau_pre, "reset"),)

    def post_traces(self):
        return ()

    def delta(self, pre, post, weights, state=None):
        towards = np.einsum("slk,slf->lkf", pre.trace, post.spikes)  # (L, K, F)
        n_post = post.spikes.sum(axis=0)[:, None, :]  # (L, 1, F)
        return self.learning_rate * (towards - n_post * weights)


@pytest.fixture(scope="module")
def digits():
    images, y = load_digits()
    X = images.reshape(len(images), -1)  # (n, 64)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, train_size=200, test_size=100, stratify=y, random_state=0
    )
    return X_train, y_train, X_test, y_test


RULES = [Instar(), PairSTDP(a_plus=0.001), PairSTDP(a_plus=0.004)]
LABELS = ["Instar", "PairSTDP(a_plus=0.001)", "PairSTDP(a_plus=0.004)"]


@pytest.fixture(scope="module")
def comparison(digits, tmp_path_factory):
    out = tmp_path_factory.mktemp("comparison")
    table = compare_rules(RULES, *digits, seeds=(0, 1), out=out, n_jobs=1, **SMALL)
    return table, out


def records(table):
    return table.to_dict("records") if hasattr(table, "to_dict") else list(table)


def test_table_has_one_row_per_entry_in_order(comparison):
    table, _ = comparison
    rows = records(table)
    assert [row["label"] for row in rows] == LABELS + ["random", "kmeans", "pixels"]
    assert [row["kind"] for row in rows] == ["rule"] * 3 + ["baseline"] * 3
    assert all(row["n_seeds"] == 2 for row in rows)
    for metric in METRICS:
        assert f"{metric}_mean" in rows[0] and f"{metric}_std" in rows[0]


def test_every_accuracy_is_above_chance(comparison):
    # 10 balanced classes: chance is 0.1; ask for twice that.
    for row in records(comparison[0]):
        for metric in ("linear_accuracy", "vote_accuracy"):
            assert row[f"{metric}_mean"] > 0.2, (row["label"], metric)
            assert 0 <= row[f"{metric}_mean"] <= 1


def test_metrics_have_their_meaning(comparison, digits):
    rows = {row["label"]: row for row in records(comparison[0])}
    X_test = digits[2]
    for label in LABELS + ["random"]:
        assert rows[label]["spikes_per_sample_mean"] > 0
        assert rows[label]["fit_seconds_mean"] > 0
        assert 0 <= rows[label]["sparsity_mean"] <= 1
        assert 0 <= rows[label]["rf_diversity_mean"] <= 1
    pixels = rows["pixels"]
    # Raw pixels: the sparsity is the share of zero pixels, the result does not
    # depend on the seed, and there are no spikes or weights.
    assert pixels["sparsity_mean"] == pytest.approx(np.mean(X_test == 0))
    assert pixels["linear_accuracy_std"] == 0 and pixels["vote_accuracy_std"] == 0
    for metric in ("spikes_per_sample", "weight_mean", "rf_diversity"):
        assert np.isnan(pixels[f"{metric}_mean"])
    assert np.isnan(rows["kmeans"]["spikes_per_sample_mean"])
    assert rows["kmeans"]["sparsity_mean"] > 0.3  # triangle: about half are zero


def test_random_baseline_keeps_the_initial_weights(comparison, digits):
    """Frozen random weights: the statistics of the weights are those of the
    layer's initial draw for each seed (norm="auto": every filter sums to
    0.1 x patch size, so the mean weight is 0.1)."""
    row = next(r for r in records(comparison[0]) if r["label"] == "random")
    stds, diversities = [], []
    for seed in (0, 1):
        learner = SpikingFeatureLearner(rule="stdp", random_state=seed, **SMALL)
        layer = learner.fit(digits[0][:2]).layer_
        initial = layer.initial_params(np.random.default_rng(seed)).weights
        stds.append(initial.std())
        diversities.append(rf_diversity(initial))
    assert row["weight_mean_mean"] == pytest.approx(0.1)
    assert row["weight_std_mean"] == pytest.approx(np.mean(stds), rel=1e-6)
    assert row["rf_diversity_mean"] == pytest.approx(np.mean(diversities), rel=1e-6)


def test_files_are_written(comparison):
    table, out = comparison
    rows = records(table)
    assert (out / "comparison.png").read_bytes()[:8] == PNG_MAGIC
    with open(out / "comparison.csv", newline="") as handle:
        written = list(csv.DictReader(handle))
    assert [row["label"] for row in written] == [row["label"] for row in rows]
    for row, saved in zip(rows, written, strict=True):
        assert float(saved["linear_accuracy_mean"]) == row["linear_accuracy_mean"]
    markdown = (out / "comparison.md").read_text().splitlines()
    assert markdown[0].startswith("| label | kind |")
    assert "linear acc. (%)" in markdown[0] and "vote acc. (%)" in markdown[0]
    assert len(markdown) == 2 + len(rows)
    first = markdown[2].split("|")[4].strip()  # "mean ± std" of the linear accuracy
    mean, std = (float(v) for v in first.split("±"))
    assert mean == pytest.approx(100 * rows[0]["linear_accuracy_mean"], abs=0.05)
    assert std == pytest.approx(100 * rows[0]["linear_accuracy_std"], abs=0.05)


@pytest.mark.slow  # starts two worker processes
def test_results_do_not_depend_on_n_jobs(digits):
    X_train, y_train, X_test, y_test = digits
    args = ([Instar()], X_train[:80], y_train[:80], X_test[:60], y_test[:60])
    kwargs = dict(seeds=(0, 1), baselines=("random", "kmeans"), n_timesteps=10)
    one = records(compare_rules(*args, n_jobs=1, n_filters=4, **kwargs))
    two = records(compare_rules(*args, n_jobs=2, n_filters=4, **kwargs))
    for a, b in zip(one, two, strict=True):
        for key in a:
            if "seconds" not in key:
                np.testing.assert_equal(a[key], b[key], err_msg=key)


def test_dict_keys_label_the_rows_and_list_without_pandas(digits, monkeypatch):
    real_import = builtins.__import__

    def no_pandas(name, *args, **kwargs):
        if name == "pandas":
            raise ImportError("No module named 'pandas'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    X_train, y_train, X_test, y_test = digits
    table = compare_rules(
        {"slow": PairSTDP(a_plus=1e-4), "fast": PairSTDP(a_plus=1e-2)},
        X_train[:60],
        y_train[:60],
        X_test[:30],
        y_test[:30],
        seeds=[3],
        baselines=None,
        n_timesteps=5,
        n_filters=2,
    )
    assert isinstance(table, list)
    assert [row["label"] for row in table] == ["slow", "fast"]
    assert all(np.isnan(row["linear_accuracy_std"]) for row in table)  # one seed


@pytest.mark.parametrize(
    "rules, kwargs, match",
    [
        ([], {}, "rules"),
        ({}, {}, "rules"),
        (["stdp", "stdp"], {}, "rules.*'stdp'"),
        ([PairSTDP(), "stdp", PairSTDP()], {}, "rules.*'PairSTDP'"),
        (["no_such_rule"], {}, "no_such_rule"),
        ([PairSTDP(a_plus=-1.0)], {}, "a_plus"),
        ({"random": "stdp"}, {}, "rules.*'random'"),
        (["stdp"], {"seeds": []}, "seeds"),
        (["stdp"], {"seeds": [0, 0]}, "seeds"),
        (["stdp"], {"seeds": [-1]}, "seeds"),
        (["stdp"], {"baselines": ["pca"]}, "baselines"),
        (["stdp"], {"rule": "oja"}, "rule"),
        (["stdp"], {"random_state": 0}, "random_state"),
        (["stdp"], {"n_filters": 0}, "n_filters"),
        (["stdp"], {"connectivity": "sparse"}, "connectivity"),
    ],
)
def test_bad_input_raises_value_error_naming_it(digits, rules, kwargs, match):
    with pytest.raises(ValueError, match=match):
        compare_rules(rules, *digits, **kwargs)


def test_bad_types_and_data_raise(digits):
    X_train, y_train, X_test, y_test = digits
    with pytest.raises(TypeError, match="rule"):
        compare_rules([3.0], *digits)
    with pytest.raises(TypeError, match="seeds"):
        compare_rules(["stdp"], *digits, seeds=2)
    with pytest.raises(ValueError, match="X_test"):
        compare_rules(["stdp"], X_train, y_train, X_test[:, :10], y_test)
    with pytest.raises(ValueError, match="y_train"):
        compare_rules(["stdp"], X_train, y_train[:-1], X_test, y_test)
    with pytest.raises(ValueError, match="X_train"):
        compare_rules(["stdp"], -X_train, y_train, X_test, y_test)


def test_rf_diversity_matches_corrcoef_reference():
    rng = np.random.default_rng(0)
    weights = rng.uniform(size=(3, 10, 4))  # (L, K, F)
    weights[1, :, 2] = 0.7  # a constant filter: no correlation, left out
    per_location = []
    for w in weights:
        keep = [f for f in range(w.shape[1]) if np.ptp(w[:, f]) > 0]
        r = np.corrcoef(w[:, keep].T)
        off = ~np.eye(len(keep), dtype=bool)
        per_location.append(np.abs(r[off]).mean())
    assert rf_diversity(weights) == pytest.approx(1 - np.mean(per_location))


def test_rf_diversity_limits():
    base = np.arange(6.0)
    same = np.stack([base, 2 * base + 1, -base], axis=1)[None]  # (1, 6, 3)
    assert rf_diversity(same) == pytest.approx(0.0)  # equal up to scale and sign
    orthogonal = np.array([[1.0, -1, 1, -1], [1, 1, -1, -1]]).T[None]  # r = 0
    assert rf_diversity(orthogonal) == pytest.approx(1.0)
    assert np.isnan(rf_diversity(np.ones((2, 5, 3))))
    with pytest.raises(ValueError, match="weights"):
        rf_diversity(np.ones((5, 3)))


def test_kmeans_triangle_features_match_a_loop(digits):
    """Coates & Ng (2011): per location, a_f = max(0, mean_g z_g - z_f) with z the
    distances of the contrast-normalised patch to the centroids."""
    X = digits[0]
    model = KMeansPatchFeatures(
        kernel_size=4, stride=2, n_filters=5, n_patches=500, random_state=0
    ).fit(X)
    features = model.transform(X[:3])
    assert features.shape == (3, 9 * 5)  # 3 x 3 locations, location-major
    centers = model.cluster_centers_
    for i in range(3):
        image = X[i].reshape(8, 8) / X.max()
        for loc in range(9):
            row, col = divmod(loc, 3)
            patch = image[2 * row : 2 * row + 4, 2 * col : 2 * col + 4].ravel()
            patch = (patch - patch.mean()) / np.sqrt(patch.var() + 0.01)
            z = np.array([np.linalg.norm(patch - c) for c in centers])
            expected = np.maximum(z.mean() - z, 0)
            np.testing.assert_allclose(
                features[i, 5 * loc : 5 * loc + 5], expected, atol=1e-10
            )


@pytest.mark.slow
def test_example_quick_run(tmp_path):
    result = subprocess.run(
        [sys.executable, str(EXAMPLE), "--quick", "--rules", "oja", "--n-jobs", "1"]
        + ["--out", "o"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={"MPLBACKEND": "Agg", "PATH": ""},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "| label | kind |" in result.stdout
    assert (tmp_path / "o" / "comparison.png").read_bytes()[:8] == PNG_MAGIC
    with open(tmp_path / "o" / "comparison.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["label"] for row in rows] == ["oja", "random", "kmeans", "pixels"]
    for row in rows:  # MNIST, 10 classes
        assert float(row["linear_accuracy_mean"]) > 0.2
