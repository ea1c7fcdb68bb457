"""The MNIST benchmark script's loader of other data sets (``load_npz``) and one
tiny end-to-end run of ``main`` on such a file.

``benchmarks/`` is not a package: the script is imported from its path, with
its folder on ``sys.path`` for its ``import _common``.
"""

import argparse
import contextlib
import importlib.util
import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.metrics import confusion_matrix
from sklearn.model_selection import StratifiedKFold, cross_val_score

from stdp_lab.datasets import load_mnist

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _import_bench_mnist():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location(
            "bench_mnist", BENCHMARKS / "bench_mnist.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCHMARKS))
    return module


bench_mnist = _import_bench_mnist()

#: The keys of the JSON the benchmark wrote before ``--data`` and label efficiency.
KEYS_BEFORE = {
    "linear_accuracy",
    "vote_accuracy",
    "vote_n_neurons",
    "vote_weighting",
    "vote_assignment_accuracy",
    "conv_vote_accuracy",
    "conv_n_neurons",
    "vote_conv_n_neurons",
    "layer2_n_neurons",
    "random_baseline_accuracy",
    "learned_same_n_accuracy",
    "random_baseline_vote_accuracy",
    "learned_same_n_vote_accuracy",
    "baseline_seeds",
    "random_baseline_accuracies",
    "learned_same_n_accuracies",
    "random_baseline_vote_accuracies",
    "learned_same_n_vote_accuracies",
    "baseline_n_train",
    "pixel_logreg_accuracy",
    "fit_seconds",
    "transform_seconds",
    "conv_fit_seconds",
    "conv_transform_seconds",
    "layer2_fit_seconds",
    "layer2_transform_seconds",
    "readout_seconds",
    "total_seconds",
    "baseline_seconds",
    "pixel_seconds",
    "peak_rss_mb",
    "n_fit",
    "n_train",
    "n_test",
    "validation_split",
    "n_features",
    "mean_spikes_per_sample",
    "layer2_mean_spikes_per_sample",
    "n_jobs",
    "readout_C",
    "linear_pooling",
    "vote_locations",
    "vote_pooling",
    "vote_threshold",
    "params",
    "layer2_seeds",
    "layer2_params",
}
#: Per-seed lists of accuracies and the keys of their means.
MEANS = {
    "random_baseline_accuracies": "random_baseline_accuracy",
    "learned_same_n_accuracies": "learned_same_n_accuracy",
    "random_baseline_vote_accuracies": "random_baseline_vote_accuracy",
    "learned_same_n_vote_accuracies": "learned_same_n_vote_accuracy",
    "linear_accuracies_1000_labels": "linear_accuracy_1000_labels",
    "random_baseline_accuracies_1000_labels": "random_baseline_accuracy_1000_labels",
}
KEYS_NEW = {"data", "n_labels_small", "readout_C_grid", "confusion_pairs", *MEANS}


def _arrays(n_train=12, n_test=6, seed=0):
    """A valid data set: (n, 28, 28) uint8 images and labels of 3 classes."""
    rng = np.random.default_rng(seed)
    return dict(
        x_train=rng.integers(0, 256, size=(n_train, 28, 28), dtype=np.uint8),
        y_train=np.arange(n_train) % 3,
        x_test=rng.integers(0, 256, size=(n_test, 28, 28), dtype=np.uint8),
        y_test=np.arange(n_test) % 3,
    )


def _save(path, **arrays):
    np.savez(path, **arrays)
    return path


@contextlib.contextmanager
def _raises(error, path, *fragments):
    """Expect ``error`` with a one-line message naming ``path`` and holding
    each of ``fragments``."""
    with pytest.raises(error) as info:
        yield
    message = str(info.value)
    assert "\n" not in message, message
    for part in (str(path), *fragments):
        assert part in message, (part, message)


def test_load_npz_flat_and_square_images_agree(tmp_path):
    arrays = _arrays()
    square = _save(tmp_path / "square.npz", **arrays)
    flat = dict(arrays)
    for key in ("x_train", "x_test"):
        flat[key] = arrays[key].reshape(len(arrays[key]), 784)
    flat = _save(tmp_path / "flat.npz", **flat)

    from_square = bench_mnist.load_npz(square)
    from_flat = bench_mnist.load_npz(str(flat))  # a str path works too
    for a, b in zip(from_square, from_flat, strict=True):
        np.testing.assert_array_equal(a, b)
    X_train, y_train, X_test, y_test = from_square
    assert X_train.shape == (12, 784) and X_test.shape == (6, 784)
    assert X_train.dtype == X_test.dtype == np.float32
    assert y_train.shape == (12,) and y_test.shape == (6,)
    # Rows are the images flattened in C order, their pixels unscaled.
    np.testing.assert_array_equal(X_train[3], arrays["x_train"][3].ravel())
    np.testing.assert_array_equal(y_test, arrays["y_test"])


def test_load_npz_keeps_any_scale_and_integer_labels(tmp_path):
    arrays = _arrays()
    arrays["x_train"] = arrays["x_train"] / 255.0  # float64 in [0, 1]
    arrays["x_test"] = arrays["x_test"] * 1000.0
    arrays["y_train"] = arrays["y_train"] * 7 - 5  # negative labels are labels
    X_train, y_train, X_test, _ = bench_mnist.load_npz(
        _save(tmp_path / "scaled.npz", **arrays)
    )
    assert X_train.dtype == np.float32
    np.testing.assert_allclose(X_train.max(), arrays["x_train"].max(), rtol=1e-6)
    np.testing.assert_allclose(X_test.max(), arrays["x_test"].max(), rtol=1e-6)
    np.testing.assert_array_equal(np.unique(y_train), [-5, 2, 9])


def test_load_npz_missing_file(tmp_path):
    path = tmp_path / "absent.npz"
    with _raises(FileNotFoundError, path):
        bench_mnist.load_npz(path)


def test_load_npz_missing_keys_lists_those_found(tmp_path):
    arrays = _arrays()
    arrays["images"] = arrays.pop("x_test")
    path = _save(tmp_path / "keys.npz", **arrays)
    with _raises(ValueError, path, "x_test", "found images, x_train, y_test, y_train"):
        bench_mnist.load_npz(path)


def test_load_npz_not_an_npz_file(tmp_path):
    text = tmp_path / "text.npz"
    text.write_text("x_train,y_train\n")
    with _raises(ValueError, text, "not a readable npz file"):
        bench_mnist.load_npz(text)
    one_array = tmp_path / "one.npy"
    np.save(one_array, _arrays()["x_train"])
    with _raises(ValueError, one_array, "not an npz file"):
        bench_mnist.load_npz(one_array)


@pytest.mark.parametrize("key", ["x_train", "x_test"])
@pytest.mark.parametrize("shape", [(27, 27), (28, 27), (783,), (28, 28, 1), ()])
def test_load_npz_images_not_28_by_28(tmp_path, key, shape):
    arrays = _arrays()
    arrays[key] = np.zeros((len(arrays[key]), *shape), dtype=np.uint8)
    path = _save(tmp_path / "shape.npz", **arrays)
    with _raises(ValueError, path, key, "(n, 28, 28) or (n, 784)"):
        bench_mnist.load_npz(path)


@pytest.mark.parametrize("key", ["y_train", "y_test"])
def test_load_npz_labels_not_one_per_image(tmp_path, key):
    arrays = _arrays()
    arrays[key] = arrays[key][:-1]
    path = _save(tmp_path / "labels.npz", **arrays)
    n_labels, n_images = len(arrays[key]), len(arrays[key]) + 1
    with _raises(ValueError, path, f"{key} has {n_labels} labels", f"{n_images}"):
        bench_mnist.load_npz(path)


@pytest.mark.parametrize(
    "labels, fragment",
    [
        (np.arange(12.0) % 3, "expected integers"),
        ((np.arange(12) % 3).reshape(12, 1), "expected (n,)"),
    ],
)
def test_load_npz_labels_not_integers_of_shape_n(tmp_path, labels, fragment):
    path = _save(tmp_path / "labels.npz", **dict(_arrays(), y_train=labels))
    with _raises(ValueError, path, "y_train", fragment):
        bench_mnist.load_npz(path)


@pytest.mark.parametrize("key", ["x_train", "x_test"])
@pytest.mark.parametrize(
    "value, fragment",
    [(np.nan, "NaN or infinite"), (np.inf, "NaN or infinite"), (-1.0, "negative")],
)
def test_load_npz_bad_pixels(tmp_path, key, value, fragment):
    arrays = _arrays()
    images = arrays[key].astype(np.float64)
    images[1, 14, 14] = value
    arrays[key] = images
    path = _save(tmp_path / "pixels.npz", **arrays)
    with _raises(ValueError, path, key, fragment):
        bench_mnist.load_npz(path)


def test_load_npz_needs_two_training_classes(tmp_path):
    arrays = _arrays()
    arrays["y_train"] = np.full(len(arrays["y_train"]), 4)
    path = _save(tmp_path / "classes.npz", **arrays)
    with _raises(ValueError, path, "y_train has 1 class(es) [4]", "2"):
        bench_mnist.load_npz(path)


def test_load_npz_needs_test_images(tmp_path):
    arrays = _arrays()
    arrays["x_test"], arrays["y_test"] = arrays["x_test"][:0], arrays["y_test"][:0]
    path = _save(tmp_path / "empty.npz", **arrays)
    with _raises(ValueError, path, "x_test holds no images"):
        bench_mnist.load_npz(path)


def _args(data, validation=False, n_train=None, n_test=None):
    return argparse.Namespace(
        data=str(data), validation=validation, n_train=n_train, n_test=n_test
    )


def test_load_validation_is_the_last_sixth_of_the_training_set(tmp_path):
    arrays = _arrays(n_train=20)  # a sixth of 20: 3 images
    path = _save(tmp_path / "data.npz", **arrays)
    X_train, y_train, X_test, y_test = bench_mnist.load(_args(path, validation=True))
    flat = arrays["x_train"].reshape(20, 784)
    np.testing.assert_array_equal(X_train, flat[:17])
    np.testing.assert_array_equal(X_test, flat[17:])
    np.testing.assert_array_equal(y_train, arrays["y_train"][:17])
    np.testing.assert_array_equal(y_test, arrays["y_train"][17:])


def test_load_n_train_and_n_test_are_clipped(tmp_path):
    path = _save(tmp_path / "data.npz", **_arrays())
    X_train, y_train, X_test, y_test = bench_mnist.load(
        _args(path, n_train=5, n_test=100)
    )
    assert X_train.shape == (5, 784) and y_train.shape == (5,)
    assert X_test.shape == (6, 784) and y_test.shape == (6,)
    assert X_train.dtype == X_test.dtype == np.float32


def test_main_refuses_one_class_among_the_small_labels_before_simulating(tmp_path):
    arrays = _arrays()
    arrays["y_train"] = np.repeat([0, 1], 6)  # the first 6 labels are all 0
    path = _save(tmp_path / "sorted.npz", **arrays)
    argv = ["--data", str(path), "--n-labels-small", "5", "--verbose", "0"]
    with pytest.raises(ValueError, match=re.escape("(--n-labels-small)")):
        bench_mnist.main([*argv, "--out", str(tmp_path / "never.json")])
    assert not (tmp_path / "never.json").exists()


@pytest.mark.slow
def test_main_on_a_tiny_npz(tmp_path):
    X_train, y_train, X_test, y_test = load_mnist(n_train=120, n_test=40, flatten=False)
    path = _save(
        tmp_path / "tiny.npz",
        x_train=X_train,
        y_train=y_train,
        x_test=X_test,
        y_test=y_test,
    )
    out = tmp_path / "x.json"
    assert (
        bench_mnist.main(
            ["--data", str(path), "--n-fit", "40", "--n-baseline", "60"]
            + ["--baseline-seeds", "0", "1", "--n-jobs", "1", "--verbose", "0"]
            + ["--n-labels-small", "50", "--out", str(out)]
        )
        == 0
    )

    results = json.loads(out.read_text())
    assert KEYS_BEFORE | KEYS_NEW <= set(results)
    assert results["data"] == str(path)
    assert (results["n_train"], results["n_test"]) == (120, 40)
    assert (results["n_fit"], results["baseline_n_train"]) == (40, 60)
    assert results["n_labels_small"] == 50
    assert results["baseline_seeds"] == [0, 1]
    assert results["validation_split"] is False
    for key, value in results.items():
        if "accurac" in key:
            values = value if isinstance(value, list) else [value]
            assert all(0.0 <= v <= 1.0 for v in values), key
    assert results["readout_C"] in results["readout_C_grid"]
    for pairs in results["confusion_pairs"].values():
        assert all(true != pred and count >= 1 for true, pred, count in pairs)
    for per_seed, mean in MEANS.items():
        assert len(results[per_seed]) == 2, per_seed
        assert results[mean] == pytest.approx(np.mean(results[per_seed])), mean


def test_confusion_pairs_match_the_confusion_matrix():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 4, size=300)
    y_pred = np.where(rng.random(300) < 0.6, y_true, rng.integers(0, 4, size=300))
    matrix = confusion_matrix(y_true, y_pred)
    np.fill_diagonal(matrix, 0)
    pairs = bench_mnist.confusion_pairs(y_true, y_pred, n=20)
    assert sum(count for _, _, count in pairs) == matrix.sum()  # all 12 pairs
    for true, pred, count in pairs:
        assert matrix[true, pred] == count
    counts = [count for _, _, count in pairs]
    assert counts == sorted(counts, reverse=True)
    assert bench_mnist.confusion_pairs(y_true, y_pred, n=3) == pairs[:3]


def test_readout_chooses_C_by_cross_validation(monkeypatch):
    """The C chosen is the grid value whose mean accuracy over the folds,
    recomputed here with cross_val_score, is the highest: on this grid and
    data an inner one, so neither end of the grid would pass."""
    monkeypatch.setattr(bench_mnist, "C_GRID", (0.001, 0.1, 10.0, 1000.0))
    X, y = load_digits(return_X_y=True)
    X, y = X[:400], y[:400]
    model = bench_mnist.fit_readout(X, y)
    C = bench_mnist.chosen_C(model)
    cv = StratifiedKFold(bench_mnist.CV_FOLDS)
    scores = {
        c: cross_val_score(bench_mnist.readout(C=c), X, y, cv=cv).mean()
        for c in bench_mnist.C_GRID
    }
    assert C == max(scores, key=scores.get) == 10.0
    assert bench_mnist.chosen_C(bench_mnist.readout(C=0.5).fit(X, y)) == 0.5
