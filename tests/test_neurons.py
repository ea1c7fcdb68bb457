"""Tests of stdp_lab.neurons against analytic results and published behaviour."""

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from stdp_lab.neurons import (
    IF,
    IZHIKEVICH_PRESETS,
    LIF,
    AdaptiveLIF,
    AdaptiveLIFState,
    Izhikevich,
    IzhikevichState,
    LIFState,
    NeuronModel,
    izhikevich_step_responses,
    make_neuron,
    run_current,
)


def _spike_steps(neuron, current, n_steps, dt, shape, dtype=np.float64):
    """Run with a constant current; return the bool spike record (n_steps, *shape)."""
    state = neuron.initial_state(shape, dtype=dtype)
    record = np.zeros((n_steps, *shape), dtype=bool)
    for t in range(n_steps):
        record[t], state = neuron.step(state, current, dt)
    return record


# ---------------------------------------------------------------------------
# LIF
# ---------------------------------------------------------------------------
def test_lif_rate_matches_analytic_rate():
    tau_mem, t_ref, v_thresh, resistance, dt = 20.0, 2.0, 1.0, 1.0, 0.01
    currents = np.array([1.2, 1.5, 2.0, 3.0, 5.0])
    neuron = LIF(tau_mem=tau_mem, t_ref=t_ref, v_thresh=v_thresh, v_reset=0.0)
    n_steps = 12_000  # 120 ms: at least 3 spikes for the weakest current
    record = _spike_steps(neuron, currents, n_steps, dt, shape=(1, currents.size))
    drive = resistance * currents
    expected_rate = 1000.0 / (t_ref + tau_mem * np.log(drive / (drive - v_thresh)))
    for j, rate in enumerate(expected_rate):
        times = dt * np.flatnonzero(record[:, 0, j])
        assert times.size >= 3
        measured = 1000.0 / np.mean(np.diff(times))
        assert measured == pytest.approx(rate, rel=0.02)


def test_lif_no_spike_inside_refractory_period():
    t_ref, dt = 3.0, 0.1
    neuron = LIF(tau_mem=10.0, t_ref=t_ref)
    v, spikes = run_current(neuron, np.full((1000, 1, 2), 100.0), dt)
    times = dt * np.flatnonzero(spikes[:, 0, 0])
    isi = np.diff(times)
    assert isi.size > 10
    assert isi.min() >= t_ref - 1e-9
    # The drive is huge, so the neuron fires right after the period ends.
    assert isi.max() <= t_ref + 2 * dt + 1e-9
    # During the refractory period v stays at v_reset.
    first = np.flatnonzero(spikes[:, 0, 0])[0]
    n_ref = round(t_ref / dt)
    np.testing.assert_array_equal(v[first : first + n_ref + 1, 0, 0], 0.0)


def test_lif_subthreshold_trace_is_exact():
    tau_mem, v_rest, resistance, current, dt = 15.0, -0.2, 2.0, 0.3, 0.5
    neuron = LIF(tau_mem=tau_mem, v_rest=v_rest, resistance=resistance, v_reset=-0.2)
    v, spikes = run_current(neuron, np.full((400, 2, 1), current), dt)
    t = dt * np.arange(1, 401)
    expected = v_rest + resistance * current * (1 - np.exp(-t / tau_mem))
    assert not spikes.any()
    np.testing.assert_allclose(v[:, 0, 0], expected, rtol=0, atol=1e-10)
    np.testing.assert_allclose(v[:, 1, 0], expected, rtol=0, atol=1e-10)


@settings(max_examples=30, deadline=None)
@given(
    v0=st.floats(-2.0, 0.99),
    current=st.floats(-5.0, 5.0),
    dt=st.floats(0.01, 5.0),
    tau_mem=st.floats(0.5, 100.0),
)
def test_lif_one_step_is_the_exponential_solution(v0, current, dt, tau_mem):
    neuron = LIF(tau_mem=tau_mem, v_rest=0.0, v_reset=-1.0, v_thresh=1.0, t_ref=0.0)
    state = neuron.initial_state((1, 1))
    state.v[...] = v0
    spikes, state = neuron.step(state, current, dt)
    v_inf = current
    expected = v_inf + (v0 - v_inf) * np.exp(-dt / tau_mem)
    if expected >= 1.0 + 1e-9:
        assert spikes[0, 0] and state.v[0, 0] == -1.0
    elif expected < 1.0 - 1e-9:
        assert not spikes[0, 0]
        assert state.v[0, 0] == pytest.approx(expected, abs=1e-12)


# ---------------------------------------------------------------------------
# IF
# ---------------------------------------------------------------------------
def test_if_spikes_at_exact_interval():
    capacitance = np.array([1.0, 2.0, 0.5])
    currents = np.array([0.25, 0.125, 0.0625])
    expected_interval = capacitance * 1.0 / currents  # steps at dt = 1: 4, 16, 8
    neuron = IF(v_thresh=1.0, v_reset=0.0, t_ref=0.0, capacitance=capacitance)
    record = _spike_steps(neuron, currents, 64, 1.0, shape=(2, 3))
    for j, interval in enumerate(expected_interval):
        steps = np.flatnonzero(record[:, 0, j])
        k = int(interval)
        np.testing.assert_array_equal(steps, np.arange(k - 1, 64, k))
        np.testing.assert_array_equal(record[:, 1, j], record[:, 0, j])


def test_if_refractory_adds_whole_steps():
    neuron = IF(v_thresh=1.0, t_ref=3.0)
    record = _spike_steps(neuron, 0.5, 40, 1.0, shape=(1, 1))
    # 2 steps to threshold, then 3 refractory steps: every 5 steps
    np.testing.assert_array_equal(np.flatnonzero(record[:, 0, 0]), np.arange(1, 40, 5))


# ---------------------------------------------------------------------------
# Adaptive LIF
# ---------------------------------------------------------------------------
def test_adaptive_threshold_lowers_rate_and_recovers():
    tau_theta, theta_plus, dt, drive = 200.0, 0.5, 0.2, 5.0
    neuron = AdaptiveLIF(
        tau_mem=10.0, t_ref=1.0, theta_plus=theta_plus, tau_theta=tau_theta
    )
    state = neuron.initial_state((1, 1))
    window = 250  # 50 ms

    def run(n_steps, current):
        nonlocal state
        record = np.zeros(n_steps, dtype=bool)
        for t in range(n_steps):
            spikes, state = neuron.step(state, current, dt)
            record[t] = spikes[0, 0]
        return record

    driven = run(2500, drive)  # 500 ms
    first, last = driven[:window].sum(), driven[-window:].sum()
    assert first >= 2 * last > 0
    theta_before = state.theta[0, 0]
    pause = 5 * tau_theta
    run(round(pause / dt), 0.0)
    np.testing.assert_allclose(
        state.theta[0, 0], theta_before * np.exp(-pause / tau_theta), rtol=1e-9
    )
    again = run(window, drive).sum()
    assert again >= 2 * last
    assert again >= first - 1


def test_adaptive_lif_without_adaptation_equals_lif():
    current = np.random.default_rng(0).uniform(0, 3, size=(300, 2, 4))
    v_lif, s_lif = run_current(LIF(tau_mem=8.0), current, 0.5)
    v_ad, s_ad = run_current(AdaptiveLIF(tau_mem=8.0, theta_plus=0.0), current, 0.5)
    np.testing.assert_array_equal(s_lif, s_ad)
    np.testing.assert_allclose(v_lif, v_ad, rtol=0, atol=1e-12)


# ---------------------------------------------------------------------------
# Izhikevich
# ---------------------------------------------------------------------------
PAPER_PRESETS = {  # Izhikevich (2003), Fig. 2: (a, b, c, d)
    "regular_spiking": (0.02, 0.2, -65, 8),
    "intrinsically_bursting": (0.02, 0.2, -55, 4),
    "chattering": (0.02, 0.2, -50, 2),
    "fast_spiking": (0.1, 0.2, -65, 2),
    "low_threshold_spiking": (0.02, 0.25, -65, 2),
    "thalamo_cortical": (0.02, 0.25, -65, 0.05),
    "resonator": (0.1, 0.26, -65, 2),
}


def test_izhikevich_presets_match_paper():
    assert set(IZHIKEVICH_PRESETS) == set(PAPER_PRESETS)
    for name, (a, b, c, d) in PAPER_PRESETS.items():
        neuron = Izhikevich.preset(name)
        assert (neuron.a, neuron.b, neuron.c, neuron.d) == (a, b, c, d)


def _isi(name, current=10.0, duration=300.0, dt=0.25):
    """Inter-spike intervals (ms) of a preset under a step current from t = 0."""
    n_steps = round(duration / dt)
    record = _spike_steps(Izhikevich.preset(name), current, n_steps, dt, (1, 1))
    return np.diff(dt * np.flatnonzero(record[:, 0, 0]))


def test_regular_spiking_adapts():
    isi = _isi("regular_spiking")
    assert isi.size >= 4
    assert np.all(np.diff(isi) >= -0.25)  # never shortens (up to one step)
    assert isi[-1] > 1.5 * isi[0]


def test_fast_spiking_is_fast_and_regular():
    isi = _isi("fast_spiking")
    steady = isi[3:]
    assert steady.max() < 12.0
    assert steady.max() / steady.min() < 1.15
    assert isi.size > 3 * _isi("regular_spiking").size


@pytest.mark.parametrize("name", ["chattering", "intrinsically_bursting"])
def test_bursting_cells_have_bimodal_intervals(name):
    isi = _isi(name)
    short, long_ = isi[isi < 8.0], isi[isi > 25.0]
    assert short.size >= 2 and long_.size >= 2
    assert short.size + long_.size == isi.size  # nothing in between: bimodal


def test_chattering_bursts_repeat():
    isi = _isi("chattering")
    long_positions = np.flatnonzero(isi > 25.0)
    assert long_positions.size >= 3
    # every burst (run between long intervals) holds at least 2 spikes
    assert np.all(np.diff(long_positions) >= 2)


def test_intrinsically_bursting_bursts_at_onset_only():
    isi = _isi("intrinsically_bursting")
    n_burst = np.argmax(isi > 25.0)
    assert n_burst >= 2  # an initial burst of >= 3 spikes
    assert np.all(isi[:n_burst] < 8.0)
    assert np.all(isi[n_burst:] > 25.0)  # then single spikes


@pytest.mark.parametrize("name", list(PAPER_PRESETS))
def test_izhikevich_subthreshold_input_never_spikes(name):
    # The resting state exists while 0.04 v^2 + (5 - b) v + 140 + I = 0 has real
    # roots, i.e. for I <= (5 - b)^2 / 0.16 - 140 (saddle-node). Near that value
    # a step can still evoke a transient spike, and the resonator's rest loses
    # stability earlier (damped oscillation), so use a quarter of it.
    b = PAPER_PRESETS[name][1]
    i_saddle = (5 - b) ** 2 / 0.16 - 140
    for current in (0.0, min(2.0, 0.25 * i_saddle)):
        for dt in (0.25, 1.0):
            record = _spike_steps(
                Izhikevich.preset(name), current, round(500 / dt), dt, (1, 1)
            )
            assert not record.any(), (current, dt)


def test_regular_spiking_rheobase():
    # b = 0.2: the rest state disappears at I = 4.8^2 / 0.16 - 140 = 4.
    record = _spike_steps(Izhikevich(), np.array([2.0, 4.5]), 4000, 0.25, (1, 2))
    assert not record[:, 0, 0].any()
    assert record[:, 0, 1].sum() >= 3


def _all_presets():
    return Izhikevich(
        **{k: np.array([p[i] for p in PAPER_PRESETS.values()]) for i, k in
           enumerate("abcd")}
    )  # fmt: skip


def test_izhikevich_dt_one_is_stable_and_close_to_fine_dt():
    n_presets = len(PAPER_PRESETS)
    v, coarse = run_current(_all_presets(), np.full((300, 1, n_presets), 10.0), 1.0)
    fine = _spike_steps(_all_presets(), 10.0, 1200, 0.25, (1, n_presets))
    assert np.all(np.isfinite(v))
    n_coarse, n_fine = coarse.sum(axis=(0, 1)), fine.sum(axis=(0, 1))
    # a spike waits for the end of its 1 ms step: rates agree to ~ 1 ms / ISI
    assert np.all(np.abs(n_coarse - n_fine) <= 0.2 * n_fine + 1), (n_coarse, n_fine)


def test_izhikevich_initial_state_and_reset():
    neuron = Izhikevich.preset("chattering")
    state = neuron.initial_state((2, 3))
    assert isinstance(state, IzhikevichState)
    # resting state at I = 0: 0.04 v^2 + 4.8 v + 140 = 0 -> v = -70, u = b v
    np.testing.assert_allclose(state.v, -70.0, rtol=1e-12)
    np.testing.assert_allclose(state.u, 0.2 * -70.0, rtol=1e-12)
    state.v[...] = 29.0
    u_before = state.u.copy()
    spikes, state = neuron.step(state, 0.0, 0.25)
    assert spikes.all()
    np.testing.assert_array_equal(state.v, -50.0)
    assert np.all(state.u > u_before + 2.0 - 0.5)  # u += d (plus a small drift)


def test_step_responses_gallery():
    responses = izhikevich_step_responses(duration=100.0, dt=0.5, onset=10.0)
    assert responses.names == tuple(IZHIKEVICH_PRESETS)
    assert responses.v.shape == responses.spikes.shape == (200, len(PAPER_PRESETS))
    assert not responses.spikes[responses.t <= 10.0].any()
    np.testing.assert_array_equal(responses.v[responses.spikes], 30.0)
    # each column equals a separate single-preset run
    j = responses.names.index("fast_spiking")
    drive = np.where(responses.t > 10.0, 10.0, 0.0)[:, None, None]
    _, spikes = run_current(Izhikevich.preset("fast_spiking"), drive, 0.5, (1, 1))
    np.testing.assert_array_equal(responses.spikes[:, j], spikes[:, 0, 0])


# ---------------------------------------------------------------------------
# Contract: per-neuron parameters, dtype, select, validation
# ---------------------------------------------------------------------------
ARRAY_CASES = [
    (LIF, {"tau_mem": [5.0, 10.0, 20.0], "v_thresh": [1.0, 0.8, 1.2]}, 2.0),
    (IF, {"capacitance": [1.0, 2.0, 4.0], "t_ref": [0.0, 1.0, 3.0]}, 1.0),
    (LIF, {"v_reset": [0.0, 0.3, -0.5], "t_ref": [1.0, 2.0, 3.5]}, 2.0),
    (AdaptiveLIF, {"theta_plus": [0.0, 0.1, 0.3], "tau_theta": [5.0, 50, 500]}, 2.0),
    (Izhikevich, {k: [IZHIKEVICH_PRESETS[n][k] for n in PAPER_PRESETS][:3]
                  for k in "abcd"}, 20.0),
]  # fmt: skip


@pytest.mark.parametrize(("cls", "params", "scale"), ARRAY_CASES)
def test_array_parameters_equal_scalar_runs(cls, params, scale):
    rng = np.random.default_rng(1)
    current = rng.uniform(0, scale, size=(200, 2, 3))
    v, spikes = run_current(cls(**params), current, 0.5)
    assert spikes.any()
    for j in range(3):
        scalar = cls(**{k: vals[j] for k, vals in params.items()})
        v_j, s_j = run_current(scalar, current[:, :, j : j + 1], 0.5)
        np.testing.assert_array_equal(spikes[:, :, j : j + 1], s_j)
        np.testing.assert_allclose(v[:, :, j : j + 1], v_j, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    ("neuron", "scale"),
    [(LIF(), 2.0), (IF(), 1.0), (AdaptiveLIF(theta_plus=0.2), 2.0), (Izhikevich(), 20)],
)
def test_float32_is_preserved(neuron, scale):
    current = np.random.default_rng(2).uniform(0, scale, size=(100, 3, 4))
    state = neuron.initial_state((3, 4), dtype=np.float32)
    assert all(arr.dtype == np.float32 for arr in state)
    n_spikes = 0
    for t in range(100):
        spikes, state = neuron.step(state, current[t], 0.5)  # float64 current
        assert spikes.dtype == bool
        n_spikes += spikes.sum()
        assert all(arr.dtype == np.float32 for arr in state)
    assert n_spikes > 0
    v64, _ = run_current(neuron, current[:5], 0.5)
    v32, _ = run_current(neuron, current[:5], 0.5, dtype=np.float32)
    np.testing.assert_allclose(v32, v64, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("theta_plus", [0.1, [[0.1, 0.2, 0.0], [0.3, 0.05, 0.4]]])
def test_share_adaptation_adds_the_other_samples_spikes(theta_plus):
    """Each sample's threshold rises by theta_plus for every spike of that
    neuron in the *other* samples (its own were counted by step); checked
    against a loop over samples and neurons."""
    rng = np.random.default_rng(4)
    neuron = AdaptiveLIF(theta_plus=theta_plus)
    state = neuron.initial_state((5, 2, 3))
    state.theta[...] = rng.random((5, 2, 3))
    before = state.theta.copy()
    spikes = rng.random((5, 2, 3)) < 0.3
    neuron.share_adaptation(state, spikes, 1.0)
    plus = np.broadcast_to(theta_plus, (2, 3))
    expected = before.copy()
    for b in range(5):
        for loc in range(2):
            for f in range(3):
                others = sum(spikes[c, loc, f] for c in range(5) if c != b)
                expected[b, loc, f] += plus[loc, f] * others
    np.testing.assert_allclose(state.theta, expected, rtol=1e-12)
    neuron.share_adaptation(state, np.zeros_like(spikes), 1.0)  # no spikes
    np.testing.assert_allclose(state.theta, expected, rtol=1e-12)


def test_step_updates_state_in_place():
    neuron = LIF()
    state = neuron.initial_state((2, 3))
    v, refractory = state.v, state.refractory
    _, new_state = neuron.step(state, 50.0, 1.0)
    assert new_state is state
    assert new_state.v is v and new_state.refractory is refractory
    assert np.all(v == 0.0) and np.all(refractory == 2.0)  # all spiked and reset


@pytest.mark.parametrize("cls", [LIF, AdaptiveLIF])
def test_select_subset_is_respected(cls):
    neuron = cls(tau_mem=10.0, t_ref=2.0)
    state = neuron.initial_state((1, 3))
    current = np.array([[3.0, 4.0, 0.1]])
    seen = {}

    def select(candidates, margin):
        seen["candidates"], seen["margin"] = candidates.copy(), margin.copy()
        chosen = np.zeros_like(candidates)
        chosen[0, np.argmax(np.where(candidates, margin, -np.inf))] = True
        return chosen

    decay = np.exp(-5.0 / 10.0)
    expected_v = current * (1 - decay)
    spikes, state = neuron.step(state, current, 5.0, select=select)
    np.testing.assert_array_equal(seen["candidates"], [[True, True, False]])
    np.testing.assert_allclose(seen["margin"], expected_v - 1.0, atol=1e-12)
    np.testing.assert_array_equal(spikes, [[False, True, False]])
    # neuron 0 crossed threshold but was not chosen: not reset, not refractory
    assert state.v[0, 0] == pytest.approx(expected_v[0, 0]) and state.v[0, 0] >= 1.0
    assert state.refractory[0, 0] == 0.0
    assert state.v[0, 1] == 0.0 and state.refractory[0, 1] == 2.0
    if cls is AdaptiveLIF:
        np.testing.assert_allclose(state.theta, [[0.0, 0.05, 0.0]])
    # next step without select: the kept supra-threshold neuron spikes at once
    spikes, state = neuron.step(state, current, 0.1)
    assert spikes[0, 0] and not spikes[0, 1]


def test_select_result_is_intersected_with_candidates():
    neuron = LIF()
    state = neuron.initial_state((1, 2))
    spikes, state = neuron.step(
        state, np.array([[50.0, 0.0]]), 1.0, select=lambda c, m: np.ones_like(c)
    )
    np.testing.assert_array_equal(spikes, [[True, False]])
    with pytest.raises(ValueError, match="select"):
        neuron.step(state, 0.0, 1.0, select=lambda c, m: np.ones(3, dtype=bool))


BAD_PARAMS = [
    (LIF, {"tau_mem": 0.0}, "tau_mem"),
    (LIF, {"tau_mem": [1.0, -1.0]}, "tau_mem"),
    (LIF, {"t_ref": -1.0}, "t_ref"),
    (LIF, {"resistance": 0.0}, "resistance"),
    (LIF, {"v_reset": 1.5}, "v_reset"),
    (LIF, {"v_thresh": np.nan}, "v_thresh"),
    (LIF, {"tau_mem": [1.0, 2.0, 3.0, 4.0]}, "tau_mem"),  # does not fit layer (2,)
    (IF, {"capacitance": -2.0}, "capacitance"),
    (AdaptiveLIF, {"tau_theta": 0.0}, "tau_theta"),
    (AdaptiveLIF, {"theta_plus": -0.1}, "theta_plus"),
    (Izhikevich, {"c": 40.0}, "c"),
]


@pytest.mark.parametrize(("cls", "params", "name"), BAD_PARAMS)
def test_bad_parameters_raise_naming_them(cls, params, name):
    with pytest.raises(ValueError, match=name):
        cls(**params).initial_state((3, 2))
    good = cls()
    state = good.initial_state((3, 2))
    good.set_params(**params)  # the cache must notice the change
    with pytest.raises(ValueError, match=name):
        good.step(state, 0.0, 1.0)


def test_bad_step_and_shape_arguments():
    neuron = LIF()
    state = neuron.initial_state((1, 2))
    for dt in (0.0, -1.0, np.inf):
        with pytest.raises(ValueError, match="dt"):
            neuron.step(state, 0.0, dt)
    with pytest.raises(ValueError, match="shape"):
        neuron.initial_state(())
    with pytest.raises(TypeError, match="dtype"):
        neuron.initial_state((1, 2), dtype=np.int64)
    with pytest.raises(TypeError, match="tau_mem"):
        LIF(tau_mem="fast").initial_state((1, 2))


def test_set_params_changes_dynamics():
    neuron = IF(v_thresh=10.0)
    state = neuron.initial_state((1, 1))
    neuron.step(state, 0.25, 1.0)
    assert state.v[0, 0] == 0.25
    neuron.set_params(capacitance=0.5)
    neuron.step(state, 0.25, 1.0)
    assert state.v[0, 0] == 0.75
    neuron.capacitance = 0.25  # plain assignment refreshes the constants too
    neuron.step(state, 0.25, 1.0)
    assert state.v[0, 0] == 1.75


def test_state_types():
    assert isinstance(LIF().initial_state((1, 2)), LIFState)
    assert isinstance(IF().initial_state((1, 2)), LIFState)
    assert isinstance(AdaptiveLIF().initial_state((1, 2)), AdaptiveLIFState)
    state = LIF(v_rest=-0.5, v_reset=-0.5).initial_state((4, 2, 3))
    assert state.v.shape == (4, 2, 3)
    np.testing.assert_array_equal(state.v, -0.5)
    np.testing.assert_array_equal(state.refractory, 0.0)


def test_clone_and_pickle_keep_parameters_only():
    neuron = LIF(tau_mem=np.array([5.0, 10.0]))
    state = neuron.initial_state((1, 2))
    neuron.step(state, 1.0, 1.0)
    restored = pickle.loads(pickle.dumps(neuron))
    assert "_cache" not in restored.__dict__
    assert "_cache" in neuron.__dict__  # pickling did not drop the live cache
    cloned = clone(neuron)
    current = np.ones((20, 1, 2)) * 1.5
    ref = run_current(neuron, current, 1.0)[0]
    np.testing.assert_array_equal(run_current(restored, current, 1.0)[0], ref)
    np.testing.assert_array_equal(run_current(cloned, current, 1.0)[0], ref)


def test_make_neuron():
    assert type(make_neuron("lif")) is LIF
    assert type(make_neuron("if")) is IF
    assert type(make_neuron("adaptive_lif")) is AdaptiveLIF
    assert type(make_neuron("izhikevich")) is Izhikevich
    assert make_neuron("fast_spiking").a == 0.1
    neuron = AdaptiveLIF(theta_plus=0.1)
    assert make_neuron(neuron) is neuron
    assert isinstance(neuron, NeuronModel)
    with pytest.raises(ValueError, match="'lif'.*'resonator'"):
        make_neuron("hodgkin_huxley")
    with pytest.raises(TypeError, match="neuron"):
        make_neuron(3)
    with pytest.raises(ValueError, match="regular_spiking"):
        Izhikevich.preset("bursting")
