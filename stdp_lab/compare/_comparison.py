"""The rule comparison: :func:`compare_rules`, its plan of runs and its rows."""

from __future__ import annotations

import copy
import math
import numbers
import time

import numpy as np
from joblib import Parallel, delayed

from .._config import get_config
from .._validation import check_scalar
from ..plasticity import make_rule
from ._architecture import _geometry, _learner_params
from ._inputs import (
    _BASELINE_DESCRIPTIONS,
    _check_baselines,
    _check_data,
    _check_seeds,
    _check_validation_size,
    _entries,
)
from ._metrics import METRICS
from ._result import Comparison, _prepare_folder
from ._runs import _frozen_rule, _kmeans_params, _run
from ._stats import _summary, paired_difference
from ._tuning import (
    KMEANS_GRID,
    TUNE_GRID,
    VALIDATION_SIZE,
    _tune,
    check_grid,
    learning_rate_params,
)


def _describe(value):
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, tuple):
        return list(value)
    return repr(value)


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
    architecture="auto",
    tune=True,
    tune_grid=TUNE_GRID,
    validation_size=VALIDATION_SIZE,
    learning_curve=True,
    n_jobs=None,
    out=None,
    verbose=0,
    **shared_params,
) -> Comparison:
    """Train one architecture with each plasticity rule over several seeds, each
    rule at its own tuned learning rate, and compare what they learned with
    baselines.

    For every entry and seed the learner is ``SpikingFeatureLearner(rule=rule,
    random_state=seed, **params)`` fitted on ``(X_train, y_train)`` (labels are
    ignored by the unsupervised rules; a rule that takes a reward gets them
    through ``fit(X, y)``); the same seed gives every rule the same initial
    weights and input spike trains. Its spike counts of ``X_train`` fit two
    readouts, both scored on ``X_test``: a linear one,
    ``make_pipeline(StandardScaler(), LogisticRegression())``, and the
    label-assignment vote of :class:`~stdp_lab.SpikeCountClassifier`.

    1. **Architecture.** ``params`` is ``architecture`` updated with
       ``shared_params``. By default (``"auto"``) images get
       :data:`IMAGE_ARCHITECTURE`, a pooled convolution in which learning pays
       on MNIST, and tabular data :data:`TABULAR_ARCHITECTURE`, a dense layer.
    2. **Tuning** (``tune=True``). Before the seeds run, each rule's learning
       rate (the parameters of :func:`learning_rate_params`, scaled together)
       is chosen from ``tune_grid`` times a base rate (the rule's own divided
       by the locations that share a filter, see :data:`TUNE_GRID`), and the
       k-means baseline's number of clusters from :data:`KMEANS_GRID`, by the
       mean accuracy of the two readouts on a validation split of the training
       set (``validation_size``, stratified, drawn with the first seed; the
       candidates learn from the rest of the training set, with the first
       seed). The test set is never seen. Ties go to the value nearest the
       base. The same seeds give the same choice.
    3. **Statistics.** Every row holds the mean and standard deviation over
       seeds, and for every rule the paired difference of each readout's
       accuracy to the frozen random weights (same seeds, same images) with its
       95% t interval (:func:`paired_difference`).
    4. **What a rule learned.** For the first seed, the weights (receptive
       fields, histogram) and a learning curve: readout accuracy after a few
       points of the first pass (:data:`CURVE_FRACTIONS`, by ``partial_fit``,
       which gives exactly the model ``fit`` gives), read out from the counts
       of up to :data:`CURVE_N_PROBE` training images and scored on as many
       test images.

    Parameters
    ----------
    rules : sequence of (str or Rule), dict label -> (str or Rule), or None
        Rule names (see :data:`stdp_lab.plasticity.RULES`) or instances,
        including user-defined :class:`~stdp_lab.plasticity.Rule` subclasses;
        None: every name of ``RULES`` at the time of the call. Labels: a name
        as given; an instance's class name plus the parameters that differ
        from its defaults (``"PairSTDP(a_plus=0.001)"``); dict keys win.
    X_train : array-like of shape (n_train, n_features)
        Non-negative intensities (flattened images or tabular data).
    y_train : array-like of shape (n_train,)
    X_test : array-like of shape (n_test, n_features)
    y_test : array-like of shape (n_test,)
    seeds : sequence of int, default=(0, 1, 2)
        Learner seeds; every entry runs once per seed.
    baselines : sequence of str or None, default=("random", "kmeans", "pixels")
        Rows after the rules, among :data:`BASELINES`: ``"random"``, the same
        network with its initial weights frozen (what learning adds; Illing
        et al. 2019); ``"kmeans"``, :class:`KMeansPatchFeatures` with the
        network's kernel, stride and pooling (Coates & Ng 2011); ``"pixels"``,
        the raw pixels (one run: it has no seed).
    architecture : "auto", dict or None, default="auto"
        Learner parameters shared by every run before ``shared_params``
        override them: "auto" as above, a dict of your own, or None for
        :class:`~stdp_lab.SpikingFeatureLearner`'s defaults.
    tune : bool, default=True
        Choose each rule's learning rate and the number of k-means clusters on
        the validation split; False runs the rules as given.
    tune_grid : sequence of float, default=TUNE_GRID
        Factors of the base rate tried.
    validation_size : float or int, default=0.2
        Share (or number) of the training samples held out for tuning.
    learning_curve : bool, default=True
        Record the learning curves (for the first seed; a few transforms of
        the probe images each).
    n_jobs : int or None, default=None
        Runs in parallel (joblib; None: one at a time). Each run uses one BLAS
        thread, so results, timings apart, do not depend on it.
    out : str or path-like, optional
        If given, :meth:`Comparison.save` writes the table, the report and the
        figures into this folder (created if missing).
    verbose : int, default=0
        joblib's progress messages.
    **shared_params
        :class:`~stdp_lab.SpikingFeatureLearner` parameters for every run, over
        ``architecture`` (``rule`` and ``random_state`` are set per run).

    Returns
    -------
    comparison : Comparison
        ``.rows`` (one dict per entry: rules in order, then the baselines),
        ``.to_markdown()``, ``.to_frame()``, ``.plot()``, ``.save()``. Iterating
        over it gives the rows. Each row holds ``"label"``, ``"kind"`` (``"rule"``
        or ``"baseline"``), ``"description"``, ``"n_seeds"``, ``"tuned"`` (the
        learning-rate parameters and their values, k-means' ``n_filters``),
        ``"rate_factor"`` (the chosen factor of the rule's own rate; NaN
        untuned), ``"at_grid_edge"`` (the choice is an end of the grid: the
        best value may lie beyond it), and ``f"{m}_mean"``, ``f"{m}_std"`` for
        each ``m`` of :data:`METRICS`:

        - ``linear_accuracy``, ``vote_accuracy``: test accuracy of each readout;
        - ``fit_seconds``; ``transform_seconds`` (train and test sets);
        - ``spikes_per_sample``: mean total spike count of a test sample;
        - ``sparsity``: fraction of zero entries of the test features;
        - ``weight_mean``, ``weight_std``: of all weights of ``weights_``;
        - ``rf_diversity``: see :func:`rf_diversity` (k-means: of the
          centroids);

        with ``f"{m}_per_seed"`` for both accuracies, and for every rule
        ``"linear_diff_vs_random_mean"``, ``"..._std"`` and ``"..._ci95"``
        (``[low, high]``), the same for ``vote``: NaN without the random
        baseline, the interval NaN with one seed. Values that do not apply
        (spikes and weights of the pixels, spikes and weight statistics of
        k-means) are NaN; a spread over one seed is NaN.

    Raises
    ------
    ValueError
        If ``rules`` is empty, names an unknown rule (the error of
        :func:`~stdp_lab.plasticity.make_rule`) or gives two entries the same
        label; if ``seeds``, ``baselines``, ``tune_grid`` or
        ``validation_size`` are invalid; if ``shared_params`` sets ``rule`` or
        ``random_state`` or holds an invalid value.

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
    >>> result = compare_rules(["stdp", "oja"], X[:100], y[:100], X[100:150],
    ...                        y[100:150], seeds=[0], baselines=["random"],
    ...                        tune=False, n_filters=4, n_timesteps=10)
    >>> [row["label"] for row in result], [row["kind"] for row in result]
    (['stdp', 'oja', 'random'], ['rule', 'rule', 'baseline'])
    """
    started = time.perf_counter()
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
    if not isinstance(tune, (bool, np.bool_)):
        raise TypeError(f"tune must be True or False, got {tune!r}")
    if not isinstance(learning_curve, (bool, np.bool_)):
        raise TypeError(f"learning_curve must be True or False, got {learning_curve!r}")
    tune_grid = check_grid(tune_grid, "tune_grid")
    X_train, y_train, X_test, y_test = _check_data(X_train, y_train, X_test, y_test)
    validation_size = _check_validation_size(validation_size, len(X_train))
    params = _learner_params(architecture, shared_params, X_train.shape[1])
    geometry = _geometry(params, X_train.shape[1])
    if params.get("engine", "auto") == "auto":  # the workers follow ours
        params["engine"] = get_config()["engine"]
    if out is not None:
        out = _prepare_folder(out)  # fails now, not after the runs
    data = (X_train, y_train, X_test, y_test)

    # 1. tuning on a validation split of the training set
    rules_now = {label: make_rule(rule) for label, rule in entries}
    n_kmeans = geometry["n_filters"]
    tuning = {}
    if tune:
        tuning, rules_now, n_kmeans = _tune(
            entries, baselines, data[:2], seeds[0], validation_size, tune_grid,
            params, geometry, n_jobs, verbose,
        )  # fmt: skip

    # 2. every entry over the seeds
    plan = [
        (label, "rule", repr(rules_now[label]), rules_now[label], seeds)
        for label, _ in entries
    ]
    for name in baselines:
        description = _BASELINE_DESCRIPTIONS[name]
        if name == "kmeans":
            description += f", {n_kmeans} clusters"
        frozen = _frozen_rule() if name == "random" else None
        plan.append(
            (
                name,
                "baseline",
                description,
                frozen,
                seeds[:1] if name == "pixels" else seeds,
            )
        )
    tasks = []
    for label, kind, _, rule, run_seeds in plan:
        run_kind = "network" if kind == "rule" or label == "random" else label
        run_params = _kmeans_params(geometry, n_kmeans) if label == "kmeans" else params
        for i, seed in enumerate(run_seeds):
            curve = learning_curve and i == 0 and run_kind == "network"
            tasks.append(
                delayed(_run)(
                    run_kind,
                    copy.deepcopy(rule),
                    seed,
                    data,
                    run_params,
                    geometry,
                    i == 0,
                    curve,
                )
            )
    results = iter(Parallel(n_jobs=n_jobs, verbose=verbose)(tasks))

    rows, fields, curves, runs_of = [], {}, {}, {}
    for label, kind, description, rule, run_seeds in plan:
        runs = [next(results) for _ in run_seeds]
        if len(runs) < len(seeds):  # pixels: the same result for every seed
            runs = runs * len(seeds)
        runs_of[label] = runs
        row = _row(label, kind, description, runs)
        row.update(_tuned(label, kind, rule, tuning, n_kmeans))
        rows.append(row)
        if runs[0].get("weights") is not None:
            fields[label] = runs[0]["weights"]
        if runs[0].get("learning_curve") is not None:
            curves[label] = runs[0]["learning_curve"]
    random_runs = runs_of.get("random")
    for row in rows:
        row.update(_differences(row, runs_of[row["label"]], random_runs))

    info = {
        "n_train": len(X_train),
        "n_test": len(X_test),
        "n_features": X_train.shape[1],
        "n_classes": len(np.unique(y_train)),
        "seeds": seeds,
        "tune": bool(tune),
        "tune_grid": list(tune_grid) if tune else None,
        "kmeans_grid": list(KMEANS_GRID) if tune and "kmeans" in baselines else None,
        "validation_size": validation_size if tune else None,
        "learning_rate_base": 1.0 / geometry["n_shared"],
        "architecture": {key: _describe(value) for key, value in params.items()},
        "patch_shape": list(geometry["patch_shape"]),
        "seconds": time.perf_counter() - started,
    }
    result = Comparison(
        rows,
        info=info,
        tuning=tuning,
        receptive_fields=fields,
        learning_curves=curves,
    )
    if out is not None:
        result.save(out)
    return result


def _row(label, kind, description, runs) -> dict:
    row = {"label": label, "kind": kind, "description": description}
    row["n_seeds"] = len(runs)
    for metric in METRICS:
        mean, std = _summary([run[metric] for run in runs])
        row[f"{metric}_mean"] = mean
        row[f"{metric}_std"] = std
    for metric in ("linear_accuracy", "vote_accuracy"):
        row[f"{metric}_per_seed"] = [run[metric] for run in runs]
    return row


def _differences(row, runs, random_runs) -> dict:
    diffs = {}
    for readout in ("linear", "vote"):
        key = f"{readout}_diff_vs_random"
        diffs.update(
            {
                f"{key}_mean": math.nan,
                f"{key}_std": math.nan,
                f"{key}_ci95": [math.nan] * 2,
            }
        )
        if row["kind"] != "rule" or random_runs is None:
            continue
        metric = f"{readout}_accuracy"
        d = paired_difference(
            [run[metric] for run in runs], [run[metric] for run in random_runs]
        )
        diffs.update(
            {
                f"{key}_mean": d["mean"],
                f"{key}_std": d["std"],
                f"{key}_ci95": [d["low"], d["high"]],
            }
        )
    return diffs


def _tuned(label, kind, rule, tuning, n_kmeans) -> dict:
    """The row's ``tuned`` values (chosen, or as given) and ``rate_factor``."""
    if kind == "rule":
        names = learning_rate_params(rule)
        params = rule.get_params(deep=False)
        record = tuning.get(label, {})
        values = {name: float(params[name]) for name in names}
        return {
            "tuned": values,
            "rate_factor": record.get("chosen_factor", math.nan),
            "at_grid_edge": bool(record.get("at_grid_edge", False)),
        }
    if label == "kmeans":
        edge = bool(tuning.get("kmeans", {}).get("at_grid_edge", False))
        return {
            "tuned": {"n_filters": int(n_kmeans)},
            "rate_factor": math.nan,
            "at_grid_edge": edge,
        }
    return {"tuned": {}, "rate_factor": math.nan, "at_grid_edge": False}
