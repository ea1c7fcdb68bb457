"""Spiking neurons learn localised, oriented receptive fields from natural images
==============================================================================

8 x 8 patches of the bundled photographs, whitened and split into ON and OFF
channels (:func:`stdp_lab.datasets.make_natural_patches`; Olshausen & Field
1996), are presented to a dense layer of competing adaptive-threshold LIF
neurons (one winner per step) that learn with a Hebbian rule on rate traces and
keep the sum of each neuron's weights fixed (competitive learning). The learned
receptive fields, drawn as ON - OFF, look like the oriented edge and bar
detectors of simple cells.

Orientation selectivity index (OSI) of a receptive field r (ON - OFF, 8 x 8):
with P(k) the power spectrum of r - mean(r), zero-padded to 32 x 32 so that
orientations are sampled finely, and theta(k) the direction of the spatial
frequency k::

    OSI = |sum_k P(k) exp(2 i theta(k))| / sum_k P(k),

the length of the power-weighted mean of the doubled angles (orientations are
defined modulo 180 degrees). It is 1 for a grating or an edge at a single
orientation and near 0 for an isotropic pattern (a blob or white noise). The
preferred orientation of the edges is half the angle of that mean, plus 90
degrees (edges run perpendicular to their spatial frequency). The script prints
the mean OSI of the learned fields and of two random references: the initial
random weights of the same network, and the learned fields with their pixels
shuffled (same values, no spatial structure).

Measured (default run, 6000 patches, 36 neurons, seed 0): mean OSI 0.50 against
0.14 (initial weights) and 0.17 (shuffled); ``--quick``: 0.34 against 0.15 and
0.12. Most fields prefer vertical edges, as the photographs (buildings, bricks,
a tripod) do. The rule ``Hebbian(learning_rate=1e-5, decay=0)`` was chosen on
this task: with the same network, the default "diehl_cook" rule learned sparse,
nearly binary templates (mean OSI 0.19) and "stdp" with its defaults kept
unstructured fields (0.13).

Run ``python examples/natural_image_receptive_fields.py [--quick] [--out F.png]``;
``--quick`` learns 16 fields from 800 patches instead of 36 from 6000.

References: Olshausen, B. A. & Field, D. J. (1996). Emergence of simple-cell
receptive field properties by learning a sparse code for natural images. Nature
381, 607-609. Rumelhart, D. E. & Zipser, D. (1985). Feature discovery by
competitive learning. Cognitive Science 9, 75-112.
"""

import argparse
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from stdp_lab import Hebbian, SpikingFeatureLearner  # noqa: E402
from stdp_lab.datasets import make_natural_patches  # noqa: E402
from stdp_lab.plotting import plot_receptive_fields  # noqa: E402

PATCH = 8
N_FFT = 32


def on_minus_off(weights):
    """Receptive fields ON - OFF from dense weights (1, PATCH * PATCH * 2, F).

    Returns an array of shape (F, PATCH, PATCH).
    """
    n_filters = weights.shape[-1]
    w = weights[0].reshape(PATCH, PATCH, 2, n_filters)  # (h, w, channel, F)
    return (w[:, :, 0] - w[:, :, 1]).transpose(2, 0, 1)  # (F, h, w)


def orientation_selectivity(fields):
    """OSI and preferred edge orientation (degrees) of each field (F, h, w)."""
    centred = fields - fields.mean(axis=(1, 2), keepdims=True)  # (F, h, w)
    power = np.abs(np.fft.fft2(centred, s=(N_FFT, N_FFT))) ** 2  # (F, N, N)
    fy = np.fft.fftfreq(N_FFT)[:, None]  # (N, 1)
    fx = np.fft.fftfreq(N_FFT)[None, :]  # (1, N)
    doubled = np.exp(2j * np.arctan2(fy, fx))  # (N, N)
    doubled[0, 0] = 0.0  # the mean is removed; no direction at k = 0
    resultant = np.einsum("fyx,yx->f", power, doubled)  # (F, N, N), (N, N) -> (F,)
    total = power.sum(axis=(1, 2))  # (F,)
    osi = np.divide(np.abs(resultant), total, out=np.zeros_like(total), where=total > 0)
    edge = (np.degrees(np.angle(resultant)) / 2.0 + 90.0) % 180.0
    return osi, edge


def shuffled(fields, rng):
    """Each field with its pixels in a random order (F, h, w)."""
    flat = fields.reshape(fields.shape[0], -1)  # (F, h * w)
    order = np.argsort(rng.random(flat.shape), axis=1)  # a permutation per field
    return np.take_along_axis(flat, order, axis=1).reshape(fields.shape)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--out", default="natural_image_receptive_fields.png")
    parser.add_argument("--quick", action="store_true", help="800 patches, 16 fields")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    n_patches, n_filters = (800, 16) if args.quick else (6000, 36)
    X = make_natural_patches(n_patches, patch_size=PATCH, random_state=args.seed)
    learner = SpikingFeatureLearner(
        connectivity="dense",
        image_shape=(PATCH, PATCH, 2),
        n_filters=n_filters,
        rule=Hebbian(learning_rate=1e-5, decay=0.0),
        random_state=args.seed,
    )
    start = time.perf_counter()
    learner.fit(X)
    seconds = time.perf_counter() - start

    rng = np.random.default_rng(args.seed)
    learned = on_minus_off(learner.weights_)
    # The same network before learning: its initial weights, drawn as in fit.
    initial = on_minus_off(
        learner.layer_.initial_params(np.random.default_rng(args.seed)).weights
    )
    osi, edge = orientation_selectivity(learned)
    osi_initial, _ = orientation_selectivity(initial)
    osi_shuffled, _ = orientation_selectivity(shuffled(learned, rng))

    print(f"patches: {n_patches}, neurons: {n_filters}, fit: {seconds:.1f} s")
    print(f"orientation selectivity (mean OSI): learned {osi.mean():.2f}")
    print(f"random filters: initial weights {osi_initial.mean():.2f}")
    print(f"random filters: learned, pixels shuffled {osi_shuffled.mean():.2f}")
    counts = np.histogram(edge, bins=[0, 22.5, 67.5, 112.5, 157.5, 180])[0]
    print(
        "preferred edge orientation (fields): "
        f"horizontal {counts[0] + counts[4]}, 45 deg {counts[1]}, "
        f"vertical {counts[2]}, 135 deg {counts[3]}"
    )

    fig, (left, right) = plt.subplots(
        1, 2, figsize=(10, 4.6), layout="constrained", width_ratios=(1.1, 1)
    )
    plot_receptive_fields(learner.weights_, (PATCH, PATCH, 2), ax=left, cmap="gray")
    left.set_title(f"{n_filters} learned receptive fields (ON - OFF)")
    bins = np.linspace(0.0, 1.0, 21)
    right.hist(osi, bins=bins, alpha=0.7, label=f"learned (mean {osi.mean():.2f})")
    right.hist(
        osi_initial,
        bins=bins,
        alpha=0.7,
        label=f"initial random (mean {osi_initial.mean():.2f})",
    )
    right.hist(
        osi_shuffled,
        bins=bins,
        alpha=0.7,
        label=f"learned, shuffled (mean {osi_shuffled.mean():.2f})",
    )
    right.set_xlabel("orientation selectivity index")
    right.set_ylabel("receptive fields")
    right.legend(fontsize="small")
    right.set_title("orientation selectivity")
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
