"""scikit-learn estimators: SpikingFeatureLearner (transformer) and
SpikeCountClassifier (the label-assignment readout of Diehl & Cook 2015)."""

from __future__ import annotations

import copy
import hashlib
import numbers
import warnings

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    clone,
)
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ._config import ENGINES, get_config
from ._validation import (
    InstanceOf,
    Interval,
    Options,
    Pair,
    Shape,
    check_pair,
    check_rng,
    none,
    validate_params,
)
from .competition import Competition, make_competition
from .connectivity import Conv2D, make_connectivity
from .encoding import Encoder, make_encoder
from .network import Layer, LayerParams, resolve_engine, simulate
from .neurons import NeuronModel, make_neuron
from .plasticity import Rule, make_rule
from .pooling import pool, pooled_grid, resolve_pooling

__all__ = ["SpikingFeatureLearner", "SpikeCountClassifier", "ScaleWarning"]

#: dtype of the weights, thresholds and neuron state, whatever the dtype of X.
SIMULATION_DTYPE = np.float32

#: Samples simulated together by ``transform``: at most TRANSFORM_CHUNK and no
#: more than TRANSFORM_NEURONS neurons (at least one sample). Not held to
#: ``batch_size``: for the 18,432 neurons of 32 filters at 24 x 24 locations,
#: chunks of 7 to 12 images transformed 5,000 MNIST images in 15.4-16.3 s with
#: two processes, chunks of 32 in 17.6-20.2 s (the two processes share the
#: processor's last-level cache).
TRANSFORM_CHUNK = 256
TRANSFORM_NEURONS = 2**17
#: The same on the compiled engine, whose threads step one sample at a time
#: (whatever the chunk) and pay a fixed cost per call: at most this many
#: neurons (about 40 bytes of state each), 113 images at a time for the
#: 18,432 neurons above instead of 7.
TRANSFORM_NEURONS_COMPILED = 2**21


class ScaleWarning(UserWarning):
    """Data on another scale than ``input_scale_``: clipped, or far below it."""


def _describe(scale: np.ndarray) -> str:
    return repr(float(scale)) if scale.ndim == 0 else "per feature"


def _row_seeds(X: np.ndarray, key: int) -> np.ndarray:
    """One 64-bit seed per row from the row's bytes and ``key``.

    A sample's spike train then depends only on the sample and the fitted model,
    not on its position in X or on the batch it is in.
    """
    X = np.ascontiguousarray(X, dtype=np.float64)  # same seed for float32 and float64
    salt = int(key).to_bytes(8, "little")
    return np.array(
        [
            int.from_bytes(
                hashlib.blake2b(row.tobytes(), digest_size=8, salt=salt).digest(),
                "little",
            )
            >> 1
            for row in X
        ],
        dtype=np.uint64,
    )


def _nearest_positions(n, stride, n_fitted, fitted_stride) -> np.ndarray:
    """Index, for each of ``n`` receptive fields at ``stride`` along one axis, of
    the nearest of ``n_fitted`` fields at ``fitted_stride`` (all starting at 0; a
    tie goes to the lower one). Field ``i`` starts at ``i * stride``, so the
    nearest fitted field is :math:`\\lceil i s / s_f - 1/2 \\rceil`, clipped."""
    twice = 2 * np.arange(n) * stride  # twice the positions, in integers
    nearest = -((fitted_stride - twice) // (2 * fitted_stride))  # ceil(p/s_f - 1/2)
    return np.minimum(nearest, n_fitted - 1)


def _default_neuron():
    """Adaptive LIF whose input resistance equals tau_mem / (1 ms): an input spike
    of weight w then raises v by about w, as with the delta synapses of Diehl &
    Cook (2015); theta_plus is smaller than theirs because every sample of a batch
    adds its own threshold increments (0.003, measured with the default rule on
    the digits benchmark). The thresholds decay with tau_theta = 200 s, about
    2,000 samples of 100 ms: they settle within a few thousand samples, where
    their growth balances their decay, so the activity of a long stream stays
    level; with the paper's 1e7 ms it kept fading, and the features with it
    (``benchmarks/soak.py``, ``benchmarks/bench_homeostasis.py``)."""
    return make_neuron("adaptive_lif").set_params(
        resistance=20.0, theta_plus=0.003, tau_theta=2e5
    )


def _default_rule():
    """The post-triggered rule of Diehl & Cook (2015): on digits it makes the
    learned features beat frozen random weights of the same network by 2-3 points
    of the vote readout, where pair STDP (1e-4) did no better than random."""
    return make_rule("diehl_cook")


def _default_encoder():
    """Poisson encoder at 512 Hz for intensity 1: about 51 input spikes in 100 ms,
    so that the input counts carry the image with little Poisson noise (a linear
    readout of raw Poisson counts of the digits reaches 94% at 128 Hz and 96% at
    512 Hz over 100 ms)."""
    return make_encoder("poisson").set_params(max_rate=512.0)


def _default_competition():
    """One winner per location and step (k=1) and an inhibitory current of 3 to the
    other filters of the location after each spike: sparse, selective responses
    without silencing the losers for the rest of the presentation."""
    return make_competition(None).set_params(k=1, inhibition=3.0)


#: With ``norm="auto"`` each neuron's incoming weights sum to this value times the
#: patch size (mean weight 0.1, as Diehl & Cook 2015's 78.4 for 784 inputs).
_AUTO_NORM_PER_INPUT = 0.1


class SpikingFeatureLearner(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    """Unsupervised spiking feature learner: a layer of competing spiking neurons
    whose synapses learn with a local plasticity rule; features are spike counts.

    ``fit`` presents each sample of X (scaled to [0, 1] and encoded as spike
    trains) for ``n_timesteps`` steps of ``dt`` ms while the rule changes the
    weights; ``transform`` presents samples with learning off and returns each
    output neuron's spike count.

    Parameters
    ----------
    image_shape : tuple of int or None, default=None
        ``(height, width)`` or ``(height, width, channels)`` (channels last) of
        the flattened samples. None: the shape of the samples when ``X`` is an
        array of images ``(n_samples, height, width[, channels])``; for 2-D
        ``X``, a square grayscale image when the number of features is a
        square, otherwise tabular data (a ``1 x n_features`` strip).
    connectivity : {"auto", "conv", "local", "dense"}, default="auto"
        Convolutional (one set of filters shared by every location), locally
        connected (own filters per location) or dense layer. "auto": "conv"
        for images of at least 16 pixels a side, "local" for smaller images
        (8 x 8 digits have too few locations for shared, pooled filters to
        pay), "dense" for tabular data.
    kernel_size : int, pair of int or None, default=None
        Receptive field size in pixels. None: for "conv", 5/28 of each image
        side (5 for 28 x 28 images), at least 3; for "local", 3/7 of each side
        (3 for 8 x 8 digits); the whole input for a strip.
    stride : int, pair of int or None, default=None
        Distance between receptive fields. None: half the kernel for "conv" (2
        for a kernel of 5), a third of it for "local", at least 1.
    n_filters : int, default=25
        Filters (neurons) per location.
    pooling : "auto", int, pair of int, "global" or None, default="auto"
        Sum of the spike counts of each filter over windows of the output
        location grid (spatial pooling of a convolutional layer, as in the
        pooling layers of Kheradpisheh et al. 2018 and Coates & Ng 2011, here
        a sum so that features stay spike counts). ``(ph, pw)`` (an int means
        ``ph = pw``): windows of ``ph`` rows by ``pw`` columns of locations,
        starting at the grid's top-left corner; where the grid does not
        divide, the last row or column of windows is partial (it sums the
        locations left, fewer than ``ph * pw``), and a window larger than the
        grid covers all of it. "global": one sum over all locations. None: no
        pooling, one feature per neuron. "auto": for "conv", windows of a third
        of the grid's side at stride 1 (4 x 4 windows of the 12 x 12 locations
        of a 28 x 28 image: features that tolerate small shifts); no pooling
        otherwise. Pooling is meant for ``connectivity="conv"``, where filter
        ``f`` is the same at every location; with "local" it sums different
        filters of neighbouring locations. It changes only ``transform``, not
        learning.
    pooling_stride : int, pair of int or None, default=None
        Distance in locations between the starts of neighbouring pooling
        windows. None: 1 with ``pooling="auto"``, otherwise the window itself
        (non-overlapping windows). A smaller stride gives overlapping windows,
        as in the overlapping pooling of Krizhevsky et al. 2012; windows start
        every ``(sh, sw)`` locations until one reaches the end of the grid,
        the last one partial where the stride does not fit. Ignored when
        ``pooling`` is None or "global".
    neuron : str or NeuronModel, default=None
        None: an adaptive-threshold LIF (Diehl & Cook 2015) with
        ``resistance=20`` (an input spike of weight w raises v by about w),
        ``theta_plus=0.003`` and thresholds that decay with ``tau_theta=2e5``
        ms (they settle within a few thousand samples, so the activity of a
        stream of any length stays level).
    rule : str or Rule, default=None
        Plasticity rule or its name ("stdp", "stdp_multiplicative", "triplet",
        "simplified_stdp", "diehl_cook", "hebbian", "oja", "bcm", "mstdp",
        "mstdpet", "rstdp", "clopath", "istdp"). None: ``DiehlCookSTDP()``
        (post-triggered, trace minus target; Diehl & Cook 2015). The
        reward-modulated rules ("mstdp", "mstdpet": Florian 2007; "rstdp":
        Mozafari et al. 2018) learn from labels given to ``fit(X, y)`` (see
        Notes); "clopath" (Clopath et al. 2010) reads the membrane potential,
        its thresholds in the neuron's units; "istdp" (Vogels et al. 2011) is
        an inhibitory rule: it learns the lateral inhibition among the filters
        of a location (as ``lateral_rule``) and leaves the weights as they
        were initialised.
    lateral_rule : str, Rule or None, default=None
        Rule of a learned lateral inhibition, or its name ("istdp"): the
        inhibition among the filters of a location becomes a per-pair weight
        matrix (``lateral_weights_``), initialised to the competition's
        ``inhibition`` and learned alongside the weights, which ``transform``
        then uses (see :class:`~stdp_lab.network.Layer`). None: the
        competition's fixed inhibition.
    encoder : str or Encoder, default=None
        Spike encoder or its name ("poisson", "latency", "rank_order"). None: a
        Poisson encoder with ``max_rate=512`` Hz (the name "poisson" gives its
        default, 128 Hz).
    n_timesteps : int, default=100
        Time steps per sample presentation.
    transform_timesteps : int or None, default=None
        Time steps per presentation in ``transform`` (learning off). None: as
        ``n_timesteps``. A shorter presentation than in learning counts mostly
        the first spikes of each sample, those of the neurons whose weights
        match it best, before the adaptive thresholds of the winners let others
        in: a layer read out by the vote may do better over somewhat fewer
        steps than it learned with (chosen on a validation split in
        ``benchmarks/bench_mnist.py``).
    transform_encoder : str, Encoder or None, default=None
        Spike encoder of ``transform`` (learning off), or its name. None: as
        ``encoder``. A higher rate at transform than in learning gives more
        spikes, so counts with less Poisson noise, from the same weights, for
        a little more time: it tends to help a linear readout and may hurt the
        vote, which relies on the few strongest responses (the MNIST
        benchmark's figures are in the documentation's benchmarks page).
    transform_stride : int, pair of int or None, default=None
        Stride of the receptive fields in ``transform``, for shared filters
        (``connectivity="conv"``) only. None: as ``stride``. Learning at a
        coarse stride is cheaper (fewer locations), and the same filters read
        at a finer one sample the image more densely. Each location of the
        finer grid takes the adaptive thresholds of the learned location
        nearest to it (by the position of its receptive field; a tie goes to
        the lower one), so where the two grids share a position the counts are
        those of the learned grid. ``pool_grid_`` and the number of features
        follow the transform's grid: changing ``transform_stride`` after
        ``fit`` needs a refit. The MNIST benchmark learns at stride 2 and
        reads at stride 1 (``benchmarks/bench_mnist.py``).
    dt : float, default=1.0
        Time step in ms.
    competition : str or Competition, default=None
        Competition among the filters of a location, or its name ("none",
        "soft", "wta", "kwta"). None: ``Competition(k=1, inhibition=3.0)``, at
        most one spike per location and step and an inhibitory current of 3 to
        the other filters after each spike.
    w_max : float, default=1.0
        Upper weight bound (the lower one is 0).
    norm : float, "auto" or None, default="auto"
        If given, each neuron's incoming weights are scaled to sum to ``norm``
        after each batch (Diehl & Cook 2015 use 78.4 for 784 inputs). "auto":
        ``0.1 * patch_size`` (0.9 for a 3 x 3 kernel, 14.4 for 12 x 12), so that
        the mean weight does not depend on the kernel. None: no normalisation.
    input_scale : float or None, default=None
        Intensity that maps to the encoder's maximum rate (255 for 8-bit
        images, 1 for data in [0, 1]). None: learned, as the maximum of the
        first ``fit``/``partial_fit`` batch that is not all zero (over all
        features for images, per feature for a strip of tabular data); an
        all-zero batch leaves it to the next. Larger values are clipped to it,
        with a warning that says how many; data whose largest value is below a
        tenth of it are warned about too (they give weak or no spikes: 0..1
        images on a model fitted on 0..255 ones, for instance). Set it when
        the first batch may not reach the data's range.
    n_epochs : int, default=1
    batch_size : int, default=32
        Samples simulated together while learning (their weight changes add up).
    update_every : int or None, default=None
        While learning, apply the weight changes every ``update_every`` time
        steps of a presentation (1: at every step, as Diehl & Cook 2015 and
        BindsNET do). None: once per batch, at the end of its presentation.
        Within one presentation the difference is small; per step is the
        paper's rule, per batch is faster (see :mod:`stdp_lab.network`).
    engine : {"auto", "numba", "numpy"}, default="auto"
        Simulation engine. "auto": the compiled (numba) engine when every part
        of the layer has a compiled form, the numpy engine otherwise (a rule of
        your own, for instance), following :func:`stdp_lab.set_config`;
        "numba" refuses a layer without a compiled form; "numpy" is the
        readable reference engine. Both give the same spike counts (bit for
        bit where they sum in the same order).
    random_state : int, Generator or None, default=None
    n_jobs : int or None, default=None
        Parallel jobs for ``transform`` (split over samples with joblib).
    verbose : int, default=0
        > 0 shows a progress bar over samples.

    Attributes
    ----------
    weights_ : ndarray of shape (1 | n_locations, patch_size, n_filters), float32
        Learned weights (see :mod:`stdp_lab.connectivity` for the layout). The
        network is simulated in float32 whatever the dtype of X (half the memory
        traffic of float64, and about 1.3 to 1.5 times faster); the spike counts
        of ``transform`` are exact integers returned in the dtype of X.
    thresholds_ : ndarray of shape (n_locations, n_filters) or None
        Learned threshold offsets of adaptive neurons.
    lateral_weights_ : ndarray of shape (1 | n_locations, n_filters, n_filters) or None
        Learned lateral inhibition (``lateral_rule``, or ``rule="istdp"``):
        ``[l, i, j]`` is what a spike of filter ``i`` sends to filter ``j`` at
        location ``l`` (one matrix for shared filters); None without one.
    reward_classes_ : ndarray of shape (n_classes,)
        Only with a reward-modulated rule fitted with labels: the classes.
    filter_classes_ : ndarray of shape (n_filters,)
        Only with a reward-modulated rule fitted with labels: the index into
        ``reward_classes_`` of the class each filter stands for.
    pool_grid_ : tuple of int
        ``(n_rows, n_cols)`` of pooling windows (the location grid itself when
        ``pooling=None``, ``(1, 1)`` for "global").
    layer_ : Layer
        The layer that was built for the data (connectivity, neuron, ...).
    image_shape_ : tuple of int
        ``(height, width, channels)`` used.
    input_scale_ : float, ndarray or None
        Intensity mapped to the encoder's maximum rate; None while every batch
        seen was all zero (``input_scale=None``).
    n_features_in_ : int
    n_samples_seen_ : int

    Notes
    -----
    With pooling windows of ``ph x pw`` locations at strides ``sh, sw`` on an
    ``R x C`` location grid, the feature of window ``(i, j)`` and filter ``f`` is

    .. math::

        z_{b,i,j,f} = \\sum_{r = i s_h}^{\\min(i s_h + p_h, R) - 1}
            \\sum_{c = j s_w}^{\\min(j s_w + p_w, C) - 1} n_{b, rC + c, f},

    with :math:`n_{b,l,f}` the spike count of filter ``f`` at location ``l``,
    for the windows that start at a row :math:`i s_h < R` and a column
    :math:`j s_w < C`, up to the first that reaches the last row or column (with
    the default strides, :math:`\\lceil R / p_h \\rceil \\times \\lceil C / p_w
    \\rceil` windows). :func:`stdp_lab.pooling.pool_counts` computes the same
    sums from the counts of a learner without pooling.

    With ``connectivity="conv"`` the rule's weight changes of all locations add
    up in the shared filters (``Conv2D.fold``), so a rate acts about as many
    times more strongly as there are locations: if the filters collapse onto
    a few pixels, lower it (:func:`stdp_lab.presets.mnist_conv` uses
    ``DiehlCookSTDP(learning_rate=4e-5, x_tar=0.1)``, chosen on a validation
    split of MNIST).

    Reward-modulated rules ("mstdp", "mstdpet", "rstdp") make the learner
    semi-supervised, as the last layer of Mozafari et al. (2018): at the
    first ``fit``/``partial_fit`` with labels the filters are assigned to the
    classes in equal shares (filter ``f`` to class ``f * n_classes //
    n_filters``, in the order of ``reward_classes_``; ``n_filters`` must be at
    least the number of classes). Each batch is first presented without
    learning, with the weights and thresholds it starts from, and the filter
    with the most spikes over the presentation and all locations is the
    network's decision on a sample; its reward is +1 if that filter's class is
    the sample's label, -1 otherwise, and 0 if no filter spiked (no decision).
    The batch is then presented again, with the same input spikes, while the
    rule learns with that reward at every step of the presentation (the
    decision is the network's answer to the sample, so the reward is known
    from the first step on; MSTDPET's eligibility trace matters for rewards
    that come later, given to :func:`~stdp_lab.network.simulate` directly).
    Every neuron that spiked learns from its sample's reward; Mozafari et al.
    let only the deciding neuron learn, which a hard winner-take-all comes
    closest to (``competition=Competition(k=1, inhibition=100.0)``: on two
    classes of bars the decisions of all three rules went from chance to
    over 90% right in three epochs, see the tests), while with the default
    soft competition the losers that spike learn from the winner's reward
    too. Without labels (``fit(X)``, as in unsupervised pipelines and rule
    comparisons) every presentation is rewarded (+1), so the rule learns as
    its unmodulated form (pair STDP times the learning rate; R-STDP as
    :class:`~stdp_lab.plasticity.SimplifiedSTDP`), and a warning says so.

    References
    ----------
    .. [1] Diehl, P. U. & Cook, M. (2015). Unsupervised learning of digit
       recognition using spike-timing-dependent plasticity. Front. Comput.
       Neurosci. 9:99.
    .. [2] Coates, A. & Ng, A. Y. (2011). An analysis of single-layer networks in
       unsupervised feature learning. AISTATS 2011, 215-223.
    .. [3] Kheradpisheh, S. R., Ganjtabesh, M., Thorpe, S. J. & Masquelier, T.
       (2018). STDP-based spiking deep convolutional neural networks for object
       recognition. Neural Networks 99, 56-67.
    .. [4] Mozafari, M., Kheradpisheh, S. R., Masquelier, T., Nowzari-Dalini,
       A. & Ganjtabesh, M. (2018). First-spike-based visual categorization
       using reward-modulated STDP. IEEE Trans. Neural Netw. Learn. Syst. 29,
       6178-6190.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from stdp_lab import SpikingFeatureLearner
    >>> X, y = load_digits(return_X_y=True)
    >>> model = SpikingFeatureLearner(n_timesteps=20, random_state=0).fit(X[:64])
    >>> model.transform(X[:3]).shape
    (3, 900)
    >>> model.layer_.connectivity.output_grid  # 3 x 3 kernels on the 8 x 8 digits
    (6, 6)
    >>> conv = SpikingFeatureLearner(connectivity="conv", kernel_size=3, stride=1,
    ...                              n_filters=8, pooling=2, n_timesteps=20,
    ...                              random_state=0).fit(X[:64])
    >>> conv.pool_grid_, conv.transform(X[:3]).shape  # 3 x 3 windows x 8 filters
    ((3, 3), (3, 72))
    """

    _parameter_constraints = {
        "image_shape": [none, Shape(2, 3)],
        "connectivity": Options("auto", "conv", "local", "dense"),
        "kernel_size": [none, Pair()],
        "stride": [none, Pair()],
        "n_filters": Interval(numbers.Integral, 1, None),
        "pooling": [none, Pair(), Options("auto", "global")],
        "pooling_stride": [none, Pair()],
        "neuron": [none, InstanceOf(str, NeuronModel)],
        "rule": [none, InstanceOf(str, Rule)],
        "lateral_rule": [none, InstanceOf(str, Rule)],
        "encoder": [none, InstanceOf(str, Encoder)],
        "n_timesteps": Interval(numbers.Integral, 1, None),
        "transform_timesteps": [none, Interval(numbers.Integral, 1, None)],
        "transform_encoder": [none, InstanceOf(str, Encoder)],
        "transform_stride": [none, Pair()],
        "dt": Interval(numbers.Real, 0.0, None, closed="neither"),
        "competition": [none, InstanceOf(str, Competition)],
        "w_max": Interval(numbers.Real, 0.0, None, closed="neither"),
        "norm": [
            none,
            Options("auto"),
            Interval(numbers.Real, 0, None, closed="neither"),
        ],
        "input_scale": [none, Interval(numbers.Real, 0.0, None, closed="neither")],
        "n_epochs": Interval(numbers.Integral, 1, None),
        "batch_size": Interval(numbers.Integral, 1, None),
        "update_every": [none, Interval(numbers.Integral, 1, None)],
        "engine": Options(*ENGINES),
        "random_state": [
            none,
            Interval(numbers.Integral, 0, None),
            InstanceOf(np.random.Generator, np.random.RandomState),
        ],
        "n_jobs": [none, Interval(numbers.Integral)],
        "verbose": Interval(numbers.Integral, 0, None),
    }

    def __init__(
        self,
        *,
        image_shape=None,
        connectivity="auto",
        kernel_size=None,
        stride=None,
        n_filters=25,
        pooling="auto",
        pooling_stride=None,
        neuron=None,
        rule=None,
        lateral_rule=None,
        encoder=None,
        n_timesteps=100,
        transform_timesteps=None,
        transform_encoder=None,
        transform_stride=None,
        dt=1.0,
        competition=None,
        w_max=1.0,
        norm="auto",
        input_scale=None,
        n_epochs=1,
        batch_size=32,
        update_every=None,
        engine="auto",
        random_state=None,
        n_jobs=None,
        verbose=0,
    ):
        self.image_shape = image_shape
        self.connectivity = connectivity
        self.kernel_size = kernel_size
        self.stride = stride
        self.n_filters = n_filters
        self.pooling = pooling
        self.pooling_stride = pooling_stride
        self.neuron = neuron
        self.rule = rule
        self.lateral_rule = lateral_rule
        self.encoder = encoder
        self.n_timesteps = n_timesteps
        self.transform_timesteps = transform_timesteps
        self.transform_encoder = transform_encoder
        self.transform_stride = transform_stride
        self.dt = dt
        self.competition = competition
        self.w_max = w_max
        self.norm = norm
        self.input_scale = input_scale
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.update_every = update_every
        self.engine = engine
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    # -- configuration ---------------------------------------------------------
    def _image_shape(self, shape, n_features: int, hint=None) -> tuple[int, int, int]:
        """(height, width, channels) of a sample: ``shape`` (the checked
        ``image_shape``), else ``hint`` (the images' shape of 3-D or 4-D ``X``,
        or the fitted one), else inferred from ``n_features``."""
        if shape is None and hint is not None:
            shape = tuple(hint)
        if shape is None:
            side = int(round(np.sqrt(n_features)))
            if side * side == n_features:
                return (side, side, 1)
            return (1, n_features, 1)
        shape = shape + (1,) * (3 - len(shape))
        if int(np.prod(shape)) != n_features:
            raise ValueError(
                f"image_shape {self.image_shape!r} holds {int(np.prod(shape))} values "
                f"but X has {n_features} features"
            )
        return shape

    def _architecture(self, image_shape, params):
        """``(connectivity, kernel_size, stride)`` with "auto" and None resolved
        for ``image_shape`` (see the parameters' documentation)."""
        height, width, _ = image_shape
        image = height > 1 and width > 1
        connectivity = self.connectivity
        if connectivity == "auto":
            if not image:
                connectivity = "dense"
            else:
                connectivity = "conv" if min(height, width) >= 16 else "local"
        if connectivity == "dense":
            return connectivity, None, None
        kernel, stride = params["kernel_size"], params["stride"]
        if kernel is None:
            if not image:  # a strip of tabular data: one location
                kernel = (height, width)
            elif connectivity == "conv":
                sides = (height, width)
                kernel = tuple(min(n, max(3, round(5 * n / 28))) for n in sides)
            else:
                kernel = tuple(max(1, round(3 * n / 7)) for n in (height, width))
        if stride is None:
            fraction = 2 if connectivity == "conv" else 3
            stride = tuple(max(1, k // fraction) for k in kernel)
        return connectivity, kernel, stride

    def _build(self, n_features: int, hint=None):
        """Validate the parameters and build (layer, encoder, image_shape,
        transform_encoder); ``hint`` as in :meth:`_image_shape`."""
        params = validate_params(self, self._parameter_constraints)
        if self.n_jobs == 0:  # joblib's convention: >= 1, or -1 for every core
            raise ValueError(
                "n_jobs must be a positive number of processes, or -1 for one "
                "per core (-2 for all but one, ...), or None; got 0"
            )
        image_shape = self._image_shape(params["image_shape"], n_features, hint)
        kind, kernel, stride = self._architecture(image_shape, params)
        if self.transform_stride is not None and kind != "conv":
            raise ValueError(
                "transform_stride applies to shared filters only "
                f"(connectivity='conv'), got connectivity={self.connectivity!r}"
                + (f" (resolved to {kind!r})" if self.connectivity == "auto" else "")
            )
        if kind == "dense":
            conn = make_connectivity("dense", image_shape, n_filters=self.n_filters)
        else:
            conn = make_connectivity(
                kind,
                image_shape,
                kernel_size=kernel,
                stride=stride,
                n_filters=self.n_filters,
            )
            conn.index  # noqa: B018  (raises now if the kernel does not fit the image)
        neuron = _default_neuron() if self.neuron is None else make_neuron(self.neuron)
        rule = _default_rule() if self.rule is None else make_rule(self.rule)
        if self.competition is None:
            competition = _default_competition()
        else:
            competition = make_competition(self.competition)
        competition._check()
        encoder = (
            _default_encoder() if self.encoder is None else make_encoder(self.encoder)
        )
        encoder._check_params(self.dt)  # now, not in a worker
        if self.transform_encoder is None:
            transform_encoder = encoder
        else:
            transform_encoder = make_encoder(
                self.transform_encoder, name="transform_encoder"
            )
            transform_encoder._check_params(self.dt)
        norm = self.norm
        if norm == "auto":
            norm = _AUTO_NORM_PER_INPUT * conn.patch_size
        layer = Layer(
            conn,
            neuron=neuron,
            competition=competition,
            rule=rule,
            w_min=0.0,
            w_max=self.w_max,
            norm=norm,
            lateral_rule=self.lateral_rule,
        )
        layer._parts()  # validate the layer's own parameters now
        layer._lateral_rule()
        return layer, encoder, image_shape, transform_encoder

    def _engine(self) -> str:
        """``engine`` with "auto" resolved against the global configuration, so
        that joblib's worker processes follow the caller's."""
        return get_config()["engine"] if self.engine == "auto" else self.engine

    def _transform_steps(self) -> int:
        """Time steps of a presentation in ``transform``."""
        if self.transform_timesteps is None:
            return self.n_timesteps
        return self.transform_timesteps

    def _pooling(self, layer):
        """The pooling window and stride in locations of ``layer``'s grid, or
        None (validated; "auto" resolved)."""
        grid = layer.connectivity.output_grid
        pooling, stride = self.pooling, self.pooling_stride
        if pooling == "auto":
            if not isinstance(layer.connectivity, Conv2D):
                return None
            pooling = tuple(max(1, n // 3) for n in grid)
            if stride is None:
                stride = 1
        return resolve_pooling(pooling, stride, grid)

    # -- learning --------------------------------------------------------------
    def _validate_X(self, X, reset: bool):
        """``X`` as a 2-D float array, and the shape of its images when it was
        given as ``(n_samples, height, width[, channels])`` (else None)."""
        images = None
        if isinstance(X, np.ndarray) and X.ndim in (3, 4):
            images = X.shape[1:]
            if min(X.shape) > 0:
                X = X.reshape(len(X), -1)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=reset)
        if X.size and X.min() < 0:
            raise ValueError(
                "Negative values in data passed to X: intensities must be "
                f"non-negative, found minimum {float(X.min())!r}"
            )
        if not reset and images is not None:
            fitted = self.image_shape_[: len(images)]
            if tuple(images) != tuple(fitted):
                raise ValueError(
                    f"X holds images of shape {tuple(images)} but the model was "
                    f"fitted on images of shape {self.image_shape_}"
                )
        return X, images

    def _atomic(self, method, *args):
        """Run ``method``; if it raises (or is interrupted), restore every
        attribute as it was, the random generator's state included (the only
        attribute a call changes in place; the others it replaces)."""
        saved = dict(self.__dict__)
        rng = saved.get("_rng")
        rng_state = None if rng is None else copy.deepcopy(rng.bit_generator.state)
        try:
            return method(*args)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            if rng is not None:
                rng.bit_generator.state = rng_state
            raise

    def fit(self, X, y=None):
        """Learn the weights from X, from scratch, over ``n_epochs`` passes.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, height, width)
            Non-negative intensities: flattened images or tabular data, or
            images as an array of shape ``(n_samples, height, width[,
            channels])``.
        y : array-like of shape (n_samples,) or None, default=None
            Labels, read by the reward-modulated rules ("mstdp", "mstdpet",
            "rstdp"), which reward the decisions that match them (see Notes);
            ignored by the other rules, accepted for pipelines.

        Returns
        -------
        self : SpikingFeatureLearner
        """
        return self._atomic(self._fit, X, True, y)

    def partial_fit(self, X, y=None, classes=None):
        """Continue learning from X (one pass, in batches of ``batch_size``).

        The first call initialises the model as ``fit`` would; the random state
        carries over between calls, so that ``partial_fit`` over the batches of X
        gives the same model as one epoch of ``fit``. ``y`` is read by the
        reward-modulated rules only (see :meth:`fit`); ``classes``, the
        classes of all the calls, assigns the filters to them at the first
        call with labels (default: the classes of that call's ``y``).
        """
        return self._atomic(self._fit, X, not hasattr(self, "weights_"), y, classes)

    def _labels(self, layer, y, classes, n_samples: int, reset: bool):
        """For a layer whose rule reads a reward: ``(index, filter_classes)``,
        the index into ``reward_classes_`` of each label and the class of
        each filter (assigned at the first call with labels); without labels
        ``(ones, None)``: every presentation rewarded, with a warning. None
        for other rules."""
        _, _, rule = layer._parts()
        lateral = layer._lateral_rule()
        reads = (*(rule.reads() if rule else ()), *(lateral.reads() if lateral else ()))
        if "reward" not in reads:
            return None
        name = type(rule if rule is not None else lateral).__name__
        if y is None:
            warnings.warn(
                f"the rule {name} is reward-modulated but fit got no labels (y): "
                "every presentation is rewarded (+1), so it learns as its "
                "unmodulated form; pass y to reward the decisions that match "
                "the labels",
                UserWarning,
                stacklevel=5,  # the caller of fit or partial_fit
            )
            return np.ones(n_samples, np.intp), None
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != n_samples:
            raise ValueError(
                f"y must hold one label per sample of X ({n_samples}), got shape "
                f"{y.shape}"
            )
        check_classification_targets(y)
        if reset or not hasattr(self, "reward_classes_"):
            known = np.unique(y) if classes is None else np.unique(classes)
            n_filters = layer.connectivity.n_filters
            if n_filters < len(known):
                raise ValueError(
                    f"the reward-modulated rule {name} assigns the filters to the "
                    f"{len(known)} classes in equal shares: n_filters must be at "
                    f"least {len(known)}, got {n_filters}"
                )
            self.reward_classes_ = known
            self.filter_classes_ = np.arange(n_filters) * len(known) // n_filters
        index = np.searchsorted(self.reward_classes_, y)
        index = np.minimum(index, len(self.reward_classes_) - 1)
        unknown = self.reward_classes_[index] != y
        if unknown.any():
            raise ValueError(
                f"y holds labels not among the classes {self.reward_classes_!r} "
                f"the filters were assigned to, e.g. {y[unknown][0]!r}: give every "
                "class to the first partial_fit (classes=...)"
            )
        return index, self.filter_classes_

    def _reward(self, layer, params, steps, labels):
        """Each sample's reward, +1 if the filter with the most spikes (over
        the presentation of ``steps`` without learning, and over locations) is
        assigned to its label's class, -1 if not, 0 if no filter spiked."""
        index, filter_classes = labels
        if filter_classes is None:  # no labels: every presentation rewarded
            return np.ones(len(index))
        counts = simulate(
            [layer], [params], steps, dt=self.dt, engine=self._engine()
        ).counts[0]  # (B, L, F)
        per_filter = counts.sum(axis=1)  # (B, F)
        decision = np.argmax(per_filter, axis=1)  # ties: the lower filter
        reward = np.where(filter_classes[decision] == index, 1.0, -1.0)
        reward[per_filter.max(axis=1) == 0] = 0.0  # no spike, no decision
        return reward

    def _fit(self, X, reset: bool, y=None, classes=None):
        X, images = self._validate_X(X, reset=reset)
        hint = images if reset else self.image_shape_
        layer, encoder, image_shape, _ = self._build(X.shape[1], hint)
        grid = self._transform_layer(layer).connectivity.output_grid
        pooling = self._pooling(self._transform_layer(layer))
        if reset:
            for name in ("reward_classes_", "filter_classes_"):
                self.__dict__.pop(name, None)  # assigned again from these labels
        labels = self._labels(layer, y, classes, len(X), reset)
        if reset:
            rng = check_rng(self.random_state)
            params = layer.initial_params(rng, SIMULATION_DTYPE)
            self.image_shape_ = image_shape
            self.input_scale_ = self._learn_scale(X, image_shape)
            self.transform_seed_ = int(rng.integers(2**63))
            self.n_samples_seen_ = 0
            self._rng = rng
            n_epochs = self.n_epochs
        else:
            params = LayerParams(
                self.weights_,
                self.thresholds_,
                getattr(self, "lateral_weights_", None),
            )
            rng = self._rng
            if self.input_scale_ is None:  # every batch so far was all zero
                self.input_scale_ = self._learn_scale(X, self.image_shape_)
            n_epochs = 1
        self.layer_ = layer
        Xs = self._scale(X)
        engine = self._engine()
        with self._progress(n_epochs * len(X), "fit") as bar:
            for _ in range(n_epochs):
                for start in range(0, len(Xs), self.batch_size):
                    batch = Xs[start : start + self.batch_size]
                    seeds = rng.integers(2**63, size=len(batch))
                    reward = None
                    if labels is not None:  # the decision first, then learning
                        stop = start + len(batch)
                        batch_labels = (labels[0][start:stop], labels[1])
                        steps = encoder.steps(batch, self.n_timesteps, self.dt, seeds)
                        reward = self._reward(layer, params, steps, batch_labels)
                    steps = encoder.steps(batch, self.n_timesteps, self.dt, seeds)
                    params = simulate(
                        [layer],
                        [params],
                        steps,
                        learn=True,
                        dt=self.dt,
                        update_every=self.update_every,
                        engine=engine,
                        reward=reward,
                    ).params[0]
                    bar.update(len(batch))
        self.weights_ = params.weights
        self.thresholds_ = params.theta
        self.lateral_weights_ = params.lateral
        self.n_samples_seen_ += n_epochs * len(X)
        self.pool_grid_ = pooled_grid(grid, pooling)
        self._n_features_out = (
            self.pool_grid_[0] * self.pool_grid_[1] * layer.connectivity.n_filters
        )
        return self

    def _transform_layer(self, layer):
        """The layer ``transform`` simulates: ``layer`` (from ``_build``), or the
        same layer with its receptive fields at ``transform_stride``."""
        if self.transform_stride is None:
            return layer
        stride = check_pair(self.transform_stride, "transform_stride")
        conn = clone(layer.connectivity).set_params(stride=stride)
        return clone(layer).set_params(connectivity=conn)

    def _transform_thresholds(self, conn):
        """``thresholds_`` on the locations of ``conn`` (``transform``'s layer):
        each takes those of the learned location nearest to it."""
        if self.thresholds_ is None or self.transform_stride is None:
            return self.thresholds_
        fitted = self.layer_.connectivity  # strides are pairs, from _build
        rows, cols = (
            _nearest_positions(
                conn.output_grid[axis],
                conn.stride[axis],
                fitted.output_grid[axis],
                fitted.stride[axis],
            )
            for axis in (0, 1)
        )
        theta = self.thresholds_.reshape(*fitted.output_grid, -1)
        return theta[rows][:, cols].reshape(conn.n_locations, -1)

    def _learn_scale(self, X, image_shape) -> np.ndarray | float | None:
        """``input_scale``, or the maximum of ``X`` (None if ``X`` is all zero:
        an all-zero batch does not fix the scale)."""
        if self.input_scale is not None:
            return float(self.input_scale)
        if not X.size or not X.max() > 0:
            return None
        if image_shape[0] == 1 and self.image_shape is None:
            scale = X.max(axis=0)  # tabular: each feature on its own scale
            return np.where(scale > 0, scale, 1.0).astype(X.dtype)
        return float(X.max())

    def _scale(self, X) -> np.ndarray:
        """``X`` divided by ``input_scale_`` and clipped to [0, 1], with a
        warning for data above the scale or far below it."""
        scale = 1.0 if self.input_scale_ is None else self.input_scale_
        scale = np.asarray(scale, dtype=X.dtype)
        if X.size:
            above = int(np.count_nonzero(X > scale))
            if above:
                warnings.warn(
                    f"{above} of the {X.size} values of X ({above / X.size:.2%}) "
                    f"are above input_scale_ (largest {float(X.max())!r}, scale "
                    f"{_describe(scale)}) and are clipped to it: scale X as the "
                    "data the model was fitted on, or set input_scale",
                    ScaleWarning,
                    stacklevel=3,
                )
            elif scale.ndim == 0 and 0 < X.max() < 0.1 * scale:
                warnings.warn(
                    f"the largest value of X, {float(X.max())!r}, is below a tenth "
                    f"of input_scale_ ({float(scale)!r}): its inputs will spike "
                    "little or not at all; scale X as the data the model was "
                    "fitted on, or set input_scale",
                    ScaleWarning,
                    stacklevel=3,
                )
        Xs = X / scale
        np.clip(Xs, 0.0, 1.0, out=Xs)
        return Xs

    def _progress(self, total: int, what: str):
        from tqdm.auto import tqdm

        return tqdm(
            total=total,
            unit="sample",
            desc=what,
            disable=self.verbose <= 0,
            leave=False,
        )

    # -- features --------------------------------------------------------------
    def transform(self, X):
        """Spike count of every output neuron for each sample (learning off).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, height, width)
            Non-negative intensities; images may also come as an array of shape
            ``(n_samples, height, width[, channels])``.

        Returns
        -------
        counts : ndarray of shape (n_samples, n_features_out)
            Spike counts, in the dtype of X (float32 or float64). Without pooling
            ``n_features_out = n_locations * n_filters``, ordered location-major
            (all filters of location 0 first); with pooling, the summed counts of
            each window, window-major in the same way (``pool_grid_`` windows).
        """
        check_is_fitted(self, "weights_")
        X, _ = self._validate_X(X, reset=False)
        layer, _, _, encoder = self._build(X.shape[1], self.image_shape_)
        layer = self._transform_layer(layer)
        grid = layer.connectivity.output_grid
        pooling = self._pooling(layer)
        pool_grid = pooled_grid(grid, pooling)
        if pool_grid != self.pool_grid_:
            raise ValueError(
                f"pooling={self.pooling!r}, pooling_stride={self.pooling_stride!r}, "
                f"transform_stride={self.transform_stride!r} give a pooling grid "
                f"{pool_grid} but the model was fitted with {self.pool_grid_}; "
                "refit after changing pooling, pooling_stride or transform_stride"
            )
        Xs = self._scale(X)
        seeds = _row_seeds(X, self.transform_seed_)
        params = LayerParams(
            self.weights_,
            self._transform_thresholds(layer.connectivity),
            getattr(self, "lateral_weights_", None),
        )
        # Inference needs no batch for learning: larger chunks spread the
        # per-step work of the simulator over more samples, as long as a step's
        # neuron state stays small enough for the processor's cache.
        n_neurons = layer.connectivity.n_outputs
        engine = self._engine()
        budget = TRANSFORM_NEURONS
        if resolve_engine(engine, layer, learn=False) == "numba":
            budget = TRANSFORM_NEURONS_COMPILED
        chunk = max(1, min(TRANSFORM_CHUNK, budget // n_neurons))
        bounds = [(s, min(s + chunk, len(Xs))) for s in range(0, len(Xs), chunk)]

        n_timesteps = self._transform_steps()
        n_jobs = self.n_jobs if self.n_jobs is not None else 1

        # The compiled engine's threads take the cores of the process; in
        # joblib's worker processes, their share (joblib sets NUMBA_NUM_THREADS).
        def run(X_chunk, seeds_chunk):  # a worker receives its chunk only
            steps = encoder.steps(X_chunk, n_timesteps, self.dt, seeds_chunk)
            result = simulate([layer], [params], steps, dt=self.dt, engine=engine)
            counts = result.counts[0]
            return pool(counts, grid, pooling)  # (B, n_features_out)

        if n_jobs == 1 or len(bounds) == 1:
            with self._progress(len(Xs), "transform") as bar:
                parts = []
                for lo, hi in bounds:
                    parts.append(run(Xs[lo:hi], seeds[lo:hi]))
                    bar.update(hi - lo)
        else:
            # No memmapping of the arguments (joblib's default above 1 MB): every
            # task would share the model's weights through a temporary file
            # whose clean-up cost about 1 s per call, more than a DC400 network
            # takes for 1,000 samples; pickling them costs ~1 ms per MB instead.
            parts = Parallel(n_jobs=n_jobs, max_nbytes=None)(
                delayed(run)(Xs[lo:hi], seeds[lo:hi]) for lo, hi in bounds
            )
        n_out = self._n_features_out
        out = np.concatenate(parts) if parts else np.empty((0, n_out))
        return out.astype(X.dtype, copy=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class SpikeCountClassifier(ClassifierMixin, BaseEstimator):
    """Label-assignment readout of Diehl & Cook (2015).

    Each feature (neuron) is assigned to the class for which its mean response
    over the training samples is highest. A sample is predicted to be the class
    whose assigned features respond most on average. With
    ``weighting="proportion"`` every feature votes for every class in proportion
    to the share of its responses that class received (the "proportion
    weighting" of BindsNET's Diehl & Cook reproduction).

    Parameters
    ----------
    weighting : {"assignment", "proportion"}, default="assignment"

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    assignments_ : ndarray of shape (n_features,)
        Index into ``classes_`` of each feature's class.
    class_rates_ : ndarray of shape (n_classes, n_features)
        Mean response of each feature to each class.
    proportions_ : ndarray of shape (n_classes, n_features)
        ``class_rates_`` normalised over classes.

    References
    ----------
    .. [1] Diehl, P. U. & Cook, M. (2015). Unsupervised learning of digit
       recognition using spike-timing-dependent plasticity. Front. Comput.
       Neurosci. 9:99.
    """

    _parameter_constraints = {"weighting": Options("assignment", "proportion")}

    def __init__(self, weighting="assignment"):
        self.weighting = weighting

    def fit(self, X, y):
        """Assign each feature to the class it responds to most."""
        validate_params(self, self._parameter_constraints)
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32])
        check_classification_targets(y)
        classes, y_index = np.unique(y, return_inverse=True)
        rates = np.zeros((len(classes), X.shape[1]))
        np.add.at(rates, y_index, X)  # (C, n_features) sums
        rates /= np.bincount(y_index, minlength=len(classes))[:, None]
        total = rates.sum(axis=0, keepdims=True)
        self.classes_ = classes
        self.class_rates_ = rates
        self.proportions_ = np.divide(
            rates, total, out=np.zeros_like(rates), where=total > 0
        )
        self.assignments_ = np.argmax(rates, axis=0)
        return self

    def decision_function(self, X):
        """Score of each class: the mean response of its assigned features
        (``"assignment"``) or the proportion-weighted sum of responses."""
        check_is_fitted(self, "assignments_")
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        n_classes = len(self.classes_)
        if self.weighting == "proportion":
            scores = X @ self.proportions_.T  # (n, C)
            scores /= max(X.shape[1], 1)
        else:
            onehot = np.zeros((X.shape[1], n_classes))
            onehot[np.arange(X.shape[1]), self.assignments_] = 1.0  # (n_features, C)
            n_assigned = onehot.sum(axis=0)
            scores = (X @ onehot) / np.maximum(n_assigned, 1)  # (n, C) mean response
        if n_classes == 2:
            return scores[:, 1] - scores[:, 0]
        return scores

    def _scores(self, X):
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return np.column_stack([np.zeros_like(scores), scores])
        return scores

    def predict(self, X):
        """Class whose assigned features respond most (ties: first class)."""
        check_is_fitted(self, "assignments_")
        return self.classes_[np.argmax(self._scores(X), axis=1)]

    def predict_proba(self, X):
        """Class scores shifted to be non-negative and normalised to sum to 1
        (uniform where no feature responded)."""
        scores = self._scores(X)
        scores = scores - scores.min(axis=1, keepdims=True)
        total = scores.sum(axis=1, keepdims=True)
        n_classes = scores.shape[1]
        return np.divide(
            scores, total, out=np.full_like(scores, 1.0 / n_classes), where=total > 0
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags
