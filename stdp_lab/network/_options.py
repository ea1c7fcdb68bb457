"""Tuning options of the simulator (none of them changes a result beyond float
rounding)."""

from __future__ import annotations

import dataclasses
import numbers

from .._validation import check_scalar

__all__ = ["SimulationOptions"]


@dataclasses.dataclass(frozen=True)
class SimulationOptions:
    """How :func:`~stdp_lab.network.simulate` does its work, not what it computes.

    Every option trades speed for memory or chooses between two computations of
    the same quantity; the tests use them to compare the fast paths with the
    plain ones. Pass an instance as ``simulate(..., options=...)``.

    Parameters
    ----------
    quiet_steps : int, default=16
        numpy engine: steps per window in which only the neurons that could
        reach threshold are stepped, the others advanced in closed form at its
        end (see ``stdp_lab.network._quiet``). Longer windows loosen the bound
        and let more neurons rise within reach of threshold; shorter ones pay
        the per-window passes over all neurons more often. 0 or 1: step every
        neuron at every step (the plain path).
    quiet_min_neurons : int, default=4096
        numpy engine: below this many neurons (samples x locations x filters) a
        step is a few numpy calls on tiny arrays, cheaper than the windows'
        bookkeeping, and every neuron is stepped.
    all_active_fraction : float, default=0.1
        numpy engine: above this fraction of neurons within reach of
        threshold a window steps the whole layer.
    quiet_tolerance : float, default=1e-4
        numpy engine: relative margin below threshold within which a neuron is
        stepped anyway, so that rounding cannot turn a bound into a wrong skip.
    current_chunk_bytes : int, default=16 MiB
        numpy engine: bytes of first-layer input currents computed in one
        sparse product (several steps at once).
    pair_sums : bool, default=True
        numpy engine: sum rules made of outer products with spikes
        (:meth:`Rule.pair_terms <stdp_lab.plasticity.Rule.pair_terms>`)
        sparsely over the presentation. False: call the rule's ``delta`` at
        every step on stepped traces (the definition the sums must equal).
    pair_buffer_floats : int, default=2**22
        numpy engine: floats the pair sums buffer before folding them in with
        one sparse product.
    pair_rebase_taus : float, default=16.0
        numpy engine: the pair sums weigh a spike at step t by
        ``exp(+-t dt / tau)`` from a time origin that moves forward at least
        every this many trace time constants, so float64 keeps a relative error
        below about ``1e-16 * exp(pair_rebase_taus)``.
    n_threads : int or None, default=None
        compiled engine: threads of a kernel. None: all the cores the process
        may use (``numba.get_num_threads()``); an estimator with ``n_jobs``
        processes gives each its share. Results do not depend on it.

    Examples
    --------
    >>> from stdp_lab.network import SimulationOptions
    >>> SimulationOptions(quiet_steps=0).quiet_steps
    0
    """

    quiet_steps: int = 16
    quiet_min_neurons: int = 4096
    all_active_fraction: float = 0.1
    quiet_tolerance: float = 1e-4
    current_chunk_bytes: int = 16 * 2**20
    pair_sums: bool = True
    pair_buffer_floats: int = 2**22
    pair_rebase_taus: float = 16.0
    n_threads: int | None = None

    def __post_init__(self):
        check_scalar(self.quiet_steps, "quiet_steps", numbers.Integral, low=0)
        check_scalar(
            self.quiet_min_neurons, "quiet_min_neurons", numbers.Integral, low=0
        )
        check_scalar(self.all_active_fraction, "all_active_fraction", low=0.0, high=1.0)
        check_scalar(self.quiet_tolerance, "quiet_tolerance", low=0.0)
        check_scalar(
            self.current_chunk_bytes, "current_chunk_bytes", numbers.Integral, low=1
        )
        if not isinstance(self.pair_sums, bool):
            raise TypeError(f"pair_sums must be a bool, got {self.pair_sums!r}")
        check_scalar(
            self.pair_buffer_floats, "pair_buffer_floats", numbers.Integral, low=1
        )
        check_scalar(
            self.pair_rebase_taus,
            "pair_rebase_taus",
            low=0.0,
            low_inclusive=False,
        )
        if self.n_threads is not None:
            check_scalar(self.n_threads, "n_threads", numbers.Integral, low=1)

    @classmethod
    def plain(cls, **changes) -> SimulationOptions:
        """Options of the plain numpy path: every neuron stepped at every step
        and every rule's ``delta`` called at every step, the definitions the
        fast paths must reproduce."""
        return cls(**{"quiet_steps": 0, "pair_sums": False, **changes})
