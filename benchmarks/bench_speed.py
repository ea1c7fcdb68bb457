"""Training and inference speed of the Diehl & Cook (2015) network and of the
default locally connected learner, on MNIST, on the default engine and on the
numpy engine side by side.

The Diehl & Cook network is :func:`stdp_lab.presets.diehl_cook_2015`: 784 Poisson
inputs (a 255 pixel fires at 128 Hz), 100 or 400 adaptive-threshold LIF neurons
with lateral inhibition, 250 steps of 1 ms per sample, pair STDP with 20 ms
traces, weights normalised after each batch. "default" is
``SpikingFeatureLearner()`` with its defaults, whatever they are when the script
runs (``default_architecture`` in the JSON says what they chose for MNIST:
since issue 23, a convolution of 25 shared 5x5 filters at stride 2 whose counts
are summed over 4x4 windows at stride 1; 100 steps).

Figures (samples per second, wall clock, each the median of ``--repeats``
runs): ``<network>_train_samples_per_s`` (``fit``), and
``<network>_infer_samples_per_s_n_jobs_1`` and ``..._n_jobs_2`` (``transform``
of a model fitted on 64 images, with one process and with the machine's two
cores); ``<network>_infer_samples_per_s`` holds the faster of the two. These
keys are the default engine (``engine="auto"``: the compiled numba engine
wherever the layer has a compiled form; ``engine_run`` says which engine each
network actually ran on); the same keys ending in ``_numpy`` are the numpy
reference engine measured in the same run, and ``<key>_ratio`` is default /
numpy for the train figure and the two inference figures.

Before any timing, every network runs a tiny fit and transform (8 images, 20
steps) on each engine, so that loading the compiled kernels from numba's disk
cache is not timed: ``load_seconds`` is the time of that warm-up on the default
engine in this process (``load_seconds_numpy`` on numpy). Joblib's worker
processes load the kernels on their first task, so each ``n_jobs=2`` timing is
preceded by an untimed 20-step transform of the same images.
``compile_seconds`` is the first, uncached compilation: a fresh interpreter
with an empty ``NUMBA_CACHE_DIR`` fits ``diehl_cook_2015(100)`` on 64 images
and transforms them (float32); ``import_seconds`` is its import of numpy,
numba and stdp_lab, not included. ``numba_version`` (null without numba) and
``kernel_threads`` (the threads a compiled kernel runs on in one process)
describe the compiled engine.

The scaling section (``scaling``, ``scaling_numpy``) shows how the cost of DC400
inference grows with the number of steps and with the input rate (so with
input spikes). Peak memory is the process's maximum resident set size since it
started. ``--full`` adds a 60,000-sample DC400 fit (its time, the peak memory
read right after it, and the vote accuracy on the 10,000 test images),
``--accuracy`` a comparison of learning at batch 1 and batch 64; ``--engine``
chooses their engine.

Run (time numpy without OpenBLAS overrides)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_speed.py
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import architecture, peak_rss_mb, write_json

from stdp_lab import ENGINES, SpikeCountClassifier, SpikingFeatureLearner
from stdp_lab.datasets import load_mnist
from stdp_lab.network import resolve_engine
from stdp_lab.presets import diehl_cook_2015

RESULTS = Path(__file__).parent / "results" / "speed.json"

#: The engines compared, each with the suffix of its keys: the default first.
SUFFIXES = {"auto": "", "numpy": "_numpy"}

#: Figures whose default / numpy ratio is written (``<network>_<figure>_ratio``).
RATIO_FIGURES = (
    "train_samples_per_s",
    "infer_samples_per_s_n_jobs_1",
    "infer_samples_per_s_n_jobs_2",
)

#: Images and steps of the untimed warm-up presentations. 20 steps are more than
#: the compiled engine's shortest parallel segment, so its threads start too.
WARM_SAMPLES = 8
WARM_STEPS = 20

#: Run by a fresh interpreter (argv[1]: a .npy file of 64 float32 images) with
#: an empty NUMBA_CACHE_DIR, so that the fit and transform compile every kernel
#: they call; prints its import and first-call times as JSON.
COMPILE_CODE = """\
import json, sys, time
start = time.perf_counter()
import numpy as np
import numba
from stdp_lab.presets import diehl_cook_2015
imported = time.perf_counter()
X = np.load(sys.argv[1])
begin = time.perf_counter()
diehl_cook_2015(100, random_state=0).fit(X).transform(X)
end = time.perf_counter()
print(json.dumps({"import_seconds": imported - start, "compile_seconds": end - begin}))
"""

TABLE_ROW = "{:8s} {:16s} {:>10s} {:>10s} {:>6s}"


def networks(batch_size: int) -> dict:
    """Makers of the benchmarked networks, each taking estimator parameters
    (``engine``, ``n_jobs``, ...)."""
    return {
        "dc100": lambda **p: diehl_cook_2015(
            100, batch_size=batch_size, random_state=0, **p
        ),
        "dc400": lambda **p: diehl_cook_2015(
            400, batch_size=batch_size, random_state=0, **p
        ),
        "default": lambda **p: SpikingFeatureLearner(random_state=0, **p),
    }


def timed(function, *args) -> float:
    """Seconds that ``function(*args)`` takes."""
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def warm_up(makers: dict, engine: str, X) -> tuple[float, dict]:
    """Seconds of a tiny fit and transform of every network on ``engine`` (the
    first calls in this process load the compiled kernels), and the engine each
    network ran on ("numba" or "numpy")."""
    ran = {}
    start = time.perf_counter()
    for name, make in makers.items():
        model = make(engine=engine, n_timesteps=WARM_STEPS).fit(X[:WARM_SAMPLES])
        model.transform(X[:WARM_SAMPLES])
        ran[name] = resolve_engine(engine, model.layer_)
    return time.perf_counter() - start, ran


def warm_workers(model, X) -> None:
    """Start ``model``'s joblib worker processes untimed: each imports the
    package and loads the compiled kernels on its first task. A short
    presentation of X sends them the chunks of the timed transform."""
    if model.n_jobs in (None, 1):
        return
    n_timesteps = model.transform_timesteps
    model.set_params(transform_timesteps=WARM_STEPS).transform(X)
    model.set_params(transform_timesteps=n_timesteps)


def train_rate(make, X, repeats: int) -> float:
    """Median samples/s of ``make().fit(X)``."""
    return statistics.median(len(X) / timed(make().fit, X) for _ in range(repeats))


def infer_rate(make, X, repeats: int, n_jobs: int) -> float:
    """Median samples/s of ``transform(X)`` with ``n_jobs`` processes, by a
    model fitted on the first 64 samples of X."""
    rates = []
    for _ in range(repeats):
        model = make(n_jobs=n_jobs).fit(X[:64])
        warm_workers(model, X)
        rates.append(len(X) / timed(model.transform, X))
    return statistics.median(rates)


def speed(name, make, X_train, X_infer, repeats) -> dict:
    """The figures of one network on every engine, and their ratios."""
    result = {}
    for engine, suffix in SUFFIXES.items():

        def on_engine(engine=engine, **params):
            return make(engine=engine, **params)

        train = train_rate(on_engine, X_train, repeats)
        infer1 = infer_rate(on_engine, X_infer, repeats, n_jobs=1)
        infer2 = infer_rate(on_engine, X_infer, repeats, n_jobs=2)
        figures = {
            "train_samples_per_s": train,
            "infer_samples_per_s": max(infer1, infer2),
            "infer_samples_per_s_n_jobs_1": infer1,
            "infer_samples_per_s_n_jobs_2": infer2,
        }
        result.update({f"{name}_{k}{suffix}": v for k, v in figures.items()})
    for figure in RATIO_FIGURES:
        key = f"{name}_{figure}"
        result[f"{key}_ratio"] = result[key] / result[key + SUFFIXES["numpy"]]
    print_rows(name, result)
    return result


def print_rows(name, result) -> None:
    """One table row per figure of network ``name``: default, numpy, ratio."""
    labels = {
        "train_samples_per_s": "train",
        "infer_samples_per_s_n_jobs_1": "infer n_jobs=1",
        "infer_samples_per_s_n_jobs_2": "infer n_jobs=2",
        "infer_samples_per_s": "infer (faster)",
    }
    for figure, label in labels.items():
        key = f"{name}_{figure}"
        ratio = result.get(f"{key}_ratio")
        print(
            TABLE_ROW.format(
                name,
                label,
                f"{result[key]:.0f}",
                f"{result[key + SUFFIXES['numpy']]:.0f}",
                "" if ratio is None else f"{ratio:.2f}",
            )
        )


def scaling(X, repeats, engine) -> dict:
    """DC400 inference time per sample at several step counts and input rates."""
    rows = {}
    for n_timesteps in (100, 250, 500):
        for factor in (0.5, 1.0, 2.0):
            if n_timesteps != 250 and factor != 1.0:
                continue

            def make(n_timesteps=n_timesteps, factor=factor, **params):
                return diehl_cook_2015(
                    400,
                    batch_size=64,
                    n_timesteps=n_timesteps,
                    input_scale=255.0 / factor,
                    random_state=0,
                    engine=engine,
                    **params,
                )

            rate = infer_rate(make, X, repeats, n_jobs=1)
            key = f"steps_{n_timesteps}_intensity_{factor:g}"
            rows[key] = {"ms_per_sample": 1000.0 / rate, "samples_per_s": rate}
            print(f"  scaling {engine:5s} {key:28s} {1000.0 / rate:7.3f} ms/sample")
    return rows


def compile_seconds(X) -> dict:
    """``compile_seconds`` and ``import_seconds`` of a fresh interpreter that
    compiles the kernels into an empty numba cache (see COMPILE_CODE); None
    for both without numba."""
    if importlib.util.find_spec("numba") is None:
        return {"compile_seconds": None, "import_seconds": None}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "X.npy"
        np.save(data, np.ascontiguousarray(X[:64], dtype=np.float32))
        cache = Path(tmp) / "numba_cache"
        cache.mkdir()
        env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
        run = subprocess.run(
            [sys.executable, "-c", COMPILE_CODE, str(data)],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
            check=True,
        )
    times = json.loads(run.stdout.strip().splitlines()[-1])
    print(
        f"first compilation {times['compile_seconds']:.1f} s "
        f"(imports {times['import_seconds']:.1f} s, not included)"
    )
    return times


def numba_info() -> dict:
    """numba's version and threading layer (None when numba is missing or no
    parallel kernel has run in this process)."""
    try:
        import numba
    except ImportError:
        return {"numba_version": None, "kernel_threads": None}
    from stdp_lab._numba._threads import n_cores

    return {"numba_version": numba.__version__, "kernel_threads": n_cores()}


def vote_accuracy(model, X, y, X_test, y_test) -> dict:
    """Fit ``model`` on X, then score the vote readout on X_test: accuracy, fit
    time, the process's peak memory before and right after the fit, and the
    engine the fit ran on."""
    before = peak_rss_mb()
    seconds = timed(model.fit, X)
    after = peak_rss_mb()
    readout = SpikeCountClassifier().fit(model.transform(X), y)
    return {
        "vote_accuracy": float(readout.score(model.transform(X_test), y_test)),
        "fit_seconds": seconds,
        "peak_rss_mb": after,
        "peak_rss_mb_before_fit": before,
        "engine": model.engine,
        "engine_run": resolve_engine(model.engine, model.layer_),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-train", type=int, default=1024)
    parser.add_argument("--n-infer", type=int, default=2048)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--full", action="store_true", help="60k-sample DC400 fit")
    parser.add_argument("--accuracy", action="store_true", help="batch 1 vs 64")
    parser.add_argument(
        "--engine", choices=ENGINES, default="auto", help="of --full and --accuracy"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    X, y, X_test, y_test = load_mnist()
    X = X.astype(np.float32)
    X_test = X_test.astype(np.float32)
    X_train, X_infer = X[: args.n_train], X_test[: args.n_infer]
    result = {
        "command": "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "
        "python benchmarks/bench_speed.py",
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "engine": "auto",
        "batch_size": args.batch_size,
        "repeats": args.repeats,
    }
    result.update(compile_seconds(X_train))
    makers = networks(args.batch_size)
    # numpy first (SUFFIXES reversed), so that the default engine's load time
    # holds only what it adds (importing numba, loading the kernels), not the
    # first-call costs that both engines share.
    for engine in reversed(SUFFIXES):
        seconds, ran = warm_up(makers, engine, X_train)
        result["load_seconds" + SUFFIXES[engine]] = seconds
        result["engine_run" + SUFFIXES[engine]] = ran
    print(f"kernels loaded in {result['load_seconds']:.2f} s ({result['engine_run']})")
    print(TABLE_ROW.format("network", "figure", "default", "numpy", "ratio"))
    for name, make in makers.items():
        result.update(speed(name, make, X_train, X_infer, args.repeats))
    result["default_architecture"] = architecture(makers["default"]().fit(X_train[:64]))
    for engine, suffix in SUFFIXES.items():
        result["scaling" + suffix] = scaling(X_infer[:1024], args.repeats, engine)
    if args.accuracy:
        n_fit, n_test = 10_000, 10_000
        result["accuracy"] = {}
        for batch in (1, 64):
            model = diehl_cook_2015(
                100, batch_size=batch, random_state=0, engine=args.engine
            )
            run = vote_accuracy(
                model, X[:n_fit], y[:n_fit], X_test[:n_test], y_test[:n_test]
            )
            result["accuracy"][f"dc100_batch_{batch}"] = {
                **run,
                "n_train": n_fit,
                "n_test": n_test,
            }
            print(
                f"  DC100 batch {batch:2d}: vote {run['vote_accuracy']:.3f} "
                f"({n_fit} train)"
            )
    if args.full:
        model = diehl_cook_2015(
            400, batch_size=args.batch_size, random_state=0, engine=args.engine
        )
        run = vote_accuracy(model, X, y, X_test, y_test)
        result["full_fit"] = {"n_train": len(X), **run}
        print(
            f"  full DC400 fit ({run['engine_run']}): {run['fit_seconds']:.0f} s, "
            f"peak {run['peak_rss_mb']:.0f} MB, vote {run['vote_accuracy']:.3f}"
        )
    result.update(numba_info())
    result["peak_rss_mb"] = peak_rss_mb()
    print(f"peak resident memory {result['peak_rss_mb']:.0f} MB")
    write_json(result, args.out)


if __name__ == "__main__":
    main()
