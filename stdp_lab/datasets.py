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

Synthetic generators (bars, repeating spike patterns) and patches cut from the
natural images belong in this module too; they are not written yet.
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
