"""The locally connected spiking network of Saunders et al. (2019) on MNIST
========================================================================

MNIST cropped to its central 20 x 20 pixels; a locally connected layer with
12 x 12 kernels at stride 4 (3 x 3 = 9 locations) and ``--n-filters`` filters per
location; the adaptive-threshold LIF neurons of Diehl & Cook (2015); one winner
per location and step, inhibition between the filters of a location and,
weaker, between locations; pair STDP; one pass over the training images. The
spike counts are read out by the vote of ``SpikeCountClassifier`` (labels used
only to assign neurons) and by a logistic regression. Saves the receptive fields
(one row per location) to ``--out``.

Run::

    python examples/mnist_local_stdp.py [--n-filters 25] [--n-train 60000]
        [--n-test 10000] [--out mnist_local_stdp.png] [--quick]
"""

from __future__ import annotations

import argparse
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from stdp_lab import (  # noqa: E402
    Competition,
    PairSTDP,
    SpikeCountClassifier,
    SpikingFeatureLearner,
)
from stdp_lab.datasets import load_mnist  # noqa: E402
from stdp_lab.plotting import plot_receptive_fields  # noqa: E402
from stdp_lab.presets import diehl_cook_neuron  # noqa: E402

#: Saunders et al. (2019): 95.07% vote accuracy with 1000 filters per location
#: (9,000 neurons) after one pass.
PAPER = "95.07% with 1000 filters per location (9,000 neurons), one pass"


def crop(X: np.ndarray) -> np.ndarray:
    """Central 20 x 20 pixels of flattened 28 x 28 images."""
    return X.reshape(-1, 28, 28)[:, 4:24, 4:24].reshape(len(X), 400)


def lc_snn(n_filters: int, **params) -> SpikingFeatureLearner:
    config = dict(
        image_shape=(20, 20),
        connectivity="local",
        kernel_size=12,
        stride=4,
        n_filters=n_filters,
        neuron=diehl_cook_neuron(),
        rule=PairSTDP(a_plus=1e-2, a_minus=1e-4, pairing="nearest"),
        encoder="poisson",  # 128 Hz for a 255 pixel
        n_timesteps=250,
        competition=Competition(k=1, inhibition=120.0, inhibition_between=20.0),
        norm=0.1 * 144,
        input_scale=255.0,
        batch_size=64,
    )
    config.update(params)
    return SpikingFeatureLearner(**config)


def main():
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--n-filters", type=int, default=25)
    parser.add_argument("--n-train", type=int, default=60_000)
    parser.add_argument("--n-test", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="mnist_local_stdp.png")
    parser.add_argument(
        "--quick", action="store_true", help="1000 train / 500 test, 50 steps"
    )
    args = parser.parse_args()
    extra = {"verbose": 1}
    if args.quick:
        args.n_train, args.n_test = 1000, 500
        extra = {"n_timesteps": 50, "verbose": 0}
    X, y, X_test, y_test = load_mnist(n_train=args.n_train, n_test=args.n_test)
    X, X_test = crop(X).astype(np.float32), crop(X_test).astype(np.float32)
    model = lc_snn(args.n_filters, random_state=args.seed, **extra)
    start = time.perf_counter()
    model.fit(X)
    fit_seconds = time.perf_counter() - start
    features, features_test = model.transform(X), model.transform(X_test)
    vote = SpikeCountClassifier().fit(features, y).score(features_test, y_test)
    linear = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    linear = linear.fit(features, y).score(features_test, y_test)
    n_neurons = features.shape[1]
    print(
        f"LC-SNN, 9 locations x {args.n_filters} filters ({n_neurons} neurons), "
        f"{args.n_train} training images, one pass ({fit_seconds:.0f} s): "
        f"vote {vote:.1%}, logistic regression {linear:.1%} on {args.n_test} "
        f"test images (Saunders et al. 2019: {PAPER})"
    )
    fig, ax = plt.subplots(figsize=(8, 3.5), layout="constrained")
    plot_receptive_fields(
        model.weights_, (12, 12), max_filters=min(args.n_filters, 25), ax=ax
    )
    ax.set_title(f"LC-SNN receptive fields (vote accuracy {vote:.1%})")
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
