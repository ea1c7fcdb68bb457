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
