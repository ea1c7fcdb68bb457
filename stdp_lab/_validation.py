"""Parameter checks and the random-number helper (private).

Every public class checks its parameters where they are used (``fit``, ``build``,
``step``), never in ``__init__``, so that ``clone`` and ``set_params`` work as in
scikit-learn. Errors name the parameter, the value received and what was expected.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

__all__ = [
    "check_rng",
    "check_scalar",
    "check_choice",
    "check_pair",
    "check_intensities",
]


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
    """Check that ``value`` is a scalar of ``kind`` within bounds; return it.

    Booleans are refused where a number is expected.
    """
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) or not isinstance(value, kinds):
        names = " or ".join(getattr(k, "__name__", str(k)) for k in kinds)
        raise TypeError(f"{name} must be a {names}, got {value!r}")
    if isinstance(value, numbers.Real) and not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if low is not None and (value < low if low_inclusive else value <= low):
        op = ">=" if low_inclusive else ">"
        raise ValueError(f"{name} must be {op} {low}, got {value!r}")
    if high is not None and (value > high if high_inclusive else value >= high):
        op = "<=" if high_inclusive else "<"
        raise ValueError(f"{name} must be {op} {high}, got {value!r}")
    return value


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
