"""Tests of stdp_lab.plasticity: rules driven directly through ``delta``.

``simulate`` below is the reference simulator of the timing convention stated in
the module docstring (decay traces, call ``delta``, then add this step's spikes),
written independently of any network code.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.decomposition import PCA

from stdp_lab.connectivity import Dense
from stdp_lab.network import Layer
from stdp_lab.plasticity import (
    BCM,
    RULES,
    Activity,
    DiehlCookSTDP,
    Hebbian,
    Oja,
    PairSTDP,
    Rule,
    SimplifiedSTDP,
    TraceSpec,
    TripletSTDP,
    make_rule,
)

# --------------------------------------------------------------------------
# reference simulator


def simulate(rule, pre, post, weights, dt=1.0, skip_silent=True):
    """Total dw of ``rule`` for dense spike trains, weights held fixed.

    Parameters
    ----------
    pre : array of shape (n_steps, B, L, K); post : (n_steps, B, L, F)
    skip_silent : bool
        Jump over steps without any spike, decaying the traces over the whole
        gap at once. Exact for rules that give dw = 0 without spikes.
    """
    pre = np.asarray(pre, dtype=float)
    post = np.asarray(post, dtype=float)
    specs = (rule.pre_traces(), rule.post_traces())
    traces = (
        [np.zeros(pre.shape[1:]) for _ in specs[0]],
        [np.zeros(post.shape[1:]) for _ in specs[1]],
    )
    state = rule.initial_state((pre.shape[2], post.shape[3]))
    total = np.zeros(np.broadcast_shapes(weights.shape, (pre.shape[2], 1, 1)))
    active = pre.any(axis=(1, 2, 3)) | post.any(axis=(1, 2, 3))
    steps = np.flatnonzero(active) if skip_silent else np.arange(len(pre))
    previous = -1
    for t in steps:
        gap = t - previous
        previous = t
        for side in (0, 1):
            for trace, spec in zip(traces[side], specs[side], strict=True):
                trace *= np.exp(-gap * dt / spec.tau)
        out = rule.delta(
            Activity(pre[t], tuple(traces[0]), dt),
            Activity(post[t], tuple(traces[1]), dt),
            weights,
            state,
        )
        if state is not None:
            out, state = out
        total = total + out
        for side, spikes in ((0, pre[t]), (1, post[t])):
            for trace, spec in zip(traces[side], specs[side], strict=True):
                if spec.mode == "add":
                    trace += spikes
                else:
                    trace[spikes != 0] = 1.0
    return total


def spike_train(n_steps, *times):
    """Dense (n_steps, 1, 1, n) trains, one column per list of spike steps."""
    out = np.zeros((n_steps, 1, 1, len(times)))
    for column, steps in enumerate(times):
        out[list(steps), 0, 0, column] = 1.0
    return out


# --------------------------------------------------------------------------
# pair STDP


@pytest.mark.parametrize("pairing", ["all", "nearest"])
def test_pair_stdp_window_is_exponential(pairing):
    rule = PairSTDP(a_plus=0.01, a_minus=0.012, tau_pre=17.0, tau_post=34.0)
    rule.set_params(pairing=pairing)
    w = np.full((1, 1, 1), 0.5)
    for lag in [lag for lag in range(-50, 51) if lag != 0]:
        t_pre = 60
        t_post = t_pre + lag
        pre, post = spike_train(120, [t_pre]), spike_train(120, [t_post])
        dw = simulate(rule, pre, post, w)[0, 0, 0]
        if lag > 0:
            expected = 0.01 * np.exp(-lag / 17.0)
        else:
            expected = -0.012 * np.exp(lag / 34.0)
        assert dw == pytest.approx(expected, rel=1e-2)


def test_same_step_spikes_do_not_pair():
    pre = post = spike_train(10, [5])
    dw = simulate(PairSTDP(), pre, post, np.full((1, 1, 1), 0.5))
    assert dw[0, 0, 0] == 0.0


def test_nearest_and_all_to_all_differ_on_bursts():
    tau, a_plus, a_minus = 20.0, 0.01, 0.02
    kwargs = dict(a_plus=a_plus, a_minus=a_minus, tau_pre=tau, tau_post=tau)
    w = np.full((1, 1, 1), 0.5)
    # pre burst at 0, 5, 10 ms before one post spike at 20 ms
    pre, post = spike_train(40, [0, 5, 10]), spike_train(40, [20])
    dw_all = simulate(PairSTDP(pairing="all", **kwargs), pre, post, w)
    dw_near = simulate(PairSTDP(pairing="nearest", **kwargs), pre, post, w)
    assert dw_all[0, 0, 0] == pytest.approx(
        a_plus * (np.exp(-20 / tau) + np.exp(-15 / tau) + np.exp(-10 / tau))
    )
    assert dw_near[0, 0, 0] == pytest.approx(a_plus * np.exp(-10 / tau))
    # post burst at 0, 4, 8 ms before one pre spike at 15 ms
    pre, post = spike_train(40, [15]), spike_train(40, [0, 4, 8])
    dw_all = simulate(PairSTDP(pairing="all", **kwargs), pre, post, w)
    dw_near = simulate(PairSTDP(pairing="nearest", **kwargs), pre, post, w)
    assert dw_all[0, 0, 0] == pytest.approx(
        -a_minus * (np.exp(-15 / tau) + np.exp(-11 / tau) + np.exp(-7 / tau))
    )
    assert dw_near[0, 0, 0] == pytest.approx(-a_minus * np.exp(-7 / tau))


def test_pairing_sets_trace_modes():
    assert PairSTDP(pairing="all").pre_traces() == (TraceSpec(20.0, "add"),)
    assert PairSTDP(pairing="nearest", tau_post=7.0).post_traces() == (
        TraceSpec(7.0, "reset"),
    )


def test_multiplicative_scales_with_distance_to_bounds():
    w_min, w_max, tau, lag = -0.5, 2.0, 20.0, 5
    rule = PairSTDP(
        a_plus=0.01,
        a_minus=0.02,
        tau_pre=tau,
        tau_post=tau,
        weight_dependence="multiplicative",
    )._with_bounds(w_min, w_max)  # as a layer with these bounds runs it
    w = np.linspace(w_min, w_max, 6).reshape(1, 3, 2)  # (1, K, F)
    # every one of the 3 inputs fires once, the 2 outputs fire `lag` ms later
    pre = np.repeat(spike_train(30, [5]), 3, axis=3)
    post = np.repeat(spike_train(30, [5 + lag]), 2, axis=3)
    ltp = simulate(rule, pre, post, w)
    np.testing.assert_allclose(ltp, 0.01 * (w_max - w) * np.exp(-lag / tau))
    ltd = simulate(rule, post[..., :1].repeat(3, axis=3), pre[..., :2], w)
    np.testing.assert_allclose(ltd, -0.02 * (w - w_min) * np.exp(-lag / tau))


# --------------------------------------------------------------------------
# triplet STDP


def triplet_by_pairs(rule, pre_times, post_times):
    """Pfister & Gerstner eqs. 3-4 as sums over earlier spikes (times in ms)."""

    def kernel(t, earlier, tau):
        return sum(np.exp(-(t - s) / tau) for s in earlier if s < t)

    dw = 0.0
    for t in post_times:
        r1 = kernel(t, pre_times, rule.tau_plus)
        o2 = kernel(t, post_times, rule.tau_y)
        dw += r1 * (rule.a2_plus + rule.a3_plus * o2)
    for t in pre_times:
        o1 = kernel(t, post_times, rule.tau_minus)
        r2 = kernel(t, pre_times, rule.tau_x)
        dw -= o1 * (rule.a2_minus + rule.a3_minus * r2)
    return dw


def pairing_protocol(frequency, lag, n_pairs=60, start=50):
    """Pre spikes at `frequency` Hz, each with a post spike `lag` ms later."""
    period = 1000.0 / frequency
    pre_times = [int(round(start + k * period)) for k in range(n_pairs)]
    post_times = [t + lag for t in pre_times]
    n_steps = max(pre_times + post_times) + 1
    return (
        pre_times,
        post_times,
        spike_train(n_steps, pre_times),
        spike_train(n_steps, post_times),
    )


def test_triplet_defaults_are_minimal_visual_cortex_model():
    # Pfister & Gerstner (2006), Table 3, all-to-all minimal model
    params = TripletSTDP().get_params()
    assert params["a2_plus"] == 0.0 and params["a3_minus"] == 0.0
    assert params["a3_plus"] == 6.5e-3 and params["a2_minus"] == 7.1e-3
    assert (params["tau_plus"], params["tau_minus"], params["tau_y"]) == (
        16.8,
        33.7,
        114.0,
    )


def test_triplet_frequency_dependence():
    rule = TripletSTDP()
    w = np.ones((1, 1, 1))
    frequencies = [0.1, 10.0, 20.0, 40.0, 50.0]
    dw = {}
    for lag in (10, -10):
        for f in frequencies:
            _, _, pre, post = pairing_protocol(f, lag)
            dw[lag, f] = simulate(rule, pre, post, w)[0, 0, 0]
    plus = [dw[10, f] for f in frequencies]
    minus = [dw[-10, f] for f in frequencies]
    # pre-post pairing potentiates more the higher the frequency
    assert np.all(np.diff(plus) > 0)
    # post-pre pairing depresses at low frequency, potentiates at 50 Hz
    assert minus[0] < 0 < minus[-1]
    assert minus[-1] > minus[-2] > minus[0]
    # Sjostrom et al. (2001) as given by Pfister & Gerstner (2006, Fig. 5):
    # mean +- s.e.m. of the relative change; the fit should lie within 2 s.e.m.
    data = {
        (10, 0.1): (-0.04, 0.05),
        (-10, 0.1): (-0.29, 0.08),
        (10, 50.0): (0.56, 0.26),
        (-10, 50.0): (0.75, 0.19),
    }
    for key, (mean, sem) in data.items():
        assert abs(dw[key] - mean) <= 2 * sem, key


@pytest.mark.parametrize("frequency, lag", [(20.0, 10), (20.0, -10), (40.0, 10)])
def test_triplet_matches_sum_over_spike_pairs(frequency, lag):
    # the full model, so that every term (a2_plus, a3_minus, tau_x) matters
    rule = TripletSTDP(
        a2_plus=5e-3, a3_plus=6.2e-3, a2_minus=7e-3, a3_minus=2.3e-3, tau_y=125.0
    )
    pre_times, post_times, pre, post = pairing_protocol(frequency, lag, n_pairs=20)
    dw = simulate(rule, pre, post, np.ones((1, 1, 1)))[0, 0, 0]
    assert dw == pytest.approx(triplet_by_pairs(rule, pre_times, post_times), rel=1e-9)


def test_triplet_matches_sum_over_random_trains():
    rng = np.random.default_rng(3)
    rule = TripletSTDP(a2_plus=5e-3, a3_minus=2.3e-3)
    pre_times = np.flatnonzero(rng.random(600) < 0.03).tolist()
    post_times = np.flatnonzero(rng.random(600) < 0.03).tolist()
    pre, post = spike_train(600, pre_times), spike_train(600, post_times)
    dw = simulate(rule, pre, post, np.ones((1, 1, 1)), skip_silent=False)
    expected = triplet_by_pairs(rule, pre_times, post_times)
    assert dw[0, 0, 0] == pytest.approx(expected, rel=1e-9)


# --------------------------------------------------------------------------
# simplified STDP


def test_simplified_stdp_sign_by_order_and_magnitude():
    a_plus, a_minus = 0.004, 0.003
    rule = SimplifiedSTDP(a_plus=a_plus, a_minus=a_minus)
    # inputs: fired long before, fired after the post spike, never fired,
    # fired in the same step as the post spike
    pre = spike_train(300, [2], [250], [], [200])
    post = spike_train(300, [200])
    w = np.array([0.3, 0.6, 0.2, 0.9]).reshape(1, 4, 1)
    dw = simulate(rule, pre, post, w)[0, :, 0]
    soft = w[0, :, 0] * (1 - w[0, :, 0])
    np.testing.assert_allclose(dw, [a_plus, -a_minus, -a_minus, a_plus] * soft)


@pytest.mark.parametrize("bounds", [(0.0, 1.0), (0.2, 0.7), (-1.0, 3.0)])
def test_simplified_stdp_vanishes_at_the_layers_bounds(bounds):
    """Masquelier & Thorpe's w (1 - w) for bounds 0 and 1; for other bounds the
    same rule on the weight rescaled to [0, 1]: zero at both bounds, largest
    halfway, (w_max - w_min) / 4 times the rate there."""
    pre = spike_train(20, [2], [15])  # input 0 fired before the post spike
    post = spike_train(20, [10])
    rule = SimplifiedSTDP(a_plus=0.01, a_minus=0.02)._with_bounds(*bounds)
    for value in bounds:
        w = np.full((1, 2, 1), value)
        assert np.all(simulate(rule, pre, post, w) == 0.0)
    lo, hi = bounds
    w = np.full((1, 2, 1), (lo + hi) / 2)
    dw = simulate(rule, pre, post, w)[0, :, 0]
    np.testing.assert_allclose(dw, np.array([0.01, -0.02]) * (hi - lo) / 4)


def test_the_layer_gives_its_bounds_to_its_rule():
    """One owner of the bounds: the layer's w_min and w_max reach the rule it
    runs, and the caller's rule object is left as it was."""
    rule = PairSTDP(weight_dependence="multiplicative")
    layer = Layer(Dense(4, n_filters=2), rule=rule, w_min=0.25, w_max=3.0)
    assert layer._parts()[2].bounds == (0.25, 3.0)
    assert rule.bounds == (0.0, 1.0)
    assert layer.get_params()["rule"] is rule


def test_simplified_stdp_window():
    pre, post = spike_train(100, [20]), spike_train(100, [50])  # 30 ms before
    w = np.full((1, 1, 1), 0.5)
    assert simulate(SimplifiedSTDP(window=50.0), pre, post, w)[0, 0, 0] > 0
    assert simulate(SimplifiedSTDP(window=30.0), pre, post, w)[0, 0, 0] > 0
    assert simulate(SimplifiedSTDP(window=29.0), pre, post, w)[0, 0, 0] < 0
    assert simulate(SimplifiedSTDP(), pre, post, w)[0, 0, 0] > 0


# --------------------------------------------------------------------------
# rate rules


def test_oja_finds_first_principal_component():
    rng = np.random.default_rng(0)
    n_inputs = 5
    mixing = rng.normal(size=(n_inputs, n_inputs))
    X = rng.normal(size=(20000, n_inputs)) @ mixing.T  # correlated Gaussian
    X /= np.sqrt(np.linalg.eigvalsh(np.cov(X.T)).max())  # top variance ~1
    rule = Oja(learning_rate=2e-3)
    w = 0.1 * rng.normal(size=(1, n_inputs, 1))
    for _ in range(1500):
        x = X[rng.integers(0, len(X), 20)][:, None, :]  # (B, 1, K)
        y = np.einsum("slk,lkf->slf", x, w)  # linear neuron, (B, 1, 1)
        w = w + rule.delta(Activity(x, (x,)), Activity(y, (y,)), w)
    pc = PCA(n_components=1).fit(X).components_[0]
    w = w[0, :, 0]
    assert abs(pc @ w) / np.linalg.norm(w) >= 0.99
    assert abs(np.linalg.norm(w) - 1.0) <= 0.02


@pytest.mark.parametrize("seed", [0, 1])
def test_bcm_becomes_selective(seed):
    rng = np.random.default_rng(seed)
    n_patterns, width = 4, 5
    patterns = np.kron(np.eye(n_patterns), np.ones(width))  # (4, 20), disjoint
    rule = BCM(learning_rate=2e-3, tau_theta=20.0)
    w = rng.uniform(0.1, 0.3, size=(1, n_patterns * width, 1))
    theta = rule.initial_state((1, 1))
    for _ in range(2500):
        x = patterns[rng.integers(0, n_patterns, 1)][:, None, :]  # (1, 1, K)
        y = np.maximum(np.einsum("slk,lkf->slf", x, w), 0.0)  # (1, 1, 1)
        dw, theta = rule.delta(Activity(x, (x,)), Activity(y, (y,)), w, theta)
        w = w + dw
    response = np.sort(np.maximum(patterns @ w[0, :, 0], 0.0))
    assert response[-1] > 0.5
    assert np.all(response[:-1] < 0.2 * response[-1])


def test_bcm_threshold_follows_mean_square_exactly():
    rule = BCM(tau_theta=50.0, theta_init=3.0)
    y = np.array([1.0, 2.0]).reshape(2, 1, 1)  # batch mean of y^2 = 2.5
    x = np.ones((2, 1, 1))
    theta = rule.initial_state((1, 1))
    n_steps, dt = 40, 0.5
    for _ in range(n_steps):
        _, theta = rule.delta(Activity(x, (x,)), Activity(y, (y,), dt), x, theta)
    expected = 2.5 + (3.0 - 2.5) * np.exp(-n_steps * dt / 50.0)
    assert theta[0, 0] == pytest.approx(expected, rel=1e-12)


def _loop_reference(name, rule, pre, post, w, theta):
    """dw from explicit loops over samples, locations, inputs and filters."""
    (B, L, K), F = pre.spikes.shape, post.spikes.shape[2]
    w = np.broadcast_to(w, (L, K, F))
    dw = np.zeros((L, K, F))
    for s in range(B):
        for l in range(L):  # noqa: E741
            for k in range(K):
                for f in range(F):
                    x, y = pre.traces[0][s, l, k], post.traces[0][s, l, f]
                    sx, sy, wk = pre.spikes[s, l, k], post.spikes[s, l, f], w[l, k, f]
                    if name == "stdp":
                        d = rule.a_plus * x * sy - rule.a_minus * sx * y
                    elif name == "stdp_multiplicative":
                        lo, hi = rule.bounds
                        d = rule.a_plus * (hi - wk) * x * sy
                        d -= rule.a_minus * (wk - lo) * sx * y
                    elif name == "triplet":
                        r2, o2 = pre.traces[1][s, l, k], post.traces[1][s, l, f]
                        d = sy * x * (rule.a2_plus + rule.a3_plus * o2)
                        d -= sx * y * (rule.a2_minus + rule.a3_minus * r2)
                    elif name == "simplified_stdp":
                        earlier = x > 0 or sx != 0
                        gain = rule.a_plus if earlier else -rule.a_minus
                        lo, hi = rule.bounds
                        d = sy * gain * (wk - lo) * (hi - wk) / (hi - lo)
                    elif name == "diehl_cook":
                        soft = (rule.bounds[1] - wk) ** rule.mu
                        d = rule.learning_rate * sy * (x - rule.x_tar) * soft
                    elif name == "hebbian":
                        d = rule.learning_rate * x * y - rule.decay * wk
                    elif name == "oja":
                        d = rule.learning_rate * y * (x - y * wk)
                    else:  # bcm
                        d = rule.learning_rate * x * y * (y - theta[l, f])
                    dw[l, k, f] += d
    return dw


def _random_activity(rng, B, L, K, F, dtype=np.float64, n_traces=2):
    def side(n):
        spikes = rng.random((B, L, n)) < 0.4
        traces = tuple(
            (rng.random((B, L, n)) * (rng.random((B, L, n)) < 0.7)).astype(dtype)
            for _ in range(n_traces)
        )
        return Activity(spikes, traces, 1.0)

    return side(K), side(F)


@pytest.mark.parametrize("name", RULES)
def test_delta_matches_loop_reference(name):
    rng = np.random.default_rng(5)
    rule = make_rule(name)._with_bounds(-0.25, 1.5)
    if name == "triplet":
        rule.set_params(a2_plus=5e-3, a3_minus=2e-3)
    if name == "diehl_cook":
        rule.set_params(mu=0.7)
    pre, post = _random_activity(rng, 3, 2, 4, 3)
    w = rng.random((1, 4, 3))
    theta = rng.random((2, 3))
    out = rule.delta(pre, post, w, theta if name == "bcm" else None)
    dw = out[0] if name == "bcm" else out
    np.testing.assert_allclose(dw, _loop_reference(name, rule, pre, post, w, theta))


# --------------------------------------------------------------------------
# contract, over every rule


def _call(rule, pre, post, w):
    state = rule.initial_state((pre.spikes.shape[1], post.spikes.shape[2]))
    if state is not None:
        state = state + 0.3
    out = rule.delta(pre, post, w, state)
    return (out[0], out[1]) if state is not None else (out, None)


@settings(max_examples=15, deadline=None)
@given(
    name=st.sampled_from(RULES),
    B=st.integers(1, 3),
    L=st.integers(1, 3),
    K=st.integers(1, 4),
    F=st.integers(1, 3),
    shared=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_rule_contract(name, B, L, K, F, shared, seed):
    rng = np.random.default_rng(seed)
    rule = make_rule(name)
    pre, post = _random_activity(rng, B, L, K, F)
    w = rng.random((1 if shared else L, K, F))
    copies = [a.copy() for a in (pre.spikes, post.spikes, w, *pre.traces)]
    dw, state = _call(rule, pre, post, w)
    # shape (L, K, F) whatever the weight layout
    assert dw.shape == (L, K, F)
    if state is not None:
        assert state.shape == (L, F)
    # inputs not mutated
    for before, after in zip(
        copies, (pre.spikes, post.spikes, w, *pre.traces), strict=True
    ):
        np.testing.assert_array_equal(before, after)
    # duplicating every sample doubles the summed dw
    doubled = [
        Activity(
            np.concatenate([a.spikes, a.spikes]),
            tuple(np.concatenate([t, t]) for t in a.traces),
            a.dt,
        )
        for a in (pre, post)
    ]
    dw2, state2 = _call(rule, *doubled, w)
    np.testing.assert_allclose(dw2, 2 * dw, rtol=1e-10, atol=1e-15)
    if state is not None:  # a batch mean is unchanged by duplication
        np.testing.assert_allclose(state2, state, rtol=1e-12)
    # silence: no spikes and zero traces
    silent = [
        Activity(np.zeros_like(a.spikes), tuple(np.zeros_like(t) for t in a.traces))
        for a in (pre, post)
    ]
    dw0, _ = _call(rule, *silent, w)
    if name == "hebbian":  # only the decay term is left
        np.testing.assert_allclose(dw0, np.broadcast_to(-B * rule.decay * w, dw0.shape))
    else:
        assert np.all(dw0 == 0)
    # float32 stays float32
    pre32, post32 = (
        Activity(a.spikes, tuple(t.astype(np.float32) for t in a.traces))
        for a in (pre, post)
    )
    dw32, state32 = _call(rule, pre32, post32, w.astype(np.float32))
    assert dw32.dtype == np.float32
    if state32 is not None:
        assert state32.dtype == np.float32
    np.testing.assert_allclose(dw32, dw, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name", RULES)
def test_rules_are_estimators(name):
    rule = make_rule(name)
    assert isinstance(rule, Rule)
    twin = clone(rule)
    assert twin is not rule and twin.get_params() == rule.get_params()
    assert all(isinstance(spec, TraceSpec) for spec in rule.pre_traces())
    assert all(spec.mode in ("add", "reset") for spec in rule.post_traces())


# --------------------------------------------------------------------------
# make_rule and parameter checks


def test_make_rule_names_and_instances():
    assert isinstance(make_rule("stdp"), PairSTDP)
    assert make_rule("stdp").weight_dependence == "additive"
    assert make_rule("stdp_multiplicative").weight_dependence == "multiplicative"
    assert isinstance(make_rule("triplet"), TripletSTDP)
    assert isinstance(make_rule("simplified_stdp"), SimplifiedSTDP)
    assert isinstance(make_rule("hebbian"), Hebbian)
    assert isinstance(make_rule("oja"), Oja)
    assert isinstance(make_rule("bcm"), BCM)
    rule = Oja(learning_rate=0.5)
    assert make_rule(rule) is rule
    assert make_rule("oja") is not make_rule("oja")


def test_make_rule_errors_list_the_names():
    with pytest.raises(ValueError) as info:
        make_rule("sdtp")
    for name in RULES:
        assert repr(name) in str(info.value)
    assert "sdtp" in str(info.value)
    for bad in (3, None, PairSTDP):
        with pytest.raises(TypeError, match="rule"):
            make_rule(bad)


@pytest.mark.parametrize(
    "rule, parameter",
    [
        (PairSTDP(a_plus=-0.1), "a_plus"),
        (PairSTDP(tau_post=0.0), "tau_post"),
        (PairSTDP(pairing="first"), "pairing"),
        (PairSTDP(weight_dependence="soft"), "weight_dependence"),
        (TripletSTDP(tau_y=-1.0), "tau_y"),
        (TripletSTDP(a3_minus=-1e-3), "a3_minus"),
        (SimplifiedSTDP(window=0.0), "window"),
        (Hebbian(decay=-1.0), "decay"),
        (Oja(tau=0.0), "tau"),
        (BCM(tau_theta=-5.0), "tau_theta"),
    ],
)
def test_bad_parameters_are_named(rule, parameter):
    with pytest.raises(ValueError, match=parameter):
        rule.pre_traces()
    pre, post = _random_activity(np.random.default_rng(0), 1, 1, 2, 2)
    with pytest.raises(ValueError, match=parameter):
        rule.delta(pre, post, np.ones((1, 2, 2)), np.zeros((1, 2)))


def test_set_params_is_checked_again():
    rule = PairSTDP()
    rule.pre_traces()
    rule.set_params(tau_pre=-3.0)
    with pytest.raises(ValueError, match="tau_pre"):
        rule.pre_traces()


def test_bcm_rejects_bad_dt():
    rule = BCM()
    pre, post = _random_activity(np.random.default_rng(0), 1, 1, 2, 2)
    post = post._replace(dt=0.0)
    with pytest.raises(ValueError, match="dt"):
        rule.delta(pre, post, np.ones((1, 2, 2)))


# --------------------------------------------------------------------------
# Diehl & Cook post-triggered rule


@pytest.mark.parametrize("mu", [0.0, 0.5])
def test_diehl_cook_moves_weights_by_trace_minus_target(mu):
    """At a post spike dw = eta * (x_pre - x_tar) * (w_max - w)^mu, with x_pre the
    sum of exp(-age / tau) over earlier pre spikes (Diehl & Cook 2015, eq. 2)."""
    rule = DiehlCookSTDP(learning_rate=0.01, x_tar=0.4, tau_pre=5.0, mu=mu)
    pre = spike_train(30, [3, 17], [], [20])  # input 1 silent, input 2 close
    post = spike_train(30, [22])
    weights = np.array([[[0.2], [0.5], [0.9]]])  # (1, K=3, F=1)
    dw = simulate(rule, pre, post, weights)[0, :, 0]
    trace = np.array([np.exp(-19 / 5) + np.exp(-5 / 5), 0.0, np.exp(-2 / 5)])
    expected = 0.01 * (trace - 0.4) * (1.0 - weights[0, :, 0]) ** mu
    np.testing.assert_allclose(dw, expected, rtol=1e-12)
    assert dw[1] < 0 < dw[2]  # the silent input is depressed, the recent one grows


def test_diehl_cook_potentiates_recent_inputs_and_depresses_silent_ones():
    """One post spike after a pattern: inputs that fired grow, the more the more
    recent their spike (larger trace); inputs that stayed silent shrink by
    eta * x_tar."""
    rule = DiehlCookSTDP(learning_rate=0.05, x_tar=0.5, tau_pre=5.0)
    pre = spike_train(8, [2], [], [4], [])
    post = spike_train(8, [5])
    dw = simulate(rule, pre, post, np.full((1, 4, 1), 0.5))[0, :, 0]
    assert dw[0] > 0 and dw[2] > 0
    np.testing.assert_allclose(dw[[1, 3]], -0.05 * 0.5)
    assert dw[2] > dw[0]


@pytest.mark.parametrize("pre_density", [0.01, 0.5])
@pytest.mark.parametrize("post_density", [0.01, 0.5])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_outer_equals_einsum_at_every_sparsity(pre_density, post_density, dtype):
    """The sparse and dense paths of the batch outer product agree with einsum."""
    from stdp_lab.plasticity._base import _outer

    rng = np.random.default_rng(3)
    B, L, K, F = 16, 5, 12, 7
    pre = (rng.random((B, L, K)) < pre_density) * rng.random((B, L, K))
    post = (rng.random((B, L, F)) < post_density) * rng.random((B, L, F))
    pre, post = pre.astype(dtype), post.astype(dtype)
    expected = np.einsum("slk,slf->lkf", pre.astype(np.float64), post)
    got = _outer(pre, post)
    assert got.shape == (L, K, F)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(RULES),
    engine=st.sampled_from(["numpy", "numba"]),
    bounds=st.sampled_from([(0.0, 1.0), (0.2, 0.5), (-1.0, 2.0)]),
    rate=st.floats(0.0, 1.0),
    n_steps=st.integers(1, 40),
    update_every=st.sampled_from([None, 1, 7]),
    strong=st.booleans(),
    norm=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_every_rule_keeps_weights_finite_and_in_bounds(
    name, engine, bounds, rate, n_steps, update_every, strong, norm, seed
):
    """Any spike trains, any rule, either engine: after learning every weight is
    finite and inside the layer's [w_min, w_max], normalised or not (with large
    learning rates too, which push weights into the bounds)."""
    pytest.importorskip("numba") if engine == "numba" else None
    from stdp_lab.network import simulate as run
    from stdp_lab.neurons import LIF

    rng = np.random.default_rng(seed)
    rule = make_rule(name)
    if strong:  # every learning rate of the rule 100 times larger
        rates = {
            k: v * 100
            for k, v in rule.get_params().items()
            if k.startswith(("a_", "a2_", "a3_", "learning_rate"))
        }
        rule.set_params(**rates)
    w_min, w_max = bounds
    n_inputs = 12
    layer = Layer(
        Dense(n_inputs, n_filters=3),
        neuron=LIF(tau_mem=10.0, v_thresh=0.3),
        rule=rule,
        w_min=w_min,
        w_max=w_max,
        norm=n_inputs * (w_min + 0.3 * (w_max - w_min))
        if norm and w_min >= 0
        else None,
    )
    params = layer.initial_params(rng)
    spikes = rng.random((n_steps, 4, n_inputs)) < rate  # (T, B, N)
    out = run(
        [layer],
        [params],
        list(spikes),
        learn=True,
        update_every=update_every,
        engine=engine,
    )
    weights = out.params[0].weights
    assert np.isfinite(weights).all()
    assert weights.min() >= w_min and weights.max() <= w_max
