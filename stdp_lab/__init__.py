"""stdp_lab: unsupervised feature learning with spiking neural networks.

Data flows one way: intensities -> :mod:`~stdp_lab.encoding` (spike trains) ->
layers of :mod:`~stdp_lab.connectivity`, :mod:`~stdp_lab.neurons`,
:mod:`~stdp_lab.competition` and :mod:`~stdp_lab.plasticity`, run by
:mod:`~stdp_lab.network` -> spike counts -> a readout. The scikit-learn face of
it is :class:`SpikingFeatureLearner` and :class:`SpikeCountClassifier`.
"""

from ._config import ENGINES, config_context, get_config, set_config
from .compare import compare_rules
from .competition import Competition
from .connectivity import Conv2D, Dense, LocallyConnected2D
from .encoding import LatencyEncoder, PoissonEncoder, RankOrderEncoder
from .estimators import SpikeCountClassifier, SpikingFeatureLearner
from .network import Layer, LayerParams, simulate
from .neurons import IF, LIF, AdaptiveLIF, Izhikevich
from .plasticity import (
    BCM,
    MSTDP,
    MSTDPET,
    RSTDP,
    RULES,
    ClopathSTDP,
    DiehlCookSTDP,
    Hebbian,
    InhibitorySTDP,
    Oja,
    PairSTDP,
    Rule,
    SimplifiedSTDP,
    TraceSpec,
    TripletSTDP,
)

__version__ = "0.1.0"

__all__ = [
    "AdaptiveLIF",
    "BCM",
    "ClopathSTDP",
    "Competition",
    "Conv2D",
    "Dense",
    "ENGINES",
    "DiehlCookSTDP",
    "Hebbian",
    "IF",
    "InhibitorySTDP",
    "Izhikevich",
    "LIF",
    "LatencyEncoder",
    "Layer",
    "LayerParams",
    "LocallyConnected2D",
    "MSTDP",
    "MSTDPET",
    "Oja",
    "PairSTDP",
    "PoissonEncoder",
    "RSTDP",
    "RULES",
    "RankOrderEncoder",
    "Rule",
    "SimplifiedSTDP",
    "SpikeCountClassifier",
    "SpikingFeatureLearner",
    "TraceSpec",
    "TripletSTDP",
    "compare_rules",
    "config_context",
    "get_config",
    "set_config",
    "simulate",
]
