"""Exact skipping of quiet neurons (the numpy engine's quiet windows): the same
spikes as stepping every neuron, and the closed forms it rests on."""

import numpy as np
import pytest

from stdp_lab.competition import Competition
from stdp_lab.connectivity import Conv2D, Dense, LocallyConnected2D
from stdp_lab.encoding import PoissonEncoder
from stdp_lab.network import Layer, LayerParams, SimulationOptions, simulate
from stdp_lab.neurons import IF, LIF, AdaptiveLIF, Izhikevich
from stdp_lab.plasticity import DiehlCookSTDP, PairSTDP
from stdp_lab.presets import diehl_cook_neuron

IMAGE = (8, 8)


def connectivity(kind, n_filters=6):
    if kind == "dense":
        return Dense(IMAGE, n_filters=n_filters)
    if kind == "local":
        return LocallyConnected2D(IMAGE, kernel_size=4, stride=2, n_filters=n_filters)
    return Conv2D(IMAGE, kernel_size=4, stride=2, n_filters=n_filters)


NEURONS = {
    "lif": lambda: LIF(
        tau_mem=20.0,
        v_rest=-65.0,
        v_reset=-64.0,
        v_thresh=-58.0,
        t_ref=2.0,
        resistance=20.0,
    ),
    "lif_no_refractory": lambda: LIF(tau_mem=10.0, v_thresh=0.5, t_ref=0.0),
    "if": lambda: IF(v_thresh=2.0, v_reset=0.0, t_ref=1.0),
    "adaptive": lambda: AdaptiveLIF(
        tau_mem=30.0, v_thresh=0.6, t_ref=3.0, theta_plus=0.2, tau_theta=50.0
    ),
}


COMPETITIONS = {
    "wta": lambda: Competition(k=1, inhibition=5.0),
    "soft": lambda: Competition(inhibition=2.0),
    "between": lambda: Competition(
        k=1, inhibition=4.0, inhibition_between=1.0, neighbourhood=1
    ),
    "none": lambda: Competition(),
}


#: The tests' layers are small: let them use the windows anyway.
QUIET = SimulationOptions(quiet_min_neurons=0)
#: Every neuron at every step, the reference.
PLAIN = SimulationOptions(quiet_steps=0)


def skipped(result, layer=0):
    """Neuron-steps advanced in closed form and stepped, or None without windows."""
    info = result.info[layer]
    if "neuron_steps_skipped" not in info:
        return None
    return info["neuron_steps_skipped"], info["neuron_steps_stepped"]


def run(layers, params, X, n_steps=60, seed=0, options=QUIET):
    steps = PoissonEncoder(max_rate=300.0).steps(
        X, n_steps, 1.0, np.arange(len(X)) + seed
    )
    return simulate(layers, params, steps, engine="numpy", options=options)


def layer_and_params(kind, neuron, competition, seed=0, scale=1.0):
    layer = Layer(
        connectivity(kind),
        neuron=NEURONS[neuron](),
        competition=COMPETITIONS[competition](),
    )
    rng = np.random.default_rng(seed)
    params = layer.initial_params(rng)
    weights = params.weights * scale
    theta = None
    if params.theta is not None:  # learned thresholds, some negative
        theta = rng.uniform(-0.1, 0.3, size=params.theta.shape)
    return layer, LayerParams(weights, theta)


@pytest.mark.parametrize("kind", ["dense", "local", "conv"])
@pytest.mark.parametrize("neuron", list(NEURONS))
@pytest.mark.parametrize("competition", list(COMPETITIONS))
@pytest.mark.parametrize("fraction", [1.0, 0.3])
def test_skipping_gives_the_spikes_of_stepping_every_neuron(
    kind, neuron, competition, fraction
):
    """Counts equal, in float64, to the layer stepped neuron by neuron, with windows
    that straddle chunks of currents (chunks of 7 steps, windows of 5); every
    window after the first compact (fraction 1), or some stepped in full."""
    layer, params = layer_and_params(kind, neuron, competition, scale=4.0)
    X = np.random.default_rng(1).uniform(0, 1, size=(5, 64))
    reference = run([layer], [params], X, options=PLAIN).counts[0]
    row_bytes = 5 * connectivity(kind).n_locations * 6 * 8
    options = SimulationOptions(
        quiet_min_neurons=0,
        quiet_steps=5,
        all_active_fraction=fraction,
        current_chunk_bytes=7 * row_bytes,
    )
    result = run([layer], [params], X, options=options)
    assert reference.sum() > 20
    np.testing.assert_array_equal(result.counts[0], reference)
    assert skipped(result) is not None


@pytest.mark.parametrize("kind", ["dense", "local"])
def test_strong_inhibition_lets_most_neurons_skip(kind):
    """With Diehl & Cook-like inhibition almost every neuron is quiet after the
    first winners, and the counts still equal those of full stepping; a second
    layer sees the same spikes."""
    layer = Layer(
        connectivity(kind, n_filters=20),
        neuron=diehl_cook_neuron(),
        competition=Competition(k=1, inhibition=120.0),
    )
    params = layer.initial_params(np.random.default_rng(2))
    second = Layer(
        Dense((*layer.connectivity.output_grid, 20), n_filters=3),
        neuron=IF(v_thresh=0.3),
    )
    params2 = second.initial_params(np.random.default_rng(3))
    X = np.random.default_rng(4).uniform(0, 1, size=(6, 64))
    layers, both = [layer, second], [params, params2]
    reference = run(layers, both, X, n_steps=150, options=PLAIN).counts
    result = run(layers, both, X, n_steps=150)
    counts = result.counts
    assert reference[0].sum() > 30 and reference[1].sum() > 0
    np.testing.assert_array_equal(counts[0], reference[0])
    np.testing.assert_array_equal(counts[1], reference[1])
    n_skipped, n_stepped = skipped(result)
    assert n_skipped > 0.3 * (n_skipped + n_stepped)


@pytest.mark.parametrize(
    "change",
    [
        "stepped_rule",
        "learn_negative",
        "record",
        "kwta",
        "negative",
        "per_neuron",
        "izhikevich",
        "small",
    ],
)
def test_skipping_is_off_where_the_closed_form_does_not_hold(change):
    """A rule that reads traces at every step, weights that may turn negative,
    recording, k > 1, per-neuron parameters or a nonlinear model: every neuron
    is stepped."""
    options = QUIET
    if change == "small":  # 3 samples x 6 neurons: the windows do not pay
        options = SimulationOptions(quiet_min_neurons=19)
    competition = Competition(k=3 if change == "kwta" else 1, inhibition=5.0)
    neuron = LIF(tau_mem=10.0, v_thresh=0.5)
    if change == "per_neuron":
        neuron = LIF(tau_mem=np.linspace(5.0, 20.0, 6), v_thresh=0.5)
    if change == "izhikevich":
        neuron = Izhikevich()
    layer = Layer(
        connectivity("dense"),
        neuron=neuron,
        competition=competition,
        rule="bcm" if change == "stepped_rule" else "stdp",
        w_min=-1.0 if change in ("learn_negative", "negative") else 0.0,
    )
    params = layer.initial_params(np.random.default_rng(0))
    if change == "negative":
        params = LayerParams(params.weights - 0.05)
    X = np.random.default_rng(1).uniform(0, 1, size=(3, 64))
    steps = PoissonEncoder().steps(X, 20, 1.0)
    result = simulate(
        [layer],
        [params],
        steps,
        learn=change in ("stepped_rule", "learn_negative"),
        record=("v",) if change == "record" else (),
        engine="numpy",
        options=options,
    )
    assert skipped(result) is None


@pytest.mark.parametrize("kind", ["dense", "local", "conv"])
@pytest.mark.parametrize("rule", [PairSTDP(0.05, 0.04), DiehlCookSTDP(0.05)])
@pytest.mark.parametrize("update_every", [None, 12])
def test_skipping_while_learning_gives_the_same_weights(kind, rule, update_every):
    """Learning with pair sums and adaptive thresholds shared by the batch:
    counts, weights and thresholds equal those of stepping every neuron."""
    layer = Layer(
        connectivity(kind, n_filters=12),
        neuron=diehl_cook_neuron().set_params(theta_plus=0.5),
        competition=Competition(k=1, inhibition=120.0),
        rule=rule,
    )
    params = layer.initial_params(np.random.default_rng(0))
    X = np.random.default_rng(1).uniform(0, 1, size=(5, 64))
    results = []
    for window in (0, 6):
        steps = PoissonEncoder(max_rate=300.0).steps(X, 120, 1.0, np.arange(5))
        options = SimulationOptions(quiet_min_neurons=0, quiet_steps=window)
        results.append(
            simulate(
                [layer],
                [params],
                steps,
                learn=True,
                update_every=update_every,
                engine="numpy",
                options=options,
            )
        )
    reference, windowed = results
    assert reference.counts[0].sum() > 20
    np.testing.assert_array_equal(windowed.counts[0], reference.counts[0])
    for got, want in zip(windowed.params[0], reference.params[0], strict=True):
        if want is None:  # no learned thresholds or lateral inhibition
            assert got is None
            continue
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    assert not np.allclose(reference.params[0].weights, params.weights)
    n_skipped, n_stepped = skipped(windowed)
    assert n_skipped > 0.3 * (n_skipped + n_stepped)


@pytest.mark.parametrize("neuron", list(NEURONS))
def test_advance_equals_steps_without_spikes(neuron):
    """The closed form of n silent steps equals n steps of the model (float64)."""
    model = NEURONS[neuron]()
    rng = np.random.default_rng(0)
    shape, n = (3, 2, 4), 9
    state = model.initial_state(shape)
    state.v[...] -= rng.uniform(1.0, 3.0, size=shape)  # well below threshold
    if hasattr(state, "theta"):
        state.theta[...] = rng.uniform(-0.2, 0.5, size=shape)
    current = rng.uniform(0.0, 0.02, size=(n, *shape))
    prepared = model._prepared(1.0, np.dtype(np.float64), shape[1:])
    decay = float(model._linear(prepared)[0])
    drive = sum(decay ** (n - 1 - s) * current[s] for s in range(n)).reshape(-1)
    closed = type(state)(*(a.copy() for a in state))
    model._advance(closed, drive, n, prepared)
    for s in range(n):
        spikes, state = model.step(state, current[s], 1.0)
        assert not spikes.any()
    for got, want in zip(closed, state, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_threshold_floor_is_the_lowest_threshold_of_the_window():
    model = NEURONS["adaptive"]()
    state = model.initial_state((2, 5))
    state.theta[...] = np.array([[-0.3, -0.1, 0.0, 0.1, 0.4]] * 2)
    prepared = model._prepared(1.0, np.dtype(np.float64), (5,))
    n = 30
    floor = model._threshold_floor(state, prepared, n)
    thresholds = [model.v_thresh + state.theta.copy()]  # the window's start too
    for _ in range(n):  # no input: no spikes, theta only decays
        model.step(state, 0.0, 1.0)
        thresholds.append(model.v_thresh + state.theta.copy())
    lowest = np.min(thresholds, axis=0)
    np.testing.assert_allclose(floor, lowest, rtol=1e-12)
