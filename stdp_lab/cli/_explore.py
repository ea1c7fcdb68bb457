"""The ``patterns`` (Izhikevich firing-pattern gallery) and ``window`` (measured
STDP windows) subcommands."""

from __future__ import annotations

import numpy as np

from .. import cli as _cli
from ._common import (
    CLIError,
    _add_engine_argument,
    _add_gallery_arguments,
    _add_output_argument,
    _check_rules,
    _name_list,
    _output_dir,
    _positive_float,
    _save_figure,
    _use_agg,
)

# Constants and _load_data are looked up on the stdp_lab.cli package at call
# time, so that tests can monkeypatch them there.


# ---------------------------------------------------------------------------
# patterns
# ---------------------------------------------------------------------------
def _add_patterns(subparsers) -> None:
    parser = subparsers.add_parser(
        "patterns",
        help="draw the Izhikevich firing-pattern gallery",
        description=(
            "Simulate the seven Izhikevich (2003) cell classes under a step current "
            f"and write {_cli.PATTERNS_FILENAME} into the output folder."
        ),
    )
    _add_output_argument(parser)
    _add_gallery_arguments(parser)
    parser.set_defaults(func=_run_patterns)


def _run_patterns(args) -> int:
    _use_agg()
    from ..neurons import izhikevich_step_responses
    from ..plotting import plot_step_responses

    n_steps = args.duration / args.dt
    if n_steps > _cli.PATTERNS_MAX_STEPS:  # refuse before allocating them
        raise CLIError(
            f"--duration {args.duration:g} ms at --dt {args.dt:g} ms is "
            f"{n_steps:.3g} steps, over the {_cli.PATTERNS_MAX_STEPS:,} the "
            "gallery draws (about 150 bytes each); shorten --duration or "
            "lengthen --dt"
        )
    out_dir = _output_dir(args.out)
    onset = min(20.0, args.duration / 10)
    responses = izhikevich_step_responses(
        duration=args.duration, dt=args.dt, current=args.current, onset=onset
    )
    path = _save_figure(
        plot_step_responses(responses), out_dir / _cli.PATTERNS_FILENAME
    )
    print(f"wrote {path}")
    return 0


# ---------------------------------------------------------------------------
# window
# ---------------------------------------------------------------------------
def _stdp_rule_names() -> list[str]:
    """Names in RULES whose rule is spike-timing based (defined in plasticity.stdp)."""
    from ..plasticity import RULES, make_rule, stdp

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
    _add_engine_argument(parser)
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

    from ..network import measure_stdp_window
    from ..plotting import plot_stdp_window

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
