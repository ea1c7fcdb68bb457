"""After a plain, non-editable ``pip install``, the bundled data sets load.

The repository is copied, built into a wheel offline (no build isolation), and
installed with pip into a fresh virtual environment. A Python of that environment,
started from an empty folder with no PYTHONPATH, must import stdp_lab from the
environment (not from the checkout) and find the data under
``<prefix>/share/stdp_lab/datasets``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import site
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
IGNORE = shutil.ignore_patterns(
    ".git",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".pytest_cache",
    ".hypothesis",
    ".venv",
    "stdp-lab-out",
)

CHECK = """
import json, sys
import numpy as np
import stdp_lab
import stdp_lab.datasets as d
X, y, X_test, y_test = d.load_mnist(n_train=100, n_test=100)
camera = d.load_natural_images(names=["camera"])["camera"]
print(json.dumps({
    "file": stdp_lab.__file__,
    "prefix": sys.prefix,
    "home": str(d.get_data_home(filename="mnist.npz")),
    "shapes": [list(X.shape), list(y.shape), list(X_test.shape), list(y_test.shape)],
    "counts": np.bincount(y, minlength=10).tolist(),
    "full_counts": np.bincount(d.load_mnist()[1], minlength=10).tolist(),
    "camera": list(camera.shape),
}))
"""


def _version(name: str) -> tuple[int, ...]:
    try:
        text = metadata.version(name)
    except metadata.PackageNotFoundError:
        return ()
    return tuple(int(p) for p in text.split(".")[:2] if p.isdigit())


def _can_build_offline() -> bool:
    # setuptools >= 70.1 has bdist_wheel built in; older ones need `wheel`.
    has_setuptools = importlib.util.find_spec("setuptools") is not None
    has_wheel = importlib.util.find_spec("wheel") is not None
    return has_setuptools and (has_wheel or _version("setuptools") >= (70, 1))


def _run(args, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(
        args, capture_output=True, text=True, timeout=120, check=False, **kwargs
    )
    assert result.returncode == 0, (
        f"{args} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result


@pytest.mark.skipif(
    not _can_build_offline(),
    reason="an offline wheel build needs setuptools>=70.1, or setuptools with the "
    "`wheel` package, in the test environment",
)
def test_wheel_install_finds_bundled_data(tmp_path):
    # 1. Build a wheel from a clean copy (keeps build/ out of the checkout).
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=IGNORE)
    wheelhouse = tmp_path / "wheels"
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
        + ["--no-index", "-w", str(wheelhouse), str(src)]
    )
    (wheel,) = wheelhouse.glob("stdp_lab-*.whl")

    # 2. A fresh environment.
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"

    # 3. A plain (non-editable) pip install of the wheel into that environment.
    if _version("pip") >= (22, 3):
        pip = [sys.executable, "-m", "pip", "--python", str(python)]
    else:  # older pip cannot target another interpreter: bootstrap one there
        _run([str(python), "-m", "ensurepip"])
        pip = [str(python), "-m", "pip"]
    _run(pip + ["install", "--no-deps", "--no-index", str(wheel)])

    # 3b. The environment's dependencies (numpy, scikit-learn, ...) come from this
    # interpreter's site-packages through a .pth file, appended after the
    # environment's own site-packages, so the installed stdp_lab comes first. It is
    # written only after the install: through it pip would see this interpreter's
    # stdp_lab and skip the install as "already satisfied" (as in CI, where the
    # project is installed non-editable).
    purelib = _run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]
    ).stdout.strip()
    Path(purelib, "_stdp_lab_test_deps.pth").write_text(
        "\n".join(site.getsitepackages()) + "\n", encoding="utf-8"
    )

    # 4. Load the data from another folder, with no hint where the checkout is.
    run_dir = tmp_path / "elsewhere"
    run_dir.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "PYTHONHOME", "STDP_LAB_DATA", "PYTHONSTARTUP")
    }
    out = _run([str(python), "-c", CHECK], cwd=run_dir, env=env).stdout
    report = json.loads(out.strip().splitlines()[-1])

    venv_dir = venv.resolve()
    assert Path(report["file"]).resolve().is_relative_to(venv_dir)
    assert not Path(report["file"]).resolve().is_relative_to(ROOT)
    data_dir = Path(report["prefix"]) / "share" / "stdp_lab" / "datasets"
    assert Path(report["home"]).resolve() == data_dir.resolve()
    assert data_dir.resolve().is_relative_to(venv_dir)
    assert report["shapes"] == [[100, 784], [100], [100, 784], [100]]
    # A stratified subset: each digit's share of the full set, to within one.
    for count, full in zip(report["counts"], report["full_counts"], strict=True):
        assert abs(count - 100 * full / 60000) < 1
    assert report["camera"] == [512, 512]
    for name in ("mnist.npz", "natural_images.npz", "README.md"):
        assert (data_dir / name).is_file()
    assert (venv / "bin" / "stdp-lab").is_file()  # the console script
