"""Accuracy of SpikingFeatureLearner features on digits and an MNIST subset.

Digits: stratified split, two thirds train, one third test, ``random_state=0``;
SpikingFeatureLearner + LogisticRegression (C chosen by cross-validation on the
training features) and + SpikeCountClassifier (its weighting, assignment or
proportion, chosen the same way; the assignment-only figure is kept as
``vote_assignment_accuracy``).
MNIST: 10,000 training images (stratified subset), the full 10,000 test images.

Run::

    python benchmarks/bench_digits.py            # digits and MNIST 10k
    python benchmarks/bench_digits.py --no-mnist # digits only

Writes ``benchmarks/results/digits.json``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from _common import fit_transform, write_json
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from stdp_lab import PairSTDP, SpikeCountClassifier, SpikingFeatureLearner
from stdp_lab.datasets import load_mnist


def evaluate(learner, X_train, y_train, X_test, y_test) -> dict:
    _, F_train, F_test, fit_seconds, transform_seconds = fit_transform(
        learner, X_train, X_train, X_test
    )
    # Readout hyperparameters are chosen by 3-fold cross-validation on the
    # training features: no test labels.
    logreg = GridSearchCV(
        make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
        {"logisticregression__C": [0.01, 0.1, 1.0]},
        cv=3,
    ).fit(F_train, y_train)
    # Likewise the vote's weighting (Diehl & Cook's assignment, or proportion).
    vote = GridSearchCV(
        SpikeCountClassifier(), {"weighting": ["assignment", "proportion"]}, cv=3
    ).fit(F_train, y_train)
    assignment = SpikeCountClassifier().fit(F_train, y_train)
    return {
        "logreg_accuracy": float(logreg.score(F_test, y_test)),
        "vote_accuracy": float(vote.score(F_test, y_test)),
        "vote_weighting": vote.best_params_["weighting"],
        "logreg_C": logreg.best_params_["logisticregression__C"],
        "vote_assignment_accuracy": float(assignment.score(F_test, y_test)),
        "fit_seconds": fit_seconds,
        "transform_seconds": transform_seconds,
        "n_features": int(F_train.shape[1]),
        "fit_samples_per_s": len(X_train) / fit_seconds,
        "transform_samples_per_s": (len(X_train) + len(X_test)) / transform_seconds,
        "mean_spikes_per_sample": float(F_test.sum(axis=1).mean()),
        "params": {k: repr(v) for k, v in learner.get_params().items()},
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-mnist", action="store_true")
    parser.add_argument(
        "--out", default=str(Path(__file__).parent / "results" / "digits.json")
    )
    args = parser.parse_args(argv)

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=1 / 3, stratify=y, random_state=0
    )
    digits = evaluate(
        SpikingFeatureLearner(random_state=0), X_train, y_train, X_test, y_test
    )
    # The same network with its weights frozen at their random initial values
    # (a rule with zero rates; thresholds still adapt): what learning adds.
    frozen = SpikingFeatureLearner(
        random_state=0, rule=PairSTDP(a_plus=0.0, a_minus=0.0)
    )
    baseline = evaluate(frozen, X_train, y_train, X_test, y_test)
    digits["random_baseline_logreg_accuracy"] = baseline["logreg_accuracy"]
    digits["random_baseline_vote_accuracy"] = baseline["vote_accuracy"]
    print(
        f"digits, frozen random weights: logreg {baseline['logreg_accuracy']:.4f}  "
        f"vote {baseline['vote_accuracy']:.4f}"
    )
    print(
        f"digits: logreg {digits['logreg_accuracy']:.4f}  "
        f"vote {digits['vote_accuracy']:.4f}  fit {digits['fit_seconds']:.1f} s  "
        f"transform {digits['transform_seconds']:.1f} s"
    )
    results = dict(digits)
    results["digits"] = digits
    if not args.no_mnist:
        Xm, ym, Xt, yt = load_mnist(n_train=10_000)
        mnist = evaluate(
            SpikingFeatureLearner(random_state=0, verbose=1), Xm, ym, Xt, yt
        )
        print(
            f"mnist 10k: logreg {mnist['logreg_accuracy']:.4f}  "
            f"vote {mnist['vote_accuracy']:.4f}  fit {mnist['fit_seconds']:.1f} s  "
            f"transform {mnist['transform_seconds']:.1f} s"
        )
        results["mnist_10k"] = mnist
    write_json(results, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
