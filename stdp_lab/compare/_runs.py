"""One (entry, seed) run of a comparison: features, readouts, metrics and the
learning curve."""

from __future__ import annotations

import math
import time

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from ..estimators import SpikeCountClassifier, SpikingFeatureLearner
from ..plasticity import DiehlCookSTDP, Rule
from ..pooling import pool
from ._kmeans import KMeansPatchFeatures
from ._metrics import METRICS, _weight_metrics, rf_diversity

#: Learning curve: readout accuracy after these shares of the first pass,
#: each rounded to whole batches; readouts fitted on the counts of at most
#: ``CURVE_N_PROBE`` training images and scored on as many test images.
CURVE_FRACTIONS: tuple[float, ...] = (0.125, 0.25, 0.5, 1.0)
CURVE_N_PROBE = 500

# Iterations of the linear readout's solver: standardised spike counts of a few
# thousand samples converge well within this.
_MAX_ITER = 1000


def _frozen_rule() -> Rule:
    """The frozen-weights baseline's rule: dw = 0. A rate-0 rule with a compiled
    form, so that the baseline runs on the same engine as the rules; everything
    else (the adaptive thresholds, clipping, normalisation, which leaves the
    initial weights as they are) runs as with a learning rule."""
    return DiehlCookSTDP(learning_rate=0.0)


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
    }


def _curve_points(n_samples: int, batch_size: int) -> list[int]:
    """Samples learned at each point of the curve, in whole batches."""
    points = []
    for fraction in CURVE_FRACTIONS:
        n = int(round(fraction * n_samples / batch_size)) * batch_size
        n = n_samples if fraction >= 1 else min(max(n, batch_size), n_samples)
        if n not in points:
            points.append(n)
    if points[-1] != n_samples:
        points.append(n_samples)
    return points


def _probe(y, n: int) -> np.ndarray:
    """Indices of a stratified subset of ``n`` of the samples (all if fewer)."""
    index = np.arange(len(y))
    if n >= len(y):
        return index
    try:
        picked, _ = train_test_split(index, train_size=n, stratify=y, random_state=0)
    except ValueError:  # classes too small to stratify
        picked = index[:n]
    return np.sort(picked)


def _fit_with_curve(model, X, y, probe) -> tuple[dict, float]:
    """Fit ``model`` by ``partial_fit`` over whole batches, scoring readouts of the
    probe's counts after each point of the curve but the last (the caller
    scores that one from the final counts). The same batches in the same
    order with the same random stream give exactly the model ``fit`` gives.

    Returns the curve so far and the seconds spent scoring it."""
    X_a, y_a, X_b, y_b = probe
    n_epochs = model.n_epochs
    model.set_params(n_epochs=1)  # partial_fit's first call would run them all
    curve = {"n_samples": [], "linear_accuracy": [], "vote_accuracy": []}
    scoring = 0.0
    start = 0
    for stop in _curve_points(len(X), model.batch_size):
        model.partial_fit(X[start:stop], y[start:stop])
        start = stop
        if stop < len(X):
            begin = time.perf_counter()
            scores = _readouts(model.transform(X_a), y_a, model.transform(X_b), y_b)
            scoring += time.perf_counter() - begin
            curve["n_samples"].append(stop)
            for key, value in scores.items():
                curve[key].append(value)
    for _ in range(n_epochs - 1):
        model.partial_fit(X, y)
    model.set_params(n_epochs=n_epochs)
    curve["n_samples"].append(int(model.n_samples_seen_))
    return curve, scoring


def _network(rule, seed, params, data, geometry, curve) -> tuple:
    """Features of the spiking network, its metrics and (``curve``) its
    learning curve, recorded while the model of the row learns whenever
    ``partial_fit`` can give the model ``fit`` gives."""
    X_train, y_train, X_test, y_test = data
    model = SpikingFeatureLearner(rule=rule, random_state=seed, **params)
    points, scoring = None, 0.0
    if curve:
        probe_train = _probe(y_train, CURVE_N_PROBE)
        probe_test = _probe(y_test, CURVE_N_PROBE)
        probe = (X_train[probe_train], y_train[probe_train])
        probe += (X_test[probe_test], y_test[probe_test])
    # partial_fit learns the scale of its first chunk, fit that of all X: the
    # same for images once input_scale is set to it; not for a strip of
    # tabular features (each on its own scale), whose curve gets its own model.
    shared = curve and not geometry["per_feature_scale"]
    start = time.perf_counter()
    if shared:
        if params.get("input_scale") is None and X_train.max() > 0:
            model.set_params(input_scale=float(X_train.max()))  # what fit learns
        points, scoring = _fit_with_curve(model, X_train, y_train, probe)
    else:
        model.fit(X_train, y_train)
    result = {"fit_seconds": time.perf_counter() - start - scoring}
    start = time.perf_counter()
    F_train, F_test = model.transform(X_train), model.transform(X_test)
    result["transform_seconds"] = time.perf_counter() - start
    if curve:
        if shared:
            F_a, F_b = F_train[probe_train], F_test[probe_test]
        else:
            learner = SpikingFeatureLearner(rule=rule, random_state=seed, **params)
            points, _ = _fit_with_curve(learner, X_train, y_train, probe)
            F_a, F_b = learner.transform(probe[0]), learner.transform(probe[2])
        for key, value in _readouts(F_a, probe[1], F_b, probe[3]).items():
            points[key].append(value)
    result.update(_weight_metrics(model.weights_))
    result["spikes_per_sample"] = (
        float(F_test.sum(axis=1).mean()) if len(F_test) else math.nan
    )
    return F_train, F_test, result, model.weights_, points


def _run(kind, rule, seed, data, params, geometry, keep, curve=False) -> dict:
    """One (entry, seed) run: features, both readouts and every metric.

    BLAS and OpenMP use one thread inside a run, so that its floating-point
    results do not depend on how many runs share the machine (``n_jobs``).
    """
    X_train, y_train, X_test, y_test = data
    result = dict.fromkeys(METRICS, math.nan)
    weights = points = None
    with threadpool_limits(limits=1):
        if kind == "pixels":
            F_train, F_test = X_train, X_test
        elif kind == "kmeans":
            model = KMeansPatchFeatures(random_state=seed, **params)
            start = time.perf_counter()
            model.fit(X_train)
            result["fit_seconds"] = time.perf_counter() - start
            start = time.perf_counter()
            n_locations = geometry["grid"][0] * geometry["grid"][1]
            F_train, F_test = (
                pool(
                    model.transform(X).reshape(len(X), n_locations, -1),  # (n, L, F)
                    geometry["grid"],
                    geometry["pooling"],
                )  # (n, n_windows * F): summed as the network's counts
                for X in (X_train, X_test)
            )
            result["transform_seconds"] = time.perf_counter() - start
            # Centroids live in the normalised patch space: their mean and spread
            # are not comparable with synaptic weights, their diversity is.
            result["rf_diversity"] = rf_diversity(model.weights_)
            weights = model.weights_
        else:
            F_train, F_test, metrics, weights, points = _network(
                rule, seed, params, data, geometry, curve
            )
            result.update(metrics)
        result["sparsity"] = float(np.mean(F_test == 0)) if F_test.size else math.nan
        result.update(_readouts(F_train, y_train, F_test, y_test))
    if keep:
        result["weights"] = weights
        result["learning_curve"] = points
    return result


def _kmeans_params(geometry: dict, n_filters: int) -> dict:
    params = {key: geometry[key] for key in ("image_shape", "kernel_size", "stride")}
    return {**params, "n_filters": int(n_filters)}
