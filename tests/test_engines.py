"""The compiled (numba) engine against the numpy engine, the reference: the same
spikes and potentials bit for bit where both sum in the same order, the same
learned weights within a stated tolerance, the fallback and the refusal for
parts without a compiled form, and determinism across threads and groups."""

import numpy as np
import pytest

import stdp_lab
import stdp_lab.plasticity
from stdp_lab.competition import Competition
from stdp_lab.connectivity import Conv2D, Dense, LocallyConnected2D
from stdp_lab.encoding import LatencyEncoder, PoissonEncoder
from stdp_lab.network import (
    Layer,
    LayerParams,
    SimulationOptions,
    measure_stdp_window,
    resolve_engine,
    simulate,
)
from stdp_lab.neurons import IF, LIF, AdaptiveLIF, Izhikevich
from stdp_lab.plasticity import (
    BCM,
    MSTDP,
    MSTDPET,
    RSTDP,
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
    make_rule,
)
from stdp_lab.presets import diehl_cook_neuron

pytest.importorskip("numba")

IMAGE = (8, 8)
#: The numpy engine's plain path: every neuron at every step, the rule's
#: per-step definition. (Its exact shortcuts agree with it up to rounding.)
PLAIN = SimulationOptions.plain()


def connectivity(kind, n_filters=6):
    if kind == "dense":
        return Dense(IMAGE, n_filters=n_filters)
    if kind == "local":
        return LocallyConnected2D(IMAGE, kernel_size=4, stride=2, n_filters=n_filters)
    return Conv2D(IMAGE, kernel_size=4, stride=2, n_filters=n_filters)


NEURONS = {
    "lif": lambda: LIF(
        tau_mem=20.0, v_rest=-65.0, v_reset=-64.0, v_thresh=-58.0, resistance=20.0
    ),
    "lif_per_neuron": lambda: LIF(tau_mem=np.linspace(5.0, 30.0, 6), v_thresh=0.5),
    "if": lambda: IF(v_thresh=2.0, t_ref=1.0),
    "adaptive": lambda: AdaptiveLIF(
        tau_mem=30.0, v_thresh=0.6, t_ref=3.0, theta_plus=0.2, tau_theta=50.0
    ),
    # per-neuron time scales and jumps of u; 4 Euler sub-steps per 1 ms step
    "izhikevich": lambda: Izhikevich(
        a=np.linspace(0.02, 0.1, 6), d=np.linspace(2.0, 8.0, 6)
    ),
}
#: Weight scale of the inference test: the Izhikevich model's current is in its
#: own units (about 10 makes it fire).
WEIGHT_SCALE = {"izhikevich": 20.0}

COMPETITIONS = {
    "none": lambda: Competition(),
    "soft": lambda: Competition(inhibition=2.0),
    "wta": lambda: Competition(k=1, inhibition=5.0),
    "kwta": lambda: Competition(k=2, inhibition=1.0),
    "between": lambda: Competition(
        k=1, inhibition=4.0, inhibition_between=1.0, neighbourhood=1
    ),
}


def steps(X, n_steps=60, max_rate=300.0, seed=0):
    return PoissonEncoder(max_rate=max_rate).steps(
        X, n_steps, 1.0, np.arange(len(X)) + seed
    )


def both(layers, params, X, n_steps=60, **kwargs):
    """The same simulation on the numpy engine's plain path and on numba."""
    ref = simulate(layers, params, steps(X, n_steps), engine="numpy", **kwargs)
    kwargs.pop("options", None)
    got = simulate(layers, params, steps(X, n_steps), engine="numba", **kwargs)
    assert [info["engine"] for info in got.info] == ["numba"] * len(layers)
    return ref, got


@pytest.mark.parametrize("kind", ["dense", "local", "conv"])
@pytest.mark.parametrize("neuron", list(NEURONS))
@pytest.mark.parametrize("competition", list(COMPETITIONS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_inference_gives_the_same_spikes_and_potentials(
    kind, neuron, competition, dtype
):
    """Every spike and every membrane potential of every step equal, bit for bit."""
    layer = Layer(
        connectivity(kind),
        neuron=NEURONS[neuron](),
        competition=COMPETITIONS[competition](),
    )
    rng = np.random.default_rng(0)
    params = layer.initial_params(rng, dtype)
    theta = None
    if params.theta is not None:  # learned thresholds, some negative
        theta = rng.uniform(-0.1, 0.3, size=params.theta.shape).astype(dtype)
    params = LayerParams(params.weights * WEIGHT_SCALE.get(neuron, 4.0), theta)
    X = np.random.default_rng(1).uniform(0, 1, size=(5, 64))
    ref, got = both([layer], [params], X, record=("spikes", "v"), options=PLAIN)
    assert ref.counts[0].sum() > 20
    np.testing.assert_array_equal(got.counts[0], ref.counts[0])
    np.testing.assert_array_equal(got.records["spikes"][0], ref.records["spikes"][0])
    np.testing.assert_array_equal(got.records["v"][0], ref.records["v"][0])
    assert got.records["v"][0].dtype == dtype


RULES = {
    "pair": lambda: PairSTDP(0.05, 0.04),
    "pair_nearest_mult": lambda: PairSTDP(
        0.05,
        0.04,
        tau_pre=7.0,
        tau_post=5.0,
        pairing="nearest",
        weight_dependence="multiplicative",
    ),
    "diehl_cook": lambda: DiehlCookSTDP(0.05),
    "diehl_cook_mu": lambda: DiehlCookSTDP(0.01, x_tar=0.3, mu=0.5),
}


@pytest.mark.parametrize("kind", ["dense", "local", "conv"])
@pytest.mark.parametrize("rule", list(RULES))
@pytest.mark.parametrize("update_every", [None, 1, 12])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_learning_gives_the_same_spikes_weights_and_thresholds(
    kind, rule, update_every, dtype
):
    """Learning a batch that shares its adaptive thresholds: the same spikes and
    thresholds exactly; the same weights up to the rounding of sums that the
    engines add in different orders: a float32 ulp or two per update (they
    add up over updates); in float64, the numpy engine's pair sums are exact
    to about 1e-16 * exp(pair_rebase_taus) (see SimulationOptions)."""
    layer = Layer(
        connectivity(kind, n_filters=12),
        neuron=diehl_cook_neuron().set_params(theta_plus=0.5),
        competition=Competition(k=1, inhibition=120.0),
        rule=RULES[rule](),
    )
    params = layer.initial_params(np.random.default_rng(0), dtype)
    X = np.random.default_rng(1).uniform(0, 1, size=(5, 64))
    ref, got = both(
        [layer],
        [params],
        X,
        n_steps=120,
        learn=True,
        update_every=update_every,
        options=SimulationOptions(quiet_steps=0),
    )
    assert ref.counts[0].sum() > 30
    np.testing.assert_array_equal(got.counts[0], ref.counts[0])
    np.testing.assert_array_equal(got.params[0].theta, ref.params[0].theta)
    change = np.abs(ref.params[0].weights - params.weights).max()
    assert change > 0.05
    n_updates = 120 // (update_every or 120)
    tolerance = 4 * np.finfo(np.float32).eps * n_updates
    if dtype == np.float64:
        tolerance = 1e-16 * np.exp(SimulationOptions().pair_rebase_taus)
    np.testing.assert_allclose(
        got.params[0].weights, ref.params[0].weights, rtol=0, atol=tolerance
    )
    assert got.params[0].weights.dtype == dtype


#: Rules the numpy engine steps (their ``delta`` at every step, on traces in the
#: weights' dtype); the compiled engine sums them in float64.
STEPPED_RULES = {
    "triplet": lambda: TripletSTDP(
        a2_plus=0.002, a3_plus=0.003, a2_minus=0.002, a3_minus=0.001, tau_x=30.0
    ),
    "simplified": lambda: SimplifiedSTDP(0.02, 0.015),
    "simplified_window": lambda: SimplifiedSTDP(0.02, 0.015, window=7.0),
    "hebbian": lambda: Hebbian(2e-4, decay=2e-5),
    "oja": lambda: Oja(2e-4),
    "bcm": lambda: BCM(4e-4, tau_theta=50.0, theta_init=0.5),
}


@pytest.mark.parametrize("kind", ["dense", "local", "conv"])
@pytest.mark.parametrize("rule", list(STEPPED_RULES))
@pytest.mark.parametrize("update_every", [None, 1, 12])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("share", [True, False], ids=["shared_theta", "lif"])
def test_learning_with_stepped_rules(kind, rule, update_every, dtype, share):
    """Triplet, simplified STDP, Hebbian, Oja and BCM, on a batch that shares its
    adaptive thresholds (it steps serially) and on one of LIF neurons (groups of
    samples): the same spikes and thresholds exactly, the same weights within
    ``n_steps * eps(dtype)`` times the largest change.

    The numpy engine keeps these rules' traces in the weights' dtype (a trace
    is rounded once per step of its decay) and adds each step's change to a
    total in that dtype (once per step); the kernel keeps float64 traces and
    sums, rounded to the dtype once per update. Either way the numpy engine's
    error is at most about ``n_steps`` roundings relative to the quantities it
    adds, which are of the size of the change here (measured: at most a
    quarter of the tolerance, in both dtypes). The spikes would differ only if
    a weight update moved a neuron across its threshold by less than that:
    none does here (the weights are fixed between updates, so without one
    they cannot differ).
    """
    n_steps = 80
    if share:
        neuron = diehl_cook_neuron().set_params(theta_plus=0.5)
        competition = Competition(k=1, inhibition=120.0)
    else:
        neuron = LIF(tau_mem=30.0, v_thresh=0.6)
        competition = Competition(k=2, inhibition=2.0)
    layer = Layer(
        connectivity(kind, n_filters=12),
        neuron=neuron,
        competition=competition,
        rule=STEPPED_RULES[rule](),
    )
    params = layer.initial_params(np.random.default_rng(0), dtype)
    if not share:
        params = LayerParams(params.weights * 2, None)
    X = np.random.default_rng(1).uniform(0, 1, size=(5, 64))
    ref, got = both(
        [layer],
        [params],
        X,
        n_steps=n_steps,
        learn=True,
        update_every=update_every,
        options=PLAIN,
    )
    assert ref.counts[0].sum() > 20
    np.testing.assert_array_equal(got.counts[0], ref.counts[0])
    if share:
        np.testing.assert_array_equal(got.params[0].theta, ref.params[0].theta)
    learned = ref.params[0].weights
    change = np.abs(learned - params.weights).max()
    assert change > 0.02
    assert np.mean((learned == 0) | (learned == 1)) < 0.5  # mostly not clipped
    tolerance = n_steps * np.finfo(dtype).eps * change
    np.testing.assert_allclose(
        got.params[0].weights, ref.params[0].weights, rtol=0, atol=tolerance
    )
    assert got.params[0].weights.dtype == dtype


@pytest.mark.parametrize(
    "rule",
    [
        RULES["pair_nearest_mult"],
        RULES["diehl_cook_mu"],
        STEPPED_RULES["simplified"],
    ],
    ids=["pair_multiplicative", "diehl_cook_mu", "simplified"],
)
def test_soft_bounds_are_the_layers_on_both_engines(rule):
    """Rules with soft bounds read the layer's w_min and w_max on both engines:
    the same weights on both, and other weights than with bounds 0 and 1 from
    the same start."""

    def run(w_min, w_max, engine, weights=None):
        layer = Layer(
            connectivity("local", n_filters=6),
            neuron=LIF(tau_mem=30.0, v_thresh=0.6),
            competition=Competition(k=2, inhibition=2.0),
            rule=rule(),
            w_min=w_min,
            w_max=w_max,
        )
        if weights is None:
            weights = layer.initial_params(np.random.default_rng(0)).weights * 2
        X = np.random.default_rng(1).uniform(0, 1, size=(4, 64))
        out = simulate(
            [layer],
            [LayerParams(weights)],
            steps(X, 80),
            learn=True,
            engine=engine,
            options=PLAIN if engine == "numpy" else None,
        )
        return weights, out.params[0].weights

    start, ref = run(0.1, 0.7, "numpy")
    _, got = run(0.1, 0.7, "numba")
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12)
    assert ref.min() >= 0.1 and ref.max() <= 0.7
    _, unit = run(0.0, 1.0, "numpy", weights=start)
    assert np.abs(unit - ref).max() > 1e-3


def test_two_layers_and_any_input_stream():
    """A second layer fed by the first, and input given as plain arrays step by
    step (no encoder): the same counts on both engines."""
    first = Layer(
        connectivity("local"), neuron=NEURONS["adaptive"](), competition="wta"
    )
    second = Layer(
        Dense((*first.connectivity.output_grid, 6), n_filters=4),
        neuron=IF(v_thresh=0.5),
    )
    params = [
        first.initial_params(np.random.default_rng(2)),
        second.initial_params(np.random.default_rng(3)),
    ]
    params[0] = LayerParams(params[0].weights * 4, params[0].theta)
    X = np.random.default_rng(4).uniform(0, 1, size=(4, 64))
    arrays = [s.copy() for s in steps(X, 50)]
    ref = simulate([first, second], params, iter(arrays), engine="numpy", options=PLAIN)
    got = simulate([first, second], params, iter(arrays), engine="numba")
    assert ref.counts[1].sum() > 0
    for a, b in zip(ref.counts, got.counts, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "rule",
    [PairSTDP(0.05, 0.04), STEPPED_RULES["triplet"](), STEPPED_RULES["oja"]()],
    ids=["pair", "triplet", "oja"],
)
@pytest.mark.parametrize("share", [True, False], ids=["shared_theta", "groups"])
def test_deterministic_across_threads_and_runs(rule, share):
    """The same learned weights for 1 and 2 threads, bit for bit (the groups and
    the order of their sums do not depend on the threads), whether the batch
    steps serially (it shares its thresholds) or in groups of samples."""
    import numba

    layer = Layer(
        connectivity("local", n_filters=8),
        neuron=diehl_cook_neuron(),
        competition=Competition(k=1, inhibition=120.0),
        rule=rule,
    )
    params = layer.initial_params(np.random.default_rng(0), np.float32)
    if not share:
        params = params._replace(theta=None)
    X = np.random.default_rng(1).uniform(0, 1, size=(19, 64))
    results = [
        simulate(
            [layer],
            [params],
            steps(X, 80),
            learn=True,
            engine="numba",
            options=SimulationOptions(n_threads=n),
        )
        for n in (1, min(2, numba.config.NUMBA_NUM_THREADS), 1)
    ]
    assert results[0].counts[0].sum() > 100
    for other in results[1:]:
        np.testing.assert_array_equal(other.counts[0], results[0].counts[0])
        np.testing.assert_array_equal(
            other.params[0].weights, results[0].params[0].weights
        )


def pair_changes(rule, delays, dtype, engine):
    """The change of a synapse (weight 0.5) for isolated pairs, one run per
    ``delay = t_post - t_pre`` in steps, as :func:`measure_stdp_window` but in
    ``dtype``: input 0 is the synapse, input 1 makes the neuron fire."""
    layer = Layer(Dense(2, n_filters=1), neuron=IF(v_thresh=1.0), rule=rule)
    params = LayerParams(np.array([[[0.5], [1.0]]], dtype))
    changes = []
    for delay in delays:
        t_pre = abs(delay) + 1 - min(delay, 0)
        t_post = t_pre + delay
        train = np.zeros((max(t_pre, t_post) + 2, 1, 2), bool)  # (T, B, inputs)
        train[t_pre, 0, 0] = train[t_post, 0, 1] = True
        out = simulate([layer], [params], iter(train), learn=True, engine=engine)
        assert out.info[0]["engine"] == engine
        changes.append(out.params[0].weights[0, 0, 0] - params.weights[0, 0, 0])
    return np.array(changes)


def test_simplified_stdp_counts_the_inputs_the_numpy_engine_counts():
    """SimplifiedSTDP's ``window`` is read from the numpy engine's trace in the
    weights' dtype, which the kernel (float64 traces) reproduces at every age:
    here float32 counts a spike 7 steps old as "before" and float64 does not
    (exp(-7 / window) is the rule's threshold, up to rounding), and each
    engine pair agrees, bit for bit (one post spike: one change)."""
    window = 6.99929863513766
    threshold = np.exp(-1.0) * (1.0 - 1e-4)  # SimplifiedSTDP.delta's

    def trace_at_7(dtype):
        decay, trace = dtype(np.exp(-1.0 / window)), dtype(1.0)
        for _ in range(7):
            trace = trace * decay
        return trace

    assert trace_at_7(np.float32) >= threshold > trace_at_7(np.float64)
    rule = SimplifiedSTDP(0.1, 0.05, window=window)
    delays = np.arange(-2, 10)
    for dtype, n_potentiated in ((np.float32, 8), (np.float64, 7)):
        ref = pair_changes(rule, delays, dtype, "numpy")
        got = pair_changes(rule, delays, dtype, "numba")
        assert (ref > 0).sum() == n_potentiated  # delays 0 to 7 (or 6)
        np.testing.assert_array_equal(got, ref)


@pytest.mark.parametrize("name", stdp_lab.plasticity.RULES)
def test_every_rule_changes_a_pair_as_on_numpy(name):
    """Isolated pre/post pairs through the simulator (measure_stdp_window,
    float64): the same change on both engines for every built-in rule."""
    delays = np.arange(-15.0, 16.0, 3.0)
    ref = measure_stdp_window(make_rule(name), delays, engine="numpy")
    got = measure_stdp_window(make_rule(name), delays, engine="numba")
    assert np.abs(ref).max() > 0
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-18)


@pytest.mark.parametrize("name", stdp_lab.plasticity.RULES)
def test_numba_runs_every_built_in_rule_and_neuron(name):
    for neuron in (LIF(), IF(), AdaptiveLIF(), Izhikevich()):
        layer = Layer(connectivity("conv"), neuron=neuron, rule=make_rule(name))
        assert resolve_engine("numba", layer, learn=True) == "numba"


def test_a_subclass_of_a_built_in_part_runs_on_numpy():
    """A subclass may change the equations: it has no compiled form."""

    class MyOja(Oja):
        pass

    class MyIzhikevich(Izhikevich):
        pass

    layer = Layer(connectivity("dense"), neuron=LIF(v_thresh=0.5), rule=MyOja())
    with stdp_lab.config_context(engine="auto"):  # whatever pytest's --engine
        assert resolve_engine("auto", layer, learn=True) == "numpy"
        with pytest.raises(ValueError, match="rule MyOja has no compiled form"):
            resolve_engine("numba", layer, learn=True)
        assert resolve_engine("numba", layer, learn=False) == "numba"
        layer = Layer(connectivity("dense"), neuron=MyIzhikevich())
        assert resolve_engine("auto", layer) == "numpy"


class _MyRule(Rule):
    """A rule of the user's own: Hebbian on spikes (no compiled form)."""

    def __init__(self, rate=0.01):
        self.rate = rate

    def pre_traces(self):
        return (TraceSpec(10.0, "add"),)

    def post_traces(self):
        return ()

    def delta(self, pre, post, weights, state=None):
        return self.rate * np.einsum("slk,slf->lkf", pre.trace, post.spikes)


@pytest.fixture
def auto_engine():
    """For tests of what "auto" means, whatever ``pytest --engine`` sets."""
    with stdp_lab.config_context(engine="auto"):
        yield


def test_auto_falls_back_to_numpy_for_a_rule_of_ones_own(auto_engine):
    layer = Layer(connectivity("dense"), neuron=LIF(v_thresh=0.5), rule=_MyRule())
    params = layer.initial_params(np.random.default_rng(0))
    X = np.random.default_rng(1).uniform(0, 1, size=(3, 64))
    learned = simulate([layer], [params], steps(X, 30), learn=True)
    assert learned.info[0]["engine"] == "numpy"
    assert not np.allclose(learned.params[0].weights, params.weights)
    # Without learning the rule does not matter: the compiled engine runs.
    assert simulate([layer], [params], steps(X, 30)).info[0]["engine"] == "numba"


def test_numba_refuses_a_part_without_compiled_form_naming_it(auto_engine):
    layer = Layer(connectivity("dense"), neuron=LIF(v_thresh=0.5), rule=_MyRule())
    params = layer.initial_params(np.random.default_rng(0))
    X = np.random.default_rng(1).uniform(0, 1, size=(3, 64))
    with pytest.raises(ValueError, match="rule _MyRule has no compiled form"):
        simulate([layer], [params], steps(X, 30), learn=True, engine="numba")

    class MyLIF(LIF):
        """A subclass may change the equations: it runs on numpy."""

    layer = Layer(connectivity("dense"), neuron=MyLIF())
    with pytest.raises(ValueError, match="neuron model MyLIF has no compiled form"):
        simulate([layer], [params._replace(theta=None)], steps(X, 30), engine="numba")
    assert simulate([layer], [params], steps(X, 30)).info[0]["engine"] == "numpy"


def test_the_global_configuration_decides_what_auto_means():
    layer = Layer(connectivity("dense"), neuron=LIF(v_thresh=0.5))
    params = layer.initial_params(np.random.default_rng(0))
    X = np.random.default_rng(1).uniform(0, 1, size=(3, 64))
    with stdp_lab.config_context(engine="numpy"):
        assert simulate([layer], [params], steps(X, 5)).info[0]["engine"] == "numpy"
        # an explicit engine is honoured
        out = simulate([layer], [params], steps(X, 5), engine="numba")
        assert out.info[0]["engine"] == "numba"
    with pytest.raises(ValueError, match="engine must be one of"):
        simulate([layer], [params], steps(X, 5), engine="cuda")


def test_latency_input_and_readonly_weights():
    """Any encoder's spikes, and read-only (memory-mapped) weights."""
    layer = Layer(connectivity("conv"), neuron=IF(v_thresh=1.0), competition="wta")
    params = layer.initial_params(np.random.default_rng(0))
    params.weights.setflags(write=False)
    X = np.random.default_rng(1).uniform(0, 1, size=(4, 64))
    runs = [
        simulate(
            [layer],
            [params],
            LatencyEncoder().steps(X, 20),
            engine=engine,
            options=PLAIN,
        )
        for engine in ("numpy", "numba")
    ]
    assert runs[0].counts[0].sum() > 0
    np.testing.assert_array_equal(runs[0].counts[0], runs[1].counts[0])


# --------------------------------------------------------------------------
# rules that read a reward or the membrane potential; the learned lateral
# inhibition


def _clopath(share):
    """Clopath's rule with thresholds in the units of the test's neurons: the
    Diehl & Cook neuron in mV (rest -65, threshold -52), or a LIF at rest at 0
    with threshold 0.6."""
    if share:
        return ClopathSTDP(
            a_ltd=1e-4, a_ltp=1e-5, theta_minus=-64.0, theta_plus=-50.0, u_spike=0.0
        )
    return ClopathSTDP(
        a_ltd=1e-3, a_ltp=5e-3, theta_minus=0.1, theta_plus=0.8, u_spike=2.0
    )


MODULATED_RULES = {
    "mstdp": lambda share: MSTDP(0.05),
    "mstdpet": lambda share: MSTDPET(0.05, tau_z=15.0),
    "rstdp": lambda share: RSTDP(0.03, 0.02, 0.01, 0.03),
    "clopath": _clopath,
}


@pytest.mark.parametrize("kind", ["dense", "local", "conv"])
@pytest.mark.parametrize("rule", list(MODULATED_RULES))
@pytest.mark.parametrize("update_every", [None, 12])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("share", [True, False], ids=["shared_theta", "lif"])
def test_learning_with_rules_that_read_a_reward_or_the_potential(
    kind, rule, update_every, dtype, share
):
    """MSTDP, MSTDPET, R-STDP and Clopath's rule on both engines, as
    ``test_learning_with_stepped_rules``: the same spikes and thresholds
    exactly, the same weights within ``n_steps * eps(dtype)`` times the
    largest change (the numpy engine steps the rules' traces, eligibility and
    filtered potentials in the weights' dtype, the kernel in float64). The
    reward is one value per sample (some negative, one zero) without weight
    updates within the presentation, and a schedule of pulses at chosen
    steps with them."""
    n_steps = 80
    if share:
        neuron = diehl_cook_neuron().set_params(theta_plus=0.5)
        competition = Competition(k=1, inhibition=120.0)
    else:
        neuron = LIF(tau_mem=30.0, v_thresh=0.6)
        competition = Competition(k=2, inhibition=2.0)
    layer = Layer(
        connectivity(kind, n_filters=12),
        neuron=neuron,
        competition=competition,
        rule=MODULATED_RULES[rule](share),
    )
    params = layer.initial_params(np.random.default_rng(0), dtype)
    if not share:
        params = LayerParams(params.weights * 2, None)
    if update_every is None:
        reward = np.array([1.0, -1.0, 0.5, 0.0, -0.3])
    else:  # pulses: sample b rewarded (or punished) at a few steps
        rng = np.random.default_rng(2)
        reward = np.where(
            rng.random((n_steps, 5)) < 0.15, rng.normal(size=(n_steps, 5)), 0
        )
    X = np.random.default_rng(1).uniform(0, 1, size=(5, 64))
    ref, got = both(
        [layer],
        [params],
        X,
        n_steps=n_steps,
        learn=True,
        update_every=update_every,
        options=PLAIN,
        reward=reward,
    )
    assert ref.counts[0].sum() > 20
    np.testing.assert_array_equal(got.counts[0], ref.counts[0])
    if share:
        np.testing.assert_array_equal(got.params[0].theta, ref.params[0].theta)
    learned = ref.params[0].weights
    change = np.abs(learned - params.weights).max()
    assert change > 0.005
    tolerance = n_steps * np.finfo(dtype).eps * change
    np.testing.assert_allclose(
        got.params[0].weights, ref.params[0].weights, rtol=0, atol=tolerance
    )
    assert got.params[0].weights.dtype == dtype


@pytest.mark.parametrize("kind", ["dense", "local", "conv"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_inference_with_a_learned_lateral_inhibition_is_the_same(kind, dtype):
    """Spikes and potentials bit for bit with a lateral inhibition matrix of
    any values (one per location, or shared), with the inhibition between
    locations too."""
    layer = Layer(
        connectivity(kind),
        neuron=NEURONS["lif"](),
        competition=Competition(inhibition_between=0.5, neighbourhood=1),
    )
    rng = np.random.default_rng(0)
    params = layer.initial_params(rng, dtype)
    n_sets, n_filters = params.weights.shape[0], params.weights.shape[2]
    lateral = rng.uniform(0, 3, size=(n_sets, n_filters, n_filters)).astype(dtype)
    lateral[:, np.arange(n_filters), np.arange(n_filters)] = 0
    params = LayerParams(params.weights * 4, None, lateral)
    X = np.random.default_rng(1).uniform(0, 1, size=(5, 64))
    ref, got = both([layer], [params], X, record=("spikes", "v"), options=PLAIN)
    assert ref.counts[0].sum() > 20
    np.testing.assert_array_equal(got.records["spikes"][0], ref.records["spikes"][0])
    np.testing.assert_array_equal(got.records["v"][0], ref.records["v"][0])
    np.testing.assert_array_equal(got.params[0].lateral, lateral)  # not learned


@pytest.mark.parametrize("kind", ["dense", "local", "conv"])
@pytest.mark.parametrize("update_every", [None, 12])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("feedforward", [True, False], ids=["with_rule", "istdp_only"])
def test_learning_a_lateral_inhibition_with_inhibitory_stdp(
    kind, update_every, dtype, feedforward
):
    """Vogels et al.'s rule on the learned lateral inhibition, with the
    feedforward weights learning by Diehl & Cook's rule or not at all (the
    inhibitory rule given as the layer's rule): the same spikes and
    thresholds, the same matrices within ``n_steps * eps(dtype)`` times the
    largest change, kept >= 0 with a zero diagonal."""
    n_steps = 80
    rule = InhibitorySTDP(eta=0.05, rho0=20.0)
    kwargs = {"rule": DiehlCookSTDP(0.05), "lateral_rule": rule}
    if not feedforward:
        kwargs = {"rule": rule}
    layer = Layer(
        connectivity(kind, n_filters=8),
        neuron=diehl_cook_neuron().set_params(theta_plus=0.5),
        competition=Competition(k=2, inhibition=8.0),
        **kwargs,
    )
    params = layer.initial_params(np.random.default_rng(0), dtype)
    assert params.lateral.shape == (params.weights.shape[0], 8, 8)
    params = params._replace(weights=params.weights * 3)
    X = np.random.default_rng(1).uniform(0, 1, size=(5, 64))
    ref, got = both(
        [layer],
        [params],
        X,
        n_steps=n_steps,
        learn=True,
        update_every=update_every,
        options=PLAIN,
    )
    assert ref.counts[0].sum() > 20
    np.testing.assert_array_equal(got.counts[0], ref.counts[0])
    np.testing.assert_array_equal(got.params[0].theta, ref.params[0].theta)
    lateral = ref.params[0].lateral
    change = np.abs(lateral - params.lateral).max()
    assert change > 0.05
    tolerance = n_steps * np.finfo(dtype).eps * change
    np.testing.assert_allclose(got.params[0].lateral, lateral, rtol=0, atol=tolerance)
    assert got.params[0].lateral.dtype == dtype
    assert np.all(np.diagonal(got.params[0].lateral, 0, 1, 2) == 0)
    if feedforward:
        np.testing.assert_allclose(
            got.params[0].weights, ref.params[0].weights, rtol=0, atol=1e-5
        )
    else:
        np.testing.assert_array_equal(got.params[0].weights, params.weights)
        np.testing.assert_array_equal(ref.params[0].weights, params.weights)


@pytest.mark.parametrize(
    "parts",
    [
        {"rule": MSTDPET(0.05, tau_z=15.0)},
        {"rule": _clopath(True)},
        {"rule": DiehlCookSTDP(0.05), "lateral_rule": InhibitorySTDP(0.05)},
    ],
    ids=["mstdpet", "clopath", "lateral_istdp"],
)
@pytest.mark.parametrize("share", [True, False], ids=["shared_theta", "groups"])
def test_per_sample_states_are_deterministic_across_threads(parts, share):
    """MSTDPET's eligibility, Clopath's filtered potentials (per sample) and a
    lateral inhibition's sums (per group): the same results for 1 and 2
    threads, bit for bit."""
    import numba

    layer = Layer(
        connectivity("local", n_filters=8),
        neuron=diehl_cook_neuron(),
        competition=Competition(k=1, inhibition=120.0),
        **parts,
    )
    params = layer.initial_params(np.random.default_rng(0), np.float32)
    if not share:
        params = params._replace(theta=None)
    X = np.random.default_rng(1).uniform(0, 1, size=(19, 64))
    reward = np.random.default_rng(2).choice([-1.0, 0.0, 1.0], size=19)
    results = [
        simulate(
            [layer],
            [params],
            steps(X, 80),
            learn=True,
            engine="numba",
            reward=reward,
            options=SimulationOptions(n_threads=n),
        )
        for n in (1, min(2, numba.config.NUMBA_NUM_THREADS))
    ]
    assert results[0].counts[0].sum() > 100
    for name in ("weights", "lateral"):
        first, other = (getattr(r.params[0], name) for r in results)
        if first is None:
            assert other is None
            continue
        np.testing.assert_array_equal(other, first)
    assert not np.array_equal(results[0].params[0].weights, params.weights)
