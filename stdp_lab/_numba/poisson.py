"""Poisson spike trains of :class:`stdp_lab.encoding.PoissonEncoder`, compiled.

This mirrors ``PoissonEncoder._events`` (with ``_poisson_times``,
``_segmented_times``, ``_mix`` and ``_uniform``) of :mod:`stdp_lab.encoding`
operation by operation, so that the trains are the same, spike for spike:

* the uniform numbers are a counter-based hash (Salmon et al. 2011) built on
  splitmix64 (Steele, Lea & Flood 2014): draw ``c`` of the stream with key ``k``
  is ``1 - (mix(k + c * golden) >> 11) * 2**-53``, in ``(0, 1]``, where the key
  of input ``i`` of a sample with seed ``s`` is ``mix(mix(s) + i)`` (uint64
  arithmetic, wrapping);
* the gaps between spikes are geometric, drawn by the inverse CDF
  ``floor(log(u) / log1p(-p)) + 1`` and clipped at the int32 maximum;
* they are drawn in rounds: round ``r`` draws ``min(ceil(mean + n_sd_gaps * sd +
  extra_gaps), n_left)`` gaps with counters ``j + (r << 32)``, where ``n_left``
  is the number of steps after the last spike, ``mean = n_left * p`` and
  ``sd = sqrt(mean * (1 - p))``; a spike at or past ``n_timesteps`` ends the
  stream, and a new round starts only if the last spike of the round is before
  the last step.

Each floating-point operation is done in the same order as numpy does it. The
only known differences come from the elementary functions: ``math.log`` and
``math.log1p`` here are the C library's, while numpy may use its own SIMD
implementations (on AVX-512 machines), which differ by one ulp on a small
fraction of arguments; a spike moves only if such a difference carries
``log(u) / log1p(-p)`` across an integer, which is vanishingly rare.

Two interfaces:

* :func:`stream_start` and :func:`stream_next` step one stream (one input of one
  sample) from spike to spike, with its state in a small int64 array, for a
  compiled simulation kernel that consumes the spikes step by step;
* :func:`poisson_events` returns every spike of a batch in a sparse form.

References
----------
.. [1] Steele, G. L., Lea, D. and Flood, C. H. (2014). Fast splittable
   pseudorandom number generators. OOPSLA 2014, 453-472.
.. [2] Salmon, J. K. et al. (2011). Parallel random numbers: as easy as 1, 2,
   3. SC '11.
"""

import math

import numba
import numpy as np

from ..encoding import _EXTRA_GAPS, _N_SD_GAPS
from ._threads import run_ranges

__all__ = [
    "STATE_SIZE",
    "mix",
    "uniform",
    "stream_key",
    "stream_start",
    "stream_next",
    "poisson_events",
]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_INT32_MAX = float(np.iinfo(np.int32).max)

# Layout of a stream's state (int64 array of length STATE_SIZE).
_TIME = 0  # last spike drawn: -1 before the first, >= n_timesteps - 1 once over
_DRAW = 1  # index within the round of the next draw
_N_GAPS = 2  # number of draws of the current round
_ROUND = 3  # round number
STATE_SIZE = 4


@numba.njit(cache=True, nogil=True)
def mix(z):
    """One splitmix64 step of a uint64 (``stdp_lab.encoding._mix``)."""
    z = np.uint64(z) + _GOLDEN
    z ^= z >> np.uint64(30)
    z *= _M1
    z ^= z >> np.uint64(27)
    z *= _M2
    z ^= z >> np.uint64(31)
    return z


@numba.njit(cache=True, nogil=True)
def uniform(key, counter):
    """Uniform number in (0, 1] of draw ``counter`` of stream ``key``
    (``stdp_lab.encoding._uniform``)."""
    z = mix(np.uint64(key) + np.uint64(counter) * _GOLDEN)
    return 1.0 - np.float64(z >> np.uint64(11)) * 2.0**-53


@numba.njit(cache=True, nogil=True)
def stream_key(seed, feature):
    """Key of the stream of input ``feature`` of a sample seeded with ``seed``.

    A uint64 (which numba returns to Python as an int: wrap it in ``np.uint64``
    before passing it back from Python to the stream functions).
    """
    return mix(mix(np.uint64(seed)) + np.uint64(feature))


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _round_gaps(p, n_timesteps, previous, n_sd_gaps, extra_gaps):
    """Number of gaps drawn by a round that starts after a spike at ``previous``."""
    n_left = np.int64(n_timesteps - 1 - previous)
    mean = n_left * p
    sd = math.sqrt(mean * (1.0 - p))
    n_gaps = np.int64(math.ceil(mean + n_sd_gaps * sd + extra_gaps))
    return min(n_gaps, n_left)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _advance(key, p, n_timesteps, state, n_sd_gaps, extra_gaps):
    """Draw the stream's next spike; its step, or ``n_timesteps`` if none."""
    time = state[_TIME]
    if time >= n_timesteps - 1:  # a spike at the last step is the last one
        return np.int64(n_timesteps)
    draw = state[_DRAW]
    if draw >= state[_N_GAPS]:  # the round is over: start the next one
        state[_N_GAPS] = _round_gaps(p, n_timesteps, time, n_sd_gaps, extra_gaps)
        state[_ROUND] += 1
        draw = 0
    # The draw index does not depend on the spike times, so that the hash and
    # the logarithm of successive calls can overlap in the processor.
    state[_DRAW] = draw + 1
    counter = np.uint64(draw) + (np.uint64(state[_ROUND]) << np.uint64(32))
    # Inverse CDF of the geometric law, P(gap > k) = (1 - p)^k; the scale is
    # -0.0 where p == 1 (every gap is then 1).
    scale = 1.0 / math.log1p(-p)
    gap = np.floor(math.log(uniform(key, counter)) * scale) + 1.0
    if not gap < _INT32_MAX:  # numpy clips at the int32 maximum
        gap = _INT32_MAX  # (a NaN gap, where numpy's encoder fails, too)
    time += np.int64(gap)
    state[_TIME] = time  # at or past n_timesteps, the stream is over
    return min(time, np.int64(n_timesteps))


@numba.njit(cache=True, nogil=True, error_model="numpy")
def stream_start(
    key, p, n_timesteps, state, n_sd_gaps=_N_SD_GAPS, extra_gaps=_EXTRA_GAPS
):
    """Start a stream: fill ``state`` and return the step of its first spike.

    Parameters
    ----------
    key : uint64
        The stream's key, :func:`stream_key` of the sample's seed and the input.
    p : float64
        Spike probability per step, ``float64(x) * scale`` with ``scale =
        float(max_rate) * dt / 1000.0`` computed first, as the encoder does; a
        stream with ``p <= 0`` never spikes.
    n_timesteps : int
        Number of steps of the presentation, >= 1.
    state : int64 array of length STATE_SIZE
        Written here, then read and updated by :func:`stream_next`.
    n_sd_gaps, extra_gaps : float, int
        Sizing of the rounds, the encoder's ``_N_SD_GAPS`` and ``_EXTRA_GAPS``;
        :func:`stream_next` must be given the same values.

    Returns
    -------
    step : int64
        Step of the first spike, or ``n_timesteps`` if the stream never spikes.
    """
    state[_TIME] = -1
    state[_DRAW] = 0
    state[_ROUND] = 0
    if not p > 0.0:
        state[_TIME] = n_timesteps
        state[_N_GAPS] = 0
        return np.int64(n_timesteps)
    state[_N_GAPS] = _round_gaps(p, n_timesteps, -1, n_sd_gaps, extra_gaps)
    return _advance(key, p, n_timesteps, state, n_sd_gaps, extra_gaps)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def stream_next(
    key, p, n_timesteps, state, n_sd_gaps=_N_SD_GAPS, extra_gaps=_EXTRA_GAPS
):
    """Return the step of the stream's next spike, or ``n_timesteps`` if none.

    Takes the arguments given to :func:`stream_start` and the ``state`` it
    filled; once ``n_timesteps`` is returned, every later call returns it too.
    """
    return _advance(key, p, n_timesteps, state, n_sd_gaps, extra_gaps)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _grow(buffer, size):
    """``buffer``, or a copy at least twice as long when ``size`` is past it."""
    if size <= len(buffer):
        return buffer
    grown = np.empty(max(size, 2 * len(buffer)), buffer.dtype)
    grown[: len(buffer)] = buffer
    return grown


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _draw(b0, b1, X, seeds, scale, n_timesteps, n_sd_gaps, extra_gaps, counts):
    """Every spike of samples ``b0`` to ``b1``, drawn once: writes the number
    of spikes of each (sample, step) into ``counts`` ((b1 - b0) * T,) and
    returns their inputs, ordered by sample, step and input."""
    state = np.empty(STATE_SIZE, dtype=np.int64)
    times = np.empty(1024, np.int32)  # one sample's spikes, input by input
    inputs = np.empty(1024, np.int32)
    out = np.empty(1024, np.int32)
    n_out = 0
    for b in range(b0, b1):
        row = counts[(b - b0) * n_timesteps : (b - b0 + 1) * n_timesteps]
        base = mix(np.uint64(seeds[b]))
        n = 0
        for i in range(X.shape[1]):
            p = np.float64(X[b, i]) * scale
            if p > 0.0:
                key = mix(base + np.uint64(i))
                t = stream_start(key, p, n_timesteps, state, n_sd_gaps, extra_gaps)
                while t < n_timesteps:
                    if n == len(times):
                        times, inputs = _grow(times, n + 1), _grow(inputs, n + 1)
                    times[n], inputs[n] = t, i
                    n += 1
                    row[t] += 1
                    t = stream_next(key, p, n_timesteps, state, n_sd_gaps, extra_gaps)
        # by step (a stable counting sort keeps the inputs ascending)
        out = _grow(out, n_out + n)
        cursor = np.empty(n_timesteps, np.int64)
        position = n_out
        for t in range(n_timesteps):
            cursor[t] = position
            position += row[t]
        for e in range(n):
            out[cursor[times[e]]] = inputs[e]
            cursor[times[e]] += 1
        n_out += n
    return out[:n_out]


def poisson_events(
    X,
    seeds,
    max_rate,
    dt,
    n_timesteps,
    n_sd_gaps=_N_SD_GAPS,
    extra_gaps=_EXTRA_GAPS,
    n_threads=None,
):
    """Every spike of a batch, by sample and step, inputs in ascending order.

    Parameters
    ----------
    X : float32 or float64 array of shape (n_samples, n_features)
        Intensities in [0, 1], C-contiguous (not validated here).
    seeds : uint64 array of shape (n_samples,)
        One seed per sample.
    max_rate, dt : float
        Rate in Hz of an input of intensity 1 and time step in ms, with
        ``max_rate * dt <= 1000``.
    n_timesteps : int
        Number of steps, >= 1.
    n_sd_gaps, extra_gaps : float, int
        Sizing of the rounds, the encoder's ``_N_SD_GAPS`` and ``_EXTRA_GAPS``.
    n_threads : int or None, default=None
        Threads drawing the samples (None: every core).

    Returns
    -------
    indptr : int64 array of shape (n_samples * n_timesteps + 1,)
    inputs : int32 array of shape (n_spikes,)
        The spikes of sample ``b`` at step ``t`` are the inputs
        ``inputs[indptr[b * n_timesteps + t]:indptr[b * n_timesteps + t + 1]]``,
        in ascending order: those of ``PoissonEncoder(max_rate).steps(X,
        n_timesteps, dt, seeds)``.

    Notes
    -----
    The samples are split over the threads; each thread draws its samples
    once, sorts each one's spikes by step and returns them, and the parts are
    joined in order, so the result does not depend on the number of threads.
    """
    n_samples = X.shape[0]
    scale = float(max_rate) * dt / 1000.0
    n_sd_gaps, extra_gaps = float(n_sd_gaps), int(extra_gaps)
    indptr = np.zeros(n_samples * n_timesteps + 1, dtype=np.int64)
    parts = {}

    def draw(lo, hi):
        counts = indptr[1 + lo * n_timesteps : 1 + hi * n_timesteps]
        parts[lo] = _draw(
            lo, hi, X, seeds, scale, n_timesteps, n_sd_gaps, extra_gaps, counts
        )

    run_ranges(draw, n_samples, n_threads)
    np.cumsum(indptr, out=indptr)
    inputs = np.concatenate([parts[lo] for lo in sorted(parts)] or [[]])
    return indptr, inputs.astype(np.int32, copy=False)
