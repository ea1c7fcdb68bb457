"""The checks of :func:`compare_rules`' inputs and the labels of its rules."""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Mapping, Sequence

import numpy as np
from sklearn.utils import check_array
from sklearn.utils.multiclass import check_classification_targets

from .._validation import check_scalar
from ..plasticity import Rule, make_rule

#: Baseline names accepted by ``compare_rules(baselines=...)``.
BASELINES: tuple[str, ...] = ("random", "kmeans", "pixels")

_BASELINE_DESCRIPTIONS = {
    "random": "same network, frozen random weights",
    "kmeans": "k-means patch features (Coates & Ng 2011), pooled as the network",
    "pixels": "raw pixels",
}


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
    """(label, rule) pairs from a sequence or a dict of rules, validated; None
    means every name of :data:`~stdp_lab.plasticity.RULES` now."""
    if rules is None:
        from .. import plasticity

        rules = list(plasticity.RULES)
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
    elif isinstance(rules, Sequence) or hasattr(rules, "__iter__"):
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


def _check_validation_size(size, n_train: int):
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        if not 0 < size < n_train:
            raise ValueError(
                f"validation_size must be in [1, {n_train - 1}] samples, got {size!r}"
            )
        return int(size)
    check_scalar(size, "validation_size", numbers.Real, low=0.0, high=1.0)
    if not 0 < size < 1:
        raise ValueError(f"validation_size must be in (0, 1), got {size!r}")
    return float(size)
