"""The ``compare`` subcommand: several plasticity rules on one architecture
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
        help="compare plasticity rules on the same architecture",
        description=(
            "Train SpikingFeatureLearner with each rule and seed, score linear and "
            "vote readouts against baselines, and write comparison.csv, "
            "comparison.md and comparison.png into the output folder "
            "(stdp_lab.compare.compare_rules); prints the Markdown table."
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
    _add_dataset_argument(parser, default="digits")
    parser.add_argument(
        "--n-train",
        type=_positive_int,
        default=None,
        help="training samples (default: the whole split)",
    )
    parser.add_argument(
        "--n-test",
        type=_positive_int,
        default=None,
        help="test samples (default: the whole split)",
    )
    parser.add_argument(
        "--n-timesteps",
        type=_positive_int,
        default=None,
        help="time steps per sample (default: the learner's)",
    )
    parser.add_argument(
        "--n-jobs",
        type=_n_jobs,
        default=None,
        help="parallel jobs of compare_rules (default: 1)",
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
    if rules is None:
        from ..plasticity import RULES

        rules = list(RULES)
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
    compare_rules(
        rules,
        X_train,
        y_train,
        X_test,
        y_test,
        seeds=seeds,
        n_jobs=args.n_jobs,
        out=out_dir,
        verbose=1,
        **shared,
    )
    seconds = time.perf_counter() - t0
    table = out_dir / "comparison.md"
    try:
        print(table.read_text().rstrip())
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise CLIError(f"cannot read {str(table)!r}: {reason}") from None
    print(
        f"Compared {len(rules)} rules x {len(seeds)} seeds on {len(X_train)} / "
        f"{len(X_test)} {args.dataset} images in {seconds:.1f} s; wrote "
        f"comparison.csv, comparison.md and comparison.png to {out_dir}{os.sep}."
    )
    return 0
