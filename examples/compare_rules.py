"""Compare plasticity rules on an MNIST subset: one table, its figures
===================================================================

Each rule's learning rate is first chosen on a validation split of the
training images; then the same spiking layer (``compare_rules``' default
architecture for images: the demo's pooled convolution, 16 shared 5 x 5
filters) is trained with each rule over a few seeds, and its spike counts are
read out by a logistic regression and by the vote of ``SpikeCountClassifier``.
Frozen random weights, k-means patch features and the raw pixels are rows of
the same table: a rule whose paired difference to frozen random weights has a
95% interval above zero has learned something the readouts use.

Run ``python examples/compare_rules.py`` (2000 / 1000 images, 2 seeds; a few
minutes on two cores) or add ``--quick`` for a smoke run. Prints the Markdown
table and writes ``comparison.csv``, ``comparison.md``, ``report.json`` and
the figures (``comparison.png``, ``receptive_fields.png``,
``weight_histograms.png``, ``learning_curves.png``) to ``--out``.
"""

import argparse

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
        default=100,
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
    result = compare_rules(
        rules,
        X_train,
        y_train,
        X_test,
        y_test,
        seeds=range(args.seeds),
        n_jobs=args.n_jobs,
        n_timesteps=args.n_timesteps,
    )
    paths = result.save(args.out)
    print(
        f"MNIST, {args.n_train} training / {args.n_test} test images, "
        f"{args.seeds} seed(s), {args.n_timesteps} ms per image\n"
    )
    print(result.to_markdown())
    print(f"wrote {paths['csv']}, {paths['report']} and the figures:")
    for path in paths["figures"]:
        print(f"  {path}")


if __name__ == "__main__":
    main()
