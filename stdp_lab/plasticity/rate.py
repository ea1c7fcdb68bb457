"""Rate-based rules on low-pass filtered activity: Hebb, Oja and BCM."""

from __future__ import annotations

import numpy as np

from .._validation import check_scalar
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


class _RateRule(Rule):
    """A rule that reads pre- and post-synaptic rates: traces of ``tau`` ms with
    all-to-all accumulation, a low-pass estimate of each neuron's rate."""

    def pre_traces(self) -> tuple[TraceSpec, ...]:
        self._check()
        return (TraceSpec(float(self.tau), "add"),)

    def post_traces(self) -> tuple[TraceSpec, ...]:
        self._check()
        return (TraceSpec(float(self.tau), "add"),)


class Hebbian(_RateRule):
    """Plain Hebbian rule on rate estimates, with weight decay.

    Parameters
    ----------
    learning_rate : float, default=1e-4
        Rate of the Hebbian term, >= 0.
    decay : float, default=1e-6
        Weight decay per sample and step, >= 0.
    tau : float, default=20.0
        Time constant in ms of the pre- and postsynaptic traces (mode
        ``"add"``) used as rate estimates.

    Notes
    -----
    With :math:`x` and :math:`y` the pre- and postsynaptic traces and
    :math:`B` the number of samples,

    .. math::

        \\Delta w_{lkf} = \\eta \\sum_s x_{slk}\\, y_{slf} - B\\, \\lambda\\, w_{lkf}.

    The decay is counted once per sample, as the Hebbian term is, so that a
    batch of B samples changes the weights as B single-sample steps would.

    References
    ----------
    Hebb, D. O. (1949). The Organization of Behavior. Wiley.

    Gerstner, W. & Kistler, W. M. (2002). Spiking Neuron Models, ch. 10.
    Cambridge University Press.
    """

    _parameter_constraints = {
        "learning_rate": _NON_NEGATIVE,
        "decay": _NON_NEGATIVE,
        "tau": _POSITIVE,
    }

    def __init__(self, learning_rate=1e-4, decay=1e-6, tau=20.0):
        self.learning_rate = learning_rate
        self.decay = decay
        self.tau = tau

    def delta(self, pre: Activity, post: Activity, weights, state=None):
        self._check()
        dtype = _float_dtype(pre.trace, post.trace, weights)
        x, y = _as(pre.trace, dtype), _as(post.trace, dtype)
        n_samples = x.shape[0]
        w = _as(weights, dtype)  # broadcastable to (L,K,F)
        hebb = _outer(x, y)  # (L,K,F)
        return self.learning_rate * hebb - (n_samples * self.decay) * w


class Oja(_RateRule):
    """Oja's normalised Hebbian rule; a linear neuron learns the first PC.

    Parameters
    ----------
    learning_rate : float, default=1e-3
        Learning rate, >= 0.
    tau : float, default=20.0
        Time constant in ms of the pre- and postsynaptic traces (mode
        ``"add"``) used as the activities :math:`x` and :math:`y`.

    Notes
    -----
    .. math::

        \\Delta w_{lkf} = \\eta \\sum_s y_{slf} (x_{slk} - y_{slf} w_{lkf})

    For a linear neuron :math:`y = w^T x` on zero-mean data the weight vector
    converges to the unit-norm principal eigenvector of the input covariance.

    References
    ----------
    Oja, E. (1982). A simplified neuron model as a principal component
    analyzer. J. Math. Biol. 15, 267-273.
    """

    _parameter_constraints = {"learning_rate": _NON_NEGATIVE, "tau": _POSITIVE}

    def __init__(self, learning_rate=1e-3, tau=20.0):
        self.learning_rate = learning_rate
        self.tau = tau

    def delta(self, pre: Activity, post: Activity, weights, state=None):
        self._check()
        dtype = _float_dtype(pre.trace, post.trace, weights)
        x, y = _as(pre.trace, dtype), _as(post.trace, dtype)
        w = _as(weights, dtype)  # broadcastable to (L,K,F)
        hebb = _outer(x, y)  # (L,K,F)
        y2 = np.einsum("slf,slf->lf", y, y)  # (B,L,F),(B,L,F) -> (L,F)
        return self.learning_rate * (hebb - y2[:, None, :] * w)  # (L,1,F)*(.,K,F)


class BCM(_RateRule):
    """Bienenstock-Cooper-Munro rule with a sliding threshold.

    Parameters
    ----------
    learning_rate : float, default=1e-4
        Learning rate, >= 0.
    tau : float, default=20.0
        Time constant in ms of the pre- and postsynaptic traces (mode
        ``"add"``) used as rates :math:`x` and :math:`y`.
    tau_theta : float, default=1000.0
        Time constant in ms of the threshold's running average of
        :math:`y^2`.
    theta_init : float, default=0.0
        Initial threshold of every postsynaptic neuron, >= 0.

    Notes
    -----
    The threshold :math:`\\theta` (one per location and filter, state of shape
    ``(n_locations, n_filters)``) follows
    :math:`\\tau_\\theta\\, d\\theta/dt = \\langle y^2 \\rangle - \\theta`,
    integrated exactly over a step of ``dt`` ms (taken from ``post.dt``) with
    the batch mean of :math:`y^2` held constant:

    .. math::

        \\theta \\leftarrow \\theta + (1 - e^{-dt/\\tau_\\theta})
            (\\langle y^2 \\rangle_s - \\theta).

    The weight change uses the threshold before this update:

    .. math::

        \\Delta w_{lkf} = \\eta \\sum_s x_{slk}\\, y_{slf} (y_{slf} - \\theta_{lf}).

    References
    ----------
    Bienenstock, E. L., Cooper, L. N. & Munro, P. W. (1982). Theory for the
    development of neuron selectivity. J. Neurosci. 2, 32-48.

    Intrator, N. & Cooper, L. N. (1992). Objective function formulation of the
    BCM theory of visual cortical plasticity. Neural Networks 5, 3-17.
    """

    _parameter_constraints = {
        "learning_rate": _NON_NEGATIVE,
        "tau": _POSITIVE,
        "tau_theta": _POSITIVE,
        "theta_init": _NON_NEGATIVE,
    }

    def __init__(self, learning_rate=1e-4, tau=20.0, tau_theta=1000.0, theta_init=0.0):
        self.learning_rate = learning_rate
        self.tau = tau
        self.tau_theta = tau_theta
        self.theta_init = theta_init

    def initial_state(self, shape, dtype=np.float64) -> np.ndarray:
        """Threshold of shape ``(n_locations, n_filters)``, filled with theta_init."""
        self._check()
        return np.full(shape, self.theta_init, dtype=dtype)

    def delta(self, pre: Activity, post: Activity, weights, state=None):
        self._check()
        dt = check_scalar(post.dt, "dt", low=0.0, low_inclusive=False)
        dtype = _float_dtype(pre.trace, post.trace, weights)
        x, y = _as(pre.trace, dtype), _as(post.trace, dtype)
        if state is None:
            state = self.initial_state(y.shape[1:], dtype)
        theta = _as(state, dtype)  # (L,F)
        phi = y * (y - theta)  # (B,L,F) - (L,F) -> (B,L,F)
        dw = self.learning_rate * _outer(x, phi)  # (L,K,F)
        alpha = -np.expm1(-dt / self.tau_theta)
        mean_y2 = np.mean(y * y, axis=0)  # (B,L,F) -> (L,F)
        new_theta = (theta + alpha * (mean_y2 - theta)).astype(dtype, copy=False)
        return dw, new_theta
