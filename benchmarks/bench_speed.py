"""Training and inference speed of the Diehl & Cook (2015) network and of the
default locally connected learner, on MNIST.

The Diehl & Cook network is :func:`stdp_lab.presets.diehl_cook_2015`: 784 Poisson
inputs (a 255 pixel fires at 128 Hz), 100 or 400 adaptive-threshold LIF neurons
with lateral inhibition, 250 steps of 1 ms per sample, pair STDP with 20 ms
traces, weights normalised after each batch. "default" is
``SpikingFeatureLearner()`` with its defaults (locally connected, 100 steps).

Each figure is the median of ``--repeats`` runs (samples per second, wall
clock). Inference runs with ``n_jobs=1`` and ``n_jobs=2`` (the machine's two
cores); the ``*_infer_samples_per_s`` keys hold the faster. The scaling section
shows how the cost of DC400 inference grows with the number of steps and with the
input rate (so with input spikes). Peak memory is the process's maximum resident
set size; ``--full`` adds a 60,000-sample DC400 fit (its time, memory and vote
accuracy on the 10,000 test images), ``--accuracy`` a comparison of learning at
batch 1 and batch 64.

Run (time numpy without OpenBLAS overrides)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_speed.py
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np
from _common import peak_rss_mb, write_json

from stdp_lab import SpikeCountClassifier, SpikingFeatureLearner
from stdp_lab.datasets import load_mnist
from stdp_lab.presets import diehl_cook_2015

RESULTS = Path(__file__).parent / "results" / "speed.json"


def median_rate(make, X, repeats: int, what: str, **transform_params) -> float:
    """Median samples/s of ``fit`` (what="train") or ``transform`` ("infer")."""
    rates = []
    for _ in range(repeats):
        model = make()
        if what == "infer":
            model.fit(X[:64])
            model.set_params(**transform_params)
        start = time.perf_counter()
        if what == "train":
            model.fit(X)
        else:
            model.transform(X)
        rates.append(len(X) / (time.perf_counter() - start))
    return statistics.median(rates)


def speed(name, make, X_train, X_infer, repeats) -> dict:
    train = median_rate(make, X_train, repeats, "train")
    infer1 = median_rate(make, X_infer, repeats, "infer", n_jobs=1)
    infer2 = median_rate(make, X_infer, repeats, "infer", n_jobs=2)
    print(
        f"{name:8s} train {train:8.0f} samples/s   infer {infer1:8.0f} samples/s "
        f"(n_jobs=1), {infer2:8.0f} (n_jobs=2)"
    )
    return {
        f"{name}_train_samples_per_s": train,
        f"{name}_infer_samples_per_s": max(infer1, infer2),
        f"{name}_infer_samples_per_s_n_jobs_1": infer1,
        f"{name}_infer_samples_per_s_n_jobs_2": infer2,
    }


def scaling(X, repeats) -> dict:
    """DC400 inference time per sample at several step counts and input rates."""
    rows = {}
    for n_timesteps in (100, 250, 500):
        for factor in (0.5, 1.0, 2.0):
            if n_timesteps != 250 and factor != 1.0:
                continue

            def make(n_timesteps=n_timesteps, factor=factor):
                return diehl_cook_2015(
                    400,
                    batch_size=64,
                    n_timesteps=n_timesteps,
                    input_scale=255.0 / factor,
                    random_state=0,
                )

            rate = median_rate(make, X, repeats, "infer", n_jobs=1)
            key = f"steps_{n_timesteps}_intensity_{factor:g}"
            rows[key] = {"ms_per_sample": 1000.0 / rate, "samples_per_s": rate}
            print(f"  scaling {key:28s} {1000.0 / rate:7.3f} ms/sample")
    return rows


def vote_accuracy(model, X, y, X_test, y_test) -> float:
    start = time.perf_counter()
    model.fit(X)
    fit_seconds = time.perf_counter() - start
    readout = SpikeCountClassifier().fit(model.transform(X), y)
    return float(readout.score(model.transform(X_test), y_test)), fit_seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-train", type=int, default=1024)
    parser.add_argument("--n-infer", type=int, default=2048)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--full", action="store_true", help="60k-sample DC400 fit")
    parser.add_argument("--accuracy", action="store_true", help="batch 1 vs 64")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    X, y, X_test, y_test = load_mnist()
    X = X.astype(np.float32)
    X_test = X_test.astype(np.float32)
    X_train, X_infer = X[: args.n_train], X_test[: args.n_infer]
    result = {
        "command": "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "
        "python benchmarks/bench_speed.py",
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "batch_size": args.batch_size,
        "repeats": args.repeats,
    }
    for n in (100, 400):
        result.update(
            speed(
                f"dc{n}",
                lambda n=n: diehl_cook_2015(
                    n, batch_size=args.batch_size, random_state=0
                ),
                X_train,
                X_infer,
                args.repeats,
            )
        )
    result.update(
        speed(
            "default",
            lambda: SpikingFeatureLearner(random_state=0),
            X_train,
            X_infer,
            args.repeats,
        )
    )
    result["scaling"] = scaling(X_infer[:1024], args.repeats)
    if args.accuracy:
        n_fit, n_test = 10_000, 10_000
        result["accuracy"] = {}
        for batch in (1, 64):
            model = diehl_cook_2015(100, batch_size=batch, random_state=0)
            acc, seconds = vote_accuracy(
                model, X[:n_fit], y[:n_fit], X_test[:n_test], y_test[:n_test]
            )
            result["accuracy"][f"dc100_batch_{batch}"] = {
                "vote_accuracy": acc,
                "fit_seconds": seconds,
                "n_train": n_fit,
                "n_test": n_test,
            }
            print(f"  DC100 batch {batch:2d}: vote {acc:.3f} ({n_fit} train)")
    if args.full:
        model = diehl_cook_2015(400, batch_size=args.batch_size, random_state=0)
        acc, seconds = vote_accuracy(model, X, y, X_test, y_test)
        result["full_fit"] = {
            "n_train": len(X),
            "fit_seconds": seconds,
            "vote_accuracy": acc,
        }
        print(f"  full DC400 fit: {seconds:.0f} s, vote {acc:.3f}")
    result["peak_rss_mb"] = peak_rss_mb()
    print(f"peak resident memory {result['peak_rss_mb']:.0f} MB")
    write_json(result, args.out)


if __name__ == "__main__":
    main()
