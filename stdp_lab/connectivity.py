"""Connectivity: Dense, LocallyConnected2D and Conv2D as locations x kernel x filters.

Every layer is described by the same three numbers: ``n_locations`` (L), the
positions of the receptive field on the input; ``patch_size`` (K), the number of
inputs a post-synaptic neuron sees; and ``n_filters`` (F), the neurons per
location. The pre-synaptic activity of one time step is gathered into patches of
shape ``(n_samples, L, K)`` with a precomputed index array of shape ``(L, K)``,
and the post-synaptic activity has shape ``(n_samples, L, F)``. Weights are
always 3-D:

==================  =====================  ============================
layer               L                      weights
==================  =====================  ============================
Dense               1                      ``(1, n_inputs, F)``
LocallyConnected2D  one per position       ``(L, K, F)``, one set each
Conv2D              one per position       ``(1, K, F)``, shared
==================  =====================  ============================

A plasticity rule returns a weight change of shape ``(L, K, F)``; ``fold`` turns
it into the layer's weight shape (a shared-weight layer sums over locations).

Images are flattened in C order from ``(height, width, channels)``; a 2-tuple
image shape means one channel. Patches are flattened in the order
``(kernel row, kernel column, channel)``. Only valid positions are used: with a
kernel ``(kh, kw)`` and a stride ``(sh, sw)`` the output grid is
``((height - kh) // sh + 1, (width - kw) // sw + 1)``, and a stride that does not
divide ``height - kh`` leaves the last rows (columns) of the image unused.

While the weights are fixed (``transform``), the simulator can use ``expand``:
a dense matrix ``M`` of shape ``(n_inputs, L * F)`` such that the input current
of a step is ``spikes @ M``, or, when few inputs spiked, the sum of the rows of
``M`` of the inputs that spiked (``sparse_currents``; ``expanded_currents``
chooses between the two).
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator

from ._validation import (
    Interval,
    Pair,
    Shape,
    check_rng,
    check_scalar,
    validate_params,
)

__all__ = [
    "Connectivity",
    "Dense",
    "LocallyConnected2D",
    "Conv2D",
    "make_connectivity",
    "sparse_currents",
    "expanded_currents",
    "SPARSE_MAX_FRACTION",
    "SPARSE_MIN_SIZE",
]

# When to gather rows of the expanded matrix instead of the dense matmul.
# Measured (numpy with OpenBLAS, scipy CSR @ dense, 2 cores, other jobs running)
# for spikes (n_samples, 784) @ M (784, n_outputs), float32 and float64:
#   n_outputs=625, n_samples=64, float32: dense 2.6 ms; sparse 0.15 ms at 0.5 %
#     active inputs, 0.28 ms at 2 %, 0.58 ms at 5 %, 2.6 ms at 10 %, 4.9 ms at 20 %.
#   n_outputs=100, n_samples=64, float32: dense 0.19 ms; sparse 0.12 ms at 0.5 %,
#     0.14 ms at 1 %, 0.23 ms at 5 %, 0.29 ms at 10 %.
#   n_outputs=2000, n_samples=256, float64: dense 80 ms; sparse 5 ms at 0.5 %,
#     13 ms at 5 %, 25 ms at 10 %, 93 ms at 20 %.
#   200 x 50, n_samples=16: dense 0.02 ms, sparse >= 0.09 ms at any fraction
#     (the sparse path costs ~0.09 ms to build the CSR matrix).
# So the sparse path wins below ~5 % active inputs unless M is small; we use 4 %
# and require M to hold at least 50 000 entries.
SPARSE_MAX_FRACTION = 0.04
SPARSE_MIN_SIZE = 50_000


def _check_x(x, n_inputs: int, input_shape) -> np.ndarray:
    """Check that ``x`` is a 2-D array (n_samples, n_inputs) of bools or numbers."""
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"x must hold bools or numbers, got dtype {x.dtype}")
    if x.ndim != 2:
        raise ValueError(
            f"x must be 2-D (n_samples, n_inputs), got an array of shape {x.shape}"
        )
    if x.shape[1] != n_inputs:
        raise ValueError(
            f"x has {x.shape[1]} features, input_shape {input_shape!r} needs {n_inputs}"
        )
    return x


def _current_dtype(x: np.ndarray, weights: np.ndarray) -> np.dtype:
    """Floating dtype of the currents: the weights' dtype for bool/int spikes."""
    if x.dtype.kind in "biu":
        return weights.dtype
    return np.result_type(x.dtype, weights.dtype)


class Connectivity(BaseEstimator):
    """Base class: a layer's geometry as locations x kernel x filters.

    Subclasses declare their parameters' ``_parameter_constraints`` and define
    ``_build_geometry(params)``, which receives them checked and returns a
    dict with ``n_inputs``, ``output_grid`` (rows, cols), ``index`` (an int
    array (L, K) into the flattened input) and ``shared`` (whether all
    locations share one weight set). The geometry is computed on first use and
    cached; the cache is rebuilt whenever a parameter changes (``set_params``).
    """

    #: name -> constraint of every parameter (the geometry depends on them all).
    _parameter_constraints: dict = {}

    # --- geometry -----------------------------------------------------------
    def __setattr__(self, name, value):
        # Setting a parameter (directly or through set_params) drops the cached
        # geometry, so that reading it stays a dictionary look-up: the
        # simulator reads it at every time step.
        if name in self._parameter_constraints:
            self.__dict__.pop("_geometry_cache", None)
        super().__setattr__(name, value)

    def _geometry(self) -> dict:
        cached = self.__dict__.get("_geometry_cache")
        if cached is None:
            params = validate_params(self, self._parameter_constraints)
            cached = self._build_geometry(params)
            cached["index"].setflags(write=False)
            self._geometry_cache = cached
        return cached

    def _build_geometry(self, params: dict) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def n_inputs(self) -> int:
        """Number of inputs (pixels x channels) of one sample."""
        return self._geometry()["n_inputs"]

    @property
    def n_locations(self) -> int:
        """Number of receptive-field positions L (1 for Dense)."""
        return self._geometry()["index"].shape[0]

    @property
    def patch_size(self) -> int:
        """Number of inputs per receptive field K (kh * kw * channels)."""
        return self._geometry()["index"].shape[1]

    @property
    def output_grid(self) -> tuple[int, int]:
        """Grid (rows, cols) of the locations; ``(1, 1)`` for Dense."""
        return self._geometry()["output_grid"]

    @property
    def n_outputs(self) -> int:
        """Number of post-synaptic neurons, ``n_locations * n_filters``."""
        return self.n_locations * self._n_filters()

    @property
    def weight_shape(self) -> tuple[int, int, int]:
        """Weight shape: ``(1, K, F)`` if shared or Dense, else ``(L, K, F)``."""
        geometry = self._geometry()
        n_sets = 1 if geometry["shared"] else geometry["index"].shape[0]
        return (n_sets, geometry["index"].shape[1], self._n_filters())

    @property
    def index(self) -> np.ndarray:
        """Read-only int array (L, K): the flattened input index of each patch entry.

        Entry ``[l, (i * kw + j) * channels + c]`` is the input at kernel row
        ``i``, kernel column ``j`` and channel ``c`` of location ``l`` (locations
        in row-major order over ``output_grid``).
        """
        return self._geometry()["index"]

    def _n_filters(self) -> int:
        self._geometry()  # checks every parameter, n_filters among them
        return self.n_filters

    # --- activity -----------------------------------------------------------
    def patches(self, x) -> np.ndarray:
        """Gather the inputs of every receptive field.

        Parameters
        ----------
        x : array-like of shape (n_samples, n_inputs)
            Flattened inputs (bool spikes, traces or intensities).

        Returns
        -------
        patches : ndarray of shape (n_samples, n_locations, patch_size)
            Same dtype as ``x``. For Dense this is a view of ``x``: do not write
            into it.
        """
        x = _check_x(x, self.n_inputs, self.input_shape)
        return x[:, self.index]  # (B, N) -> (B, L, K)

    def _check_weights_shape(self, weights) -> np.ndarray:
        weights = np.asarray(weights)
        if weights.shape != self.weight_shape:
            raise ValueError(
                f"weights must have shape {self.weight_shape} for "
                f"{type(self).__name__}, got {weights.shape}"
            )
        if weights.dtype.kind != "f":
            raise ValueError(
                f"weights must be a floating array, got dtype {weights.dtype}"
            )
        return weights

    def currents(self, x, weights) -> np.ndarray:
        """Input current of every post-synaptic neuron.

        Parameters
        ----------
        x : array-like of shape (n_samples, n_inputs)
            Pre-synaptic spikes (bool) or values; bool and int inputs are cast to
            the weights' dtype.
        weights : ndarray of shape weight_shape
            Synaptic weights.

        Returns
        -------
        currents : ndarray of shape (n_samples, n_locations, n_filters)

        Notes
        -----
        .. math:: I_{b,l,f} = \\sum_k x_{b,\\mathrm{index}[l,k]} \\, w_{l,k,f}

        with :math:`w_{l,k,f} = w_{0,k,f}` for shared (Conv2D) and Dense weights.
        """
        x = _check_x(x, self.n_inputs, self.input_shape)
        weights = self._check_weights_shape(weights)
        return self._currents(x, weights, _current_dtype(x, weights))

    def _currents(self, x, weights, dtype) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def fold(self, dw) -> np.ndarray:
        """Fold a per-location weight change into the layer's weight shape.

        Parameters
        ----------
        dw : ndarray of shape (n_locations, patch_size, n_filters)

        Returns
        -------
        dw : ndarray of shape weight_shape
            ``dw`` itself for Dense and LocallyConnected2D; summed over locations
            (keeping the axis) for Conv2D.
        """
        dw = np.asarray(dw)
        expected = (self.n_locations, self.patch_size, self._n_filters())
        if dw.shape != expected:
            raise ValueError(f"dw must have shape {expected}, got {dw.shape}")
        if self._geometry()["shared"] and expected[0] > 1:
            return dw.sum(axis=0, keepdims=True)  # (L, K, F) -> (1, K, F)
        return dw

    def expand(self, weights) -> np.ndarray:
        """Dense matrix of the layer: ``currents(x, w).reshape(B, L * F) == x @ M``.

        Parameters
        ----------
        weights : ndarray of shape weight_shape

        Returns
        -------
        M : ndarray of shape (n_inputs, n_locations * n_filters)
            Same dtype as ``weights``; column ``l * n_filters + f`` holds the
            weights of filter ``f`` at location ``l``, zero outside its receptive
            field. Memory is ``n_inputs * n_locations * n_filters`` entries.
        """
        weights = self._check_weights_shape(weights)
        n_locations, patch_size = self.index.shape
        n_filters = weights.shape[2]
        expanded = np.zeros((self.n_inputs, n_locations, n_filters), weights.dtype)
        # Within one location the patch entries are distinct inputs, so each
        # (input, location) pair is assigned once: no accumulation needed.
        locations = np.arange(n_locations)[:, None]  # (L, 1)
        expanded[self.index, locations, :] = np.broadcast_to(
            weights, (n_locations, patch_size, n_filters)
        )  # (N, L, F)[(L, K), (L, 1)] <- (L, K, F)
        return expanded.reshape(self.n_inputs, n_locations * n_filters)  # (N, L*F)

    def validate_weights(self, weights) -> np.ndarray:
        """Check ``weights`` for this layer: shape, floating dtype, finite values.

        Returns the weights as an ndarray; raises ``ValueError`` naming
        ``weights`` otherwise.
        """
        weights = self._check_weights_shape(weights)
        if not np.all(np.isfinite(weights)):
            raise ValueError("weights must be finite, found NaN or infinity")
        return weights

    def initial_weights(
        self, rng=None, dtype=np.float64, low: float = 0.0, high: float = 0.3
    ) -> np.ndarray:
        """Draw weights uniformly in ``[low, high)``.

        Parameters
        ----------
        rng : numpy Generator, int or None
            Source of randomness (see ``check_rng``).
        dtype : {np.float64, np.float32}
        low, high : float
            Bounds of the uniform distribution, ``low < high``.

        Returns
        -------
        weights : ndarray of shape weight_shape and dtype ``dtype``
        """
        rng = check_rng(rng)
        dtype = np.dtype(dtype)
        if dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64, got {dtype}")
        check_scalar(low, "low")
        check_scalar(high, "high")
        if not low < high:
            raise ValueError(f"low must be < high, got low={low!r}, high={high!r}")
        weights = rng.uniform(low, high, size=self.weight_shape)
        return weights.astype(dtype, copy=False)


class Dense(Connectivity):
    """All-to-all connectivity: one location whose kernel is the whole input.

    Parameters
    ----------
    input_shape : int or tuple of int
        ``n_inputs``, ``(n_inputs,)`` or an image shape ``(height, width)`` /
        ``(height, width, channels)``; only the number of inputs matters.
    n_filters : int, default=100
        Number of post-synaptic neurons.

    Notes
    -----
    Weights have shape ``(1, n_inputs, n_filters)`` and

    .. math:: I_{b,0,f} = \\sum_i x_{b,i} \\, w_{0,i,f}.

    This is the layer of Diehl and Cook (2015).

    References
    ----------
    Diehl, P. U. and Cook, M. (2015). Unsupervised learning of digit recognition
    using spike-timing-dependent plasticity. Frontiers in Computational
    Neuroscience 9, 99.

    Examples
    --------
    >>> import numpy as np
    >>> from stdp_lab.connectivity import Dense
    >>> layer = Dense(4, n_filters=2)
    >>> w = np.ones(layer.weight_shape)
    >>> layer.currents(np.array([[True, False, True, True]]), w)
    array([[[3., 3.]]])
    """

    _parameter_constraints = {
        "input_shape": Shape(1, 2, 3),
        "n_filters": Interval(numbers.Integral, 1, None),
    }

    def __init__(self, input_shape, n_filters=100):
        self.input_shape = input_shape
        self.n_filters = n_filters

    def _build_geometry(self, params: dict) -> dict:
        n_inputs = int(np.prod(params["input_shape"]))
        return {
            "n_inputs": n_inputs,
            "output_grid": (1, 1),
            "index": np.arange(n_inputs)[None, :],  # (1, N)
            "shared": True,
        }

    def patches(self, x) -> np.ndarray:
        x = _check_x(x, self.n_inputs, self.input_shape)
        return x[:, None, :]  # (B, N) -> (B, 1, N), a view

    patches.__doc__ = Connectivity.patches.__doc__

    def _currents(self, x, weights, dtype) -> np.ndarray:
        current = x.astype(dtype, copy=False) @ weights[0].astype(dtype, copy=False)
        return current[:, None, :]  # (B, F) -> (B, 1, F)

    def expand(self, weights) -> np.ndarray:
        weights = self._check_weights_shape(weights)
        return weights[0].copy()  # (1, N, F) -> (N, F)

    expand.__doc__ = Connectivity.expand.__doc__


class _Grid2D(Connectivity):
    """Shared geometry of the 2-D layers (receptive fields on an image grid)."""

    _parameter_constraints = {
        "input_shape": Shape(2, 3),
        "kernel_size": Pair(),
        "stride": Pair(),
        "n_filters": Interval(numbers.Integral, 1, None),
    }
    _shared = False

    def _build_geometry(self, params: dict) -> dict:
        shape = params["input_shape"]
        height, width = shape[:2]
        n_channels = shape[2] if len(shape) == 3 else 1
        kh, kw = params["kernel_size"]
        sh, sw = params["stride"]
        if kh > height or kw > width:
            raise ValueError(f"kernel_size {(kh, kw)} does not fit input_shape {shape}")
        out_h = (height - kh) // sh + 1
        out_w = (width - kw) // sw + 1
        # Flat index of (row, col, channel) is (row * width + col) * C + channel.
        rows = (np.arange(out_h) * sh)[:, None, None, None, None]  # (oh,1,1,1,1)
        cols = (np.arange(out_w) * sw)[None, :, None, None, None]  # (1,ow,1,1,1)
        k_rows = np.arange(kh)[None, None, :, None, None]  # (1,1,kh,1,1)
        k_cols = np.arange(kw)[None, None, None, :, None]  # (1,1,1,kw,1)
        channels = np.arange(n_channels)[None, None, None, None, :]  # (1,1,1,1,C)
        index = ((rows + k_rows) * width + (cols + k_cols)) * n_channels + channels
        index = index.reshape(out_h * out_w, kh * kw * n_channels)  # (L, K)
        return {
            "n_inputs": height * width * n_channels,
            "output_grid": (out_h, out_w),
            "index": np.ascontiguousarray(index, dtype=np.intp),
            "shared": self._shared,
        }


class LocallyConnected2D(_Grid2D):
    """Locally connected 2-D layer: each location has its own filters.

    Parameters
    ----------
    input_shape : tuple of int
        ``(height, width)`` or ``(height, width, channels)``; samples are
        flattened in C order (channels last).
    kernel_size : int or pair of int
        Receptive field ``(kh, kw)`` in pixels.
    stride : int or pair of int, default=1
        Step ``(sh, sw)`` between receptive fields, in pixels. Only valid
        positions are used: ``out = (height - kh) // sh + 1`` (same for width),
        so a stride that does not divide ``height - kh`` leaves a margin.
    n_filters : int, default=25
        Number of neurons (filters) per location.

    Notes
    -----
    Weights have shape ``(L, K, F)`` with ``K = kh * kw * channels``:

    .. math:: I_{b,l,f} = \\sum_k x_{b,\\mathrm{index}[l,k]} \\, w_{l,k,f}.

    Each location learns its own filters and competes separately (Saunders et al.
    2019), unlike the shared weights of ``Conv2D``.

    References
    ----------
    Saunders, D. J., Patel, D., Hazan, H., Siegelmann, H. T. and Kozma, R. (2019).
    Locally connected spiking neural networks for unsupervised feature learning.
    Neural Networks 119, 332-340.

    Examples
    --------
    >>> import numpy as np
    >>> from stdp_lab.connectivity import LocallyConnected2D
    >>> layer = LocallyConnected2D((28, 28), kernel_size=12, stride=4, n_filters=25)
    >>> layer.output_grid, layer.weight_shape
    ((5, 5), (25, 144, 25))
    """

    def __init__(self, input_shape, kernel_size, stride=1, n_filters=25):
        self.input_shape = input_shape
        self.kernel_size = kernel_size
        self.stride = stride
        self.n_filters = n_filters

    def _currents(self, x, weights, dtype) -> np.ndarray:
        # Gather as (L, B, K) so one batched matmul over locations does the work.
        patches = x.T[self.index]  # (N, B)[(L, K)] -> (L, K, B)
        patches = patches.astype(dtype, copy=False).transpose(0, 2, 1)  # (L, B, K)
        current = np.matmul(patches, weights.astype(dtype, copy=False))  # (L, B, F)
        # A contiguous result so that reshape(B, L * F) downstream is a view.
        return np.ascontiguousarray(current.transpose(1, 0, 2))  # -> (B, L, F)


class Conv2D(_Grid2D):
    """Convolutional 2-D layer: all locations share one set of filters.

    Parameters
    ----------
    input_shape : tuple of int
        ``(height, width)`` or ``(height, width, channels)``; samples are
        flattened in C order (channels last).
    kernel_size : int or pair of int
        Receptive field ``(kh, kw)`` in pixels.
    stride : int or pair of int, default=1
        Step ``(sh, sw)`` between receptive fields, in pixels. Only valid
        positions are used: ``out = (height - kh) // sh + 1`` (same for width),
        so a stride that does not divide ``height - kh`` leaves a margin.
    n_filters : int, default=25
        Number of feature maps.

    Notes
    -----
    Weights have shape ``(1, K, F)``, shared by every location (a valid, strided
    cross-correlation, summed over channels):

    .. math:: I_{b,l,f} = \\sum_k x_{b,\\mathrm{index}[l,k]} \\, w_{0,k,f}.

    A rule's change ``dw`` of shape ``(L, K, F)`` is summed over locations by
    ``fold``. Kheradpisheh et al. (2018) train such shared filters with STDP.

    References
    ----------
    Kheradpisheh, S. R., Ganjtabesh, M., Thorpe, S. J. and Masquelier, T. (2018).
    STDP-based spiking deep convolutional neural networks for object
    recognition. Neural Networks 99, 56-67.

    Examples
    --------
    >>> import numpy as np
    >>> from stdp_lab.connectivity import Conv2D
    >>> layer = Conv2D((6, 8, 2), kernel_size=(3, 2), stride=(1, 2), n_filters=4)
    >>> layer.output_grid, layer.weight_shape
    ((4, 4), (1, 12, 4))
    """

    _shared = True

    def __init__(self, input_shape, kernel_size, stride=1, n_filters=25):
        self.input_shape = input_shape
        self.kernel_size = kernel_size
        self.stride = stride
        self.n_filters = n_filters

    def _currents(self, x, weights, dtype) -> np.ndarray:
        n_samples = x.shape[0]
        n_locations, patch_size = self.index.shape
        patches = x[:, self.index].astype(dtype, copy=False)  # (B, L, K)
        patches = patches.reshape(n_samples * n_locations, patch_size)  # (B*L, K)
        current = patches @ weights[0].astype(dtype, copy=False)  # (B*L, F)
        return current.reshape(n_samples, n_locations, -1)  # (B*L, F) -> (B, L, F)


_CONNECTIVITIES = {"dense": Dense, "local": LocallyConnected2D, "conv": Conv2D}


def make_connectivity(name: str, input_shape, **params) -> Connectivity:
    """Build a connectivity from its name.

    Parameters
    ----------
    name : {"dense", "local", "conv"}
        ``Dense``, ``LocallyConnected2D`` or ``Conv2D``.
    input_shape : int or tuple of int
        Passed to the class.
    **params
        Other constructor parameters (``kernel_size``, ``stride``, ``n_filters``).

    Returns
    -------
    connectivity : Connectivity

    Examples
    --------
    >>> from stdp_lab.connectivity import make_connectivity
    >>> make_connectivity("conv", (28, 28), kernel_size=5, n_filters=8).n_locations
    576
    """
    if not isinstance(name, str) or name not in _CONNECTIVITIES:
        known = ", ".join(repr(k) for k in _CONNECTIVITIES)
        raise ValueError(f"connectivity must be one of {known}; got {name!r}")
    return _CONNECTIVITIES[name](input_shape, **params)


def _check_expanded(expanded, spikes) -> tuple[np.ndarray, np.ndarray]:
    expanded = np.asarray(expanded)
    spikes = np.asarray(spikes)
    if expanded.ndim != 2:
        raise ValueError(
            f"expanded must be 2-D (n_inputs, n_outputs), got shape {expanded.shape}"
        )
    if spikes.ndim != 2 or spikes.shape[1] != expanded.shape[0]:
        raise ValueError(
            f"spikes must have shape (n_samples, {expanded.shape[0]}), "
            f"got {spikes.shape}"
        )
    return expanded, spikes


def sparse_currents(expanded, spikes) -> np.ndarray:
    """Sum the rows of ``expanded`` of the inputs that spiked, per sample.

    Equal to ``spikes.astype(expanded.dtype) @ expanded`` but faster when few
    inputs spike: the spikes become a CSR matrix (samples are rows, so no
    Python loop over samples) multiplied by ``expanded``.

    Parameters
    ----------
    expanded : ndarray of shape (n_inputs, n_outputs)
        The matrix returned by ``Connectivity.expand``.
    spikes : ndarray of bool, shape (n_samples, n_inputs)

    Returns
    -------
    currents : ndarray of shape (n_samples, n_outputs)
        Same dtype as ``expanded``; rows of samples with no spike are zero.
    """
    expanded, spikes = _check_expanded(expanded, spikes)
    n_samples, n_inputs = spikes.shape
    active = np.flatnonzero(spikes)  # sorted by sample, then input
    values = spikes.reshape(-1)[active].astype(expanded.dtype)  # (n_active,)
    # Row r of the CSR matrix holds the spikes of flat positions [r*N, (r+1)*N).
    indptr = np.searchsorted(active, np.arange(n_samples + 1) * n_inputs)  # (B+1,)
    matrix = sp.csr_array(
        (values, active % n_inputs, indptr),
        shape=(n_samples, n_inputs),
    )
    return np.asarray(matrix @ expanded, dtype=expanded.dtype)  # (B, n_outputs)


def expanded_currents(expanded, spikes) -> np.ndarray:
    """Input currents ``spikes @ expanded``, sparse or dense, whichever is faster.

    Uses ``sparse_currents`` when at most ``SPARSE_MAX_FRACTION`` of the inputs
    spiked and ``expanded`` has at least ``SPARSE_MIN_SIZE`` entries (see the
    measurements next to these constants), the dense matmul otherwise.

    Parameters
    ----------
    expanded : ndarray of shape (n_inputs, n_outputs)
    spikes : ndarray of bool, shape (n_samples, n_inputs)

    Returns
    -------
    currents : ndarray of shape (n_samples, n_outputs), dtype of ``expanded``
    """
    expanded, spikes = _check_expanded(expanded, spikes)
    if spikes.dtype == np.bool_ and expanded.size >= SPARSE_MIN_SIZE:
        n_active = np.count_nonzero(spikes)
        if n_active <= SPARSE_MAX_FRACTION * spikes.size:
            return sparse_currents(expanded, spikes)
    return spikes.astype(expanded.dtype, copy=False) @ expanded
