"""The comparison table: mean and spread over seeds, CSV, Markdown and the figure."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from ._metrics import METRICS

# Filters shown per rule in the figure.
_N_FIGURE_FILTERS = 8


def _summary(values) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof=1) of the values that are not
    NaN; NaN where undefined (no value, or a single value for the spread)."""
    values = np.asarray(values, dtype=np.float64)
    if np.isnan(values).all():
        return math.nan, math.nan
    if np.isnan(values).any():
        values = values[~np.isnan(values)]
    mean = float(values.mean())
    std = float(values.std(ddof=1)) if len(values) > 1 else math.nan
    return mean, std


def _row(label, kind, description, runs) -> dict:
    row = {"label": label, "kind": kind, "description": description}
    row["n_seeds"] = len(runs)
    for metric in METRICS:
        mean, std = _summary([run[metric] for run in runs])
        row[f"{metric}_mean"] = mean
        row[f"{metric}_std"] = std
    return row


def _columns() -> list[str]:
    columns = ["label", "kind", "description", "n_seeds"]
    for metric in METRICS:
        columns += [f"{metric}_mean", f"{metric}_std"]
    return columns


def _as_table(rows: list[dict]):
    try:
        import pandas as pd
    except ImportError:
        return rows
    return pd.DataFrame(rows, columns=_columns())


_MD_COLUMNS = (
    ("linear_accuracy", "linear acc. (%)", 100.0, "{:.1f}"),
    ("vote_accuracy", "vote acc. (%)", 100.0, "{:.1f}"),
    ("fit_seconds", "fit (s)", 1.0, "{:.1f}"),
    ("transform_seconds", "transform (s)", 1.0, "{:.1f}"),
    ("spikes_per_sample", "spikes / sample", 1.0, "{:.0f}"),
    ("sparsity", "sparsity", 1.0, "{:.2f}"),
    ("weight_mean", "weight mean", 1.0, "{:.3f}"),
    ("weight_std", "weight std", 1.0, "{:.3f}"),
    ("rf_diversity", "RF diversity", 1.0, "{:.2f}"),
)


def _markdown(rows: list[dict]) -> str:
    """A Markdown table, mean ± std over seeds, accuracies in %."""
    header = ["label", "kind", "seeds"] + [title for _, title, _, _ in _MD_COLUMNS]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(["---"] * 2 + ["---:"] * (len(header) - 2)) + "|",
    ]
    for row in rows:
        cells = [row["label"].replace("|", "\\|"), row["kind"], str(row["n_seeds"])]
        for metric, _, factor, fmt in _MD_COLUMNS:
            mean, std = row[f"{metric}_mean"], row[f"{metric}_std"]
            if math.isnan(mean):
                cells.append("–")
            elif math.isnan(std):
                cells.append(fmt.format(mean * factor))
            else:
                cells.append(
                    f"{fmt.format(mean * factor)} ± {fmt.format(std * factor)}"
                )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _write_csv(rows: list[dict], path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=_columns())
        writer.writeheader()
        for row in rows:
            writer.writerow({key: row[key] for key in _columns()})


def _save_figure(rows, fields, n_classes: int, path: Path) -> None:
    """Accuracy bars for both readouts (left) and a row of receptive fields per
    entry that has them (right)."""
    from matplotlib.figure import Figure

    from ..plotting import plot_receptive_fields, plot_rule_comparison

    n_fields = len(fields)
    fig = Figure(figsize=(13, max(6.5, 1.4 * n_fields + 1.0)), layout="constrained")
    if n_fields:
        left, right = fig.subfigures(1, 2, width_ratios=[1.2, 1.0])
    else:
        left, right = fig, None
    chance = 1.0 / n_classes
    for ax, metric, title in zip(
        left.subplots(2, 1),
        ("linear_accuracy", "vote_accuracy"),
        ("linear readout", "vote readout"),
        strict=True,
    ):
        plot_rule_comparison(rows, metric=metric, ax=ax, chance=chance)
        ax.set_title(f"test accuracy, {title} (mean ± std over seeds)")
    if right is not None:
        right.suptitle("receptive fields: first filters at location 0, first seed")
        axes = np.atleast_1d(right.subplots(n_fields, 1))
        for ax, (label, weights, patch_shape) in zip(axes, fields, strict=True):
            plot_receptive_fields(
                weights,
                patch_shape,
                locations=[0],
                max_filters=_N_FIGURE_FILTERS,
                ax=ax,
            )
            ax.set_title(label, fontsize="small")
            ax.set_xlabel("")
            ax.set_ylabel("")
            ax.set_xticks([])
            ax.set_yticks([])
    fig.savefig(path, dpi=100)
