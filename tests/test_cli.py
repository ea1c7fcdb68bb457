"""Tests of the stdp-lab command line (stdp_lab.cli)."""

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from stdp_lab.cli import main  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _assert_png(path):
    data = path.read_bytes()
    assert len(data) > 1000
    assert data[:8] == PNG_MAGIC


@pytest.mark.slow
def test_patterns_writes_png(tmp_path, capsys):
    out = tmp_path / "figs"
    code = main(["patterns", "--out", str(out), "--duration", "60", "--dt", "0.5"])
    assert code == 0
    _assert_png(out / "izhikevich_patterns.png")
    assert str(out / "izhikevich_patterns.png") in capsys.readouterr().out


@pytest.mark.slow
def test_demo_writes_png_and_explains(tmp_path, capsys):
    code = main(["demo", "--out", str(tmp_path), "--duration", "100"])
    assert code == 0
    path = tmp_path / "izhikevich_patterns.png"
    _assert_png(path)
    text = capsys.readouterr().out
    assert "Simulated 7 Izhikevich" in text
    assert "100 ms" in text and "fast spiking" in text
    assert str(path) in text
    assert "later" in text


def test_unwritable_output_is_one_line_error(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    for out in (blocker, blocker / "sub"):
        code = main(["patterns", "--out", str(out), "--duration", "20"])
        assert code != 0
        captured = capsys.readouterr()
        lines = captured.err.strip().splitlines()
        assert len(lines) == 1
        assert lines[0].startswith("stdp-lab: error: ")
        assert "Traceback" not in captured.err


@pytest.mark.parametrize(
    "argv",
    [
        ["patterns", "--dt", "-1"],
        ["demo", "--duration", "abc"],
        ["demo", "--current", "nan"],
        ["no_such_command"],
    ],
)
def test_bad_values_are_one_line_errors(argv, tmp_path, capsys):
    code = main(
        [*argv, "--out", str(tmp_path)] if argv[0] != "no_such_command" else argv
    )
    assert code != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("stdp-lab: error: ")
    assert not (tmp_path / "izhikevich_patterns.png").exists()


@pytest.mark.parametrize(
    "argv", [["--help"], ["patterns", "--help"], ["demo", "--help"]]
)
def test_help(argv, capsys):
    assert main(argv) == 0
    assert "usage: stdp-lab" in capsys.readouterr().out


def test_python_dash_m(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "stdp_lab", "patterns", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    assert "--out" in result.stdout
