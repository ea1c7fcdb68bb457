"""The default rule comparison on MNIST: every built-in rule, tuned, against the
baselines, with paired 95% intervals.

Runs ``stdp_lab.compare.compare_rules(None, ...)``: every name of
``stdp_lab.plasticity.RULES`` at the time of the run, the frozen random
weights, k-means patch features and the raw pixels, on the default
architecture for images (``IMAGE_ARCHITECTURE``: the demo's pooled
convolution), each rule's learning rate and k-means' number of clusters chosen
on a validation split of the training set (``TUNE_GRID``, ``KMEANS_GRID``),
then every entry over the seeds, on the compiled engine wherever a rule has a
compiled form. The target: the best rule beats the frozen random weights with
both readouts, the 95% interval of the paired difference above zero.

Run::

    python benchmarks/bench_compare.py                 # 5,000 / 2,000 images, 3 seeds
    python benchmarks/bench_compare.py --out compare-out   # and the CSV, report.json

Writes ``benchmarks/results/compare.json``, the table as ``compare.md`` and
the figures as ``compare.png`` (accuracies and paired differences),
``compare_receptive_fields.png``, ``compare_weight_histograms.png`` and
``compare_learning_curves.png`` beside it. The JSON holds ``total_seconds``
and one row per rule and baseline (``label``, ``kind``, mean accuracies of
both readouts, for rules ``linear_diff_vs_random_ci95`` and
``vote_diff_vs_random_ci95``, the tuned values), the tuning's validation
scores and the settings. Times are of a
2-core machine shared with other work: read them as pessimistic.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
from _common import peak_rss_mb, write_json

import stdp_lab
from stdp_lab.compare import compare_rules
from stdp_lab.datasets import load_mnist
from stdp_lab.network import Layer, resolve_engine
from stdp_lab.plasticity import RULES, make_rule

RESULTS = Path(__file__).parent / "results" / "compare.json"

# Keys of each row kept in the JSON (the report of Comparison.save has all).
ROW_KEYS = (
    "label",
    "kind",
    "description",
    "tuned",
    "rate_factor",
    "linear_accuracy_mean",
    "linear_accuracy_std",
    "vote_accuracy_mean",
    "vote_accuracy_std",
    "linear_accuracy_per_seed",
    "vote_accuracy_per_seed",
    "linear_diff_vs_random_mean",
    "linear_diff_vs_random_ci95",
    "vote_diff_vs_random_mean",
    "vote_diff_vs_random_ci95",
    "fit_seconds_mean",
    "spikes_per_sample_mean",
    "sparsity_mean",
    "weight_std_mean",
    "rf_diversity_mean",
)


def _engine(rule) -> str:
    """The engine a layer with ``rule`` learns on under ``engine="auto"``."""
    from stdp_lab.connectivity import Conv2D

    layer = Layer(Conv2D((28, 28), kernel_size=5, stride=2, n_filters=2), rule=rule)
    return resolve_engine("auto", layer, learn=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=5000)
    parser.add_argument("--n-test", type=int, default=2000)
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0 .. n-1")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--out", default=None, help="also save the figures here")
    parser.add_argument("--results", default=str(RESULTS))
    args = parser.parse_args(argv)

    X_train, y_train, X_test, y_test = load_mnist(
        n_train=args.n_train, n_test=args.n_test, random_state=0
    )
    X_train, X_test = X_train.astype(np.float32), X_test.astype(np.float32)
    rules = list(RULES)  # at the time of the run
    print(f"rules: {', '.join(rules)}", flush=True)
    start = time.perf_counter()
    result = compare_rules(
        None,
        X_train,
        y_train,
        X_test,
        y_test,
        seeds=range(args.seeds),
        n_jobs=args.n_jobs,
        verbose=0,
    )
    total = time.perf_counter() - start
    print(result.to_markdown())
    # The table and figures of this run, beside its JSON (the README and the
    # documentation show them): compare.md, compare.png, compare_*.png.
    results_path = Path(args.results)
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.with_suffix(".md").write_text(result.to_markdown(), encoding="utf-8")
    for path in result.plot(results_path.with_suffix(".png")):
        print(f"wrote {path}")
    if args.out is not None:
        result.save(args.out)
        print(f"wrote the figures, CSV and report.json to {args.out}")

    rows = []
    for row in result.rows:
        kept = {key: row[key] for key in ROW_KEYS}
        if row["kind"] == "baseline":
            for key in list(kept):
                if "diff_vs_random" in key:
                    del kept[key]
        rows.append(kept)
    rules_rows = [row for row in result.rows if row["kind"] == "rule"]

    def lower(row, readout):
        low = row[f"{readout}_diff_vs_random_ci95"][0]
        return -np.inf if np.isnan(low) else low

    best = max(rules_rows, key=lambda r: min(lower(r, "linear"), lower(r, "vote")))
    results = {
        "command": "python benchmarks/bench_compare.py",
        "machine": {"cpus": os.cpu_count()},
        "version": stdp_lab.__version__,
        "total_seconds": total,
        "n_train": len(X_train),
        "n_test": len(X_test),
        "seeds": list(range(args.seeds)),
        "n_jobs": args.n_jobs,
        "rules": rules,
        "engines": {name: _engine(make_rule(name)) for name in rules},
        "best_rule": best["label"],
        "best_rule_beats_random_on_both_readouts": bool(
            lower(best, "linear") > 0 and lower(best, "vote") > 0
        ),
        "rows": rows,
        "info": result.report()["info"],
        "tuning": result.report()["tuning"],
        "peak_rss_mb": peak_rss_mb(),
    }
    write_json(_nan_to_none(results), args.results)
    return 0


def _nan_to_none(value):
    from stdp_lab.compare._result import _json_safe

    return _json_safe(value)


if __name__ == "__main__":
    raise SystemExit(main())
