"""Inhibitory STDP of Vogels et al. (2011)."""

from __future__ import annotations

from ._base import (
    _NON_NEGATIVE,
    _POSITIVE,
    Activity,
    Rule,
    TraceSpec,
    _as,
    _float_dtype,
    _outer,
)

__all__ = ["InhibitorySTDP"]


class InhibitorySTDP(Rule):
    """Inhibitory STDP of Vogels et al. (2011): a homeostatic rule for
    inhibitory synapses that drives the postsynaptic rate to a target.

    Near-coincident pre- and postsynaptic spikes strengthen the inhibitory
    synapse, in either order (a symmetric window), and every presynaptic spike
    weakens it by a constant: a neuron firing above the target rate
    :math:`\\rho_0` receives more inhibition, one firing below it less.

    It is an inhibitory rule (:attr:`inhibitory`): a layer runs it on its
    learned lateral inhibition, the per-pair inhibitory weights among the
    neurons of each location (``Layer(lateral_rule=...)``, or given as the
    layer's ``rule``), and leaves the feedforward weights to the layer's other
    rule.

    Parameters
    ----------
    eta : float, default=0.01
        Learning rate :math:`\\eta`, >= 0 (units of the inhibitory weight,
        the neuron model's input current).
    rho0 : float, default=10.0
        Target postsynaptic rate :math:`\\rho_0` in Hz, >= 0.
    tau : float, default=20.0
        Time constant in ms of both traces (the width of the window).

    Notes
    -----
    With presynaptic trace :math:`x`, postsynaptic trace :math:`y` (both jump
    by 1 at a spike and decay with :math:`\\tau`), spikes :math:`S` and
    :math:`\\alpha = 2 \\rho_0 \\tau` (:math:`\\rho_0` in spikes per ms),

    .. math::

        \\Delta w_{lkf} = \\eta \\sum_s \\big( S^{pre}_{slk}\\,
            (y_{slf} - \\alpha) + x_{slk}\\, S^{post}_{slf} \\big).

    For independent Poisson spikes at rates :math:`\\rho_{pre}` and
    :math:`\\rho_{post}` the mean drift is :math:`\\eta \\rho_{pre} (2
    \\rho_{post} \\tau - \\alpha)`, zero exactly when :math:`\\rho_{post} =
    \\rho_0`, whatever the presynaptic rate: more inhibition above the target,
    less below it. The constant depression acts at the presynaptic spikes (the
    paper's rule); at the postsynaptic ones it would set the presynaptic rate
    instead.

    References
    ----------
    Vogels, T. P., Sprekeler, H., Zenke, F., Clopath, C. & Gerstner, W.
    (2011). Inhibitory plasticity balances excitation and inhibition in
    sensory pathways and memory networks. Science 334, 1569-1573.
    """

    inhibitory = True

    _parameter_constraints = {
        "eta": _NON_NEGATIVE,
        "rho0": _NON_NEGATIVE,
        "tau": _POSITIVE,
    }

    def __init__(self, eta=0.01, rho0=10.0, tau=20.0):
        self.eta = eta
        self.rho0 = rho0
        self.tau = tau

    @property
    def alpha(self) -> float:
        """:math:`\\alpha = 2 \\rho_0 \\tau`, the depression per presynaptic spike
        in units of the traces."""
        return 2.0 * self.rho0 * 1e-3 * self.tau  # rho0 in spikes per ms

    def pre_traces(self) -> tuple[TraceSpec, ...]:
        self._check()
        return (TraceSpec(float(self.tau), "add"),)

    def post_traces(self) -> tuple[TraceSpec, ...]:
        self._check()
        return (TraceSpec(float(self.tau), "add"),)

    def delta(self, pre: Activity, post: Activity, weights, state=None):
        self._check()
        dtype = _float_dtype(pre.trace, post.trace, weights)
        pre_spikes = _as(pre.spikes, dtype)  # (B,L,K)
        post_spikes = _as(post.spikes, dtype)  # (B,L,F)
        coincident = _outer(pre_spikes, _as(post.trace, dtype))  # (L,K,F)
        coincident += _outer(_as(pre.trace, dtype), post_spikes)  # (L,K,F)
        n_pre = pre_spikes.sum(axis=0)[:, :, None]  # (B,L,K) -> (L,K,1)
        return self.eta * (coincident - self.alpha * n_pre)
