"""A layer's weights on its connectivity, for one simulation (private)."""

from __future__ import annotations

import numpy as np

from ..connectivity import expanded_currents

__all__ = ["Projection", "raise_overflow"]


def raise_overflow(rule, n_bad: int):
    """Raise the error of a weight change that is not finite: the weights would
    be NaN or stuck at a bound without a word."""
    raise ValueError(
        f"the weight change of {n_bad} synapse(s) is not finite (NaN or "
        f"infinity): the plasticity rule {rule!r} overflowed; lower its "
        "learning rates"
    )


class Projection:
    """Connectivity plus weights: input currents, weight updates and bounds.

    Holds the weights of one simulation: the caller's array until the first
    update, a copy after (the caller's arrays are never written). While the
    weights are fixed, the input current of a step is one product with the
    layer's expanded ``(n_inputs, L * F)`` matrix, or a sum of the rows of the
    inputs that spiked when few did (built on first use: shared weights fed
    in chunks never need it).

    Parameters
    ----------
    layer : Layer
        Its connectivity, ``w_min``, ``w_max`` and normalisation are used.
    weights : ndarray of shape connectivity.weight_shape
    n_samples : int
    dtype : numpy dtype
        dtype of the currents (the weights').
    """

    def __init__(self, layer, weights, n_samples: int, dtype):
        conn = layer.connectivity
        conn.validate_weights(weights)
        self.layer = layer
        self.conn = conn
        self.weights = self._given = weights
        self.dtype = np.dtype(dtype)
        self.shape = (n_samples, conn.n_locations, conn.n_filters)  # (B, L, F)
        self.index = conn.index  # (L, K)
        self.n_inputs = conn.n_inputs
        # A dense layer reads its input as one patch: a view, no gather.
        self.identity = self.index.shape[0] == 1 and np.array_equal(
            self.index[0], np.arange(self.n_inputs)
        )
        self._expanded = None
        self._member = None  # inputs -> (location, patch entry) pairs, on demand

    # -- currents ------------------------------------------------------------
    @property
    def expanded(self) -> np.ndarray:
        """The expanded (n_inputs, L * F) matrix of the current weights."""
        if self._expanded is None:
            self._expanded = self.conn.expand(self.weights)
        return self._expanded

    def currents(self, pre_spikes: np.ndarray) -> np.ndarray:
        """Input currents (B, L * F) of one step's spikes (B, n_inputs)."""
        return expanded_currents(self.expanded, pre_spikes)

    def members(self) -> tuple[np.ndarray, np.ndarray]:
        """``(ptr, lk)``: the (location, patch entry) pairs each input feeds, as
        ``l * K + k`` for input ``i`` in ``lk[ptr[i]:ptr[i + 1]]`` (ascending)."""
        if self._member is None:
            flat = self.index.reshape(-1)  # (L * K,), input of each (l, k)
            order = np.argsort(flat, kind="stable")
            ptr = np.searchsorted(flat[order], np.arange(self.n_inputs + 1))  # (N+1,)
            self._member = (ptr, order)  # order: l * K + k, grouped by input
        return self._member

    def spread(self, inputs: np.ndarray):
        """The (location, patch entry) pairs that each of ``inputs`` feeds.

        Returns ``(event, lk)``: for every pair, the position in ``inputs`` of
        the input and ``l * K + k`` with ``index[l, k] == inputs[event]``.
        """
        ptr, member = self.members()
        counts = np.diff(ptr)[inputs]  # (n,)
        event = np.repeat(np.arange(len(inputs)), counts)
        within = np.arange(len(event)) - np.repeat(np.cumsum(counts) - counts, counts)
        lk = member[np.repeat(ptr[inputs], counts) + within]
        return event, lk

    def chunk_currents(self, spikes) -> np.ndarray:
        """Input currents of several steps from their spikes in one product.

        ``spikes`` is a scipy CSR matrix of shape (n_steps * B, N); returns an
        array of shape (n_steps * B, L * F). Shared (convolutional) weights
        multiply the spiking patch entries (rows (step, sample, location)) by
        the (K, F) filters, so the cost grows with the spikes times the
        locations each input feeds, not with the (mostly zero) expanded matrix.
        """
        n_rows = spikes.shape[0]
        n_samples, n_locations, n_filters = self.shape
        if self.weights.shape[0] == n_locations or n_locations == 1:
            return np.asarray(spikes @ self.expanded, dtype=self.dtype)
        import scipy.sparse as sp

        row = np.repeat(np.arange(n_rows), np.diff(spikes.indptr))  # (nnz,)
        event, lk = self.spread(spikes.indices)
        loc, k = np.divmod(lk, self.index.shape[1])
        patches = sp.csr_array(
            (np.ones(len(lk), self.dtype), (row[event] * n_locations + loc, k)),
            shape=(n_rows * n_locations, self.index.shape[1]),
        )  # (rows * L, K)
        current = np.asarray(patches @ self.weights[0], dtype=self.dtype)
        return current.reshape(n_rows, n_locations * n_filters)

    def patches(self, x: np.ndarray) -> np.ndarray:
        """``x`` of shape (B, N) as patches (B, L, K) (a view for dense layers)."""
        return x[:, None, :] if self.identity else x[:, self.index]

    # -- weights -------------------------------------------------------------
    def fold(self, dw) -> np.ndarray:
        """A change (L, K, F) in the layer's weight shape, in the weights' dtype."""
        return self.conn.fold(np.asarray(dw, dtype=self.dtype))

    def add(self, dw: np.ndarray) -> None:
        """Add a change of the weights' shape, then clip to ``[w_min, w_max]``;
        a change that is not finite (a rule's overflow) raises ValueError."""
        if not np.isfinite(dw).all():
            raise_overflow(self.layer.rule, int(np.size(dw) - np.isfinite(dw).sum()))
        if self.weights is self._given:  # never write into the caller's
            self.weights = self.weights + dw
        else:
            self.weights += dw
        np.clip(self.weights, self.layer.w_min, self.layer.w_max, out=self.weights)
        self._expanded = None

    def set_weights(self, weights: np.ndarray) -> None:
        """Replace the weights (an array the simulator owns)."""
        self.weights = weights
        self._expanded = None

    def normalised(self) -> np.ndarray:
        """The weights after the layer's normalisation (in place, once changed)."""
        if self.weights is self._given:
            return self.weights
        return self.layer.normalise(self.weights)
