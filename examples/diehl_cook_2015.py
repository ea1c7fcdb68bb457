"""The network of Diehl & Cook (2015) on MNIST, with its label-assignment readout
==============================================================================

Trains :func:`stdp_lab.presets.diehl_cook_2015` for one pass over the training
images, assigns each neuron to the class it responds to most, and reports the
vote accuracy on the test images beside the paper's figure (82.9% with 100
neurons, 87.0% with 400).

Run::

    python examples/diehl_cook_2015.py [--n-neurons 100] [--n-train 60000]
        [--n-test 10000] [--batch-size 64] [--quick]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from stdp_lab import SpikeCountClassifier
from stdp_lab.datasets import load_mnist
from stdp_lab.presets import diehl_cook_2015

PAPER = {100: 0.829, 400: 0.870, 1600: 0.919, 6400: 0.950}


def main():
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--n-neurons", type=int, default=100)
    parser.add_argument("--n-train", type=int, default=60_000)
    parser.add_argument("--n-test", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--quick", action="store_true", help="500 train / 200 test, 50 steps"
    )
    args = parser.parse_args()
    extra = {}
    if args.quick:
        args.n_train, args.n_test = 500, 200
        extra["n_timesteps"] = 50
    X, y, X_test, y_test = load_mnist(n_train=args.n_train, n_test=args.n_test)
    X, X_test = X.astype(np.float32), X_test.astype(np.float32)
    model = diehl_cook_2015(
        args.n_neurons,
        batch_size=args.batch_size,
        random_state=args.seed,
        verbose=1,
        **extra,
    )
    start = time.perf_counter()
    model.fit(X)
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    features, features_test = model.transform(X), model.transform(X_test)
    transform_seconds = time.perf_counter() - start
    readout = SpikeCountClassifier().fit(features, y)
    accuracy = readout.score(features_test, y_test)
    paper = PAPER.get(args.n_neurons)
    print(
        f"Diehl & Cook (2015), {args.n_neurons} neurons, {args.n_train} training "
        f"images (batch {args.batch_size}): vote accuracy {accuracy:.1%} on "
        f"{args.n_test} test images"
        + (f" (paper: {paper:.1%} after a full pass)" if paper else "")
    )
    print(
        f"fit {fit_seconds:.1f} s ({args.n_train / fit_seconds:.0f} samples/s), "
        f"transform {transform_seconds:.1f} s "
        f"({(args.n_train + args.n_test) / transform_seconds:.0f} samples/s), "
        f"{features_test.sum(axis=1).mean():.1f} spikes per test sample"
    )


if __name__ == "__main__":
    main()
