"""Layer configuration and its learned parameters."""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np
from sklearn.base import BaseEstimator

from .._validation import HasMethods, InstanceOf, Interval, none, validate_params
from ..competition import Competition, make_competition
from ..neurons import NeuronModel, make_neuron
from ..plasticity import Rule, make_rule

__all__ = ["Layer", "LayerParams", "SimulationResult"]


class LayerParams(NamedTuple):
    """Learned quantities of one layer.

    Attributes
    ----------
    weights : ndarray of shape connectivity.weight_shape
        Synaptic weights, ``(1 | n_locations, patch_size, n_filters)``.
    theta : ndarray of shape (n_locations, n_filters) or None
        Learned threshold offsets of adaptive neurons (Diehl & Cook 2015), kept from
        sample to sample; None for neuron models without an adaptive threshold.
    lateral : ndarray of shape (1 | n_locations, n_filters, n_filters) or None
        Learned lateral inhibition: ``lateral[l, i, j] >= 0`` is the inhibitory
        current a spike of filter ``i`` at location ``l`` sends to filter ``j``
        of the same location in the next step (zero diagonal; one matrix shared
        by every location when the weights are shared). It replaces the
        competition's fixed ``inhibition``. None: the fixed inhibition (see
        ``Layer.lateral_rule``).
    """

    weights: np.ndarray
    theta: np.ndarray | None = None
    lateral: np.ndarray | None = None


class SimulationResult(NamedTuple):
    """What :func:`simulate` returns.

    Attributes
    ----------
    counts : list of ndarray of shape (n_samples, n_locations, n_filters)
        Spike counts of each layer over the presentation.
    params : list of LayerParams
        The layers' parameters after the presentation (new arrays if learning,
        the given ones otherwise).
    records : dict
        ``records[name][i]`` holds the recorded quantity of layer ``i`` as an
        array of shape (n_timesteps, n_samples, n_locations, n_filters), for each
        name asked for in ``record`` ("spikes", "v").
    info : sequence of dict
        What the simulator did for each layer: ``"engine"`` (``"numba"`` or
        ``"numpy"``) and, where the numpy engine skipped quiet neurons,
        ``"neuron_steps_stepped"`` and ``"neuron_steps_skipped"``.
    """

    counts: list
    params: list
    records: dict
    info: tuple | list = ()


class Layer(BaseEstimator):
    """A spiking layer: connectivity, neuron model, competition and plasticity.

    Parameters
    ----------
    connectivity : Connectivity
        ``Dense``, ``LocallyConnected2D`` or ``Conv2D`` (or any object with the
        same methods and properties).
    neuron : str or NeuronModel, default=None
        Neuron model or its name; None means ``"adaptive_lif"``.
    competition : str or Competition, default=None
        Competition among filters at a location; None means no competition.
    rule : str or Rule, default=None
        Plasticity rule or its name; None means the layer does not learn.
    w_min, w_max : float, default=0.0, 1.0
        Weight bounds, applied after every update.
    norm : float or None, default=None
        If given, after each batch the incoming weights of every neuron are scaled
        to sum to ``norm`` (Diehl & Cook 2015 use 78.4 for 784 inputs).
    w_init : float, default=0.3
        Initial weights are uniform in ``[w_min, w_min + w_init * (w_max - w_min)]``.
    lateral_rule : str or Rule, default=None
        Plasticity rule of a learned lateral inhibition, or its name (the
        inhibitory rule :class:`~stdp_lab.plasticity.InhibitorySTDP`,
        ``"istdp"``). With a rule, the inhibition among the filters of a
        location is a per-pair weight matrix (:attr:`LayerParams.lateral`),
        initialised to the competition's ``inhibition`` (zero diagonal) and
        changed by this rule while learning, its presynaptic side being the
        inhibiting neuron and its postsynaptic side the inhibited one (both
        the layer's own spikes); the matrices stay >= 0. An inhibitory rule
        given as ``rule`` is taken as the lateral rule, and then the
        feedforward weights do not learn. None: the competition's fixed
        inhibition.

    Notes
    -----
    The learned matrix acts in place of ``Competition.inhibition``: a spike of
    filter ``i`` sends ``lateral[l, i, j]`` to every other filter ``j`` of
    its location in the next step (with ``lateral[l, i, j] = inhibition`` this
    is the fixed inhibition exactly); ``inhibition_between`` and the
    selection of at most ``k`` winners stay the competition's.
    """

    _parameter_constraints = {
        "connectivity": HasMethods("currents", "fold"),
        "neuron": [none, InstanceOf(str, NeuronModel)],
        "competition": [none, InstanceOf(str, Competition)],
        "rule": [none, InstanceOf(str, Rule)],
        "w_min": Interval(numbers.Real),
        "w_max": Interval(numbers.Real),
        "norm": [none, Interval(numbers.Real, 0.0, None, closed="neither")],
        "w_init": Interval(numbers.Real, 0.0, 1.0),
        "lateral_rule": [none, InstanceOf(str, Rule)],
    }

    def __init__(
        self,
        connectivity,
        neuron=None,
        competition=None,
        rule=None,
        w_min=0.0,
        w_max=1.0,
        norm=None,
        w_init=0.3,
        lateral_rule=None,
    ):
        self.connectivity = connectivity
        self.neuron = neuron
        self.competition = competition
        self.rule = rule
        self.w_min = w_min
        self.w_max = w_max
        self.norm = norm
        self.w_init = w_init
        self.lateral_rule = lateral_rule

    # -- resolved parts --------------------------------------------------------
    def _parts(self):
        validate_params(self, self._parameter_constraints)
        if not self.w_max > self.w_min:
            raise ValueError(
                f"w_max must be > w_min={self.w_min!r}, got {self.w_max!r}"
            )
        if self.norm is not None:
            n_inputs = self.connectivity.patch_size
            if self.w_min < 0 or not (
                n_inputs * self.w_min <= self.norm <= n_inputs * self.w_max
            ):
                raise ValueError(
                    f"norm={self.norm!r} cannot be reached by {n_inputs} incoming "
                    f"weights in [w_min, w_max] = [{self.w_min!r}, {self.w_max!r}]: "
                    "normalisation needs w_min >= 0 and patch_size * w_min <= norm "
                    "<= patch_size * w_max"
                )
        neuron = make_neuron("adaptive_lif" if self.neuron is None else self.neuron)
        competition = make_competition(self.competition)
        competition._check()
        rule = None
        if self.rule is not None and not make_rule(self.rule).inhibitory:
            # the rule reads the layer's bounds
            rule = make_rule(self.rule)._with_bounds(self.w_min, self.w_max)
        return neuron, competition, rule

    def _lateral_rule(self):
        """The rule of the learned lateral inhibition (``lateral_rule``, or an
        inhibitory ``rule``), with bounds ``(0, inf)``; None if none."""
        validate_params(self, self._parameter_constraints)
        lateral = self.lateral_rule
        if self.rule is not None and make_rule(self.rule).inhibitory:
            if lateral is not None:
                raise ValueError(
                    f"rule={self.rule!r} is an inhibitory rule, which learns the "
                    "lateral inhibition, but lateral_rule is given too: give one"
                )
            lateral = self.rule
        if lateral is None:
            return None
        return make_rule(lateral)._with_bounds(0.0, np.inf)

    def initial_lateral(self, dtype=np.float64) -> np.ndarray:
        """The lateral inhibition of the competition as a per-pair matrix
        (1 | n_locations, n_filters, n_filters): ``inhibition`` off the
        diagonal, 0 on it (the start of a learned lateral inhibition)."""
        _, competition, _ = self._parts()
        n_filters = self.connectivity.n_filters
        n_sets = self.connectivity.weight_shape[0]
        lateral = float(competition.inhibition) * (1.0 - np.eye(n_filters))
        return np.repeat(lateral[None], n_sets, axis=0).astype(dtype)

    @property
    def output_shape(self) -> tuple[int, int]:
        """``(n_locations, n_filters)``."""
        return (self.connectivity.n_locations, self.connectivity.n_filters)

    def initial_params(self, rng: np.random.Generator, dtype=np.float64) -> LayerParams:
        """Random initial weights, zero threshold offsets and, with a lateral
        rule, the competition's inhibition as the learned lateral matrix."""
        neuron, _, _ = self._parts()
        high = self.w_min + self.w_init * (self.w_max - self.w_min)
        weights = rng.uniform(self.w_min, high, size=self.connectivity.weight_shape)
        weights = weights.astype(dtype, copy=False)
        if self.norm is not None:
            weights = self.normalise(weights)
        theta = None
        if _has_theta(neuron, self.output_shape):
            theta = np.zeros(self.output_shape, dtype=dtype)
        lateral = None
        if self._lateral_rule() is not None:
            lateral = self.initial_lateral(dtype)
        return LayerParams(weights, theta, lateral)

    def normalise(self, weights: np.ndarray) -> np.ndarray:
        """Scale each neuron's incoming weights to sum to ``norm``, inside the
        bounds (in place).

        A neuron's weights are multiplied by the one factor :math:`s` that
        makes :math:`\\sum_k \\mathrm{clip}(s w_k, w_{min}, w_{max})` equal
        ``norm``: plain scaling (Diehl & Cook 2015) unless it would push
        weights past ``w_max``, which then stay at ``w_max`` while the others
        grow to make up the sum. The weights always stay in ``[w_min, w_max]``;
        the sum is ``norm`` (to rounding) unless even every non-zero weight at
        ``w_max`` cannot reach it, and then those weights are all ``w_max``.
        Neurons whose weights are all zero are left alone.
        """
        if self.norm is None:
            return weights
        total = weights.sum(axis=1, keepdims=True)  # (1|L, 1, F)
        np.divide(self.norm, total, out=total, where=total > 0)
        weights *= total
        outside = (weights.max(axis=1) > self.w_max) | (
            weights.min(axis=1) < self.w_min
        )
        if outside.any():  # (1|L, F): the few neurons scaling pushed out
            rows, cols = np.nonzero(outside)
            columns = weights[rows, :, cols]  # (n, K)
            weights[rows, :, cols] = _scale_within(
                columns, self.norm, self.w_min, self.w_max
            )
        return weights


def _scale_within(columns, norm, w_min, w_max, n_iter=100):
    """``clip(s * columns, w_min, w_max)`` with, per row, the factor ``s >= 0``
    whose clipped row sums to ``norm`` (the largest reachable sum if none).

    The clipped sum grows with ``s`` (the weights are >= 0), so ``s`` is found
    by bisection; the rows' free weights then get the exact factor.
    """
    work = columns.astype(np.float64)
    low = np.zeros(len(work))
    high = np.ones(len(work))
    smallest = np.where(work > 0, work, np.inf).min(axis=1)  # inf: all zero
    while True:  # grow the bracket until its top reaches norm (or saturates)
        short = (np.clip(work * high[:, None], w_min, w_max).sum(axis=1) < norm) & (
            high * smallest < w_max
        )
        if not short.any():
            break
        high[short] *= 2.0
    for _ in range(n_iter):
        mid = 0.5 * (low + high)
        over = np.clip(work * mid[:, None], w_min, w_max).sum(axis=1) >= norm
        high = np.where(over, mid, high)
        low = np.where(over, low, mid)
    scaled = work * high[:, None]
    top, bottom = scaled >= w_max, scaled <= w_min
    free = ~(top | bottom)
    rest = norm - w_max * top.sum(axis=1) - w_min * bottom.sum(axis=1)
    free_sum = np.where(free, work, 0.0).sum(axis=1)
    exact = np.divide(rest, free_sum, out=high.copy(), where=free_sum > 0)
    scaled = np.clip(work * exact[:, None], w_min, w_max)
    return scaled.astype(columns.dtype, copy=False)


def _has_theta(neuron, layer_shape) -> bool:
    state = neuron.initial_state((1, *layer_shape), np.float64)
    return hasattr(state, "theta")
