"""The example scripts run on their own and do what they say."""

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run(script, *args, cwd):
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={"MPLBACKEND": "Agg", "PATH": ""},
    )


@pytest.mark.slow
def test_custom_rule_learns(tmp_path):
    """The user-defined instar rule moves the filters towards the input patches
    (the script exits non-zero if it does not)."""
    result = run("custom_rule.py", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    before, after = (float(v.rstrip(",")) for v in result.stdout.split()[-4:-1:2])
    assert after < 0.7 * before


def test_custom_rule_is_short():
    source = (EXAMPLES / "custom_rule.py").read_text().splitlines()
    start = next(i for i, line in enumerate(source) if line.startswith("class Instar"))
    end = next(i for i, line in enumerate(source) if line.startswith("def main"))
    assert end - start < 30


@pytest.mark.slow
def test_stdp_window_example_writes_png(tmp_path):
    result = run("stdp_window.py", "--quick", "--out", "w.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = (tmp_path / "w.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


@pytest.mark.slow
def test_diehl_cook_example_beats_chance(tmp_path):
    """The Diehl & Cook network, quick mode: its vote accuracy lies well above
    chance (10%) and the paper's figure is printed beside it."""
    result = run("diehl_cook_2015.py", "--quick", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    accuracy = float(result.stdout.split("vote accuracy ")[1].split("%")[0])
    assert accuracy > 30.0
    assert "paper:" in result.stdout


@pytest.mark.slow
def test_mnist_local_stdp_example_beats_chance_and_saves_fields(tmp_path):
    """The LC-SNN of Saunders et al. (2019), quick mode: both readouts lie well
    above chance, the paper's figure is printed, the receptive fields are saved."""
    result = run("mnist_local_stdp.py", "--quick", "--out", "lc.png", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    vote = float(result.stdout.split("vote ")[1].split("%")[0])
    linear = float(result.stdout.split("logistic regression ")[1].split("%")[0])
    assert vote > 30.0 and linear > 40.0  # chance: 10%
    assert "Saunders et al. 2019" in result.stdout
    data = (tmp_path / "lc.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
