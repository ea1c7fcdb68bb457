"""Threads for the compiled kernels (private).

The kernels release the GIL (``nogil=True``), so plain Python threads run them
side by side. Work is cut into at most as many contiguous ranges as threads;
what a range computes never depends on how the work was cut, so results do not
depend on the number of threads.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

__all__ = ["n_cores", "run_ranges"]

_POOL = None
_LOCK = threading.Lock()


def n_cores() -> int:
    """Threads a kernel may use: the cores this process may run on, at most
    ``NUMBA_NUM_THREADS`` when that is set (joblib sets it in its worker
    processes to their share of the cores, so processes and threads do not
    oversubscribe them)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    limit = os.environ.get("NUMBA_NUM_THREADS", "")
    if limit.isdigit() and int(limit) > 0:
        cores = min(cores, int(limit))
    return cores


def _pool() -> ThreadPoolExecutor:
    global _POOL
    with _LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(
                max_workers=n_cores(), thread_name_prefix="stdp_lab"
            )
    return _POOL


def run_ranges(task, n_items: int, n_threads: int | None) -> None:
    """Run ``task(lo, hi)`` over contiguous ranges covering ``range(n_items)``,
    on ``n_threads`` threads (None: every core), the calling thread taking the
    first range."""
    n_threads = n_cores() if n_threads is None else n_threads
    n_threads = max(1, min(n_threads, n_items))
    if n_threads == 1:
        task(0, n_items)
        return
    cuts = [n_items * i // n_threads for i in range(n_threads + 1)]
    futures = [
        _pool().submit(task, lo, hi)
        for lo, hi in zip(cuts[1:-1], cuts[2:], strict=True)
    ]
    task(cuts[0], cuts[1])
    for future in futures:
        future.result()
