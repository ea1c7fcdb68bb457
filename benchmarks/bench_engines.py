"""The compiled and the numpy engine learn equally well: Diehl & Cook (2015)
with 400 neurons on all of MNIST, seed by seed, on both engines.

Within one presentation the two engines give the same spikes; their learned
weights differ by float32 rounding (they add the plasticity sums in different
orders), and over a pass of 938 batches these differences change which neuron
wins some later samples. What must hold is that the learned networks are
equally good: the vote accuracy (:class:`SpikeCountClassifier`, the paper's
assignment readout) on the 10,000 test images after one pass over the 60,000
training images in batches of 64 (:func:`stdp_lab.presets.diehl_cook_2015`),
for ``--seeds``, with the fit and transform times.

The numpy engine's default path steps only the neurons that could reach
threshold, advancing the others (and their adaptive thresholds) in closed
form, which rounds differently from stepping them; the compiled engine steps
every neuron, as the numpy engine's plain path (``SimulationOptions(
quiet_steps=0)``) does. ``--plain-seeds`` also runs that plain path (slower),
so that the compiled engine is compared with the computation it reproduces.

Run::

    python benchmarks/bench_engines.py              # seeds 0 1 2, about 12 min
    python benchmarks/bench_engines.py --n-train 6000 --seeds 0   # a check

Writes ``benchmarks/results/engines.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from pathlib import Path

import numpy as np
from _common import write_json

import stdp_lab.estimators
from stdp_lab import SpikeCountClassifier
from stdp_lab.datasets import load_mnist
from stdp_lab.network import SimulationOptions, simulate
from stdp_lab.presets import diehl_cook_2015

RESULTS = Path(__file__).parent / "results" / "engines.json"
ENGINES = ("numba", "numpy")


@contextlib.contextmanager
def plain_path():
    """The learner's simulations on the numpy engine's plain path: every
    neuron stepped at every step (the estimator takes no simulation options,
    so its call of ``simulate`` is wrapped for the block)."""
    original = stdp_lab.estimators.simulate

    def plain(*args, **kwargs):
        return simulate(*args, options=SimulationOptions(quiet_steps=0), **kwargs)

    stdp_lab.estimators.simulate = plain
    try:
        yield
    finally:
        stdp_lab.estimators.simulate = original


def vote_accuracy(engine, seed, X, y, X_test, y_test) -> dict:
    """Fit DC400 on ``X`` with ``engine`` ("numpy_plain": the numpy engine's
    plain path), assign, score on the test images."""
    if engine == "numpy_plain":
        with plain_path():
            return vote_accuracy("numpy", seed, X, y, X_test, y_test)
    model = diehl_cook_2015(400, random_state=seed, engine=engine)
    start = time.perf_counter()
    model.fit(X)
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    counts, test_counts = model.transform(X), model.transform(X_test)
    transform_seconds = time.perf_counter() - start
    vote = SpikeCountClassifier().fit(counts, y)
    return {
        "vote_accuracy": float(vote.score(test_counts, y_test)),
        "fit_seconds": fit_seconds,
        "transform_seconds": transform_seconds,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--plain-seeds", type=int, nargs="*", default=[0])
    parser.add_argument("--n-train", type=int, default=60_000)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    X, y, X_test, y_test = load_mnist()
    X, y = X[: args.n_train].astype(np.float32), y[: args.n_train]
    X_test = X_test.astype(np.float32)
    results = {
        "command": "python benchmarks/bench_engines.py",
        "n_train": len(X),
        "n_test": len(X_test),
        "runs": {},
    }
    plan = [(seed, engine) for seed in args.seeds for engine in ENGINES]
    plan += [(seed, "numpy_plain") for seed in args.plain_seeds]
    for seed, engine in plan:
        run = vote_accuracy(engine, seed, X, y, X_test, y_test)
        results["runs"][f"seed{seed}_{engine}"] = run
        times = f"fit {run['fit_seconds']:.0f} s"
        times += f"  transform {run['transform_seconds']:.0f} s"
        print(
            f"seed {seed} {engine:11s}: vote {run['vote_accuracy']:.4f}  {times}",
            flush=True,
        )
    for engine in ENGINES:
        accuracies = [
            results["runs"][f"seed{s}_{engine}"]["vote_accuracy"] for s in args.seeds
        ]
        results[f"mean_vote_accuracy_{engine}"] = float(np.mean(accuracies))
        print(f"{engine}: mean vote {np.mean(accuracies):.4f} over seeds {args.seeds}")
    write_json(results, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
