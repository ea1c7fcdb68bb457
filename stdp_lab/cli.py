"""The ``stdp-lab`` command (also ``python -m stdp_lab``).

Subcommands:

- ``demo``: learn locally connected STDP features on MNIST, read them out with
  LogisticRegression and with the vote classifier, write figures and a report;
- ``train`` / ``evaluate``: fit a pipeline with every model choice as an option,
  save it with joblib; load one and score it on the test split;
- ``window``: measured STDP windows of the plasticity rules;
- ``patterns``: the Izhikevich (2003) firing-pattern gallery;
- ``compare``: several rules on the same architecture, one table and one figure.

Each subcommand is one ``_add_<name>(subparsers)`` function that builds its
parser and sets ``func`` to one ``_run_<name>(args) -> int`` function; adding a
subcommand means writing these two and listing the first in ``_SUBCOMMANDS``.
User errors raise :class:`CLIError` (or ``OSError``/``ValueError``) and are
printed as one line ``stdp-lab: error: ...`` on stderr, with exit code 2 and no
traceback. Names (rules, neurons, encoders) and the output folder are checked
before any data is loaded.

Data splits are fixed, so that ``evaluate`` scores a model on data that
``train`` did not see: MNIST subsets are the stratified draws of
:func:`stdp_lab.datasets.load_mnist` with ``random_state=0``; the digits are split
two thirds / one third, stratified, with ``random_state=0`` (as in
``benchmarks/bench_digits.py``). ``--seed`` seeds the learner only.
"""

from __future__ import annotations

import argparse
import json
import math
import numbers
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

PROG = "stdp-lab"
DEFAULT_OUT = Path("stdp-lab-out")
PATTERNS_FILENAME = "izhikevich_patterns.png"
MODEL_FILENAME = "model.joblib"

#: Learner configuration of ``stdp-lab demo`` (``SpikingFeatureLearner`` keyword
#: arguments; ``random_state`` comes from ``--seed``, ``verbose`` is set to 1).
#: The learner is :func:`stdp_lab.presets.mnist_conv` with these.
DEMO_PARAMS = {"n_jobs": 2}
#: MNIST training and test images of the default demo (the full test set).
DEMO_N_TRAIN = 10_000
DEMO_N_TEST = 10_000
#: The learner learns from the first DEMO_N_FIT training images (one pass, no
#: labels); the readouts are trained on the features of all DEMO_N_TRAIN.
DEMO_N_FIT = 2_000
#: Inverse regularisation of the demo's logistic regression (chosen, like the
#: learner, on a validation split of the training set).
DEMO_C = 0.1
#: ``--quick``: a run of a few seconds, for tests.
QUICK_N_TRAIN = 300
QUICK_N_TEST = 200
QUICK_N_TIMESTEPS = 20

#: Data sets the subcommands can load, with their number of features.
DATASETS = {"mnist": 784, "digits": 64}

__all__ = ["main", "build_parser", "CLIError", "DEMO_PARAMS"]


class CLIError(Exception):
    """A user error: reported as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors become :class:`CLIError` (one line)."""

    def error(self, message):
        raise CLIError(message)


# ---------------------------------------------------------------------------
# argument types
# ---------------------------------------------------------------------------
def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


def _finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def _int_at_least(low: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected an integer, got {text!r}"
            ) from None
        if value < low:
            raise argparse.ArgumentTypeError(
                f"expected an integer >= {low}, got {text}"
            )
        return value

    parse.__name__ = f"integer >= {low}"  # argparse names the type in errors
    return parse


_positive_int = _int_at_least(1)
_nonnegative_int = _int_at_least(0)


def _name_list(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated names, got {text!r}"
        )
    return names


def _seed_list(text: str) -> list[int]:
    parse = _nonnegative_int
    return [parse(part) for part in _name_list(text)]


def _n_jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value == 0:
        raise argparse.ArgumentTypeError("expected a non-zero integer (-1: all cores)")
    return value


# ---------------------------------------------------------------------------
# checks and output
# ---------------------------------------------------------------------------
def _output_dir(path: Path, option: str = "--out") -> Path:
    """Create the folder ``path`` (given by ``option``) if needed; fail with one
    clear line if it cannot be created or written."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise CLIError(f"{option} {str(path)!r} exists and is not a folder") from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise CLIError(
            f"{option}: cannot create folder {str(path)!r}: {reason}"
        ) from None
    if not path.is_dir():
        raise CLIError(f"{option} {str(path)!r} is not a folder")
    if not os.access(path, os.W_OK | os.X_OK):
        raise CLIError(f"{option}: folder {str(path)!r} is not writable")
    return path


def _check_rules(names: Sequence[str]) -> list[str]:
    from .plasticity import RULES

    for name in names:
        if name not in RULES:
            known = ", ".join(RULES)
            raise CLIError(f"unknown rule {name!r}; known rules: {known}")
    return list(names)


def _check_component(kind: str, name: str | None) -> None:
    """Raise a one-line error now if ``name`` is not a known ``kind``."""
    if name is None:
        return
    if kind == "neuron":
        from .neurons import make_neuron as make
    elif kind == "encoder":
        from .encoding import make_encoder as make
    elif kind == "competition":
        from .competition import make_competition as make
    else:
        from .plasticity import make_rule as make
    make(name)  # ValueError naming the parameter and the known names


def _save_figure(fig, path: Path) -> Path:
    import matplotlib.pyplot as plt

    try:
        fig.savefig(path, dpi=120)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise CLIError(f"cannot write {str(path)!r}: {reason}") from None
    finally:
        plt.close(fig)
    return path


def _write_json(data: dict, path: Path) -> Path:
    try:
        path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise CLIError(f"cannot write {str(path)!r}: {reason}") from None
    return path


def _json_safe(value):
    """``value`` as JSON: numbers, strings, None and lists kept, objects as repr."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value) if math.isfinite(value) else repr(value)
    if isinstance(value, tuple | list):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    return repr(value)


def _use_agg() -> None:
    import matplotlib

    matplotlib.use("Agg")  # the CLI only writes files


def _load_data(dataset: str, n_train: int | None, n_test: int | None):
    """``(X_train, y_train, X_test, y_test)`` of a fixed split of ``dataset``.

    ``n_train``/``n_test`` (None: the whole split) take a subset; MNIST images
    come as float32 in 0..255, the digits as float64 in 0..16.
    """
    if dataset == "mnist":
        from .datasets import load_mnist

        X_train, y_train, X_test, y_test = load_mnist(
            n_train=n_train, n_test=n_test, random_state=0
        )
        return X_train.astype(np.float32), y_train, X_test.astype(np.float32), y_test
    from sklearn.model_selection import train_test_split

    from .datasets import load_digits

    X, y = load_digits(flatten=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=1 / 3, stratify=y, random_state=0
    )
    for option, n, total in (
        ("--n-train", n_train, len(y_train)),
        ("--n-test", n_test, len(y_test)),
    ):
        if n is not None and n > total:
            raise CLIError(f"{option} {n} exceeds the {total} digits of the split")
    return X_train[:n_train], y_train[:n_train], X_test[:n_test], y_test[:n_test]


def _patch_shape(learner) -> tuple[int, int, int]:
    """(kh, kw, channels) of a fitted learner's receptive fields."""
    from ._validation import check_pair

    conn = learner.layer_.connectivity
    channels = learner.image_shape_[2]
    kernel = getattr(conn, "kernel_size", None)
    if kernel is None:  # dense: the whole image
        return tuple(learner.image_shape_)
    return (*check_pair(kernel, "kernel_size"), channels)


def _transform(learner, X, desc: str) -> np.ndarray:
    """``learner.transform(X)`` in chunks, with one progress bar over samples.

    Features of a sample do not depend on the other samples (its spike train is
    seeded from its content), so chunking changes nothing but the progress bar;
    each chunk is still split over ``n_jobs`` processes.
    """
    from tqdm.auto import tqdm

    chunk = 1024
    verbose = learner.verbose
    learner.set_params(verbose=0)  # the learner's own bar would nest in ours
    parts = []
    try:
        with tqdm(total=len(X), unit="sample", desc=desc, leave=False) as bar:
            for start in range(0, len(X), chunk):
                parts.append(learner.transform(X[start : start + chunk]))
                bar.update(len(parts[-1]))
    finally:
        learner.set_params(verbose=verbose)
    return np.concatenate(parts)


def _output_spikes(learner, x) -> np.ndarray:
    """Spikes of a fitted learner's output layer for one sample, step by step.

    The sample is encoded and simulated exactly as ``learner.transform`` does
    (same scaling, same per-sample seed), so the spikes add up to its features.

    Parameters
    ----------
    learner : fitted SpikingFeatureLearner
    x : array-like of shape (n_features,)

    Returns
    -------
    spikes : ndarray of bool, shape (n_timesteps, n_locations * n_filters)
    """
    from .estimators import _row_seeds
    from .network import LayerParams, simulate

    X = np.asarray(x)
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)  # as the learner's validate_data does
    X = X.reshape(1, -1)  # (1, n_features)
    _, encoder, _ = learner._build(X.shape[1])
    seeds = _row_seeds(X, learner.transform_seed_)
    steps = encoder.steps(learner._scale(X), learner.n_timesteps, learner.dt, seeds)
    result = simulate(
        [learner.layer_],
        [LayerParams(learner.weights_, learner.thresholds_)],
        steps,
        dt=learner.dt,
        record=("spikes",),
    )
    spikes = result.records["spikes"][0]  # (T, 1, L, F)
    return spikes.reshape(spikes.shape[0], -1)  # (T, L * F)


# ---------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------
def _save_receptive_fields(learner, path: Path, title: str) -> Path:
    from .plotting import plot_receptive_fields

    im = plot_receptive_fields(learner.weights_, _patch_shape(learner))
    im.axes.set_title(title, fontsize="small")
    return _save_figure(im.axes.figure, path)


def _save_confusion_matrix(y_true, y_pred, path: Path, title: str) -> Path:
    from .plotting import plot_confusion_matrix

    display = plot_confusion_matrix(y_true, y_pred)
    display.ax_.set_title(title, fontsize="small")
    return _save_figure(display.figure_, path)


def _save_raster(learner, x, label, path: Path) -> tuple[Path, int]:
    import matplotlib.pyplot as plt

    from .plotting import plot_spike_raster

    spikes = _output_spikes(learner, x)  # (T, L * F)
    fig, (ax_image, ax_raster) = plt.subplots(
        1,
        2,
        figsize=(9.0, 3.6),
        gridspec_kw={"width_ratios": [1, 4]},
        layout="constrained",
    )
    height, width, channels = learner.image_shape_
    image = np.asarray(x, dtype=float).reshape(height, width, channels).mean(axis=2)
    ax_image.imshow(image, cmap="gray_r")
    ax_image.set_title(f"test image (label {label})", fontsize="small")
    ax_image.set_axis_off()
    plot_spike_raster(spikes, dt=learner.dt, ax=ax_raster)
    n_spikes = int(spikes.sum())
    ax_raster.set_ylabel("output neuron (location x filter)")
    ax_raster.set_title(
        f"{n_spikes} output spikes of {spikes.shape[1]} neurons", fontsize="small"
    )
    return _save_figure(fig, path), n_spikes


# ---------------------------------------------------------------------------
# shared arguments
# ---------------------------------------------------------------------------
def _add_output_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help=f"output folder, created if needed (default: ./{DEFAULT_OUT}/)",
    )


def _add_gallery_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--duration",
        type=_positive_float,
        default=200.0,
        help="simulated time in ms (default: 200)",
    )
    parser.add_argument(
        "--dt",
        type=_positive_float,
        default=0.25,
        help="time step in ms (default: 0.25)",
    )
    parser.add_argument(
        "--current",
        type=_finite_float,
        default=10.0,
        help="amplitude of the step current (default: 10, as in Izhikevich 2003)",
    )


def _add_dataset_argument(parser, default: str | None = "mnist") -> None:
    parser.add_argument(
        "--dataset",
        choices=tuple(DATASETS),
        default=default,
        help=(
            "bundled MNIST (28 x 28) or scikit-learn's digits (8 x 8)"
            + (f" (default: {default})" if default else "")
        ),
    )


# ---------------------------------------------------------------------------
# patterns
# ---------------------------------------------------------------------------
def _add_patterns(subparsers) -> None:
    parser = subparsers.add_parser(
        "patterns",
        help="draw the Izhikevich firing-pattern gallery",
        description=(
            "Simulate the seven Izhikevich (2003) cell classes under a step current "
            f"and write {PATTERNS_FILENAME} into the output folder."
        ),
    )
    _add_output_argument(parser)
    _add_gallery_arguments(parser)
    parser.set_defaults(func=_run_patterns)


def _run_patterns(args) -> int:
    _use_agg()
    from .neurons import izhikevich_step_responses
    from .plotting import plot_step_responses

    out_dir = _output_dir(args.out)
    onset = min(20.0, args.duration / 10)
    responses = izhikevich_step_responses(
        duration=args.duration, dt=args.dt, current=args.current, onset=onset
    )
    path = _save_figure(plot_step_responses(responses), out_dir / PATTERNS_FILENAME)
    print(f"wrote {path}")
    return 0


# ---------------------------------------------------------------------------
# demo
# ---------------------------------------------------------------------------
def _add_demo(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="learn STDP features on MNIST and read them out (the main demo)",
        description=(
            "Learn spiking features without labels on MNIST (a convolutional "
            "layer of 16 shared 5x5 filters with Diehl & Cook's STDP rule, "
            "stdp_lab.presets.mnist_conv, learning from the first "
            f"{DEMO_N_FIT} training images), then read the pooled spike counts "
            "of all training images out with LogisticRegression and with the "
            "vote classifier, scored on held-out MNIST test images. Writes "
            "receptive_fields.png, confusion_matrix.png, raster.png and "
            "report.json into the output folder."
        ),
    )
    parser.add_argument(
        "--n-train",
        type=_positive_int,
        default=None,
        help=(
            f"training images for the readouts (default: {DEMO_N_TRAIN}); the "
            f"learner learns from the first {DEMO_N_FIT} of them"
        ),
    )
    parser.add_argument(
        "--n-test",
        type=_positive_int,
        default=None,
        help=f"test images (default: {DEMO_N_TEST})",
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
        help=f"processes for the features (default: {DEMO_PARAMS.get('n_jobs')})",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=(
            f"a tiny run for tests: {QUICK_N_TRAIN} train / {QUICK_N_TEST} test "
            f"images, {QUICK_N_TIMESTEPS} time steps, one process"
        ),
    )
    _add_output_argument(parser)
    parser.set_defaults(func=_run_demo)


def _run_demo(args) -> int:
    start = time.perf_counter()
    if args.full and args.n_train is not None:
        raise CLIError("--full and --n-train exclude each other")
    out_dir = _output_dir(args.out)
    _use_agg()
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from .estimators import SpikeCountClassifier
    from .presets import mnist_conv

    params = dict(DEMO_PARAMS)
    n_train, n_test = DEMO_N_TRAIN, DEMO_N_TEST
    if args.quick:
        n_train, n_test = QUICK_N_TRAIN, QUICK_N_TEST
        params["n_timesteps"] = QUICK_N_TIMESTEPS
        params["n_jobs"] = 1  # starting worker processes would take longer
    if args.full:
        n_train = None
    if args.n_train is not None:
        n_train = args.n_train
    if args.n_test is not None:
        n_test = args.n_test
    if args.n_jobs is not None:
        params["n_jobs"] = args.n_jobs
    params.update(random_state=args.seed, verbose=1)
    learner = mnist_conv(**params)

    X_train, y_train, X_test, y_test = _load_data("mnist", n_train, n_test)
    n_train, n_test = len(X_train), len(X_test)
    # The learner needs few images (one pass, no labels); --full uses them all.
    n_fit = n_train if args.full else min(DEMO_N_FIT, n_train)

    t0 = time.perf_counter()
    learner.fit(X_train[:n_fit])
    fit_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    F_train = _transform(learner, X_train, "features (train)")
    F_test = _transform(learner, X_test, "features (test)")
    transform_seconds = time.perf_counter() - t0

    t0 = time.perf_counter()
    linear = make_pipeline(
        StandardScaler(), LogisticRegression(C=DEMO_C, max_iter=1000)
    )
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
    _, encoder, _ = learner._build(X_train.shape[1])
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


# ---------------------------------------------------------------------------
# train / evaluate
# ---------------------------------------------------------------------------
def _add_train(subparsers) -> None:
    from .estimators import SpikingFeatureLearner

    defaults = SpikingFeatureLearner().get_params()
    parser = subparsers.add_parser(
        "train",
        help="fit a spiking-feature pipeline and save it with joblib",
        description=(
            "Fit Pipeline(SpikingFeatureLearner, readout) on the training split and "
            "save it with joblib. Options left out keep the SpikingFeatureLearner "
            "defaults."
        ),
    )
    _add_dataset_argument(parser)
    parser.add_argument(
        "--connectivity",
        choices=("local", "conv", "dense"),
        default=None,
        help=f"layer type (default: {defaults['connectivity']})",
    )
    parser.add_argument(
        "--kernel-size",
        type=_positive_int,
        default=None,
        help="receptive field side in pixels (default: 3/7 of the image side)",
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
        help=f"training samples (default: {DEMO_N_TRAIN} for MNIST, all 1198 digits)",
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
        help=f"where to save the model (default: OUT/{MODEL_FILENAME})",
    )
    _add_output_argument(parser)
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
    import joblib
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from .estimators import SpikeCountClassifier, SpikingFeatureLearner

    for kind in ("rule", "neuron", "encoder", "competition"):
        _check_component(kind, getattr(args, kind))
    out_dir = _output_dir(args.out)
    model_path = args.model if args.model is not None else out_dir / MODEL_FILENAME
    _output_dir(model_path.parent, "--model")
    if model_path.is_dir():
        raise CLIError(f"--model {str(model_path)!r} is a folder")
    params = _train_params(args)
    learner = SpikingFeatureLearner(random_state=args.seed, verbose=1, **params)
    # Geometry (kernel larger than the image, ...) fails here, before the data load.
    learner._build(DATASETS[args.dataset])
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
        n_train = DEMO_N_TRAIN
    X_train, y_train, _, _ = _load_data(args.dataset, n_train, 1)
    t0 = time.perf_counter()
    model.fit(X_train, y_train)
    train_seconds = time.perf_counter() - t0
    try:
        joblib.dump(model, model_path)
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
            "Load a pipeline saved by 'stdp-lab train' (joblib; load only files you "
            "trust), score it on the test split, write confusion_matrix.png and "
            "evaluation.json into the output folder."
        ),
    )
    parser.add_argument(
        "--model",
        type=Path,
        default=None,
        help=f"the saved model (default: OUT/{MODEL_FILENAME})",
    )
    _add_dataset_argument(parser, default=None)
    parser.add_argument(
        "--n-test",
        type=_positive_int,
        default=None,
        help="test samples (default: all: 10000 for MNIST, 599 digits)",
    )
    _add_output_argument(parser)
    parser.set_defaults(func=_run_evaluate)


def _load_model(path: Path):
    import joblib

    if not path.is_file():
        raise CLIError(f"model file {str(path)!r} does not exist")
    try:
        model = joblib.load(path)
    except Exception as exc:  # unpickling raises many kinds of errors
        raise CLIError(
            f"cannot read model file {str(path)!r} ({type(exc).__name__}: {exc})"
        ) from None
    if not (hasattr(model, "predict") and hasattr(model, "n_features_in_")):
        raise CLIError(
            f"model file {str(path)!r} holds a {type(model).__name__}, not a fitted "
            "model from 'stdp-lab train'"
        )
    return model


def _run_evaluate(args) -> int:
    out_dir = _output_dir(args.out)
    model_path = args.model if args.model is not None else out_dir / MODEL_FILENAME
    model = _load_model(model_path)
    n_features = int(model.n_features_in_)
    dataset = args.dataset
    if dataset is None:
        matches = [name for name, n in DATASETS.items() if n == n_features]
        if not matches:
            raise CLIError(
                f"the model expects {n_features} features, which matches no data set "
                f"({', '.join(f'{k}: {v}' for k, v in DATASETS.items())})"
            )
        dataset = matches[0]
    elif DATASETS[dataset] != n_features:
        raise CLIError(
            f"the model expects {n_features} features but --dataset {dataset} has "
            f"{DATASETS[dataset]}"
        )
    _use_agg()
    _, _, X_test, y_test = _load_data(dataset, 1, args.n_test)
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


# ---------------------------------------------------------------------------
# window
# ---------------------------------------------------------------------------
def _stdp_rule_names() -> list[str]:
    """Names in RULES whose rule is spike-timing based (defined in plasticity.stdp)."""
    from .plasticity import RULES, make_rule, stdp

    return [name for name in RULES if type(make_rule(name)).__module__ == stdp.__name__]


def _add_window(subparsers) -> None:
    parser = subparsers.add_parser(
        "window",
        help="measure and plot the STDP windows of plasticity rules",
        description=(
            "Run isolated pre/post spike pairs through the simulator for each rule "
            "(stdp_lab.network.measure_stdp_window), plot weight change against "
            "t_post - t_pre in stdp_window.png and print each rule's peak "
            "potentiation and depression."
        ),
    )
    parser.add_argument(
        "--rules",
        type=_name_list,
        default=None,
        help="comma-separated rule names (default: every spike-timing rule: "
        "stdp, stdp_multiplicative, triplet, simplified_stdp, diehl_cook)",
    )
    parser.add_argument(
        "--max-delay",
        type=_positive_float,
        default=50.0,
        help="largest |t_post - t_pre| in ms (default: 50)",
    )
    parser.add_argument(
        "--spacing",
        type=_positive_float,
        default=1.0,
        help="ms between measured delays, a multiple of dt (default: 1)",
    )
    parser.add_argument(
        "--dt", type=_positive_float, default=1.0, help="time step in ms (default: 1)"
    )
    _add_output_argument(parser)
    parser.set_defaults(func=_run_window)


def _run_window(args) -> int:
    rules = _check_rules(args.rules) if args.rules else _stdp_rule_names()
    ratio = args.spacing / args.dt
    if abs(ratio - round(ratio)) > 1e-9:
        raise CLIError(
            f"--spacing {args.spacing:g} is not a multiple of --dt {args.dt:g}"
        )
    out_dir = _output_dir(args.out)
    _use_agg()
    import matplotlib.pyplot as plt

    from .network import measure_stdp_window
    from .plotting import plot_stdp_window

    n_side = int(args.max_delay // args.spacing)
    if n_side < 1:
        raise CLIError(
            f"--max-delay {args.max_delay:g} is below --spacing {args.spacing:g}"
        )
    side = np.arange(1, n_side + 1) * args.spacing  # (n_side,), ms
    delays = np.concatenate([-side[::-1], side])  # (2 n_side,), no 0: same step
    fig, ax = plt.subplots(figsize=(6.5, 4.0), layout="constrained")
    lines = []
    for name in rules:
        dw = measure_stdp_window(name, delays, dt=args.dt)
        # a NaN at 0 ms breaks the line between the two sides of the window
        plot_stdp_window(
            np.insert(delays, n_side, 0.0),
            np.insert(dw, n_side, np.nan),
            ax=ax,
            label=name,
            marker=".",
        )
        up, down = int(np.argmax(dw)), int(np.argmin(dw))
        potentiation = (
            f"peak potentiation {dw[up]:+.3g} at {delays[up]:+g} ms"
            if dw[up] > 0
            else "no potentiation"
        )
        depression = (
            f"peak depression {dw[down]:+.3g} at {delays[down]:+g} ms"
            if dw[down] < 0
            else "no depression"
        )
        lines.append(f"{name}: {potentiation}, {depression}")
    ax.set_title("Measured STDP windows (isolated pairs, weight 0.5)", fontsize="small")
    path = _save_figure(fig, out_dir / "stdp_window.png")
    print("\n".join(lines))
    print(f"wrote {path}")
    return 0


# ---------------------------------------------------------------------------
# compare
# ---------------------------------------------------------------------------
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
        from .plasticity import RULES

        rules = list(RULES)
    rules = _check_rules(rules)
    seeds = tuple(seeds) if seeds is not None else (0, 1, 2)
    out_dir = _output_dir(args.out)
    try:
        from .compare import compare_rules
    except ImportError as exc:
        raise CLIError(f"stdp_lab.compare cannot be imported: {exc}") from None
    _use_agg()
    shared = {} if n_timesteps is None else {"n_timesteps": n_timesteps}
    X_train, y_train, X_test, y_test = _load_data(args.dataset, n_train, n_test)
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


# ---------------------------------------------------------------------------
# entry point
# ---------------------------------------------------------------------------
_SUBCOMMANDS = (
    _add_demo,
    _add_train,
    _add_evaluate,
    _add_window,
    _add_patterns,
    _add_compare,
)


def build_parser() -> argparse.ArgumentParser:
    """Return the ``stdp-lab`` argument parser with every subcommand."""
    from . import __version__

    parser = _Parser(
        prog=PROG,
        description=(
            "stdp_lab: unsupervised feature learning with spiking neural networks."
        ),
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    subparsers = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=_Parser
    )
    for add in _SUBCOMMANDS:
        add(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``stdp-lab`` command; return the exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    code : int
        0 on success, 2 on a user error (reported as one line on stderr).
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 0
        return int(args.func(args))
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    except (CLIError, OSError, ValueError) as exc:
        message = " ".join(str(exc).split())  # one line
        print(f"{PROG}: error: {message}", file=sys.stderr)
        return 2
