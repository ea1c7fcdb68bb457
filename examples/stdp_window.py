"""Measured STDP windows of the pair and triplet rules
===================================================

Each point is one isolated pre/post pair run through the simulator
(:func:`stdp_lab.network.measure_stdp_window`). The left panel shows the
pair-based rule (Song, Miller & Abbott 2000; Bi & Poo 1998's window shape) in its
additive and multiplicative forms; the right panel shows the minimal triplet rule
of Pfister & Gerstner (2006) for isolated pairs and for pairs repeated at 20 Hz,
where the extra post-synaptic spikes turn the triplet term on.

Run ``python examples/stdp_window.py [--out stdp_window.png]``.
"""

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from stdp_lab.network import measure_stdp_window  # noqa: E402
from stdp_lab.plasticity import PairSTDP, TripletSTDP  # noqa: E402
from stdp_lab.plotting import plot_stdp_window  # noqa: E402


def triplet_at_frequency(rule, delays, frequency, n_pairs=10):
    """Mean weight change per pair when pairs repeat at ``frequency`` Hz."""
    from stdp_lab.connectivity import Dense
    from stdp_lab.network import Layer, LayerParams, simulate
    from stdp_lab.neurons import IF

    period = int(round(1000.0 / frequency))
    out = []
    for d in delays:
        d = int(d)
        start = abs(d) + 1
        n_steps = start + n_pairs * period + abs(d) + 2
        train = np.zeros((n_steps, 1, 2), dtype=bool)  # (T, B, inputs)
        for p in range(n_pairs):
            t_pre = start + p * period + max(0, -d)
            train[t_pre, 0, 0] = True
            train[t_pre + d, 0, 1] = True
        layer = Layer(
            Dense(2, n_filters=1),
            neuron=IF(t_ref=0.0),
            rule=rule,
            w_min=-1e6,
            w_max=1e6,
        )
        res = simulate(
            [layer], [LayerParams(np.array([[[0.5], [1.0]]]))], iter(train), learn=True
        )
        out.append((res.params[0].weights[0, 0, 0] - 0.5) / n_pairs)
    return np.array(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--out", default="stdp_window.png")
    parser.add_argument("--quick", action="store_true", help="fewer delays (for tests)")
    args = parser.parse_args(argv)
    spacing = 10 if args.quick else 2
    delays = np.array([d for d in range(-50, 51, spacing) if d != 0], dtype=float)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
    for dependence in ("additive", "multiplicative"):
        rule = PairSTDP(weight_dependence=dependence)
        plot_stdp_window(
            delays,
            measure_stdp_window(rule, delays),
            ax=left,
            label=f"pair STDP, {dependence} (w = 0.5)",
        )
    left.set_title("Pair-based STDP")
    triplet = TripletSTDP()
    plot_stdp_window(
        delays, measure_stdp_window(triplet, delays), ax=right, label="isolated pairs"
    )
    near = delays[np.abs(delays) < 25]  # pairs 50 ms apart: keep each pair distinct
    plot_stdp_window(
        near,
        triplet_at_frequency(triplet, near, 20.0),
        ax=right,
        label="pairs at 20 Hz (per pair)",
        marker="s",
    )
    right.set_title("Triplet STDP (Pfister & Gerstner 2006, minimal)")
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
