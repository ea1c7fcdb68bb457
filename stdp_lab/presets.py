"""Ready configurations of published networks, as SpikingFeatureLearner estimators."""

from __future__ import annotations

from .competition import Competition
from .encoding import PoissonEncoder
from .estimators import SpikingFeatureLearner
from .neurons import AdaptiveLIF
from .plasticity import DiehlCookSTDP, PairSTDP

__all__ = ["count_layer", "diehl_cook_2015", "diehl_cook_neuron", "mnist_conv"]


def diehl_cook_neuron() -> AdaptiveLIF:
    """The excitatory neuron of Diehl & Cook (2015) (also used by Saunders et al.
    2019): rest -65 mV, reset -60 mV, threshold -52 mV plus the learned theta,
    tau_mem 100 ms, refractory 5 ms, theta_plus 0.05 mV, tau_theta 1e7 ms, and an
    input resistance of tau_mem / dt = 100, so that an input spike of weight
    ``w`` raises the membrane by about ``w`` mV, as the paper's synapses do.

    The thresholds' decay (tau_theta, 40,000 samples of 250 ms) is what keeps
    a long stream's activity from fading: they settle where growth balances
    decay, after a few tau_theta, and the activity of a stream of any length
    then stays level (``benchmarks/soak.py``). A shorter tau_theta settles
    sooner but, on MNIST, learns worse (``benchmarks/bench_homeostasis.py``).

    Examples
    --------
    >>> from stdp_lab.presets import diehl_cook_neuron
    >>> diehl_cook_neuron().v_thresh
    -52.0
    """
    return AdaptiveLIF(
        tau_mem=100.0,
        v_rest=-65.0,
        v_reset=-60.0,
        v_thresh=-52.0,
        t_ref=5.0,
        resistance=100.0,
        theta_plus=0.05,
        tau_theta=1e7,
    )


def diehl_cook_2015(n_neurons: int = 400, **params) -> SpikingFeatureLearner:
    """The network of Diehl & Cook (2015) as a :class:`SpikingFeatureLearner`.

    784 Poisson inputs (a 255 pixel fires at 128 Hz, as in BindsNET's
    reproduction; the paper used 63.75 Hz), one dense layer of ``n_neurons``
    adaptive-threshold LIF neurons (:func:`diehl_cook_neuron`), at most one
    spike per step (BindsNET's ``one_spike``) and lateral
    inhibition standing for the inhibitory population (each spike lowers the
    other neurons by about 120 mV, the strength of BindsNET's ``eth_mnist``
    example: in effect winner-take-all for the rest of the presentation), 250
    steps of 1 ms per sample with the state reset between samples, pair STDP
    with 20 ms traces (potentiation 1e-2 at post spikes, depression 1e-4 at pre
    spikes, nearest pairing as BindsNET's traces), weights in [0, 1] and each
    neuron's incoming weights normalised to sum to 78.4 after each batch. The
    weights change once per batch; ``batch_size=1, update_every=1`` changes
    them at every step, as the paper and BindsNET do (about 8 times slower to
    fit, and about as accurate: ``benchmarks/bench_diehl_cook_protocol.py``).

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
    config = dict(
        image_shape=(28, 28),
        connectivity="dense",
        n_filters=n_neurons,
        neuron=diehl_cook_neuron(),
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


def mnist_conv(**params) -> SpikingFeatureLearner:
    """A pooled convolutional STDP layer for 28 x 28 digits (the demo's learner).

    16 shared 5 x 5 filters at stride 2 (12 x 12 locations), adaptive LIF
    neurons with one winner per location and step, Diehl & Cook's
    post-triggered rule with a small rate (the changes of all 144 locations add
    up in the shared filters) and a low target (``x_tar=0.1``), Poisson input at
    up to 256 Hz for 100 steps of 1 ms, and spike counts summed over 2 x 2
    windows of locations (6 x 6 x 16 = 576 features). Every value was chosen on
    a validation split of MNIST's training set (the last 10,000 images), never
    on the test set. The demo sums the counts over overlapping 4 x 4 windows at
    stride 1 instead (``pooling=4, pooling_stride=1``, 1,296 features,
    ``stdp_lab.cli.DEMO_PARAMS``), which a linear readout used better on the
    same validation split.

    Parameters
    ----------
    **params
        Any other :class:`SpikingFeatureLearner` parameter, overriding these.

    Returns
    -------
    SpikingFeatureLearner

    References
    ----------
    .. [1] Diehl, P. U. & Cook, M. (2015). Unsupervised learning of digit
       recognition using spike-timing-dependent plasticity. Front. Comput.
       Neurosci. 9:99.
    .. [2] Kheradpisheh, S. R. et al. (2018). STDP-based spiking deep
       convolutional neural networks for object recognition. Neural Networks 99,
       56-67.

    Examples
    --------
    >>> from stdp_lab.presets import mnist_conv
    >>> mnist_conv(random_state=0).pooling
    2
    """
    config = dict(
        connectivity="conv",
        kernel_size=5,
        stride=2,
        n_filters=16,
        pooling=2,
        encoder=PoissonEncoder(max_rate=256.0),
        rule=DiehlCookSTDP(learning_rate=4e-5, x_tar=0.1),
        n_timesteps=100,
        batch_size=32,
    )
    config.update(params)
    return SpikingFeatureLearner(**config)


def count_layer(n_neurons: int = 400, **params) -> SpikingFeatureLearner:
    """A Diehl & Cook (2015) layer that learns from another layer's spike counts.

    The second layer of a two-layer pipeline such as ``mnist_conv() ->
    count_layer() -> SpikeCountClassifier``: :func:`diehl_cook_2015`'s dense
    layer of ``n_neurons`` adaptive-threshold neurons with winner-take-all
    inhibition and pair STDP, fed with a vector of spike counts instead of
    pixels. Each count of at least 1 drives its input at the encoder's full
    rate (``input_scale=1``: an input is either active or silent; counts above
    1 are clipped to 1 with a ``ScaleWarning``, so binarise them first, as
    ``Binarizer(threshold=0)`` does in the MNIST benchmark), each neuron's
    incoming weights are normalised to a mean of 0.1
    (``norm="auto"``), and the threshold rises by ``theta_plus=0.4`` mV per
    spike, eight times the paper's 0.05: with a few hundred active inputs at
    128 Hz the drive is strong, and a stronger homeostasis keeps every neuron in
    use and lets several neurons answer each sample. The presentation is 100
    steps of 1 ms instead of 250 (as accurate here, and 2.5 times faster).

    These values were chosen on a validation split of MNIST's training set
    (the last 10,000 images; never the test set) with the pooled counts of
    ``mnist_conv(n_filters=32)`` as input; see ``benchmarks/bench_mnist.py``
    for the figures.

    Parameters
    ----------
    n_neurons : int, default=400
        Neurons of the layer.
    **params
        Any other :class:`SpikingFeatureLearner` parameter, overriding these.

    Returns
    -------
    SpikingFeatureLearner

    Notes
    -----
    With counts :math:`c_i` and the encoder's maximum rate :math:`r_{max}`,
    input :math:`i` fires as a Poisson process of rate

    .. math:: r_i = r_{max} \\min(c_i / s, 1), \\qquad s = 1,

    so that :math:`r_i = r_{max}` for every :math:`c_i \\geq 1` and
    :math:`r_i = 0` for :math:`c_i = 0`.

    References
    ----------
    .. [1] Diehl, P. U. & Cook, M. (2015). Unsupervised learning of digit
       recognition using spike-timing-dependent plasticity. Front. Comput.
       Neurosci. 9:99.

    Examples
    --------
    >>> from stdp_lab.presets import count_layer
    >>> layer = count_layer(100)
    >>> layer.n_filters, layer.input_scale, layer.neuron.theta_plus
    (100, 1.0, 0.4)
    """
    config = dict(
        image_shape=None,
        input_scale=1.0,
        norm="auto",
        neuron=diehl_cook_neuron().set_params(theta_plus=0.4),
        n_timesteps=100,
    )
    config.update(params)
    return diehl_cook_2015(n_neurons, **config)
