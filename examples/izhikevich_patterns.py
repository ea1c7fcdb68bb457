"""Draw the Izhikevich (2003) firing-pattern gallery and save it as a PNG
======================================================================

Run::

    python examples/izhikevich_patterns.py [--out izhikevich_patterns.png]

Seven cortical and thalamic cell classes (regular spiking, intrinsically
bursting, chattering, fast spiking, low-threshold spiking, thalamo-cortical,
resonator) share one two-variable model and differ only in four parameters. Each
is driven by the same step current; the figure shows their membrane potentials.
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # write a file; no window needed

from stdp_lab.neurons import izhikevich_step_responses  # noqa: E402
from stdp_lab.plotting import plot_firing_patterns  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("izhikevich_patterns.png"),
        help="where to write the PNG (default: ./izhikevich_patterns.png)",
    )
    parser.add_argument("--duration", type=float, default=200.0, help="ms")
    args = parser.parse_args()

    fig = plot_firing_patterns(duration=args.duration, dt=0.25, current=10.0)
    fig.savefig(args.out, dpi=120)  # the figure stays open for the docs' gallery

    responses = izhikevich_step_responses(duration=args.duration)
    counts = responses.spikes.sum(axis=0)  # (n_presets,)
    for name, count in zip(responses.names, counts, strict=True):
        print(f"{name:>24s}: {count} spikes")
    print(f"wrote {args.out.resolve()}")


if __name__ == "__main__":
    main()
