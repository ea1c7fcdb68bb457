"""Matplotlib helpers for stdp_lab (nothing in the core imports this module).

Every function takes ``ax=None`` (a new figure is made when it is ``None``) and
returns the Axes it drew on; functions that draw several panels return the
Figure. Times are in ms. To add a plot, write one more function with the same
``ax=None`` convention and list it in ``__all__``.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "plot_membrane_trace",
    "plot_spike_raster",
    "plot_firing_patterns",
    "plot_step_responses",
    "plot_stdp_window",
]


def _axes(ax):
    """Return ``ax``, or the Axes of a new figure when it is None."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(6.0, 2.5), layout="constrained")
    return ax


def plot_membrane_trace(t, v, spikes=None, ax=None, *, label=None, color=None):
    """Plot a membrane potential trace, with the spike times marked.

    Parameters
    ----------
    t : array-like of shape (n_steps,)
        Times, in ms.
    v : array-like of shape (n_steps,)
        Membrane potential.
    spikes : array-like of bool, shape (n_steps,), optional
        Steps with a spike; each is marked by a tick above the trace.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when None.
    label, color : optional
        Passed to ``Axes.plot``.

    Returns
    -------
    ax : matplotlib Axes
    """
    t = np.asarray(t, dtype=float)
    v = np.asarray(v, dtype=float)
    if t.ndim != 1 or v.shape != t.shape:
        raise ValueError(
            f"t and v must be 1-D of the same length, got shapes {t.shape} and "
            f"{v.shape}"
        )
    ax = _axes(ax)
    (line,) = ax.plot(t, v, lw=1.0, label=label, color=color)
    if spikes is not None:
        spikes = np.asarray(spikes, dtype=bool)
        if spikes.shape != t.shape:
            raise ValueError(
                f"spikes must have the shape of t {t.shape}, got {spikes.shape}"
            )
        if spikes.any():
            top = np.nanmax(v) if v.size else 0.0
            span = (np.nanmax(v) - np.nanmin(v)) if v.size else 1.0
            y = top + 0.08 * (span or 1.0)
            ax.plot(
                t[spikes],
                np.full(int(spikes.sum()), y),
                linestyle="none",
                marker="|",
                markersize=8,
                color=line.get_color(),
            )
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("membrane potential")
    return ax


def plot_spike_raster(spikes, dt=1.0, ax=None, *, color="k"):
    """Plot a spike raster: one row per neuron, one dot per spike.

    Parameters
    ----------
    spikes : array-like of bool, shape (n_steps, n_neurons)
        Spike record, time-major.
    dt : float, default=1.0
        Time step, in ms; step ``k`` is drawn at ``k * dt``.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when None.
    color : color, default="k"

    Returns
    -------
    ax : matplotlib Axes
    """
    spikes = np.asarray(spikes, dtype=bool)
    if spikes.ndim != 2:
        raise ValueError(
            f"spikes must have shape (n_steps, n_neurons), got {spikes.shape}"
        )
    if not dt > 0:
        raise ValueError(f"dt must be > 0, got {dt!r}")
    ax = _axes(ax)
    steps, neurons = np.nonzero(spikes)
    ax.scatter(steps * dt, neurons, s=4, marker="|", color=color)
    ax.set_xlim(0, spikes.shape[0] * dt)
    ax.set_ylim(-0.5, max(spikes.shape[1], 1) - 0.5)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("neuron")
    return ax


def plot_firing_patterns(
    presets=None,
    duration: float = 200.0,
    dt: float = 0.25,
    current: float = 10.0,
    *,
    onset: float = 20.0,
    n_cols: int = 2,
):
    """Draw the Izhikevich gallery: one panel per cell class under a step current.

    Each panel shows the membrane potential (mV) of one preset of
    :class:`stdp_lab.neurons.Izhikevich`, with spike ticks and the step current
    (switched on at ``onset``) drawn beneath, as in Izhikevich (2003), Fig. 2.

    Parameters
    ----------
    presets : sequence of str, optional
        Preset names (default: all of ``IZHIKEVICH_PRESETS``).
    duration : float, default=200.0
        Simulated time, in ms.
    dt : float, default=0.25
        Time step, in ms.
    current : float, default=10.0
        Step amplitude.
    onset : float, default=20.0
        When the step starts, in ms.
    n_cols : int, default=2
        Panels per row.

    Returns
    -------
    fig : matplotlib Figure

    References
    ----------
    .. [1] Izhikevich, E. M. (2003). Simple model of spiking neurons. IEEE
       Trans. Neural Netw. 14(6), 1569-1572.
    """
    from .neurons import izhikevich_step_responses

    responses = izhikevich_step_responses(
        presets, duration=duration, dt=dt, current=current, onset=onset
    )
    return plot_step_responses(responses, n_cols=n_cols)


def plot_step_responses(responses, *, n_cols: int = 2):
    """Draw precomputed step responses, one panel per neuron (see above).

    Parameters
    ----------
    responses : stdp_lab.neurons.StepResponses
        From :func:`stdp_lab.neurons.izhikevich_step_responses`.
    n_cols : int, default=2
        Panels per row.

    Returns
    -------
    fig : matplotlib Figure
    """
    import matplotlib.pyplot as plt

    current = float(np.max(np.abs(responses.current), initial=0.0))
    n_panels = len(responses.names)
    n_cols = max(1, min(int(n_cols), n_panels))
    n_rows = -(-n_panels // n_cols)  # ceil
    fig, axes = plt.subplots(
        n_rows,
        n_cols,
        figsize=(4.2 * n_cols, 2.2 * n_rows),
        sharex=True,
        squeeze=False,
        layout="constrained",
    )
    v_min = float(responses.v.min())
    for k, ax in enumerate(axes.flat):
        if k >= n_panels:
            ax.set_visible(False)
            continue
        name = responses.names[k]
        plot_membrane_trace(
            responses.t, responses.v[:, k], responses.spikes[:, k], ax=ax
        )
        # the step current, scaled into a strip below the trace
        strip = v_min - 15.0 + 8.0 * responses.current / max(current, 1e-12)
        ax.plot(responses.t, strip, color="0.5", lw=0.8)
        n_spikes = int(responses.spikes[:, k].sum())
        ax.set_title(f"{name.replace('_', ' ')} ({n_spikes} spikes)", fontsize=9)
        ax.set_ylabel("v (mV)")
        if k < n_panels - n_cols:
            ax.set_xlabel("")
    fig.suptitle(
        f"Izhikevich neurons, step current I = {current:g} from {responses.onset:g} ms"
    )
    return fig


def plot_stdp_window(delays, dw, ax=None, *, label=None, marker="o"):
    """Plot a measured STDP window: weight change against spike-time difference.

    Parameters
    ----------
    delays : array-like of shape (n,)
        ``t_post - t_pre`` in ms (positive: pre before post).
    dw : array-like of shape (n,)
        Weight change of each pairing (e.g. from
        :func:`stdp_lab.network.measure_stdp_window`).
    ax : matplotlib Axes, optional
    label : str, optional
        Legend label.

    Returns
    -------
    ax : matplotlib Axes
    """
    ax = _axes(ax)
    ax.axhline(0.0, color="0.7", lw=0.8)
    ax.axvline(0.0, color="0.7", lw=0.8)
    ax.plot(np.asarray(delays), np.asarray(dw), marker=marker, ms=3, lw=1, label=label)
    ax.set_xlabel("t_post - t_pre (ms)")
    ax.set_ylabel("weight change")
    if label is not None:
        ax.legend(frameon=False, fontsize="small")
    return ax
