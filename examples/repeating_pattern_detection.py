"""A single spiking neuron learns without supervision to detect a hidden spike pattern
===================================================================================

2000 afferents fire as Poisson processes at 50 Hz. Half of them repeat the same
50 ms spike pattern at random times (about one repeat per 200 ms); the pattern
has the background's rate, so it shows only in the spike coincidences
(:func:`stdp_lab.datasets.make_repeating_pattern`; Masquelier, Guyonneau &
Thorpe 2008). One LIF neuron reads all afferents through plastic weights and is
simulated step by step on the continuous stream with online learning
(``simulate(..., update_every=1)``). At the start it fires at random; as the
synapses of the afferents that fire just before its spikes inside the pattern
grow and the others shrink, it fires at every repeat and nowhere else, and its
spikes move towards the pattern's start.

The script prints, for the first and the last third of the run, the hit rate
(fraction of repeats with an output spike inside the 50 ms pattern window), the
false alarm rate (output spikes outside the repeats, per second), the hit rate
that chance alone would give at that false alarm rate, and the latency from
pattern onset to the first output spike, early vs late. The figure shows the
latency at each presentation and the final weights of the pattern afferents and
of the others.

Measured: with ``--quick`` (10 s of input), seeds 0-5 all give a hit rate of
1.00 in the last third with 0-0.4 false alarms per second (about 20 per second
in the first third), and the latency falls from 6-10 ms to 1-4 ms; the default
run (30 s, seed 0) ends at hit rate 0.96, no false alarm, latency 7.8 -> 0.5
ms. Each run is deterministic for its seed. The choices that make it work:

* Rule: the post-triggered STDP of Diehl & Cook (2015),
  ``DiehlCookSTDP(learning_rate=0.02, x_tar=0.7, tau_pre=10)``: at each output
  spike a synapse grows with its presynaptic trace and shrinks by ``x_tar``, so
  afferents silent in the 10 ms before the spike are depressed (the trace of a
  50 Hz afferent averages 0.5 < 0.7: random input loses). Pair STDP
  (``--rule stdp``, ``PairSTDP(a_plus=0.02, a_minus=0.014, tau_pre=16.8,
  tau_post=33.7)``, the time constants of Masquelier et al.) only reached hit
  rates of 0.1-0.7 with 1-4 false alarms per second after 20-60 s on this
  input; with a plain LIF the neuron fell silent before it had locked on.
* Neuron: an adaptive threshold (``AdaptiveLIF``, +10 per spike, decaying with
  500 ms) on a base threshold of 50 keeps the neuron firing a few times per
  second while depression removes the background weights: without it, the
  depression-dominated rule silences the neuron for good. The input resistance
  equals ``tau_mem`` / (1 ms), so an input spike of weight w raises v by about
  w.

Run ``python examples/repeating_pattern_detection.py [--quick] [--out F.png]``;
``--quick`` simulates 10 s of input instead of 30 s.

Reference: Masquelier, T., Guyonneau, R. & Thorpe, S. J. (2008). Spike timing
dependent plasticity finds the start of repeating patterns in continuous spike
trains. PLoS ONE 3(1), e1377.
"""

import argparse
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from stdp_lab.connectivity import Dense  # noqa: E402
from stdp_lab.datasets import make_repeating_pattern  # noqa: E402
from stdp_lab.network import Layer, LayerParams, simulate  # noqa: E402
from stdp_lab.neurons import AdaptiveLIF  # noqa: E402
from stdp_lab.plasticity import DiehlCookSTDP, PairSTDP  # noqa: E402

N_AFFERENTS = 2000
RATE = 50.0  # Hz
PATTERN = 50.0  # ms
DT = 1.0  # ms
W_INIT = 0.475  # initial weight of every synapse (Masquelier et al. 2008)


def make_rule(name):
    if name == "stdp":
        return PairSTDP(a_plus=0.02, a_minus=0.014, tau_pre=16.8, tau_post=33.7)
    return DiehlCookSTDP(learning_rate=0.02, x_tar=0.7, tau_pre=10.0)


def first_spike_latencies(out_steps, onset_steps, n_pattern):
    """Latency (steps) of the first output spike inside each repeat, NaN if none."""
    # For each onset, the first output spike at or after it.
    first = np.searchsorted(out_steps, onset_steps)  # (n_repeats,)
    padded = np.append(out_steps, np.iinfo(np.int64).max)
    latency = padded[first] - onset_steps  # (n_repeats,)
    return np.where(latency < n_pattern, latency, np.nan).astype(float)


def detection_stats(out_steps, onset_steps, n_pattern, lo, hi):
    """Hit rate, false alarms per second and chance hit rate over steps [lo, hi)."""
    in_window = (onset_steps >= lo) & (onset_steps + n_pattern <= hi)
    latency = first_spike_latencies(out_steps, onset_steps[in_window], n_pattern)
    hit_rate = float(np.mean(~np.isnan(latency))) if latency.size else float("nan")
    inside = np.zeros(hi - lo, dtype=bool)  # steps lo..hi-1 inside a repeat
    for onset in onset_steps[(onset_steps < hi) & (onset_steps + n_pattern > lo)]:
        inside[max(onset, lo) - lo : min(onset + n_pattern, hi) - lo] = True
    spikes = out_steps[(out_steps >= lo) & (out_steps < hi)] - lo
    n_false = int(np.sum(~inside[spikes]))
    seconds_outside = np.sum(~inside) * DT / 1000.0
    false_alarms = n_false / seconds_outside
    # A Poisson neuron firing at that rate would hit a 50 ms window this often.
    chance = 1.0 - np.exp(-false_alarms * n_pattern * DT / 1000.0)
    return hit_rate, false_alarms, chance


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--out", default="repeating_pattern_detection.png")
    parser.add_argument("--quick", action="store_true", help="10 s of input")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rule", choices=("diehl_cook", "stdp"), default="diehl_cook")
    args = parser.parse_args(argv)

    duration = 10_000.0 if args.quick else 30_000.0  # ms
    spikes, onsets = make_repeating_pattern(
        N_AFFERENTS,
        duration,
        rate=RATE,
        pattern_duration=PATTERN,
        pattern_fraction=0.5,
        dt=DT,
        random_state=args.seed,
    )
    n_steps = spikes.shape[0]
    n_pattern = int(round(PATTERN / DT))
    onset_steps = np.rint(onsets / DT).astype(np.int64)

    neuron = AdaptiveLIF(
        tau_mem=10.0,
        v_thresh=50.0,
        t_ref=1.0,
        resistance=10.0,
        theta_plus=10.0,
        tau_theta=500.0,
    )
    layer = Layer(
        Dense(N_AFFERENTS, n_filters=1),
        neuron=neuron,
        rule=make_rule(args.rule),
        w_min=0.0,
        w_max=1.0,
    )
    params = LayerParams(np.full((1, N_AFFERENTS, 1), W_INIT))  # (1, N, 1)
    start = time.perf_counter()
    result = simulate(
        [layer],
        [params],
        iter(spikes[:, None, :]),  # one (1, N) array per step
        learn=True,
        dt=DT,
        record=("spikes",),
        update_every=1,
    )
    seconds = time.perf_counter() - start
    out_steps = np.flatnonzero(result.records["spikes"][0][:, 0, 0, 0])  # (n_out,)
    weights = result.params[0].weights[0, :, 0]  # (N,)

    print(
        f"{N_AFFERENTS} afferents, {duration / 1000:.0f} s of input, "
        f"{len(onsets)} repeats, rule {args.rule}, simulated in {seconds:.1f} s"
    )
    third = n_steps // 3
    for name, lo, hi in (("first", 0, third), ("last", n_steps - third, n_steps)):
        hit, false_alarms, chance = detection_stats(
            out_steps, onset_steps, n_pattern, lo, hi
        )
        print(
            f"{name} third: hit rate {hit:.2f}, false alarms {false_alarms:.2f}/s, "
            f"chance hit rate {chance:.2f}"
        )
    latency = first_spike_latencies(out_steps, onset_steps, n_pattern) * DT  # ms
    detected = np.flatnonzero(~np.isnan(latency))
    n_avg = min(10, max(1, len(detected) // 2))
    if len(detected):
        early = float(np.mean(latency[detected[:n_avg]]))
        late = float(np.mean(latency[detected[-n_avg:]]))
        print(
            f"latency (ms): first {n_avg} detections {early:.1f}, "
            f"last {n_avg} {late:.1f}"
        )
    else:
        print("latency (ms): no detection")

    # Afferents of the pattern: the same spikes at every repeat.
    window = onset_steps[:, None] + np.arange(n_pattern)[None, :]  # (R, P)
    segments = spikes[window]  # (R, P, N)
    involved = np.all(segments == segments[:1], axis=(0, 1))  # (N,)

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
    left.plot(detected, latency[detected], ".", color="C0")
    left.set_xlabel("presentation of the pattern")
    left.set_ylabel("latency of the first output spike (ms)")
    left.set_ylim(-1, PATTERN)
    left.set_title("latency to pattern onset")
    bins = np.linspace(0.0, 1.0, 41)
    right.hist(weights[involved], bins=bins, alpha=0.7, label="pattern afferents")
    right.hist(weights[~involved], bins=bins, alpha=0.7, label="other afferents")
    right.set_yscale("log")
    right.set_xlabel("final weight")
    right.set_ylabel("afferents")
    right.legend()
    right.set_title("weights after learning")
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
