"""Tests of the stdp-lab command line (stdp_lab.cli).

Every subcommand runs in a quick mode through ``main([...])`` in a temporary
folder, and the tests check what it wrote: PNG files (magic bytes, non-trivial
size), JSON keys, accuracies above chance (0.1 for ten digits), and the printed
figures against values computed independently.
"""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import joblib  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from stdp_lab import cli  # noqa: E402
from stdp_lab.cli import main  # noqa: E402
from stdp_lab.io import load_model  # noqa: E402
from stdp_lab.plasticity import PairSTDP  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SUBCOMMANDS = ["demo", "train", "evaluate", "window", "patterns", "compare"]
CHANCE = 0.1


def _assert_png(path):
    data = path.read_bytes()
    assert len(data) > 5000, f"{path} is only {len(data)} bytes"
    assert data[:8] == PNG_MAGIC


def _assert_one_line_error(capsys):
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("stdp-lab: error: ")
    assert "Traceback" not in captured.err
    return lines[0]


@pytest.fixture
def no_data(monkeypatch):
    """Fail loudly if a subcommand loads data (errors must come before that)."""

    def forbidden(*args, **kwargs):
        raise AssertionError("data was loaded before the arguments were checked")

    monkeypatch.setattr(cli, "_load_data", forbidden)


# ---------------------------------------------------------------------------
# help
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("argv", [["--help"]] + [[c, "--help"] for c in SUBCOMMANDS])
def test_help(argv, capsys):
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "usage: stdp-lab" in out
    if len(argv) == 2:
        assert "--out" in out


def test_every_subcommand_is_listed(capsys):
    main(["--help"])
    out = capsys.readouterr().out
    for name in SUBCOMMANDS:
        assert name in out


def test_python_dash_m():
    result = subprocess.run(
        [sys.executable, "-m", "stdp_lab", "patterns", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    assert "--out" in result.stdout


# ---------------------------------------------------------------------------
# demo
# ---------------------------------------------------------------------------
@pytest.mark.slow
def test_demo_quick_writes_figures_and_report(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--quick", "--out", str(out)]) == 0
    for name in ("receptive_fields.png", "confusion_matrix.png", "raster.png"):
        _assert_png(out / name)
    report = json.loads((out / "report.json").read_text())
    keys = {
        "params",
        "n_train",
        "n_test",
        "linear_accuracy",
        "vote_accuracy",
        "fit_seconds",
        "transform_seconds",
        "train_samples_per_s",
        "transform_samples_per_s",
        "total_seconds",
        "figures",
    }
    assert keys <= set(report)
    assert report["n_train"] == cli.QUICK_N_TRAIN
    assert report["n_test"] == cli.QUICK_N_TEST
    assert report["params"]["n_timesteps"] == cli.QUICK_N_TIMESTEPS
    assert report["params"]["random_state"] == 0
    assert report["linear_accuracy"] > CHANCE
    assert report["vote_accuracy"] > CHANCE
    np.testing.assert_allclose(
        report["train_samples_per_s"], report["n_train"] / report["fit_seconds"]
    )
    assert report["total_seconds"] >= report["fit_seconds"]
    text = capsys.readouterr().out
    assert f"{report['linear_accuracy']:.2%}" in text
    assert f"{report['vote_accuracy']:.2%}" in text
    assert "samples/s" in text


@pytest.mark.parametrize(
    "transform_params, n_steps",
    [({}, 15), ({"transform_timesteps": 9, "transform_encoder": 900.0}, 9)],
)
def test_output_spikes_add_up_to_the_features(transform_params, n_steps):
    """The raster's spikes are those of transform: same scaling, seed, layer,
    presentation (transform_timesteps) and encoder (transform_encoder)."""
    from stdp_lab import SpikingFeatureLearner
    from stdp_lab.datasets import load_digits

    X, _ = load_digits(flatten=True)
    X = X[:40].astype(np.float32)
    learner = SpikingFeatureLearner(n_timesteps=15, n_filters=4, random_state=1)
    learner.fit(X[:30])
    if "transform_encoder" in transform_params:  # a Poisson encoder's rate
        from stdp_lab.encoding import PoissonEncoder

        rate = transform_params["transform_encoder"]
        transform_params = dict(transform_params)
        transform_params["transform_encoder"] = PoissonEncoder(max_rate=rate)
    learner.set_params(**transform_params)
    for i in (30, 35):
        spikes = cli._output_spikes(learner, X[i])
        assert spikes.shape == (n_steps, learner.layer_.connectivity.n_outputs)
        features = learner.transform(X[i : i + 1])[0]
        assert features.sum() > 0
        np.testing.assert_array_equal(spikes.sum(axis=0), features)


def test_json_safe_keeps_values_and_reprs_objects():
    from stdp_lab.plasticity import PairSTDP

    value = {"a": (1, 2.5), "b": None, "c": PairSTDP(a_plus=0.2), "d": np.int64(3)}
    safe = cli._json_safe(value)
    assert safe == {"a": [1, 2.5], "b": None, "c": "PairSTDP(a_plus=0.2)", "d": 3}
    json.dumps(safe)


# ---------------------------------------------------------------------------
# train / evaluate
# ---------------------------------------------------------------------------
TRAIN_QUICK = [
    "train",
    "--dataset",
    "digits",
    "--n-train",
    "300",
    "--n-timesteps",
    "20",
    "--n-filters",
    "10",
]


@pytest.mark.parametrize("readout", ["linear", "vote"])
def test_train_then_evaluate(readout, tmp_path, capsys):
    model_path = tmp_path / "models" / "m.skops"
    argv = [*TRAIN_QUICK, "--readout", readout, "--model", str(model_path)]
    assert main([*argv, "--out", str(tmp_path)]) == 0
    assert "s (" in capsys.readouterr().out
    model = load_model(model_path)
    learner = model.steps[0][1]
    assert learner.n_filters == 10 and learner.n_timesteps == 20
    assert learner.n_samples_seen_ == 300
    expected = "LogisticRegression" if readout == "linear" else "SpikeCountClassifier"
    assert type(model.steps[-1][1]).__name__ == expected

    out = tmp_path / "eval"
    argv = ["evaluate", "--model", str(model_path), "--n-test", "150"]
    assert main([*argv, "--out", str(out)]) == 0
    _assert_png(out / "confusion_matrix.png")
    report = json.loads((out / "evaluation.json").read_text())
    assert {"accuracy", "dataset", "n_test", "model", "params"} <= set(report)
    assert report["dataset"] == "digits"  # inferred from the model's 64 features
    assert report["n_test"] == 150
    assert report["accuracy"] > CHANCE
    assert f"{report['accuracy']:.2%}" in capsys.readouterr().out


def test_train_passes_every_option_to_the_learner(tmp_path):
    argv = [
        "train",
        "--dataset",
        "digits",
        "--n-train",
        "40",
        "--connectivity",
        "conv",
        "--kernel-size",
        "4",
        "--stride",
        "2",
        "--n-filters",
        "3",
        "--neuron",
        "lif",
        "--rule",
        "oja",
        "--encoder",
        "latency",
        "--competition",
        "wta",
        "--n-timesteps",
        "8",
        "--n-epochs",
        "2",
        "--batch-size",
        "16",
        "--seed",
        "7",
        "--readout",
        "vote",
        "--out",
        str(tmp_path),
    ]
    assert main(argv) == 0
    learner = load_model(tmp_path / "model.skops").steps[0][1]
    params = learner.get_params()
    expected = {
        "connectivity": "conv",
        "kernel_size": 4,
        "stride": 2,
        "n_filters": 3,
        "neuron": "lif",
        "rule": "oja",
        "encoder": "latency",
        "competition": "wta",
        "n_timesteps": 8,
        "n_epochs": 2,
        "batch_size": 16,
        "random_state": 7,
    }
    assert {k: params[k] for k in expected} == expected
    assert learner.weights_.shape == (1, 16, 3)  # shared 4 x 4 kernels
    assert learner.n_samples_seen_ == 80  # two epochs of 40


def test_evaluate_missing_or_bad_model_is_one_line_error(tmp_path, capsys):
    missing = tmp_path / "nope.skops"
    assert main(["evaluate", "--model", str(missing), "--out", str(tmp_path)]) == 2
    assert "does not exist" in _assert_one_line_error(capsys)

    assert main(["evaluate", "--model", str(tmp_path), "--out", str(tmp_path)]) == 2
    assert "is a folder" in _assert_one_line_error(capsys)

    garbage = tmp_path / "garbage.joblib"
    garbage.write_bytes(b"this is not a pickle\n" * 10)
    assert main(["evaluate", "--model", str(garbage), "--out", str(tmp_path)]) == 2
    assert "not a skops model file" in _assert_one_line_error(capsys)
    argv = ["evaluate", "--model", str(garbage), "--trust", "--out", str(tmp_path)]
    assert main(argv) == 2
    assert "cannot read model" in _assert_one_line_error(capsys)

    other = tmp_path / "list.joblib"
    joblib.dump([1, 2, 3], other)
    argv = ["evaluate", "--model", str(other), "--trust", "--out", str(tmp_path)]
    assert main(argv) == 2
    assert "list" in _assert_one_line_error(capsys)
    assert not (tmp_path / "evaluation.json").exists()


class _Payload:
    """A pickle that writes a file when it is loaded (a malicious model)."""

    def __init__(self, target):
        self.target = str(target)

    def __reduce__(self):
        return (Path.write_text, (Path(self.target), "ran"))


def test_a_pickle_is_not_loaded_without_trust(tmp_path, capsys):
    """A pickle runs code as it loads: evaluate refuses it unless --trust, so
    the code never runs."""
    evil, target = tmp_path / "model.joblib", tmp_path / "ran.txt"
    joblib.dump(_Payload(target), evil)
    assert main(["evaluate", "--model", str(evil), "--out", str(tmp_path)]) == 2
    assert "--trust" in _assert_one_line_error(capsys)
    assert not target.exists()


def test_damaged_or_foreign_model_files_are_refused(tmp_path, capsys):
    """Flipped bytes in the middle of a model file are refused (the zip's
    CRC-32), as is a file naming types that are not stdp_lab's or
    scikit-learn's; a good file scores."""
    model_path = tmp_path / "model.skops"
    assert main([*TRAIN_QUICK, "--model", str(model_path), "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    data = bytearray(model_path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 16] = bytes(255 - b for b in data[middle : middle + 16])
    damaged = tmp_path / "damaged.skops"
    damaged.write_bytes(bytes(data))
    assert main(["evaluate", "--model", str(damaged), "--out", str(tmp_path)]) == 2
    assert "damaged" in _assert_one_line_error(capsys)

    import skops.io

    from stdp_lab.io import load_model as load

    model = load(model_path)
    model.steps[0][1].set_params(rule=_OwnRule())
    foreign = tmp_path / "foreign.skops"
    skops.io.dump(model, foreign)
    assert main(["evaluate", "--model", str(foreign), "--out", str(tmp_path)]) == 2
    assert "_OwnRule" in _assert_one_line_error(capsys)
    argv = ["evaluate", "--model", str(model_path), "--n-test", "50"]
    assert main([*argv, "--out", str(tmp_path / "ok")]) == 0


class _OwnRule(PairSTDP):
    """A rule of one's own (not a type stdp_lab trusts)."""


def test_train_refuses_to_overwrite_a_file_that_is_not_a_model(tmp_path, capsys):
    """--model naming an unrelated file is refused (before training) unless
    --force; a model file is replaced."""
    notes = tmp_path / "notes.txt"
    notes.write_text("precious")
    argv = [*TRAIN_QUICK, "--model", str(notes), "--out", str(tmp_path)]
    assert main(argv) == 2
    assert "--force" in _assert_one_line_error(capsys)
    assert notes.read_text() == "precious"
    assert main([*argv, "--force"]) == 0
    assert load_model(notes).steps[0][1].n_samples_seen_ == 300
    assert main(argv) == 0  # now a model: replaced without --force


def test_saving_is_atomic(tmp_path, monkeypatch):
    """A failure while writing (a full disk) keeps the previous good model and
    leaves no temporary file."""
    import skops.io

    model_path = tmp_path / "model.skops"
    assert main([*TRAIN_QUICK, "--model", str(model_path), "--out", str(tmp_path)]) == 0
    good = model_path.read_bytes()

    def full_disk(model, file):
        Path(file).write_bytes(b"PK partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(skops.io, "dump", full_disk)
    argv = [*TRAIN_QUICK, "--model", str(model_path), "--out", str(tmp_path)]
    assert main(argv) == 2
    assert model_path.read_bytes() == good
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_interruption_is_one_line_and_leaves_no_empty_folder(
    tmp_path, capsys, monkeypatch
):
    """Ctrl-C: one line, exit code 130, and the output folder the run created
    (still empty) removed."""
    from stdp_lab.cli import _train

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(_train, "_train_params", interrupted)
    out = tmp_path / "new" / "out"
    assert main([*TRAIN_QUICK, "--out", str(out)]) == 130
    err = capsys.readouterr().err
    assert err.strip() == "stdp-lab: interrupted"
    assert not (tmp_path / "new").exists()


# ---------------------------------------------------------------------------
# window and patterns
# ---------------------------------------------------------------------------
def test_window_prints_measured_peaks(tmp_path, capsys):
    out = tmp_path / "w"
    argv = ["window", "--rules", "stdp,triplet", "--max-delay", "10", "--spacing", "5"]
    assert main([*argv, "--out", str(out)]) == 0
    _assert_png(out / "stdp_window.png")
    text = capsys.readouterr().out
    # PairSTDP defaults: a_plus 0.01, a_minus 0.0105, tau 20 ms; the nearest
    # measured delays are +-5 ms (Song, Miller & Abbott 2000).
    ltp = 0.01 * np.exp(-5 / 20)
    ltd = -0.0105 * np.exp(-5 / 20)
    assert f"stdp: peak potentiation {ltp:+.3g} at +5 ms" in text
    assert f"peak depression {ltd:+.3g} at -5 ms" in text
    assert "triplet: " in text


def test_window_default_rules_are_the_spike_timing_rules():
    from stdp_lab.plasticity import RULES

    names = cli._stdp_rule_names()
    assert {"stdp", "stdp_multiplicative", "triplet", "diehl_cook"} <= set(names)
    assert not {"hebbian", "oja", "bcm"} & set(names)
    assert set(names) <= set(RULES)


@pytest.mark.slow
def test_patterns_writes_png(tmp_path, capsys):
    out = tmp_path / "figs"
    code = main(["patterns", "--out", str(out), "--duration", "60", "--dt", "0.5"])
    assert code == 0
    _assert_png(out / "izhikevich_patterns.png")
    assert str(out / "izhikevich_patterns.png") in capsys.readouterr().out


# ---------------------------------------------------------------------------
# compare
# ---------------------------------------------------------------------------
@pytest.mark.slow
def test_compare_quick(tmp_path, capsys):
    if importlib.util.find_spec("stdp_lab.compare") is None:
        pytest.skip("stdp_lab.compare is not written yet")
    out = tmp_path / "cmp"
    assert main(["compare", "--quick", "--out", str(out)]) == 0
    for name in ("comparison.csv", "comparison.md"):
        assert (out / name).stat().st_size > 0
    _assert_png(out / "comparison.png")
    text = capsys.readouterr().out
    assert (out / "comparison.md").read_text().strip() in text
    assert "stdp" in text and "oja" in text


def test_compare_without_the_module_is_one_line_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "stdp_lab.compare", None)  # import fails
    assert main(["compare", "--quick", "--out", str(tmp_path)]) == 2
    assert "stdp_lab.compare" in _assert_one_line_error(capsys)


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "argv, needle",
    [
        (["train", "--rule", "no_rule"], "no_rule"),
        (["train", "--neuron", "no_neuron"], "no_neuron"),
        (["train", "--encoder", "no_encoder"], "no_encoder"),
        (["train", "--competition", "no_comp"], "no_comp"),
        (["train", "--dataset", "digits", "--kernel-size", "9"], "kernel"),
        (["train", "--readout", "svm"], "readout"),
        (["window", "--rules", "stdp,no_rule"], "no_rule"),
        (["window", "--spacing", "1.5"], "spacing"),
        (["compare", "--rules", "oja,no_rule"], "no_rule"),
        (["compare", "--seeds", "0,x"], "seeds"),
        (["demo", "--n-train", "0"], "n-train"),
        (["demo", "--full", "--n-train", "100"], "--full"),
        (["patterns", "--dt", "-1"], "dt"),
        (["patterns", "--duration", "1e9"], "--duration"),
        (["demo", "--seed", "abc"], "seed"),
        (["no_such_command"], "no_such_command"),
    ],
)
def test_bad_arguments_are_one_line_errors(argv, needle, tmp_path, capsys, no_data):
    out = tmp_path / "out"
    code = main(argv if argv[0] == "no_such_command" else [*argv, "--out", str(out)])
    assert code == 2
    assert needle in _assert_one_line_error(capsys)
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize("command", ["demo", "train", "window", "patterns", "compare"])
def test_unwritable_output_is_one_line_error(command, tmp_path, capsys, no_data):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    for out in (blocker, blocker / "sub"):
        assert main([command, "--out", str(out)]) == 2
        assert "a_file" in _assert_one_line_error(capsys)


def test_unwritable_model_path_is_one_line_error(tmp_path, capsys, no_data):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    argv = ["train", "--model", str(blocker / "m.skops"), "--out", str(tmp_path)]
    assert main(argv) == 2
    assert "--model" in _assert_one_line_error(capsys)


def test_missing_data_file_is_one_line_error(tmp_path, capsys, monkeypatch):
    """No MNIST file anywhere: the loader's multi-line message becomes one line."""
    import stdp_lab.datasets as datasets

    monkeypatch.setattr(datasets, "_default_dirs", lambda: [tmp_path / "none"])
    monkeypatch.delenv(datasets.DATA_ENV_VAR, raising=False)
    assert main(["demo", "--quick", "--out", str(tmp_path / "o")]) == 2
    assert "mnist.npz" in _assert_one_line_error(capsys)


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_engine_option_reaches_the_simulator(engine, tmp_path, capsys, monkeypatch):
    """--engine sets what the learners simulate on (stdp_lab.set_config)."""
    from stdp_lab.network import _simulate

    seen = []
    resolve = _simulate.resolve_engine

    def spy(*args, **kwargs):
        seen.append(resolve(*args, **kwargs))
        return seen[-1]

    monkeypatch.setattr(_simulate, "resolve_engine", spy)
    argv = ["window", "--rules", "stdp", "--max-delay", "5", "--spacing", "5"]
    assert main([*argv, "--engine", engine, "--out", str(tmp_path / "w")]) == 0
    assert seen and set(seen) == {engine}
    seen.clear()
    argv = ["train", "--dataset", "digits", "--n-timesteps", "5", "--n-train", "60"]
    assert main([*argv, "--engine", engine, "--out", str(tmp_path / "t")]) == 0
    assert seen and set(seen) == {engine}
