"""The k-means patch-feature baseline (Coates & Ng 2011) of the rule comparison."""

from __future__ import annotations

import math
import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.cluster import MiniBatchKMeans
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

from .._validation import (
    InstanceOf,
    Interval,
    Pair,
    Shape,
    check_rng,
    none,
    validate_params,
)
from ..connectivity import LocallyConnected2D


class KMeansPatchFeatures(TransformerMixin, BaseEstimator):
    """K-means patch features with the triangle activation (Coates & Ng 2011).

    ``fit`` takes patches of the image at every receptive-field position,
    normalises the contrast of each patch, optionally whitens them (ZCA) and
    clusters a random subset with mini-batch k-means. ``transform`` gives, at every
    location, the triangle activation of each centroid: how much closer than
    average the patch is to it. The geometry (kernel, stride) is that of a
    :class:`~stdp_lab.connectivity.LocallyConnected2D` layer, so the features
    line up with those of a spiking layer of the same shape: ``n_locations *
    n_filters`` non-negative features, location-major.

    Parameters
    ----------
    image_shape : tuple of int or None, default=None
        ``(height, width)`` or ``(height, width, channels)`` (channels last) of
        the flattened samples. None: square, one channel.
    kernel_size : int or pair of int, default=5
        Patch size ``(kh, kw)``.
    stride : int or pair of int, default=1
        Distance between patches.
    n_filters : int, default=25
        Number of centroids (features per location).
    n_patches : int, default=10000
        Patches drawn at random (over samples and locations) to fit k-means.
    norm_epsilon : float, default=0.01
        Added to each patch's variance before dividing by its square root, in
        units of the squared intensity once X is scaled to [0, 1]. Coates & Ng
        use 10 for pixels in [0, 255] (1.5e-4 here); a larger value keeps the
        normalisation from blowing up nearly blank patches, common in digits.
    whiten : bool, default=False
        ZCA-whiten the normalised patches. Coates & Ng find that it helps on
        natural images with small patches; on an MNIST subset (2000 / 1000
        images, 12 x 12 patches, 25 centroids) it lowered the linear readout
        from 95% to 91% and the vote from 57% to 17%, so it is off by default.
    zca_epsilon : float, default=0.1
        Added to the eigenvalues of the patch covariance when whitening.
    random_state : int, Generator or None, default=None
        Seed of the patch draw and of k-means.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_filters, patch_size)
        Centroids in the normalised (and, with ``whiten``, whitened) patch space.
    weights_ : ndarray of shape (1, patch_size, n_filters)
        The centroids in the weight layout of a shared-weight layer.
    input_scale_ : float
        Maximum of the training data; X is divided by it.
    patch_mean_ : ndarray of shape (patch_size,) or None
        Mean normalised patch, subtracted before whitening (None without).
    whitening_ : ndarray of shape (patch_size, patch_size) or None
        ZCA matrix.
    n_features_in_ : int

    Notes
    -----
    With :math:`x` a patch of :math:`K` intensities, its normalised version is
    :math:`\\hat x = (x - \\bar x) / \\sqrt{\\mathrm{var}(x) + \\epsilon}`; after
    optional whitening, :math:`z_f = \\lVert \\hat x - c_f \\rVert` is its distance to
    centroid :math:`f` and the feature is

    .. math:: a_f = \\max\\big(0, \\tfrac{1}{F} \\textstyle\\sum_g z_g - z_f\\big),

    zero for the centroids farther than average (about half of them).

    References
    ----------
    Coates, A. & Ng, A. Y. (2011). The importance of encoding versus training
    with sparse coding and vector quantization. ICML.

    Coates, A., Lee, H. & Ng, A. Y. (2011). An analysis of single-layer
    networks in unsupervised feature learning. AISTATS.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from stdp_lab.compare import KMeansPatchFeatures
    >>> X, y = load_digits(return_X_y=True)
    >>> kmeans = KMeansPatchFeatures(kernel_size=3, stride=1, n_filters=8,
    ...                              n_patches=2000, random_state=0).fit(X[:200])
    >>> kmeans.transform(X[:5]).shape  # 6 x 6 locations, 8 centroids each
    (5, 288)
    """

    _parameter_constraints = {
        "image_shape": [none, Shape(2, 3)],
        "kernel_size": Pair(),
        "stride": Pair(),
        "n_filters": Interval(numbers.Integral, 1, None),
        "n_patches": Interval(numbers.Integral, 1, None),
        "norm_epsilon": Interval(numbers.Real, 0.0, None, closed="neither"),
        "whiten": InstanceOf(bool, np.bool_),
        "zca_epsilon": Interval(numbers.Real, 0.0, None, closed="neither"),
        "random_state": [
            none,
            Interval(numbers.Integral, 0, None),
            InstanceOf(np.random.Generator, np.random.RandomState),
        ],
    }

    def __init__(
        self,
        image_shape=None,
        kernel_size=5,
        stride=1,
        n_filters=25,
        n_patches=10000,
        norm_epsilon=0.01,
        whiten=False,
        zca_epsilon=0.1,
        random_state=None,
    ):
        self.image_shape = image_shape
        self.kernel_size = kernel_size
        self.stride = stride
        self.n_filters = n_filters
        self.n_patches = n_patches
        self.norm_epsilon = norm_epsilon
        self.whiten = whiten
        self.zca_epsilon = zca_epsilon
        self.random_state = random_state

    def _connectivity(self, params: dict, n_features: int) -> LocallyConnected2D:
        """The patch geometry, from the checked parameters ``params``."""
        shape = params["image_shape"]
        if shape is None:
            side = int(round(math.sqrt(n_features)))
            if side * side != n_features:
                raise ValueError(
                    "image_shape=None needs square images, but X has "
                    f"{n_features} features; give image_shape"
                )
            shape = (side, side)
        conn = LocallyConnected2D(
            shape,
            kernel_size=params["kernel_size"],
            stride=params["stride"],
            n_filters=self.n_filters,
        )
        if conn.n_inputs != n_features:
            raise ValueError(
                f"image_shape {self.image_shape!r} holds {conn.n_inputs} values but "
                f"X has {n_features} features"
            )
        return conn

    def _normalise(self, patches: np.ndarray) -> np.ndarray:
        """Contrast-normalise (and whiten) patches of shape (..., K); the
        normalisation writes into ``patches``."""
        patches -= patches.mean(axis=-1, keepdims=True)
        patches /= np.sqrt(patches.var(axis=-1, keepdims=True) + self.norm_epsilon)
        if self.whitening_ is not None:
            patches -= self.patch_mean_
            patches = patches @ self.whitening_  # (..., K) @ (K, K) -> (..., K)
        return patches

    def fit(self, X, y=None):
        """Learn the normalisation, the whitening and the centroids from X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Flattened images (non-negative intensities).
        y : ignored

        Returns
        -------
        self : KMeansPatchFeatures
        """
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        params = validate_params(self, self._parameter_constraints)
        conn = self._connectivity(params, X.shape[1])
        rng = check_rng(self.random_state)
        top = float(X.max()) if X.size else 1.0
        self.input_scale_ = top if top > 0 else 1.0
        n_samples, n_locations = len(X), conn.n_locations
        n_draw = min(self.n_patches, n_samples * n_locations)
        if n_draw < self.n_filters:
            raise ValueError(
                f"n_filters={self.n_filters} centroids need at least as many "
                f"patches, but X gives {n_samples * n_locations}"
            )
        picks = rng.choice(n_samples * n_locations, size=n_draw, replace=False)
        rows, locations = np.divmod(picks, n_locations)
        patches = (X[rows[:, None], conn.index[locations]] / self.input_scale_).astype(
            np.float64
        )  # (n_draw, K)
        self.whitening_ = None
        patches = self._normalise(patches)
        if self.whiten:
            self.patch_mean_ = patches.mean(axis=0)  # (K,)
            centred = patches - self.patch_mean_
            cov = centred.T @ centred / len(centred)  # (K, K)
            eigval, eigvec = np.linalg.eigh(cov)
            eigval = np.maximum(eigval, 0.0)
            self.whitening_ = (eigvec / np.sqrt(eigval + self.zca_epsilon)) @ eigvec.T
            patches = centred @ self.whitening_  # (n_draw, K)
        else:
            self.patch_mean_ = None
        kmeans = MiniBatchKMeans(
            n_clusters=self.n_filters,
            n_init=3,
            random_state=int(rng.integers(2**31 - 1)),
        )
        # One OpenMP thread: the mini-batches are small (threads cost more than
        # they save, up to 100 times on a busy machine) and the centroids then
        # do not depend on the number of cores.
        with threadpool_limits(limits=1, user_api="openmp"):
            kmeans.fit(patches)
        self.cluster_centers_ = kmeans.cluster_centers_
        self.weights_ = self.cluster_centers_.T[None]  # (F, K) -> (1, K, F)
        self._conn = conn
        return self

    def transform(self, X):
        """Triangle activation of every centroid at every location.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        features : ndarray of shape (n_samples, n_locations * n_filters)
            Non-negative, location-major (all centroids of location 0 first).
        """
        check_is_fitted(self, "cluster_centers_")
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        conn = self._conn
        centers = self.cluster_centers_  # (F, K)
        center_sq = (centers**2).sum(axis=1)  # (F,)
        out = np.empty((len(X), conn.n_locations, self.n_filters))  # (n, L, F)
        # Chunks of samples bound the memory of the (chunk, L, K) patches.
        chunk = max(1, 2**20 // max(conn.n_locations * conn.patch_size, 1))
        for start in range(0, len(X), chunk):
            block = X[start : start + chunk] / self.input_scale_
            patches = self._normalise(conn.patches(block).astype(np.float64))
            sq = (patches**2).sum(axis=-1, keepdims=True)  # (c, L, 1)
            dist2 = sq - 2.0 * patches @ centers.T + center_sq  # (c, L, F)
            dist = np.sqrt(np.maximum(dist2, 0.0))
            out[start : start + chunk] = np.maximum(
                dist.mean(axis=-1, keepdims=True) - dist, 0.0
            )
        return out.reshape(len(X), -1).astype(X.dtype, copy=False)  # (n, L * F)
