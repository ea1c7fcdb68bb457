"""Local plasticity rules: pair and triplet STDP, Hebb, Oja, BCM, reward-modulated
(MSTDP, MSTDPET, R-STDP), voltage-based (Clopath) and inhibitory (Vogels) STDP.

A rule sees the activity on the two sides of every synapse in one canonical
layout and returns the weight change; it never writes weights and never knows
which connectivity it sits in::

    pre.spikes, pre.traces[i]     (n_samples, n_locations, patch_size)   # (B, L, K)
    post.spikes, post.traces[i]   (n_samples, n_locations, n_filters)    # (B, L, F)
    weights                       broadcastable to (L, K, F)
    dw = rule.delta(pre, post, weights)                                  # (L, K, F)

A rule declares the traces it reads with :meth:`Rule.pre_traces` and
:meth:`Rule.post_traces` (a tuple of :class:`TraceSpec`); the simulator keeps
them and passes them in the same order in :attr:`Activity.traces`. A rule that
reads more declares it with :meth:`Rule.reads`: ``"reward"`` (each sample's
reward at the step, ``post.reward``, given to the simulator as an input) or
``"v"`` (the postsynaptic membrane potential, ``post.v``).

Timing convention
-----------------
At every step of ``dt`` ms the simulator

1. decays every trace exactly, ``x *= exp(-dt / tau)``;
2. calls ``delta`` with this step's spikes and the traces as they are *before*
   this step's spikes are added;
3. adds this step's spikes to the traces: ``x += spike`` for mode ``"add"``
   (every earlier spike counts: all-to-all pairing), ``x = 1`` where a spike
   occurred for mode ``"reset"`` (only the latest spike counts: nearest-spike
   pairing).

So the traces passed to ``delta`` are the paper's values at ``t - epsilon``:
a presynaptic spike 5 ms before a postsynaptic spike gives
``a_plus * exp(-5 / tau_pre)`` at the postsynaptic spike, the reverse order
gives ``-a_minus * exp(-5 / tau_post)``, and spikes in the same step do not
pair with each other.

Batches
-------
The updates of the samples of a batch are **summed** (the ``s`` axis of every
einsum is contracted). To first order in the learning rate this is what
presenting the B samples one after the other would give, so a learning rate
means the same thing at every batch size; a mean would divide the learning
rate by the batch size. Terms that do not depend on activity (the weight decay
of :class:`Hebbian`) are counted once per sample for the same reason.

dtype
-----
``dw`` has the floating dtype of the traces and weights (float32 stays
float32); boolean spikes are accepted.
"""

from __future__ import annotations

from ._base import Activity, Rule, TraceSpec
from .inhibitory import InhibitorySTDP
from .rate import BCM, Hebbian, Oja
from .reward import MSTDP, MSTDPET, RSTDP
from .stdp import DiehlCookSTDP, PairSTDP, SimplifiedSTDP, TripletSTDP
from .voltage import ClopathSTDP

__all__ = [
    "TraceSpec",
    "Activity",
    "Rule",
    "PairSTDP",
    "TripletSTDP",
    "SimplifiedSTDP",
    "DiehlCookSTDP",
    "Hebbian",
    "Oja",
    "BCM",
    "MSTDP",
    "MSTDPET",
    "RSTDP",
    "ClopathSTDP",
    "InhibitorySTDP",
    "RULES",
    "make_rule",
]

# name -> (class, keyword arguments) of the default instance
_RULE_FACTORIES = {
    "stdp": (PairSTDP, {}),
    "stdp_multiplicative": (PairSTDP, {"weight_dependence": "multiplicative"}),
    "triplet": (TripletSTDP, {}),
    "simplified_stdp": (SimplifiedSTDP, {}),
    "diehl_cook": (DiehlCookSTDP, {}),
    "hebbian": (Hebbian, {}),
    "oja": (Oja, {}),
    "bcm": (BCM, {}),
    "mstdp": (MSTDP, {}),
    "mstdpet": (MSTDPET, {}),
    "rstdp": (RSTDP, {}),
    "clopath": (ClopathSTDP, {}),
    "istdp": (InhibitorySTDP, {}),
}

#: Names accepted by :func:`make_rule`, each giving a default instance.
RULES: tuple[str, ...] = tuple(_RULE_FACTORIES)


def make_rule(rule) -> Rule:
    """Return a plasticity rule from a name or an instance.

    Parameters
    ----------
    rule : str or Rule
        One of :data:`RULES` (a new default instance is built) or a
        :class:`Rule` instance (returned unchanged).

    Returns
    -------
    rule : Rule

    Raises
    ------
    ValueError
        If ``rule`` is an unknown name; the message lists the known names.
    TypeError
        If ``rule`` is neither a string nor a Rule.

    Examples
    --------
    >>> from stdp_lab.plasticity import make_rule
    >>> make_rule("stdp_multiplicative").weight_dependence
    'multiplicative'
    """
    if isinstance(rule, Rule):
        return rule
    if isinstance(rule, str):
        if rule not in _RULE_FACTORIES:
            known = ", ".join(repr(name) for name in RULES)
            raise ValueError(f"rule must be one of {known}; got {rule!r}")
        cls, kwargs = _RULE_FACTORIES[rule]
        return cls(**kwargs)
    raise TypeError(
        f"rule must be a rule name (str) or a Rule instance, got {type(rule).__name__}"
    )
