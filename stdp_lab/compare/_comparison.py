"""The rule comparison: :func:`compare_rules`, its input checks, the frozen-weights
baseline rule and one (entry, seed) run."""

from __future__ import annotations

import copy
import inspect
import math
import numbers
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_array
from sklearn.utils.multiclass import check_classification_targets
from threadpoolctl import threadpool_limits

from .._config import get_config
from .._validation import check_pair, check_scalar
from ..estimators import SpikeCountClassifier, SpikingFeatureLearner
from ..plasticity import Rule, TraceSpec, make_rule
from ._kmeans import KMeansPatchFeatures
from ._metrics import METRICS, _weight_metrics, rf_diversity
from ._table import (
    _as_table,
    _markdown,
    _row,
    _save_figure,
    _write_csv,
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
    layer, _, image_shape, _ = SpikingFeatureLearner(**shared_params)._build(n_features)
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
    if shared_params.get("engine", "auto") == "auto":  # the workers follow ours
        shared_params["engine"] = get_config()["engine"]
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
