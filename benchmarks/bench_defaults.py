"""What the defaults give: ``SpikingFeatureLearner()`` in a scikit-learn pipeline.

The pipeline is the one a new user writes first, everything at its default::

    make_pipeline(SpikingFeatureLearner(), StandardScaler(),
                  LogisticRegression(max_iter=500))

and it is compared with the same pipeline on the raw pixels:

* MNIST: the whole pipeline fitted on the first 10,000 training images, scored
  on the 10,000 test images;
* scikit-learn's 8 x 8 digits: 5-fold stratified cross-validation (shuffled,
  seed 0), mean and per-fold accuracies.

The learner's ``random_state`` is 0. The JSON records the architecture the
defaults chose for each input (connectivity, kernel, stride, pooling).

Run::

    python benchmarks/bench_defaults.py          # about 2 minutes on 2 cores

Writes ``benchmarks/results/defaults.json``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from _common import architecture, write_json
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from stdp_lab import SpikingFeatureLearner
from stdp_lab.datasets import load_mnist

RESULTS = Path(__file__).parent / "results" / "defaults.json"


def pipeline(spiking: bool):
    steps = [SpikingFeatureLearner(random_state=0)] if spiking else []
    return make_pipeline(*steps, StandardScaler(), LogisticRegression(max_iter=500))


def mnist(n_train: int) -> dict:
    X, y, X_test, y_test = load_mnist()
    X, y = X[:n_train], y[:n_train]
    result = {"n_train": len(X), "n_test": len(X_test)}
    for name, spiking in (("default", True), ("pixels", False)):
        start = time.perf_counter()
        model = pipeline(spiking).fit(X, y)
        result[f"{name}_accuracy"] = float(model.score(X_test, y_test))
        result[f"{name}_seconds"] = time.perf_counter() - start
        if spiking:
            result["architecture"] = architecture(model[0])
        print(f"MNIST  {name:8s} {result[f'{name}_accuracy']:.4f}", flush=True)
    return result


def digits() -> dict:
    X, y = load_digits(return_X_y=True)
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    result = {"n_samples": len(X), "folds": 5}
    for name, spiking in (("default", True), ("pixels", False)):
        scores = cross_val_score(pipeline(spiking), X, y, cv=folds)
        result[f"{name}_accuracy"] = float(scores.mean())
        result[f"{name}_fold_accuracies"] = scores.tolist()
        print(f"digits {name:8s} {scores.mean():.4f} {np.round(scores, 4)}")
    result["architecture"] = architecture(pipeline(True).fit(X, y)[0])
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    # The readouts' products are skinny (10 classes): faster on one BLAS thread.
    with threadpool_limits(limits=1, user_api="blas"):
        results = {
            "command": "python benchmarks/bench_defaults.py",
            "pipeline": "make_pipeline(SpikingFeatureLearner(random_state=0), "
            "StandardScaler(), LogisticRegression(max_iter=500))",
            "mnist": mnist(args.n_train),
            "digits": digits(),
        }
    write_json(results, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
