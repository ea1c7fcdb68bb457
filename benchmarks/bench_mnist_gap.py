"""MNIST: learned against frozen random filters as the readout's features grow.

``bench_mnist.py``'s convolutional learner (``CONFIG``: 32 filters learned at
stride 2, read at stride 1 over 12 steps at up to 1000 Hz), with fewer filters
too, and the same architecture with frozen random weights (rule rates 0;
thresholds still adapt). Each learner's counts on the 24 x 24 locations are
summed over windows of locations, from one window per filter (``global``) to
the benchmark's 9 x 9 overlapping windows (``8/2``: 8 x 8 windows at stride 2),
then read out by ``bench_mnist``'s linear readout (cube roots, standardised,
logistic regression, C 0.01) trained on more or fewer labelled images.

On the validation split only: the filters are learned from the first
``--n-fit`` training images, each readout is trained on the first
``--n-readout`` images and scored on the last 10,000 of the 60,000 training
images.

Illing, Gerstner & Brea (2019, Neural Networks 118:90-101) found that for
large hidden layers unsupervised local learning does no better than fixed
random projections with localized receptive fields; this script measures how
the gap between learned and random filters of stdp_lab's network changes with
the number of features the readout sees and the number of labelled images it
learns from.

Run::

    python benchmarks/bench_mnist_gap.py                  # seeds 0, 1, 2 (14 min)
    python benchmarks/bench_mnist_gap.py --n-filters 32 --n-readout 1000 3000 \
        10000 50000 --out benchmarks/results/mnist_gap_50k.json  # (18 min)
    python benchmarks/bench_mnist_gap.py --quick          # a small check

Writes ``benchmarks/results/mnist_gap.json`` (``mnist_gap_quick.json`` with
``--quick``).
"""

from __future__ import annotations

import argparse
import time
from functools import partial
from pathlib import Path

import numpy as np
from _common import peak_rss_mb, write_json
from bench_mnist import CONFIG, conv_features, readout_accuracy

from stdp_lab.datasets import load_mnist
from stdp_lab.plasticity import PairSTDP
from stdp_lab.pooling import pool_counts
from stdp_lab.presets import mnist_conv

#: Windows of the 24 x 24 locations, name -> ``pool_counts`` keywords; from the
#: fewest features to the benchmark's ``LINEAR_POOLING``.
POOLINGS = {
    "global": dict(pooling="global"),
    "12/6": dict(pooling=12, pooling_stride=6),
    "6/6": dict(pooling=6),
    "8/2": dict(pooling=8, pooling_stride=2),
}


def accuracies(config, X_fit, X_train, y_train, X_test, y_test, n_jobs, n_readout):
    """``{(pooling name, n): (n_features, test accuracy)}`` of ``config``'s
    learner fitted on ``X_fit``, its counts pooled by each of ``POOLINGS``,
    the readout trained on the first n of ``X_train`` for each n of
    ``n_readout``."""
    learner = mnist_conv(**config, pooling=None, n_jobs=n_jobs, verbose=0)
    learner.fit(X_fit)
    poolings = [partial(pool_counts, **p) for p in POOLINGS.values()]
    F_train = conv_features(learner, X_train, poolings)
    F_test = conv_features(learner, X_test, poolings)
    return {
        (name, n): (
            F_tr.shape[1],
            readout_accuracy(F_tr[:n], y_train[:n], F_te, y_test),
        )
        for name, F_tr, F_te in zip(POOLINGS, F_train, F_test, strict=True)
        for n in n_readout
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small data, fast")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--n-filters", type=int, nargs="+", default=[8, 16, 32])
    parser.add_argument("--n-fit", type=int, default=2000)
    parser.add_argument(
        "--n-readout", type=int, nargs="+", default=[1000, 3000, 10_000]
    )
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    n_test = 10_000
    if args.quick:
        args.n_fit, args.n_readout, n_test = 200, [300, 1000], 500
        args.seeds, args.n_filters = args.seeds[:1], args.n_filters[:2]
    sizes = [*args.n_readout, args.n_fit]
    if min(sizes) < 1 or max(sizes) > 60_000 - n_test:
        parser.error(
            f"--n-readout and --n-fit must be from 1 to {60_000 - n_test}: the "
            f"last {n_test} training images are the validation images"
        )
    name = "mnist_gap_quick" if args.quick else "mnist_gap"
    out = Path(args.out or Path(__file__).parent / "results" / f"{name}.json")

    start = time.perf_counter()
    X, y, _, _ = load_mnist()
    X = X.astype(np.float32)
    n_train = max(args.n_readout)
    data = dict(
        X_fit=X[: args.n_fit],
        X_train=X[:n_train],
        y_train=y[:n_train],
        X_test=X[-n_test:],  # the validation images: never in X_train
        y_test=y[-n_test:],
        n_jobs=args.n_jobs,
        n_readout=sorted(args.n_readout),
    )
    rows = []
    for seed in args.seeds:
        for n_filters in args.n_filters:
            config = dict(CONFIG, n_filters=n_filters, random_state=seed)
            frozen = dict(config, rule=PairSTDP(a_plus=0.0, a_minus=0.0))
            learned = accuracies(config, **data)
            random = accuracies(frozen, **data)
            for (pooling, n), (n_features, accuracy) in learned.items():
                rows.append(
                    dict(
                        seed=seed,
                        n_filters=n_filters,
                        pooling=pooling,
                        n_features=n_features,
                        n_readout=n,
                        learned=accuracy,
                        random=random[pooling, n][1],
                    )
                )
                print(
                    f"seed {seed}, {n_filters} filters, {pooling} ({n_features} "
                    f"features), readout on {n}: learned {accuracy:.4f}  frozen "
                    f"random {random[pooling, n][1]:.4f}",
                    flush=True,
                )

    keys = ("n_filters", "pooling", "n_features", "n_readout")
    cells = {}  # a cell's keys -> its rows, one per seed
    for row in rows:
        cells.setdefault(tuple(row[k] for k in keys), []).append(row)
    summary = []
    print(f"\nmean over seeds {args.seeds}")
    print("filters pooling features readout  learned   random   gap")
    for cell_keys, cell in cells.items():
        learned, random = (
            float(np.mean([r[k] for r in cell])) for k in ("learned", "random")
        )
        gap = learned - random
        summary.append(
            dict(
                zip(keys, cell_keys, strict=True),
                learned=learned,
                random=random,
                gap=gap,
            )
        )
        print(
            "{:>7} {:>7} {:>8} {:>7} ".format(*cell_keys)
            + f"{learned:>8.4f} {random:>8.4f} {100 * gap:>5.2f}"
        )
    seconds = time.perf_counter() - start
    results = {
        "summary": summary,
        "rows": rows,
        "seeds": args.seeds,
        "poolings": POOLINGS,
        "n_fit": args.n_fit,
        "n_readout": args.n_readout,
        "n_test": n_test,
        "config": {k: repr(v) for k, v in CONFIG.items()},
        "seconds": seconds,
        "peak_rss_mb": peak_rss_mb(),
    }
    print(f"{seconds:.0f} s")
    write_json(results, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
