"""The ``train`` (fit and save a pipeline) and ``evaluate`` (score a saved one)
subcommands."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .. import cli as _cli
from ._common import (
    CLIError,
    _add_dataset_argument,
    _add_engine_argument,
    _add_output_argument,
    _check_component,
    _json_safe,
    _n_jobs,
    _nonnegative_int,
    _output_dir,
    _positive_int,
    _save_confusion_matrix,
    _use_agg,
    _write_json,
)

# Constants and _load_data are looked up on the stdp_lab.cli package at call
# time, so that tests can monkeypatch them there.


def _add_train(subparsers) -> None:
    from ..estimators import SpikingFeatureLearner

    defaults = SpikingFeatureLearner().get_params()
    parser = subparsers.add_parser(
        "train",
        help="fit a spiking-feature pipeline and save it (a skops file)",
        description=(
            "Fit Pipeline(SpikingFeatureLearner, readout) on the training split and "
            "save it as a skops file. Options left out keep the SpikingFeatureLearner "
            "defaults."
        ),
    )
    _add_dataset_argument(parser)
    parser.add_argument(
        "--connectivity",
        choices=("auto", "conv", "local", "dense"),
        default=None,
        help=f"layer type (default: {defaults['connectivity']}: a pooled convolution "
        "for images of 16 pixels a side or more, locally connected filters for "
        "smaller images, a dense layer for tabular data)",
    )
    parser.add_argument(
        "--kernel-size",
        type=_positive_int,
        default=None,
        help="receptive field side in pixels (default: 5/28 of the image side "
        "for a convolution, 3/7 for locally connected filters)",
    )
    parser.add_argument(
        "--stride",
        type=_positive_int,
        default=None,
        help="distance between receptive fields (default: a third of the kernel)",
    )
    parser.add_argument(
        "--n-filters",
        type=_positive_int,
        default=None,
        help=f"filters per location (default: {defaults['n_filters']})",
    )
    parser.add_argument(
        "--neuron",
        default=None,
        help="neuron model name, e.g. lif, adaptive_lif, izhikevich "
        "(default: adaptive LIF of Diehl & Cook 2015)",
    )
    parser.add_argument(
        "--rule",
        default=None,
        help="plasticity rule name, e.g. stdp, triplet, diehl_cook, oja "
        "(default: diehl_cook)",
    )
    parser.add_argument(
        "--encoder",
        default=None,
        help="spike encoder name: poisson, latency, rank_order "
        "(default: Poisson at 512 Hz)",
    )
    parser.add_argument(
        "--competition",
        default=None,
        help="competition name: none, soft, wta, kwta "
        "(default: one winner per location and step)",
    )
    parser.add_argument(
        "--n-timesteps",
        type=_positive_int,
        default=None,
        help=f"time steps per sample (default: {defaults['n_timesteps']})",
    )
    parser.add_argument(
        "--n-epochs",
        type=_positive_int,
        default=None,
        help=f"passes over the data (default: {defaults['n_epochs']})",
    )
    parser.add_argument(
        "--batch-size",
        type=_positive_int,
        default=None,
        help=f"samples simulated together (default: {defaults['batch_size']})",
    )
    parser.add_argument(
        "--n-train",
        type=_positive_int,
        default=None,
        help=(
            f"training samples (default: {_cli.DEMO_N_TRAIN} for MNIST, all 1198 "
            "digits)"
        ),
    )
    parser.add_argument(
        "--seed", type=_nonnegative_int, default=0, help="learner seed (default: 0)"
    )
    parser.add_argument(
        "--n-jobs",
        type=_n_jobs,
        default=None,
        help="processes for the features (default: 1)",
    )
    parser.add_argument(
        "--readout",
        choices=("linear", "vote"),
        default="linear",
        help="StandardScaler + LogisticRegression, or the SpikeCountClassifier "
        "(default: linear)",
    )
    parser.add_argument(
        "--model",
        type=Path,
        default=None,
        help=f"where to save the model (default: OUT/{_cli.MODEL_FILENAME})",
    )
    _add_output_argument(parser)
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace an existing --model file that is not a model",
    )
    _add_engine_argument(parser)
    parser.set_defaults(func=_run_train)


def _train_params(args) -> dict:
    """SpikingFeatureLearner keyword arguments given on the command line."""
    options = {
        "connectivity": args.connectivity,
        "kernel_size": args.kernel_size,
        "stride": args.stride,
        "n_filters": args.n_filters,
        "neuron": args.neuron,
        "rule": args.rule,
        "encoder": args.encoder,
        "competition": args.competition,
        "n_timesteps": args.n_timesteps,
        "n_epochs": args.n_epochs,
        "batch_size": args.batch_size,
        "n_jobs": args.n_jobs,
    }
    return {name: value for name, value in options.items() if value is not None}


def _run_train(args) -> int:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from ..estimators import SpikeCountClassifier, SpikingFeatureLearner
    from ..io import load_model, save_model

    for kind in ("rule", "neuron", "encoder", "competition"):
        _check_component(kind, getattr(args, kind))
    out_dir = _output_dir(args.out)
    model_path = args.model if args.model is not None else out_dir / _cli.MODEL_FILENAME
    _output_dir(model_path.parent, "--model")
    if model_path.is_dir():
        raise CLIError(f"--model {str(model_path)!r} is a folder")
    if model_path.exists() and not args.force:  # refuse now, not after training
        try:
            load_model(model_path)
        except ValueError:
            raise CLIError(
                f"--model {str(model_path)!r} exists and is not a model file; "
                "pass --force to replace it"
            ) from None
    params = _train_params(args)
    learner = SpikingFeatureLearner(random_state=args.seed, verbose=1, **params)
    # Geometry (kernel larger than the image, ...) fails here, before the data load.
    learner._build(_cli.DATASETS[args.dataset])
    if args.readout == "linear":
        readout = [
            ("scale", StandardScaler()),
            ("readout", LogisticRegression(max_iter=1000)),
        ]
    else:
        readout = [("readout", SpikeCountClassifier())]
    model = Pipeline([("features", learner), *readout])

    n_train = args.n_train
    if n_train is None and args.dataset == "mnist":
        n_train = _cli.DEMO_N_TRAIN
    X_train, y_train, _, _ = _cli._load_data(args.dataset, n_train, 1)
    t0 = time.perf_counter()
    model.fit(X_train, y_train)
    train_seconds = time.perf_counter() - t0
    try:
        save_model(model, model_path, force=args.force)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise CLIError(f"cannot write {str(model_path)!r}: {reason}") from None
    print(
        f"Trained on {len(X_train)} {args.dataset} images in {train_seconds:.1f} s "
        f"({len(X_train) / train_seconds:.0f} samples/s, features and "
        f"{args.readout} readout); saved the pipeline to {model_path}."
    )
    return 0


def _add_evaluate(subparsers) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="score a saved model on the test split",
        description=(
            "Load a pipeline saved by 'stdp-lab train' (a skops file: only "
            "scikit-learn's and stdp_lab's types are rebuilt), score it on the "
            "test split, write confusion_matrix.png and evaluation.json into the "
            "output folder."
        ),
    )
    parser.add_argument(
        "--model",
        type=Path,
        default=None,
        help=f"the saved model (default: OUT/{_cli.MODEL_FILENAME})",
    )
    _add_dataset_argument(parser, default=None)
    parser.add_argument(
        "--n-test",
        type=_positive_int,
        default=None,
        help="test samples (default: all: 10000 for MNIST, 599 digits)",
    )
    parser.add_argument(
        "--trust",
        action="store_true",
        help=(
            "also load a pickle/joblib file or types of your own (they can run "
            "code as they load: only files you trust)"
        ),
    )
    _add_output_argument(parser)
    _add_engine_argument(parser)
    parser.set_defaults(func=_run_evaluate)


def _load_model(path: Path, trust: bool = False):
    from ..io import load_model

    try:
        model = load_model(path, trust=trust)
    except ValueError as exc:
        raise CLIError(str(exc).replace("trust=True (--trust)", "--trust")) from None
    if not (hasattr(model, "predict") and hasattr(model, "n_features_in_")):
        raise CLIError(
            f"model file {str(path)!r} holds a {type(model).__name__}, not a fitted "
            "model from 'stdp-lab train'"
        )
    return model


def _run_evaluate(args) -> int:
    out_dir = _output_dir(args.out)
    model_path = args.model if args.model is not None else out_dir / _cli.MODEL_FILENAME
    model = _load_model(model_path, trust=args.trust)
    n_features = int(model.n_features_in_)
    dataset = args.dataset
    if dataset is None:
        matches = [name for name, n in _cli.DATASETS.items() if n == n_features]
        if not matches:
            raise CLIError(
                f"the model expects {n_features} features, which matches no data set "
                f"({', '.join(f'{k}: {v}' for k, v in _cli.DATASETS.items())})"
            )
        dataset = matches[0]
    elif _cli.DATASETS[dataset] != n_features:
        raise CLIError(
            f"the model expects {n_features} features but --dataset {dataset} has "
            f"{_cli.DATASETS[dataset]}"
        )
    _use_agg()
    _, _, X_test, y_test = _cli._load_data(dataset, 1, args.n_test)
    t0 = time.perf_counter()
    y_pred = model.predict(X_test)
    seconds = time.perf_counter() - t0
    accuracy = float(np.mean(y_pred == y_test))
    figure = _save_confusion_matrix(
        y_test,
        y_pred,
        out_dir / "confusion_matrix.png",
        f"{model_path.name}: {accuracy:.1%} of {len(y_test)} {dataset} test images",
    )
    steps = getattr(model, "steps", [])
    report = {
        "model": str(model_path),
        "dataset": dataset,
        "n_test": len(y_test),
        "accuracy": accuracy,
        "predict_seconds": seconds,
        "samples_per_s": len(y_test) / seconds,
        "params": {
            name: _json_safe(step.get_params(deep=False)) for name, step in steps
        }
        if steps
        else _json_safe(model.get_params(deep=False)),
        "figures": {"confusion_matrix": figure.name},
    }
    path = _write_json(report, out_dir / "evaluation.json")
    print(
        f"Accuracy of {model_path} on {len(y_test)} {dataset} test images: "
        f"{accuracy:.2%} ({seconds:.1f} s, {len(y_test) / seconds:.0f} samples/s). "
        f"Wrote {figure} and {path}."
    )
    return 0
