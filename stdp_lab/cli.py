"""The ``stdp-lab`` command (also ``python -m stdp_lab``).

Each subcommand is one ``_add_<name>(subparsers)`` function that builds its
parser and sets ``func`` to one ``_run_<name>(args) -> int`` function; adding a
subcommand (train, evaluate, window, compare) means writing these two and listing
the first in ``_SUBCOMMANDS``. User errors raise :class:`CLIError` (or
``OSError``/``ValueError``) and are printed as one line
``stdp-lab: error: ...`` on stderr, with a non-zero exit code and no traceback.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path

PROG = "stdp-lab"
DEFAULT_OUT = Path("stdp-lab-out")
PATTERNS_FILENAME = "izhikevich_patterns.png"

__all__ = ["main", "CLIError"]


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


def _output_dir(path: Path) -> Path:
    """Create the output folder if needed; fail with one clear line otherwise."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise CLIError(f"--out {str(path)!r} exists and is not a folder") from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise CLIError(f"cannot create output folder {str(path)!r}: {reason}") from None
    if not path.is_dir():
        raise CLIError(f"--out {str(path)!r} is not a folder")
    return path


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


# ---------------------------------------------------------------------------
# shared work
# ---------------------------------------------------------------------------
def _save_gallery(args) -> tuple[Path, object]:
    """Simulate the Izhikevich presets, save the gallery PNG; return path, data."""
    import matplotlib

    matplotlib.use("Agg")  # the CLI only writes files
    import matplotlib.pyplot as plt

    from .neurons import izhikevich_step_responses
    from .plotting import plot_step_responses

    out_dir = _output_dir(args.out)
    path = out_dir / PATTERNS_FILENAME
    onset = min(20.0, args.duration / 10)
    responses = izhikevich_step_responses(
        duration=args.duration, dt=args.dt, current=args.current, onset=onset
    )
    fig = plot_step_responses(responses)
    try:
        fig.savefig(path, dpi=120)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise CLIError(f"cannot write {str(path)!r}: {reason}") from None
    finally:
        plt.close(fig)
    return path, responses


# ---------------------------------------------------------------------------
# subcommands
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
    path, _ = _save_gallery(args)
    print(f"wrote {path}")
    return 0


def _add_demo(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the demonstration (for now: the spiking-neuron gallery)",
        description=(
            "Run a small spiking simulation and write its figure into the output "
            "folder. The unsupervised-learning demo (STDP on locally connected "
            "layers) will replace it in a later version."
        ),
    )
    _add_output_argument(parser)
    _add_gallery_arguments(parser)
    parser.set_defaults(func=_run_demo)


def _run_demo(args) -> int:
    path, responses = _save_gallery(args)
    counts = responses.spikes.sum(axis=0)  # (n_presets,)
    n_steps = responses.spikes.shape[0]
    listing = ", ".join(
        f"{name.replace('_', ' ')} {int(n)}"
        for name, n in zip(responses.names, counts, strict=True)
    )
    print(
        f"Simulated {len(responses.names)} Izhikevich (2003) neurons, one per cell "
        f"class, for {args.duration:g} ms ({n_steps} steps of {args.dt:g} ms) as one "
        f"batched layer, driven by a step current of {args.current:g} switched on "
        f"at {responses.onset:g} ms. Spike counts: {listing}. The figure with "
        f"their membrane potentials is in {path}. The unsupervised-learning demo "
        "(STDP features on MNIST) comes in a later version."
    )
    return 0


_SUBCOMMANDS = (_add_patterns, _add_demo)


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
