"""Global configuration: which simulation engine ``engine="auto"`` means.

Modelled on :func:`sklearn.set_config`: a process-wide (per-thread) setting that
a :func:`config_context` changes for a block of code. Estimators resolve it when
they run (``fit``, ``transform``) and pass an explicit engine to their workers,
so joblib's processes see the caller's choice.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

from ._validation import check_choice

__all__ = ["ENGINES", "get_config", "set_config", "config_context"]

#: Values of every ``engine`` parameter: ``"auto"`` runs a layer on the compiled
#: (numba) engine when numba imports and every part of the layer has a compiled
#: form, on the numpy engine otherwise; ``"numba"`` insists on the compiled
#: engine (an error names the part that has no compiled form); ``"numpy"`` runs
#: the readable reference engine.
ENGINES = ("auto", "numba", "numpy")

_DEFAULTS = {"engine": "auto"}
_local = threading.local()


def _config() -> dict:
    if not hasattr(_local, "config"):
        _local.config = dict(_DEFAULTS)
    return _local.config


def get_config() -> dict:
    """The current configuration, a copy: ``{"engine": ...}``.

    Examples
    --------
    >>> import stdp_lab
    >>> stdp_lab.get_config()["engine"]
    'auto'
    """
    return dict(_config())


def set_config(engine: str | None = None) -> None:
    """Set the configuration for this thread.

    Parameters
    ----------
    engine : {"auto", "numba", "numpy"} or None, default=None
        What ``engine="auto"`` means from now on (None: leave it). ``"auto"``
        is the compiled engine where every part of a layer has a compiled
        form; ``"numpy"`` forces the reference engine everywhere (tests run the
        whole suite so with ``pytest --engine numpy``); ``"numba"`` turns a
        layer without a compiled form into an error.
    """
    if engine is not None:
        _config()["engine"] = check_choice(engine, "engine", ENGINES)


@contextmanager
def config_context(*, engine: str | None = None):
    """Change the configuration inside a ``with`` block (see :func:`set_config`).

    Examples
    --------
    >>> import stdp_lab
    >>> with stdp_lab.config_context(engine="numpy"):
    ...     stdp_lab.get_config()["engine"]
    'numpy'
    """
    old = get_config()
    set_config(engine=engine)
    try:
        yield
    finally:
        set_config(**old)
