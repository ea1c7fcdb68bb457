"""Spike encoders: intensities in [0, 1] -> spike trains, one time step at a time.

An encoder turns ``X`` of shape ``(n_samples, n_features)`` into ``n_timesteps``
boolean arrays of shape ``(n_samples, n_features)``, yielded one after the other by
:meth:`Encoder.steps`. The random work is done once, up front, in a sparse form
(one event per spike), so memory grows with the number of spikes, never with
``n_timesteps * n_samples * n_features``.

Sample ``i``'s spike train depends only on ``X[i]``, ``seeds[i]``, the encoder's
parameters, ``n_timesteps`` and ``dt``: never on the other rows, on the row's
position or on the batch. This makes a transformer built on an encoder invariant to
sample order and to subsets, provided it hands each sample the same seed.

Times are in ms and rates in Hz throughout.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator

import numpy as np
from sklearn.base import BaseEstimator

from ._validation import (
    Interval,
    Options,
    check_choice,
    check_intensities,
    check_scalar,
    none,
    validate_params,
)

__all__ = [
    "Encoder",
    "PoissonEncoder",
    "LatencyEncoder",
    "RankOrderEncoder",
    "make_encoder",
]

# Number of standard deviations above the mean used to size the first draw of
# Poisson inter-spike gaps; the rare overflow is completed by further draws.
_N_SD_GAPS = 3.0
_EXTRA_GAPS = 2
# Expected spikes per block of streams drawn together (see PoissonEncoder._events).
_BLOCK_SPIKES = 2**15


def _check_seeds(seeds, n_samples: int) -> np.ndarray:
    """Return ``seeds`` as a 1-D array of non-negative ints of length ``n_samples``.

    ``None`` gives all-zero seeds.
    """
    if seeds is None:
        return np.zeros(n_samples, dtype=np.int64)
    arr = np.asarray(seeds)
    if arr.ndim != 1 or arr.shape[0] != n_samples:
        raise ValueError(
            f"seeds must have shape (n_samples,) = ({n_samples},), "
            f"got an array of shape {arr.shape}"
        )
    if arr.size and arr.dtype.kind not in "iu":
        raise TypeError(f"seeds must hold integers, got dtype {arr.dtype}")
    if arr.size and arr.min() < 0:
        raise ValueError(f"seeds must be non-negative, found minimum {arr.min()!r}")
    return arr


class SpikeSteps:
    """The spikes of one presentation, yielded one time step at a time.

    What :meth:`Encoder.steps` returns: an iterator of boolean arrays of shape
    ``(n_samples, n_features)``, one per time step (a reused buffer), that also
    keeps the sparse events it was made from, so that a simulator can take all
    steps at once (:meth:`csr`, :meth:`by_sample`) instead of one by one.

    The events are made on first use: by numpy for the numpy engine
    (iteration, :meth:`csr`, :meth:`events`), or directly in the form the
    compiled engine reads (:meth:`by_sample`) by an encoder with a compiled
    generator; both give the same spikes.

    Parameters
    ----------
    flat, bounds : ndarray or None
        The events (see :meth:`events`); None with ``make_events``.
    n_samples, n_features : int
    make_events : callable, optional
        ``make_events() -> (flat, bounds)``, called on first use.
    n_timesteps : int, optional
        Needed with ``make_events``.
    compiled : callable, optional
        ``compiled(n_threads) -> (ptr, idx)``, the :meth:`by_sample` form made
        directly.

    Attributes
    ----------
    n_timesteps : int
    shape : tuple of int
        ``(n_samples, n_features)`` of each step.
    """

    def __init__(
        self,
        flat,
        bounds,
        n_samples: int,
        n_features: int,
        *,
        make_events=None,
        n_timesteps=None,
        compiled=None,
    ):
        if flat is None:
            self._made = None
            self.n_timesteps = int(n_timesteps)
        else:
            self._made = (flat, bounds)
            self.n_timesteps = len(bounds) - 1
        self._make_events = make_events
        self._compiled = compiled
        self._by_sample = None  # the compiled engine's layout, once made
        self.shape = (n_samples, n_features)
        self._buffer = np.zeros(self.shape, dtype=bool)
        self.t = 0  # steps yielded so far

    @property
    def _flat(self):  # flat indices b * n_features + i, sorted by time
        return self.events()[0]

    @property
    def _bounds(self):  # step t holds flat[bounds[t]:bounds[t + 1]]
        return self.events()[1]

    def events(self) -> tuple[np.ndarray, np.ndarray]:
        """``(flat, bounds)``: the flat indices ``b * n_features + i`` of every
        spike, ordered by step and then index, and the bounds of each step in
        them (step ``t`` holds ``flat[bounds[t]:bounds[t + 1]]``). Read only."""
        if self._made is None:
            self._made = self._make_events()
        return self._made

    def by_sample(self, n_threads=None) -> tuple[np.ndarray, np.ndarray]:
        """``(ptr, idx)``: the spikes of sample ``b`` at step ``t`` are the
        inputs ``idx[ptr[b * T + t]:ptr[b * T + t + 1]]``, ascending (the
        compiled engine's layout; needs numba). ``n_threads`` (None: every
        core) may draw them."""
        if self._by_sample is None:
            if self._made is None and self._compiled is not None:
                self._by_sample = self._compiled(n_threads)
            else:
                from ._numba.kernel import by_sample

                flat, bounds = self.events()
                self._by_sample = by_sample(
                    np.ascontiguousarray(flat, np.int64),
                    np.ascontiguousarray(bounds, np.int64),
                    *self.shape,
                )
        return self._by_sample

    def __iter__(self):
        return self

    def __len__(self) -> int:
        return self.n_timesteps

    def __next__(self) -> np.ndarray:
        t = self.t
        if t >= self.n_timesteps:
            raise StopIteration
        flat = self._buffer.reshape(-1)  # a view
        b = self._bounds
        if t:
            flat[self._flat[b[t - 1] : b[t]]] = False
        flat[self._flat[b[t] : b[t + 1]]] = True
        self.t = t + 1
        return self._buffer

    def step_indices(self, t: int) -> np.ndarray:
        """Flat indices ``b * n_features + i`` of the spikes of step ``t``.

        A view, without repeats, in ascending order.
        """
        return self._flat[self._bounds[t] : self._bounds[t + 1]]

    @property
    def n_spikes(self) -> int:
        """Number of spikes of the whole presentation."""
        return len(self._flat)

    def csr(self, start: int = 0, stop: int | None = None):
        """Steps ``start:stop`` as one sparse matrix, without consuming the iterator.

        Returns
        -------
        spikes : scipy.sparse.csr_array
            Of shape ``((stop - start) * n_samples, n_features)``. Row
            ``(t - start) * n_samples + b`` holds sample ``b`` at step ``t``;
            values are 1.0 (float32).
        """
        from scipy.sparse import csr_array

        stop = self.n_timesteps if stop is None else stop
        n_samples, n_features = self.shape
        lo, hi = self._bounds[start], self._bounds[stop]
        counts = np.diff(self._bounds[start : stop + 1])  # (n_steps,)
        n_rows = (stop - start) * n_samples
        # The events are ordered by (step, flat), so the flat index of the whole
        # (n_steps, n_samples, n_features) array, ``key``, is sorted: each row's
        # entries are a contiguous run of it, with its columns in ascending order.
        key = np.repeat(np.arange(stop - start) * (n_samples * n_features), counts)
        key += self._flat[lo:hi]  # (nnz,)
        row_starts = np.arange(n_rows + 1) * n_features  # key of each row's column 0
        indptr = np.searchsorted(key, row_starts)  # (n_rows + 1,)
        column = key - np.repeat(row_starts[:-1], np.diff(indptr))
        data = np.ones(len(key), dtype=np.float32)
        spikes = csr_array(
            (data, column, indptr), shape=(n_rows, n_features), copy=False
        )
        spikes.has_canonical_format = True  # sorted, no repeats, by construction
        return spikes


class Encoder(BaseEstimator):
    """Base class of spike encoders.

    Subclasses implement ``_events``, which returns every spike of the
    presentation as a pair of flat arrays (time step, flat input index). This
    class validates the input, sorts the events by time once and yields one dense
    boolean array per time step.
    """

    #: name -> constraint of every parameter; filled by subclasses.
    _parameter_constraints: dict = {}

    def steps(
        self, X, n_timesteps: int, dt: float = 1.0, seeds=None
    ) -> Iterator[np.ndarray]:
        """Yield the spikes of each time step.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Intensities in [0, 1]; float32, float64 or integer 0/1 arrays.
        n_timesteps : int
            Number of time steps of the presentation, >= 1.
        dt : float, default=1.0
            Time step in ms, > 0.
        seeds : array-like of shape (n_samples,) of non-negative ints, default=None
            One seed per sample; sample ``i``'s train depends only on ``X[i]``,
            ``seeds[i]``, the encoder's parameters, ``n_timesteps`` and ``dt``.
            ``None`` means all-zero seeds, so the result is deterministic (and two
            equal rows then get equal trains). Deterministic encoders accept and
            ignore it.

        Yields
        ------
        spikes : ndarray of shape (n_samples, n_features), dtype bool
            Spikes of one time step. The same buffer is reused: the array yielded
            at step ``t`` is overwritten at step ``t + 1``, so copy it to keep it,
            and do not write into it.

        Raises
        ------
        ValueError
            If ``X`` is not 2-D, holds NaN/inf, negative values or values > 1, if
            ``seeds`` has the wrong shape or negative values, if ``n_timesteps < 1``
            or ``dt <= 0``. Errors are raised when ``steps`` is called, not at the
            first ``next``.

        Notes
        -----
        The random work is done once, on first use, as sparse events (one per
        spike) sorted by time; memory is proportional to the number of spikes
        plus ``n_timesteps``, never to ``n_timesteps * n_samples * n_features``.
        """
        X = check_intensities(X, "X", upper=1.0)
        n_timesteps = check_scalar(n_timesteps, "n_timesteps", numbers.Integral, low=1)
        n_timesteps = int(n_timesteps)
        dt = float(check_scalar(dt, "dt", numbers.Real, low=0, low_inclusive=False))
        n_samples, n_features = X.shape
        seeds = _check_seeds(seeds, n_samples)
        self._check_params(dt)

        def make_events():
            times, flat = self._events(X, n_timesteps, dt, seeds)
            # Events ordered by (time, flat): each step is then a contiguous
            # slice, and each (step, sample) row of the sparse form too, its
            # inputs in ascending order (see SpikeSteps.csr). The encoders give
            # them ordered by flat, so one stable sort by time is enough; small
            # unsigned keys let numpy use its (faster) radix sort.
            if flat.size and np.any(flat[1:] < flat[:-1]):
                by_flat = np.argsort(flat, kind="stable")
                times, flat = times[by_flat], flat[by_flat]
            if n_timesteps <= np.iinfo(np.uint16).max:
                times = times.astype(np.uint16)
            order = np.argsort(times, kind="stable")
            flat = np.ascontiguousarray(flat[order], dtype=np.intp)
            counts = np.bincount(times, minlength=n_timesteps)  # (n_timesteps,)
            bounds = np.zeros(n_timesteps + 1, dtype=np.intp)
            np.cumsum(counts, out=bounds[1:])
            return flat, bounds

        compiled = self._compiled_events(X, n_timesteps, dt, seeds)
        return SpikeSteps(
            None,
            None,
            n_samples,
            n_features,
            make_events=make_events,
            n_timesteps=n_timesteps,
            compiled=compiled,
        )

    def encode(self, X, n_timesteps: int, dt: float = 1.0, seeds=None) -> np.ndarray:
        """Return the whole spike train as one dense array.

        A convenience for tests and plots on small data: it materialises
        ``n_timesteps * n_samples * n_features`` booleans. Simulations should
        consume :meth:`steps` instead.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Intensities in [0, 1].
        n_timesteps : int
            Number of time steps, >= 1.
        dt : float, default=1.0
            Time step in ms, > 0.
        seeds : array-like of shape (n_samples,) of non-negative ints, default=None
            One seed per sample, as in :meth:`steps`.

        Returns
        -------
        spikes : ndarray of shape (n_timesteps, n_samples, n_features), dtype bool
            Time-major spike trains, equal to the stacked output of :meth:`steps`.
        """
        iterator = self.steps(X, n_timesteps, dt=dt, seeds=seeds)
        X_shape = np.shape(X)
        out = np.empty((int(n_timesteps), *X_shape), dtype=bool)
        for t, spikes in enumerate(iterator):
            out[t] = spikes
        return out

    def _check_params(self, dt: float) -> None:
        """Validate the encoder's parameters (``_parameter_constraints``);
        subclasses with checks involving ``dt`` extend it."""
        validate_params(self, self._parameter_constraints)

    def _compiled_events(self, X, n_timesteps, dt, seeds):
        """A callable giving the spikes in :meth:`SpikeSteps.by_sample` form
        directly, compiled, or None: subclasses with a compiled generator
        override (it must give the spikes of :meth:`_events`)."""
        return None

    def _events(self, X, n_timesteps, dt, seeds):
        """Return ``(times, flat)``: the step and the flat index of each spike.

        ``flat`` indexes the C-ordered ``(n_samples, n_features)`` array, and
        ``times`` is an int array in ``[0, n_timesteps - 1]``. An input spikes at
        most once per step: no ``(time, flat)`` pair may repeat. Events ordered
        by ``flat`` save a sort (:meth:`steps` sorts them otherwise).
        """
        raise NotImplementedError


class PoissonEncoder(Encoder):
    """Poisson (Bernoulli per step) rate coding.

    Each input spikes in each step independently with probability
    ``p = x * max_rate * dt / 1000``, so an input of intensity ``x`` fires at
    ``x * max_rate`` Hz and at most once per step.

    Parameters
    ----------
    max_rate : float, default=128.0
        Firing rate in Hz of an input of intensity 1. ``max_rate * dt`` must not
        exceed 1000 (a probability above 1 per step). The default follows
        BindsNET's Diehl & Cook example, in which a pixel of 255 scaled to 1.0
        fires at 128 Hz; Diehl & Cook (2015) themselves used 63.75 Hz
        (pixel / 4).

    Notes
    -----
    Spike of input :math:`j` at step :math:`t`:

    .. math::

        s_j[t] \\sim \\mathrm{Bernoulli}(p_j), \\qquad
        p_j = x_j \\, r_{\\max} \\, \\Delta t / 1000,

    independent over steps and inputs. The gaps between successive spikes of an
    input are then geometric, :math:`P(g = k) = (1 - p_j)^{k - 1} p_j`, and the
    encoder draws these gaps (with ``numpy.random.Generator.geometric``) rather
    than one Bernoulli per step, so the work is proportional to the number of
    spikes. The uniform numbers behind the gaps are a counter-based hash
    (splitmix64 of Steele, Lea & Flood 2014, used as in Salmon et al. 2011) of
    the sample's seed, the input index and the draw index: the whole batch is
    drawn at once, and each sample's train still depends only on its own seed.

    References
    ----------
    .. [1] Dayan, P. and Abbott, L. F. (2001). Theoretical Neuroscience, ch. 1.
       MIT Press.
    .. [2] Diehl, P. U. and Cook, M. (2015). Unsupervised learning of digit
       recognition using spike-timing-dependent plasticity. Frontiers in
       Computational Neuroscience 9:99.
    .. [3] Hazan, H. et al. (2018). BindsNET: a machine learning-oriented spiking
       neural networks library in Python. Frontiers in Neuroinformatics 12:89.
    .. [4] Steele, G. L., Lea, D. and Flood, C. H. (2014). Fast splittable
       pseudorandom number generators. OOPSLA 2014, 453-472.
    .. [5] Salmon, J. K. et al. (2011). Parallel random numbers: as easy as 1, 2,
       3. SC '11.

    Examples
    --------
    >>> import numpy as np
    >>> from stdp_lab.encoding import PoissonEncoder
    >>> X = np.array([[0.0, 0.5, 1.0]])
    >>> spikes = PoissonEncoder(max_rate=100.0).encode(X, n_timesteps=1000, seeds=[7])
    >>> spikes.shape
    (1000, 1, 3)
    >>> int(spikes[:, 0, 0].sum())
    0
    """

    _parameter_constraints = {"max_rate": Interval(numbers.Real, 0, None)}

    def __init__(self, max_rate=128.0):
        self.max_rate = max_rate

    def _check_params(self, dt):
        super()._check_params(dt)
        if self.max_rate * dt > 1000.0:
            raise ValueError(
                f"max_rate * dt / 1000 is the spike probability per step of an "
                f"input of intensity 1 and must be <= 1; got max_rate="
                f"{self.max_rate!r} Hz and dt={dt!r} ms; lower max_rate or dt"
            )

    def _compiled_events(self, X, n_timesteps, dt, seeds):
        def compiled(n_threads):
            from ._numba.poisson import poisson_events

            return poisson_events(
                np.ascontiguousarray(X),
                seeds.astype(np.uint64),
                float(self.max_rate),
                dt,
                n_timesteps,
                float(_N_SD_GAPS),
                int(_EXTRA_GAPS),
                n_threads,
            )

        return compiled

    def _events(self, X, n_timesteps, dt, seeds):
        n_samples, n_features = X.shape
        scale = float(self.max_rate) * dt / 1000.0
        p = X.reshape(-1).astype(np.float64) * scale  # (B * N,)
        # One stream of gaps per (sample, input) that can fire; all samples are
        # drawn together, and each stream's random numbers depend only on its
        # sample's seed and its input index.
        streams = np.flatnonzero(p > 0)  # flat index b * N + i
        if streams.size == 0:
            empty = np.zeros(0, dtype=np.intp)
            return empty, empty
        sample, feature = np.divmod(streams, n_features)
        keys = _mix(_mix(seeds.astype(np.uint64)[sample]) + feature.astype(np.uint64))
        p = p[streams]
        # Streams in blocks of about _BLOCK_SPIKES expected spikes, so that the
        # dozens of passes over the draws stay in the processor's cache (each
        # stream's draws do not depend on the blocks).
        expected = np.cumsum(p) * n_timesteps
        cuts = np.searchsorted(
            expected, np.arange(1, expected[-1] // _BLOCK_SPIKES + 1) * _BLOCK_SPIKES
        )
        times, owners = [], []
        for lo, hi in zip((0, *cuts), (*cuts, len(p)), strict=True):
            if hi > lo:
                t, owner = _poisson_times(keys[lo:hi], p[lo:hi], n_timesteps)
                times.append(t)
                owners.append(streams[lo:hi][owner])
        return np.concatenate(times), np.concatenate(owners)


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(z: np.ndarray) -> np.ndarray:
    """One splitmix64 step (Steele, Lea & Flood 2014): a bijective hash of uint64
    values whose outputs look independent and uniform (0 does not map to 0)."""
    z = z + _GOLDEN
    z ^= z >> np.uint64(30)
    z *= np.uint64(0xBF58476D1CE4E5B9)
    z ^= z >> np.uint64(27)
    z *= np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    return z


def _uniform(keys: np.ndarray, counters: np.ndarray) -> np.ndarray:
    """Uniform numbers in (0, 1], one per (stream key, counter) pair.

    Counter-based generation (Salmon et al. 2011): the value is a hash of the key
    and the counter, so any draw of any stream is computed independently of the
    others, vectorised over all streams of a batch.
    """
    z = _mix(keys + counters * _GOLDEN)
    return 1.0 - (z >> np.uint64(11)).astype(np.float64) * 2.0**-53


def _poisson_times(keys, p, n_timesteps):
    """Spike steps of independent Bernoulli(p) streams over ``n_timesteps`` steps.

    Parameters
    ----------
    keys : ndarray of uint64, shape (n_streams,)
        Random key of each stream (:func:`_uniform`).
    p : ndarray of shape (n_streams,)
        Spike probability per step of each stream, in (0, 1].
    n_timesteps : int

    Returns
    -------
    times, streams : ndarray of shape (n_events,)
        Step (in ``[0, n_timesteps - 1]``) and stream index of each spike,
        ordered by stream.
    """
    n_streams = p.shape[0]
    previous = np.full(n_streams, -1, dtype=np.int64)  # time of the last spike
    streams = np.arange(n_streams)
    times_chunks = []
    streams_chunks = []
    round_ = 0
    while streams.size:
        # Enough gaps to cover the remaining steps with high probability: the
        # spike count in n_left steps is Binomial(n_left, p).
        p_left = p[streams]
        n_left = n_timesteps - 1 - previous  # (n_streams_left,)
        mean = n_left * p_left
        sd = np.sqrt(mean * (1.0 - p_left))
        n_gaps = np.ceil(mean + _N_SD_GAPS * sd + _EXTRA_GAPS).astype(np.intp)
        n_gaps = np.minimum(n_gaps, n_left)  # never more spikes than steps left
        times, segment_last = _segmented_times(
            keys[streams], round_, p_left, n_gaps, previous
        )
        owner = np.repeat(streams, n_gaps)  # (sum(n_gaps),)
        keep = times < n_timesteps
        times_chunks.append(times[keep])
        streams_chunks.append(owner[keep])
        # Streams whose last drawn spike is before the last step may spike again.
        more = segment_last < n_timesteps - 1
        streams = streams[more]
        previous = segment_last[more]
        round_ += 1
    times, owner = times_chunks[0], streams_chunks[0]
    if round_ > 1:  # the few later spikes go back among their streams' (in order)
        later_times = np.concatenate(times_chunks[1:])
        later = np.concatenate(streams_chunks[1:])
        where = np.searchsorted(owner, later, side="right")
        times, owner = (
            np.insert(times, where, later_times),
            np.insert(owner, where, later),
        )
    return times, owner


def _segmented_times(keys, round_, p, n_gaps, previous):
    """Draw ``n_gaps[j]`` geometric gaps for stream ``j`` and cumulate them.

    Returns the spike times of every drawn gap, ``previous[j] + cumsum(gaps)``
    within each stream's segment, and the last time of each segment.
    """
    ends = np.cumsum(n_gaps)  # (n_streams,), one past each segment
    starts = ends - n_gaps
    total = int(ends[-1]) if len(ends) else 0
    draw = np.arange(total, dtype=np.uint64) - np.repeat(starts, n_gaps).astype(
        np.uint64
    )  # index of each draw within its segment
    counters = draw + np.uint64(round_ << 32)
    u = _uniform(np.repeat(keys, n_gaps), counters)  # (sum(n_gaps),) in (0, 1]
    # Inverse CDF of the geometric law: P(gap > k) = (1 - p)^k.
    with np.errstate(divide="ignore"):
        scale = 1.0 / np.log1p(-p)  # (n_streams,), -0.0 where p == 1
        gaps = np.log(u, out=u)
        gaps *= np.repeat(scale, n_gaps)
        np.floor(gaps, out=gaps)
        gaps += 1.0
    # A gap past the presentation ends the segment; clipping keeps the cumulative
    # sum small (no overflow for tiny p) and the time still >= n_timesteps.
    np.minimum(gaps, np.iinfo(np.int32).max, out=gaps)
    gaps = gaps.astype(np.int64)
    cumulative = np.cumsum(gaps)  # (sum(n_gaps),)
    before = cumulative[starts] - gaps[starts]  # cumulative sum before each segment
    offset = np.repeat(previous - before, n_gaps)  # (sum(n_gaps),)
    times = cumulative + offset
    return times, times[ends - 1]


class LatencyEncoder(Encoder):
    """Intensity-to-latency coding: one spike per input, earlier when brighter.

    Parameters
    ----------
    t_max : float or None, default=None
        Coding window in ms: an input of intensity ``x > 0`` fires at
        ``t = (1 - x) * t_max``. ``None`` uses the whole presentation,
        ``n_timesteps * dt``.
    kind : {"linear"}, default="linear"
        Latency code. Only the linear code is implemented.

    Notes
    -----
    .. math::

        t_j = (1 - x_j) \\, T_{\\mathrm{win}}, \\qquad
        \\mathrm{step}_j = \\min\\left(\\left\\lfloor t_j / \\Delta t
        \\right\\rfloor, n_{\\mathrm{timesteps}} - 1\\right),

    for :math:`x_j > 0`; an input with :math:`x_j = 0` never fires. A time within
    1e-9 of a step boundary is rounded to it first, so that floating-point error
    does not move a spike by one step. The code is deterministic: ``seeds`` are
    accepted for a uniform API and ignored.

    References
    ----------
    .. [1] Thorpe, S. and Gautrais, J. (1998). Rank order coding. In
       Computational Neuroscience: Trends in Research, pp. 113-118. Plenum.
    .. [2] Kheradpisheh, S. R. et al. (2018). STDP-based spiking deep
       convolutional neural networks for object recognition. Neural Networks
       99:56-67.

    Examples
    --------
    >>> import numpy as np
    >>> from stdp_lab.encoding import LatencyEncoder
    >>> spikes = LatencyEncoder().encode(np.array([[1.0, 0.5, 0.0]]), n_timesteps=10)
    >>> [np.flatnonzero(spikes[:, 0, j]).tolist() for j in range(3)]
    [[0], [5], []]
    """

    _parameter_constraints = {
        "t_max": [none, Interval(numbers.Real, 0, None, closed="neither")],
        "kind": Options("linear"),
    }

    def __init__(self, t_max=None, kind="linear"):
        self.t_max = t_max
        self.kind = kind

    def _events(self, X, n_timesteps, dt, seeds):
        window = n_timesteps * dt if self.t_max is None else float(self.t_max)
        flat = np.flatnonzero(X)  # (n_events,), indices into X.ravel()
        x = X.reshape(-1)[flat].astype(np.float64)  # (n_events,)
        t = (1.0 - x) * window  # ms
        steps = np.floor(np.round(t / dt, 9))
        times = np.clip(steps, 0, n_timesteps - 1).astype(np.intp)
        return times, flat


class RankOrderEncoder(Encoder):
    """Rank-order coding: one spike per input, in order of decreasing intensity.

    Among the ``n_active`` non-zero inputs of a sample, the input of rank ``r``
    (0 = brightest) fires at step ``floor(r * n_timesteps / n_active)``, so the
    ranks are spread evenly over the presentation. Equal intensities share the
    rank of the first of the tie (the number of strictly brighter inputs).
    Inputs with intensity 0 never fire. Deterministic: ``seeds`` are ignored.

    Notes
    -----
    .. math::

        r_j = \\#\\{k : x_k > x_j\\}, \\qquad
        \\mathrm{step}_j = \\left\\lfloor r_j \\, n_{\\mathrm{timesteps}} /
        n_{\\mathrm{active}} \\right\\rfloor, \\quad x_j > 0.

    Only the order of the inputs is kept, not their values, as in rank-order
    coding; the step is computed in integer arithmetic.

    References
    ----------
    .. [1] Thorpe, S. and Gautrais, J. (1998). Rank order coding. In
       Computational Neuroscience: Trends in Research, pp. 113-118. Plenum.

    Examples
    --------
    >>> import numpy as np
    >>> from stdp_lab.encoding import RankOrderEncoder
    >>> X = np.array([[0.2, 0.9, 0.0, 0.5]])
    >>> spikes = RankOrderEncoder().encode(X, n_timesteps=6)
    >>> [np.flatnonzero(spikes[:, 0, j]).tolist() for j in range(4)]
    [[4], [0], [], [2]]
    """

    def __init__(self):
        pass

    def _events(self, X, n_timesteps, dt, seeds):
        n_samples, n_features = X.shape
        if X.size == 0:
            empty = np.zeros(0, dtype=np.intp)
            return empty, empty
        order = np.argsort(-X, axis=1, kind="stable")  # (n_samples, n_features)
        sorted_x = np.take_along_axis(X, order, axis=1)  # (n_samples, n_features)
        # Position of the first element of each run of equal values = its rank.
        positions = np.broadcast_to(np.arange(n_features), X.shape)
        new_run = np.ones(X.shape, dtype=bool)
        new_run[:, 1:] = sorted_x[:, 1:] != sorted_x[:, :-1]
        run_start = np.where(new_run, positions, 0)
        ranks_sorted = np.maximum.accumulate(run_start, axis=1)  # (n_samples, n_f)
        ranks = np.empty_like(ranks_sorted)
        np.put_along_axis(ranks, order, ranks_sorted, axis=1)  # back to input order
        n_active = np.count_nonzero(X, axis=1)  # (n_samples,)
        rows, cols = np.nonzero(X)  # (n_events,) each
        times = (ranks[rows, cols].astype(np.int64) * n_timesteps) // n_active[rows]
        flat = rows * n_features + cols  # (n_events,), C-order flat index
        return times.astype(np.intp), flat.astype(np.intp)


_ENCODERS = {
    "poisson": PoissonEncoder,
    "latency": LatencyEncoder,
    "rank_order": RankOrderEncoder,
}


def make_encoder(encoder, name: str = "encoder") -> Encoder:
    """Return an encoder from a name or an instance.

    Parameters
    ----------
    encoder : {"poisson", "latency", "rank_order"} or Encoder
        A name gives a new instance with default parameters; an
        :class:`Encoder` instance is returned unchanged.
    name : str, default="encoder"
        The parameter's name in error messages.

    Returns
    -------
    encoder : Encoder

    Raises
    ------
    ValueError
        If ``encoder`` is an unknown name (the message lists the known ones).
    TypeError
        If ``encoder`` is neither a string nor an :class:`Encoder`.

    Examples
    --------
    >>> from stdp_lab.encoding import make_encoder
    >>> make_encoder("poisson")
    PoissonEncoder()
    """
    if isinstance(encoder, Encoder):
        return encoder
    if isinstance(encoder, str):
        check_choice(encoder, name, tuple(_ENCODERS))
        return _ENCODERS[encoder]()
    raise TypeError(
        f"{name} must be one of "
        + ", ".join(repr(name) for name in _ENCODERS)
        + f" or an Encoder instance, got {type(encoder).__name__}"
    )
