"""The figures of a comparison (matplotlib is imported only here, when drawn)."""

from __future__ import annotations

import math

import numpy as np

#: Most filters drawn per entry in the receptive-field figure.
MAX_FIELDS = 64

# Panels per row of the small-multiple figures.
_N_COLS = 4


def _panels(fig, n_panels: int):
    n_cols = max(1, min(_N_COLS, n_panels))
    n_rows = max(1, -(-n_panels // n_cols))
    axes = np.atleast_1d(fig.subplots(n_rows, n_cols, squeeze=False).ravel())
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    return axes[:n_panels]


def _new_figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def summary_figure(result):
    """Accuracy of both readouts (zoomed), the paired differences to the frozen
    random weights with their 95% intervals, and the output activity."""
    from ..plotting import plot_paired_differences, plot_rule_comparison

    rows = result.rows
    width = max(10.0, 0.5 * len(rows) * 2 + 3.0)
    fig = _new_figure(width, 11.0)
    axes = fig.subplots(3, 2)
    chance = 1.0 / result.info["n_classes"]
    for column, readout in enumerate(("linear", "vote")):
        ax = axes[0, column]
        plot_rule_comparison(
            rows, metric=f"{readout}_accuracy", chance=chance, zoom=True, ax=ax
        )
        ax.set_title(f"{readout} readout: test accuracy (mean ± std)")
        ax = axes[1, column]
        plot_paired_differences(rows, readout=readout, ax=ax)
        ax.set_title(f"{readout}: rule - frozen random (paired, 95% CI)")
    for ax, metric, title in (
        (axes[2, 0], "sparsity", "output sparsity (share of zero features)"),
        (axes[2, 1], "spikes_per_sample", "spikes per test sample"),
    ):
        shown = [row for row in rows if np.isfinite(row[f"{metric}_mean"])]
        if shown:
            plot_rule_comparison(shown, metric=metric, ax=ax)
        ax.set_title(title)
    # One legend for the figure, below the panels (off every bar and marker).
    handles, labels = [], []
    for ax in axes.ravel():
        legend = ax.get_legend()
        if legend is None:
            continue
        for handle, text in zip(legend.legend_handles, legend.get_texts(), strict=True):
            if text.get_text() not in labels:
                handles.append(handle)
                labels.append(text.get_text())
        legend.remove()
    fig.legend(
        handles, labels, loc="outside lower center", ncols=len(labels), frameon=False
    )
    n_seeds = len(result.info["seeds"])
    fig.suptitle(
        f"{len(rows)} entries, {n_seeds} seed(s), {result.info['n_train']} "
        f"training / {result.info['n_test']} test samples"
    )
    return fig


def receptive_field_figure(result):
    """Every filter (up to :data:`MAX_FIELDS`) of the first location of each
    entry with weights, first seed, each filter scaled to its own range."""
    from ..plotting import plot_receptive_fields

    fields = result.receptive_fields
    fig = _new_figure(3.2 * min(_N_COLS, max(len(fields), 1)), 3.2 * _rows(fields))
    patch_shape = tuple(result.info["patch_shape"])
    for ax, (label, weights) in zip(
        _panels(fig, len(fields)), fields.items(), strict=True
    ):
        weights = np.asarray(weights)[:1]  # (1, K, F): the first location
        plot_receptive_fields(
            weights, patch_shape, max_filters=MAX_FIELDS, ax=ax
        )  # grid mode: every filter whole, on a near-square grid
        n_filters = weights.shape[2]
        shown = f"first {MAX_FIELDS} of " if n_filters > MAX_FIELDS else ""
        ax.set_title(f"{label} ({shown}{n_filters} filters)", fontsize="small")
    fig.suptitle("receptive fields (first seed; location 0 where not shared)")
    return fig


def _rows(items) -> int:
    return max(1, math.ceil(len(items) / _N_COLS))


def histogram_figure(result):
    """The weights of each network (rules and frozen random weights), first
    seed: additive STDP drives them to the bounds (bimodal), multiplicative
    rules keep them in between (unimodal)."""
    from ..plotting import plot_weight_histogram

    kinds = {row["label"]: row["kind"] for row in result.rows}
    fields = {
        label: w
        for label, w in result.receptive_fields.items()
        if kinds.get(label) == "rule" or label == "random"
    }
    fig = _new_figure(3.2 * min(_N_COLS, max(len(fields), 1)), 2.6 * _rows(fields))
    for ax, (label, weights) in zip(
        _panels(fig, len(fields)), fields.items(), strict=True
    ):
        plot_weight_histogram(weights, bins=40, ax=ax)
        ax.set_yscale("log")
        ax.set_title(label, fontsize="small")
    fig.suptitle("weight histograms (first seed, all synapses, log counts)")
    return fig


def curve_figure(result):
    """Accuracy of both readouts against the samples learned, one panel per
    rule, the frozen random weights' curve dotted."""
    from ..plotting import plot_learning_curve

    curves = dict(result.learning_curves)
    reference = curves.pop("random", None)
    fig = _new_figure(3.2 * min(_N_COLS, max(len(curves), 1)), 2.8 * _rows(curves))
    values = [
        v
        for curve in result.learning_curves.values()
        for key in ("linear_accuracy", "vote_accuracy")
        for v in curve[key]
    ]
    for ax, (label, curve) in zip(
        _panels(fig, len(curves)), curves.items(), strict=True
    ):
        plot_learning_curve(curve, ax=ax, label=label)
        if reference is not None:
            for readout, color in (("linear", "C0"), ("vote", "C1")):
                ax.plot(
                    reference["n_samples"],
                    reference[f"{readout}_accuracy"],
                    color=color,
                    ls=":",
                    lw=1,
                )
        if values:
            low, high = min(values), max(values)
            margin = 0.05 * (high - low) or 0.01
            ax.set_ylim(low - margin, high + margin)
    if curves:
        curves_ax = fig.axes[0]
        curves_ax.legend(frameon=False, fontsize="x-small", loc="lower right")
    probe = "dotted: frozen random weights; " if reference is not None else ""
    fig.suptitle(
        "learning curves, first seed (readouts of a probe of the training set, "
        f"scored on test images; {probe}log axis)"
    )
    return fig


#: File name (without suffix) -> function drawing the figure.
FIGURES = {
    "comparison": summary_figure,
    "receptive_fields": receptive_field_figure,
    "weight_histograms": histogram_figure,
    "learning_curves": curve_figure,
}
