"""Write a plasticity rule of your own and train a locally connected layer with it
===============================================================================

The rule below is the instar rule (Grossberg 1976): when a neuron spikes, each
of its weights moves towards the recent activity of its input,
``dw = lr * post_spike * (pre_trace - w)``, so a neuron's weights become the
average input pattern that made it fire. It is one class; the layer, the
competition and the simulator are unchanged.

Run ``python examples/custom_rule.py``.
"""

import numpy as np

from stdp_lab.connectivity import LocallyConnected2D
from stdp_lab.datasets import load_digits
from stdp_lab.encoding import PoissonEncoder
from stdp_lab.network import Layer, simulate
from stdp_lab.neurons import AdaptiveLIF
from stdp_lab.plasticity import Rule, TraceSpec


class Instar(Rule):
    """dw = lr * post_spike * (pre_trace - w) (Grossberg 1976)."""

    def __init__(self, learning_rate=0.01, tau_pre=20.0):
        self.learning_rate = learning_rate
        self.tau_pre = tau_pre

    def pre_traces(self):
        return (TraceSpec(self.tau_pre, "reset"),)

    def post_traces(self):
        return ()

    def delta(self, pre, post, weights):
        towards = np.einsum("slk,slf->lkf", pre.trace, post.spikes)  # (L, K, F)
        n_post = post.spikes.sum(axis=0)[:, None, :]  # (L, 1, F)
        return self.learning_rate * (towards - n_post * weights)


def main():
    images, _ = load_digits()
    X = images.reshape(len(images), -1) / 16.0  # (n, 64) in [0, 1]
    conn = LocallyConnected2D((8, 8), kernel_size=4, stride=2, n_filters=8)
    # resistance = tau_mem / dt: an input spike of weight w raises v by about w.
    neuron = AdaptiveLIF(resistance=20.0, theta_plus=0.01)
    layer = Layer(conn, neuron=neuron, competition="wta", rule=Instar())
    rng = np.random.default_rng(0)
    params = [layer.initial_params(rng)]
    before = params[0].weights.copy()
    encoder = PoissonEncoder(max_rate=128.0)
    for start in range(0, 640, 32):
        batch = X[start : start + 32]
        seeds = rng.integers(2**32, size=len(batch))
        params = simulate(
            [layer], params, encoder.steps(batch, 50, 1.0, seeds), learn=True
        ).params
    weights = params[0].weights  # (L, K, F)
    # Patches of the training images at each location, to compare the filters with.
    patches = conn.patches(X[:640])  # (n, L, K)
    mean_patch = patches.mean(axis=0)  # (L, K)
    fit_before = np.abs(before - mean_patch[..., None]).mean()
    fit_after = np.abs(weights - mean_patch[..., None]).mean()
    print(f"Instar rule trained a {conn.n_locations}-location layer on 640 digits.")
    print(
        f"mean |w - average input patch|: {fit_before:.3f} before, "
        f"{fit_after:.3f} after"
    )
    return fit_after < fit_before


if __name__ == "__main__":
    # Exit with an error only if the filters did not move: the documentation's
    # gallery runs this script inside the Sphinx process, which SystemExit stops.
    if not main():
        raise SystemExit("the filters did not move towards the input patches")
