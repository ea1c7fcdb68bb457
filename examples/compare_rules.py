"""Compare plasticity rules on an MNIST subset: one table, one figure
===================================================================

The same locally connected spiking layer (the defaults of
``SpikingFeatureLearner``: 12 x 12 kernels, stride 4, 25 filters per location)
is trained with each rule over a few seeds; its spike counts are read out by a
logistic regression and by the vote of ``SpikeCountClassifier``. Frozen random
weights, k-means patch features and the raw pixels are rows of the same table:
a rule that does not beat frozen random weights has learned nothing the
readouts can use.

Run ``python examples/compare_rules.py`` (2000 / 1000 images, 2 seeds; a few
minutes on two cores) or add ``--quick`` for a smoke run. Prints the Markdown
table and writes ``comparison.csv``, ``comparison.md`` and ``comparison.png``
to ``--out``.
"""

import argparse
from pathlib import Path

from stdp_lab.compare import compare_rules
from stdp_lab.datasets import load_mnist


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--n-train", type=int, default=2000)
    parser.add_argument("--n-test", type=int, default=1000)
    parser.add_argument(
        "--rules",
        default="stdp,triplet,diehl_cook,oja,hebbian",
        help="comma-separated rule names (default: %(default)s)",
    )
    parser.add_argument("--seeds", type=int, default=2, help="number of seeds")
    parser.add_argument(
        "--n-timesteps",
        type=int,
        default=50,
        help="steps of 1 ms per image presentation (default: %(default)s)",
    )
    parser.add_argument("--n-jobs", type=int, default=-1, help="parallel runs")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 200 / 100 images, 20 steps, 1 seed",
    )
    parser.add_argument("--out", default="compare-out", help="output folder")
    args = parser.parse_args(argv)
    if args.quick:
        args.n_train, args.n_test, args.n_timesteps, args.seeds = 200, 100, 20, 1

    X_train, y_train, X_test, y_test = load_mnist(
        n_train=args.n_train, n_test=args.n_test
    )
    rules = [name.strip() for name in args.rules.split(",") if name.strip()]
    compare_rules(
        rules,
        X_train,
        y_train,
        X_test,
        y_test,
        seeds=range(args.seeds),
        n_jobs=args.n_jobs,
        out=args.out,
        n_timesteps=args.n_timesteps,
    )
    out = Path(args.out)
    print(
        f"MNIST, {args.n_train} training / {args.n_test} test images, "
        f"{args.seeds} seed(s), {args.n_timesteps} ms per image\n"
    )
    print((out / "comparison.md").read_text(encoding="utf-8"))
    print(f"wrote {out / 'comparison.csv'}, comparison.md and comparison.png")


if __name__ == "__main__":
    main()
