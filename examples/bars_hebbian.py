"""Competing spiking neurons recover the independent bars of Foldiak's bars problem
================================================================================

Each 8 x 8 image is the OR of random horizontal and vertical bars, each bar on
with probability 1/8 (:func:`stdp_lab.datasets.make_bars`; Foldiak 1990). A dense
layer of ``2 * size + 4`` adaptive-threshold LIF neurons with one winner per step
(k-WTA with k = 1) learns from the images without labels, with a plain Hebbian
rule on pre- and postsynaptic rate traces and the layer's normalisation of each
neuron's incoming weights: together they make the competitive learning of
Rumelhart & Zipser (1985), in which each neuron's weights follow the mean of
the inputs it wins. A true bar counts as *matched* when some neuron's weights
correlate with it above 0.8 (Pearson correlation over the pixels) and more than
with any other bar. The script prints how many of the ``2 * size`` bars are
matched, and the same count for the random initial weights.

Rules compared on 3000 images (estimator defaults otherwise, seeds 0 and 1),
bars matched out of 16: ``Hebbian(learning_rate=3e-5, decay=0)`` 16 and 16
(14-16 from 600 images, seeds 0-3); "diehl_cook" 16 and 15; "hebbian" with its
defaults (learning rate 1e-4, decay 1e-6) 12 and 12; "stdp" and "oja" with
their defaults 0 (their rates are set for other tasks).

Run ``python examples/bars_hebbian.py [--quick] [--out bars_hebbian.png]``;
``--quick`` trains on 600 images (a few seconds) instead of 3000.

References: Foldiak, P. (1990). Forming sparse representations by local
anti-Hebbian learning. Biol. Cybern. 64, 165-170. Rumelhart, D. E. & Zipser, D.
(1985). Feature discovery by competitive learning. Cognitive Science 9, 75-112.
"""

import argparse
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from stdp_lab import Hebbian, SpikingFeatureLearner  # noqa: E402
from stdp_lab.datasets import make_bars  # noqa: E402
from stdp_lab.plotting import plot_receptive_fields  # noqa: E402

SIZE = 8
THRESHOLD = 0.8


def bar_correlations(weights, bars):
    """Pearson correlation of every filter with every bar.

    weights : (n_pixels, n_filters); bars : (n_bars, n_pixels).
    Returns an array of shape (n_filters, n_bars); a constant filter gives 0.
    """
    w = weights - weights.mean(axis=0)  # (n_pixels, n_filters), centred
    b = bars.T - bars.T.mean(axis=0)  # (n_pixels, n_bars), centred
    w_norm = np.linalg.norm(w, axis=0)  # (n_filters,)
    w = np.divide(w, w_norm, out=np.zeros_like(w), where=w_norm > 0)
    b = b / np.linalg.norm(b, axis=0)  # (n_pixels, n_bars)
    return w.T @ b  # (n_filters, n_bars)


def match_bars(weights, bars, threshold=THRESHOLD):
    """For each bar, a filter that matches it (or -1).

    A filter matches bar k when its correlation with bar k exceeds ``threshold``
    and is its highest correlation over all bars.
    """
    corr = bar_correlations(weights, bars)  # (n_filters, n_bars)
    best = corr.argmax(axis=1)  # (n_filters,)
    good = corr.max(axis=1) > threshold  # (n_filters,)
    matches = np.full(bars.shape[0], -1)
    for f in np.flatnonzero(good):
        k = best[f]
        if matches[k] < 0 or corr[f, k] > corr[matches[k], k]:
            matches[k] = f
    return matches


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--out", default="bars_hebbian.png")
    parser.add_argument("--quick", action="store_true", help="600 images (for tests)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    n_images = 600 if args.quick else 3000
    n_bars = 2 * SIZE
    X, bars = make_bars(n_images, size=SIZE, random_state=args.seed)
    learner = SpikingFeatureLearner(
        connectivity="dense",
        image_shape=(SIZE, SIZE),
        n_filters=n_bars + 4,
        rule=Hebbian(learning_rate=3e-5, decay=0.0),
        random_state=args.seed,
    )
    start = time.perf_counter()
    learner.fit(X)
    seconds = time.perf_counter() - start
    weights = learner.weights_[0]  # (n_pixels, n_filters)
    matches = match_bars(weights, bars)
    n_matched = int((matches >= 0).sum())

    # The same network before learning: its initial weights, drawn as in fit.
    initial = learner.layer_.initial_params(np.random.default_rng(args.seed))
    n_random = int((match_bars(initial.weights[0], bars) >= 0).sum())

    print(f"images: {n_images}, neurons: {n_bars + 4}, fit: {seconds:.1f} s")
    print(f"bars matched: {n_matched}/{n_bars}")
    print(f"random filters: {n_random}/{n_bars}")

    # Filters ordered by the bar they match (unmatched ones last).
    matched = [f for f in matches if f >= 0]
    order = matched + [f for f in range(weights.shape[1]) if f not in matched]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 4.2), layout="constrained")
    plot_receptive_fields(bars.T[None], (SIZE, SIZE), ax=left, cmap="viridis")
    left.set_title(f"the {n_bars} true bars")
    plot_receptive_fields(
        learner.weights_[:, :, order], (SIZE, SIZE), ax=right, cmap="viridis"
    )
    right.set_title(
        f"learned receptive fields ({n_matched}/{n_bars} bars matched)",
    )
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
