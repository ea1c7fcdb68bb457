"""Competition between the neurons of a layer: lateral inhibition, WTA and k-WTA.

The neurons of a layer are arranged as ``(n_locations, n_filters)``. The filters at
one location form a *group*: they see the same patch of input and compete for it.
One class, :class:`Competition`, covers the usual schemes through two mechanisms:

* **selection** (``k``): in a step at most ``k`` neurons of a group may spike; when
  more cross threshold, the ``k`` furthest above threshold win. ``k=1`` is hard
  winner-take-all (Masquelier & Thorpe 2007; Kheradpisheh et al. 2018), larger
  ``k`` is k-winners-take-all (Majani, Erlanson & Abu-Mostafa 1989).
* **inhibition** (``inhibition``, ``inhibition_between``): each spike sends an
  inhibitory current to the other neurons of its group in the next step, the
  current-based equivalent of the inhibitory population of Diehl & Cook (2015).
  ``inhibition_between`` extends it to the neurons of neighbouring locations
  (within ``neighbourhood`` locations on the location grid), as in the
  locally connected networks of Saunders et al. (2019).

Soft inhibition is ``k=None`` with a finite strength; hard WTA is ``k=1`` with a
strong inhibition that keeps the losers down after the winner fired.

References
----------
.. [1] Diehl, P. U. & Cook, M. (2015). Unsupervised learning of digit recognition
   using spike-timing-dependent plasticity. Front. Comput. Neurosci. 9:99.
.. [2] Saunders, D. J. et al. (2019). Locally connected spiking neural networks for
   unsupervised feature learning. Neural Networks 119, 332-340.
.. [3] Masquelier, T. & Thorpe, S. J. (2007). Unsupervised learning of visual
   features through spike timing dependent plasticity. PLoS Comput. Biol. 3(2).
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator

from ._validation import Interval, check_choice, none, validate_params

__all__ = ["Competition", "make_competition", "COMPETITIONS"]


class Competition(BaseEstimator):
    """Lateral inhibition and winner selection among filters at each location.

    Parameters
    ----------
    k : int or None, default=None
        At most ``k`` neurons of a location spike per step (``None``: no limit).
    inhibition : float, default=0.0
        Inhibitory current each spike sends, in the next step, to every *other*
        neuron at the same location (units of the neuron model's input current).
    inhibition_between : float, default=0.0
        Inhibitory current each spike sends, in the next step, to every neuron at
        the neighbouring locations.
    neighbourhood : int or None, default=None
        Chebyshev radius on the location grid within which ``inhibition_between``
        acts (``None``: all other locations).

    Examples
    --------
    >>> import numpy as np
    >>> from stdp_lab.competition import Competition
    >>> wta = Competition(k=1)
    >>> candidates = np.array([[[True, True, False]]])
    >>> margin = np.array([[[0.2, 0.5, -1.0]]])
    >>> wta.select(candidates, margin)
    array([[[False,  True, False]]])
    """

    _parameter_constraints = {
        "k": [none, Interval(numbers.Integral, 1, None)],
        "inhibition": Interval(numbers.Real, 0.0, None),
        "inhibition_between": Interval(numbers.Real, 0.0, None),
        "neighbourhood": [none, Interval(numbers.Integral, 1, None)],
    }

    def __init__(
        self, k=None, inhibition=0.0, inhibition_between=0.0, neighbourhood=None
    ):
        self.k = k
        self.inhibition = inhibition
        self.inhibition_between = inhibition_between
        self.neighbourhood = neighbourhood

    def _check(self):
        validate_params(self, self._parameter_constraints)

    @property
    def inhibits(self) -> bool:
        """Whether spikes send inhibition to other neurons."""
        return self.inhibition > 0 or self.inhibition_between > 0

    def select(self, candidates: np.ndarray, margin: np.ndarray) -> np.ndarray:
        """Keep at most ``k`` spiking neurons per location.

        Parameters
        ----------
        candidates : ndarray of bool, shape (n_samples, n_locations, n_filters)
            Neurons that crossed threshold in this step.
        margin : ndarray of shape (n_samples, n_locations, n_filters)
            How far above threshold each neuron is; the largest margins win
            (ties go to the lower filter index).

        Returns
        -------
        spikes : ndarray of bool, shape (n_samples, n_locations, n_filters)
        """
        k = self.k
        n_filters = candidates.shape[-1]
        if k is None or k >= n_filters:
            return candidates
        if k == 1:
            # (np.flatnonzero without its Python wrappers, which cost more
            # than the work on a step's few spikes.)
            flat = candidates.ravel().nonzero()[0]  # sorted, so grouped
            chosen = one_per_group(flat, flat // n_filters, margin.flat[flat])
            if chosen is None:
                return candidates
            keep = np.zeros(candidates.size, dtype=bool)
            keep[chosen] = True
            return keep.reshape(candidates.shape)
        if candidates.sum(axis=-1).max(initial=0) <= k:
            return candidates
        score = np.where(candidates, margin, -np.inf)  # (B, L, F)
        # Stable descending order: equal margins go to the lower filter index.
        order = np.argsort(-score, axis=-1, kind="stable")[..., :k]  # (B, L, k)
        keep = np.zeros_like(candidates)
        np.put_along_axis(keep, order, True, axis=-1)
        return keep & candidates

    def neighbour_matrix(self, output_grid) -> np.ndarray | None:
        """(L, L) 0/1 matrix of neighbouring locations (zero diagonal), or None."""
        if self.inhibition_between == 0:
            return None
        rows, cols = output_grid
        r, c = np.divmod(np.arange(rows * cols), cols)  # (L,), (L,)
        dist = np.maximum(
            abs(r[:, None] - r[None]), abs(c[:, None] - c[None])
        )  # (L, L)
        near = dist > 0
        if self.neighbourhood is not None:
            near &= dist <= self.neighbourhood
        return near.astype(np.float64)

    def location_current(self, counts, neighbours):
        """Inhibitory current at each location from the spikes per location.

        Parameters
        ----------
        counts : ndarray of shape (n_samples * n_locations,)
            Spikes of each location (or any weighted sum of them over steps:
            the current is linear in them).
        neighbours : ndarray of shape (n_locations, n_locations) or None
            From :meth:`neighbour_matrix`.

        Returns
        -------
        current : ndarray of shape (n_samples * n_locations,)
            What every neuron of the location receives: ``inhibition`` per spike
            of the location plus ``inhibition_between`` per spike of a
            neighbouring location. A neuron that spiked must then receive
            ``inhibition`` less (not from its own spike, as in
            :meth:`inhibitory_current`): the caller subtracts it.
        """
        current = self.inhibition * counts
        if neighbours is not None:
            current += self._from_neighbours(counts, neighbours).reshape(-1)
        return current

    def _from_neighbours(self, counts, neighbours):
        """``inhibition_between`` times the spikes of the neighbouring locations,
        (n_samples, n_locations), from ``counts`` of n_samples * n_locations."""
        near = counts.reshape(-1, neighbours.shape[0]) @ neighbours.T  # (B, L)
        near *= self.inhibition_between
        return near

    def inhibitory_current(
        self,
        spikes: np.ndarray,
        neighbours: np.ndarray | None,
        out: np.ndarray,
        spiked: np.ndarray | None = None,
    ) -> np.ndarray:
        """Inhibitory current for the next step from this step's spikes.

        Parameters
        ----------
        spikes : ndarray of bool, shape (n_samples, n_locations, n_filters)
        neighbours : ndarray of shape (n_locations, n_locations) or None
            From :meth:`neighbour_matrix`, cast once to the dtype of ``out``.
        out : C-contiguous ndarray of shape (n_samples, n_locations, n_filters)
            Written with the (non-negative) current to subtract.
        spiked : ndarray of int, optional
            ``np.flatnonzero(spikes)``, when the caller has it already.

        Returns
        -------
        out : ndarray
        """
        if not out.flags.c_contiguous:
            raise ValueError("out must be a C-contiguous array")
        n_filters = spikes.shape[-1]
        out[...] = 0
        # Spikes are few: work on the groups that spiked.
        flat = spikes.ravel().nonzero()[0] if spiked is None else spiked
        if not flat.size:
            return out
        group = flat // n_filters  # sorted
        if (group[1:] == group[:-1]).any():  # some location spiked twice
            starts, count = _runs(group)
            groups = group[starts]
            strength = (self.inhibition * count)[:, None]
        else:  # the usual case, and always with k=1
            groups, count, strength = group, 1, self.inhibition
        # Each neuron is inhibited by the other spikes of its location.
        rows = out.reshape(-1, n_filters)  # (B * L, F), a view
        rows[groups] = strength
        out.reshape(-1)[flat] -= self.inhibition
        if neighbours is not None:
            per_location = np.zeros(spikes.shape[:2], dtype=out.dtype)  # (B, L)
            per_location.reshape(-1)[groups] = count
            out += self._from_neighbours(per_location, neighbours)[..., None]
        return out


def one_per_group(flat, group, score):
    """The winners of hard winner-take-all among candidates, or None if no
    group has more than one.

    ``flat`` holds the candidates' indices, ``group`` their (sorted) group
    ids and ``score`` their margins above threshold; returns the entries of
    ``flat`` that win their group (the largest score, ties to the earlier
    entry), or None when every group has at most one candidate (most steps:
    candidates are few).
    """
    if flat.size <= 1 or not (group[1:] == group[:-1]).any():
        return None
    return flat[first_best(group, score)]


def first_best(group: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Position of the first largest ``score`` in each run of equal ``group``
    values (``group`` sorted): one winner per group, ties to the earlier entry
    (the lower filter index when entries are in flat order)."""
    starts, sizes = _runs(group)
    best = np.repeat(np.maximum.reduceat(score, starts), sizes)
    tops = (score == best).nonzero()[0]
    return tops[_runs(group[tops])[0]]


def _runs(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and length of each run of equal values in ``ids`` (1-D)."""
    n = len(ids)
    first = np.ones(n, dtype=bool)
    np.not_equal(ids[1:], ids[:-1], out=first[1:])
    starts = first.nonzero()[0]
    sizes = np.empty_like(starts)
    sizes[:-1] = starts[1:] - starts[:-1]
    sizes[-1:] = n - starts[-1:]
    return starts, sizes


#: Named competition schemes accepted where a competition is expected.
COMPETITIONS = {
    "none": dict(),
    "soft": dict(inhibition=1.0),
    "wta": dict(k=1, inhibition=10.0),
    "kwta": dict(k=3, inhibition=10.0),
}


def make_competition(competition) -> Competition:
    """Return a :class:`Competition` from a name, an instance or None.

    Names: ``"none"`` (independent neurons), ``"soft"`` (inhibition 1.0),
    ``"wta"`` (k=1 with strong inhibition), ``"kwta"`` (k=3 with strong inhibition).
    """
    if competition is None:
        return Competition()
    if isinstance(competition, Competition):
        return competition
    if isinstance(competition, str):
        check_choice(competition, "competition", list(COMPETITIONS))
        return Competition(**COMPETITIONS[competition])
    raise TypeError(
        "competition must be a name, a Competition or None, got "
        f"{type(competition).__name__}"
    )
