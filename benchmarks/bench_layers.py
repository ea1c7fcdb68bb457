"""Time per step and synaptic events per second of a locally connected layer.

28x28 MNIST digits, kernel 12, stride 4 (5 x 5 = 25 locations), 25 filters per
location (625 adaptive LIF neurons), Poisson input at up to 128 Hz, pair STDP,
batch 1 and 64, learning on and off. A synaptic event is one input spike arriving
at one synapse: the events of a step are the input spikes times the number of
synapses each input feeds (its number of locations times the filters).

Run::

    python benchmarks/bench_layers.py [--steps 100] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np
from _common import write_json

from stdp_lab.competition import Competition
from stdp_lab.connectivity import LocallyConnected2D
from stdp_lab.datasets import load_mnist
from stdp_lab.encoding import PoissonEncoder
from stdp_lab.network import Layer, simulate


def run(batch: int, learn: bool, n_steps: int, X: np.ndarray) -> dict:
    conn = LocallyConnected2D((28, 28), kernel_size=12, stride=4, n_filters=25)
    layer = Layer(
        conn,
        neuron="adaptive_lif",
        competition=Competition(k=1, inhibition=5.0),
        rule="stdp" if learn else None,
    )
    rng = np.random.default_rng(0)
    params = [layer.initial_params(rng, np.float32)]
    fan_out = np.bincount(conn.index.ravel(), minlength=conn.n_inputs) * conn.n_filters
    encoder = PoissonEncoder(max_rate=128.0)
    x = X[:batch].astype(np.float32) / 255.0
    seeds = np.arange(batch)
    steps = encoder.steps(x, n_steps, 1.0, seeds)
    events = sum(float((s @ fan_out).sum()) for s in steps)
    simulate([layer], params, encoder.steps(x, 5, 1.0, seeds), learn=learn)  # warm-up
    best = np.inf
    for _ in range(3):
        start = time.perf_counter()
        simulate([layer], params, encoder.steps(x, n_steps, 1.0, seeds), learn=learn)
        best = min(best, time.perf_counter() - start)
    return {
        "batch": batch,
        "learn": learn,
        "n_steps": n_steps,
        "ms_per_step": 1e3 * best / n_steps,
        "synaptic_events_per_s": events / best,
        "samples_per_s": batch / best,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument(
        "--out", default=str(Path(__file__).parent / "results" / "layers.json")
    )
    args = parser.parse_args(argv)
    X = load_mnist(n_train=64, n_test=10)[0]
    rows = [run(b, learn, args.steps, X) for b in (1, 64) for learn in (False, True)]
    print(f"{'batch':>5} {'learn':>5} {'ms/step':>8} {'events/s':>10} {'samples/s':>9}")
    for r in rows:
        print(
            f"{r['batch']:>5} {r['learn']!s:>5} {r['ms_per_step']:>8.3f} "
            f"{r['synaptic_events_per_s']:>10.3g} {r['samples_per_s']:>9.1f}"
        )
    meta = {
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "numpy": np.__version__,
    }
    write_json({"meta": meta, "results": rows}, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
