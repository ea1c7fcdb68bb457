"""The ``compare`` subcommand: every plasticity rule on one architecture, each
at a tuned learning rate, against baselines
(:func:`stdp_lab.compare.compare_rules`)."""

from __future__ import annotations

import os
import time

from .. import cli as _cli
from ._common import (
    CLIError,
    _add_dataset_argument,
    _add_engine_argument,
    _add_output_argument,
    _check_rules,
    _n_jobs,
    _name_list,
    _output_dir,
    _positive_int,
    _seed_list,
    _use_agg,
)

# Constants and _load_data are looked up on the stdp_lab.cli package at call
# time, so that tests can monkeypatch them there.


def _add_compare(subparsers) -> None:
    parser = subparsers.add_parser(
        "compare",
        help="compare plasticity rules fairly on the same architecture",
        description=(
            "Choose each rule's learning rate on a validation split of the "
            "training set, train the same spiking layer with each rule and seed "
            "(by default every rule, on MNIST, on the pooled convolution of the "
            "demo), score linear and vote readouts against frozen random "
            "weights, k-means features and the raw pixels, with paired 95% "
            "intervals; print the table and write comparison.csv, "
            "comparison.md, report.json and the figures (comparison.png, "
            "receptive_fields.png, weight_histograms.png, learning_curves.png) "
            "into the output folder (stdp_lab.compare.compare_rules)."
        ),
    )
    parser.add_argument(
        "--rules",
        type=_name_list,
        default=None,
        help="comma-separated rule names (default: every rule; --quick: stdp,oja)",
    )
    parser.add_argument(
        "--seeds",
        type=_seed_list,
        default=None,
        help="comma-separated learner seeds (default: 0,1,2; --quick: 0)",
    )
    _add_dataset_argument(parser, default="mnist")
    parser.add_argument(
        "--n-train",
        type=_positive_int,
        default=None,
        help=(
            f"training samples (default: {_cli.COMPARE_N_TRAIN} MNIST images, "
            "the whole split of the digits)"
        ),
    )
    parser.add_argument(
        "--n-test",
        type=_positive_int,
        default=None,
        help=(
            f"test samples (default: {_cli.COMPARE_N_TEST} MNIST images, the "
            "whole split of the digits)"
        ),
    )
    parser.add_argument(
        "--n-timesteps",
        type=_positive_int,
        default=None,
        help="time steps per sample (default: the architecture's, 100)",
    )
    parser.add_argument(
        "--no-tune",
        dest="tune",
        action="store_false",
        help="run every rule at its default learning rate (no validation split)",
    )
    parser.add_argument(
        "--no-curves",
        dest="learning_curve",
        action="store_false",
        help="skip the learning curves (a few transforms per rule)",
    )
    parser.add_argument(
        "--n-jobs",
        type=_n_jobs,
        default=None,
        help="runs in parallel processes (default: one at a time, the compiled "
        "engine's threads using the cores)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a tiny run for tests: 200 train / 100 test samples, 10 time steps, "
        "one seed, two rules",
    )
    _add_output_argument(parser)
    _add_engine_argument(parser)
    parser.set_defaults(func=_run_compare)


def _run_compare(args) -> int:
    rules = args.rules
    seeds = args.seeds
    n_train, n_test, n_timesteps = args.n_train, args.n_test, args.n_timesteps
    if args.quick:
        rules = rules or ["stdp", "oja"]
        seeds = seeds or [0]
        n_train = n_train or 200
        n_test = n_test or 100
        n_timesteps = n_timesteps or 10
    if args.dataset == "mnist":
        n_train = n_train or _cli.COMPARE_N_TRAIN
        n_test = n_test or _cli.COMPARE_N_TEST
    if rules is None:
        from ..plasticity import RULES

        rules = list(RULES)  # every rule known now, those added later included
    rules = _check_rules(rules)
    seeds = tuple(seeds) if seeds is not None else (0, 1, 2)
    out_dir = _output_dir(args.out)
    try:
        from ..compare import compare_rules
    except ImportError as exc:
        raise CLIError(f"stdp_lab.compare cannot be imported: {exc}") from None
    _use_agg()
    shared = {} if n_timesteps is None else {"n_timesteps": n_timesteps}
    X_train, y_train, X_test, y_test = _cli._load_data(args.dataset, n_train, n_test)
    t0 = time.perf_counter()
    result = compare_rules(
        rules,
        X_train,
        y_train,
        X_test,
        y_test,
        seeds=seeds,
        tune=args.tune,
        learning_curve=args.learning_curve,
        n_jobs=args.n_jobs,
        verbose=1,
        **shared,
    )
    seconds = time.perf_counter() - t0
    paths = result.save(out_dir)
    print(result.to_markdown().rstrip())
    names = [paths[key].name for key in ("csv", "markdown", "report")]
    names += [path.name for path in paths["figures"]]
    tuned = "tuned on a validation split" if args.tune else "at their default rates"
    print(
        f"Compared {len(rules)} rules ({tuned}) x {len(seeds)} seeds on "
        f"{len(X_train)} / {len(X_test)} {args.dataset} images in {seconds:.1f} s; "
        f"wrote {', '.join(names)} to {out_dir}{os.sep}."
    )
    return 0
