"""Matplotlib helpers for stdp_lab (nothing in the core imports this module).

Every function takes ``ax=None`` (a new figure is made when it is ``None``) and
returns matplotlib objects: the Axes it drew on, or the artist holding the data
where that is more useful (the image of :func:`plot_receptive_fields`, the bars
of :func:`plot_rule_comparison`, scikit-learn's display for
:func:`plot_confusion_matrix`); functions that draw several panels return the
Figure. Times are in ms. To add a plot, write one more function with the same
``ax=None`` convention and list it in ``__all__``.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._validation import check_scalar, check_shape

__all__ = [
    "plot_membrane_trace",
    "plot_spike_raster",
    "plot_firing_patterns",
    "plot_step_responses",
    "plot_stdp_window",
    "plot_receptive_fields",
    "plot_weight_histogram",
    "plot_rule_comparison",
    "plot_paired_differences",
    "plot_learning_curve",
    "plot_confusion_matrix",
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


# ---------------------------------------------------------------------------
# learned weights
# ---------------------------------------------------------------------------
def _check_patch_shape(patch_shape, patch_size: int) -> tuple[int, int, int]:
    """``(kh, kw)`` or ``(kh, kw, c)`` as a 3-tuple holding ``patch_size`` values."""
    shape = check_shape(patch_shape, "patch_shape", (2, 3), pad_to=3)
    if shape[0] * shape[1] * shape[2] != patch_size:
        raise ValueError(
            f"patch_shape {tuple(patch_shape)!r} holds {int(np.prod(shape))} values "
            f"but the weights have patch_size {patch_size}"
        )
    return shape


def _tile_images(weights, patch_shape) -> np.ndarray:
    """One 2-D picture per (location, filter), each scaled to [0, 1].

    Returns an array of shape (n_locations, n_filters, kh, kw). With two channels
    (ON, OFF) a picture is ON - OFF; with another number of channels it is their
    mean. A constant picture becomes all zeros.
    """
    n_loc, patch_size, n_filters = weights.shape
    kh, kw, c = patch_shape
    w = weights.transpose(0, 2, 1)  # (L, F, K)
    w = w.reshape(n_loc, n_filters, kh, kw, c)  # (L, F, kh, kw, c), patch C order
    if c == 2:
        tiles = w[..., 0] - w[..., 1]  # (L, F, kh, kw), ON - OFF
    else:
        tiles = w.mean(axis=-1)  # (L, F, kh, kw)
    low = tiles.min(axis=(2, 3), keepdims=True)  # (L, F, 1, 1)
    span = tiles.max(axis=(2, 3), keepdims=True) - low  # (L, F, 1, 1)
    return np.divide(
        tiles - low, span, out=np.zeros_like(tiles), where=span > 0
    )  # (L, F, kh, kw)


def _mosaic(tiles: np.ndarray) -> np.ndarray:
    """Lay tiles (n_rows, n_cols, kh, kw) out as one image with 1-pixel NaN gaps.

    The image has shape ``(n_rows * (kh + 1) - 1, n_cols * (kw + 1) - 1)``; tile
    ``(i, j)`` occupies rows ``i * (kh + 1)`` to ``i * (kh + 1) + kh - 1`` and the
    columns likewise.
    """
    n_rows, n_cols, kh, kw = tiles.shape
    padded = np.full((n_rows, n_cols, kh + 1, kw + 1), np.nan)  # gap right and below
    padded[:, :, :kh, :kw] = tiles
    image = padded.transpose(0, 2, 1, 3)  # (rows, kh + 1, cols, kw + 1)
    image = image.reshape(n_rows * (kh + 1), n_cols * (kw + 1))  # (H + 1, W + 1)
    return image[:-1, :-1]


def plot_receptive_fields(
    weights,
    patch_shape,
    *,
    locations=None,
    max_filters=None,
    ax=None,
    cmap="gray_r",
):
    """Draw the learned weights of a layer as one image of receptive-field tiles.

    Parameters
    ----------
    weights : array-like of shape (1 | n_locations, patch_size, n_filters)
        Weights as in :class:`stdp_lab.network.LayerParams` (e.g. the fitted
        ``SpikingFeatureLearner.weights_``); patches are flattened in the order
        (kernel row, kernel column, channel).
    patch_shape : tuple of int
        ``(kh, kw)`` or ``(kh, kw, c)``, with ``kh * kw * c == patch_size``
        (``layer_.connectivity.kernel_size`` plus the image's channels; the
        whole image for a dense layer).
    locations : sequence of int, optional
        Indices of the locations to draw, one row each (default: every
        location).
    max_filters : int, optional
        Draw only the first ``max_filters`` filters (default: all).
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when None.
    cmap : str or Colormap, default="gray_r"
        Colour map; the gaps between tiles are left blank.

    Returns
    -------
    image : matplotlib.image.AxesImage
        Its array (``image.get_array()``) is the mosaic, NaN (masked) in the gaps.

    Notes
    -----
    Locally connected weights (more than one location) give one row of tiles per
    location and one column per filter. Weights with a single location (dense or
    convolutional layers) give the filters on a near-square grid, row by row,
    ``n_cols = ceil(sqrt(n))``. Tiles are separated by a one-pixel gap. With two
    channels (ON and OFF, as in :func:`stdp_lab.datasets.make_natural_patches`)
    a tile shows :math:`w_{ON} - w_{OFF}`, with another number of channels the
    channel mean. Each tile is scaled to its own range,
    :math:`(w - \\min w) / (\\max w - \\min w)` (zero where the tile is constant),
    so that weak and strong filters are equally visible.
    """
    weights = np.asarray(weights, dtype=np.float64)
    if weights.ndim != 3:
        raise ValueError(
            "weights must have shape (n_locations, patch_size, n_filters), got "
            f"{weights.shape}"
        )
    n_loc, patch_size, n_filters = weights.shape
    shape = _check_patch_shape(patch_shape, patch_size)
    if locations is None:
        rows = np.arange(n_loc)
    else:
        rows = np.asarray(locations)
        if (
            rows.ndim != 1
            or rows.size == 0
            or rows.dtype.kind not in "iu"
            or rows.min() < 0
            or rows.max() >= n_loc
        ):
            raise ValueError(
                f"locations must be a non-empty sequence of ints in [0, {n_loc}), "
                f"got {locations!r}"
            )
    n_shown = n_filters
    if max_filters is not None:
        check_scalar(max_filters, "max_filters", numbers.Integral, low=1)
        n_shown = min(n_filters, int(max_filters))
    tiles = _tile_images(weights[rows][:, :, :n_shown], shape)  # (R, n, kh, kw)
    kh, kw = shape[:2]
    grid = n_loc == 1
    if grid:
        n_cols = int(np.ceil(np.sqrt(n_shown)))
        n_rows = -(-n_shown // n_cols)  # ceil
        cells = np.full((n_rows * n_cols, kh, kw), np.nan)
        cells[:n_shown] = tiles[0]
        tiles = cells.reshape(n_rows, n_cols, kh, kw)  # (rows, cols, kh, kw)
    image = _mosaic(tiles)

    import matplotlib

    colormap = matplotlib.colormaps[cmap] if isinstance(cmap, str) else cmap
    colormap = colormap.with_extremes(bad="white")
    if ax is None:
        import matplotlib.pyplot as plt

        height, width = image.shape
        scale = 6.0 / max(height, width)
        _, ax = plt.subplots(
            figsize=(max(2.0, width * scale), max(2.0, height * scale) + 0.4),
            layout="constrained",
        )
    im = ax.imshow(image, cmap=colormap, vmin=0.0, vmax=1.0, interpolation="nearest")
    if grid:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"{n_shown} filters", fontsize="small")
    else:
        ax.set_xticks(np.arange(n_shown) * (kw + 1) + (kw - 1) / 2)
        ax.set_xticklabels([str(f) for f in range(n_shown)], fontsize="x-small")
        ax.set_yticks(np.arange(len(rows)) * (kh + 1) + (kh - 1) / 2)
        ax.set_yticklabels([str(int(r)) for r in rows], fontsize="x-small")
        ax.set_xlabel("filter")
        ax.set_ylabel("location")
        ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    return im


def plot_weight_histogram(weights, *, bins=50, ax=None):
    """Histogram of all the weights of a layer.

    Parameters
    ----------
    weights : array-like
        Any shape (e.g. ``weights_`` of shape (1 | n_locations, patch_size,
        n_filters)); every value counts once.
    bins : int or sequence, default=50
        Passed to ``Axes.hist`` (as for ``numpy.histogram``).
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when None.

    Returns
    -------
    n, bins, patches
        What ``Axes.hist`` returns: counts per bin, bin edges and the bars.
    """
    values = np.asarray(weights, dtype=np.float64).ravel()  # (n_weights,)
    if values.size == 0 or not np.all(np.isfinite(values)):
        raise ValueError("weights must be non-empty and finite")
    ax = _axes(ax)
    result = ax.hist(values, bins=bins, color="0.35")
    ax.set_xlabel("weight")
    ax.set_ylabel("synapses")
    return result


# ---------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------
def _records(table) -> list[dict]:
    """Rows of a pandas DataFrame or a list of dicts, as a list of dicts."""
    if hasattr(table, "to_dict") and hasattr(table, "columns"):
        return table.to_dict("records")
    if hasattr(table, "rows") and not isinstance(table, dict):  # a Comparison
        return list(table.rows)
    if isinstance(table, dict):
        raise TypeError("table must be a list of dicts or a DataFrame, got a dict")
    rows = list(table)
    if not all(isinstance(row, dict) for row in rows):
        raise TypeError("table must be a list of dicts or a DataFrame")
    return rows


def plot_rule_comparison(
    table, *, metric="vote_accuracy", chance=None, zoom=False, ax=None
):
    """Bar chart of one metric of a rule comparison, mean +- std over seeds.

    Parameters
    ----------
    table : list of dict or pandas.DataFrame
        One row per entry, as returned by :func:`stdp_lab.compare.compare_rules`,
        with the columns "label", "kind" ("rule" or "baseline"),
        ``f"{metric}_mean"`` and ``f"{metric}_std"``.
    metric : str, default="vote_accuracy"
        Which metric to draw (e.g. "linear_accuracy", "fit_seconds").
    chance : float, optional
        If given, a dashed horizontal line at this value (e.g. 0.1 for ten
        balanced classes).
    zoom : bool, default=False
        Limit the value axis to the range of the rows (mean +- std, with a
        margin) instead of starting it at zero, so that close values can be
        told apart; the bars then start below the visible range.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when None.

    Returns
    -------
    bars : matplotlib.container.BarContainer
        One bar per row in table order; ``bars.errorbar`` holds the error bars
        (one standard deviation). Rules are drawn in one colour, baselines in
        grey. The legend sits to the right of the axes, off the bars.
    """
    if not isinstance(metric, str):
        raise TypeError(f"metric must be a str, got {metric!r}")
    rows = _records(table)
    if not rows:
        raise ValueError("table must hold at least one row")
    columns = ("label", "kind", f"{metric}_mean", f"{metric}_std")
    for column in columns:
        missing = [i for i, row in enumerate(rows) if column not in row]
        if missing:
            raise ValueError(
                f"table has no column {column!r} (row {missing[0]}); needed for "
                f"metric={metric!r}: {', '.join(columns)}"
            )
    kinds = [str(row["kind"]) for row in rows]
    bad = sorted({k for k in kinds if k not in ("rule", "baseline")})
    if bad:
        raise ValueError(f"kind must be 'rule' or 'baseline', got {bad[0]!r}")
    if chance is not None:
        check_scalar(chance, "chance", numbers.Real)
    means = np.array([float(row[f"{metric}_mean"]) for row in rows])
    stds = np.array([float(row[f"{metric}_std"]) for row in rows])
    labels = [str(row["label"]) for row in rows]
    colors = ["C0" if kind == "rule" else "0.6" for kind in kinds]
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(
            figsize=(max(4.0, 0.7 * len(rows) + 1.5), 3.5), layout="constrained"
        )
    x = np.arange(len(rows))
    bars = ax.bar(x, means, yerr=stds, color=colors, capsize=3, ecolor="0.2")
    ax.set_xticks(x)
    ax.set_xticklabels(labels, rotation=30, ha="right", fontsize="small")
    ax.set_ylabel(metric.replace("_", " "))
    handles = []
    from matplotlib.patches import Patch

    for kind, color in (("rule", "C0"), ("baseline", "0.6")):
        if kind in kinds:
            handles.append(Patch(color=color, label=kind))
    if zoom:
        ax.set_ylim(*_zoomed(means, stds))
    low, high = ax.get_ylim()
    if chance is not None:
        line = ax.axhline(
            float(chance), color="0.3", linestyle="--", lw=1, label="chance"
        )
        ax.set_ylim(low, high)  # the line does not widen the zoomed range
        if low <= float(chance) <= high:
            handles.append(line)
    ax.legend(
        handles=handles,
        frameon=False,
        fontsize="small",
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
    )
    return bars


def _zoomed(means, stds) -> tuple[float, float]:
    """Axis limits covering every ``mean +- std`` with a margin of a tenth of
    the span on each side (a fixed small margin when every value is equal),
    not below zero for non-negative values."""
    spread = np.nan_to_num(np.asarray(stds, dtype=float))
    means = np.asarray(means, dtype=float)
    finite = np.isfinite(means)
    if not finite.any():
        return 0.0, 1.0
    low = float(np.min((means - spread)[finite]))
    high = float(np.max((means + spread)[finite]))
    margin = 0.1 * (high - low) or 0.01 * max(abs(high), 1.0)
    floor = 0.0 if np.all(means[finite] >= 0) else -np.inf  # counts, accuracies
    return max(low - margin, floor), high + margin


def plot_paired_differences(table, *, readout="linear", ax=None):
    """Paired differences of each rule to the frozen random weights, with their
    95% intervals (one readout).

    Parameters
    ----------
    table : list of dict, pandas.DataFrame or stdp_lab.compare.Comparison
        Rows of :func:`stdp_lab.compare.compare_rules`; the rows of kind
        "rule" with ``f"{readout}_diff_vs_random_mean"`` and ``..._ci95``
        (``[low, high]``) are drawn.
    readout : {"linear", "vote"}, default="linear"
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when None.

    Returns
    -------
    ax : matplotlib Axes
        One marker per rule (in points of accuracy), its interval as an error
        bar (none with one seed), a line at zero. A rule whose interval lies
        above zero has learned something the readout uses.
    """
    if readout not in ("linear", "vote"):
        raise ValueError(f"readout must be 'linear' or 'vote', got {readout!r}")
    rows = [row for row in _records(table) if row.get("kind") == "rule"]
    key = f"{readout}_diff_vs_random"
    rows = [row for row in rows if np.isfinite(float(row.get(f"{key}_mean", np.nan)))]
    ax = _axes(ax)
    ax.axhline(0.0, color="0.3", lw=1)
    x = np.arange(len(rows))
    means = np.array([100 * float(row[f"{key}_mean"]) for row in rows])
    bounds = np.array(
        [[100 * float(v) for v in row[f"{key}_ci95"]] for row in rows]
    ).reshape(-1, 2)  # (n_rules, 2)
    above = bounds[:, 0] > 0
    errors = np.abs(bounds - means[:, None]).T  # (2, n_rules), NaN: no interval
    for mask, color, label in (
        (above, "C2", "95% interval above 0"),
        (~above, "C0", "95% interval reaching 0 (or one seed)"),
    ):
        if mask.any():
            ax.errorbar(
                x[mask],
                means[mask],
                yerr=np.nan_to_num(errors[:, mask]),
                fmt="o",
                color=color,
                capsize=3,
                label=label,
            )
    ax.set_xticks(x)
    ax.set_xticklabels(
        [str(row["label"]) for row in rows], rotation=30, ha="right", fontsize="small"
    )
    ax.set_xlim(-0.6, max(len(rows), 1) - 0.4)
    ax.set_ylabel(f"{readout} acc. - random (points)")
    if rows:
        ax.legend(
            frameon=False, fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0)
        )
    return ax


def plot_learning_curve(curve, *, reference=None, ax=None, label=None):
    """Readout accuracy against the samples learned.

    Parameters
    ----------
    curve : dict
        ``"n_samples"`` and ``"linear_accuracy"`` and/or ``"vote_accuracy"``,
        lists of the same length (the ``learning_curves`` of
        :class:`stdp_lab.compare.Comparison`).
    reference : dict, optional
        Accuracy of a reference per readout (e.g. the frozen random weights
        read from the same probe), drawn as dotted lines.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when None.
    label : str, optional
        Title of the panel.

    Returns
    -------
    ax : matplotlib Axes
    """
    n = np.asarray(curve["n_samples"], dtype=float)
    ax = _axes(ax)
    for readout, color in (("linear", "C0"), ("vote", "C1")):
        values = curve.get(f"{readout}_accuracy")
        if values is None:
            continue
        if len(values) != len(n):
            raise ValueError(
                f"curve: {readout}_accuracy has {len(values)} values for "
                f"{len(n)} points"
            )
        ax.plot(n, values, marker="o", ms=3, color=color, label=readout)
        if reference is not None and f"{readout}_accuracy" in reference:
            ax.axhline(reference[f"{readout}_accuracy"], color=color, ls=":", lw=1)
    ax.set_xscale("log")
    ax.set_xticks(n, [f"{int(v):,}" for v in n], fontsize="x-small")
    ax.minorticks_off()  # only the points' own ticks: no crowded minor labels
    ax.set_xlabel("samples learned")
    ax.set_ylabel("accuracy")
    if label is not None:
        ax.set_title(label, fontsize="small")
    return ax


def plot_confusion_matrix(y_true, y_pred, *, ax=None):
    """Confusion matrix of predictions, through scikit-learn's display.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when None.

    Returns
    -------
    display : sklearn.metrics.ConfusionMatrixDisplay
        ``display.confusion_matrix[i, j]`` counts samples of class ``i``
        predicted as class ``j`` (classes in sorted order).
    """
    from sklearn.metrics import ConfusionMatrixDisplay

    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(5.0, 4.5), layout="constrained")
    return ConfusionMatrixDisplay.from_predictions(
        y_true, y_pred, ax=ax, colorbar=False
    )
