"""Shared pieces of the ``stdp-lab`` subcommands: CLIError, argument types, output
folder/JSON/figure helpers, data loading and the arguments several subcommands take."""

from __future__ import annotations

import argparse
import json
import math
import numbers
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .. import cli as _cli

# Constants and _load_data are looked up on the stdp_lab.cli package at call
# time, so that tests can monkeypatch them there.


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
#: Folders this run of the command created, outermost first: a failed run
#: removes those it left empty (see ``stdp_lab.cli.main``).
CREATED_FOLDERS: list[Path] = []


def _output_dir(path: Path, option: str = "--out") -> Path:
    """Create the folder ``path`` (given by ``option``) if needed; fail with one
    clear line if it cannot be created or written."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    try:
        path.mkdir(parents=True, exist_ok=True)
        CREATED_FOLDERS.extend(reversed(missing))
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
    from ..plasticity import RULES

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
        from ..neurons import make_neuron as make
    elif kind == "encoder":
        from ..encoding import make_encoder as make
    elif kind == "competition":
        from ..competition import make_competition as make
    else:
        from ..plasticity import make_rule as make
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
        from ..datasets import load_mnist

        X_train, y_train, X_test, y_test = load_mnist(
            n_train=n_train, n_test=n_test, random_state=0
        )
        return X_train.astype(np.float32), y_train, X_test.astype(np.float32), y_test
    from sklearn.model_selection import train_test_split

    from ..datasets import load_digits

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
    from .._validation import check_pair

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
    from ..estimators import _row_seeds
    from ..network import LayerParams, simulate

    X = np.asarray(x)
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)  # as the learner's validate_data does
    X = X.reshape(1, -1)  # (1, n_features)
    _, _, _, encoder = learner._build(X.shape[1], learner.image_shape_)
    seeds = _row_seeds(X, learner.transform_seed_)
    n_timesteps = learner._transform_steps()
    steps = encoder.steps(learner._scale(X), n_timesteps, learner.dt, seeds)
    result = simulate(
        [learner.layer_],
        [
            LayerParams(
                learner.weights_,
                learner.thresholds_,
                getattr(learner, "lateral_weights_", None),
            )
        ],
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
    from ..plotting import plot_receptive_fields

    im = plot_receptive_fields(learner.weights_, _patch_shape(learner))
    im.axes.set_title(title, fontsize="small")
    return _save_figure(im.axes.figure, path)


def _save_confusion_matrix(y_true, y_pred, path: Path, title: str) -> Path:
    from ..plotting import plot_confusion_matrix

    display = plot_confusion_matrix(y_true, y_pred)
    display.ax_.set_title(title, fontsize="small")
    return _save_figure(display.figure_, path)


def _save_raster(learner, x, label, path: Path) -> tuple[Path, int]:
    import matplotlib.pyplot as plt

    from ..plotting import plot_spike_raster

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
def _add_engine_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--engine",
        choices=("auto", "numba", "numpy"),
        default="auto",
        help=(
            "simulation engine: the compiled one where every part of a layer "
            "has a compiled form (auto, the default), insisting on it (numba) "
            "or the numpy reference (numpy)"
        ),
    )


def _add_output_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        type=Path,
        default=_cli.DEFAULT_OUT,
        help=f"output folder, created if needed (default: ./{_cli.DEFAULT_OUT}/)",
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
        choices=tuple(_cli.DATASETS),
        default=default,
        help=(
            "bundled MNIST (28 x 28) or scikit-learn's digits (8 x 8)"
            + (f" (default: {default})" if default else "")
        ),
    )
