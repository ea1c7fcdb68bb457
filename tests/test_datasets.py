"""Tests of stdp_lab.datasets against published facts about the bundled data."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import sklearn.datasets

import stdp_lab.datasets as ds
from stdp_lab.datasets import (
    NATURAL_IMAGE_NAMES,
    get_data_home,
    load_digits,
    load_mnist,
    load_natural_images,
)

# Published facts about MNIST (test label counts per digit, training pixel stats).
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
MNIST_TRAIN_COUNTS_TOTAL = 60000
NATURAL_SHAPES = {
    "camera": (512, 512),
    "astronaut": (512, 512),
    "coffee": (400, 600),
    "chelsea": (300, 451),
    "rocket": (427, 640),
    "grass": (512, 512),
    "gravel": (512, 512),
    "brick": (512, 512),
}
README = Path(__file__).resolve().parent.parent / "datasets" / "README.md"


@pytest.fixture(scope="module")
def mnist_full():
    return load_mnist(flatten=False)


@pytest.fixture(scope="module")
def bundled():
    """The folder of the bundled data (found before any test hides it)."""
    return get_data_home(filename="mnist.npz")


@pytest.fixture
def no_defaults(monkeypatch, tmp_path):
    """Hide the installed and checkout copies, and STDP_LAB_DATA."""
    empty = tmp_path / "nowhere"
    monkeypatch.setattr(ds, "_default_dirs", lambda: [empty / "a", empty / "b"])
    monkeypatch.delenv("STDP_LAB_DATA", raising=False)
    return [empty / "a", empty / "b"]


# --- MNIST: shapes, dtypes and published facts -------------------------------


def test_mnist_full_matches_published_facts(mnist_full):
    X_train, y_train, X_test, y_test = mnist_full
    assert X_train.shape == (60000, 28, 28) and X_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    for arr in mnist_full:
        assert arr.dtype == np.uint8
    assert np.bincount(y_test, minlength=10).tolist() == MNIST_TEST_COUNTS
    assert np.bincount(y_train).sum() == MNIST_TRAIN_COUNTS_TOTAL
    assert set(np.unique(y_train)) == set(range(10))
    assert abs(X_train.mean(dtype=np.float64) - 33.3184) < 1e-4
    assert abs(X_train.std(dtype=np.float64) - 78.5675) < 1e-4


def test_mnist_flatten_is_c_order_reshape(mnist_full):
    X_train, y_train, X_test, y_test = load_mnist(flatten=True)
    assert X_train.shape == (60000, 784) and X_test.shape == (10000, 784)
    # Row i, pixel (r, c) of the image sits at column 28 * r + c.
    rng = np.random.default_rng(0)
    for i, r, c in rng.integers(0, [10000, 28, 28], size=(50, 3)):
        assert X_test[i, 28 * r + c] == mnist_full[2][i, r, c]
    np.testing.assert_array_equal(y_train, mnist_full[1])


def test_checksums_match_the_readme_table():
    # The README table and the files must agree (hashed here independently).
    rows = re.findall(
        r"^\|\s*(\S+\.npz)\s*\|\s*(\w+)\s*\|\s*([0-9a-f]{64})\s*\|",
        README.read_text(encoding="utf-8"),
        flags=re.MULTILINE,
    )
    assert len(rows) == 12
    folder = get_data_home(filename="mnist.npz")
    for filename, key, digest in rows:
        with np.load(folder / filename, allow_pickle=False) as npz:
            assert hashlib.sha256(npz[key].tobytes()).hexdigest() == digest


# --- MNIST subsets ------------------------------------------------------------


def _row_index(X_full):
    """Map each image's bytes to its index in the full set (images are unique)."""
    index = {row.tobytes(): i for i, row in enumerate(X_full)}
    assert len(index) == X_full.shape[0]
    return index


@pytest.mark.parametrize("n_test", [1, 7, 10, 37, 500, 9999])
def test_mnist_test_subset_is_stratified_ordered_subset(mnist_full, n_test):
    X_full, y_full = mnist_full[2], mnist_full[3]
    _, _, X, y = load_mnist(n_test=n_test, flatten=False, random_state=3)
    assert X.shape == (n_test, 28, 28) and y.shape == (n_test,)
    # Class proportions as in the full set, to within one sample per class.
    expected = n_test * np.asarray(MNIST_TEST_COUNTS) / 10000
    assert np.all(np.abs(np.bincount(y, minlength=10) - expected) < 1)
    # The rows are rows of the full set, distinct, in their original order.
    index = _row_index(X_full)
    idx = np.array([index[row.tobytes()] for row in X])
    assert np.all(np.diff(idx) > 0)
    np.testing.assert_array_equal(y, y_full[idx])


def test_mnist_train_subset_is_stratified(mnist_full):
    y_full = mnist_full[1]
    X, y, X_test, y_test = load_mnist(n_train=1234, random_state=11)
    assert X.shape == (1234, 784) and y.dtype == np.uint8
    expected = 1234 * np.bincount(y_full) / 60000
    assert np.all(np.abs(np.bincount(y, minlength=10) - expected) < 1)
    assert X_test.shape == (10000, 784)  # n_test=None keeps the full test set
    np.testing.assert_array_equal(y_test, mnist_full[3])


@pytest.mark.slow
def test_mnist_subset_reproducible_and_seed_dependent():
    a = load_mnist(n_train=50, n_test=40, random_state=5)
    b = load_mnist(n_train=50, n_test=40, random_state=5)
    c = load_mnist(n_train=50, n_test=40, random_state=6)
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[0], c[0])
    assert not np.array_equal(a[2], c[2])


@pytest.mark.slow
def test_mnist_train_subset_does_not_depend_on_n_test():
    a = load_mnist(n_train=30, n_test=20, random_state=1)
    # A Generator seeded alike gives the same draw as the int seed.
    rng = np.random.default_rng(1)
    b = load_mnist(n_train=30, n_test=300, random_state=rng)
    np.testing.assert_array_equal(a[0], b[0])
    assert b[2].shape == (300, 784)


def test_mnist_full_size_subset_is_the_full_set(mnist_full):
    _, _, X, y = load_mnist(n_test=10000, flatten=False)
    np.testing.assert_array_equal(X, mnist_full[2])
    np.testing.assert_array_equal(y, mnist_full[3])


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"n_train": 0}, ValueError, "n_train"),
        ({"n_train": 60001}, ValueError, "n_train"),
        ({"n_test": 10001}, ValueError, "n_test"),
        ({"n_test": -3}, ValueError, "n_test"),
        ({"n_train": 1.5}, TypeError, "n_train"),
        ({"n_train": True}, TypeError, "n_train"),
        ({"flatten": "yes"}, TypeError, "flatten"),
        ({"random_state": "seed"}, TypeError, "random_state"),
        ({"data_home": 3}, TypeError, "data_home"),
    ],
)
def test_mnist_rejects_bad_parameters(kwargs, error, name):
    with pytest.raises(error, match=name):
        load_mnist(**kwargs)


# --- Where the files are looked up --------------------------------------------


def test_data_home_argument_is_used(tmp_path, no_defaults, bundled):
    shutil.copy(bundled / "mnist.npz", tmp_path / "mnist.npz")
    assert get_data_home(tmp_path, filename="mnist.npz") == tmp_path
    X, y, _, _ = load_mnist(n_train=20, n_test=10, data_home=tmp_path)
    assert X.shape == (20, 784)
    assert np.all(np.abs(np.bincount(y, minlength=10) - 2) < 1)


def test_environment_variable_is_used(tmp_path, no_defaults, bundled, monkeypatch):
    shutil.copy(bundled / "natural_images.npz", tmp_path / "natural_images.npz")
    monkeypatch.setenv("STDP_LAB_DATA", str(tmp_path))
    assert get_data_home(filename="natural_images.npz") == tmp_path
    assert load_natural_images(names="camera")["camera"].shape == (512, 512)


def test_data_home_comes_before_environment(tmp_path, bundled, monkeypatch):
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.mkdir()
    bad.mkdir()
    shutil.copy(bundled / "natural_images.npz", good / "natural_images.npz")
    (bad / "natural_images.npz").write_bytes(b"not a zip file")
    monkeypatch.setenv("STDP_LAB_DATA", str(bad))
    assert load_natural_images(data_home=good, names=["brick"])["brick"].shape == (
        512,
        512,
    )
    monkeypatch.setenv("STDP_LAB_DATA", str(good))
    with pytest.raises(ValueError, match=re.escape(str(bad))):
        load_natural_images(data_home=bad)


def test_missing_file_names_file_places_and_help(tmp_path, no_defaults):
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(data_home=tmp_path)
    assert isinstance(info.value, OSError)
    message = str(info.value)
    assert "mnist.npz" in message
    for place in [tmp_path, *no_defaults]:
        assert str(place) in message
    assert "README" in message and "STDP_LAB_DATA" in message


# --- Corrupt files ------------------------------------------------------------


def test_truncated_file_raises_value_error_naming_it(tmp_path, bundled):
    data = (bundled / "natural_images.npz").read_bytes()
    path = tmp_path / "natural_images.npz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=re.escape(str(path))):
        load_natural_images(data_home=tmp_path)


def test_altered_array_fails_checksum_naming_file_and_array(tmp_path):
    images = load_natural_images()
    images["gravel"] = images["gravel"].copy()
    images["gravel"][100, 100] ^= 1  # one bit of one pixel
    path = tmp_path / "natural_images.npz"
    np.savez(path, **images)
    with pytest.raises(ValueError, match="gravel") as info:
        load_natural_images(data_home=tmp_path, names=["camera"])
    assert str(path) in str(info.value)


def test_wrong_shape_and_missing_array_are_named(tmp_path):
    path = tmp_path / "mnist.npz"
    small = np.zeros((10, 28, 28), np.uint8)
    labels = np.zeros(10, np.uint8)
    np.savez(path, x_train=small, y_train=labels, x_test=small)
    with pytest.raises(ValueError, match="y_test") as info:
        load_mnist(data_home=tmp_path)
    assert str(path) in str(info.value)
    np.savez(path, x_train=small, y_train=labels, x_test=small, y_test=labels)
    with pytest.raises(ValueError, match="x_train") as info:
        load_mnist(data_home=tmp_path)
    assert str(path) in str(info.value)


def test_replaced_file_is_checked_again(tmp_path, bundled):
    path = tmp_path / "natural_images.npz"
    shutil.copy(bundled / "natural_images.npz", path)
    load_natural_images(data_home=tmp_path)
    images = load_natural_images()
    images["coffee"] = images["coffee"][::-1].copy()
    np.savez(path, **images)
    with pytest.raises(ValueError, match="coffee"):
        load_natural_images(data_home=tmp_path)


# --- Digits and natural images ------------------------------------------------


def test_load_digits_matches_scikit_learn():
    reference = sklearn.datasets.load_digits()
    images, target = load_digits()
    assert images.shape == (1797, 8, 8) and images.dtype == np.float64
    assert images.min() == 0 and images.max() == 16
    np.testing.assert_array_equal(images, reference.images)
    np.testing.assert_array_equal(target, reference.target)
    flat, _ = load_digits(flatten=True)
    np.testing.assert_array_equal(flat, reference.data)
    bunch = load_digits(return_X_y=False)
    np.testing.assert_array_equal(bunch.data, reference.images)
    np.testing.assert_array_equal(bunch.target_names, np.arange(10))


def test_natural_images_names_and_shapes():
    images = load_natural_images()
    assert list(images) == list(NATURAL_IMAGE_NAMES) == list(NATURAL_SHAPES)
    for name, image in images.items():
        assert image.shape == NATURAL_SHAPES[name]
        assert image.dtype == np.uint8
        assert image.std() > 10  # a photograph, not a blank array


def test_natural_images_selection_keeps_order():
    images = load_natural_images(names=["rocket", "chelsea"])
    assert list(images) == ["rocket", "chelsea"]
    assert images["rocket"].shape == (427, 640)


def test_natural_images_unknown_name_lists_known_ones():
    with pytest.raises(ValueError, match="lena") as info:
        load_natural_images(names=["camera", "lena"])
    for name in NATURAL_IMAGE_NAMES:
        assert name in str(info.value)
