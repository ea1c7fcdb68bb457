"""Smoke tests of stdp_lab.plotting on the Agg backend, and of the gallery example."""

import os
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from stdp_lab.neurons import IZHIKEVICH_PRESETS  # noqa: E402
from stdp_lab.plotting import (  # noqa: E402
    plot_firing_patterns,
    plot_membrane_trace,
    plot_spike_raster,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "izhikevich_patterns.py"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_membrane_trace_draws_trace_and_spike_ticks():
    t = np.arange(100) * 0.5
    v = np.sin(t / 5)
    spikes = np.zeros(100, dtype=bool)
    spikes[[10, 40, 70]] = True
    ax = plot_membrane_trace(t, v, spikes)
    trace, ticks = ax.lines
    np.testing.assert_array_equal(trace.get_xdata(), t)
    np.testing.assert_array_equal(ticks.get_xdata(), t[[10, 40, 70]])
    assert np.all(ticks.get_ydata() > v.max())
    assert ax.get_xlabel() == "time (ms)"


def test_membrane_trace_uses_given_axes_and_checks_shapes():
    fig, ax = plt.subplots()
    assert plot_membrane_trace([0, 1], [0, 1], ax=ax) is ax
    with pytest.raises(ValueError, match="spikes"):
        plot_membrane_trace([0, 1], [0, 1], spikes=[True], ax=ax)
    with pytest.raises(ValueError, match="t and v"):
        plot_membrane_trace([0, 1], [0, 1, 2], ax=ax)


def test_spike_raster_places_dots_at_spike_times():
    spikes = np.zeros((50, 4), dtype=bool)
    spikes[5, 0] = spikes[20, 3] = spikes[49, 1] = True
    ax = plot_spike_raster(spikes, dt=2.0)
    offsets = ax.collections[0].get_offsets()
    expected = {(10.0, 0.0), (40.0, 3.0), (98.0, 1.0)}
    assert {tuple(map(float, row)) for row in offsets} == expected
    assert ax.get_xlim() == (0.0, 100.0)
    with pytest.raises(ValueError, match="spikes"):
        plot_spike_raster(np.zeros(5, dtype=bool))


def test_firing_patterns_one_panel_per_preset(tmp_path):
    fig = plot_firing_patterns(duration=60.0, dt=0.5)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == len(IZHIKEVICH_PRESETS)
    titles = " ".join(ax.get_title() for ax in visible)
    for name in IZHIKEVICH_PRESETS:
        assert name.replace("_", " ") in titles
    path = tmp_path / "gallery.png"
    fig.savefig(path)
    assert path.read_bytes()[:8] == PNG_MAGIC


def test_firing_patterns_subset():
    fig = plot_firing_patterns(["fast_spiking", "chattering"], duration=40.0)
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 2
    with pytest.raises(ValueError, match="regular_spiking"):
        plot_firing_patterns(["no_such_cell"])


@pytest.mark.slow
def test_example_script_writes_png(tmp_path):
    out = tmp_path / "gallery.png"
    env = {**os.environ, "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, str(EXAMPLE), "--out", str(out), "--duration", "50"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size > 1000
    assert out.read_bytes()[:8] == PNG_MAGIC
    assert str(out) in result.stdout
