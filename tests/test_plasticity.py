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
from stdp_lab.neurons import LIF
from stdp_lab.plasticity import (
    BCM,
    MSTDP,
    MSTDPET,
    RSTDP,
    RULES,
    Activity,
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

# --------------------------------------------------------------------------
# reference simulator


def simulate(
    rule, pre, post, weights, dt=1.0, skip_silent=True, v=None, reward=None, out=None
):
    """Total dw of ``rule`` for dense spike trains, weights held fixed.

    Parameters
    ----------
    pre : array of shape (n_steps, B, L, K); post : (n_steps, B, L, F)
    skip_silent : bool
        Jump over steps without any spike, decaying the traces over the whole
        gap at once. Exact for rules that give dw = 0 without spikes.
    v : array of shape (n_steps, B, L, F), optional
        The postsynaptic potential at every step (``post.v``).
    reward : array of shape (n_steps, B), optional
        The samples' reward at every step (``post.reward``).
    out : list, optional
        Receives the change of every step.

    With ``v`` or ``reward`` every step is taken (the rule may change the
    weights without spikes).
    """
    if v is not None or reward is not None:
        skip_silent = False
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
        change = rule.delta(
            Activity(pre[t], tuple(traces[0]), dt),
            Activity(
                post[t],
                tuple(traces[1]),
                dt,
                None if v is None else v[t],
                None if reward is None else reward[t],
            ),
            weights,
            state,
        )
        if state is not None:
            change, state = change
        total = total + change
        if out is not None:
            out.append(change)
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
                    elif name == "bcm":
                        d = rule.learning_rate * x * y * (y - theta[l, f])
                    elif name in ("mstdp", "mstdpet"):
                        r = post.reward[s]
                        zeta = rule.a_plus * x * sy - rule.a_minus * sx * y
                        if name == "mstdp":
                            d = rule.learning_rate * r * zeta
                        else:  # the eligibility of the synapse, then the reward
                            decay = np.exp(-post.dt / rule.tau_z)
                            z = theta[s, l, k, f] * decay + zeta / rule.tau_z
                            d = rule.learning_rate * post.dt * r * z
                    elif name == "rstdp":
                        r = post.reward[s]
                        lo, hi = rule.bounds
                        soft = (wk - lo) * (hi - wk) / (hi - lo)
                        if x > 0 or sx != 0:  # fired before the post spike
                            gain = max(r, 0) * rule.a_reward_plus
                            gain -= max(-r, 0) * rule.a_punish_minus
                        else:
                            gain = -max(r, 0) * rule.a_reward_minus
                            gain += max(-r, 0) * rule.a_punish_plus
                        d = sy * gain * soft
                    elif name == "clopath":
                        u = rule.u_spike if sy else post.v[s, l, f]
                        u_minus, u_plus = theta[0, s, l, f], theta[1, s, l, f]
                        d = -rule.a_ltd * sx * max(u_minus - rule.theta_minus, 0)
                        d += (
                            rule.a_ltp
                            * post.dt
                            * (x / rule.tau_x)
                            * max(u - rule.theta_plus, 0)
                            * max(u_plus - rule.theta_minus, 0)
                        )
                    else:  # istdp: alpha = 2 rho0 tau, rho0 in spikes per ms
                        alpha = 2 * rule.rho0 * 1e-3 * rule.tau
                        d = rule.eta * (sx * (y - alpha) + x * sy)
                    dw[l, k, f] += d
    return dw


def _state_reference(name, rule, pre, post, state):
    """The new state of MSTDPET (eligibility) and Clopath (filtered potentials)
    from explicit loops, or None."""
    (B, L, K), F = pre.spikes.shape, post.spikes.shape[2]
    if name == "mstdpet":
        new = np.zeros((B, L, K, F))
        for s, l, k, f in np.ndindex(B, L, K, F):  # noqa: E741
            x, y = pre.traces[0][s, l, k], post.traces[0][s, l, f]
            sx, sy = pre.spikes[s, l, k], post.spikes[s, l, f]
            zeta = rule.a_plus * x * sy - rule.a_minus * sx * y
            decay = np.exp(-post.dt / rule.tau_z)
            new[s, l, k, f] = state[s, l, k, f] * decay + zeta / rule.tau_z
        return new
    if name == "clopath":
        new = np.zeros((2, B, L, F))
        for i, tau in enumerate((rule.tau_minus, rule.tau_plus)):
            for s, l, f in np.ndindex(B, L, F):  # noqa: E741
                u = rule.u_spike if post.spikes[s, l, f] else post.v[s, l, f]
                decay = np.exp(-post.dt / tau)
                new[i, s, l, f] = u + (state[i, s, l, f] - u) * decay
        return new
    return None


def _random_activity(rng, B, L, K, F, dtype=np.float64, n_traces=2):
    """Random pre and post activity; the post side also carries a potential
    (read by Clopath's rule, with spike steps included) and each sample's
    reward in [-1, 1], some exactly 0 or +-1 (read by the reward rules)."""

    def side(n):
        spikes = rng.random((B, L, n)) < 0.4
        traces = tuple(
            (rng.random((B, L, n)) * (rng.random((B, L, n)) < 0.7)).astype(dtype)
            for _ in range(n_traces)
        )
        return Activity(spikes, traces, 1.0)

    reward = rng.choice([-1.0, -0.5, 0.0, 0.7, 1.0], size=B)
    v = rng.uniform(-0.5, 1.0, size=(B, L, F)).astype(dtype)
    return side(K), side(F)._replace(v=v, reward=reward)


def _random_state(name, rng, B, L, K, F):
    """A running state of the rule's shape, random: BCM's threshold, MSTDPET's
    eligibility, Clopath's filtered potentials (around its thresholds)."""
    if name == "bcm":
        return rng.random((L, F))
    if name == "mstdpet":
        return rng.normal(size=(B, L, K, F))
    if name == "clopath":
        return rng.uniform(-0.5, 1.0, size=(2, B, L, F))
    return None


@pytest.mark.parametrize("name", RULES)
def test_delta_matches_loop_reference(name):
    rng = np.random.default_rng(5)
    rule = make_rule(name)._with_bounds(-0.25, 1.5)
    if name == "triplet":
        rule.set_params(a2_plus=5e-3, a3_minus=2e-3)
    if name == "diehl_cook":
        rule.set_params(mu=0.7)
    if name == "clopath":  # spikes and potentials that cross both thresholds
        rule.set_params(theta_minus=0.1, theta_plus=0.6, u_spike=2.0)
    pre, post = _random_activity(rng, 3, 2, 4, 3)
    w = rng.random((1, 4, 3))
    theta = _random_state(name, rng, 3, 2, 4, 3)
    out = rule.delta(pre, post, w, theta)
    dw = out[0] if theta is not None else out
    expected = _loop_reference(name, rule, pre, post, w, theta)
    assert np.abs(expected).max() > 0
    np.testing.assert_allclose(dw, expected)
    new_state = _state_reference(name, rule, pre, post, theta)
    if new_state is not None:
        np.testing.assert_allclose(out[1], new_state)


# --------------------------------------------------------------------------
# contract, over every rule


def _call(rule, pre, post, w, shift=0.3):
    state = rule.initial_state((pre.spikes.shape[1], post.spikes.shape[2]))
    if state is not None:
        state = state + shift
    out = rule.delta(pre, post, w, state)
    return (out[0], out[1]) if state is not None else (out, None)


#: Axis of the samples in a rule's state, for states kept per sample.
_SAMPLE_AXIS = {"mstdpet": 0, "clopath": 1}


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
    if name == "mstdpet":  # an eligibility per sample and synapse
        assert state.shape == (B, L, K, F)
    elif name == "clopath":  # two filtered potentials per sample and neuron
        assert state.shape == (2, B, L, F)
    elif state is not None:
        assert state.shape == (L, F)
    # inputs not mutated
    for before, after in zip(
        copies, (pre.spikes, post.spikes, w, *pre.traces), strict=True
    ):
        np.testing.assert_array_equal(before, after)
    # duplicating every sample doubles the summed dw
    doubled = [
        a._replace(
            spikes=np.concatenate([a.spikes, a.spikes]),
            traces=tuple(np.concatenate([t, t]) for t in a.traces),
            v=None if a.v is None else np.concatenate([a.v, a.v]),
            reward=None if a.reward is None else np.concatenate([a.reward] * 2),
        )
        for a in (pre, post)
    ]
    dw2, state2 = _call(rule, *doubled, w)
    np.testing.assert_allclose(dw2, 2 * dw, rtol=1e-10, atol=1e-15)
    if name in _SAMPLE_AXIS:  # a state per sample: each sample's twice
        twice = np.concatenate([state, state], axis=_SAMPLE_AXIS[name])
        np.testing.assert_allclose(state2, twice, rtol=1e-12)
    elif state is not None:  # a batch mean is unchanged by duplication
        np.testing.assert_allclose(state2, state, rtol=1e-12)
    # silence: no spikes, zero traces and potentials, from the initial state
    silent = [
        a._replace(
            spikes=np.zeros_like(a.spikes),
            traces=tuple(np.zeros_like(t) for t in a.traces),
            v=None if a.v is None else np.zeros_like(a.v),
        )
        for a in (pre, post)
    ]
    dw0, _ = _call(rule, *silent, w, shift=0.0)
    if name == "hebbian":  # only the decay term is left
        np.testing.assert_allclose(dw0, np.broadcast_to(-B * rule.decay * w, dw0.shape))
    else:
        assert np.all(dw0 == 0)
    # float32 stays float32
    pre32, post32 = (
        a._replace(
            traces=tuple(t.astype(np.float32) for t in a.traces),
            v=None if a.v is None else a.v.astype(np.float32),
        )
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
        reward=rng.choice([-1.0, 0.0, 1.0], size=4),  # for the reward rules
    )
    weights = out.params[0].weights
    assert np.isfinite(weights).all()
    assert weights.min() >= w_min and weights.max() <= w_max


# --------------------------------------------------------------------------
# reward-modulated rules: MSTDP, MSTDPET (Florian 2007), R-STDP (Mozafari 2018)


def test_mstdp_is_pair_stdp_times_the_reward():
    """dw = gamma r zeta: with the same reward at every step, pair STDP of
    amplitudes gamma * A_+-, times the reward; a reward per sample weighs
    that sample's pairings only."""
    rng = np.random.default_rng(11)
    pre = (rng.random((150, 2, 1, 5)) < 0.06).astype(float)
    post = (rng.random((150, 2, 1, 3)) < 0.06).astype(float)
    w = np.full((1, 5, 3), 0.5)
    rule = MSTDP(learning_rate=0.02, a_plus=1.0, a_minus=1.5, tau_plus=15.0)
    pair = PairSTDP(a_plus=0.02, a_minus=0.03, tau_pre=15.0, tau_post=20.0)
    expected = simulate(pair, pre, post, w)
    assert np.abs(expected).max() > 1e-3
    for reward in (1.0, -1.0, 0.0, 0.5):
        got = simulate(rule, pre, post, w, reward=np.full((150, 2), reward))
        np.testing.assert_allclose(got, reward * expected, rtol=1e-12, atol=1e-17)
    only_first = np.tile([1.0, 0.0], (150, 1))  # sample 1 never rewarded
    got = simulate(rule, pre, post, w, reward=only_first)
    first = simulate(pair, pre[:, :1], post[:, :1], w)
    np.testing.assert_allclose(got, first, rtol=1e-12, atol=1e-17)
    defaults = simulate(MSTDP(), pre, post, w, reward=np.ones((150, 2)))
    pair = PairSTDP(a_plus=0.01, a_minus=0.009)  # gamma = 0.01 times 1 and 0.9
    np.testing.assert_allclose(defaults, simulate(pair, pre, post, w))


def test_reward_rules_name_the_missing_reward():
    pre, post = _random_activity(np.random.default_rng(0), 2, 1, 3, 2)
    post = post._replace(reward=None)
    for rule in (MSTDP(), MSTDPET(), RSTDP()):
        state = rule.initial_state((1, 2))
        with pytest.raises(ValueError, match=f"{type(rule).__name__} .*reward"):
            rule.delta(pre, post, np.ones((1, 3, 2)), state)
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        MSTDP().delta(pre, post._replace(reward=np.ones(3)), np.ones((1, 3, 2)))
    assert MSTDP().reads() == ("reward",) and ClopathSTDP().reads() == ("v",)
    assert PairSTDP().reads() == () and not PairSTDP().inhibitory


@pytest.mark.parametrize("delay", [0, 20, 100])
def test_mstdpet_credits_a_pairing_by_a_later_reward(delay):
    """A pairing (pre at 10 ms, post at 15 ms) and a reward r at step 15 +
    delay: the eligibility z jumps by zeta / tau_z at the pairing and decays,
    so dw = gamma dt r zeta exp(-delay dt / tau_z) / tau_z, with zeta = A_+
    exp(-5 / tau_+). MSTDP, without the trace, changes nothing unless the
    reward coincides with the pairing; a reward before the pairing credits
    nothing."""
    n_steps = 15 + delay + 5
    pre, post = spike_train(n_steps, [10]), spike_train(n_steps, [15])
    w = np.full((1, 1, 1), 0.5)
    reward = np.zeros((n_steps, 1))
    reward[15 + delay] = 0.8
    rule = MSTDPET(learning_rate=0.05, a_plus=1.3, tau_plus=20.0, tau_z=40.0)
    dw = simulate(rule, pre, post, w, reward=reward)[0, 0, 0]
    zeta = 1.3 * np.exp(-5 / 20.0)
    assert dw == pytest.approx(0.05 * 0.8 * zeta * np.exp(-delay / 40.0) / 40.0)
    modulated = MSTDP(learning_rate=0.05, a_plus=1.3)
    plain = simulate(modulated, pre, post, w, reward=reward)[0, 0, 0]
    assert plain == pytest.approx(0.05 * 0.8 * zeta if delay == 0 else 0.0)
    early = np.zeros((n_steps, 1))
    early[12] = 1.0  # before the post spike: no eligibility yet
    assert simulate(rule, pre, post, w, reward=early)[0, 0, 0] == 0.0


def test_mstdpet_under_a_constant_reward_tends_to_mstdp():
    """Rewarded at every step, MSTDPET's change of a pairing tends to MSTDP's
    times (dt / tau_z) / (1 - exp(-dt / tau_z)) as the eligibility runs out."""
    pre, post = spike_train(400, [10]), spike_train(400, [15])
    w = np.full((1, 1, 1), 0.5)
    reward = np.ones((400, 1))
    rule = MSTDPET(tau_z=25.0)
    dw = simulate(rule, pre, post, w, reward=reward)[0, 0, 0]
    ratio = (1 / 25.0) / (1 - np.exp(-1 / 25.0))
    mstdp = simulate(MSTDP(), pre, post, w, reward=reward)[0, 0, 0]
    tail = np.exp(-(400 - 15) / 25.0)  # what the end of the presentation cuts
    assert dw == pytest.approx(mstdp * ratio * (1 - tail), rel=1e-9)


def _distal_reward_trials(rule, n_trials=30, n_inputs=12, seed=3):
    """Izhikevich's (2007) protocol, one trial per presentation: every input
    and the neuron fire at random (2 Hz); in every trial input 0 fires
    and the neuron fires 5 ms later, and a reward arrives 20 to 60 ms after
    that pairing; input 1 is paired the same way, but only after the reward.
    Returns the summed change of every synapse."""
    rng = np.random.default_rng(seed)
    n_steps = 200  # the last pairing ends by step 190
    total = np.zeros(n_inputs)
    for _ in range(n_trials):
        pre = (rng.random((n_steps, 1, 1, n_inputs)) < 0.002).astype(float)
        post = (rng.random((n_steps, 1, 1, 1)) < 0.002).astype(float)
        t0 = rng.integers(10, 60)
        pre[t0, 0, 0, 0] = post[t0 + 5, 0, 0, 0] = 1.0
        reward_at = t0 + 5 + rng.integers(20, 61)
        t1 = reward_at + rng.integers(20, 60)  # the pairing nothing rewards
        pre[t1, 0, 0, 1] = post[t1 + 5, 0, 0, 0] = 1.0
        reward = np.zeros((n_steps, 1))
        reward[reward_at] = 1.0
        w = np.full((1, n_inputs, 1), 0.5)
        total += simulate(rule, pre, post, w, reward=reward)[0, :, 0]
    return total


def test_mstdpet_solves_the_distal_reward_problem():
    """The synapse whose pre-post pairing is followed, 20 to 60 ms later, by a
    reward grows in every trial; the one whose pairing comes after the reward,
    and the synapses paired only by chance, change by far less (Izhikevich
    2007, Fig. 1, with tau_z = 100 ms standing for his 1 s tag). MSTDP, whose
    pairings must coincide with the reward, does not single it out."""
    rule = MSTDPET(learning_rate=0.01, tau_z=100.0)
    dw = _distal_reward_trials(rule)
    # each trial credits at least zeta exp(-60 / 100) / tau_z (its pairing)
    least = 0.01 * 30 * np.exp(-5 / 20.0) * np.exp(-60 / 100.0) / 100.0
    assert dw[0] > 0.8 * least
    assert np.abs(dw[1:]).max() < 0.25 * dw[0]
    assert abs(dw[1]) < 0.15 * dw[0]  # paired as often, but after the reward
    plain = _distal_reward_trials(MSTDP(learning_rate=0.01))
    assert abs(plain[0]) < 0.05 * dw[0]


def test_rstdp_is_stdp_under_reward_and_anti_stdp_under_punishment():
    """Mozafari et al. (2018): rewarded, the inputs that fired before the
    postsynaptic spike are potentiated by a_r+ and the others depressed by
    a_r- (SimplifiedSTDP's rule); punished, the former are depressed by a_p-
    and the others potentiated by a_p+; all times w (1 - w)."""
    rule = RSTDP(
        a_reward_plus=0.004,
        a_reward_minus=0.003,
        a_punish_plus=0.001,
        a_punish_minus=0.005,
    )
    # inputs: fired long before, fired after the post spike, never fired,
    # fired in the same step as the post spike
    pre = spike_train(300, [2], [250], [], [200])
    post = spike_train(300, [200])
    w = np.array([0.3, 0.6, 0.2, 0.9]).reshape(1, 4, 1)
    soft = w[0, :, 0] * (1 - w[0, :, 0])
    rewarded = simulate(rule, pre, post, w, reward=np.ones((300, 1)))[0, :, 0]
    np.testing.assert_allclose(rewarded, [0.004, -0.003, -0.003, 0.004] * soft)
    simplified = simulate(SimplifiedSTDP(0.004, 0.003), pre, post, w)[0, :, 0]
    np.testing.assert_allclose(rewarded, simplified)
    punished = simulate(rule, pre, post, w, reward=-np.ones((300, 1)))[0, :, 0]
    np.testing.assert_allclose(punished, [-0.005, 0.001, 0.001, -0.005] * soft)
    nothing = simulate(rule, pre, post, w, reward=np.zeros((300, 1)))
    assert np.all(nothing == 0)


# --------------------------------------------------------------------------
# voltage-based STDP (Clopath et al. 2010)


def clopath_pairing(rule, frequency, lag, n_pairs=5, start=50):
    """The change of one synapse under the pairing protocol of Clopath et al.
    (2010, Fig. 2b; Sjostrom et al. 2001): ``n_pairs`` presynaptic spikes at
    ``frequency`` Hz, each with a postsynaptic spike ``lag`` ms later. The
    postsynaptic potential (rest 0, threshold 1) has an EPSP of 0.3 (10 ms)
    after each presynaptic spike and an after-depolarisation of 1 (40 ms, the
    paper's neuron's) after each postsynaptic spike."""
    period = 1000.0 / frequency
    if period > 1000.0:  # isolated pairs: every filter and trace decays between
        return n_pairs * clopath_pairing(rule, 1.0, lag, 1, start)
    pre_times = [int(round(start + k * period)) for k in range(n_pairs)]
    post_times = [t + lag for t in pre_times]
    n_steps = max(pre_times + post_times) + 100
    t = np.arange(n_steps)
    v = np.zeros(n_steps)
    for spike in post_times:
        v += (t > spike) * np.exp(-np.maximum(t - spike, 0) / 40.0)
    for spike in pre_times:
        v += (t >= spike) * 0.3 * np.exp(-np.maximum(t - spike, 0) / 10.0)
    pre, post = spike_train(n_steps, pre_times), spike_train(n_steps, post_times)
    dw = simulate(rule, pre, post, np.full((1, 1, 1), 0.5), v=v.reshape(-1, 1, 1, 1))
    return dw[0, 0, 0]


def test_clopath_depresses_at_low_and_potentiates_at_high_frequency():
    """The paper's frequency dependence: post-pre pairs (-10 ms) depress at
    0.1 Hz and potentiate at 50 Hz; from 20 Hz up, both orders potentiate
    the more the higher the frequency (repeated depolarisation keeps
    u_bar_+ above theta_-), and pre-post pairs change little at 0.1 Hz."""
    rule = ClopathSTDP()
    frequencies = [0.1, 10.0, 20.0, 40.0, 50.0]
    post_pre = [clopath_pairing(rule, f, -10) for f in frequencies]
    pre_post = [clopath_pairing(rule, f, 10) for f in frequencies]
    assert post_pre[0] < -0.02 and post_pre[-1] > 0.05  # LTD, then LTP
    assert pre_post[-1] > 0.05 and abs(pre_post[0]) < 0.2 * pre_post[-1]
    for dw in (post_pre, pre_post):
        assert dw[2] < dw[3] < dw[4]
    # the crossover from depression to potentiation lies between 20 and 40 Hz
    assert post_pre[2] < 0 < post_pre[3]


def test_clopath_needs_the_potential_above_theta_plus_to_potentiate():
    """Without a postsynaptic spike (u below theta_+) a pre spike before a
    depolarisation does not potentiate; a pre spike after one depresses by
    A_LTD [u_bar_- - theta_-]_+, u_bar_- the potential low-pass filtered
    over tau_- (exactly, for a potential held constant)."""
    rule = ClopathSTDP(a_ltd=0.01, tau_minus=10.0, theta_minus=0.0)
    n_steps = 40
    v = np.full((n_steps, 1, 1, 1), 0.8)  # held at 0.8 from the first step
    pre, post = spike_train(n_steps, [30]), spike_train(n_steps, [])
    dw = simulate(rule, pre, post, np.full((1, 1, 1), 0.5), v=v)[0, 0, 0]
    # u_bar_- starts at theta_- = 0 and has seen 30 steps of 0.8 before step 30
    u_bar = 0.8 * (1 - np.exp(-30 / 10.0))
    assert dw == pytest.approx(-0.01 * u_bar, rel=1e-12)


# --------------------------------------------------------------------------
# inhibitory STDP (Vogels et al. 2011)


def test_istdp_window_is_symmetric_with_a_depression_per_pre_spike():
    """eta * exp(-|dt| / tau) for a pair in either order, minus eta * alpha at
    the presynaptic spike, alpha = 2 rho0 tau."""
    rule = InhibitorySTDP(eta=0.01, rho0=5.0, tau=20.0)
    alpha = 2 * 5.0e-3 * 20.0
    assert rule.alpha == pytest.approx(alpha)
    w = np.full((1, 1, 1), 0.5)
    for lag in (3, 8, -3, -8):
        pre, post = spike_train(40, [20]), spike_train(40, [20 + lag])
        dw = simulate(rule, pre, post, w)[0, 0, 0]
        assert dw == pytest.approx(0.01 * (np.exp(-abs(lag) / 20.0) - alpha))


def test_istdp_drives_the_postsynaptic_rate_to_the_target():
    """Vogels et al. (2011): a LIF neuron under a constant drive and 20
    independent Poisson inhibitory inputs (50 Hz) whose weights learn
    online. Without learning it fires at 60 Hz with no inhibition and not
    at all with strong inhibition; learning from either start brings it to
    rho0 = 10 Hz (mean drift eta rho_pre (2 rho_post tau - alpha), zero at
    rho_post = rho0). Each location is an independent neuron."""
    rho0, n_inh = 10.0, 20
    rng = np.random.default_rng(0)
    start = np.array([0.0, 0.0, 4.0, 4.0])  # inhibitory weights: none, strong
    neuron = LIF(tau_mem=20.0, v_thresh=1.0, t_ref=2.0)

    def run(eta, n_steps):
        rule = InhibitorySTDP(eta=eta, rho0=rho0, tau=20.0)
        w = np.repeat(start[:, None, None], n_inh, axis=1)  # (L, K, 1)
        state = neuron.initial_state((1, len(start), 1))
        x, y = np.zeros((1, len(start), n_inh)), np.zeros((1, len(start), 1))
        decay = np.exp(-1 / 20.0)
        spikes = np.zeros((n_steps, len(start)))
        for t in range(n_steps):
            pre = (rng.random((1, len(start), n_inh)) < 0.05).astype(float)
            current = 2.0 - np.einsum("slk,lkf->slf", pre, w)  # (1, L, 1)
            post, state = neuron.step(state, current, 1.0)
            post = post.astype(float)
            x *= decay
            y *= decay
            w = np.maximum(
                w + rule.delta(Activity(pre, (x,)), Activity(post, (y,)), w), 0
            )
            x += pre
            y += post
            spikes[t] = post[0, :, 0]
        return spikes

    fixed = run(0.0, 2000).mean(axis=0) * 1000  # Hz
    assert np.all(fixed[:2] > 5 * rho0) and np.all(fixed[2:] < 0.1 * rho0)
    learned = run(0.05, 6000)[-3000:].mean(axis=0) * 1000  # the last 3 s, Hz
    np.testing.assert_allclose(learned, rho0, rtol=0.25)
