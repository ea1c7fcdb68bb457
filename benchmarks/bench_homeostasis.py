"""How fast the adaptive thresholds forget: activity and accuracy over a stream.

The adaptive thresholds of Diehl & Cook (2015) rise by ``theta_plus`` at each
spike and decay with ``tau_theta``; they settle where the two balance, after a
few ``tau_theta`` of simulated time. For each model and each ``tau_theta`` in
its screen, this script streams ``--n-samples`` MNIST training images through
``partial_fit`` (chunks of 1,000, seed 0), records the mean spike count per
image of a fixed probe of 500 test images every ``--every`` images, and at the
end scores the features with a linear readout (standardised logistic
regression) and the vote (:class:`SpikeCountClassifier`), both trained on the
features of training images 50,000-54,999 and scored on the first 2,000 test
images.

Run::

    python benchmarks/bench_homeostasis.py            # 60,000 images per run
    python benchmarks/bench_homeostasis.py --n-samples 10000 --every 5000

Writes ``benchmarks/results/homeostasis.json``: per model, per ``tau_theta``,
the lists ``n_samples`` and ``activity`` and the readouts' accuracies
(``linear_accuracy``, ``vote_accuracy``), with the shipped value marked.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from _common import write_json
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from stdp_lab import SpikeCountClassifier, SpikingFeatureLearner
from stdp_lab.datasets import load_mnist
from stdp_lab.estimators import _default_neuron
from stdp_lab.presets import diehl_cook_2015, diehl_cook_neuron

RESULTS = Path(__file__).parent / "results" / "homeostasis.json"

#: name -> (model with a given tau_theta, the screen, the shipped value) in ms.
MODELS = {
    "default": (
        lambda tau: SpikingFeatureLearner(
            random_state=0, neuron=_default_neuron().set_params(tau_theta=tau)
        ),
        [2e5, 1e6, 1e7],
        2e5,
    ),
    "diehl_cook_2015": (
        lambda tau: diehl_cook_2015(
            random_state=0, neuron=diehl_cook_neuron().set_params(tau_theta=tau)
        ),
        [5e5, 1e6, 2.5e6, 1e7],
        1e7,
    ),
}


def run(model, X, y, X_test, y_test, n_samples, every) -> dict:
    probe = X_test[:500]
    record = {"n_samples": [], "activity": []}
    start = time.perf_counter()
    for first in range(0, n_samples, 1000):
        rows = np.arange(first, first + 1000) % len(X)
        model.partial_fit(X[rows])
        if (first + 1000) % every == 0:
            record["n_samples"].append(first + 1000)
            record["activity"].append(float(model.transform(probe).sum(1).mean()))
    record["fit_seconds"] = time.perf_counter() - start
    F_train, y_train = model.transform(X[50_000:55_000]), y[50_000:55_000]
    F_test, y_test = model.transform(X_test[:2000]), y_test[:2000]
    linear = make_pipeline(StandardScaler(), LogisticRegression(max_iter=300))
    with threadpool_limits(limits=1, user_api="blas"):
        record["linear_accuracy"] = linear.fit(F_train, y_train).score(F_test, y_test)
    vote = SpikeCountClassifier().fit(F_train, y_train)
    record["vote_accuracy"] = vote.score(F_test, y_test)
    return record


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=60_000)
    parser.add_argument("--every", type=int, default=5_000)
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    X, y, X_test, y_test = load_mnist()
    X, X_test = X.astype(np.float32), X_test.astype(np.float32)
    results = {
        "command": "python benchmarks/bench_homeostasis.py",
        "n_samples": args.n_samples,
        "models": {},
    }
    for name in args.models:
        make, screen, shipped = MODELS[name]
        results["models"][name] = {"shipped_tau_theta": shipped, "runs": {}}
        for tau in screen:
            record = run(make(tau), X, y, X_test, y_test, args.n_samples, args.every)
            results["models"][name]["runs"][f"{tau:g}"] = record
            activity = record["activity"]
            print(
                f"{name:16s} tau_theta {tau:8.3g} ms  activity {activity[0]:7.1f} "
                f"-> {activity[-1]:7.1f}  linear {record['linear_accuracy']:.4f}  "
                f"vote {record['vote_accuracy']:.4f}  ({record['fit_seconds']:.0f} s)",
                flush=True,
            )
    write_json(results, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
