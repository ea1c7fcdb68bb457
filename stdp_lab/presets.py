"""Ready configurations of published networks, as SpikingFeatureLearner estimators."""

from __future__ import annotations

from .competition import Competition
from .estimators import SpikingFeatureLearner
from .neurons import AdaptiveLIF
from .plasticity import PairSTDP

__all__ = ["diehl_cook_2015"]


def diehl_cook_2015(n_neurons: int = 400, **params) -> SpikingFeatureLearner:
    """The network of Diehl & Cook (2015) as a :class:`SpikingFeatureLearner`.

    784 Poisson inputs (a 255 pixel fires at 128 Hz, as in BindsNET's
    reproduction; the paper used 63.75 Hz), one dense layer of ``n_neurons``
    adaptive-threshold LIF neurons (rest -65 mV, reset -60 mV, threshold -52 mV
    plus theta, tau_mem 100 ms, refractory 5 ms, theta_plus 0.05 mV, tau_theta
    1e7 ms), at most one spike per step (BindsNET's ``one_spike``) and lateral
    inhibition standing for the inhibitory population (each spike lowers the
    other neurons by about 120 mV, the strength of BindsNET's ``eth_mnist``
    example: in effect winner-take-all for the rest of the presentation), 250
    steps of 1 ms per sample with the state reset between samples, pair STDP
    with 20 ms traces (potentiation 1e-2 at post spikes, depression 1e-4 at pre
    spikes, nearest pairing as BindsNET's traces), weights in [0, 1] and each
    neuron's incoming weights normalised to sum to 78.4 after each batch. The
    weights change once per batch (at every step in the paper; see
    :mod:`stdp_lab.network`).

    The input resistance is tau_mem / dt = 100, so an input spike of weight ``w``
    raises the membrane by about ``w`` mV, as the paper's synapses do.

    Parameters
    ----------
    n_neurons : int, default=400
        Excitatory neurons (100, 400, 1600 and 6400 in the paper).
    **params
        Any other :class:`SpikingFeatureLearner` parameter (``batch_size``,
        ``random_state``, ``verbose``, ...), overriding the values above.

    Returns
    -------
    SpikingFeatureLearner

    References
    ----------
    .. [1] Diehl, P. U. & Cook, M. (2015). Unsupervised learning of digit
       recognition using spike-timing-dependent plasticity. Front. Comput.
       Neurosci. 9:99.
    .. [2] Hazan, H. et al. (2018). BindsNET: a machine learning-oriented spiking
       neural networks library in Python. Front. Neuroinform. 12:89.

    Examples
    --------
    >>> from stdp_lab.presets import diehl_cook_2015
    >>> diehl_cook_2015(100).n_filters
    100
    """
    neuron = AdaptiveLIF(
        tau_mem=100.0,
        v_rest=-65.0,
        v_reset=-60.0,
        v_thresh=-52.0,
        t_ref=5.0,
        resistance=100.0,
        theta_plus=0.05,
        tau_theta=1e7,
    )
    config = dict(
        image_shape=(28, 28),
        connectivity="dense",
        n_filters=n_neurons,
        neuron=neuron,
        rule=PairSTDP(
            a_plus=1e-2, a_minus=1e-4, tau_pre=20.0, tau_post=20.0, pairing="nearest"
        ),
        encoder="poisson",
        n_timesteps=250,
        dt=1.0,
        competition=Competition(k=1, inhibition=120.0),
        w_max=1.0,
        norm=78.4,
        input_scale=255.0,
        batch_size=64,
    )
    config.update(params)
    return SpikingFeatureLearner(**config)
