"""The compiled engine: one layer over one presentation in numba kernels
(private)."""

from __future__ import annotations


def unsupported(layer) -> str | None:
    """Why ``layer`` cannot run on the compiled engine, or None if it can."""
    return "the compiled engine is not available yet"
