"""Soak test: a long stream of samples through ``partial_fit``.

Streams ``--n-samples`` MNIST training images (the 60,000 again and again, in
chunks of ``--chunk``) through the default :class:`SpikingFeatureLearner` and
through :func:`stdp_lab.presets.diehl_cook_2015` as shipped, and every
``--every`` samples records:

* ``rss_mb``: the process's resident memory now (not its peak);
* ``activity``: the mean number of spikes per sample of ``transform`` on a
  fixed probe of ``--n-probe`` test images;
* ``weight_min``, ``weight_max``, ``nonfinite``: the learned weights' range and
  how many are NaN or infinite.

A model passes when its memory stays within 10% of the first checkpoint's (after
warm-up), its weights stay finite and inside ``[w_min, w_max]``, and its
activity stays within a factor of 2 of its level after the first 10,000
samples. The script exits with status 1 unless every model passes.

Run::

    python benchmarks/soak.py                   # 200,000 samples per model
    python benchmarks/soak.py --n-samples 40000 --every 10000   # shorter

Writes ``benchmarks/results/soak.json``: per model, the lists ``n_samples``,
``rss_mb``, ``activity``, ``weight_min``, ``weight_max`` and ``nonfinite``
over the checkpoints, and ``passed`` (with the reasons it did not).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
from _common import write_json

from stdp_lab import SpikingFeatureLearner
from stdp_lab.datasets import load_mnist
from stdp_lab.presets import diehl_cook_2015

RESULTS = Path(__file__).parent / "results" / "soak.json"

#: The models streamed, as shipped.
MODELS = {
    "default": lambda: SpikingFeatureLearner(random_state=0),
    "diehl_cook_2015": lambda: diehl_cook_2015(random_state=0),
}

#: Samples after which the activity is the reference level.
REFERENCE_SAMPLES = 10_000


def rss_mb() -> float:
    """The resident memory of this process now, in MB (Linux)."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def checkpoint(model, probe) -> dict:
    weights = model.weights_
    finite = np.isfinite(weights)
    counts = model.transform(probe)
    return {
        "rss_mb": rss_mb(),
        "activity": float(counts.sum(axis=1).mean()),
        "weight_min": float(weights[finite].min()) if finite.any() else None,
        "weight_max": float(weights[finite].max()) if finite.any() else None,
        "nonfinite": int(weights.size - finite.sum()),
    }


def soak(name, X, probe, n_samples, chunk, every) -> dict:
    """Stream ``n_samples`` of ``X`` (cycled) through a new ``name`` model."""
    model = MODELS[name]()
    marks = sorted({REFERENCE_SAMPLES, *range(every, n_samples + 1, every)})
    record = {key: [] for key in ("n_samples", "rss_mb", "activity")}
    record.update(weight_min=[], weight_max=[], nonfinite=[])
    seen, start = 0, time.perf_counter()
    while seen < n_samples:
        size = min(chunk, n_samples - seen, marks[0] - seen if marks else chunk)
        rows = np.arange(seen, seen + size) % len(X)
        model.partial_fit(X[rows])
        seen += size
        if marks and seen == marks[0]:
            marks.pop(0)
            point = checkpoint(model, probe)
            record["n_samples"].append(seen)
            for key, value in point.items():
                record[key].append(value)
            elapsed = time.perf_counter() - start
            print(
                f"{name:16s} {seen:7d} samples  rss {point['rss_mb']:6.0f} MB  "
                f"activity {point['activity']:8.2f}  weights "
                f"[{point['weight_min']:.3g}, {point['weight_max']:.3g}]  "
                f"non-finite {point['nonfinite']}  ({elapsed:.0f} s)",
                flush=True,
            )
    layer = model.layer_
    record["w_min"], record["w_max"] = float(layer.w_min), float(layer.w_max)
    record.update(judge(record))
    return record


def judge(record) -> dict:
    """``passed`` and the reasons it did not."""
    reasons = []
    reference = record["activity"][record["n_samples"].index(REFERENCE_SAMPLES)]
    after = [
        a
        for n, a in zip(record["n_samples"], record["activity"], strict=True)
        if n >= REFERENCE_SAMPLES
    ]
    if min(after) < reference / 2 or max(after) > reference * 2:
        reasons.append(
            f"activity left [{reference / 2:.3g}, {reference * 2:.3g}] (its level "
            f"after {REFERENCE_SAMPLES} samples, halved and doubled): "
            f"{min(after):.3g} to {max(after):.3g}"
        )
    memory = record["rss_mb"]
    if max(memory[1:], default=memory[0]) > 1.1 * memory[0]:
        reasons.append(
            f"memory grew from {memory[0]:.0f} to {max(memory):.0f} MB (over 10%)"
        )
    if any(record["nonfinite"]):
        reasons.append(f"non-finite weights: up to {max(record['nonfinite'])}")
    low, high = min(record["weight_min"]), max(record["weight_max"])
    if low < record["w_min"] or high > record["w_max"]:
        reasons.append(
            f"weights left [{record['w_min']:g}, {record['w_max']:g}]: {low:.4g} to "
            f"{high:.4g}"
        )
    return {"passed": not reasons, "reasons": reasons}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=200_000)
    parser.add_argument("--every", type=int, default=20_000)
    parser.add_argument("--chunk", type=int, default=1_000)
    parser.add_argument("--n-probe", type=int, default=500)
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.n_samples < REFERENCE_SAMPLES:
        parser.error(f"--n-samples must be at least {REFERENCE_SAMPLES}")
    X, _, X_test, _ = load_mnist()
    X, probe = X.astype(np.float32), X_test[: args.n_probe].astype(np.float32)
    results = {
        "command": "python benchmarks/soak.py",
        "n_samples": args.n_samples,
        "every": args.every,
        "chunk": args.chunk,
        "n_probe": len(probe),
        "models": {},
    }
    for name in args.models:
        results["models"][name] = soak(
            name, X, probe, args.n_samples, args.chunk, args.every
        )
        record = results["models"][name]
        verdict = (
            "passed" if record["passed"] else "FAILED: " + "; ".join(record["reasons"])
        )
        print(f"{name}: {verdict}", flush=True)
    write_json(results, args.out)
    return 0 if all(r["passed"] for r in results["models"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
