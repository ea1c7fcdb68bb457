"""Compare plasticity rules on one architecture: one call, one table, one figure.

:func:`compare_rules` trains the same :class:`~stdp_lab.SpikingFeatureLearner`
with each rule over several seeds, reads its spike counts out with a linear
classifier and with the vote of :class:`~stdp_lab.SpikeCountClassifier`, and
measures time, spikes, sparsity, weight statistics and receptive-field
diversity. Three baselines are rows of the same table: the same network with
frozen random weights (what learning adds, Illing et al. 2019), k-means patch
features (:class:`KMeansPatchFeatures`, Coates & Ng 2011) and the raw pixels.
"""

from __future__ import annotations

import copy
import csv
import inspect
import math
import numbers
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.cluster import MiniBatchKMeans
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_array
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

from ._validation import check_pair, check_rng, check_scalar
from .connectivity import LocallyConnected2D
from .estimators import SpikeCountClassifier, SpikingFeatureLearner
from .plasticity import Rule, TraceSpec, make_rule

__all__ = [
    "compare_rules",
    "KMeansPatchFeatures",
    "rf_diversity",
    "METRICS",
    "BASELINES",
]

#: Metrics measured for every run; the table has ``f"{m}_mean"`` and
#: ``f"{m}_std"`` for each.
METRICS: tuple[str, ...] = (
    "linear_accuracy",
    "vote_accuracy",
    "fit_seconds",
    "transform_seconds",
    "spikes_per_sample",
    "sparsity",
    "weight_mean",
    "weight_std",
    "rf_diversity",
)

#: Baseline names accepted by ``compare_rules(baselines=...)``.
BASELINES: tuple[str, ...] = ("random", "kmeans", "pixels")

_BASELINE_DESCRIPTIONS = {
    "random": "same network, frozen random weights",
    "kmeans": "k-means patch features (Coates & Ng 2011)",
    "pixels": "raw pixels",
}

# Iterations of the linear readout's solver: standardised spike counts of a few
# thousand samples converge well within this.
_MAX_ITER = 1000

# Parameters of KMeansPatchFeatures taken from the spiking layer's geometry.
_KMEANS_GEOMETRY = ("image_shape", "kernel_size", "stride", "n_filters")

# Filters shown per rule in the figure.
_N_FIGURE_FILTERS = 8


# ---------------------------------------------------------------------------
# metrics
# ---------------------------------------------------------------------------
def rf_diversity(weights) -> float:
    """Receptive-field diversity: 1 - mean |Pearson r| between the filters of a
    location, averaged over locations.

    Parameters
    ----------
    weights : array-like of shape (n_locations, patch_size, n_filters)
        Weights in the layout of :mod:`stdp_lab.connectivity` (``(1, K, F)``
        for Dense and Conv2D layers).

    Returns
    -------
    diversity : float
        In [0, 1]: 0 when all filters of every location are the same pattern
        up to scale and offset (or its negative), near 1 when they are
        uncorrelated. NaN when no location has two non-constant filters.

    Notes
    -----
    With :math:`r_{l,fg}` the Pearson correlation over the ``K`` inputs between
    filters :math:`f` and :math:`g` of location :math:`l`, and :math:`P_l` the
    set of pairs :math:`f \\ne g` of non-constant filters there (a constant
    filter has no correlation and is left out),

    .. math::

        D = 1 - \\frac{1}{|\\mathcal{L}|} \\sum_{l \\in \\mathcal{L}}
            \\frac{1}{|P_l|} \\sum_{(f, g) \\in P_l} |r_{l,fg}|,

    where :math:`\\mathcal{L}` are the locations with at least one pair.

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([[1.0, 2.0, 3.0], [1.0, 3.0, 2.0]]).T[None]  # (1, 3, 2)
    >>> round(rf_diversity(w), 3)  # r = 0.5 between the two filters
    0.5
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 3:
        raise ValueError(
            "weights must be 3-D (n_locations, patch_size, n_filters), got shape "
            f"{w.shape}"
        )
    centred = w - w.mean(axis=1, keepdims=True)  # (L, K, F)
    norms = np.linalg.norm(centred, axis=1)  # (L, F)
    # A filter is constant when what is left after removing its mean is at the
    # level of rounding errors.
    scale = np.abs(w).max(axis=1) * np.sqrt(w.shape[1])  # (L, F)
    varies = norms > 1e-12 * np.maximum(scale, np.finfo(np.float64).tiny)  # (L, F)
    unit = np.divide(
        centred,
        norms[:, None, :],
        out=np.zeros_like(centred),
        where=varies[:, None, :],
    )  # (L, K, F)
    r = np.einsum("lkf,lkg->lfg", unit, unit)  # (L, F, F) correlations
    n_filters = w.shape[2]
    pairs = varies[:, :, None] & varies[:, None, :] & ~np.eye(n_filters, dtype=bool)
    n_pairs = pairs.sum(axis=(1, 2))  # (L,)
    if not n_pairs.any():
        return math.nan
    mean_abs = np.abs(np.where(pairs, r, 0.0)).sum(axis=(1, 2))[n_pairs > 0]
    mean_abs /= n_pairs[n_pairs > 0]  # (L with pairs,)
    return float(1.0 - min(mean_abs.mean(), 1.0))


def _weight_metrics(weights) -> dict:
    weights = np.asarray(weights, dtype=np.float64)
    return {
        "weight_mean": float(weights.mean()),
        "weight_std": float(weights.std()),
        "rf_diversity": rf_diversity(weights),
    }


# ---------------------------------------------------------------------------
# baselines
# ---------------------------------------------------------------------------
class _FrozenWeights(Rule):
    """A rule that never changes a weight (dw = 0, no traces).

    Fitting a :class:`~stdp_lab.SpikingFeatureLearner` with it keeps the random
    initial weights of ``random_state`` while everything else runs as with a
    learning rule: adaptive thresholds still adapt, the weights are still
    clipped and normalised (which leaves them unchanged).
    """

    def pre_traces(self) -> tuple[TraceSpec, ...]:
        return ()

    def post_traces(self) -> tuple[TraceSpec, ...]:
        return ()

    def delta(self, pre, post, weights, state=None):
        n_locations, patch_size = pre.spikes.shape[1:]
        n_filters = post.spikes.shape[2]
        return np.zeros((n_locations, patch_size, n_filters), dtype=weights.dtype)


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

    def _connectivity(self, n_features: int) -> LocallyConnected2D:
        shape = self.image_shape
        if shape is None:
            side = int(round(math.sqrt(n_features)))
            if side * side != n_features:
                raise ValueError(
                    "image_shape=None needs square images, but X has "
                    f"{n_features} features; give image_shape"
                )
            shape = (side, side)
        conn = LocallyConnected2D(
            tuple(shape),
            kernel_size=check_pair(self.kernel_size, "kernel_size"),
            stride=check_pair(self.stride, "stride"),
            n_filters=check_scalar(
                self.n_filters, "n_filters", numbers.Integral, low=1
            ),
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
        check_scalar(self.n_patches, "n_patches", numbers.Integral, low=1)
        check_scalar(self.norm_epsilon, "norm_epsilon", low=0.0, low_inclusive=False)
        check_scalar(self.zca_epsilon, "zca_epsilon", low=0.0, low_inclusive=False)
        conn = self._connectivity(X.shape[1])
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


# ---------------------------------------------------------------------------
# one run
# ---------------------------------------------------------------------------
def _readouts(F_train, y_train, F_test, y_test) -> dict:
    linear = make_pipeline(StandardScaler(), LogisticRegression(max_iter=_MAX_ITER))
    linear.fit(F_train, y_train)
    vote = SpikeCountClassifier().fit(F_train, y_train)
    return {
        "linear_accuracy": float(linear.score(F_test, y_test)),
        "vote_accuracy": float(vote.score(F_test, y_test)),
        "sparsity": float(np.mean(F_test == 0)) if F_test.size else math.nan,
    }


def _timed_features(model, X_train, X_test):
    start = time.perf_counter()
    model.fit(X_train)
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    F_train = model.transform(X_train)
    F_test = model.transform(X_test)
    transform_seconds = time.perf_counter() - start
    return F_train, F_test, fit_seconds, transform_seconds


def _run(kind, rule, seed, data, shared_params, geometry, keep_weights) -> dict:
    """One (entry, seed) run: features, both readouts and every metric.

    BLAS and OpenMP use one thread inside a run, so that its floating-point
    results do not depend on how many runs share the machine (``n_jobs``).
    """
    X_train, y_train, X_test, y_test = data
    result = dict.fromkeys(METRICS, math.nan)
    weights = patch_shape = None
    with threadpool_limits(limits=1):
        if kind == "pixels":
            F_train, F_test = X_train, X_test
        elif kind == "kmeans":
            params = {key: geometry[key] for key in _KMEANS_GEOMETRY}
            model = KMeansPatchFeatures(random_state=seed, **params)
            F_train, F_test, fit_s, transform_s = _timed_features(
                model, X_train, X_test
            )
            result.update(fit_seconds=fit_s, transform_seconds=transform_s)
            # Centroids live in the normalised patch space: their mean and spread
            # are not comparable with synaptic weights, their diversity is.
            result["rf_diversity"] = rf_diversity(model.weights_)
            weights, patch_shape = model.weights_, geometry["patch_shape"]
        else:
            model = SpikingFeatureLearner(rule=rule, random_state=seed, **shared_params)
            F_train, F_test, fit_s, transform_s = _timed_features(
                model, X_train, X_test
            )
            result.update(fit_seconds=fit_s, transform_seconds=transform_s)
            result.update(_weight_metrics(model.weights_))
            result["spikes_per_sample"] = (
                float(F_test.sum(axis=1).mean()) if len(F_test) else math.nan
            )
            weights, patch_shape = model.weights_, geometry["patch_shape"]
        result.update(_readouts(F_train, y_train, F_test, y_test))
    if keep_weights:
        result["weights"] = weights
        result["patch_shape"] = patch_shape
    return result


# ---------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------
def _same(a, b) -> bool:
    if a is b:
        return True
    try:
        return bool(a == b)
    except Exception:  # e.g. arrays or objects without a truth value
        return False


def _rule_label(rule) -> str:
    """A rule name as given; for an instance, its class name plus the parameters
    that differ from the defaults of its ``__init__``."""
    if isinstance(rule, str):
        return rule
    name = type(rule).__name__
    try:
        params = rule.get_params(deep=False)
        signature = inspect.signature(type(rule).__init__)
    except (RuntimeError, TypeError, ValueError):
        return name
    changed = []
    for key, value in params.items():
        param = signature.parameters.get(key)
        default = inspect.Parameter.empty if param is None else param.default
        if default is inspect.Parameter.empty or not _same(value, default):
            if isinstance(value, np.generic):
                value = value.item()
            changed.append(f"{key}={value!r}")
    return f"{name}({', '.join(changed)})" if changed else name


def _entries(rules) -> list[tuple[str, object]]:
    """(label, rule) pairs from a sequence or a dict of rules, validated."""
    if isinstance(rules, (str, Rule)):
        rules = [rules]
    if isinstance(rules, Mapping):
        pairs = []
        for label, rule in rules.items():
            if not isinstance(label, str) or not label:
                raise TypeError(
                    f"rules: dict keys must be non-empty strings, got {label!r}"
                )
            pairs.append((label, rule))
    elif isinstance(rules, Sequence) or (
        rules is not None and hasattr(rules, "__iter__")
    ):
        pairs = [(None, rule) for rule in rules]
    else:
        raise TypeError(
            "rules must be a sequence of rule names / Rule instances or a dict "
            f"label -> rule, got {type(rules).__name__}"
        )
    if not pairs:
        raise ValueError("rules must hold at least one rule, got an empty collection")
    entries = []
    for label, rule in pairs:
        # Unknown names and bad hyperparameters raise here, before any run.
        make_rule(rule)._check()
        entries.append((_rule_label(rule) if label is None else label, rule))
    labels = [label for label, _ in entries]
    for label in labels:
        if labels.count(label) > 1:
            raise ValueError(
                f"rules: two entries have the label {label!r}; give a dict "
                "label -> rule to tell them apart"
            )
    return entries


def _check_seeds(seeds) -> list[int]:
    if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__iter__"):
        raise TypeError(f"seeds must be a sequence of ints, got {seeds!r}")
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one seed, got an empty sequence")
    for seed in seeds:
        check_scalar(seed, "seeds", numbers.Integral, low=0)
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct, got {seeds!r}")
    return [int(seed) for seed in seeds]


def _check_baselines(baselines) -> list[str]:
    if baselines is None:
        return []
    if isinstance(baselines, str):
        baselines = [baselines]
    baselines = list(baselines)
    for name in baselines:
        if name not in BASELINES:
            known = ", ".join(repr(b) for b in BASELINES)
            raise ValueError(f"baselines must be among {known}; got {name!r}")
    if len(set(baselines)) != len(baselines):
        raise ValueError(f"baselines must be distinct, got {baselines!r}")
    return baselines


def _check_data(X_train, y_train, X_test, y_test):
    X_train = check_array(X_train, dtype=[np.float64, np.float32], input_name="X_train")
    X_test = check_array(X_test, dtype=[np.float64, np.float32], input_name="X_test")
    y_train = np.asarray(y_train)
    y_test = np.asarray(y_test)
    for name, X, y in (("train", X_train, y_train), ("test", X_test, y_test)):
        if y.ndim != 1 or len(y) != len(X):
            raise ValueError(
                f"y_{name} must be 1-D with one label per row of X_{name}: got "
                f"shape {y.shape} for {len(X)} samples"
            )
        if X.min() < 0:
            raise ValueError(
                f"X_{name} must hold non-negative intensities, found minimum "
                f"{float(X.min())!r}"
            )
    if X_test.shape[1] != X_train.shape[1]:
        raise ValueError(
            f"X_test has {X_test.shape[1]} features but X_train has {X_train.shape[1]}"
        )
    check_classification_targets(y_train)
    if len(np.unique(y_train)) < 2:
        raise ValueError("y_train must hold at least two classes")
    return X_train, y_train, X_test, y_test


def _geometry(shared_params: dict, n_features: int) -> dict:
    """Patch geometry of the network that ``shared_params`` build (validating
    them), for the k-means baseline and the receptive-field figure."""
    for reserved in ("rule", "random_state"):
        if reserved in shared_params:
            raise ValueError(
                f"shared_params must not set {reserved!r}: compare_rules sets it "
                "for every run (give rules and seeds instead)"
            )
    layer, _, image_shape = SpikingFeatureLearner(**shared_params)._build(n_features)
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
    }


# ---------------------------------------------------------------------------
# table
# ---------------------------------------------------------------------------
def _summary(values) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof=1) of the values that are not
    NaN; NaN where undefined (no value, or a single value for the spread)."""
    values = np.asarray(values, dtype=np.float64)
    if np.isnan(values).all():
        return math.nan, math.nan
    if np.isnan(values).any():
        values = values[~np.isnan(values)]
    mean = float(values.mean())
    std = float(values.std(ddof=1)) if len(values) > 1 else math.nan
    return mean, std


def _row(label, kind, description, runs) -> dict:
    row = {"label": label, "kind": kind, "description": description}
    row["n_seeds"] = len(runs)
    for metric in METRICS:
        mean, std = _summary([run[metric] for run in runs])
        row[f"{metric}_mean"] = mean
        row[f"{metric}_std"] = std
    return row


def _columns() -> list[str]:
    columns = ["label", "kind", "description", "n_seeds"]
    for metric in METRICS:
        columns += [f"{metric}_mean", f"{metric}_std"]
    return columns


def _as_table(rows: list[dict]):
    try:
        import pandas as pd
    except ImportError:
        return rows
    return pd.DataFrame(rows, columns=_columns())


_MD_COLUMNS = (
    ("linear_accuracy", "linear acc. (%)", 100.0, "{:.1f}"),
    ("vote_accuracy", "vote acc. (%)", 100.0, "{:.1f}"),
    ("fit_seconds", "fit (s)", 1.0, "{:.1f}"),
    ("transform_seconds", "transform (s)", 1.0, "{:.1f}"),
    ("spikes_per_sample", "spikes / sample", 1.0, "{:.0f}"),
    ("sparsity", "sparsity", 1.0, "{:.2f}"),
    ("weight_mean", "weight mean", 1.0, "{:.3f}"),
    ("weight_std", "weight std", 1.0, "{:.3f}"),
    ("rf_diversity", "RF diversity", 1.0, "{:.2f}"),
)


def _markdown(rows: list[dict]) -> str:
    """A Markdown table, mean ± std over seeds, accuracies in %."""
    header = ["label", "kind", "seeds"] + [title for _, title, _, _ in _MD_COLUMNS]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(["---"] * 2 + ["---:"] * (len(header) - 2)) + "|",
    ]
    for row in rows:
        cells = [row["label"].replace("|", "\\|"), row["kind"], str(row["n_seeds"])]
        for metric, _, factor, fmt in _MD_COLUMNS:
            mean, std = row[f"{metric}_mean"], row[f"{metric}_std"]
            if math.isnan(mean):
                cells.append("–")
            elif math.isnan(std):
                cells.append(fmt.format(mean * factor))
            else:
                cells.append(
                    f"{fmt.format(mean * factor)} ± {fmt.format(std * factor)}"
                )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _write_csv(rows: list[dict], path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=_columns())
        writer.writeheader()
        for row in rows:
            writer.writerow({key: row[key] for key in _columns()})


def _save_figure(rows, fields, n_classes: int, path: Path) -> None:
    """Accuracy bars for both readouts (left) and a row of receptive fields per
    entry that has them (right)."""
    from matplotlib.figure import Figure

    from .plotting import plot_receptive_fields, plot_rule_comparison

    n_fields = len(fields)
    fig = Figure(figsize=(13, max(6.5, 1.4 * n_fields + 1.0)), layout="constrained")
    if n_fields:
        left, right = fig.subfigures(1, 2, width_ratios=[1.2, 1.0])
    else:
        left, right = fig, None
    chance = 1.0 / n_classes
    for ax, metric, title in zip(
        left.subplots(2, 1),
        ("linear_accuracy", "vote_accuracy"),
        ("linear readout", "vote readout"),
        strict=True,
    ):
        plot_rule_comparison(rows, metric=metric, ax=ax, chance=chance)
        ax.set_title(f"test accuracy, {title} (mean ± std over seeds)")
    if right is not None:
        right.suptitle("receptive fields: first filters at location 0, first seed")
        axes = np.atleast_1d(right.subplots(n_fields, 1))
        for ax, (label, weights, patch_shape) in zip(axes, fields, strict=True):
            plot_receptive_fields(
                weights,
                patch_shape,
                locations=[0],
                max_filters=_N_FIGURE_FILTERS,
                ax=ax,
            )
            ax.set_title(label, fontsize="small")
            ax.set_xlabel("")
            ax.set_ylabel("")
            ax.set_xticks([])
            ax.set_yticks([])
    fig.savefig(path, dpi=100)


# ---------------------------------------------------------------------------
# the comparison
# ---------------------------------------------------------------------------
def compare_rules(
    rules,
    X_train,
    y_train,
    X_test,
    y_test,
    *,
    seeds=(0, 1, 2),
    baselines=("random", "kmeans", "pixels"),
    n_jobs=None,
    out=None,
    verbose=0,
    **shared_params,
):
    """Train one architecture with each plasticity rule over several seeds and
    tabulate accuracy, cost and what the rule learned, beside baselines.

    Every entry is trained as ``SpikingFeatureLearner(rule=rule,
    random_state=seed, **shared_params)`` on ``X_train`` for each seed (so the
    same seed gives every rule the same initial weights and input spike
    trains); its spike counts of ``X_train`` fit two readouts, both scored on
    ``X_test``: a linear one, ``make_pipeline(StandardScaler(),
    LogisticRegression())``, and the label-assignment vote of
    :class:`~stdp_lab.SpikeCountClassifier`.

    Parameters
    ----------
    rules : sequence of (str or Rule), or dict label -> (str or Rule)
        Rule names (see :data:`stdp_lab.plasticity.RULES`) or instances,
        including user-defined :class:`~stdp_lab.plasticity.Rule` subclasses.
        Labels: a name as given; an instance's class name plus the parameters
        that differ from its defaults (``"PairSTDP(a_plus=0.001)"``); dict keys
        win. Two learning rates of one rule are two entries.
    X_train : array-like of shape (n_train, n_features)
        Non-negative intensities (flattened images).
    y_train : array-like of shape (n_train,)
        Labels, used by the readouts only.
    X_test : array-like of shape (n_test, n_features)
    y_test : array-like of shape (n_test,)
    seeds : sequence of int, default=(0, 1, 2)
        One run of every entry per seed (``random_state`` of the learner, of
        the k-means baseline, ...); the table gives the mean and the sample
        standard deviation over seeds.
    baselines : sequence of {"random", "kmeans", "pixels"} or None, \
default=("random", "kmeans", "pixels")
        Extra rows (``kind="baseline"``), after the rules, in this order:

        - ``"random"``: the same network with its random initial weights
          frozen (adaptive thresholds still adapt while fitting). A rule that
          does not beat it has learned nothing the readouts can use; random
          features are a strong baseline for local learning rules (Illing et
          al. 2019).
        - ``"kmeans"``: :class:`KMeansPatchFeatures` with the same kernel,
          stride and number of filters (Coates & Ng 2011).
        - ``"pixels"``: the raw pixels, read out the same two ways. It does
          not depend on the seed: it is computed once and counted for every
          seed (spread 0).
    n_jobs : int or None, default=None
        Runs (entry x seed) in parallel with joblib, as in scikit-learn. Each
        run uses one BLAS/OpenMP thread, so the results (all but the timing
        columns) do not depend on ``n_jobs``.
    out : str, path-like or None, default=None
        Folder (created if needed) to write ``comparison.csv``,
        ``comparison.md`` (Markdown, mean ± std, accuracies in %) and
        ``comparison.png`` (accuracy per entry with error bars for both
        readouts, and the first filters of the first location of each entry,
        first seed).
    verbose : int, default=0
        joblib's progress messages.
    **shared_params
        Parameters of :class:`~stdp_lab.SpikingFeatureLearner` shared by every
        run (``n_filters``, ``kernel_size``, ``n_timesteps``, ...); not
        ``rule`` or ``random_state``.

    Returns
    -------
    table : pandas.DataFrame or list of dict
        One row per entry, rules in the order given then baselines; a
        DataFrame when pandas is installed. Columns ``"label"``, ``"kind"``
        (``"rule"`` or ``"baseline"``), ``"description"`` (the rule's repr or
        the baseline's), ``"n_seeds"`` and ``f"{m}_mean"``, ``f"{m}_std"`` for
        each ``m`` of :data:`METRICS`:

        - ``linear_accuracy``, ``vote_accuracy``: test accuracy of each readout;
        - ``fit_seconds``; ``transform_seconds`` (train and test sets);
        - ``spikes_per_sample``: mean total spike count of a test sample;
        - ``sparsity``: fraction of zero entries of the test features;
        - ``weight_mean``, ``weight_std``: of all weights of ``weights_``;
        - ``rf_diversity``: see :func:`rf_diversity` (k-means: of the
          centroids).

        Values that do not apply (spikes and weights of the pixels, spikes and
        weight statistics of k-means) are NaN; a spread over one seed is NaN.

    Raises
    ------
    ValueError
        If ``rules`` is empty, names an unknown rule (the error of
        :func:`~stdp_lab.plasticity.make_rule`) or gives two entries the same
        label; if ``seeds`` or ``baselines`` are invalid; if
        ``shared_params`` sets ``rule`` or ``random_state`` or holds an invalid
        value.

    References
    ----------
    Coates, A., Lee, H. & Ng, A. Y. (2011). An analysis of single-layer
    networks in unsupervised feature learning. AISTATS.

    Illing, B., Gerstner, W. & Brea, J. (2019). Biologically plausible deep
    learning - but how far can we go with shallow networks? Neural Networks
    118, 90-101.

    Examples
    --------
    >>> from stdp_lab.compare import compare_rules
    >>> from stdp_lab.datasets import load_digits
    >>> images, y = load_digits()
    >>> X = images.reshape(len(images), -1)
    >>> table = compare_rules(["stdp", "oja"], X[:100], y[:100], X[100:150],
    ...                       y[100:150], seeds=[0], baselines=["random"],
    ...                       n_filters=4, n_timesteps=10)
    >>> rows = table.to_dict("records") if hasattr(table, "to_dict") else table
    >>> [r["label"] for r in rows], [r["kind"] for r in rows]
    (['stdp', 'oja', 'random'], ['rule', 'rule', 'baseline'])
    """
    entries = _entries(rules)
    seeds = _check_seeds(seeds)
    baselines = _check_baselines(baselines)
    for name in baselines:
        if name in dict(entries):
            raise ValueError(
                f"rules: the label {name!r} is taken by the baseline of that "
                "name; choose another label with a dict"
            )
    check_scalar(verbose, "verbose", numbers.Integral, low=0)
    if n_jobs is not None:
        check_scalar(n_jobs, "n_jobs", numbers.Integral)
    X_train, y_train, X_test, y_test = _check_data(X_train, y_train, X_test, y_test)
    geometry = _geometry(shared_params, X_train.shape[1])
    data = (X_train, y_train, X_test, y_test)
    if out is not None:
        out = Path(os.fspath(out))
        out.mkdir(parents=True, exist_ok=True)  # fails now, not after the runs

    # (label, kind, description, rule, seeds of the runs)
    plan = [
        (label, "rule", repr(make_rule(rule)), rule, seeds) for label, rule in entries
    ]
    for name in baselines:
        frozen = _FrozenWeights() if name == "random" else None
        run_seeds = seeds[:1] if name == "pixels" else seeds
        plan.append((name, "baseline", _BASELINE_DESCRIPTIONS[name], frozen, run_seeds))

    tasks = []
    for label, kind, _, rule, run_seeds in plan:
        if kind == "rule" or label == "random":
            run_kind, run_geometry = "network", {"patch_shape": geometry["patch_shape"]}
        else:
            run_kind, run_geometry = label, geometry
        for i, seed in enumerate(run_seeds):
            keep = out is not None and i == 0
            tasks.append(
                delayed(_run)(
                    run_kind,
                    copy.deepcopy(rule),
                    seed,
                    data,
                    shared_params,
                    run_geometry,
                    keep,
                )
            )
    results = iter(Parallel(n_jobs=n_jobs, verbose=verbose)(tasks))

    rows, fields = [], []
    for label, kind, description, _, run_seeds in plan:
        runs = [next(results) for _ in run_seeds]
        if len(runs) < len(seeds):  # pixels: the same result for every seed
            runs = runs * len(seeds)
        rows.append(_row(label, kind, description, runs))
        if out is not None and runs[0].get("weights") is not None:
            fields.append((label, runs[0]["weights"], runs[0]["patch_shape"]))

    if out is not None:
        _write_csv(rows, out / "comparison.csv")
        (out / "comparison.md").write_text(_markdown(rows), encoding="utf-8")
        _save_figure(rows, fields, len(np.unique(y_train)), out / "comparison.png")
    return _as_table(rows)
