"""The result of :func:`compare_rules`: :class:`Comparison`."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ._table import _columns, _flat, _markdown, _write_csv

#: File names :meth:`Comparison.save` writes into its folder (besides the
#: figures, ``<name>.png`` for each name of :meth:`Comparison.figures`).
CSV_NAME = "comparison.csv"
MARKDOWN_NAME = "comparison.md"
REPORT_NAME = "report.json"


def _prepare_folder(folder) -> Path:
    folder = Path(os.fspath(folder))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _json_safe(value):
    """``value`` with NaN and infinities as None, arrays and numpy scalars as
    Python values, so that ``json.dumps`` writes standard JSON."""
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    if isinstance(value, np.ndarray):
        return _json_safe(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class Comparison(Sequence):
    """What :func:`compare_rules` measured: the table, the tuning, the learned
    weights and the learning curves; computing is done, this only reports.

    A sequence of its rows: ``len(result)``, ``result[0]``, ``for row in
    result`` (so code written for the list of rows earlier versions returned
    keeps working).

    Attributes
    ----------
    rows : list of dict
        One per entry (rules in order, then the baselines); keys as documented
        in :func:`compare_rules`.
    info : dict
        The run: ``n_train``, ``n_test``, ``n_classes``, ``seeds``, whether and
        how it tuned (``tune_grid``, ``validation_size``,
        ``learning_rate_base``), the learner parameters (``architecture``),
        ``patch_shape`` and ``seconds`` (the whole call).
    tuning : dict
        Label -> the search: the validation accuracies of both readouts and
        their mean (``score``) at each grid value, the factors of the rule's
        own rate (``factors``), the parameters scaled and their chosen values
        (``chosen``), k-means' ``n_filters`` tried and chosen. Empty when
        ``tune=False``.
    receptive_fields : dict
        Label -> weights of the first seed, shape (1 | n_locations,
        patch_size, n_filters) (k-means: its centroids).
    learning_curves : dict
        Label -> ``{"n_samples", "linear_accuracy", "vote_accuracy"}``, lists
        over the points of the first seed's first pass.
    """

    def __init__(
        self, rows, *, info=None, tuning=None, receptive_fields=None,
        learning_curves=None,
    ):  # fmt: skip
        self.rows = list(rows)
        self.info = dict(info or {})
        self.tuning = dict(tuning or {})
        self.receptive_fields = dict(receptive_fields or {})
        self.learning_curves = dict(learning_curves or {})

    # -- the rows ------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index):
        return self.rows[index]

    def __repr__(self) -> str:
        labels = ", ".join(row["label"] for row in self.rows)
        seeds = len(self.info.get("seeds", ()))
        return f"Comparison({len(self.rows)} rows: {labels}; {seeds} seed(s))"

    def row(self, label: str) -> dict:
        """The row of ``label`` (KeyError if there is none)."""
        for row in self.rows:
            if row["label"] == label:
                return row
        raise KeyError(label)

    # -- tables --------------------------------------------------------------
    def to_frame(self):
        """The rows as a pandas DataFrame, one scalar per cell (the columns of
        the CSV: intervals as ``..._ci95_low`` / ``..._ci95_high``).

        Raises
        ------
        ImportError
            If pandas is not installed (``pip install pandas``).
        """
        try:
            import pandas as pd
        except ImportError:
            raise ImportError(
                "Comparison.to_frame needs pandas (pip install pandas); "
                "Comparison.rows holds the same rows as dicts"
            ) from None
        return pd.DataFrame([_flat(row) for row in self.rows], columns=_columns())

    def to_markdown(self) -> str:
        """The table in Markdown: accuracies (mean ± std over seeds, %), the
        paired difference to the frozen random weights in points with its 95%
        interval, cost, activity, weights and the tuned values."""
        return _markdown(self.rows)

    def report(self) -> dict:
        """Everything but the weights, as JSON-ready values (NaN as None): what
        :meth:`save` writes as ``report.json``."""
        return _json_safe(
            {
                "info": self.info,
                "rows": self.rows,
                "tuning": self.tuning,
                "learning_curves": self.learning_curves,
            }
        )

    # -- figures and files ---------------------------------------------------
    def figures(self) -> dict:
        """Name -> matplotlib Figure: ``"comparison"`` (accuracies, paired
        differences, sparsity and spikes), ``"receptive_fields"``,
        ``"weight_histograms"`` and ``"learning_curves"`` (those with
        something to draw)."""
        from ._figures import FIGURES

        wanted = {
            "comparison": True,
            "receptive_fields": bool(self.receptive_fields),
            "weight_histograms": any(
                row["kind"] == "rule" or row["label"] == "random"
                for row in self.rows
                if row["label"] in self.receptive_fields
            ),
            "learning_curves": any(label != "random" for label in self.learning_curves),
        }
        return {name: draw(self) for name, draw in FIGURES.items() if wanted[name]}

    def plot(self, path_or_folder) -> list[Path]:
        """Write the figures: into a folder as ``<name>.png``, or, for a file
        path such as ``"out/rules.png"``, the summary there and the others
        beside it (``rules_receptive_fields.png``, ...).

        Returns
        -------
        paths : list of Path
            The files written, the summary first.
        """
        target = Path(os.fspath(path_or_folder))
        if target.suffix and not target.is_dir():
            folder, stem, suffix = target.parent, target.stem, target.suffix
        else:
            folder, stem, suffix = target, None, ".png"
        folder = _prepare_folder(folder)
        paths = []
        for name, fig in self.figures().items():
            if stem is None:
                path = folder / f"{name}{suffix}"
            elif name == "comparison":
                path = folder / f"{stem}{suffix}"
            else:
                path = folder / f"{stem}_{name}{suffix}"
            fig.savefig(path, dpi=100)
            paths.append(path)
        return paths

    def save(self, folder) -> dict:
        """Write the CSV, the Markdown table, ``report.json`` and the figures
        into ``folder`` (created if missing).

        Returns
        -------
        paths : dict
            ``"csv"``, ``"markdown"``, ``"report"`` and ``"figures"`` (a list).
        """
        folder = _prepare_folder(folder)
        paths = {
            "csv": folder / CSV_NAME,
            "markdown": folder / MARKDOWN_NAME,
            "report": folder / REPORT_NAME,
        }
        _write_csv(self.rows, paths["csv"])
        paths["markdown"].write_text(self.to_markdown(), encoding="utf-8")
        paths["report"].write_text(
            json.dumps(self.report(), indent=2, allow_nan=False) + "\n",
            encoding="utf-8",
        )
        paths["figures"] = self.plot(folder)
        return paths
