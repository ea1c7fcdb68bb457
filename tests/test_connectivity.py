"""Tests for stdp_lab.connectivity: geometry, currents, expand, fold, errors."""

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal
from sklearn.base import clone

from stdp_lab.connectivity import (
    SPARSE_MIN_SIZE,
    Conv2D,
    Dense,
    LocallyConnected2D,
    expanded_currents,
    make_connectivity,
    sparse_currents,
)

SETTINGS = settings(max_examples=30, deadline=None)


@st.composite
def grid_geometry(draw):
    """Small image/kernel/stride/filter shapes, square or not, 1-3 channels."""
    height = draw(st.integers(1, 6))
    width = draw(st.integers(1, 6))
    n_channels = draw(st.integers(1, 3))
    kh = draw(st.integers(1, height))
    kw = draw(st.integers(1, width))
    sh = draw(st.integers(1, 3))
    sw = draw(st.integers(1, 3))
    n_filters = draw(st.integers(1, 3))
    n_samples = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**16))
    # A 2-tuple means one channel; also try the explicit 3-tuple with C = 1.
    if n_channels == 1 and draw(st.booleans()):
        input_shape = (height, width)
    else:
        input_shape = (height, width, n_channels)
    return {
        "input_shape": input_shape,
        "image": (height, width, n_channels),
        "kernel_size": (kh, kw),
        "stride": (sh, sw),
        "n_filters": n_filters,
        "n_samples": n_samples,
        "seed": seed,
    }


def loop_currents(images, weights, kernel, stride, shared):
    """Reference: explicit loops over sample, output row/col, filter, kh, kw, c.

    ``images`` (B, H, W, C); ``weights`` (L or 1, K, F) with the patch axis in
    (kernel row, kernel col, channel) order. Computed in float64.
    """
    n_samples, height, width, n_channels = images.shape
    kh, kw = kernel
    sh, sw = stride
    out_h = (height - kh) // sh + 1
    out_w = (width - kw) // sw + 1
    n_filters = weights.shape[2]
    out = np.zeros((n_samples, out_h * out_w, n_filters))
    for b in range(n_samples):
        for oy in range(out_h):
            for ox in range(out_w):
                loc = oy * out_w + ox
                w = weights[0 if shared else loc]
                for f in range(n_filters):
                    total = 0.0
                    for i in range(kh):
                        for j in range(kw):
                            for c in range(n_channels):
                                k = (i * kw + j) * n_channels + c
                                pixel = images[b, oy * sh + i, ox * sw + j, c]
                                total += float(pixel) * float(w[k, f])
                    out[b, loc, f] = total
    return out


def random_inputs(rng, n_samples, n_inputs, dtype, kind):
    if kind == "bool":
        return rng.random((n_samples, n_inputs)) < 0.4
    return rng.random((n_samples, n_inputs)).astype(dtype)


@pytest.mark.parametrize("cls", [LocallyConnected2D, Conv2D])
@pytest.mark.parametrize(
    "dtype, kind, rtol, atol",
    [
        (np.float64, "float", 1e-10, 1e-12),
        (np.float32, "float", 1e-5, 1e-6),
        (np.float32, "bool", 1e-5, 1e-6),
    ],
)
@SETTINGS
@given(geo=grid_geometry())
def test_grid_currents_match_loops(cls, dtype, kind, rtol, atol, geo):
    layer = cls(geo["input_shape"], geo["kernel_size"], geo["stride"], geo["n_filters"])
    rng = np.random.default_rng(geo["seed"])
    n_inputs = int(np.prod(geo["image"]))
    x = random_inputs(rng, geo["n_samples"], n_inputs, dtype, kind)
    weights = layer.initial_weights(rng, dtype=dtype, low=-1.0, high=1.0)
    got = layer.currents(x, weights)
    assert got.dtype == dtype
    images = x.reshape(geo["n_samples"], *geo["image"])  # C-order, channels last
    expected = loop_currents(
        images, weights, geo["kernel_size"], geo["stride"], cls is Conv2D
    )
    assert (
        got.shape
        == expected.shape
        == (geo["n_samples"], layer.n_locations, geo["n_filters"])
    )
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)


@pytest.mark.parametrize(
    "dtype, rtol, atol", [(np.float64, 1e-10, 1e-12), (np.float32, 1e-5, 1e-6)]
)
@settings(max_examples=20, deadline=None)
@given(
    input_shape=st.one_of(
        st.integers(1, 12),
        st.tuples(st.integers(1, 12)),
        st.tuples(st.integers(1, 4), st.integers(1, 4)),
        st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3)),
    ),
    n_filters=st.integers(1, 4),
    n_samples=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_dense_currents_match_loops(
    dtype, rtol, atol, input_shape, n_filters, n_samples, seed
):
    layer = Dense(input_shape, n_filters=n_filters)
    n_inputs = int(np.prod(input_shape))
    assert layer.n_inputs == layer.patch_size == n_inputs
    assert layer.weight_shape == (1, n_inputs, n_filters)
    assert layer.output_grid == (1, 1) and layer.n_locations == 1
    rng = np.random.default_rng(seed)
    x = rng.random((n_samples, n_inputs)).astype(dtype)
    weights = layer.initial_weights(rng, dtype=dtype, low=-1.0, high=1.0)
    expected = np.zeros((n_samples, 1, n_filters))
    for b in range(n_samples):
        for f in range(n_filters):
            for i in range(n_inputs):
                expected[b, 0, f] += float(x[b, i]) * float(weights[0, i, f])
    got = layer.currents(x, weights)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)


@pytest.mark.parametrize(
    "dtype, rtol, atol", [(np.float64, 1e-10, 1e-12), (np.float32, 1e-5, 1e-6)]
)
@SETTINGS
@given(geo=grid_geometry())
def test_conv_matches_scipy_correlate(dtype, rtol, atol, geo):
    layer = Conv2D(
        geo["input_shape"], geo["kernel_size"], geo["stride"], geo["n_filters"]
    )
    rng = np.random.default_rng(geo["seed"])
    height, width, n_channels = geo["image"]
    kh, kw = geo["kernel_size"]
    sh, sw = geo["stride"]
    x = rng.random((geo["n_samples"], height * width * n_channels)).astype(dtype)
    weights = layer.initial_weights(rng, dtype=dtype, low=-1.0, high=1.0)
    images = x.astype(np.float64).reshape(geo["n_samples"], height, width, n_channels)
    kernels = weights[0].astype(np.float64).reshape(kh, kw, n_channels, -1)
    out_h, out_w = layer.output_grid
    expected = np.zeros((geo["n_samples"], out_h, out_w, geo["n_filters"]))
    for b in range(geo["n_samples"]):
        for f in range(geo["n_filters"]):
            full = sum(
                signal.correlate(
                    images[b, :, :, c],
                    kernels[:, :, c, f],
                    mode="valid",
                    method="direct",
                )
                for c in range(n_channels)
            )
            expected[b, :, :, f] = full[::sh, ::sw]
    got = layer.currents(x, weights)
    # (B, L, F) -> (B, out_h, out_w, F): locations are row-major on the grid.
    got = got.reshape(geo["n_samples"], out_h, out_w, geo["n_filters"])
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)


@SETTINGS
@given(geo=grid_geometry())
def test_local_with_equal_weights_equals_conv(geo):
    args = (geo["input_shape"], geo["kernel_size"], geo["stride"], geo["n_filters"])
    local, conv = LocallyConnected2D(*args), Conv2D(*args)
    rng = np.random.default_rng(geo["seed"])
    shared = conv.initial_weights(rng)
    tiled = np.repeat(shared, local.n_locations, axis=0)  # (1,K,F) -> (L,K,F)
    x = rng.random((geo["n_samples"], local.n_inputs)) < 0.5
    np.testing.assert_allclose(
        local.currents(x, tiled), conv.currents(x, shared), rtol=1e-12, atol=1e-12
    )
    np.testing.assert_array_equal(local.index, conv.index)


def _all_layers(geo):
    args = (geo["input_shape"], geo["kernel_size"], geo["stride"], geo["n_filters"])
    return [
        LocallyConnected2D(*args),
        Conv2D(*args),
        Dense(geo["input_shape"], n_filters=geo["n_filters"]),
    ]


@SETTINGS
@given(geo=grid_geometry())
def test_expand_and_sparse_currents_equal_currents(geo):
    rng = np.random.default_rng(geo["seed"])
    for layer in _all_layers(geo):
        weights = layer.initial_weights(rng)
        n_samples = geo["n_samples"] + 2
        x = rng.random((n_samples, layer.n_inputs)) < 0.3
        x[0] = False  # a sample with no spike
        x[-1] = True  # a sample where every input spiked
        expanded = layer.expand(weights)
        assert expanded.shape == (layer.n_inputs, layer.n_outputs)
        expected = layer.currents(x, weights).reshape(n_samples, -1)  # (B, L*F)
        np.testing.assert_allclose(x @ expanded, expected, rtol=1e-12, atol=1e-12)
        got = sparse_currents(expanded, x)
        assert got.shape == expected.shape and got.dtype == weights.dtype
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
        assert np.all(got[0] == 0)
        silent = np.zeros_like(x)
        np.testing.assert_array_equal(
            sparse_currents(expanded, silent), np.zeros_like(expected)
        )
        # Values, not only bools: traces or spike counts give the weighted sum.
        values = rng.random(x.shape) * x
        np.testing.assert_allclose(
            sparse_currents(expanded, values), values @ expanded, rtol=1e-12
        )


def test_expand_counts_each_weight_once():
    # Every weight appears exactly once in M (row index[l, k], column l*F + f).
    layer = LocallyConnected2D(
        (5, 6, 2), kernel_size=(3, 2), stride=(1, 2), n_filters=3
    )
    weights = np.random.default_rng(0).random(layer.weight_shape) + 1.0
    expanded = layer.expand(weights)
    assert np.count_nonzero(expanded) == weights.size
    np.testing.assert_allclose(expanded.sum(), weights.sum())
    n_filters = layer.n_filters
    for loc in range(layer.n_locations):
        for k in range(layer.patch_size):
            cols = slice(loc * n_filters, (loc + 1) * n_filters)
            np.testing.assert_array_equal(
                expanded[layer.index[loc, k], cols], weights[loc, k]
            )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fraction", [0.0, 0.01, 0.5])
def test_expanded_currents_both_paths(dtype, fraction):
    rng = np.random.default_rng(1)
    n_inputs, n_outputs = 400, SPARSE_MIN_SIZE // 400 + 1
    expanded = rng.random((n_inputs, n_outputs)).astype(dtype)
    spikes = rng.random((6, n_inputs)) < fraction
    spikes[2] = False
    got = expanded_currents(expanded, spikes)
    assert got.dtype == dtype
    expected = spikes.astype(np.float64) @ expanded.astype(np.float64)
    np.testing.assert_allclose(
        got, expected, rtol=1e-5 if dtype == np.float32 else 1e-12
    )


def test_fold():
    rng = np.random.default_rng(2)
    conv = Conv2D((6, 5, 2), kernel_size=(2, 3), stride=(2, 1), n_filters=4)
    local = LocallyConnected2D(
        (6, 5, 2), kernel_size=(2, 3), stride=(2, 1), n_filters=4
    )
    dense = Dense((6, 5, 2), n_filters=4)
    assert conv.n_locations == local.n_locations == 3 * 3
    dw = rng.standard_normal((conv.n_locations, conv.patch_size, 4))
    folded = conv.fold(dw)
    assert folded.shape == conv.weight_shape == (1, 12, 4)
    expected = np.zeros((12, 4))
    for loc in range(conv.n_locations):
        expected += dw[loc]
    np.testing.assert_allclose(folded[0], expected, rtol=1e-12)
    np.testing.assert_array_equal(local.fold(dw), dw)
    dw_dense = rng.standard_normal(dense.weight_shape)
    np.testing.assert_array_equal(dense.fold(dw_dense), dw_dense)
    with pytest.raises(ValueError, match="dw"):
        conv.fold(dw[:1])


def test_index_addresses_the_right_pixels():
    # (4, 5, 2) image, kernel (2, 3), stride (2, 1): grid ((4-2)//2+1, (5-3)//1+1).
    layer = LocallyConnected2D(
        (4, 5, 2), kernel_size=(2, 3), stride=(2, 1), n_filters=1
    )
    assert layer.output_grid == (2, 3)
    assert layer.index.shape == (6, 12)
    # Location 4 is grid (1, 1): rows 2-3, cols 1-3. Entry kernel (1, 2), channel 1
    # is k = (1 * 3 + 2) * 2 + 1 = 11, pixel (3, 3, 1), flat (3 * 5 + 3) * 2 + 1 = 37.
    assert layer.index[4, 11] == 37
    assert layer.index[0, 0] == 0
    # Location 5 = grid (1, 2) starts at pixel (2, 2, 0) = (2 * 5 + 2) * 2 = 24.
    assert layer.index[5, 0] == 24
    # Patches of an image holding its own flat index are the image's sub-blocks.
    image = np.arange(40).reshape(4, 5, 2)
    patches = layer.patches(image.reshape(1, -1))
    for oy in range(2):
        for ox in range(3):
            block = image[2 * oy : 2 * oy + 2, ox : ox + 3, :]
            np.testing.assert_array_equal(patches[0, oy * 3 + ox], block.ravel())


def test_stride_margin_and_non_square():
    layer = Conv2D((7, 10), kernel_size=(3, 4), stride=(3, 4))
    # (7 - 3) // 3 + 1 = 2 rows (row 6 unused), (10 - 4) // 4 + 1 = 2 cols.
    assert layer.output_grid == (2, 2)
    assert layer.index.max() < 7 * 10
    assert not np.isin(np.arange(60, 70), layer.index).any()  # last row unused


def test_patches_keep_dtype_and_bool():
    layer = LocallyConnected2D((4, 4), kernel_size=2, stride=2, n_filters=2)
    x = np.random.default_rng(3).random((3, 16)) < 0.5
    patches = layer.patches(x)
    assert patches.dtype == np.bool_ and patches.shape == (3, 4, 4)
    dense = Dense(16, n_filters=2)
    assert dense.patches(x.astype(np.float32)).shape == (3, 1, 16)
    assert dense.patches(x.astype(np.float32)).dtype == np.float32


def test_set_params_rebuilds_geometry_and_clone_pickle():
    layer = LocallyConnected2D((8, 8), kernel_size=3)
    assert layer.output_grid == (6, 6)
    layer.set_params(stride=2, n_filters=3)
    assert layer.output_grid == (3, 3)
    assert layer.weight_shape == (9, 9, 3)
    cloned = clone(layer)
    assert cloned.get_params() == layer.get_params()
    assert cloned.weight_shape == (9, 9, 3)
    restored = pickle.loads(pickle.dumps(layer))
    np.testing.assert_array_equal(restored.index, layer.index)


def test_initial_weights():
    layer = Conv2D((5, 5), kernel_size=3, n_filters=7)
    w1 = layer.initial_weights(np.random.default_rng(4), dtype=np.float32)
    w2 = layer.initial_weights(np.random.default_rng(4), dtype=np.float32)
    assert w1.shape == (1, 9, 7) and w1.dtype == np.float32
    np.testing.assert_array_equal(w1, w2)
    assert w1.min() >= 0.0 and w1.max() < 0.3
    wide = layer.initial_weights(np.random.default_rng(5), low=0.5, high=0.6)
    assert wide.min() >= 0.5 and wide.max() < 0.6
    with pytest.raises(ValueError, match="low"):
        layer.initial_weights(0, low=1.0, high=0.5)


def test_make_connectivity():
    assert isinstance(make_connectivity("dense", 10, n_filters=3), Dense)
    local = make_connectivity("local", (6, 6), kernel_size=3, stride=3)
    assert isinstance(local, LocallyConnected2D) and local.output_grid == (2, 2)
    assert isinstance(make_connectivity("conv", (6, 6), kernel_size=3), Conv2D)
    with pytest.raises(ValueError, match="'dense', 'local', 'conv'"):
        make_connectivity("lc", (6, 6))


@pytest.mark.parametrize(
    "make, match",
    [
        (
            lambda: LocallyConnected2D((12, 12), kernel_size=13),
            r"kernel_size \(13, 13\) does not fit input_shape \(12, 12\)",
        ),
        (
            lambda: Conv2D((12, 10, 3), kernel_size=(4, 11)),
            r"kernel_size \(4, 11\) does not fit input_shape \(12, 10, 3\)",
        ),
        (lambda: Conv2D((12, 12), kernel_size=3, stride=0), "stride"),
        (lambda: Conv2D((12, 12), kernel_size=3, stride=(1, -2)), "stride"),
        (lambda: LocallyConnected2D((12, 12), kernel_size=0), "kernel_size"),
        (lambda: LocallyConnected2D((12, 12), kernel_size=3, n_filters=0), "n_filters"),
        (lambda: Dense(10, n_filters=0), "n_filters"),
        (lambda: LocallyConnected2D((12,), kernel_size=3), "input_shape"),
        (lambda: LocallyConnected2D(12, kernel_size=3), "input_shape"),
        (lambda: Conv2D((2, 2, 2, 2), kernel_size=1), "input_shape"),
        (lambda: Conv2D((0, 5), kernel_size=1), "input_shape"),
        (lambda: Dense((28.0, 28), n_filters=2), "input_shape"),
        (lambda: Dense("784"), "input_shape"),
        (lambda: Dense(-3), "input_shape"),
    ],
)
def test_geometry_errors_name_the_parameter(make, match):
    layer = make()  # construction never validates (scikit-learn contract)
    with pytest.raises((ValueError, TypeError), match=match):
        _ = layer.weight_shape


def test_n_filters_type_error():
    with pytest.raises(TypeError, match="n_filters"):
        _ = Dense(10, n_filters=2.5).weight_shape


@pytest.mark.parametrize(
    "layer",
    [
        Dense((28, 28), n_filters=2),
        LocallyConnected2D((28, 28), kernel_size=12, stride=4, n_filters=2),
        Conv2D((28, 28), kernel_size=5, n_filters=2),
    ],
    ids=["dense", "local", "conv"],
)
def test_input_and_weight_errors(layer):
    x = np.zeros((2, 783))
    w = layer.initial_weights(0)
    with pytest.raises(
        ValueError, match=r"x has 783 features, input_shape \(28, 28\) needs 784"
    ):
        layer.currents(x, w)
    with pytest.raises(ValueError, match="x has 783 features"):
        layer.patches(x)
    with pytest.raises(ValueError, match="x must be 2-D"):
        layer.currents(np.zeros(784), w)
    good_x = np.zeros((2, 784))
    bad_shape = np.zeros((w.shape[0] + 1, *w.shape[1:]))
    for call in (layer.currents, lambda _, v: layer.expand(v)):
        with pytest.raises(ValueError, match="weights must have shape"):
            call(good_x, bad_shape)
    with pytest.raises(ValueError, match="weights must have shape"):
        layer.validate_weights(w[..., :1])
    with pytest.raises(ValueError, match="weights must be a floating"):
        layer.validate_weights(w.astype(int))
    bad = w.copy()
    bad.flat[3] = np.nan
    with pytest.raises(ValueError, match="weights must be finite"):
        layer.validate_weights(bad)
    assert layer.validate_weights(w) is not None


def test_currents_do_not_mutate_inputs():
    layer = LocallyConnected2D((6, 6, 2), kernel_size=3, stride=1, n_filters=2)
    rng = np.random.default_rng(6)
    x = rng.random((2, layer.n_inputs)).astype(np.float32)
    w = layer.initial_weights(rng, dtype=np.float32)
    x0, w0 = x.copy(), w.copy()
    layer.currents(x, w)
    layer.expand(w)
    layer.fold(np.ones((layer.n_locations, layer.patch_size, 2)))
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(w, w0)
