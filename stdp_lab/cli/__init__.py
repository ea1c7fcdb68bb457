"""The ``stdp-lab`` command (also ``python -m stdp_lab``).

Subcommands:

- ``demo``: learn locally connected STDP features on MNIST, read them out with
  LogisticRegression and with the vote classifier, write figures and a report;
- ``train`` / ``evaluate``: fit a pipeline with every model choice as an option,
  save it as a skops file (:mod:`stdp_lab.io`); load one and score it on the
  test split;
- ``window``: measured STDP windows of the plasticity rules;
- ``patterns``: the Izhikevich (2003) firing-pattern gallery;
- ``compare``: every rule on the same architecture, each at a learning rate tuned
  on a validation split, against baselines: a table, figures and a report.

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
import sys
from collections.abc import Sequence
from pathlib import Path

# The subcommands live in one module each, their shared helpers in _common.
# The subcommands look _load_data and the constants below up here at call time,
# so that tests can monkeypatch them on this module.
from .._config import config_context
from ._common import (  # noqa: F401
    CREATED_FOLDERS,
    CLIError,
    _json_safe,
    _load_data,
    _output_spikes,
    _Parser,
)
from ._compare import _add_compare
from ._demo import _add_demo
from ._explore import (
    _add_patterns,
    _add_window,
    _stdp_rule_names,  # noqa: F401
)
from ._train import _add_evaluate, _add_train

PROG = "stdp-lab"
DEFAULT_OUT = Path("stdp-lab-out")
PATTERNS_FILENAME = "izhikevich_patterns.png"
#: Most time steps ``patterns`` simulates (about 150 bytes of records each).
PATTERNS_MAX_STEPS = 2_000_000
MODEL_FILENAME = "model.skops"

#: Learner configuration of ``stdp-lab demo`` (``SpikingFeatureLearner`` keyword
#: arguments; ``random_state`` comes from ``--seed``, ``verbose`` is set to 1).
#: The learner is :func:`stdp_lab.presets.mnist_conv` with these: its counts
#: summed over overlapping 4 x 4 windows of its 12 x 12 locations at stride 1
#: (9 x 9 windows x 16 filters = 1,296 features). Chosen on a validation split
#: (learning from 2,000 training images, readout on 10,000, scored on the last
#: 10,000 of the training set): 97.53% with the demo's readout, against 96.60%
#: for the preset's 2 x 2 windows read out by StandardScaler and
#: LogisticRegression(C=0.1) (3 x 3 windows at stride 1: 97.38%; 4 x 4 at
#: stride 2: 97.18%).
DEMO_PARAMS = {"pooling": 4, "pooling_stride": 1}
#: Processes for the demo's features (``--n-jobs``): the compiled engine uses
#: the cores with threads within one process (two processes start, load the
#: kernels and receive the model for 3-4 s more on 2 cores); the numpy engine
#: uses them with processes.
DEMO_N_JOBS = {"numba": 1, "numpy": 2}
#: MNIST training and test images of the default demo (the full test set).
DEMO_N_TRAIN = 10_000
DEMO_N_TEST = 10_000
#: The learner learns from the first DEMO_N_FIT training images (one pass, no
#: labels); the readouts are trained on the features of all DEMO_N_TRAIN.
DEMO_N_FIT = 2_000
#: Inverse regularisation of the demo's logistic regression, which reads the
#: square roots of the counts (they steady the variance of Poisson-like counts,
#: Anscombe 1948), standardised. Chosen, like the learner, on a validation
#: split of the training set: C 0.01 / 0.03 97.53 / 97.51%; the counts as they
#: are, C 0.1: 96.84%.
DEMO_C = 0.01
#: ``--quick``: a run of a few seconds, for tests.
QUICK_N_TRAIN = 300
QUICK_N_TEST = 200
QUICK_N_TIMESTEPS = 20
#: MNIST training and test images of ``stdp-lab compare`` (those of
#: ``benchmarks/bench_compare.py``); the digits use their whole split.
COMPARE_N_TRAIN = 5_000
COMPARE_N_TEST = 2_000

#: Data sets the subcommands can load, with their number of features.
DATASETS = {"mnist": 784, "digits": 64}

__all__ = ["main", "build_parser", "CLIError", "DEMO_PARAMS"]


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
    from .. import __version__

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
    CREATED_FOLDERS.clear()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 0
        with config_context(engine=getattr(args, "engine", "auto")):
            return int(args.func(args))
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        _remove_empty(CREATED_FOLDERS)
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except (CLIError, OSError, ValueError, ImportError, MemoryError) as exc:
        _remove_empty(CREATED_FOLDERS)
        message = " ".join(str(exc).split()) or type(exc).__name__  # one line
        print(f"{PROG}: error: {message}", file=sys.stderr)
        return 2


def _remove_empty(folders) -> None:
    """Remove the folders a failed run created and left empty (innermost
    first), so that it leaves nothing behind."""
    for folder in reversed(folders):
        try:
            folder.rmdir()  # only if empty
        except OSError:
            pass
