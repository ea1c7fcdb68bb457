"""The default architecture of :func:`compare_rules` and what the network it
builds looks like (its geometry)."""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping

from .._validation import check_pair
from ..competition import Competition
from ..connectivity import Conv2D
from ..encoding import PoissonEncoder
from ..estimators import SpikingFeatureLearner
from ..neurons import AdaptiveLIF

#: The default architecture of :func:`compare_rules` for 28 x 28 images: the
#: pooled convolution of the demo (:func:`stdp_lab.presets.mnist_conv` with
#: ``stdp_lab.cli.DEMO_PARAMS``' 4 x 4 pooling windows at stride 1), every
#: part written out, so that it does not follow changes of
#: :class:`~stdp_lab.SpikingFeatureLearner`'s defaults: 16 shared 5 x 5 filters
#: at stride 2 (12 x 12 locations), adaptive LIF neurons, one winner per
#: location and step, Poisson input up to 256 Hz for 100 steps of 1 ms, counts
#: summed over 9 x 9 overlapping windows (1,296 features). For images of
#: another size the kernel is ``max(3, round(5 * side / 28))`` (at most the
#: side), the stride half of it, and the pooling windows a third of the
#: location grid at stride 1 (8 x 8 digits: 3 x 3 kernels at stride 1, 2 x 2
#: windows of the 6 x 6 locations). Of four architectures measured on a
#: validation split of MNIST (4,000 training images learned, 1,000 scored, one
#: seed; Diehl & Cook's rule, pair STDP and Oja's rule, each at its best of
#: three rates), this one separated learned from frozen random weights most
#: with the linear readout: Oja 96.6% against 94.0% (+2.6 points; vote 64.0%
#: against 57.6%). The learner's defaults (25 shared filters, 512 Hz) gave
#: 97.6% against 96.4% (+1.2; vote +10 points, its frozen weights voting
#: poorly, 52.1%), a locally connected layer (12 x 12 kernels at stride 4, 25
#: filters) 92.7% against 91.0% (+1.7; vote +1.6) and a dense layer of 100
#: neurons no gain (every rule below its frozen weights' 82.3%).
IMAGE_ARCHITECTURE: dict = {
    "connectivity": "conv",
    "kernel_size": 5,
    "stride": 2,
    "n_filters": 16,
    "pooling": 4,
    "pooling_stride": 1,
    "neuron": AdaptiveLIF(resistance=20.0, theta_plus=0.003, tau_theta=2e5),
    "competition": Competition(k=1, inhibition=3.0),
    "encoder": PoissonEncoder(max_rate=256.0),
    "n_timesteps": 100,
    "batch_size": 32,
}

#: The default architecture for tabular data (not images): a dense layer, the
#: learner's defaults otherwise.
TABULAR_ARCHITECTURE: dict = {"connectivity": "dense"}


def _is_image(params: dict, n_features: int) -> bool:
    shape = params.get("image_shape")
    if shape is None:
        side = math.isqrt(n_features)
        return side > 1 and side * side == n_features
    shape = tuple(shape)
    return len(shape) >= 2 and shape[0] > 1 and shape[1] > 1


def _image_architecture(params: dict, n_features: int) -> dict:
    """:data:`IMAGE_ARCHITECTURE`, its geometry scaled to the image size."""
    config = copy.deepcopy(IMAGE_ARCHITECTURE)
    shape = params.get("image_shape")
    if shape is None:
        side = math.isqrt(n_features)
        shape = (side, side)
    sides = tuple(int(n) for n in tuple(shape)[:2])
    if sides != (28, 28):
        kernel = tuple(min(n, max(3, round(5 * n / 28))) for n in sides)
        stride = tuple(max(1, k // 2) for k in kernel)
        grid = [(n - k) // s + 1 for n, k, s in zip(sides, kernel, stride, strict=True)]
        config.update(
            kernel_size=kernel,
            stride=stride,
            pooling=tuple(max(1, g // 3) for g in grid),
        )
    return config


def _learner_params(architecture, shared_params: dict, n_features: int) -> dict:
    if isinstance(architecture, str):
        if architecture != "auto":
            raise ValueError(
                f"architecture must be 'auto', None or a dict, got {architecture!r}"
            )
        if _is_image(shared_params, n_features):
            base = _image_architecture(shared_params, n_features)
        else:
            base = copy.deepcopy(TABULAR_ARCHITECTURE)
    elif architecture is None:
        base = {}
    elif isinstance(architecture, Mapping):
        base = copy.deepcopy(dict(architecture))
    else:
        raise TypeError(
            "architecture must be 'auto', None or a dict of SpikingFeatureLearner "
            f"parameters, got {type(architecture).__name__}"
        )
    return {**base, **shared_params}


def _geometry(params: dict, n_features: int) -> dict:
    """What the network that ``params`` build looks like (validating them): the
    patch geometry for the k-means baseline and the receptive-field figure,
    the locations that share a filter, the pooling of the counts."""
    for reserved in ("rule", "random_state"):
        if reserved in params:
            raise ValueError(
                f"shared_params must not set {reserved!r}: compare_rules sets it "
                "for every run (give rules and seeds instead)"
            )
    learner = SpikingFeatureLearner(**params)
    layer, _, image_shape, _ = learner._build(n_features)
    conn = layer.connectivity
    height, width, n_channels = image_shape
    if hasattr(conn, "kernel_size"):
        kernel = check_pair(conn.kernel_size, "kernel_size")
        stride = check_pair(conn.stride, "stride")
    else:  # Dense: one receptive field, the whole image
        kernel, stride = (height, width), (1, 1)
    return {
        "image_shape": image_shape,
        "kernel_size": kernel,
        "stride": stride,
        "n_filters": conn.n_filters,
        "patch_shape": (*kernel, n_channels) if n_channels > 1 else kernel,
        "n_shared": conn.n_locations if isinstance(conn, Conv2D) else 1,
        "grid": tuple(conn.output_grid),
        "pooling": learner._pooling(layer),
        "per_feature_scale": height == 1 and params.get("image_shape") is None,
    }
