"""The comparison table: its columns, Markdown and CSV."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

from ._metrics import METRICS

_READOUTS = ("linear", "vote")


def _columns() -> list[str]:
    """Columns of the CSV and of ``Comparison.to_frame()``, in order."""
    columns = ["label", "kind", "description", "n_seeds", "tuned", "rate_factor"]
    columns.append("at_grid_edge")
    for metric in METRICS:
        columns += [f"{metric}_mean", f"{metric}_std"]
    for readout in _READOUTS:
        key = f"{readout}_diff_vs_random"
        columns += [f"{key}_mean", f"{key}_std", f"{key}_ci95_low", f"{key}_ci95_high"]
    for readout in _READOUTS:
        columns.append(f"{readout}_accuracy_per_seed")
    return columns


def _flat(row: dict) -> dict:
    """A row with one scalar per column: intervals split into their bounds,
    per-seed lists and tuned values as JSON text."""
    flat = dict(row)
    for readout in _READOUTS:
        key = f"{readout}_diff_vs_random"
        low, high = flat.pop(f"{key}_ci95")
        flat[f"{key}_ci95_low"], flat[f"{key}_ci95_high"] = low, high
        per_seed = f"{readout}_accuracy_per_seed"
        flat[per_seed] = json.dumps(flat[per_seed])
    flat["tuned"] = _tuned_text(row)
    return {key: flat[key] for key in _columns()}


def _tuned_text(row: dict) -> str:
    """``"x0.3: a_plus=0.003, a_minus=0.00315"``: the chosen factor of the
    rule's own rate (when tuned) and the values, marked when the choice lies at
    an end of the grid (the best value may lie beyond it)."""
    values = ", ".join(f"{key}={value:.3g}" for key, value in row["tuned"].items())
    if values and row.get("at_grid_edge"):
        values += " (grid edge)"
    factor = row.get("rate_factor", math.nan)
    if values and not math.isnan(factor):
        return f"x{factor:.3g}: {values}"
    return values


def _pct(value: float) -> str:
    return "–" if math.isnan(value) else f"{100 * value:.1f}"


def _difference_text(row: dict, readout: str) -> str:
    """``"+1.2 [+0.4, +2.0]"``: the paired difference in points and its 95%
    interval (no interval with one seed, a dash where it does not apply)."""
    key = f"{readout}_diff_vs_random"
    mean = row[f"{key}_mean"]
    if math.isnan(mean):
        return "–"
    low, high = row[f"{key}_ci95"]
    text = f"{100 * mean:+.1f}"
    if not (math.isnan(low) or math.isnan(high)):
        text += f" [{100 * low:+.1f}, {100 * high:+.1f}]"
    return text


_MD_METRICS = (
    ("fit_seconds", "fit (s)", "{:.1f}"),
    ("spikes_per_sample", "spikes / sample", "{:.0f}"),
    ("sparsity", "sparsity", "{:.2f}"),
    ("weight_std", "weight std", "{:.3f}"),
    ("rf_diversity", "RF diversity", "{:.2f}"),
)


def _mean_std(row: dict, metric: str, fmt: str, factor: float = 1.0) -> str:
    mean, std = row[f"{metric}_mean"], row[f"{metric}_std"]
    if math.isnan(mean):
        return "–"
    if math.isnan(std):
        return fmt.format(mean * factor)
    return f"{fmt.format(mean * factor)} ± {fmt.format(std * factor)}"


def _markdown(rows: list[dict]) -> str:
    """A Markdown table: mean ± std over seeds, accuracies in %, differences to
    the frozen random weights in points with their 95% interval."""
    header = (
        [
            "label",
            "kind",
            "seeds",
            "linear acc. (%)",
            "Δ linear vs random",
            "vote acc. (%)",
            "Δ vote vs random",
        ]
        + [title for _, title, _ in _MD_METRICS]
        + ["tuned"]
    )
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(["---"] * 2 + ["---:"] * (len(header) - 3) + ["---"]) + "|",
    ]
    for row in rows:
        cells = [row["label"].replace("|", "\\|"), row["kind"], str(row["n_seeds"])]
        for readout in _READOUTS:
            cells.append(_mean_std(row, f"{readout}_accuracy", "{:.1f}", 100.0))
            cells.append(_difference_text(row, readout))
        for metric, _, fmt in _MD_METRICS:
            cells.append(_mean_std(row, metric, fmt))
        cells.append(_tuned_text(row).replace("|", "\\|") or "–")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _write_csv(rows: list[dict], path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=_columns())
        writer.writeheader()
        for row in rows:
            writer.writerow(_flat(row))
