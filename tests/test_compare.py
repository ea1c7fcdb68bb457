"""compare_rules: tuning, statistics, the result object, its files and metrics."""

import builtins
import csv
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.stats
from sklearn.model_selection import train_test_split

import stdp_lab.plasticity
from stdp_lab import PairSTDP, SpikingFeatureLearner
from stdp_lab.cli import DEMO_PARAMS, main
from stdp_lab.compare import (
    CURVE_FRACTIONS,
    METRICS,
    TUNE_GRID,
    Comparison,
    KMeansPatchFeatures,
    compare_rules,
    learning_rate_params,
    paired_difference,
    rf_diversity,
)
from stdp_lab.compare import _tuning as tuning_module
from stdp_lab.datasets import load_digits
from stdp_lab.plasticity import Rule, TraceSpec
from stdp_lab.presets import mnist_conv

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "compare_rules.py"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SMALL = dict(n_timesteps=30, n_filters=6)
TINY = dict(n_timesteps=8, n_filters=3)
FIGURES = ("comparison", "receptive_fields", "weight_histograms", "learning_curves")


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


class Amplitudes(Instar):
    """A rule of one's own with amplitudes and no overall rate."""

    def __init__(self, a_ltp=0.01, a_ltd=0.02, tau_pre=20.0):
        self.a_ltp = a_ltp
        self.a_ltd = a_ltd
        self.tau_pre = tau_pre
        self.learning_rate = 0.0  # not a parameter: not in __init__


class RateAndAmplitudes(Amplitudes):
    def __init__(self, learning_rate=1.0, a_plus=0.01, a_minus=0.02, tau_pre=20.0):
        self.learning_rate = learning_rate
        self.a_plus = a_plus
        self.a_minus = a_minus
        self.tau_pre = tau_pre


@pytest.fixture(scope="module")
def digits():
    images, y = load_digits()
    X = images.reshape(len(images), -1)  # (n, 64)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, train_size=200, test_size=100, stratify=y, random_state=0
    )
    return X_train, y_train, X_test, y_test


@pytest.fixture(scope="module")
def tiny(digits):
    X_train, y_train, X_test, y_test = digits
    return X_train[:100], y_train[:100], X_test[:50], y_test[:50]


RULES = [Instar(), PairSTDP(a_plus=0.001), PairSTDP(a_plus=0.004)]
LABELS = ["Instar", "PairSTDP(a_plus=0.001)", "PairSTDP(a_plus=0.004)"]


@pytest.fixture(scope="module")
def comparison(digits, tmp_path_factory):
    out = tmp_path_factory.mktemp("comparison")
    result = compare_rules(RULES, *digits, seeds=(0, 1), out=out, n_jobs=1, **SMALL)
    return result, out


def rows_of(result):
    return result.to_dict("records") if hasattr(result, "to_dict") else list(result)


# ---------------------------------------------------------------------------
# the table
# ---------------------------------------------------------------------------
def test_table_has_one_row_per_entry_in_order(comparison):
    result, _ = comparison
    assert isinstance(result, Comparison)
    rows = result.rows
    assert [row["label"] for row in rows] == LABELS + ["random", "kmeans", "pixels"]
    assert [row["kind"] for row in rows] == ["rule"] * 3 + ["baseline"] * 3
    assert all(row["n_seeds"] == 2 for row in rows)
    for metric in METRICS:
        assert f"{metric}_mean" in rows[0] and f"{metric}_std" in rows[0]


def test_every_accuracy_is_above_chance(comparison):
    # 10 balanced classes: chance is 0.1; ask for twice that.
    for row in comparison[0]:
        for metric in ("linear_accuracy", "vote_accuracy"):
            assert row[f"{metric}_mean"] > 0.2, (row["label"], metric)
            assert 0 <= row[f"{metric}_mean"] <= 1


def test_metrics_have_their_meaning(comparison, digits):
    result = comparison[0]
    X_test = digits[2]
    for label in LABELS + ["random"]:
        row = result.row(label)
        assert row["spikes_per_sample_mean"] > 0
        assert row["fit_seconds_mean"] > 0
        assert 0 <= row["sparsity_mean"] <= 1
        assert 0 <= row["rf_diversity_mean"] <= 1
    pixels = result.row("pixels")
    # Raw pixels: the sparsity is the share of zero pixels, the result does not
    # depend on the seed, and there are no spikes or weights.
    assert pixels["sparsity_mean"] == pytest.approx(np.mean(X_test == 0))
    assert pixels["linear_accuracy_std"] == 0 and pixels["vote_accuracy_std"] == 0
    for metric in ("spikes_per_sample", "weight_mean", "rf_diversity"):
        assert np.isnan(pixels[f"{metric}_mean"])
    assert np.isnan(result.row("kmeans")["spikes_per_sample_mean"])


def test_rows_hold_the_paired_differences_of_their_seeds(comparison):
    """Each rule's difference to the frozen random weights is the paired t
    interval of its per-seed accuracies, computed here with scipy."""
    result = comparison[0]
    random = result.row("random")
    for label in LABELS:
        row = result.row(label)
        for readout in ("linear", "vote"):
            a = np.array(row[f"{readout}_accuracy_per_seed"])
            b = np.array(random[f"{readout}_accuracy_per_seed"])
            key = f"{readout}_diff_vs_random"
            assert row[f"{key}_mean"] == pytest.approx(np.mean(a - b))
            if np.ptp(a - b) > 1e-9:  # scipy needs differences that vary
                interval = scipy.stats.ttest_rel(a, b).confidence_interval(0.95)
                np.testing.assert_allclose(
                    row[f"{key}_ci95"], [interval.low, interval.high], rtol=1e-9
                )
    for label in ("random", "kmeans", "pixels"):
        assert np.isnan(result.row(label)["linear_diff_vs_random_mean"])


# ---------------------------------------------------------------------------
# statistics
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("n_seeds", [2, 3, 5, 10])
@pytest.mark.parametrize("confidence", [0.9, 0.95])
def test_paired_difference_matches_scipy(n_seeds, confidence):
    rng = np.random.default_rng(n_seeds)
    a = rng.uniform(0.8, 0.9, n_seeds)
    b = a - rng.normal(0.01, 0.02, n_seeds)
    d = paired_difference(a, b, confidence=confidence)
    # The t interval written out with scipy's distribution, and scipy's own test.
    diff = a - b
    half = scipy.stats.t.ppf((1 + confidence) / 2, n_seeds - 1) * scipy.stats.sem(diff)
    assert d["mean"] == pytest.approx(diff.mean())
    assert d["std"] == pytest.approx(diff.std(ddof=1))
    assert [d["low"], d["high"]] == pytest.approx(
        [diff.mean() - half, diff.mean() + half]
    )
    interval = scipy.stats.ttest_rel(a, b).confidence_interval(confidence)
    assert [d["low"], d["high"]] == pytest.approx([interval.low, interval.high])
    assert d["n"] == n_seeds


def test_paired_difference_with_one_seed_has_no_interval():
    d = paired_difference([0.9], [0.85])
    assert d["mean"] == pytest.approx(0.05)
    assert math.isnan(d["std"]) and math.isnan(d["low"]) and math.isnan(d["high"])
    with pytest.raises(ValueError, match="same non-zero length"):
        paired_difference([0.9, 0.8], [0.85])
    with pytest.raises(ValueError, match="confidence"):
        paired_difference([0.9, 0.8], [0.85, 0.8], confidence=1.5)


# ---------------------------------------------------------------------------
# tuning
# ---------------------------------------------------------------------------
def test_learning_rate_table():
    assert learning_rate_params("stdp") == ("a_plus", "a_minus")
    assert learning_rate_params("stdp_multiplicative") == ("a_plus", "a_minus")
    assert learning_rate_params("triplet") == (
        "a2_plus",
        "a3_plus",
        "a2_minus",
        "a3_minus",
    )
    assert learning_rate_params("hebbian") == ("learning_rate", "decay")
    for name in ("diehl_cook", "oja", "bcm"):
        assert learning_rate_params(name) == ("learning_rate",)
    # Rules listed nowhere: an overall rate if there is one, else the amplitudes.
    assert learning_rate_params(Instar()) == ("learning_rate",)
    assert sorted(learning_rate_params(Amplitudes())) == ["a_ltd", "a_ltp"]
    assert learning_rate_params(RateAndAmplitudes()) == ("learning_rate",)
    for name in stdp_lab.plasticity.RULES:  # every rule has something to tune
        assert learning_rate_params(name), name


def _fake_scores(target, kmeans_target):
    """A scorer whose validation accuracy peaks at ``target`` times the base
    rate (rules) and ``kmeans_target`` times n_filters (k-means)."""

    def score(candidates, split, seed, params, geometry, n_jobs, verbose):
        scores = []
        for _, value, kind, _ in candidates:
            if kind == "kmeans":
                ratio = value / geometry["n_filters"] / kmeans_target
            else:
                ratio = value * geometry["n_shared"] / target
            accuracy = 0.9 - abs(math.log(ratio))
            scores.append({"linear_accuracy": accuracy, "vote_accuracy": accuracy})
        return scores

    return score


@pytest.mark.parametrize("target", [TUNE_GRID[0], 3.0, TUNE_GRID[-1]])
def test_tuning_picks_the_grid_value_with_the_best_validation_score(
    tiny, monkeypatch, target
):
    monkeypatch.setattr(tuning_module, "_score_candidates", _fake_scores(target, 2.0))
    result = compare_rules(
        {"stdp": "stdp", "oja": "oja"},
        *tiny,
        seeds=[0],
        baselines=["random", "kmeans"],
        learning_curve=False,
        **TINY,
    )
    n_shared = result.info["learning_rate_base"] ** -1
    for label, defaults in (("stdp", PairSTDP()), ("oja", stdp_lab.Oja())):
        row = result.row(label)
        factor = target / n_shared
        assert row["rate_factor"] == pytest.approx(factor)
        for name in learning_rate_params(defaults):
            expected = getattr(defaults, name) * factor
            assert row["tuned"][name] == pytest.approx(expected)
            assert result.tuning[label]["chosen"][name] == pytest.approx(expected)
        assert row["description"].startswith(type(defaults).__name__)
        assert result.tuning[label]["grid"] == list(TUNE_GRID)
    assert result.row("kmeans")["tuned"] == {"n_filters": 2 * TINY["n_filters"]}
    assert "frozen" in result.row("random")["description"]
    assert "x" in result.to_markdown().split("\n")[2]  # the chosen factor is shown


def test_ties_go_to_the_base_rate():
    grid = (0.1, 0.3, 1.0, 3.0, 10.0)
    assert tuning_module.choose(grid, [0.5, 0.7, 0.7, 0.7, 0.6]) == 2
    assert tuning_module.choose(grid, [0.7, 0.5, 0.5, 0.5, 0.7]) == 0  # 0.1 < 10
    assert tuning_module.choose(grid, [0.5, 0.5, 0.5, 0.5, 0.9]) == 4


def test_validation_split_never_touches_test_data(tiny, monkeypatch):
    X_train, y_train, X_test, y_test = tiny
    X_test = X_test + 0.5  # no test row equals a training row
    seen = []
    real = tuning_module._score_candidates

    def recording(candidates, split, *args):
        seen.append(split)
        return real(candidates, split, *args)

    monkeypatch.setattr(tuning_module, "_score_candidates", recording)
    compare_rules(
        ["oja"],
        X_train,
        y_train,
        X_test,
        y_test,
        seeds=[3],
        baselines=["kmeans"],
        learning_curve=False,
        validation_size=0.25,
        input_scale=17.0,  # the shifted test images stay within it
        **TINY,
    )
    (split,) = seen
    X_fit, y_fit, X_val, y_val = split
    assert len(X_val) == 25 and len(X_fit) == 75
    train_rows = {row.tobytes() for row in X_train}
    test_rows = {row.tobytes() for row in X_test}
    for X in (X_fit, X_val):
        rows = {row.tobytes() for row in X}
        assert rows <= train_rows and not rows & test_rows
    assert not {r.tobytes() for r in X_fit} & {r.tobytes() for r in X_val}
    # Every class keeps its share (stratified).
    assert set(np.unique(y_val)) == set(np.unique(y_train))


def test_tuning_is_reproducible_and_can_be_switched_off(tiny):
    kwargs = dict(seeds=[0], baselines=["random"], learning_curve=False, **TINY)
    one = compare_rules(["oja"], *tiny, **kwargs)
    two = compare_rules(["oja"], *tiny, **kwargs)
    assert one.tuning == two.tuning
    for a, b in zip(one, two, strict=True):
        for key in a:
            if "seconds" not in key:
                np.testing.assert_equal(a[key], b[key], err_msg=key)
    untuned = compare_rules(["oja"], *tiny, tune=False, **kwargs)
    assert untuned.tuning == {} and untuned.info["tune"] is False
    row = untuned.row("oja")
    assert row["tuned"] == {"learning_rate": stdp_lab.Oja().learning_rate}
    assert np.isnan(row["rate_factor"])


# ---------------------------------------------------------------------------
# architecture
# ---------------------------------------------------------------------------
def test_default_architecture_is_the_demos_pooled_convolution():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(40, 784)).astype(np.float32)
    y = np.arange(40) % 2
    result = compare_rules(
        ["oja"], X[:30], y[:30], X[30:], y[30:], seeds=[0], baselines=None,
        tune=False, learning_curve=False, n_timesteps=3,
    )  # fmt: skip
    used = result.info["architecture"]
    demo = mnist_conv(**DEMO_PARAMS).get_params()
    for key in ("connectivity", "kernel_size", "stride", "n_filters", "pooling"):
        assert used[key] == demo[key], key
    assert used["pooling_stride"] == DEMO_PARAMS["pooling_stride"]
    assert used["encoder"] == repr(demo["encoder"])
    assert used["n_timesteps"] == 3  # shared parameters override it


def test_tabular_data_get_a_dense_layer_and_architecture_is_a_parameter(tiny):
    X_train, y_train, X_test, y_test = tiny
    kwargs = dict(seeds=[0], baselines=None, tune=False, learning_curve=False)
    tabular = compare_rules(
        ["oja"], X_train[:, :10], y_train, X_test[:, :10], y_test, **kwargs, **TINY,
        input_scale=16.0,
    )  # fmt: skip
    assert tabular.info["architecture"]["connectivity"] == "dense"
    own = compare_rules(
        ["oja"], *tiny, architecture={"connectivity": "local"}, **kwargs, **TINY
    )
    assert own.info["architecture"]["connectivity"] == "local"
    learners = compare_rules(["oja"], *tiny, architecture=None, **kwargs, **TINY)
    assert "connectivity" not in learners.info["architecture"]


def test_rules_none_means_every_rule_known_at_call_time(tiny, monkeypatch):
    monkeypatch.setattr(stdp_lab.plasticity, "RULES", ("oja", "hebbian"))
    result = compare_rules(
        None, *tiny, seeds=[0], baselines=None, tune=False, learning_curve=False,
        **TINY,
    )  # fmt: skip
    assert [row["label"] for row in result] == ["oja", "hebbian"]


# ---------------------------------------------------------------------------
# what a rule learned
# ---------------------------------------------------------------------------
def test_learning_curve_leaves_the_rows_as_fit_gives_them(tiny):
    kwargs = dict(seeds=[0, 1], baselines=["random"], tune=False, **TINY)
    kwargs["batch_size"] = 10  # the curve's points are whole batches
    with_curve = compare_rules(["stdp"], *tiny, learning_curve=True, **kwargs)
    without = compare_rules(["stdp"], *tiny, learning_curve=False, **kwargs)
    for a, b in zip(with_curve, without, strict=True):
        for key in a:
            if "seconds" not in key:
                np.testing.assert_equal(a[key], b[key], err_msg=key)
    assert set(with_curve.learning_curves) == {"stdp", "random"}
    assert without.learning_curves == {}
    curve = with_curve.learning_curves["stdp"]
    assert curve["n_samples"] == [
        round(f * len(tiny[0]) / 10) * 10 for f in CURVE_FRACTIONS
    ]
    assert curve["n_samples"] == sorted(curve["n_samples"])
    assert curve["n_samples"][-1] == len(tiny[0])
    for key in ("linear_accuracy", "vote_accuracy"):
        assert len(curve[key]) == len(curve["n_samples"])
        assert all(0 <= v <= 1 for v in curve[key])


def test_random_baseline_keeps_the_initial_weights(tiny):
    """Frozen random weights: the statistics of the weights are those of the
    layer's initial draw for each seed (norm="auto": every filter sums to
    0.1 x patch size, so the mean weight is 0.1)."""
    result = compare_rules(
        ["stdp"], *tiny, seeds=(0, 1), baselines=["random"], architecture=None,
        tune=False, learning_curve=False, **SMALL,
    )  # fmt: skip
    stds, diversities = [], []
    for seed in (0, 1):
        learner = SpikingFeatureLearner(rule="stdp", random_state=seed, **SMALL)
        layer = learner.fit(tiny[0][:2]).layer_
        initial = layer.initial_params(np.random.default_rng(seed)).weights
        stds.append(initial.std())
        diversities.append(rf_diversity(initial))
    row = result.row("random")
    assert row["weight_mean_mean"] == pytest.approx(0.1)
    assert row["weight_std_mean"] == pytest.approx(np.mean(stds), rel=1e-5)
    assert row["rf_diversity_mean"] == pytest.approx(np.mean(diversities), rel=1e-5)


def test_figures_show_what_was_asked(comparison):
    result = comparison[0]
    figures = result.figures()
    assert list(figures) == list(FIGURES)
    summary = figures["comparison"]
    accuracy_axes = summary.axes[:2]
    for ax, readout in zip(accuracy_axes, ("linear", "vote"), strict=True):
        low, high = ax.get_ylim()
        means = [row[f"{readout}_accuracy_mean"] for row in result]
        assert 0 <= low <= min(means) and max(means) <= high  # every row shown
        assert high - low < 0.9  # zoomed in: not the whole [0, 1]
    assert all(ax.get_legend() is None for ax in summary.axes)  # off the bars
    assert len(summary.legends) == 1
    # Every entry with weights (the rules, the random and k-means baselines),
    # every filter of it, whole.
    fields = figures["receptive_fields"]
    shown = [ax for ax in fields.axes if ax.get_visible()]
    assert len(shown) == len(LABELS) + 2
    for ax, (label, weights) in zip(
        shown, result.receptive_fields.items(), strict=True
    ):
        assert ax.get_title() == f"{label} ({weights.shape[2]} filters)"
        kh, kw = result.info["patch_shape"][:2]
        image = np.asarray(ax.images[0].get_array().filled(np.nan))
        tiles = (image.shape[0] + 1) // (kh + 1) * ((image.shape[1] + 1) // (kw + 1))
        assert tiles >= weights.shape[2]
    hist = [ax for ax in figures["weight_histograms"].axes if ax.get_visible()]
    assert [ax.get_title() for ax in hist] == LABELS + ["random"]
    curves = [ax for ax in figures["learning_curves"].axes if ax.get_visible()]
    assert [ax.get_title() for ax in curves] == LABELS


# ---------------------------------------------------------------------------
# the result object and its files
# ---------------------------------------------------------------------------
def test_files_are_written(comparison):
    result, out = comparison
    rows = result.rows
    for name in FIGURES:
        assert (out / f"{name}.png").read_bytes()[:8] == PNG_MAGIC
    with open(out / "comparison.csv", newline="") as handle:
        written = list(csv.DictReader(handle))
    assert [row["label"] for row in written] == [row["label"] for row in rows]
    for row, saved in zip(rows, written, strict=True):
        assert float(saved["linear_accuracy_mean"]) == row["linear_accuracy_mean"]
        low = saved["linear_diff_vs_random_ci95_low"]
        assert float(low) == pytest.approx(
            row["linear_diff_vs_random_ci95"][0], nan_ok=True
        )
    markdown = (out / "comparison.md").read_text().splitlines()
    assert markdown == result.to_markdown().splitlines()
    assert markdown[0].startswith("| label | kind | seeds | linear acc. (%) |")
    assert "Δ linear vs random" in markdown[0] and "vote acc. (%)" in markdown[0]
    assert len(markdown) == 2 + len(rows)
    first = markdown[2].split("|")[4].strip()  # "mean ± std" of the linear accuracy
    mean, std = (float(v) for v in first.split("±"))
    assert mean == pytest.approx(100 * rows[0]["linear_accuracy_mean"], abs=0.05)
    assert std == pytest.approx(100 * rows[0]["linear_accuracy_std"], abs=0.05)
    report = json.loads((out / "report.json").read_text())  # standard JSON: no NaN
    assert [row["label"] for row in report["rows"]] == [row["label"] for row in rows]
    assert report["info"]["seeds"] == [0, 1]
    assert set(report["tuning"]) == set(LABELS) | {"kmeans"}
    assert set(report["learning_curves"]) == set(LABELS) | {"random"}


def test_result_is_a_sequence_of_rows(comparison, tmp_path):
    result = comparison[0]
    assert len(result) == len(result.rows) == 6
    assert result[0] is result.rows[0] and list(result) == result.rows
    assert result.row("kmeans")["kind"] == "baseline"
    with pytest.raises(KeyError):
        result.row("nothing")
    assert "Comparison(6 rows" in repr(result)
    paths = result.plot(tmp_path / "figs" / "rules.png")
    assert [p.name for p in paths] == ["rules.png"] + [
        f"rules_{name}.png" for name in FIGURES[1:]
    ]
    assert all(p.read_bytes()[:8] == PNG_MAGIC for p in paths)
    assert [p.name for p in result.plot(tmp_path / "folder")] == [
        f"{name}.png" for name in FIGURES
    ]


def test_to_frame_holds_the_csv_columns(comparison):
    result = comparison[0]
    pd = pytest.importorskip("pandas")
    frame = result.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame["label"]) == [row["label"] for row in result]
    assert "linear_diff_vs_random_ci95_low" in frame.columns


def test_without_pandas_to_frame_says_so(digits, monkeypatch):
    real_import = builtins.__import__

    def no_pandas(name, *args, **kwargs):
        if name == "pandas":
            raise ImportError("No module named 'pandas'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    X_train, y_train, X_test, y_test = digits
    result = compare_rules(
        {"slow": PairSTDP(a_plus=1e-4), "fast": PairSTDP(a_plus=1e-2)},
        X_train[:60],
        y_train[:60],
        X_test[:30],
        y_test[:30],
        seeds=[3],
        baselines=None,
        tune=False,
        learning_curve=False,
        n_timesteps=5,
        n_filters=2,
    )
    assert [row["label"] for row in result] == ["slow", "fast"]
    assert all(np.isnan(row["linear_accuracy_std"]) for row in result)  # one seed
    with pytest.raises(ImportError, match="pandas"):
        result.to_frame()


# ---------------------------------------------------------------------------
# the command line
# ---------------------------------------------------------------------------
def test_cli_compares_on_digits(tmp_path, capsys):
    out = tmp_path / "cmp"
    argv = ["compare", "--dataset", "digits", "--n-train", "120", "--n-test", "60"]
    argv += ["--rules", "stdp,oja", "--seeds", "0,1", "--n-timesteps", "8"]
    assert main([*argv, "--out", str(out)]) == 0
    for name in ("comparison.csv", "comparison.md", "report.json"):
        assert (out / name).stat().st_size > 0
    for name in FIGURES:
        assert (out / f"{name}.png").read_bytes()[:8] == PNG_MAGIC
    text = capsys.readouterr().out
    assert (out / "comparison.md").read_text().strip() in text
    report = json.loads((out / "report.json").read_text())
    assert report["info"]["n_train"] == 120 and report["info"]["tune"] is True
    labels = [row["label"] for row in report["rows"]]
    assert labels == ["stdp", "oja", "random", "kmeans", "pixels"]
    assert "tuned on a validation split" in text


# ---------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------
@pytest.mark.slow  # starts two worker processes
def test_results_do_not_depend_on_n_jobs(digits):
    X_train, y_train, X_test, y_test = digits
    args = ([Instar()], X_train[:80], y_train[:80], X_test[:60], y_test[:60])
    kwargs = dict(seeds=(0, 1), baselines=("random", "kmeans"), n_timesteps=10)
    one = rows_of(compare_rules(*args, n_jobs=1, n_filters=4, **kwargs))
    two = rows_of(compare_rules(*args, n_jobs=2, n_filters=4, **kwargs))
    for a, b in zip(one, two, strict=True):
        for key in a:
            if "seconds" not in key:
                np.testing.assert_equal(a[key], b[key], err_msg=key)


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
        (["stdp"], {"tune_grid": []}, "tune_grid"),
        (["stdp"], {"tune_grid": [1.0, -1.0]}, "tune_grid"),
        (["stdp"], {"validation_size": 1.5}, "validation_size"),
        (["stdp"], {"validation_size": 200}, "validation_size"),
        (["stdp"], {"architecture": "big"}, "architecture"),
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
    with pytest.raises(TypeError, match="tune"):
        compare_rules(["stdp"], *digits, tune="yes")
    with pytest.raises(TypeError, match="architecture"):
        compare_rules(["stdp"], *digits, architecture=3)
    with pytest.raises(ValueError, match="X_test"):
        compare_rules(["stdp"], X_train, y_train, X_test[:, :10], y_test)
    with pytest.raises(ValueError, match="y_train"):
        compare_rules(["stdp"], X_train, y_train[:-1], X_test, y_test)
    with pytest.raises(ValueError, match="X_train"):
        compare_rules(["stdp"], -X_train, y_train, X_test, y_test)


# ---------------------------------------------------------------------------
# metrics and the k-means baseline
# ---------------------------------------------------------------------------
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
    for name in FIGURES:
        assert (tmp_path / "o" / f"{name}.png").read_bytes()[:8] == PNG_MAGIC
    assert json.loads((tmp_path / "o" / "report.json").read_text())["rows"]
    with open(tmp_path / "o" / "comparison.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["label"] for row in rows] == ["oja", "random", "kmeans", "pixels"]
    for row in rows:  # MNIST, 10 classes
        assert float(row["linear_accuracy_mean"]) > 0.2
