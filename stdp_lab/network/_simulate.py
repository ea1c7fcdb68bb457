"""simulate(): a stack of layers over one presentation, on either engine."""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence

import numpy as np

from .._config import ENGINES, get_config
from .._validation import check_choice, check_scalar
from . import _numpy
from ._layer import Layer, LayerParams, SimulationResult
from ._options import SimulationOptions

__all__ = ["simulate", "resolve_engine", "measure_stdp_window"]


def resolve_engine(engine: str, layer: Layer, learn: bool = True) -> str:
    """``"numba"`` or ``"numpy"``: the engine that runs ``layer`` (its rule
    matters only while learning).

    ``"auto"`` follows the global configuration (:func:`stdp_lab.set_config`)
    and, where that is ``"auto"`` too, picks the compiled engine when numba
    imports and every part of the layer has a compiled form. ``"numba"``
    raises a ValueError naming the part without one (or an ImportError when
    numba is missing).
    """
    check_choice(engine, "engine", ENGINES)
    if engine == "auto":
        engine = get_config()["engine"]
    if engine == "numpy":
        return "numpy"
    from . import _compiled

    reason = _compiled.unsupported(layer, learn)
    if reason is None:
        return "numba"
    if engine == "numba":
        if reason.startswith("numba"):
            raise ImportError(f"engine='numba' needs {reason}")
        raise ValueError(
            f"engine='numba' cannot run this layer: {reason}; use engine='auto' "
            "(falls back to numpy) or engine='numpy'"
        )
    return "numpy"


def simulate(
    layers: Sequence[Layer],
    params: Sequence[LayerParams],
    spikes_in: Iterable[np.ndarray],
    *,
    learn: bool = False,
    dt: float = 1.0,
    record: Sequence[str] = (),
    update_every: int | None = None,
    engine: str = "auto",
    options: SimulationOptions | None = None,
    reward=None,
) -> SimulationResult:
    """Run a stack of layers on a stream of input spikes, one step at a time.

    Parameters
    ----------
    layers : sequence of Layer
        Layer ``i + 1`` receives the spikes of layer ``i`` flattened in C order
        from ``(n_locations, n_filters)``, i.e. as an image
        ``(*layers[i].connectivity.output_grid, n_filters)``.
    params : sequence of LayerParams
        One per layer; not modified (learning works on copies).
    spikes_in : iterable of ndarray of bool, shape (n_samples, n_inputs)
        Input spikes, one array per time step of ``dt`` ms (an encoder's
        ``steps(...)``). The arrays may be reused buffers; they are read at once.
    learn : bool, default=False
        Apply each layer's plasticity rule (layers without one do not learn).
    dt : float, default=1.0
        Time step in ms.
    record : sequence of {"spikes", "v"}, default=()
        Quantities to keep at every step (memory grows with the number of steps,
        so only on request).
    update_every : int or None, default=None
        While learning, apply the accumulated weight changes every
        ``update_every`` steps (1: online learning, as in Diehl & Cook 2015 and
        BindsNET, for long continuous streams); None: once, at the end of the
        presentation (fastest: the first layer's currents of many steps are then
        one sparse product). Normalisation happens at the end in both cases.
    engine : {"auto", "numba", "numpy"}, default="auto"
        Which engine runs each layer (see :data:`stdp_lab.ENGINES`): the
        compiled one where every part of the layer has a compiled form
        ("auto"), insisting on it ("numba") or the numpy reference.
    options : SimulationOptions or None, default=None
        Tuning of how the work is done (None: the defaults); results do not
        depend on it beyond float rounding.
    reward : array-like of shape (n_samples,) or (n_steps, n_samples), optional
        While learning, the reward of each sample, the third factor of the
        reward-modulated rules (those whose :meth:`Rule.reads
        <stdp_lab.plasticity.Rule.reads>` holds ``"reward"``: MSTDP, MSTDPET,
        R-STDP), which need it: one value per sample, the same at every step,
        or one row per step (a reward delivered at chosen steps, as in the
        distal reward problem). Ignored by the other rules.

    Returns
    -------
    SimulationResult
        Spike counts per layer, parameters after the run, the records and what
        each layer ran on.

    Notes
    -----
    Order of work in one step of one layer (the same on both engines, for
    every connectivity, neuron and rule): the input current of this step's
    presynaptic spikes minus the inhibition the competition computed from the
    previous step; the neuron update and the selection of winners; the
    inhibition for the next step; while learning, the traces decay by
    ``exp(-dt / tau)``, the rule's change from this step's spikes and the
    decayed traces (and, for rules that read them, the potentials at the end
    of the step and this step's reward) is summed, then this step's spikes are
    added to the traces.
    Layers run one after the other over the whole presentation (the network
    is feed-forward, so this is the same as stepping them together), each
    handing its spikes to the next.
    """
    check_scalar(dt, "dt", numbers.Real, low=0.0, low_inclusive=False)
    if len(layers) != len(params) or not layers:
        raise ValueError(
            "layers and params must be non-empty and of equal length, got "
            f"{len(layers)} layers and {len(params)} params"
        )
    for i in range(1, len(layers)):
        n_in, n_out = (
            layers[i].connectivity.n_inputs,
            layers[i - 1].connectivity.n_outputs,
        )
        if n_in != n_out:
            raise ValueError(
                f"layer {i} takes {n_in} inputs but layer {i - 1} has {n_out} "
                "outputs (n_locations * n_filters)"
            )
    for name in record:
        if name not in ("spikes", "v"):
            raise ValueError(f"record must hold 'spikes' or 'v', got {name!r}")
    if update_every is not None:
        check_scalar(update_every, "update_every", numbers.Integral, low=1)
    if options is None:
        options = SimulationOptions()
    elif not isinstance(options, SimulationOptions):
        raise TypeError(
            f"options must be a SimulationOptions or None, got {type(options).__name__}"
        )
    engines = [resolve_engine(engine, layer, learn) for layer in layers]
    counts, new_params, info = [], [], []
    records = {name: [] for name in record}
    x = spikes_in
    with _blas_single_thread():
        for i, (layer, p, kind) in enumerate(zip(layers, params, engines, strict=True)):
            if kind == "numba":
                from . import _compiled as engine_module
            else:
                engine_module = _numpy
            c, q, rec, x, layer_info = engine_module.run_layer(
                layer,
                p,
                x,
                learn=learn,
                dt=dt,
                record=record,
                update_every=update_every,
                options=options,
                emit=i + 1 < len(layers),
                reward=reward,
            )
            counts.append(c)
            new_params.append(q)
            info.append(layer_info)
            for name in record:
                records[name].append(rec[name])
    return SimulationResult(counts, new_params, records, info)


_CONTROLLER = None


def _blas_single_thread():
    """Context in which BLAS uses one thread.

    The products of one time step are small (well under a millisecond), and a
    threaded BLAS spends more time waking its threads than computing; on a busy
    machine it can be 100 times slower. Parallel work belongs to ``n_jobs``
    (samples split across processes), as in scikit-learn.
    """
    global _CONTROLLER
    if _CONTROLLER is None:
        from threadpoolctl import ThreadpoolController  # a scikit-learn dependency

        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1, user_api="blas")


def measure_stdp_window(
    rule,
    delays,
    *,
    dt: float = 1.0,
    weight: float = 0.5,
    engine: str = "auto",
    reward: float = 1.0,
):
    """Weight change of one synapse for isolated pre/post pairs, through the simulator.

    For each delay ``d = t_post - t_pre`` (ms) a two-input dense layer with one
    non-leaky integrate-and-fire neuron is run: input 0 is the measured synapse
    (weight ``weight``, too weak to fire the neuron on its own), input 1 makes the
    neuron fire at ``t_post``. Each delay is a separate run, so the pairs stay
    isolated; the change of the measured synapse is returned.

    Parameters
    ----------
    rule : str or Rule
    delays : array-like of float
        ``t_post - t_pre`` in ms, multiples of ``dt``; positive means the
        pre-synaptic spike comes first.
    dt : float, default=1.0
        Time step in ms.
    weight : float, default=0.5
        Weight of the measured synapse in [0, 1): the layer's bounds are 0
        and 1, which is what soft-bounded rules (multiplicative STDP,
        ``SimplifiedSTDP``) scale their changes by; a change that would take
        the weight past a bound is clipped to it.
    engine : {"auto", "numba", "numpy"}, default="auto"
        The simulation engine (see :func:`simulate`).
    reward : float, default=1.0
        The reward at every step, for reward-modulated rules (ignored by the
        others).

    Returns
    -------
    dw : ndarray of shape (n_delays,)

    Notes
    -----
    An inhibitory rule (:class:`~stdp_lab.plasticity.InhibitorySTDP`) is
    measured on the synapse as it would change an inhibitory one (a layer
    would otherwise run it on its lateral inhibition).
    """
    import copy

    from ..connectivity import Dense
    from ..neurons import IF
    from ..plasticity import make_rule

    rule = make_rule(rule)
    if rule.inhibitory:  # measured on the feedforward synapse
        rule = copy.copy(rule)
        rule.inhibitory = False

    delays = np.asarray(delays, dtype=np.float64)
    steps = np.rint(delays / dt).astype(int)  # (n,)
    n = len(steps)
    start = int(np.abs(steps).max(initial=0)) + 1
    t_pre = np.where(steps >= 0, start, start - steps)
    t_post = t_pre + steps
    n_steps = int(max(t_pre.max(), t_post.max())) + 2
    train = np.zeros((n_steps, n, 2), dtype=bool)  # (T, B, inputs)
    train[t_pre, np.arange(n), 0] = True
    train[t_post, np.arange(n), 1] = True
    conn = Dense(2, n_filters=1)
    layer = Layer(
        conn,
        neuron=IF(v_thresh=1.0, v_reset=0.0, t_ref=0.0),
        rule=rule,  # soft-bounded rules read the bounds [0, 1]
        w_min=0.0,
        w_max=1.0,
    )
    params = LayerParams(np.array([[[weight], [1.0 / dt]]]))  # (1, 2, 1)
    # One sample per layer run keeps each pair isolated from the others' updates.
    dw = np.empty(n)
    for i in range(n):
        out = simulate(
            [layer],
            [params],
            iter(train[:, i : i + 1]),
            learn=True,
            dt=dt,
            engine=engine,
            reward=np.full(1, reward),
        )
        dw[i] = out.params[0].weights[0, 0, 0] - weight
    return dw
