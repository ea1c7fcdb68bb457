"""Tests of the declarative parameter checks (``stdp_lab._validation``) and of
the tables every public class declares with them."""

import inspect
import math
import numbers

import numpy as np
import pytest
from sklearn.base import BaseEstimator

import stdp_lab
import stdp_lab.compare
import stdp_lab.competition
import stdp_lab.connectivity
import stdp_lab.encoding
import stdp_lab.estimators
import stdp_lab.network
import stdp_lab.neurons
import stdp_lab.plasticity
from stdp_lab._validation import (
    HasMethods,
    InstanceOf,
    Interval,
    Options,
    Pair,
    Shape,
    check_scalar,
    none,
    validate_params,
)
from stdp_lab.connectivity import Dense


def check(constraint, value, name="param"):
    """``value`` checked against ``constraint`` as parameter ``name``."""
    return validate_params({name: value}, {name: constraint})[name]


# --------------------------------------------------------------------------
# Interval


@pytest.mark.parametrize(
    ("closed", "low_ok", "high_ok"),
    [("both", True, True), ("left", True, False), ("right", False, True)]
    + [("neither", False, False)],
)
@pytest.mark.parametrize("kind", [numbers.Real, numbers.Integral])
def test_interval_bounds_on_both_sides(kind, closed, low_ok, high_ok):
    interval = Interval(kind, 2, 5, closed=closed)
    assert check(interval, 3) == 3  # inside
    for value, ok in ((2, low_ok), (5, high_ok)):  # the ends
        if ok:
            assert check(interval, value) == value
        else:
            with pytest.raises(ValueError, match=f"param must be .* got {value}"):
                check(interval, value)
    for value in (1, 6):  # just outside
        with pytest.raises(ValueError, match=f"^param must be .* got {value}$"):
            check(interval, value)
    if kind is numbers.Real:
        assert check(interval, 2.5) == 2.5
        for value in (math.nextafter(2, -math.inf), math.nextafter(5, math.inf)):
            with pytest.raises(ValueError, match="param"):
                check(interval, value)


@pytest.mark.parametrize(
    ("interval", "good", "bad", "message"),
    [
        (
            Interval(numbers.Real, 0, None),
            [0, 0.0, 1e300],
            [-1e-300],
            "param must be >= 0",
        ),
        (
            Interval(numbers.Real, 0, None, closed="neither"),
            [1e-300, 1e300],
            [0.0, -1.0],
            "param must be > 0",
        ),
        (Interval(numbers.Real, None, 1), [-1e300, 1], [1.5], "param must be <= 1"),
        (
            Interval(numbers.Real, None, 1, closed="neither"),
            [0.999],
            [1, 2],
            "param must be < 1",
        ),
        (
            Interval(numbers.Integral, 1, None),
            [1, 10**30, np.int64(3)],
            [0, -5],
            "param must be >= 1",
        ),
        (Interval(numbers.Real), [-1e300, 0, 1e300, np.float32(0.5)], [], ""),
    ],
)
def test_interval_one_sided_and_unbounded(interval, good, bad, message):
    for value in good:
        assert check(interval, value) is value
    for value in bad:
        with pytest.raises(ValueError, match=f"^{message}, got {value!r}$"):
            check(interval, value)


@pytest.mark.parametrize("kind", [numbers.Real, numbers.Integral])
@pytest.mark.parametrize("value", [True, False, np.True_])
def test_interval_refuses_booleans(kind, value):
    with pytest.raises(TypeError, match="param must be"):
        check(Interval(kind), value)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf, np.float32(np.nan)])
def test_interval_refuses_non_finite_numbers(value):
    with pytest.raises(ValueError, match="param must be finite"):
        check(Interval(numbers.Real), value)
    with pytest.raises(ValueError, match="param must be finite"):
        check(Interval(numbers.Real, arrays=True), [1.0, value])


@pytest.mark.parametrize("value", [2.0, 2.5, "3", None, [1], np.array(3)])
def test_interval_of_ints_refuses_other_types_naming_the_parameter(value):
    with pytest.raises(TypeError, match=r"^n_filters must be an int >= 1, got "):
        check(Interval(numbers.Integral, 1, None), value, "n_filters")


@pytest.mark.parametrize("value", ["3", None, [1.0], object()])
def test_interval_of_reals_refuses_other_types(value):
    with pytest.raises(TypeError, match="^dt must be a real number > 0, got"):
        check(Interval(numbers.Real, 0, None, closed="neither"), value, "dt")


def test_interval_with_arrays_checks_every_element():
    positive = Interval(numbers.Real, 0, None, closed="neither", arrays=True)
    got = check(positive, [1, 2.5], "tau")
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, [1.0, 2.5])
    assert check(positive, 3.0) == 3.0  # a scalar stays a scalar
    with pytest.raises(ValueError, match=r"tau must be > 0 everywhere, got .*-1\.0"):
        check(positive, np.array([[1.0], [-1.0]]), "tau")
    with pytest.raises(ValueError, match=r"tau must be > 0 everywhere, got .*0\.0"):
        check(positive, (2.0, 0.0), "tau")
    with pytest.raises(ValueError, match="tau must be an array of numbers"):
        check(positive, [[1.0], [2.0, 3.0]], "tau")
    for wrong in (["a"], [True, False], [None]):
        with pytest.raises(TypeError, match="tau must hold numbers"):
            check(positive, wrong, "tau")
    for wrong in ("1.0", None, True, {1: 2}):
        with pytest.raises(TypeError, match=r"tau must be .* \(or an array of them\)"):
            check(positive, wrong, "tau")
    with pytest.raises(TypeError, match="tau"):  # arrays only where declared
        check(Interval(numbers.Real), [1.0], "tau")


def test_interval_rejects_an_unknown_closed():
    with pytest.raises(ValueError, match="closed"):
        Interval(numbers.Real, 0, 1, closed="left-ish")


def test_interval_describes_itself():
    assert str(Interval(numbers.Integral, 1, None)) == "an int >= 1"
    assert str(Interval(numbers.Real, 0, None, closed="neither")) == "a real number > 0"
    assert str(Interval(numbers.Real, 0, 1, closed="left")) == "a real number in [0, 1)"
    assert str(Interval(numbers.Real, None, 1, closed="right")) == "a real number <= 1"
    assert (
        str(Interval(numbers.Real, arrays=True))
        == "a real number (or an array of them)"
    )


@pytest.mark.parametrize(
    ("low_inclusive", "high_inclusive", "bad"),
    [(True, True, (-0.5, 1.5)), (False, True, (0.0, 1.5)), (True, False, (-0.5, 1.0))],
)
def test_check_scalar_is_the_interval_check(low_inclusive, high_inclusive, bad):
    kwargs = dict(low=0.0, high=1.0, low_inclusive=low_inclusive)
    kwargs["high_inclusive"] = high_inclusive
    assert check_scalar(0.5, "p", **kwargs) == 0.5
    for value in bad:
        with pytest.raises(ValueError, match=f"p must be .*, got {value}"):
            check_scalar(value, "p", **kwargs)
    with pytest.raises(TypeError, match="p must be an int"):
        check_scalar(0.5, "p", numbers.Integral)


# --------------------------------------------------------------------------
# Options, None, pairs, shapes, instances


def test_options():
    options = Options("all", "nearest")
    assert check(options, "nearest", "pairing") == "nearest"
    with pytest.raises(
        ValueError, match=r"^pairing must be one of 'all', 'nearest'; got"
    ):
        check(options, "first", "pairing")
    for wrong in (3, None, b"all", ["all"]):
        with pytest.raises(TypeError, match="^pairing must be one of 'all', 'nearest'"):
            check(options, wrong, "pairing")


def test_none_as_an_alternative():
    k = [none, Interval(numbers.Integral, 1, None)]
    assert check(k, None, "k") is None
    assert check(k, 2, "k") == 2
    with pytest.raises(ValueError, match="^k must be >= 1, got 0$"):
        check(k, 0, "k")
    with pytest.raises(TypeError, match=r"^k must be None or an int >= 1, got 1\.5$"):
        check(k, 1.5, "k")
    with pytest.raises(TypeError, match="k must be an int >= 1, got None"):
        check(Interval(numbers.Integral, 1, None), None, "k")  # None not declared


def test_the_first_alternative_of_the_right_kind_checks_the_value():
    norm = [none, Options("auto"), Interval(numbers.Real, 0, None, closed="neither")]
    assert check(norm, "auto", "norm") == "auto"
    assert check(norm, 2.0, "norm") == 2.0
    with pytest.raises(ValueError, match="norm must be one of 'auto'; got 'max'"):
        check(norm, "max", "norm")
    with pytest.raises(ValueError, match="norm must be > 0, got -1"):
        check(norm, -1, "norm")
    with pytest.raises(TypeError, match="norm must be None or one of 'auto' or a real"):
        check(norm, [1.0], "norm")


@pytest.mark.parametrize(
    ("value", "expected"), [(3, (3, 3)), ((2, 4), (2, 4)), ([2, 4], (2, 4))]
)
def test_pair_accepts_an_int_or_a_pair(value, expected):
    assert check(Pair(), value, "kernel_size") == expected
    assert check(Pair(low=0), 0, "stride") == (0, 0)


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (0, ValueError),
        ((1, 0), ValueError),
        ((-1, 3), ValueError),
        (2.5, TypeError),
        ((1, 2, 3), TypeError),
        ((1.0, 2), TypeError),
        (True, TypeError),
        ((True, 2), TypeError),
        ("ab", TypeError),
        (None, TypeError),
    ],
)
def test_pair_refuses_naming_the_parameter(value, error):
    with pytest.raises(error, match="^kernel_size must be"):
        check(Pair(), value, "kernel_size")


def test_shape():
    assert check(Shape(2, 3), (4, 5)) == (4, 5)
    assert check(Shape(2, 3), [4, 5, 1]) == (4, 5, 1)
    assert check(Shape(1, 2, 3), 7) == (7,)
    for bad in ((4,), 4, (4, 0), (4.0, 5), (1, 2, 3, 4)):
        with pytest.raises(ValueError, match="image_shape must be a 2-/3-tuple"):
            check(Shape(2, 3), bad, "image_shape")
    for wrong in ("45", None, 4.5):
        with pytest.raises(TypeError, match="image_shape must be a 2-/3-tuple"):
            check(Shape(2, 3), wrong, "image_shape")


def test_instance_of_and_has_methods():
    neuron = [none, InstanceOf(str, stdp_lab.neurons.NeuronModel)]
    lif = stdp_lab.LIF()
    assert check(neuron, lif) is lif
    assert check(neuron, "lif") == "lif"
    with pytest.raises(
        TypeError, match="^neuron must be None or a str or a NeuronModel"
    ):
        check(neuron, 3, "neuron")
    conn = Dense(4)
    assert check(HasMethods("currents", "fold"), conn) is conn
    with pytest.raises(TypeError, match="connectivity must be an object with methods"):
        check(HasMethods("currents", "fold"), object(), "connectivity")


def test_validate_params_reads_objects_and_mappings():
    table = {"a": Pair(), "b": [none, Interval(numbers.Real, 0, None)]}

    class Params:
        a = 2
        b = None
        c = "not declared, not checked"

    assert validate_params(Params(), table) == {"a": (2, 2), "b": None}
    assert validate_params({"a": (1, 3), "b": 0.5, "c": object()}, table) == {
        "a": (1, 3),
        "b": 0.5,
    }
    with pytest.raises(ValueError, match="^b must be >= 0, got -1$"):
        validate_params({"a": 1, "b": -1}, table)


# --------------------------------------------------------------------------
# Every public class declares every parameter, once


def _public_classes():
    modules = [
        stdp_lab,
        stdp_lab.compare,
        stdp_lab.competition,
        stdp_lab.connectivity,
        stdp_lab.encoding,
        stdp_lab.estimators,
        stdp_lab.network,
        stdp_lab.neurons,
        stdp_lab.plasticity,
    ]
    classes = {
        obj
        for module in modules
        for obj in (getattr(module, name) for name in module.__all__)
        if inspect.isclass(obj) and issubclass(obj, BaseEstimator)
    }
    # the registries: what names build
    classes |= set(stdp_lab.neurons._NEURONS.values())
    classes |= {type(stdp_lab.plasticity.make_rule(n)) for n in stdp_lab.RULES}
    classes |= set(stdp_lab.encoding._ENCODERS.values())
    classes |= set(stdp_lab.connectivity._CONNECTIVITIES.values())
    return sorted(classes, key=lambda cls: cls.__name__)


PUBLIC_CLASSES = _public_classes()

#: Arguments for the constructor parameters without a default.
_REQUIRED = {"input_shape": (8, 8), "kernel_size": 3, "connectivity": Dense(64)}


def _default(cls):
    required = [
        name
        for name, p in inspect.signature(cls).parameters.items()
        if p.default is inspect.Parameter.empty
        and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    return cls(**{name: _REQUIRED[name] for name in required})


def test_the_public_classes_are_all_found():
    names = {cls.__name__ for cls in PUBLIC_CLASSES}
    assert {
        "SpikingFeatureLearner",
        "SpikeCountClassifier",
        "KMeansPatchFeatures",
        "Layer",
        "Competition",
        "LIF",
        "IF",
        "AdaptiveLIF",
        "Izhikevich",
        "PairSTDP",
        "TripletSTDP",
        "SimplifiedSTDP",
        "DiehlCookSTDP",
        "Hebbian",
        "Oja",
        "BCM",
        "PoissonEncoder",
        "LatencyEncoder",
        "RankOrderEncoder",
        "Dense",
        "LocallyConnected2D",
        "Conv2D",
    } <= names


@pytest.mark.parametrize("cls", PUBLIC_CLASSES, ids=lambda cls: cls.__name__)
def test_the_table_declares_every_parameter(cls):
    """``_parameter_constraints`` is the one place a parameter is checked: it
    names exactly the parameters of ``get_params``, and accepts the defaults."""
    estimator = _default(cls)
    table = cls._parameter_constraints
    assert set(table) == set(estimator.get_params(deep=False))
    validate_params(estimator, table)  # the defaults satisfy it


def test_tables_extend_their_parents():
    adaptive = stdp_lab.AdaptiveLIF._parameter_constraints
    for name, constraint in stdp_lab.LIF._parameter_constraints.items():
        assert adaptive[name] is constraint


# --------------------------------------------------------------------------
# The classes check at use, never at construction


@pytest.mark.parametrize(
    ("make", "use", "match"),
    [
        (lambda: stdp_lab.Competition(k=0), lambda c: c._check(), "k must be >= 1"),
        (
            lambda: stdp_lab.Competition(inhibition=True),
            lambda c: c._check(),
            r"inhibition must be a real number >= 0\.0, got True",
        ),
        (
            lambda: stdp_lab.PoissonEncoder(max_rate=-1.0),
            lambda e: e.encode(np.ones((1, 2)), 3),
            "max_rate must be >= 0",
        ),
        (
            lambda: stdp_lab.LatencyEncoder(t_max=0),
            lambda e: e.encode(np.ones((1, 2)), 3),
            "t_max must be > 0",
        ),
        (
            lambda: stdp_lab.Layer(Dense(4), w_init=1.5),
            lambda layer: layer._parts(),
            r"w_init must be <= 1\.0, got 1\.5",
        ),
        (
            lambda: stdp_lab.Layer("dense"),
            lambda layer: layer._parts(),
            "connectivity must be an object with methods currents, fold",
        ),
        (
            lambda: stdp_lab.Layer(Dense(4), neuron=3),
            lambda layer: layer._parts(),
            "neuron must be",
        ),
        (
            lambda: stdp_lab.PairSTDP(tau_pre=np.inf),
            lambda rule: rule.pre_traces(),
            "tau_pre must be finite",
        ),
        (
            lambda: stdp_lab.LIF(tau_mem=[1.0, 0.0]),
            lambda neuron: neuron.initial_state((1, 2)),
            "tau_mem must be > 0.0 everywhere",
        ),
        (
            lambda: stdp_lab.SpikeCountClassifier(weighting=None),
            lambda clf: clf.fit(np.ones((2, 2)), [0, 1]),
            "weighting must be one of",
        ),
        (
            lambda: stdp_lab.compare.KMeansPatchFeatures(whiten=1),
            lambda model: model.fit(np.ones((2, 64))),
            "whiten must be a bool",
        ),
        (
            lambda: stdp_lab.SpikingFeatureLearner(n_jobs=1.0),
            lambda model: model.fit(np.ones((2, 64))),
            "n_jobs must be None or an int, got 1.0",
        ),
        (
            lambda: stdp_lab.SpikingFeatureLearner(random_state=-1),
            lambda model: model.fit(np.ones((2, 64))),
            "random_state must be >= 0, got -1",
        ),
        (
            lambda: stdp_lab.SpikingFeatureLearner(norm="max"),
            lambda model: model.fit(np.ones((2, 64))),
            "norm must be one of 'auto'",
        ),
    ],
)
def test_parameters_are_checked_at_use(make, use, match):
    estimator = make()  # construction does not check
    with pytest.raises((TypeError, ValueError), match=match):
        use(estimator)


def test_cross_parameter_checks_follow_the_table():
    with pytest.raises(ValueError, match="w_max must be > w_min=1.0, got 0.5"):
        stdp_lab.Layer(Dense(4), w_min=1.0, w_max=0.5)._parts()
    with pytest.raises(ValueError, match="v_reset must be below v_thresh"):
        stdp_lab.LIF(v_reset=2.0).initial_state((1, 1))
    with pytest.raises(ValueError, match="max_rate"):
        stdp_lab.PoissonEncoder(max_rate=600.0).encode(np.ones((1, 1)), 2, dt=2.0)
    with pytest.raises(ValueError, match="n_jobs must be a positive number"):
        stdp_lab.SpikingFeatureLearner(n_jobs=0).fit(np.ones((2, 64)))
