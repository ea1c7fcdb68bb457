"""Smoke tests of stdp_lab.plotting on the Agg backend, and of the gallery example."""

import os
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from stdp_lab.neurons import IZHIKEVICH_PRESETS  # noqa: E402
from stdp_lab.plotting import (  # noqa: E402
    plot_confusion_matrix,
    plot_firing_patterns,
    plot_learning_curve,
    plot_membrane_trace,
    plot_paired_differences,
    plot_receptive_fields,
    plot_rule_comparison,
    plot_spike_raster,
    plot_weight_histogram,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "izhikevich_patterns.py"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_membrane_trace_draws_trace_and_spike_ticks():
    t = np.arange(100) * 0.5
    v = np.sin(t / 5)
    spikes = np.zeros(100, dtype=bool)
    spikes[[10, 40, 70]] = True
    ax = plot_membrane_trace(t, v, spikes)
    trace, ticks = ax.lines
    np.testing.assert_array_equal(trace.get_xdata(), t)
    np.testing.assert_array_equal(ticks.get_xdata(), t[[10, 40, 70]])
    assert np.all(ticks.get_ydata() > v.max())
    assert ax.get_xlabel() == "time (ms)"


def test_membrane_trace_uses_given_axes_and_checks_shapes():
    fig, ax = plt.subplots()
    assert plot_membrane_trace([0, 1], [0, 1], ax=ax) is ax
    with pytest.raises(ValueError, match="spikes"):
        plot_membrane_trace([0, 1], [0, 1], spikes=[True], ax=ax)
    with pytest.raises(ValueError, match="t and v"):
        plot_membrane_trace([0, 1], [0, 1, 2], ax=ax)


def test_spike_raster_places_dots_at_spike_times():
    spikes = np.zeros((50, 4), dtype=bool)
    spikes[5, 0] = spikes[20, 3] = spikes[49, 1] = True
    ax = plot_spike_raster(spikes, dt=2.0)
    offsets = ax.collections[0].get_offsets()
    expected = {(10.0, 0.0), (40.0, 3.0), (98.0, 1.0)}
    assert {tuple(map(float, row)) for row in offsets} == expected
    assert ax.get_xlim() == (0.0, 100.0)
    with pytest.raises(ValueError, match="spikes"):
        plot_spike_raster(np.zeros(5, dtype=bool))


def test_firing_patterns_one_panel_per_preset(tmp_path):
    fig = plot_firing_patterns(duration=60.0, dt=0.5)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == len(IZHIKEVICH_PRESETS)
    titles = " ".join(ax.get_title() for ax in visible)
    for name in IZHIKEVICH_PRESETS:
        assert name.replace("_", " ") in titles
    path = tmp_path / "gallery.png"
    fig.savefig(path)
    assert path.read_bytes()[:8] == PNG_MAGIC


def test_firing_patterns_subset():
    fig = plot_firing_patterns(["fast_spiking", "chattering"], duration=40.0)
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 2
    with pytest.raises(ValueError, match="regular_spiking"):
        plot_firing_patterns(["no_such_cell"])


@pytest.mark.slow
def test_example_script_writes_png(tmp_path):
    out = tmp_path / "gallery.png"
    env = {**os.environ, "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, str(EXAMPLE), "--out", str(out), "--duration", "50"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size > 1000
    assert out.read_bytes()[:8] == PNG_MAGIC
    assert str(out) in result.stdout


# ---------------------------------------------------------------------------
# receptive fields, histogram, rule comparison, confusion matrix
# ---------------------------------------------------------------------------
def _reference_tile(weights, loc, f, kh, kw, c):
    """One tile from the weights, pixel by pixel (patch order: row, column, ch)."""
    tile = np.empty((kh, kw))
    for i in range(kh):
        for j in range(kw):
            values = [weights[loc, (i * kw + j) * c + ch, f] for ch in range(c)]
            tile[i, j] = values[0] - values[1] if c == 2 else sum(values) / c
    low, high = tile.min(), tile.max()
    return (tile - low) / (high - low) if high > low else np.zeros_like(tile)


def _reference_mosaic(tiles, n_rows, n_cols, kh, kw):
    """Place tiles[(r, c)] at (r * (kh + 1), c * (kw + 1)), NaN elsewhere."""
    image = np.full((n_rows * (kh + 1) - 1, n_cols * (kw + 1) - 1), np.nan)
    for (r, col), tile in tiles.items():
        for i in range(kh):
            for j in range(kw):
                image[r * (kh + 1) + i, col * (kw + 1) + j] = tile[i, j]
    return image


def _image(im):
    return np.ma.filled(np.ma.asarray(im.get_array(), dtype=float), np.nan)


@pytest.mark.parametrize("c", [1, 2, 3])
def test_receptive_fields_locally_connected_matches_loops(c):
    rng = np.random.default_rng(0)
    n_loc, kh, kw, n_filters = 5, 3, 4, 6
    weights = rng.random((n_loc, kh * kw * c, n_filters))
    weights[2, :, 1] = 0.4  # a constant tile is drawn as zeros
    locations, max_filters = [4, 0, 2], 5
    patch_shape = (kh, kw) if c == 1 else (kh, kw, c)
    im = plot_receptive_fields(
        weights, patch_shape, locations=locations, max_filters=max_filters
    )
    tiles = {
        (r, f): _reference_tile(weights, loc, f, kh, kw, c)
        for r, loc in enumerate(locations)
        for f in range(max_filters)
    }
    expected = _reference_mosaic(tiles, len(locations), max_filters, kh, kw)
    np.testing.assert_allclose(_image(im), expected, rtol=0, atol=1e-12)
    assert np.all(_image(im)[2 * (kh + 1) : 3 * (kh + 1) - 1, kw + 1 : 2 * kw + 1] == 0)
    ax = im.axes
    assert [t.get_text() for t in ax.get_yticklabels()] == ["4", "0", "2"]
    assert ax.get_ylabel() == "location"


@pytest.mark.parametrize("n_filters, n_rows, n_cols", [(7, 3, 3), (9, 3, 3), (5, 2, 3)])
def test_receptive_fields_single_location_near_square_grid(n_filters, n_rows, n_cols):
    rng = np.random.default_rng(1)
    kh, kw = 4, 3
    weights = rng.random((1, kh * kw, n_filters))
    fig, ax = plt.subplots()
    im = plot_receptive_fields(weights, (kh, kw), ax=ax, cmap="viridis")
    assert im.axes is ax
    tiles = {
        divmod(f, n_cols): _reference_tile(weights, 0, f, kh, kw, 1)
        for f in range(n_filters)
    }
    expected = _reference_mosaic(tiles, n_rows, n_cols, kh, kw)
    np.testing.assert_allclose(_image(im), expected, rtol=0, atol=1e-12)
    # the first max_filters filters only
    im = plot_receptive_fields(weights, (kh, kw), max_filters=4)
    tiles = {divmod(f, 2): _reference_tile(weights, 0, f, kh, kw, 1) for f in range(4)}
    np.testing.assert_allclose(_image(im), _reference_mosaic(tiles, 2, 2, kh, kw))


def test_receptive_fields_of_a_fitted_learner():
    from stdp_lab import SpikingFeatureLearner

    rng = np.random.default_rng(2)
    X = rng.random((8, 64))
    model = SpikingFeatureLearner(n_timesteps=5, n_filters=3, random_state=0).fit(X)
    conn = model.layer_.connectivity
    im = plot_receptive_fields(model.weights_, conn.kernel_size)
    kh, kw = conn.kernel_size
    assert _image(im).shape == (
        conn.n_locations * (kh + 1) - 1,
        conn.n_filters * (kw + 1) - 1,
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"patch_shape": (3, 3)}, "patch_size 8"),
        ({"patch_shape": (2, 2, 2), "locations": [3]}, "locations"),
        ({"patch_shape": (2, 2, 2), "locations": [-1]}, "locations"),
        ({"patch_shape": (2, 2, 2), "max_filters": 0}, "max_filters"),
        ({"patch_shape": "2x2"}, "patch_shape"),
    ],
)
def test_receptive_fields_bad_arguments(kwargs, match):
    weights = np.zeros((3, 8, 2))
    with pytest.raises((ValueError, TypeError), match=match):
        plot_receptive_fields(weights, **kwargs)
    with pytest.raises(ValueError, match="weights"):
        plot_receptive_fields(np.zeros((8, 2)), (2, 2, 2))


def test_weight_histogram_counts_equal_numpy():
    rng = np.random.default_rng(3)
    weights = rng.normal(size=(4, 9, 5))
    n, edges, patches = plot_weight_histogram(weights, bins=12)
    ref_n, ref_edges = np.histogram(weights.ravel(), bins=12)
    np.testing.assert_array_equal(n, ref_n)
    np.testing.assert_allclose(edges, ref_edges)
    assert len(patches) == 12
    assert n.sum() == weights.size
    with pytest.raises(ValueError, match="weights"):
        plot_weight_histogram(np.array([0.0, np.nan]))


def _comparison_table():
    return [
        {
            "label": "stdp",
            "kind": "rule",
            "vote_accuracy_mean": 0.8,
            "vote_accuracy_std": 0.02,
            "fit_seconds_mean": 3.0,
            "fit_seconds_std": 0.5,
        },
        {
            "label": "oja",
            "kind": "rule",
            "vote_accuracy_mean": 0.6,
            "vote_accuracy_std": 0.05,
            "fit_seconds_mean": 2.0,
            "fit_seconds_std": 0.1,
        },
        {
            "label": "random",
            "kind": "baseline",
            "vote_accuracy_mean": 0.5,
            "vote_accuracy_std": 0.0,
            "fit_seconds_mean": 0.1,
            "fit_seconds_std": 0.01,
        },
    ]


@pytest.mark.parametrize("as_frame", [False, True])
@pytest.mark.parametrize("metric", ["vote_accuracy", "fit_seconds"])
def test_rule_comparison_bars_equal_table(as_frame, metric):
    rows = _comparison_table()
    table = rows
    if as_frame:
        pd = pytest.importorskip("pandas")
        table = pd.DataFrame(rows)
    bars = plot_rule_comparison(table, metric=metric, chance=0.1)
    heights = [patch.get_height() for patch in bars.patches]
    np.testing.assert_allclose(heights, [r[f"{metric}_mean"] for r in rows])
    segments = bars.errorbar.lines[2][0].get_segments()
    for seg, patch, row in zip(segments, bars.patches, rows, strict=True):
        centre = patch.get_x() + patch.get_width() / 2
        np.testing.assert_allclose(seg[:, 0], [centre, centre])
        mean, std = row[f"{metric}_mean"], row[f"{metric}_std"]
        np.testing.assert_allclose(sorted(seg[:, 1]), [mean - std, mean + std])
    colours = [patch.get_facecolor() for patch in bars.patches]
    assert colours[0] == colours[1] != colours[2]  # baseline in another colour
    ax = bars.patches[0].axes
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["stdp", "oja", "random"]
    dashed = [line for line in ax.lines if line.get_linestyle() == "--"]
    assert len(dashed) == 1 and np.allclose(dashed[0].get_ydata(), 0.1)


def test_rule_comparison_without_chance_and_bad_tables():
    bars = plot_rule_comparison(_comparison_table())
    ax = bars.patches[0].axes
    assert not [line for line in ax.lines if line.get_linestyle() == "--"]
    with pytest.raises(ValueError, match="linear_accuracy_mean"):
        plot_rule_comparison(_comparison_table(), metric="linear_accuracy")
    bad = _comparison_table()
    bad[1]["kind"] = "other"
    with pytest.raises(ValueError, match="kind"):
        plot_rule_comparison(bad)
    with pytest.raises(ValueError, match="at least one row"):
        plot_rule_comparison([])


def test_confusion_matrix_counts_equal_loops():
    from sklearn.metrics import ConfusionMatrixDisplay

    rng = np.random.default_rng(4)
    y_true = rng.integers(0, 4, size=200)
    y_pred = np.where(rng.random(200) < 0.7, y_true, rng.integers(0, 4, size=200))
    fig, ax = plt.subplots()
    display = plot_confusion_matrix(y_true, y_pred, ax=ax)
    assert isinstance(display, ConfusionMatrixDisplay)
    assert display.ax_ is ax
    expected = np.zeros((4, 4), dtype=int)
    for t, p in zip(y_true, y_pred, strict=True):
        expected[t, p] += 1
    np.testing.assert_array_equal(display.confusion_matrix, expected)
    assert plot_confusion_matrix(y_true, y_pred).ax_ is not ax


def test_new_plots_save_as_png(tmp_path):
    weights = np.random.default_rng(5).random((4, 9, 3))
    im = plot_receptive_fields(weights, (3, 3))
    path = tmp_path / "rf.png"
    im.axes.figure.savefig(path)
    assert path.read_bytes()[:8] == PNG_MAGIC


def test_rule_comparison_zoom_keeps_every_error_bar_and_the_legend_off_the_axes():
    rows = _comparison_table()
    bars = plot_rule_comparison(rows, metric="vote_accuracy", chance=0.1, zoom=True)
    ax = bars.patches[0].axes
    low, high = ax.get_ylim()
    assert 0.1 < low < 0.5 and 0.82 < high < 1.0  # mean +- std of every row fits
    legend = ax.get_legend()
    assert legend.get_bbox_to_anchor().x0 >= ax.get_window_extent().x1 - 1  # right
    assert "chance" not in [t.get_text() for t in legend.get_texts()]  # off range


def test_paired_differences_draw_each_interval():
    rows = [
        {
            "label": "a",
            "kind": "rule",
            "linear_diff_vs_random_mean": 0.02,
            "linear_diff_vs_random_ci95": [0.01, 0.03],
        },
        {
            "label": "b",
            "kind": "rule",
            "linear_diff_vs_random_mean": -0.01,
            "linear_diff_vs_random_ci95": [-0.03, 0.01],
        },
        {"label": "random", "kind": "baseline"},
    ]
    ax = plot_paired_differences(rows, readout="linear")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b"]
    points = sorted(
        float(y)
        for line in ax.lines
        for y in line.get_ydata()
        if line.get_marker() == "o"
    )
    assert points == pytest.approx([-1.0, 2.0])  # in points of accuracy
    with pytest.raises(ValueError, match="readout"):
        plot_paired_differences(rows, readout="both")


def test_learning_curve_plots_both_readouts():
    curve = {
        "n_samples": [100, 200, 400],
        "linear_accuracy": [0.8, 0.85, 0.9],
        "vote_accuracy": [0.5, 0.6, 0.65],
    }
    ax = plot_learning_curve(curve, label="oja")
    lines = [line for line in ax.lines if line.get_marker() == "o"]
    assert [list(line.get_ydata()) for line in lines] == [
        curve["linear_accuracy"],
        curve["vote_accuracy"],
    ]
    assert ax.get_title() == "oja" and ax.get_xscale() == "log"
    with pytest.raises(ValueError, match="vote_accuracy"):
        plot_learning_curve({**curve, "vote_accuracy": [0.5]})
