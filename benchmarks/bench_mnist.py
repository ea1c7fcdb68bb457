"""MNIST benchmark: learned spiking convolutional features, linear and vote readouts.

The pipelines are stdp_lab's own estimators and scikit-learn's::

    mnist_conv(transform_stride=1, pooling=8, pooling_stride=2)  # STDP, one pass
      -> cube root -> StandardScaler -> LogisticRegression  # linear readout
    mnist_conv(pooling=2) -> Binarizer(threshold=0)      # vote readout:
      -> FeatureUnion(count_layer x 2)    # two second, dense STDP layers
      -> SpikeCountClassifier

with ``n_filters=32``, ``transform_encoder=PoissonEncoder(max_rate=1000.0)`` and
``transform_timesteps=12`` (learning at 256 Hz over 100 steps, reading out at
1000 Hz over 12) for the convolutional layer. Its filters are learned at stride
2 (12 x 12 locations); the linear readout reads them at stride 1 (24 x 24
locations, ``transform_stride=1``), the vote at stride 2.

Both start from the same convolutional layer, so the benchmark simulates it once,
at stride 1 and without pooling, and pools its counts twice with
``stdp_lab.pooling.pool_counts``: 8 x 8 windows of locations at stride 2 for the
linear readout; every other location (the stride-2 grid: the locations do not
interact, so their counts are those of the stride-2 layer) in 2 x 2 windows for
the second layers. The features are those of the two pipelines above.

The learner's weights are learned without labels, in one pass over the first
``--n-fit`` training images; then the counts of all training images and all
test images are computed (learning off) and the linear readout is trained on the
training features. For the vote readout two second layers
(``stdp_lab.presets.count_layer``: Diehl & Cook's dense winner-take-all layer,
each with its own random initial weights) learn from the training features,
binarised (``VOTE_THRESHOLD``; one pass, no labels), side by side; the labels
only assign their neurons to classes.
Beside it the benchmark reports:

* the vote readout on the convolutional counts themselves (``conv_vote_accuracy``);
* the same architecture with frozen random weights (rule rates 0; thresholds still
  adapt), read out both ways from ``--n-baseline`` training images (the linear
  readout trained on them; the second layers learning from them and their
  neurons assigned by their labels), with the learned model read out from the
  same images for a like-for-like comparison, for each of ``--baseline-seeds``
  (learned and frozen learners of the same seed side by side; the learner of the
  other readouts is seed 0): a single seed's random filters can score a few
  tenths of a point higher or lower than another's;
* label efficiency: the linear readout trained on the features of the first
  ``--n-labels-small`` training images only (``N_LABELS_SMALL``, 1,000; at most
  ``--n-baseline``), scored on the whole test set, for the learned and the
  frozen-random learner of each of ``--baseline-seeds`` (from the features the
  comparison above computes: nothing is simulated twice);
* logistic regression on the raw pixels (divided by the training maximum).

``--data PATH.npz`` scores the same pipeline, unchanged (no parameter is chosen
per data set), on another set of 28 x 28 grey-level images laid out as
``mnist.npz`` (arrays ``x_train``, ``y_train``, ``x_test``, ``y_test``; see
``load_npz``); ``--validation``, ``--n-train``, ``--n-test`` and ``--quick``
apply to it as to MNIST, the validation split being the last sixth of the
training set.

Parameters were chosen on a validation split, never on the test set: the last
10,000 of the 60,000 training images served as the test set (``--validation``)
while the first 50,000 were the training set; see ``CONFIG``, ``LINEAR_POOLING``,
``VOTE_THRESHOLD``, ``LAYER2`` and ``C_GRID`` below.

Run::

    python benchmarks/bench_mnist.py               # 60k train / 10k test
    python benchmarks/bench_mnist.py --quick       # a small check (about a minute)
    python benchmarks/bench_mnist.py --validation  # last 10k of train as test set
    python benchmarks/bench_mnist.py --baseline-seeds 0  # one seed's baseline
    python benchmarks/bench_mnist.py --n-labels-small 100  # 100 labels, not 1,000
    python benchmarks/bench_mnist.py --data other.npz  # another data set

Writes ``benchmarks/results/mnist.json`` (``mnist_quick.json`` with ``--quick``,
``mnist_validation.json`` with ``--validation``; with ``--data other.npz``,
``other.json``, ``other_quick.json``, ...; ``--out`` overrides). Beside the
accuracies, sizes, timings and parameters, its key ``data`` names the data set
(the path given, or ``"mnist"``), and the label efficiency is in
``linear_accuracy_1000_labels`` and ``random_baseline_accuracy_1000_labels``
(means over the seeds), ``linear_accuracies_1000_labels`` and
``random_baseline_accuracies_1000_labels`` (one per seed) and
``n_labels_small`` (the number of labels actually used, whatever the keys say).
"""

from __future__ import annotations

import argparse
import copy
import time
import warnings
import zipfile
from pathlib import Path

import numpy as np
from _common import fit_transform, peak_rss_mb, write_json
from joblib import Parallel, delayed
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.preprocessing import Binarizer, FunctionTransformer, StandardScaler
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from stdp_lab import SpikeCountClassifier
from stdp_lab.cli._common import _positive_int
from stdp_lab.datasets import load_mnist
from stdp_lab.encoding import PoissonEncoder
from stdp_lab.plasticity import PairSTDP
from stdp_lab.pooling import pool_counts, pooled_grid, resolve_pooling
from stdp_lab.presets import count_layer, mnist_conv

#: The learner: ``stdp_lab.presets.mnist_conv`` with 32 filters, learning at
#: stride 2 and read at stride 1 over 12 steps at up to 1000 Hz. Chosen on the
#: validation split (readout on the first 50,000 training images, scored on
#: the last 10,000); the screens are in ``docs/benchmarks_mnist_search.rst``.
CONFIG = dict(
    random_state=0,
    n_filters=32,
    transform_encoder=PoissonEncoder(max_rate=1000.0),
    transform_timesteps=12,
    transform_stride=1,
)
#: Pooling of the counts for the linear readout: 8 x 8 windows of the 24 x 24
#: locations at stride 2 (9 x 9 windows x 32 filters = 2,592 features), chosen
#: on the validation split (``docs/benchmarks_mnist_search.rst``).
LINEAR_POOLING = dict(pooling=8, pooling_stride=2)
#: The locations the vote reads: every other one of the stride-1 grid, that is
#: the 12 x 12 locations the conv learned at (``pool_counts`` with 1 x 1
#: windows at stride 2).
VOTE_LOCATIONS = dict(pooling=1, pooling_stride=2)
#: Pooling of those locations' counts for the second layers (6 x 6 windows x 32
#: filters = 1,152 features).
VOTE_POOLING = dict(pooling=2)
#: The second layers learn from the pooled counts binarised: 1 above this
#: count, 0 otherwise (``sklearn.preprocessing.Binarizer``), chosen on the
#: validation split (``docs/benchmarks_mnist_search.rst``).
VOTE_THRESHOLD = 0.0
#: The vote readout's second layer: three ``stdp_lab.presets.count_layer`` of
#: 1,400 neurons, seeds ``LAYER2_SEEDS``, each learning over 70 steps per sample
#: in one pass over all training features and read out over 50, their counts
#: side by side, then ``SpikeCountClassifier(weighting=VOTE_WEIGHTING)``: 4,200
#: neurons, which with the 4,608 conv neurons the vote reads stay under 9,000.
#: The layers learn at the same time, one per process (``FeatureUnion``).
#: Chosen on the validation split (``docs/benchmarks_mnist_search.rst``).
LAYER2 = dict(n_neurons=1400, n_timesteps=70, transform_timesteps=50)
LAYER2_SEEDS = (0, 1, 2)
#: Weighting of the vote readout (``SpikeCountClassifier``), chosen on validation.
VOTE_WEIGHTING = "proportion"
#: The linear readout: a root of the counts (the square root steadies the
#: variance of Poisson-like counts, Anscombe 1948; ``COMPRESS``), standardised,
#: then a logistic regression whose inverse regularisation C is chosen, for
#: every readout and data set, by ``CV_FOLDS``-fold cross-validation on the
#: readout's own training features from ``C_GRID`` (accuracy; the smaller C
#: on a tie): the best C depends on the number of labels (0.01 on MNIST's
#: 50,000, 0.1 on 1,000) and on the data, so no constant chosen on digits is
#: carried to other images. The grid spans the values that won on the
#: validation split (``docs/benchmarks_mnist_search.rst``).
C_GRID = (0.003, 0.01, 0.03, 0.1)
#: Folds of the cross-validation that chooses C (``C_GRID``).
CV_FOLDS = 3
#: The compression of the counts before standardising them (see ``C``).
COMPRESS = np.cbrt
#: Label efficiency: the linear readout is also trained on the features of the
#: first this many training images only (``--n-labels-small``; fewer if
#: ``--n-baseline`` or the training set is smaller) and scored on the whole
#: test set, for the learned and the frozen-random learners.
N_LABELS_SMALL = 1000
#: The arrays of a ``--data`` file, as in ``mnist.npz``.
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
#: The images of a ``--data`` file: 28 x 28 grey levels, as MNIST's.
IMAGE_SHAPE = (28, 28)


def readout(compress=COMPRESS, C=None):
    """The linear readout: ``C`` chosen by cross-validation (``C_GRID``) when
    None (``compress=None``, ``C=0.1``: the raw-pixel baseline's)."""
    if C is None:
        model = LogisticRegressionCV(
            Cs=list(C_GRID), cv=CV_FOLDS, scoring="accuracy", max_iter=1000
        )
    else:
        model = LogisticRegression(C=C, max_iter=1000)
    return make_pipeline(FunctionTransformer(compress), StandardScaler(), model)


def chosen_C(model):
    """The C a fitted ``readout()`` chose (cross-validated) or was given."""
    return float(np.ravel(model[-1].C_)[0] if hasattr(model[-1], "C_") else model[-1].C)


def fit_readout(F_train, y_train):
    """``readout()`` fitted on ``F_train``.

    The features are float32 (the solver keeps them so) and the products of
    the logistic regression are skinny (10 classes): memory bound, they ran
    faster on one BLAS thread than on two on this project's 2-core machine
    (the demo's 10,000 x 1,296 readout: 2.7 s against 9.2 s).
    """
    with threadpool_limits(limits=1, user_api="blas"), warnings.catch_warnings():
        # scikit-learn 1.9 announces changes of LogisticRegressionCV's defaults
        # and attributes; the ones used here (Cs, cv, scoring, C_) are explicit.
        warnings.simplefilter("ignore", FutureWarning)
        return readout().fit(F_train, y_train)


def confusion_pairs(y_true, y_pred, n=5):
    """The ``n`` most frequent errors as ``[true, predicted, count]``."""
    wrong = np.asarray(y_true) != np.asarray(y_pred)
    pairs, counts = np.unique(
        np.column_stack([np.asarray(y_true)[wrong], np.asarray(y_pred)[wrong]]),
        axis=0,
        return_counts=True,
    )
    order = np.lexsort((pairs[:, 1], pairs[:, 0], -counts))[:n]
    return [
        [int(t), int(p), int(c)]
        for (t, p), c in zip(pairs[order], counts[order], strict=True)
    ]


def load_npz(path):
    """The images and labels of an npz file laid out as ``mnist.npz``.

    Parameters
    ----------
    path : str or path-like
        An npz file (``np.savez``) holding the arrays ``x_train``, ``y_train``,
        ``x_test`` and ``y_test``: images of 28 x 28 grey levels as arrays of
        shape (n, 28, 28) or (n, 784), any number of them, and integer labels
        of shape (n,). The pixels keep their scale (any finite value >= 0).

    Returns
    -------
    X_train : ndarray of shape (n_train, 784), dtype float32
    y_train : ndarray of shape (n_train,)
    X_test : ndarray of shape (n_test, 784), dtype float32
    y_test : ndarray of shape (n_test,)

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        If the file is not an npz file, lacks one of the arrays (the message
        lists those found), holds images that are not 28 x 28, no test
        images, labels that are not integers, not 1-D or not one per image,
        pixels that are NaN, infinite or negative, or training labels of fewer
        than 2 classes. Each message names ``path``.
    """
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        data = np.load(path)  # allow_pickle=False: arrays only
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path}: not a readable npz file ({error})") from None
    if not isinstance(data, np.lib.npyio.NpzFile):  # an .npy: one array
        raise ValueError(f"{path}: one array (.npy), not an npz file (np.savez)")
    with data:
        found = sorted(data.files)
        missing = [key for key in NPZ_KEYS if key not in found]
        if missing:
            raise ValueError(
                f"{path}: missing array(s) {', '.join(missing)}; found "
                f"{', '.join(found) or 'none'}"
            )
        try:
            arrays = {key: data[key] for key in NPZ_KEYS}
        except ValueError as error:  # an object array (pickled data)
            raise ValueError(f"{path}: unreadable array ({error})") from None
    X_train, X_test = (
        _npz_images(path, name, arrays[name]) for name in ("x_train", "x_test")
    )
    y_train, y_test = (
        _npz_labels(path, name, arrays[name], len(X))
        for name, X in (("y_train", X_train), ("y_test", X_test))
    )
    if len(X_test) == 0:
        raise ValueError(f"{path}: x_test holds no images")
    classes = np.unique(y_train)
    if len(classes) < 2:
        raise ValueError(
            f"{path}: y_train has {len(classes)} class(es) {classes.tolist()}; "
            "at least 2 are needed"
        )
    return X_train, y_train, X_test, y_test


def _npz_images(path, name, X):
    """The images ``X`` (array ``name`` of ``path``) as float32 rows of 784
    pixels, checked."""
    n_pixels = int(np.prod(IMAGE_SHAPE))
    if X.shape[1:] not in (IMAGE_SHAPE, (n_pixels,)):
        raise ValueError(
            f"{path}: {name} has shape {X.shape}; expected (n, 28, 28) or (n, 784) "
            "(28 x 28 images)"
        )
    if not (np.issubdtype(X.dtype, np.integer) or np.issubdtype(X.dtype, np.floating)):
        raise ValueError(f"{path}: {name} has dtype {X.dtype}; expected numbers")
    X = X.reshape(len(X), n_pixels).astype(np.float32, copy=False)  # (n, 784)
    if not np.isfinite(X).all():  # also values beyond float32's range
        raise ValueError(f"{path}: {name} has NaN or infinite pixels")
    if (X < 0).any():
        raise ValueError(f"{path}: {name} has negative pixels (min {X.min():g})")
    return X


def _npz_labels(path, name, y, n_images):
    """The labels ``y`` (array ``name`` of ``path``) of ``n_images`` images,
    checked."""
    if y.ndim != 1:
        raise ValueError(f"{path}: {name} has shape {y.shape}; expected (n,)")
    if not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"{path}: {name} has dtype {y.dtype}; expected integers")
    if len(y) != n_images:
        raise ValueError(
            f"{path}: {name} has {len(y)} labels but x{name[1:]} has {n_images} images"
        )
    return y


def load(args):
    """The training and test sets of ``args``: MNIST, or ``load_npz(args.data)``;
    with ``args.validation`` the last sixth of the training set (MNIST's last
    10,000) plays the test set; then the first ``args.n_train`` and
    ``args.n_test`` images."""
    if args.data is None:
        X_train, y_train, X_test, y_test = load_mnist()
    else:
        X_train, y_train, X_test, y_test = load_npz(args.data)
    if args.validation:  # the last sixth of the training set plays the test set
        n_validation = len(X_train) // 6
        if n_validation == 0:
            raise ValueError(
                f"--validation needs at least 6 training images; {len(X_train)} given"
            )
        split = len(X_train) - n_validation
        X_test, y_test = X_train[split:], y_train[split:]
        X_train, y_train = X_train[:split], y_train[:split]
    n_train = min(args.n_train or len(X_train), len(X_train))
    n_test = min(args.n_test or len(X_test), len(X_test))
    return (
        X_train[:n_train].astype(np.float32, copy=False),
        y_train[:n_train],
        X_test[:n_test].astype(np.float32, copy=False),
        y_test[:n_test],
    )


#: Images per task of ``conv_features``.
CHUNK = 2_500


def vote_grid(grid):
    """The grid of the locations ``VOTE_LOCATIONS`` keeps of ``grid``."""
    return pooled_grid(grid, resolve_pooling(grid=grid, **VOTE_LOCATIONS))


def linear_pooled(counts, grid):
    """Unpooled conv ``counts`` on ``grid`` pooled for the linear readout."""
    return pool_counts(counts, grid, **LINEAR_POOLING)


def vote_pooled(counts, grid):
    """Unpooled conv ``counts`` on ``grid`` pooled for the second layers: the
    locations ``VOTE_LOCATIONS`` keeps, then ``VOTE_POOLING``."""
    kept = pool_counts(counts, grid, **VOTE_LOCATIONS)
    return pool_counts(kept, vote_grid(grid), **VOTE_POOLING)


def _pooled_counts(learner, X, poolings):
    """``learner``'s counts of ``X``, pooled by each of ``poolings``."""
    counts = learner.transform(X)
    return tuple(pool(counts, learner.pool_grid_) for pool in poolings)


def conv_features(learner, X, poolings=(linear_pooled, vote_pooled)):
    """The fitted conv ``learner``'s counts of ``X`` (``pooling=None``), pooled
    by each of ``poolings`` (functions of the counts and their grid of
    locations, as ``pool_counts``): by default for the linear readout
    (``linear_pooled``) and for the second layers (``vote_pooled``).

    The ``learner.n_jobs`` processes each transform ``CHUNK`` images at a time
    and pool their counts before returning them: the unpooled counts of 70,000
    images at stride 1 would take 5 GB, and sending them between processes
    and pooling them in one took 12% of the transform's time.

    Returns
    -------
    features : tuple of ndarray, one per pooling
    """
    serial = copy.copy(learner).set_params(n_jobs=1, verbose=0)
    tasks = Parallel(n_jobs=learner.n_jobs, return_as="generator")(
        delayed(_pooled_counts)(serial, X[start : start + CHUNK], poolings)
        for start in range(0, len(X), CHUNK)
    )
    parts = []
    progress = dict(desc="conv features", unit="sample", leave=False)
    with tqdm(total=len(X), disable=learner.verbose <= 0, **progress) as bar:
        for part in tasks:  # one array per pooling, of a chunk, in order
            parts.append(part)
            bar.update(len(part[0]))
    return tuple(np.concatenate(pooled) for pooled in zip(*parts, strict=True))


def learned_features(config, X_fit, X_train, X_test, n_jobs, verbose):
    """The conv learner of ``config`` fitted on ``X_fit``, the ``conv_features``
    of ``X_train`` and ``X_test``, and the seconds of fit and transform."""
    learner = mnist_conv(**config, pooling=None, n_jobs=n_jobs, verbose=verbose)
    return fit_transform(learner, X_fit, X_train, X_test, transform=conv_features)


def baseline_accuracies(
    config, X_fit, X_train, y_train, X_test, y_test, n_labels_small, n_jobs, verbose
):
    """Test accuracies (linear, vote, linear on ``n_labels_small`` labels) of
    ``config``'s learner, fitted on ``X_fit``, with the readouts
    (``readout_accuracies``) learned on ``X_train``."""
    _, (F_train, V_train), (F_test, V_test), _, _ = learned_features(
        config, X_fit, X_train, X_test, n_jobs, verbose
    )
    return readout_accuracies(
        F_train,
        V_train,
        y_train,
        F_test,
        V_test,
        y_test,
        n_labels_small,
        n_jobs,
        verbose,
    )


def readout_accuracies(
    F_train, V_train, y_train, F_test, V_test, y_test, n_labels_small, n_jobs, verbose
):
    """Test accuracies (linear, vote, linear on ``n_labels_small`` labels) of
    ``conv_features``: the linear readout on ``F_*``, the vote of second layers
    learned from ``V_train``, and the linear readout trained on the first
    ``n_labels_small`` rows of ``F_train`` only."""
    linear = readout_accuracy(F_train, y_train, F_test, y_test)
    _, G_train, G_test, _, _ = second_layer(V_train, V_test, n_jobs, verbose)
    vote = vote_accuracy(G_train, y_train, G_test, y_test)
    small = slice(n_labels_small)
    linear_small = readout_accuracy(F_train[small], y_train[small], F_test, y_test)
    return linear, vote, linear_small


def readout_accuracy(F_train, y_train, F_test, y_test):
    """Test accuracy of the linear readout (``fit_readout``)."""
    return float(fit_readout(F_train, y_train).score(F_test, y_test))


def fit_vote(G_train, y_train, weighting=VOTE_WEIGHTING):
    """The vote (``SpikeCountClassifier``) fitted on counts ``G_train``."""
    return SpikeCountClassifier(weighting=weighting).fit(G_train, y_train)


def vote_accuracy(G_train, y_train, G_test, y_test, weighting=VOTE_WEIGHTING):
    """Test accuracy of the vote (``fit_vote``) on counts ``G_*``."""
    return float(fit_vote(G_train, y_train, weighting).score(G_test, y_test))


def second_layer(F_train, F_test, n_jobs, verbose):
    """The vote readout's second layer, learned from all training features:
    ``len(LAYER2_SEEDS)`` layers side by side, one per process."""
    layers = [
        (f"seed{seed}", count_layer(**LAYER2, random_state=seed, verbose=verbose))
        for seed in LAYER2_SEEDS
    ]
    second = make_pipeline(
        Binarizer(threshold=VOTE_THRESHOLD), FeatureUnion(layers, n_jobs=n_jobs)
    )
    return fit_transform(second, F_train, F_train, F_test)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        default=None,
        metavar="PATH.npz",
        help="another data set laid out as mnist.npz (see load_npz) instead of "
        "MNIST; the pipeline is unchanged",
    )
    parser.add_argument("--quick", action="store_true", help="small data, fast")
    parser.add_argument("--validation", action="store_true")
    parser.add_argument("--n-fit", type=int, default=2000)
    parser.add_argument("--n-train", type=int, default=None)
    parser.add_argument("--n-test", type=int, default=None)
    parser.add_argument("--n-baseline", type=int, default=10_000)
    parser.add_argument(
        "--n-labels-small",
        type=_positive_int,
        default=N_LABELS_SMALL,
        help="the linear readout is also trained on this many labelled images "
        "(the first; at most --n-baseline) for each of --baseline-seeds",
    )
    parser.add_argument(
        "--baseline-seeds",
        type=int,
        nargs="+",
        default=[0, 1, 2],
        help="seeds of the learned-against-random comparison (its figures are "
        "their means)",
    )
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--verbose", type=int, default=1)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    config = dict(CONFIG)
    if args.quick:
        args.n_fit, args.n_train, args.n_test = 200, 1000, 500
        args.n_baseline = 1000
    name = "mnist" if args.data is None else Path(args.data).stem
    if args.quick:
        name += "_quick"
    if args.validation:
        name += "_validation"
    out = Path(args.out or Path(__file__).parent / "results" / f"{name}.json")

    start_all = time.perf_counter()
    X_train, y_train, X_test, y_test = load(args)
    n_fit = min(args.n_fit, len(X_train))
    n_base = min(args.n_baseline, len(X_train))
    n_small = min(args.n_labels_small, n_base)  # features exist for n_base images
    # Every readout needs 2 classes among its labels: say so now, not after
    # the simulations.
    for option, n_labels in (
        ("--n-train", len(X_train)),
        ("--n-baseline", n_base),
        ("--n-labels-small", n_small),
    ):
        classes = np.unique(y_train[:n_labels])
        if len(classes) < 2:
            raise ValueError(
                f"the first {n_labels} training labels ({option}) hold "
                f"{len(classes)} class(es) {classes.tolist()}; the readouts need 2"
            )
    print(
        f"{args.data or 'MNIST'}: fit on {n_fit}, readout on {len(X_train)}, test "
        f"on {len(X_test)}" + (" (validation split)" if args.validation else "")
    )
    learner, (F_train, V_train), (F_test, V_test), conv_fit_s, conv_transform_s = (
        learned_features(
            config, X_train[:n_fit], X_train, X_test, args.n_jobs, args.verbose
        )
    )
    layer2, G_train, G_test, layer2_fit_s, layer2_transform_s = second_layer(
        V_train, V_test, args.n_jobs, args.verbose
    )
    fit_s = conv_fit_s + layer2_fit_s
    transform_s = conv_transform_s + layer2_transform_s
    start = time.perf_counter()
    linear = fit_readout(F_train, y_train)
    linear_predicted = linear.predict(F_test)
    linear_accuracy = float(np.mean(linear_predicted == y_test))
    vote_predicted = fit_vote(G_train, y_train).predict(G_test)
    vote_acc = float(np.mean(vote_predicted == y_test))
    assignment_accuracy = vote_accuracy(G_train, y_train, G_test, y_test, "assignment")
    conv_vote_accuracy = vote_accuracy(V_train, y_train, V_test, y_test, "assignment")
    readout_s = time.perf_counter() - start
    total_s = time.perf_counter() - start_all
    # The conv read at transform_stride for the linear readout, and the part of
    # it the vote reads (its stride-2 locations: the learning grid).
    grid = learner.pool_grid_
    n_conv_neurons = learner.n_filters * int(np.prod(grid))
    n_vote_conv_neurons = learner.n_filters * int(np.prod(vote_grid(grid)))
    n_layer2_neurons = sum(
        layer.layer_.connectivity.n_outputs for _, layer in layer2[-1].transformer_list
    )
    n_neurons = n_vote_conv_neurons + n_layer2_neurons
    print(
        f"learned: linear {linear_accuracy:.4f}  vote {vote_acc:.4f} "
        f"({VOTE_WEIGHTING}; assignment {assignment_accuracy:.4f}) with "
        f"{n_vote_conv_neurons} + {n_layer2_neurons} neurons (linear: "
        f"{n_conv_neurons} conv neurons)  conv-only vote "
        f"{conv_vote_accuracy:.4f} ({V_train.shape[1]} features)\n"
        f"fit {conv_fit_s:.1f} + {layer2_fit_s:.1f} s  transform "
        f"{conv_transform_s:.1f} + {layer2_transform_s:.1f} s  readout "
        f"{readout_s:.1f} s  total {total_s:.1f} s"
    )

    # Frozen random weights of the same architecture, and the learned features'
    # two readouts trained on the same (smaller) set of images, seed by seed;
    # and the linear readouts of both trained on the first n_small of them.
    start = time.perf_counter()
    frozen = dict(config, rule=PairSTDP(a_plus=0.0, a_minus=0.0))
    baseline = dict(
        X_fit=X_train[:n_fit],
        X_train=X_train[:n_base],
        y_train=y_train[:n_base],
        X_test=X_test,
        y_test=y_test,
        n_labels_small=n_small,
        n_jobs=args.n_jobs,
        verbose=args.verbose,
    )
    # (linear, vote, linear on n_small labels) per seed
    learned_by_seed, random_by_seed = [], []
    for seed in args.baseline_seeds:
        if seed == config["random_state"]:  # the learner above
            learned_by_seed.append(
                readout_accuracies(
                    F_train[:n_base],
                    V_train[:n_base],
                    y_train[:n_base],
                    F_test,
                    V_test,
                    y_test,
                    n_small,
                    args.n_jobs,
                    args.verbose,
                )
            )
        else:
            learned_by_seed.append(
                baseline_accuracies(dict(config, random_state=seed), **baseline)
            )
        random_by_seed.append(
            baseline_accuracies(dict(frozen, random_state=seed), **baseline)
        )
        print(
            f"readouts on {n_base} images, seed {seed}: linear learned "
            f"{learned_by_seed[-1][0]:.4f}, frozen random {random_by_seed[-1][0]:.4f}"
            f"; vote learned {learned_by_seed[-1][1]:.4f}, frozen random "
            f"{random_by_seed[-1][1]:.4f}; linear on {n_small} labels learned "
            f"{learned_by_seed[-1][2]:.4f}, frozen random {random_by_seed[-1][2]:.4f}",
            flush=True,
        )
    learned_linear, learned_vote, learned_small = (
        list(a) for a in zip(*learned_by_seed, strict=True)
    )
    random_linear, random_vote, random_small = (
        list(a) for a in zip(*random_by_seed, strict=True)
    )
    baseline_s = time.perf_counter() - start
    for readout_name, n_labels, learned, random in (
        ("linear", n_base, learned_linear, random_linear),
        ("vote", n_base, learned_vote, random_vote),
        ("linear", n_small, learned_small, random_small),
    ):
        gaps = np.subtract(learned, random)
        print(
            f"{readout_name} readout on {n_labels} images, mean of {len(gaps)} seeds: "
            f"learned {np.mean(learned):.4f}  frozen random {np.mean(random):.4f}  "
            f"gap {gaps.mean():.4f} (from {gaps.min():.4f} to {gaps.max():.4f})"
        )
    print(f"baselines: {baseline_s:.1f} s")

    start = time.perf_counter()
    # The pixels divided by the training set's maximum (255 for MNIST, as the
    # fixed 255 of before), so that any scale of grey levels lands in [0, 1]
    # (an all-black training set is left as it is).
    scale = float(X_train.max()) or 1.0
    pixels = readout(compress=None, C=0.1).fit(X_train / scale, y_train)
    pixel_accuracy = float(pixels.score(X_test / scale, y_test))
    pixel_s = time.perf_counter() - start
    print(f"raw pixels + logistic regression: {pixel_accuracy:.4f} ({pixel_s:.1f} s)")

    results = {
        "linear_accuracy": linear_accuracy,
        "vote_accuracy": vote_acc,
        "vote_n_neurons": int(n_neurons),
        "vote_weighting": VOTE_WEIGHTING,
        "vote_assignment_accuracy": assignment_accuracy,
        "conv_vote_accuracy": conv_vote_accuracy,
        "conv_n_neurons": int(n_conv_neurons),
        "vote_conv_n_neurons": int(n_vote_conv_neurons),
        "layer2_n_neurons": int(n_layer2_neurons),
        "random_baseline_accuracy": float(np.mean(random_linear)),
        "learned_same_n_accuracy": float(np.mean(learned_linear)),
        "random_baseline_vote_accuracy": float(np.mean(random_vote)),
        "learned_same_n_vote_accuracy": float(np.mean(learned_vote)),
        "baseline_seeds": list(args.baseline_seeds),
        "random_baseline_accuracies": random_linear,
        "learned_same_n_accuracies": learned_linear,
        "random_baseline_vote_accuracies": random_vote,
        "learned_same_n_vote_accuracies": learned_vote,
        "baseline_n_train": int(n_base),
        "linear_accuracy_1000_labels": float(np.mean(learned_small)),
        "random_baseline_accuracy_1000_labels": float(np.mean(random_small)),
        "linear_accuracies_1000_labels": learned_small,
        "random_baseline_accuracies_1000_labels": random_small,
        "n_labels_small": int(n_small),
        "pixel_logreg_accuracy": pixel_accuracy,
        "fit_seconds": fit_s,
        "transform_seconds": transform_s,
        "conv_fit_seconds": conv_fit_s,
        "conv_transform_seconds": conv_transform_s,
        "layer2_fit_seconds": layer2_fit_s,
        "layer2_transform_seconds": layer2_transform_s,
        "readout_seconds": readout_s,
        "total_seconds": total_s,
        "baseline_seconds": baseline_s,
        "pixel_seconds": pixel_s,
        "peak_rss_mb": peak_rss_mb(),
        "n_fit": int(n_fit),
        "n_train": int(len(X_train)),
        "n_test": int(len(X_test)),
        "validation_split": bool(args.validation),
        "data": "mnist" if args.data is None else str(args.data),
        "n_features": int(F_train.shape[1]),
        "mean_spikes_per_sample": float(V_test.sum(axis=1).mean()),
        "layer2_mean_spikes_per_sample": float(G_test.sum(axis=1).mean()),
        "n_jobs": args.n_jobs,
        "readout_C": chosen_C(linear),
        "readout_C_grid": list(C_GRID),
        "confusion_pairs": {
            "linear": confusion_pairs(y_test, linear_predicted),
            "vote": confusion_pairs(y_test, vote_predicted),
        },
        "linear_pooling": LINEAR_POOLING,
        "vote_locations": VOTE_LOCATIONS,
        "vote_pooling": VOTE_POOLING,
        "vote_threshold": VOTE_THRESHOLD,
        "params": {k: repr(v) for k, v in learner.get_params(deep=False).items()},
        "layer2_seeds": list(LAYER2_SEEDS),
        "layer2_params": {
            k: repr(v)
            for k, v in layer2[-1].transformer_list[0][1].get_params(deep=False).items()
        },
    }
    write_json(results, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
