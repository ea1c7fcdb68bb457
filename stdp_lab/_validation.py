"""Parameter checks and the random-number helper (private).

Every public class declares what each of its parameters accepts once, as data,
in a class attribute in the manner of scikit-learn's ``_parameter_constraints``::

    _parameter_constraints = {
        "n_filters": Interval(numbers.Integral, 1, None),
        "dt": Interval(numbers.Real, 0, None, closed="neither"),
        "pairing": Options("all", "nearest"),
        "window": [none, Interval(numbers.Real, 0, None, closed="neither")],
    }

and calls :func:`validate_params` where it uses them (``fit``, ``_parts``,
``_check``, ...), never in ``__init__``, so that ``clone`` and ``set_params``
work as in scikit-learn; checks that involve several parameters follow as code.
A subclass extends its parent's table (``{**Parent._parameter_constraints,
...}``). Errors name the parameter, the value received and what was expected:
``TypeError`` for a value of a kind no constraint accepts, ``ValueError`` for
one of the right kind out of range. Function arguments are checked with
``check_scalar`` (an :class:`Interval`), ``check_choice`` and ``check_pair``
(what :class:`Options` and :class:`Pair` call).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence

import numpy as np

__all__ = [
    "Interval",
    "Options",
    "Pair",
    "Shape",
    "InstanceOf",
    "HasMethods",
    "none",
    "validate_params",
    "check_rng",
    "check_scalar",
    "check_choice",
    "check_pair",
    "check_intensities",
]


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_sequence(value) -> bool:
    return isinstance(value, Sequence | np.ndarray) and not isinstance(value, str)


class _Constraint:
    """One kind of value a parameter accepts.

    ``accepts(value)`` says whether the value is of this kind (its type, so that
    a wrong type gives ``TypeError``), ``check(value, name)`` checks its value
    (``ValueError`` naming ``name``) and returns it, converted where the kind
    says so, and ``str`` describes the kind for error messages.
    """

    def accepts(self, value) -> bool:
        raise NotImplementedError

    def check(self, value, name: str):
        return value


class Interval(_Constraint):
    """A finite number of ``kind`` between ``low`` and ``high``.

    Parameters
    ----------
    kind : numbers.Integral or numbers.Real
        Booleans are refused either way.
    low, high : number or None
        Bounds; None leaves that side unbounded.
    closed : {"both", "left", "right", "neither"}, default="both"
        Which of the bounds belong to the interval.
    arrays : bool, default=False
        Also accept array-likes of real numbers (per-neuron values), each
        element checked; ``check`` returns those as float64 arrays.
    """

    def __init__(self, kind, low=None, high=None, *, closed="both", arrays=False):
        if closed not in ("both", "left", "right", "neither"):
            raise ValueError(f"unknown closed={closed!r}")
        self.kind = kind
        self.low = low
        self.high = high
        self.closed = closed
        self.arrays = arrays

    def accepts(self, value) -> bool:
        if isinstance(value, bool):
            return False
        return isinstance(value, self.kind) or (self.arrays and _is_sequence(value))

    def check(self, value, name: str):
        if isinstance(value, self.kind):
            finite = isinstance(value, numbers.Integral) or math.isfinite(value)
            where = ""
        else:  # an array-like (arrays=True)
            try:
                value = np.asarray(value)
            except Exception as exc:  # ragged lists and the like
                raise ValueError(f"{name} must be an array of numbers: {exc}") from None
            if value.dtype.kind not in "iuf":
                raise TypeError(f"{name} must hold numbers, got dtype {value.dtype}")
            value = value.astype(np.float64)
            finite = np.all(np.isfinite(value))
            where = " everywhere"
        if not finite:
            raise ValueError(f"{name} must be finite, got {value!r}")
        low_in, high_in = self._inclusive()
        if self.low is not None:
            bad = value < self.low if low_in else value <= self.low
            op = ">=" if low_in else ">"
            _raise_if(bad, name, value, f"{op} {self.low}{where}")
        if self.high is not None:
            bad = value > self.high if high_in else value >= self.high
            op = "<=" if high_in else "<"
            _raise_if(bad, name, value, f"{op} {self.high}{where}")
        return value

    def _inclusive(self) -> tuple[bool, bool]:
        return self.closed in ("both", "left"), self.closed in ("both", "right")

    def __str__(self) -> str:
        kinds = {numbers.Integral: "an int", numbers.Real: "a real number"}
        text = kinds.get(self.kind, f"a {self.kind.__name__}")
        low_in, high_in = self._inclusive()
        if self.low is not None and self.high is not None:
            left, right = "[" if low_in else "(", "]" if high_in else ")"
            text += f" in {left}{self.low}, {self.high}{right}"
        elif self.low is not None:
            text += f" {'>=' if low_in else '>'} {self.low}"
        elif self.high is not None:
            text += f" {'<=' if high_in else '<'} {self.high}"
        return text + (" (or an array of them)" if self.arrays else "")


def _raise_if(bad, name: str, value, expected: str) -> None:
    """ValueError if ``bad`` (a bool or bool array over ``value``) holds."""
    if isinstance(value, np.ndarray):
        if bad.any():
            raise ValueError(f"{name} must be {expected}, got {value[bad].flat[0]!r}")
    elif bad:
        raise ValueError(f"{name} must be {expected}, got {value!r}")


class Options(_Constraint):
    """One of the strings ``choices``."""

    def __init__(self, *choices: str):
        self.choices = choices

    def accepts(self, value) -> bool:
        return isinstance(value, str)

    def check(self, value, name: str):
        return check_choice(value, name, self.choices)

    def __str__(self) -> str:
        return "one of " + ", ".join(repr(c) for c in self.choices)


class Pair(_Constraint):
    """An int or a pair of ints, each >= ``low``; ``check`` returns the pair
    ``(rows, cols)`` (an int ``n`` gives ``(n, n)``)."""

    def __init__(self, low: int = 1):
        self.low = low

    def accepts(self, value) -> bool:
        return _is_int(value) or _is_sequence(value)

    def check(self, value, name: str):
        return check_pair(value, name, low=self.low)

    def __str__(self) -> str:
        return f"an int or a pair of ints >= {self.low}"


class Shape(_Constraint):
    """A tuple of positive ints with a length in ``ndims`` (an int ``n`` stands
    for ``(n,)`` when 1 is one of them); ``check`` returns the tuple."""

    def __init__(self, *ndims: int):
        self.ndims = ndims

    def accepts(self, value) -> bool:
        return _is_int(value) or _is_sequence(value)

    def check(self, value, name: str):
        return check_shape(value, name, self.ndims)

    def __str__(self) -> str:
        return f"a {'-/'.join(str(n) for n in self.ndims)}-tuple of positive ints"


class InstanceOf(_Constraint):
    """An instance of one of ``types``."""

    def __init__(self, *types: type):
        self.types = types

    def accepts(self, value) -> bool:
        return isinstance(value, self.types)

    def __str__(self) -> str:
        return " or ".join(f"a {t.__name__}" for t in self.types)


class HasMethods(_Constraint):
    """Any object with the methods ``names`` (duck typing)."""

    def __init__(self, *names: str):
        self.names = names

    def accepts(self, value) -> bool:
        return all(callable(getattr(value, n, None)) for n in self.names)

    def __str__(self) -> str:
        return "an object with methods " + ", ".join(self.names)


class _NoneConstraint(_Constraint):
    def accepts(self, value) -> bool:
        return value is None

    def __str__(self) -> str:
        return "None"


#: Accepts None; an alternative in a list (``[none, Interval(...)]``).
none = _NoneConstraint()


def validate_params(params, constraints: Mapping) -> dict:
    """Check every parameter declared in ``constraints``; return their values.

    Parameters
    ----------
    params : object or mapping
        An object whose attributes are the parameters (an estimator), or a
        mapping from parameter names to values.
    constraints : mapping
        Parameter name -> constraint, or list of alternative constraints (the
        first that accepts the value's kind checks it).

    Returns
    -------
    checked : dict
        Parameter name -> value, converted where the constraint says so (a
        :class:`Pair` or :class:`Shape` gives a tuple, an array accepted by an
        :class:`Interval` a float64 array).

    Raises
    ------
    TypeError
        If no constraint accepts the kind of a value.
    ValueError
        If a value of an accepted kind is out of range.
    """
    mapping = isinstance(params, Mapping)
    checked = {}
    for name, constraint in constraints.items():
        value = params[name] if mapping else getattr(params, name)
        options = constraint if isinstance(constraint, list) else [constraint]
        match = next((c for c in options if c.accepts(value)), None)
        if match is None:
            expected = " or ".join(str(c) for c in options)
            raise TypeError(f"{name} must be {expected}, got {value!r}")
        checked[name] = match.check(value, name)
    return checked


def check_rng(random_state) -> np.random.Generator:
    """Return a ``numpy.random.Generator`` for ``random_state``.

    ``None`` gives fresh OS entropy, an int seeds a new Generator, a Generator is
    returned unchanged, and a legacy ``RandomState`` is used to draw a seed.
    """
    if random_state is None or isinstance(random_state, numbers.Integral):
        if random_state is not None and random_state < 0:
            raise ValueError(
                f"random_state must be a non-negative int, got {random_state!r}"
            )
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(2**31 - 1))
    raise TypeError(
        "random_state must be None, an int, a numpy Generator or RandomState, "
        f"got {type(random_state).__name__}"
    )


def check_scalar(
    value,
    name: str,
    kind=numbers.Real,
    *,
    low=None,
    high=None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
):
    """Check a function argument against ``Interval(kind, low, high)``; return it.

    Booleans and non-finite numbers are refused.
    """
    closed = ("neither", "left", "right", "both")[2 * high_inclusive + low_inclusive]
    interval = Interval(kind, low, high, closed=closed)
    return validate_params({name: value}, {name: interval})[name]


def check_choice(value, name: str, choices: Sequence):
    """Check that ``value`` is one of ``choices``; the error lists them."""
    if not isinstance(value, str) or value not in choices:
        known = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {known}; got {value!r}")
    return value


def check_pair(value, name: str, *, low: int = 1) -> tuple[int, int]:
    """Turn an int or a pair of ints into a ``(rows, cols)`` tuple, each >= low."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        pair = (int(value), int(value))
    elif (
        isinstance(value, Sequence)
        and len(value) == 2
        and all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value
        )
    ):
        pair = (int(value[0]), int(value[1]))
    else:
        raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")
    if min(pair) < low:
        raise ValueError(f"{name} must be >= {low}, got {value!r}")
    return pair


def check_intensities(X, name: str = "X", *, ndim: int = 2, upper=None) -> np.ndarray:
    """Check an array of non-negative finite intensities with ``ndim`` dimensions.

    Returns a floating array (float32 and float64 are kept, others become float64).
    ``upper``, if given, is an inclusive upper bound.
    """
    try:
        arr = np.asarray(X)
    except Exception as exc:  # e.g. ragged lists
        raise ValueError(f"{name} must be an array of numbers: {exc}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers, got dtype {arr.dtype}")
    if arr.ndim != ndim:
        raise ValueError(
            f"{name} must be {ndim}-dimensional, got an array of shape {arr.shape}"
        )
    if arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must not contain NaN or infinity")
    if arr.size and arr.min() < 0:
        raise ValueError(
            f"{name} must hold non-negative intensities, found minimum {arr.min()!r}"
        )
    if upper is not None and arr.size and arr.max() > upper:
        raise ValueError(
            f"{name} must hold intensities in [0, {upper}], found maximum "
            f"{arr.max()!r}; scale the data first"
        )
    return arr


def check_shape(value, name: str, ndims: tuple[int, ...], *, pad_to=None):
    """Return ``value`` as a tuple of positive ints with a length in ``ndims``.

    An int ``n`` stands for ``(n,)`` and is accepted only if 1 is in ``ndims``.
    With ``pad_to``, the tuple is padded with 1s to that length (e.g. an image
    shape ``(h, w)`` becomes ``(h, w, 1)``). Raises ValueError naming ``name``.
    """
    allowed = "-/".join(str(n) for n in ndims)
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        shape = (value,)
    elif isinstance(value, Sequence | np.ndarray) and not isinstance(value, str):
        shape = tuple(value)
    else:
        shape = None
    if (
        shape is None
        or len(shape) not in ndims
        or not all(
            isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in shape
        )
        or min(shape) < 1
    ):
        raise ValueError(
            f"{name} must be a {allowed}-tuple of positive ints, got {value!r}"
        )
    shape = tuple(int(n) for n in shape)
    if pad_to is not None:
        shape = shape + (1,) * (pad_to - len(shape))
    return shape
