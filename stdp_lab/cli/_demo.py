"""The ``demo`` subcommand: STDP features on MNIST, two readouts, figures and a
report."""

from __future__ import annotations

import os
import time

import numpy as np

from .. import cli as _cli
from ._common import (
    CLIError,
    _add_engine_argument,
    _add_output_argument,
    _json_safe,
    _n_jobs,
    _nonnegative_int,
    _output_dir,
    _positive_int,
    _save_confusion_matrix,
    _save_raster,
    _save_receptive_fields,
    _transform,
    _use_agg,
    _write_json,
)

# Constants and _load_data are looked up on the stdp_lab.cli package at call
# time, so that tests can monkeypatch them there.


def _add_demo(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="learn STDP features on MNIST and read them out (the main demo)",
        description=(
            "Learn spiking features without labels on MNIST (a convolutional "
            "layer of 16 shared 5x5 filters with Diehl & Cook's STDP rule, "
            "stdp_lab.presets.mnist_conv, learning from the first "
            f"{_cli.DEMO_N_FIT} training images), then read the spike counts of "
            "all training images (summed over overlapping 4x4 windows of "
            "locations) out with LogisticRegression and with the vote "
            "classifier, scored on held-out MNIST test images. Writes "
            "receptive_fields.png, confusion_matrix.png, raster.png and "
            "report.json into the output folder."
        ),
    )
    parser.add_argument(
        "--n-train",
        type=_positive_int,
        default=None,
        help=(
            f"training images for the readouts (default: {_cli.DEMO_N_TRAIN}); the "
            f"learner learns from the first {_cli.DEMO_N_FIT} of them"
        ),
    )
    parser.add_argument(
        "--n-test",
        type=_positive_int,
        default=None,
        help=f"test images (default: {_cli.DEMO_N_TEST})",
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="learn from and read out all 60000 training images",
    )
    parser.add_argument(
        "--seed", type=_nonnegative_int, default=0, help="learner seed (default: 0)"
    )
    parser.add_argument(
        "--n-jobs",
        type=_n_jobs,
        default=None,
        help=(
            "processes for the features (default: 1 on the compiled engine, "
            "whose threads use every core; 2 on the numpy engine)"
        ),
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=(
            f"a tiny run for tests: {_cli.QUICK_N_TRAIN} train / "
            f"{_cli.QUICK_N_TEST} test images, {_cli.QUICK_N_TIMESTEPS} time steps, "
            "one process"
        ),
    )
    _add_output_argument(parser)
    _add_engine_argument(parser)
    parser.set_defaults(func=_run_demo)


def _run_demo(args) -> int:
    start = time.perf_counter()
    if args.full and args.n_train is not None:
        raise CLIError("--full and --n-train exclude each other")
    out_dir = _output_dir(args.out)
    _use_agg()
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler
    from threadpoolctl import threadpool_limits

    from .._config import get_config
    from ..estimators import SpikeCountClassifier
    from ..presets import mnist_conv

    params = dict(_cli.DEMO_PARAMS)
    n_train, n_test = _cli.DEMO_N_TRAIN, _cli.DEMO_N_TEST
    if args.quick:
        n_train, n_test = _cli.QUICK_N_TRAIN, _cli.QUICK_N_TEST
        params["n_timesteps"] = _cli.QUICK_N_TIMESTEPS
        params["n_jobs"] = 1  # starting worker processes would take longer
    if args.full:
        n_train = None
    if args.n_train is not None:
        n_train = args.n_train
    if args.n_test is not None:
        n_test = args.n_test
    if args.n_jobs is not None:
        params["n_jobs"] = args.n_jobs
    elif "n_jobs" not in params:
        engine = "numpy" if get_config()["engine"] == "numpy" else "numba"
        params["n_jobs"] = _cli.DEMO_N_JOBS[engine]
    params.update(random_state=args.seed, verbose=1)
    learner = mnist_conv(**params)

    X_train, y_train, X_test, y_test = _cli._load_data("mnist", n_train, n_test)
    n_train, n_test = len(X_train), len(X_test)
    # The learner needs few images (one pass, no labels); --full uses them all.
    n_fit = n_train if args.full else min(_cli.DEMO_N_FIT, n_train)

    t0 = time.perf_counter()
    learner.fit(X_train[:n_fit])
    fit_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    F_train = _transform(learner, X_train, "features (train)")
    F_test = _transform(learner, X_test, "features (test)")
    transform_seconds = time.perf_counter() - t0

    t0 = time.perf_counter()
    linear = make_pipeline(
        FunctionTransformer(np.sqrt),
        StandardScaler(),
        LogisticRegression(C=_cli.DEMO_C, max_iter=1000),
    )
    # The features are float32 (as the images), which the solver keeps, and
    # the products of the logistic regression are skinny (10 classes): memory
    # bound, they ran faster on one BLAS thread than on two (10,000 x 1,296:
    # 2.7 s against 9.2 s on 2 cores).
    with threadpool_limits(limits=1, user_api="blas"):
        linear.fit(F_train, y_train)
        y_linear = linear.predict(F_test)
    vote = SpikeCountClassifier().fit(F_train, y_train)
    y_vote = vote.predict(F_test)
    readout_seconds = time.perf_counter() - t0
    linear_accuracy = float(np.mean(y_linear == y_test))
    vote_accuracy = float(np.mean(y_vote == y_test))

    conn = learner.layer_.connectivity
    n_loc, n_filters = conn.n_locations, conn.n_filters
    files = {
        "receptive_fields": _save_receptive_fields(
            learner,
            out_dir / "receptive_fields.png",
            (
                f"receptive fields: {n_filters} filters shared by {n_loc} locations"
                if learner.weights_.shape[0] == 1
                else f"receptive fields: {n_loc} locations (rows) x {n_filters} filters"
            ),
        ),
        "confusion_matrix": _save_confusion_matrix(
            y_test,
            y_linear,
            out_dir / "confusion_matrix.png",
            f"LogisticRegression on spike counts: {linear_accuracy:.1%} "
            f"of {n_test} MNIST test images",
        ),
    }
    files["raster"], raster_spikes = _save_raster(
        learner, X_test[0], y_test[0], out_dir / "raster.png"
    )
    _, encoder, _, _ = learner._build(X_train.shape[1])
    total_seconds = time.perf_counter() - start
    report = {
        "dataset": "mnist",
        "params": _json_safe(learner.get_params(deep=False)),
        "components": {
            "connectivity": repr(conn),
            "neuron": repr(learner.layer_.neuron),
            "competition": repr(learner.layer_.competition),
            "rule": repr(learner.layer_.rule),
            "encoder": repr(encoder),
        },
        "readouts": {
            "linear": repr(linear),
            "vote": repr(vote),
        },
        "n_fit": n_fit,
        "n_train": n_train,
        "n_test": n_test,
        "n_features": int(F_train.shape[1]),
        "linear_accuracy": linear_accuracy,
        "vote_accuracy": vote_accuracy,
        "fit_seconds": fit_seconds,
        "transform_seconds": transform_seconds,
        "readout_seconds": readout_seconds,
        "train_samples_per_s": n_fit / fit_seconds,
        "transform_samples_per_s": (n_train + n_test) / transform_seconds,
        "spikes_per_sample": float(F_test.sum(axis=1).mean()),
        "raster_spikes": raster_spikes,
        "total_seconds": total_seconds,
        "figures": {name: path.name for name, path in files.items()},
    }
    report_path = _write_json(report, out_dir / "report.json")
    conn_name = type(conn).__name__
    rule_name = type(learner.layer_.rule).__name__
    print(
        f"Learned {n_filters} filters at {n_loc} locations ({conn_name}, rule "
        f"{rule_name}; {F_train.shape[1]} pooled spike-count features) without "
        f"labels from {n_fit} MNIST training images in {fit_seconds:.1f} s "
        f"({n_fit / fit_seconds:.0f} samples/s); features of {n_train + n_test} "
        f"images in {transform_seconds:.1f} s "
        f"({(n_train + n_test) / transform_seconds:.0f} samples/s)."
    )
    print(
        f"Accuracy on {n_test} held-out MNIST test images: LogisticRegression "
        f"{linear_accuracy:.2%}, SpikeCountClassifier (vote) {vote_accuracy:.2%}."
    )
    print(
        f"Wrote {', '.join(p.name for p in files.values())} and {report_path.name} "
        f"to {out_dir}{os.sep}. Total time {total_seconds:.1f} s."
    )
    return 0
