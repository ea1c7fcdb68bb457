"""The rule protocol: traces, activity, the Rule base class and shared helpers
(the public names are re-exported by :mod:`stdp_lab.plasticity`)."""

from __future__ import annotations

import copy
import numbers
from typing import NamedTuple

import numpy as np
from sklearn.base import BaseEstimator

from .._validation import Interval, validate_params

# A time constant long enough that a trace never decays within any realistic
# presentation (exp(-dt / 1e12) is 1 in float32 and within 1e-12 of it in
# float64); kept finite so that the simulator's checks on tau still apply.
_NO_DECAY_MS = 1e12

#: Constraints of the rules' hyperparameters (``Rule._parameter_constraints``).
_POSITIVE = Interval(numbers.Real, 0.0, None, closed="neither")
_NON_NEGATIVE = Interval(numbers.Real, 0.0, None)


class TraceSpec(NamedTuple):
    """A trace a rule reads, kept by the simulator.

    Attributes
    ----------
    tau : float
        Time constant in ms; the trace decays exactly, ``x *= exp(-dt / tau)``
        per step.
    mode : {"add", "reset"}
        ``"add"``: ``x += spike`` (all-to-all pairing); ``"reset"``: ``x = 1``
        at a spike (nearest-spike pairing).
    """

    tau: float
    mode: str


class Activity(NamedTuple):
    """Spikes of one side of the synapses at this step, with their traces.

    Attributes
    ----------
    spikes : ndarray of shape (n_samples, n_locations, n_units)
        Spikes of this step (bool or float); ``n_units`` is ``patch_size`` for
        the presynaptic side and ``n_filters`` for the postsynaptic side.
    traces : tuple of ndarray of shape (n_samples, n_locations, n_units)
        One array per :class:`TraceSpec` the rule asked for, in that order,
        as they are before this step's spikes are added.
    dt : float, default=1.0
        The simulation step in ms (used by rules with a running state, BCM).
    v : ndarray of shape (n_samples, n_locations, n_filters) or None
        Postsynaptic side only, for rules that read ``"v"`` (:meth:`Rule.reads`):
        the membrane potential of every neuron at the end of this step (after
        the reset of the neurons that spiked). None otherwise.
    reward : ndarray of shape (n_samples,) or None
        Postsynaptic side only, for rules that read ``"reward"``
        (:meth:`Rule.reads`): the reward of each sample at this step (the
        third factor of reward-modulated rules, given to
        :func:`~stdp_lab.network.simulate`). None otherwise.
    """

    spikes: np.ndarray
    traces: tuple
    dt: float = 1.0
    v: np.ndarray | None = None
    reward: np.ndarray | None = None

    @property
    def trace(self) -> np.ndarray:
        """The first trace, ``traces[0]``."""
        return self.traces[0]


def _float_dtype(*arrays) -> np.dtype:
    """Floating result dtype of ``arrays`` (float64 if none is floating)."""
    dtype = np.result_type(*arrays)
    if not np.issubdtype(dtype, np.floating):
        dtype = np.dtype(np.float64)
    return dtype


def _as(array, dtype) -> np.ndarray:
    """``array`` as ``dtype`` without a copy when it already is."""
    return np.asarray(array).astype(dtype, copy=False)


#: Below this fraction of non-zero entries, :func:`_outer` treats a side as sparse.
SPARSE_OUTER_FRACTION = 0.05


def _outer(pre, post) -> np.ndarray:
    """Sum over samples of the outer product of pre and post activity.

    This is ``einsum("slk,slf->lkf", pre, post)``. Spikes are sparse, so when one
    side has few non-zero entries (a spike side, below
    ``SPARSE_OUTER_FRACTION``) it becomes a scipy CSR matrix and the sum is one
    sparse-dense product whose cost grows with the number of spikes; otherwise
    it is a batched matmul over locations (einsum does not use BLAS here and is
    about 5-10x slower at B=64, L=576, K=25, F=16).
    """
    n_samples, n_locations, patch_size = pre.shape
    n_filters = post.shape[2]
    threshold = SPARSE_OUTER_FRACTION * n_samples * n_locations
    if np.count_nonzero(post) < threshold * n_filters:
        # (L*F, B*L) sparse @ (B*L, K) -> (L*F, K) -> (L, K, F)
        out = _sparse_sum(post, pre.reshape(n_samples * n_locations, patch_size))
        return out.reshape(n_locations, n_filters, patch_size).transpose(0, 2, 1)
    if np.count_nonzero(pre) < threshold * patch_size:
        # (L*K, B*L) sparse @ (B*L, F) -> (L*K, F) -> (L, K, F)
        out = _sparse_sum(pre, post.reshape(n_samples * n_locations, n_filters))
        return out.reshape(n_locations, patch_size, n_filters)
    # Samples with no post-synaptic activity add nothing.
    active = post.any(axis=(1, 2))  # (B,)
    if not active.all():
        pre, post = pre[active], post[active]
    # (B,L,K) -> (L,K,B) and (B,L,F) -> (L,B,F); (L,K,B) @ (L,B,F) -> (L,K,F)
    return np.matmul(pre.transpose(1, 2, 0), post.transpose(1, 0, 2))


def _sparse_sum(sparse, dense) -> np.ndarray:
    """``out[l * C + c] = sum_b sparse[b, l, c] * dense[b * L + l]``, via scipy.

    ``sparse`` has shape (B, L, C); ``dense`` has shape (B * L, D); the result
    has shape (L * C, D) and the dtype of ``dense``.
    """
    import scipy.sparse as sp

    n_samples, n_locations, n_cols = sparse.shape
    b, loc, c = np.nonzero(sparse)
    values = sparse[b, loc, c].astype(dense.dtype, copy=False)
    matrix = sp.csr_array(
        (values, (loc * n_cols + c, b * n_locations + loc)),
        shape=(n_locations * n_cols, n_samples * n_locations),
    )
    return np.asarray(matrix @ dense, dtype=dense.dtype)


class Rule(BaseEstimator):
    """Base class of the plasticity rules.

    Subclasses store their hyperparameters unchanged in ``__init__`` (no
    arrays, no callables), declare what each accepts in
    ``_parameter_constraints`` (see :mod:`stdp_lab._validation`; checked by
    :meth:`_check`) and implement
    :meth:`pre_traces`, :meth:`post_traces` and :meth:`delta`. A rule with a
    running quantity (BCM's threshold) also overrides :meth:`initial_state`;
    its ``delta`` then returns ``(dw, new_state)``.

    A rule that reads more than the spikes and traces of the two sides says
    so with :meth:`reads` (``"reward"``: the reward-modulated rules,
    ``"v"``: the voltage-based rule); the simulator then fills those fields of
    the postsynaptic :class:`Activity`. A rule meant for inhibitory synapses
    (:attr:`inhibitory`) learns a layer's lateral inhibition.

    The weight bounds belong to the layer (``Layer.w_min``, ``Layer.w_max``),
    which clips to them after every update. A rule whose change depends on
    the distance to the bounds (soft bounds) reads them from :attr:`bounds`:
    the layer runs a copy of its rule that carries its bounds
    (:meth:`_with_bounds`); a rule used on its own has bounds (0, 1).
    """

    #: ``(w_min, w_max)`` of the layer running the rule (see :meth:`_with_bounds`).
    bounds = (0.0, 1.0)

    #: name -> constraint of every hyperparameter; filled by subclasses.
    _parameter_constraints: dict = {}

    #: Whether the rule is meant for inhibitory synapses: a layer then runs it
    #: on its learned lateral inhibition (``Layer.lateral_rule``), not on its
    #: feedforward weights.
    inhibitory: bool = False

    def _with_bounds(self, w_min, w_max) -> Rule:
        """A shallow copy of the rule that reads the bounds ``(w_min, w_max)``
        (the layer's; this rule is left as it is)."""
        bounds = (float(w_min), float(w_max))
        if bounds == self.bounds:
            return self
        rule = copy.copy(self)
        rule.bounds = bounds
        return rule

    def _check(self) -> None:
        """Raise ValueError/TypeError naming a bad hyperparameter.

        Checks ``_parameter_constraints``, then the cross-parameter checks of
        ``_validate``, only when a hyperparameter changed since the last
        successful check, since ``delta`` calls it at every step.
        """
        values = tuple(v for k, v in vars(self).items() if k != "_checked_values")
        if vars(self).get("_checked_values") == values:
            return
        validate_params(self, self._parameter_constraints)
        self._validate()
        self._checked_values = values

    def _validate(self) -> None:
        """Checks that involve several hyperparameters (none by default)."""

    def pre_traces(self) -> tuple[TraceSpec, ...]:
        """Presynaptic traces the rule reads, in the order of ``pre.traces``."""
        raise NotImplementedError

    def post_traces(self) -> tuple[TraceSpec, ...]:
        """Postsynaptic traces the rule reads, in the order of ``post.traces``."""
        raise NotImplementedError

    def reads(self) -> tuple[str, ...]:
        """What the rule reads besides the spikes and its traces: any of
        ``"reward"`` (``post.reward``, each sample's reward at the step) and
        ``"v"`` (``post.v``, the postsynaptic membrane potential). The
        simulator fills only the fields a rule reads (the others are None) and
        refuses to run a rule that reads a reward without one. Default: none.
        """
        return ()

    def initial_state(self, shape, dtype=np.float64):
        """Running state, None if stateless.

        ``shape`` is ``(n_locations, n_filters)``. A state shared by the batch
        (BCM's threshold) has that shape. A state per sample (an eligibility
        trace per synapse, filtered membrane potentials) starts as an array
        that broadcasts against the samples (a leading axis of length 1) and
        ``delta`` returns it with one row per sample.
        """
        return None

    def pair_terms(self):
        """The outer products the rule is made of, or None.

        A rule whose change over a presentation depends on the activity only
        through sums over steps and samples of outer products of one pre- and
        one postsynaptic quantity (with the weights fixed during the
        presentation) returns those pairs here, each quantity being
        ``"spikes"`` or the index of one of its traces, e.g.
        ``((0, "spikes"), ("spikes", 0))`` for pair STDP. The simulator then
        accumulates the sums sparsely (the cost grows with the spikes) and calls
        :meth:`delta_from_sums` once, instead of :meth:`delta` at every step.
        The result must equal the sum of :meth:`delta` over the steps. The
        default, None, means :meth:`delta` is called at every step.
        """
        return None

    def delta_from_sums(self, sums, n_post, weights):
        """Weight change of a presentation from the sums of :meth:`pair_terms`.

        Parameters
        ----------
        sums : list of ndarray of shape (n_locations, patch_size, n_filters)
            ``sums[i]`` is the sum over steps and samples of the outer product
            of the i-th pair of quantities.
        n_post : ndarray of shape (n_locations, n_filters)
            Postsynaptic spikes of the presentation, summed over samples.
        weights : ndarray broadcastable to (n_locations, patch_size, n_filters)
            The weights, fixed during the presentation.

        Returns
        -------
        dw : ndarray of shape (n_locations, patch_size, n_filters)
        """
        raise NotImplementedError

    def delta(self, pre: Activity, post: Activity, weights, state=None):
        """Weight change for this step, summed over the batch.

        Parameters
        ----------
        pre : Activity
            Presynaptic spikes and traces, each of shape (n_samples,
            n_locations, patch_size).
        post : Activity
            Postsynaptic spikes and traces, each of shape (n_samples,
            n_locations, n_filters).
        weights : ndarray broadcastable to (n_locations, patch_size, n_filters)
            Current weights (read only).
        state : ndarray, optional
            Running state for rules whose :meth:`initial_state` is not None
            (see there for its shape).

        Returns
        -------
        dw : ndarray of shape (n_locations, patch_size, n_filters)
            Or ``(dw, new_state)`` for rules with a state.
        """
        raise NotImplementedError
