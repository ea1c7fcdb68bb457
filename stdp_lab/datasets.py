"""Bundled data sets, loaded offline: MNIST, scikit-learn's digits, natural images.

The data files ship with stdp_lab (``datasets/`` in the source tree, installed to
``<sys.prefix>/share/stdp_lab/datasets``); nothing is downloaded. Each file is
looked up, in this order, in

1. the ``data_home`` argument of the loader, if given;
2. the folder named by the environment variable ``STDP_LAB_DATA``, if set;
3. ``<sys.prefix>/share/stdp_lab/datasets`` (a normal ``pip install .``);
4. ``<package dir>/../datasets`` (a source checkout or an editable install).

The first place that holds the file is used. Every array is checked against the
SHA-256 of its bytes (``arr.tobytes()``) recorded in this module, once per process
and per file, so a corrupt or altered copy raises ``ValueError`` instead of giving
wrong results silently.

Synthetic generators live here too: :func:`make_bars` (the bars problem of
Foldiak 1990), :func:`make_repeating_pattern` (a spike pattern hidden in Poisson
noise, Masquelier, Guyonneau & Thorpe 2008) and :func:`make_natural_patches`
(whitened ON/OFF patches cut from the natural images). They draw everything from
``random_state``, so the same seed gives the same data.
"""

from __future__ import annotations

import hashlib
import numbers
import os
import sys
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from stdp_lab._validation import check_rng, check_scalar

__all__ = [
    "get_data_home",
    "load_mnist",
    "load_digits",
    "load_natural_images",
    "NATURAL_IMAGE_NAMES",
    "make_bars",
    "make_repeating_pattern",
    "make_natural_patches",
]

#: Environment variable naming a folder that holds the data files.
DATA_ENV_VAR = "STDP_LAB_DATA"

_MNIST_FILE = "mnist.npz"
_NATURAL_FILE = "natural_images.npz"
_README_HINT = (
    "See the section 'Getting the files' of datasets/README.md: copy the file from "
    "the source checkout's datasets/ folder into one of these places, or point "
    f"the environment variable {DATA_ENV_VAR} (or the data_home argument) at a "
    "folder holding it."
)

#: Names of the bundled natural images, in the order they are returned.
NATURAL_IMAGE_NAMES = (
    "camera",
    "astronaut",
    "coffee",
    "chelsea",
    "rocket",
    "grass",
    "gravel",
    "brick",
)

# key -> (shape, dtype, sha256 of arr.tobytes()), per file.
_EXPECTED: dict[str, dict[str, tuple[tuple[int, ...], str, str]]] = {
    _MNIST_FILE: {
        "x_train": (
            (60000, 28, 28),
            "uint8",
            "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
        ),
        "y_train": (
            (60000,),
            "uint8",
            "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
        ),
        "x_test": (
            (10000, 28, 28),
            "uint8",
            "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
        ),
        "y_test": (
            (10000,),
            "uint8",
            "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
        ),
    },
    _NATURAL_FILE: {
        "camera": (
            (512, 512),
            "uint8",
            "5cb24482a53416f99052258be2b1ee38cd31c559a70c8a8b321cba231b332e21",
        ),
        "astronaut": (
            (512, 512),
            "uint8",
            "7781bbc5fc95448fd4cd78562b32fad999e17ee9c59a062ea3661e853068d528",
        ),
        "coffee": (
            (400, 600),
            "uint8",
            "0e449136d3458a686f3a2e18aad34331ab9ad1a81144b2556dd46cf7462e5972",
        ),
        "chelsea": (
            (300, 451),
            "uint8",
            "ec41416707c6e48fd6f938941dae55e8edad4237a7af157cac7ed260a00e8500",
        ),
        "rocket": (
            (427, 640),
            "uint8",
            "6d99df91baf3a825fcef5ef1cf4f34291e6beb75266ac82c2cc102e0fa6bdb78",
        ),
        "grass": (
            (512, 512),
            "uint8",
            "b18dae4c68bf850a7a7b28a29d1846c76be890665117b57fd125fe29c4d4ede6",
        ),
        "gravel": (
            (512, 512),
            "uint8",
            "3d51ad45f789cd8b98534b7af6bce774e499ead45421135afd757358c7230009",
        ),
        "brick": (
            (512, 512),
            "uint8",
            "664a145c5253f0d66db1a12776785f0ea35a44cc7447ffc933f6d6118dc58643",
        ),
    },
}

# Files whose arrays passed the checksums in this process, keyed by
# (resolved path, size in bytes, modification time in ns): a replaced file is
# checked again.
_VERIFIED: set[tuple[str, int, int]] = set()


def _default_dirs() -> list[Path]:
    """Folders searched after ``data_home`` and ``STDP_LAB_DATA``, in order."""
    installed = Path(sys.prefix) / "share" / "stdp_lab" / "datasets"
    checkout = Path(__file__).resolve().parent.parent / "datasets"
    return [installed, checkout]


def _search_dirs(data_home) -> list[Path]:
    """All folders searched for a data file, in lookup order, without duplicates."""
    dirs: list[Path] = []
    if data_home is not None:
        if not isinstance(data_home, str | os.PathLike):
            raise TypeError(
                "data_home must be None, a str or a path-like object, got "
                f"{type(data_home).__name__}"
            )
        dirs.append(Path(data_home).expanduser())
    env = os.environ.get(DATA_ENV_VAR, "")
    if env:
        dirs.append(Path(env).expanduser())
    dirs.extend(_default_dirs())
    unique: list[Path] = []
    for d in dirs:
        if d not in unique:
            unique.append(d)
    return unique


def get_data_home(data_home=None, *, filename: str | None = None) -> Path:
    """Return the folder from which stdp_lab reads its data files.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder tried first. Then come the folder named by the environment variable
        ``STDP_LAB_DATA``, ``<sys.prefix>/share/stdp_lab/datasets`` and the
        ``datasets/`` folder of a source checkout.
    filename : str, default=None
        If given (e.g. ``"mnist.npz"``), return the first folder in that order
        that holds this file. If None, return the first folder that exists.

    Returns
    -------
    folder : pathlib.Path

    Raises
    ------
    FileNotFoundError
        If no folder in the search order holds ``filename`` (or, with
        ``filename=None``, none exists). The message lists the places searched.
    """
    dirs = _search_dirs(data_home)
    for d in dirs:
        if (d / filename).is_file() if filename is not None else d.is_dir():
            return d
    searched = "\n".join(f"  - {d}" for d in dirs)
    what = f"data file {filename!r}" if filename is not None else "data folder"
    raise FileNotFoundError(
        f"stdp_lab could not find the {what}. Places searched, in order:\n"
        f"{searched}\n{_README_HINT}"
    )


def _sha256(arr: np.ndarray) -> str:
    return hashlib.sha256(arr.tobytes()).hexdigest()


def _load_verified(filename: str, data_home) -> dict[str, np.ndarray]:
    """Find ``filename``, load its arrays and check them against ``_EXPECTED``.

    A file that cannot be read, lacks an array, or holds an array of the wrong
    shape, dtype or content raises ``ValueError`` naming the file and the array.
    """
    path = get_data_home(data_home, filename=filename) / filename
    expected = _EXPECTED[filename]
    try:
        npz = np.load(path, allow_pickle=False)
    except Exception as exc:  # not a zip file, truncated, unreadable
        raise ValueError(
            f"data file {str(path)!r} cannot be read as an .npz archive "
            f"({type(exc).__name__}: {exc}). {_README_HINT}"
        ) from exc
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise ValueError(
            f"data file {str(path)!r} is not an .npz archive of named arrays. "
            f"{_README_HINT}"
        )
    arrays: dict[str, np.ndarray] = {}
    with npz:
        for key in expected:
            if key not in npz.files:
                raise ValueError(
                    f"data file {str(path)!r} is corrupt: array {key!r} is missing "
                    f"(found {sorted(npz.files)}). {_README_HINT}"
                )
            try:
                arrays[key] = npz[key]
            except Exception as exc:  # zlib, zip or .npy format errors
                raise ValueError(
                    f"data file {str(path)!r} is corrupt: array {key!r} cannot be "
                    f"read ({type(exc).__name__}: {exc}). {_README_HINT}"
                ) from exc

    stat = path.stat()
    cache_key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if cache_key not in _VERIFIED:
        for key, (shape, dtype, digest) in expected.items():
            arr = arrays[key]
            if arr.shape != shape or arr.dtype != np.dtype(dtype):
                raise ValueError(
                    f"data file {str(path)!r} is corrupt: array {key!r} has shape "
                    f"{arr.shape} and dtype {arr.dtype}, expected {shape} and "
                    f"{dtype}. {_README_HINT}"
                )
            if _sha256(arr) != digest:
                raise ValueError(
                    f"data file {str(path)!r} is corrupt: array {key!r} fails its "
                    f"SHA-256 check. {_README_HINT}"
                )
        _VERIFIED.add(cache_key)
    return arrays


def _check_n(value, name: str, n_total: int):
    if value is None:
        return None
    return int(check_scalar(value, name, numbers.Integral, low=1, high=n_total))


def _stratified_indices(
    y: np.ndarray, n_samples: int, rng: np.random.Generator
) -> np.ndarray:
    """Sorted indices of a random subset of ``y`` that keeps the class proportions.

    Class ``k``, with ``c_k`` of the ``N`` labels, receives ``floor(n c_k / N)``
    samples, and the ``n - sum_k floor(n c_k / N)`` left over go one each to the
    classes with the largest fractional parts ``n c_k / N - floor(n c_k / N)``
    (ties broken at random). So every class gets ``n c_k / N`` samples to within
    one. Within a class the samples are drawn uniformly without replacement.
    """
    classes, y_idx, counts = np.unique(y, return_inverse=True, return_counts=True)
    target = n_samples * counts / y.shape[0]  # (n_classes,)
    alloc = np.floor(target).astype(np.int64)  # (n_classes,)
    n_left = n_samples - int(alloc.sum())
    if n_left:
        # Largest fractional part first; a random key breaks ties.
        order = np.lexsort((rng.random(classes.shape[0]), -(target - alloc)))
        alloc[order[:n_left]] += 1
    # Sort samples by class, then by a random key: the first alloc[k] of each
    # class form a uniform draw without replacement from that class.
    perm = np.lexsort((rng.random(y.shape[0]), y_idx))  # (N,)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))  # (n_classes,)
    rank = np.arange(y.shape[0]) - starts[y_idx[perm]]  # (N,), rank within class
    chosen = perm[rank < alloc[y_idx[perm]]]
    return np.sort(chosen)


def load_mnist(
    *,
    n_train: int | None = None,
    n_test: int | None = None,
    flatten: bool = True,
    data_home=None,
    random_state=0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Load the MNIST handwritten digits from the bundled file, offline.

    Parameters
    ----------
    n_train : int in [1, 60000], default=None
        Number of training samples, drawn as a stratified random subset (each
        digit keeps its share of the full set to within one sample). None gives
        all 60000.
    n_test : int in [1, 10000], default=None
        Same for the test set (10000 samples in full).
    flatten : bool, default=True
        If True, images come as rows of 784 pixels (28 x 28 flattened in C order);
        if False, as ``(n, 28, 28)`` arrays.
    data_home : str or path-like, default=None
        Folder searched first for ``mnist.npz``; see :func:`get_data_home`.
    random_state : int, numpy Generator or None, default=0
        Seed of the subset draw. The same value gives the same subsets. The
        training and test subsets are drawn from independent streams, so the
        training subset does not depend on ``n_test`` and vice versa.

    Returns
    -------
    X_train : ndarray of shape (n_train, 784) or (n_train, 28, 28), dtype uint8
        Pixel intensities 0..255.
    y_train : ndarray of shape (n_train,), dtype uint8
        Digit labels 0..9, kept as uint8 as in the original files.
    X_test : ndarray of shape (n_test, 784) or (n_test, 28, 28), dtype uint8
    y_test : ndarray of shape (n_test,), dtype uint8

    Raises
    ------
    FileNotFoundError
        If ``mnist.npz`` is in none of the places searched.
    ValueError
        If the file is corrupt (the message names the file and the array), or
        ``n_train``/``n_test`` is out of range.

    Notes
    -----
    A subset keeps the original order of the samples (its indices are sorted).
    Stratification works for every ``n`` from 1 up: with fewer samples than the
    10 classes, some digits are absent, chosen by their fractional shares.

    References
    ----------
    LeCun, Y., Bottou, L., Bengio, Y. & Haffner, P. (1998). Gradient-based
    learning applied to document recognition. Proc. IEEE 86(11), 2278-2324.

    Examples
    --------
    >>> from stdp_lab.datasets import load_mnist
    >>> X_train, y_train, X_test, y_test = load_mnist(n_train=100, n_test=50)
    >>> X_train.shape, X_test.shape
    ((100, 784), (50, 784))
    """
    n_train = _check_n(n_train, "n_train", 60000)
    n_test = _check_n(n_test, "n_test", 10000)
    if not isinstance(flatten, bool | np.bool_):
        raise TypeError(f"flatten must be a bool, got {flatten!r}")
    rng = check_rng(random_state)
    # Two seeds drawn always, so each subset depends only on its own size.
    seed_train, seed_test = rng.integers(0, 2**63 - 1, size=2)

    arrays = _load_verified(_MNIST_FILE, data_home)
    X_train, y_train = arrays["x_train"], arrays["y_train"]
    X_test, y_test = arrays["x_test"], arrays["y_test"]
    if n_train is not None and n_train < y_train.shape[0]:
        idx = _stratified_indices(y_train, n_train, np.random.default_rng(seed_train))
        X_train, y_train = X_train[idx], y_train[idx]
    if n_test is not None and n_test < y_test.shape[0]:
        idx = _stratified_indices(y_test, n_test, np.random.default_rng(seed_test))
        X_test, y_test = X_test[idx], y_test[idx]
    if flatten:
        X_train = X_train.reshape(X_train.shape[0], -1)  # (n_train, 28 * 28)
        X_test = X_test.reshape(X_test.shape[0], -1)  # (n_test, 28 * 28)
    return X_train, y_train, X_test, y_test


def load_digits(*, flatten: bool = False, return_X_y: bool = True):
    """Load scikit-learn's 8 x 8 handwritten digits (1797 images), offline.

    Parameters
    ----------
    flatten : bool, default=False
        If False, images come as ``(n, 8, 8)`` arrays; if True as rows of 64
        pixels (C order).
    return_X_y : bool, default=True
        If True, return ``(images, target)``. If False, return a
        ``sklearn.utils.Bunch`` with ``data`` (the images, shaped as above),
        ``target``, ``target_names`` and ``DESCR``.

    Returns
    -------
    images : ndarray of shape (1797, 8, 8) or (1797, 64), dtype float64
        Pixel intensities 0..16 (counts of set pixels in 4 x 4 blocks of the
        original 32 x 32 bitmaps).
    target : ndarray of shape (1797,), dtype int
        Digit labels 0..9.

    References
    ----------
    Alpaydin, E. & Kaynak, C. (1998). Optical Recognition of Handwritten Digits.
    UCI Machine Learning Repository. Shipped with scikit-learn as
    ``sklearn.datasets.load_digits``.

    Examples
    --------
    >>> from stdp_lab.datasets import load_digits
    >>> images, target = load_digits()
    >>> images.shape, target.shape
    ((1797, 8, 8), (1797,))
    """
    from sklearn.datasets import load_digits as _sk_load_digits
    from sklearn.utils import Bunch

    for name, value in (("flatten", flatten), ("return_X_y", return_X_y)):
        if not isinstance(value, bool | np.bool_):
            raise TypeError(f"{name} must be a bool, got {value!r}")
    bunch = _sk_load_digits()
    images = bunch.images  # (1797, 8, 8)
    if flatten:
        images = images.reshape(images.shape[0], -1)  # (1797, 8 * 8)
    if return_X_y:
        return images, bunch.target
    return Bunch(
        data=images,
        target=bunch.target,
        target_names=bunch.target_names,
        DESCR=bunch.DESCR,
    )


def load_natural_images(
    *, data_home=None, names: Iterable[str] | str | None = None
) -> dict[str, np.ndarray]:
    """Load the bundled grayscale photographs, for learning from natural scenes.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder searched first for ``natural_images.npz``; see
        :func:`get_data_home`.
    names : str or iterable of str, default=None
        Images to return, from :data:`NATURAL_IMAGE_NAMES` (camera, astronaut,
        coffee, chelsea, rocket, grass, gravel, brick). None returns all eight.

    Returns
    -------
    images : dict of str -> ndarray of shape (height, width), dtype uint8
        In the order of ``names`` (or of :data:`NATURAL_IMAGE_NAMES`), pixel
        intensities 0..255. Sizes: camera, astronaut, grass, gravel and brick
        512 x 512; coffee 400 x 600; chelsea 300 x 451; rocket 427 x 640.

    Raises
    ------
    ValueError
        If a name is unknown (the message lists the known names), or the file is
        corrupt.

    References
    ----------
    The sample images of scikit-image (van der Walt et al., 2014, PeerJ 2:e453),
    public domain or CC0 according to its documentation. Natural images as a
    source of localised, oriented receptive fields: Olshausen, B. A. & Field,
    D. J. (1996). Nature 381, 607-609.

    Examples
    --------
    >>> from stdp_lab.datasets import load_natural_images
    >>> load_natural_images(names=["coffee"])["coffee"].shape
    (400, 600)
    """
    if names is None:
        selected = list(NATURAL_IMAGE_NAMES)
    else:
        if isinstance(names, str):
            names = [names]
        try:
            selected = list(dict.fromkeys(names))
        except TypeError:
            raise TypeError(
                f"names must be None, a str or an iterable of str, got {names!r}"
            ) from None
        unknown = [n for n in selected if n not in NATURAL_IMAGE_NAMES]
        if unknown:
            known = ", ".join(NATURAL_IMAGE_NAMES)
            raise ValueError(
                f"names holds unknown image name(s) {unknown!r}; known names: {known}"
            )
    arrays = _load_verified(_NATURAL_FILE, data_home)
    return {n: arrays[n] for n in selected}


# --- Synthetic data sets ----------------------------------------------------------


def _check_bool(value, name: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be a bool, got {value!r}")
    return bool(value)


def make_bars(
    n_samples: int = 1000,
    *,
    size: int = 8,
    p: float | None = None,
    random_state=None,
) -> tuple[np.ndarray, np.ndarray]:
    """Images made of random horizontal and vertical bars (Foldiak's bars problem).

    Each of the ``2 * size`` bars of a ``size x size`` image (``size``
    horizontal, ``size`` vertical) is on independently with probability ``p``. A
    pixel is 1 where at least one bar that is on covers it, 0 elsewhere. The
    bars are the independent causes of the images, and a good unsupervised
    learner finds one of them per feature.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of images, >= 1.
    size : int, default=8
        Side of the square images in pixels, >= 2.
    p : float in [0, 1] or None, default=None
        Probability that a bar is on. None gives ``1 / size``, so that an image
        holds two bars on average.
    random_state : int, numpy Generator or None, default=None
        Seed of the draw.

    Returns
    -------
    X : ndarray of shape (n_samples, size * size), dtype float64
        The images, values in {0, 1}, flattened in C order (row-major).
    bars : ndarray of shape (2 * size, size * size), dtype float64
        The true bars, flattened the same way: rows ``0 .. size - 1`` are the
        horizontal bars (bar ``i`` covers image row ``i``), rows
        ``size .. 2 * size - 1`` the vertical bars (bar ``size + j`` covers
        column ``j``).

    Notes
    -----
    With :math:`b_k \\in \\{0, 1\\}^{size \\times size}` the bar images and
    :math:`z_k \\sim \\mathrm{Bernoulli}(p)` independent,

    .. math::

        X = \\max_k z_k b_k \\quad\\text{(elementwise OR, not a sum)},

    so a pixel is on with probability :math:`1 - (1 - p)^2` (it lies on exactly
    one horizontal and one vertical bar). Overlapping bars do not add up, which
    makes the problem non-linear: principal components do not find the bars.

    References
    ----------
    Foldiak, P. (1990). Forming sparse representations by local anti-Hebbian
    learning. Biological Cybernetics 64, 165-170.

    Examples
    --------
    >>> from stdp_lab.datasets import make_bars
    >>> X, bars = make_bars(100, size=8, random_state=0)
    >>> X.shape, bars.shape
    ((100, 64), (16, 64))
    """
    n_samples = int(check_scalar(n_samples, "n_samples", numbers.Integral, low=1))
    size = int(check_scalar(size, "size", numbers.Integral, low=2))
    if p is None:
        p = 1.0 / size
    else:
        p = float(check_scalar(p, "p", numbers.Real, low=0.0, high=1.0))
    rng = check_rng(random_state)

    rows = np.arange(size)
    bars = np.zeros((2, size, size, size))  # (orientation, bar, height, width)
    bars[0, rows, rows, :] = 1.0  # horizontal bar i covers row i
    bars[1, rows, :, rows] = 1.0  # vertical bar j covers column j
    bars = bars.reshape(2 * size, size * size)  # (2 * size, size * size)

    on = rng.random((n_samples, 2 * size)) < p  # (n_samples, 2 * size)
    covered = on.astype(np.float64) @ bars  # (n_samples, size * size), bars per pixel
    X = (covered > 0).astype(np.float64)
    return X, bars


def make_repeating_pattern(
    n_afferents: int = 500,
    duration: float = 10000.0,
    *,
    rate: float = 50.0,
    pattern_duration: float = 50.0,
    pattern_fraction: float = 0.5,
    n_repeats: int | None = None,
    dt: float = 1.0,
    random_state=None,
) -> tuple[np.ndarray, np.ndarray]:
    """A spatio-temporal spike pattern repeated at random times in Poisson noise.

    Every afferent fires as a Poisson process at ``rate`` Hz. A pattern of
    ``pattern_duration`` ms, drawn once from the same process, is copied into
    the trains of a random subset of the afferents (a fraction
    ``pattern_fraction`` of them) at ``n_repeats`` random, non-overlapping onset
    times. During a repeat the involved afferents fire exactly the pattern and
    nothing else; the other afferents, and all afferents outside the repeats,
    keep their background spikes. Since the pattern comes from the background
    process, the pattern cannot be seen in the firing rates, only in the
    coincidences of spike times (Masquelier, Guyonneau & Thorpe 2008).

    Parameters
    ----------
    n_afferents : int, default=500
        Number of input spike trains, >= 1.
    duration : float, default=10000.0
        Length of the trains in ms (``round(duration / dt)`` steps).
    rate : float, default=50.0
        Firing rate of every afferent in Hz, >= 0, with ``rate * dt <= 1000``.
    pattern_duration : float, default=50.0
        Length of the pattern in ms (``round(pattern_duration / dt)`` steps,
        at least one).
    pattern_fraction : float in [0, 1], default=0.5
        Fraction of the afferents involved in the pattern
        (``round(pattern_fraction * n_afferents)`` afferents).
    n_repeats : int or None, default=None
        Number of repeats, >= 0; they must fit without overlap. None gives
        about one repeat per ``4 * pattern_duration`` ms, so that the pattern
        takes a quarter of the time (Masquelier et al. 2008), and at least one.
    dt : float, default=1.0
        Time step in ms.
    random_state : int, numpy Generator or None, default=None
        Seed of the draw.

    Returns
    -------
    spikes : ndarray of bool, shape (n_steps, n_afferents)
        Time-major spike trains, one row per step of ``dt`` ms; feed
        ``spikes[t][None]`` (shape ``(1, n_afferents)``) to a simulation step by
        step.
    onsets : ndarray of shape (n_repeats,), dtype float64
        Onset times of the repeats in ms (multiples of ``dt``), sorted. Repeat
        ``r`` occupies the steps ``onsets[r] / dt`` to
        ``onsets[r] / dt + round(pattern_duration / dt) - 1``.

    Notes
    -----
    Spikes are Bernoulli draws per step, the discrete-time Poisson process:

    .. math::

        s_j[t] \\sim \\mathrm{Bernoulli}(\\nu\\, \\Delta t / 1000)

    for afferent :math:`j` at step :math:`t`, rate :math:`\\nu` in Hz. The
    pattern :math:`P` (``n_pattern_steps x n_involved``) is drawn once from the
    same distribution, and :math:`s_j[o_r + u] = P_{u j}` for every onset step
    :math:`o_r`, every :math:`0 \\le u <` ``n_pattern_steps`` and every involved
    :math:`j`. The expected rate is therefore :math:`\\nu` everywhere, inside
    and outside the repeats.

    The onsets are ``u_r + r * n_pattern_steps`` with ``u_r`` sorted draws,
    uniform on ``0 .. n_steps - n_repeats * n_pattern_steps``, so consecutive
    repeats never overlap (they may touch). The original study also let the
    background rates vary in time and added jitter and spontaneous spikes to the
    repeats; this generator keeps the stationary core of the task.

    References
    ----------
    Masquelier, T., Guyonneau, R. & Thorpe, S. J. (2008). Spike timing dependent
    plasticity finds the start of repeating patterns in continuous spike trains.
    PLoS ONE 3(1), e1377.

    Examples
    --------
    >>> from stdp_lab.datasets import make_repeating_pattern
    >>> spikes, onsets = make_repeating_pattern(100, 2000.0, random_state=0)
    >>> spikes.shape, onsets.shape
    ((2000, 100), (10,))
    """
    n_afferents = int(check_scalar(n_afferents, "n_afferents", numbers.Integral, low=1))
    dt = float(check_scalar(dt, "dt", numbers.Real, low=0.0, low_inclusive=False))
    duration = float(
        check_scalar(duration, "duration", numbers.Real, low=0.0, low_inclusive=False)
    )
    rate = float(check_scalar(rate, "rate", numbers.Real, low=0.0))
    if rate * dt > 1000.0:
        raise ValueError(
            "rate * dt / 1000 is the spike probability per step and must be <= 1; "
            f"got rate={rate!r} Hz and dt={dt!r} ms"
        )
    pattern_duration = float(
        check_scalar(
            pattern_duration,
            "pattern_duration",
            numbers.Real,
            low=0.0,
            low_inclusive=False,
        )
    )
    pattern_fraction = float(
        check_scalar(pattern_fraction, "pattern_fraction", numbers.Real, low=0, high=1)
    )
    n_steps = int(round(duration / dt))
    n_pattern = int(round(pattern_duration / dt))
    if n_pattern < 1:
        raise ValueError(
            f"pattern_duration must last at least one step of dt={dt!r} ms, got "
            f"{pattern_duration!r}"
        )
    if n_pattern > n_steps:
        raise ValueError(
            f"pattern_duration={pattern_duration!r} ms must not exceed "
            f"duration={duration!r} ms"
        )
    if n_repeats is None:
        n_repeats = max(1, n_steps // (4 * n_pattern))
    else:
        n_repeats = int(check_scalar(n_repeats, "n_repeats", numbers.Integral, low=0))
        if n_repeats * n_pattern > n_steps:
            raise ValueError(
                f"n_repeats={n_repeats!r} repeats of {pattern_duration!r} ms do not "
                f"fit without overlap into duration={duration!r} ms"
            )
    rng = check_rng(random_state)
    prob = rate * dt / 1000.0
    n_involved = int(round(pattern_fraction * n_afferents))

    involved = np.sort(rng.choice(n_afferents, size=n_involved, replace=False))
    pattern = rng.random((n_pattern, n_involved)) < prob  # (n_pattern, n_involved)
    free = n_steps - n_repeats * n_pattern  # steps left between the repeats
    starts = np.sort(rng.integers(0, free + 1, size=n_repeats))
    starts += np.arange(n_repeats) * n_pattern  # (n_repeats,), non-overlapping

    # Background, drawn in blocks of steps so that no float array of the full
    # (n_steps, n_afferents) size is ever made.
    spikes = np.empty((n_steps, n_afferents), dtype=bool)
    block = max(1, 2**22 // n_afferents)
    for lo in range(0, n_steps, block):
        hi = min(lo + block, n_steps)
        spikes[lo:hi] = rng.random((hi - lo, n_afferents)) < prob

    steps = (
        starts[:, None] + np.arange(n_pattern)[None, :]
    ).ravel()  # (R * n_pattern,)
    spikes[steps[:, None], involved[None, :]] = np.tile(pattern, (n_repeats, 1))
    return spikes, starts.astype(np.float64) * dt


#: Cut-off of the whitening filter's low-pass roll-off, in cycles per pixel
#: (Olshausen & Field 1997 use 200 cycles per 512-pixel picture, 0.39).
_WHITEN_F0 = 0.4
#: Percentile of the absolute pixel values of an image that maps to 1.
_SCALE_PERCENTILE = 99.0


def _whiten_image(image: np.ndarray, f0: float = _WHITEN_F0) -> np.ndarray:
    """Zero-phase 1/f whitening of one image with a low-pass roll-off.

    The image is mirrored to twice its size in each direction before the FFT, so
    that its periodic extension has no edges, and the result is cut back.
    """
    height, width = image.shape
    padded = np.pad(image, ((0, height), (0, width)), mode="symmetric")  # (2H, 2W)
    fy = np.fft.fftfreq(2 * height)[:, None]  # (2H, 1), cycles per pixel
    fx = np.fft.rfftfreq(2 * width)[None, :]  # (1, W + 1)
    f = np.hypot(fy, fx)  # (2H, W + 1)
    gain = f * np.exp(-((f / f0) ** 4))  # (2H, W + 1), zero at f = 0
    spectrum = np.fft.rfft2(padded) * gain  # (2H, W + 1)
    return np.fft.irfft2(spectrum, s=padded.shape)[:height, :width]  # (H, W)


def _prepare_image(image: np.ndarray, whiten: bool) -> np.ndarray:
    """Zero-mean (and whitened) image scaled so that its 99th |value| percentile is
    1, clipped to [-1, 1]."""
    x = image.astype(np.float64)
    x -= x.mean()
    if whiten:
        x = _whiten_image(x)
    scale = np.percentile(np.abs(x), _SCALE_PERCENTILE)
    if scale > 0:
        x /= scale
    return np.clip(x, -1.0, 1.0, out=x)


def make_natural_patches(
    n_patches: int = 10000,
    *,
    patch_size: int = 8,
    whiten: bool = True,
    on_off: bool = True,
    names: Iterable[str] | str | None = None,
    random_state=None,
    data_home=None,
) -> np.ndarray:
    """Square patches of the bundled natural images, whitened, as ON/OFF channels.

    Each image (see :func:`load_natural_images`) is centred, whitened as a whole
    with the 1/f filter of Olshausen & Field (1997) and scaled; patches are then
    cut at random positions and split into an ON channel (the positive part) and
    an OFF channel (the negative part), like the ON- and OFF-centre cells of the
    retina and LGN that feed the visual cortex. Learning from such patches gives
    localised, oriented receptive fields (Olshausen & Field 1996).

    Parameters
    ----------
    n_patches : int, default=10000
        Number of patches, >= 1.
    patch_size : int, default=8
        Side of the square patches in pixels, >= 1 and at most the smallest side
        of the images used.
    whiten : bool, default=True
        Whiten the images first. If False, the images are only centred and
        scaled (their power still falls as about :math:`1/f^2`).
    on_off : bool, default=True
        Return ON and OFF channels (non-negative, as spike encoders need). If
        False, return the signed patches, values in [-1, 1]. The patches drawn
        for a given ``random_state`` do not depend on ``on_off``.
    names : str or iterable of str, default=None
        Images to cut from (names in :data:`NATURAL_IMAGE_NAMES`); None uses all
        eight. Each patch comes from an image chosen uniformly at random.
    random_state : int, numpy Generator or None, default=None
        Seed of the draw of images and positions.
    data_home : str or path-like, default=None
        Folder searched first for ``natural_images.npz``; see
        :func:`get_data_home`.

    Returns
    -------
    X : ndarray of shape (n_patches, patch_size * patch_size * n_channels)
        Patches flattened in C order from ``(patch_size, patch_size,
        n_channels)``, channels last: with ``on_off`` the two channels are
        (ON, OFF) and X lies in [0, 1], otherwise one signed channel in
        [-1, 1]. Use ``image_shape=(patch_size, patch_size, 2)`` with
        :class:`~stdp_lab.SpikingFeatureLearner`.

    Notes
    -----
    Whitening multiplies the 2-D Fourier transform of the mean-subtracted image
    by

    .. math::

        W(f) = f \\, e^{-(f / f_0)^4}, \\qquad f = \\sqrt{f_x^2 + f_y^2},

    with :math:`f` in cycles per pixel and :math:`f_0 = 0.4` (Olshausen & Field
    1997 use 200 cycles per 512-pixel picture). Natural images have an amplitude
    spectrum falling as about :math:`1/f`; the factor :math:`f` flattens it,
    and the roll-off removes the highest frequencies, where noise and aliasing
    live and the sampling lattice is anisotropic. The filter is zero-phase, so
    edges stay in place. The image is mirrored to twice its size before the FFT
    (and cut back after), so the edges of the periodic extension do not show up
    as whitened lines.

    Each prepared image :math:`x` is divided by the 99th percentile of
    :math:`|x|` over its pixels and clipped to [-1, 1], so that every image
    contributes on the same scale and typical values do not crowd near 0. The
    channels are

    .. math::

        \\mathrm{ON} = \\max(x, 0), \\qquad \\mathrm{OFF} = \\max(-x, 0),

    so at every pixel at most one of them is non-zero, and
    ``ON - OFF`` gives back the signed patch.

    References
    ----------
    Olshausen, B. A. & Field, D. J. (1996). Emergence of simple-cell receptive
    field properties by learning a sparse code for natural images. Nature 381,
    607-609.

    Olshausen, B. A. & Field, D. J. (1997). Sparse coding with an overcomplete
    basis set: a strategy employed by V1? Vision Research 37, 3311-3325.

    Examples
    --------
    >>> from stdp_lab.datasets import make_natural_patches
    >>> X = make_natural_patches(500, patch_size=8, random_state=0)
    >>> X.shape, bool(X.min() >= 0), bool(X.max() <= 1)
    ((500, 128), True, True)
    """
    n_patches = int(check_scalar(n_patches, "n_patches", numbers.Integral, low=1))
    patch_size = int(check_scalar(patch_size, "patch_size", numbers.Integral, low=1))
    whiten = _check_bool(whiten, "whiten")
    on_off = _check_bool(on_off, "on_off")
    rng = check_rng(random_state)
    images = load_natural_images(data_home=data_home, names=names)
    smallest = min(min(image.shape) for image in images.values())
    if patch_size > smallest:
        raise ValueError(
            f"patch_size must be at most {smallest} (the smallest side of the "
            f"images used), got {patch_size!r}"
        )
    which = rng.integers(len(images), size=n_patches)  # (n_patches,)
    patches = np.empty((n_patches, patch_size, patch_size))
    # One pass per image (at most eight), vectorised over its patches.
    for i, image in enumerate(images.values()):
        chosen = np.flatnonzero(which == i)
        prepared = _prepare_image(image, whiten)
        windows = np.lib.stride_tricks.sliding_window_view(
            prepared, (patch_size, patch_size)
        )  # (H - p + 1, W - p + 1, p, p)
        rows = rng.integers(windows.shape[0], size=chosen.size)
        cols = rng.integers(windows.shape[1], size=chosen.size)
        patches[chosen] = windows[rows, cols]  # (n_chosen, p, p)
    if on_off:
        patches = np.stack(
            [np.maximum(patches, 0.0), np.maximum(-patches, 0.0)], axis=-1
        )  # (n_patches, p, p, 2), channels (ON, OFF)
    return patches.reshape(n_patches, -1)  # (n_patches, p * p * n_channels)
