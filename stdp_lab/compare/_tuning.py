"""Fair tuning of a comparison: what a rule's "learning rate" is, the grids, the
validation split and the choice of a grid value."""

from __future__ import annotations

import math
import re

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.model_selection import train_test_split

from ..plasticity import make_rule
from ._runs import _kmeans_params, _run

#: The parameters a rule's *learning rate* scales, by rule class: exactly those
#: that multiply its weight change, so that scaling them all by ``c`` scales
#: ``dw`` by ``c`` and leaves the rule's shape (its balance of potentiation and
#: depression, its fixed points relative to the weight bounds) as it was:
#:
#: ============== ==========================================================
#: rule           parameters scaled together
#: ============== ==========================================================
#: PairSTDP       ``a_plus``, ``a_minus`` (their ratio, the balance, is kept)
#: TripletSTDP    ``a2_plus``, ``a3_plus``, ``a2_minus``, ``a3_minus``
#: SimplifiedSTDP ``a_plus``, ``a_minus``
#: DiehlCookSTDP  ``learning_rate``
#: Hebbian        ``learning_rate``, ``decay`` (the decay term is part of dw)
#: Oja            ``learning_rate``
#: BCM            ``learning_rate`` (``tau_theta`` is a time, not a rate)
#: ============== ==========================================================
#:
#: A subclass takes the entry of its nearest listed base class. A rule listed
#: nowhere (a rule of your own, or one added to ``RULES`` later) scales its
#: overall rate if it has one (a parameter named ``learning_rate``, ``eta`` or
#: ``lr``), otherwise every amplitude (``a_plus``, ``a_minus``, ``a2_plus``,
#: ``a_ltp``, ``a_ltd``, ``a_reward_plus``, ...); both are
#: factors of ``dw``, and never both, which would scale ``dw`` twice. A rule
#: with neither is not tuned.
LEARNING_RATES: dict[str, tuple[str, ...]] = {
    "PairSTDP": ("a_plus", "a_minus"),
    "TripletSTDP": ("a2_plus", "a3_plus", "a2_minus", "a3_minus"),
    "SimplifiedSTDP": ("a_plus", "a_minus"),
    "DiehlCookSTDP": ("learning_rate",),
    "Hebbian": ("learning_rate", "decay"),
    "Oja": ("learning_rate",),
    "BCM": ("learning_rate",),
}

_OVERALL_RATES = ("learning_rate", "eta", "lr")
_AMPLITUDE = re.compile(r"^a(\d|_reward|_punish)?_(plus|minus|ltp|ltd|pre|post)$")

#: Factors of a rule's base rate tried by the tuning. The base rate is the
#: rule's own (its defaults for a name) divided by the number of locations
#: that share each filter (1 for dense and locally connected layers; 144 for
#: the 12 x 12 locations of the default MNIST convolution), because
#: ``Conv2D.fold`` adds the changes of all of them into the shared filter. On
#: a validation split of MNIST (4,000 images learned, 1,000 scored, one seed)
#: every built-in rule did best between 0.14 and 4.3 times this base (Oja at
#: the low end, BCM and Hebb at the high end), so the grid spans ten times
#: either way in steps of about three.
TUNE_GRID: tuple[float, ...] = (0.1, 0.3, 1.0, 3.0, 10.0)

#: Factors of ``n_filters`` tried as the number of k-means clusters (the only
#: knob of the k-means baseline; the frozen random weights and the pixels have
#: none).
KMEANS_GRID: tuple[float, ...] = (0.5, 1.0, 2.0)

#: Share of the training set held out to score the tuning's candidates (an int:
#: that many samples), stratified by class.
VALIDATION_SIZE = 0.2


def learning_rate_params(rule) -> tuple[str, ...]:
    """The parameters scaled together as ``rule``'s learning rate.

    Parameters
    ----------
    rule : str or Rule
        A rule name of :data:`~stdp_lab.plasticity.RULES` or an instance.

    Returns
    -------
    names : tuple of str
        Empty when the rule has no parameter recognised as a rate (see
        :data:`LEARNING_RATES`).

    Examples
    --------
    >>> from stdp_lab.compare import learning_rate_params
    >>> learning_rate_params("stdp"), learning_rate_params("oja")
    (('a_plus', 'a_minus'), ('learning_rate',))
    """
    rule = make_rule(rule)
    for cls in type(rule).__mro__:
        if cls.__name__ in LEARNING_RATES:
            return LEARNING_RATES[cls.__name__]
    params = rule.get_params(deep=False)
    overall = [name for name in _OVERALL_RATES if name in params]
    if overall:
        return (overall[0],)
    return tuple(name for name in params if _AMPLITUDE.match(name))


def scale_rule(rule, factor: float):
    """A copy of ``rule`` with its learning rate (:func:`learning_rate_params`)
    multiplied by ``factor``."""
    rule = clone(make_rule(rule))
    names = learning_rate_params(rule)
    params = rule.get_params(deep=False)
    return rule.set_params(**{name: params[name] * factor for name in names})


def check_grid(grid, name: str) -> tuple[float, ...]:
    if isinstance(grid, (str, bytes)) or not hasattr(grid, "__iter__"):
        raise TypeError(f"{name} must be a sequence of positive numbers, got {grid!r}")
    values = []
    for value in grid:
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            raise TypeError(f"{name} must hold numbers, got {value!r}")
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must hold finite numbers > 0, got {value!r}")
        values.append(float(value))
    if not values:
        raise ValueError(f"{name} must hold at least one value, got an empty grid")
    if len(set(values)) != len(values):
        raise ValueError(f"{name} must hold distinct values, got {list(grid)!r}")
    return tuple(values)


def validation_split(X, y, size, seed: int):
    """``(X_fit, y_fit, X_val, y_val)``: a stratified split of the training set
    (falls back to a plain split when a class is too small to stratify)."""
    try:
        X_fit, X_val, y_fit, y_val = train_test_split(
            X, y, test_size=size, stratify=y, random_state=seed
        )
    except ValueError:  # a class with a single sample cannot be stratified
        X_fit, X_val, y_fit, y_val = train_test_split(
            X, y, test_size=size, random_state=seed
        )
    return X_fit, y_fit, X_val, y_val


def validation_score(result: dict) -> float:
    """What the tuning maximises: the mean validation accuracy of the two
    readouts (the comparison reports both; tuning for one would favour it)."""
    return 0.5 * (result["linear_accuracy"] + result["vote_accuracy"])


def choose(grid, scores) -> int:
    """Index of the best score; ties (and NaN-free equal scores) go to the grid
    value nearest the base (1 in ratio), then to the smaller one, so that the
    choice depends on the scores only."""
    scores = np.asarray(scores, dtype=np.float64)
    if np.isnan(scores).all():
        return int(np.argmin([abs(math.log(g)) for g in grid]))
    best = np.nanmax(scores)
    tied = [i for i, s in enumerate(scores) if s == best]
    return min(tied, key=lambda i: (abs(math.log(grid[i])), grid[i]))


def _tune(
    entries, baselines, train, seed, size, grid, params, geometry, n_jobs, verbose
):
    """Choose each rule's rate and the k-means clusters on a validation split.

    Returns ``(tuning, rules, n_kmeans)``: per label the record of the search,
    the rules at their chosen rates, and the chosen number of clusters."""
    X_fit, y_fit, X_val, y_val = validation_split(*train, size, seed)
    split = (X_fit, y_fit, X_val, y_val)
    base = 1.0 / geometry["n_shared"]
    candidates = []  # (label, factor, kind, rule or n_filters)
    for label, rule in entries:
        if learning_rate_params(rule):
            for g in grid:
                factor = g * base
                candidates.append((label, factor, "network", scale_rule(rule, factor)))
    kmeans_sizes = []
    if "kmeans" in baselines:
        for g in KMEANS_GRID:
            n = max(1, int(round(g * geometry["n_filters"])))
            if n not in kmeans_sizes:
                kmeans_sizes.append(n)
                candidates.append(("kmeans", float(n), "kmeans", n))
    scores = _score_candidates(
        candidates, split, seed, params, geometry, n_jobs, verbose
    )

    tuning, rules = {}, {label: make_rule(rule) for label, rule in entries}
    n_kmeans = geometry["n_filters"]
    searched = [(label, "network") for label, _ in entries] + [("kmeans", "kmeans")]
    for label, kind in searched:
        mine = [
            (c, s)
            for c, s in zip(candidates, scores, strict=True)
            if c[0] == label and c[2] == kind
        ]
        if not mine:
            continue
        values = [c[1] for c, _ in mine]
        unit = geometry["n_filters"] if kind == "kmeans" else base
        best = choose(
            [v / unit for v in values], [validation_score(s) for _, s in mine]
        )
        record = {
            "linear_accuracy": [s["linear_accuracy"] for _, s in mine],
            "vote_accuracy": [s["vote_accuracy"] for _, s in mine],
            "score": [validation_score(s) for _, s in mine],
            "n_fit": len(X_fit),
            "n_validation": len(X_val),
            "seed": seed,
        }
        if kind == "kmeans":
            n_kmeans = int(values[best])
            record.update(
                n_filters=[int(v) for v in values],
                chosen=n_kmeans,
                at_grid_edge=len(values) > 1 and best in (0, len(values) - 1),
            )
        else:
            chosen = mine[best][0][3]
            rules[label] = chosen
            names = learning_rate_params(chosen)
            record.update(
                params=list(names),
                grid=[float(g) for g in grid],
                # A choice at an end of a grid of several values: the best
                # rate may lie beyond it (widen tune_grid to look).
                at_grid_edge=len(grid) > 1 and best in (0, len(grid) - 1),
                base_factor=base,
                factors=values,
                chosen_factor=values[best],
                chosen={n: float(chosen.get_params(deep=False)[n]) for n in names},
            )
        tuning[label] = record
    return tuning, rules, n_kmeans


def _score_candidates(candidates, split, seed, params, geometry, n_jobs, verbose):
    """Validation accuracies of both readouts for every candidate (the one
    function the tuning scores through)."""
    tasks = []
    for _, _, kind, what in candidates:
        if kind == "kmeans":
            tasks.append(
                delayed(_run)(
                    "kmeans",
                    None,
                    seed,
                    split,
                    _kmeans_params(geometry, what),
                    geometry,
                    False,
                )
            )
        else:
            tasks.append(
                delayed(_run)("network", what, seed, split, params, geometry, False)
            )
    return list(Parallel(n_jobs=n_jobs, verbose=verbose)(tasks))
