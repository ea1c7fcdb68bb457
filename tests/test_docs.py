"""The documentation builds without a warning, and the user guide's examples run.

Both are slow (the build runs every example of the gallery), so they run only
when asked: ``STDP_LAB_DOCS=1 python -m pytest tests/test_docs.py``, with the
``docs`` extra installed (``pip install -e ".[docs]"``).
"""

from __future__ import annotations

import doctest
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
ASKED = os.environ.get("STDP_LAB_DOCS") == "1"

needs_docs = pytest.mark.skipif(
    not ASKED, reason="documentation checks run with STDP_LAB_DOCS=1"
)

#: What the build generates in the source folder (not copied).
GENERATED = ("_build", "generated", "auto_examples", "sg_execution_times.rst")


@needs_docs
@pytest.mark.skipif(
    importlib.util.find_spec("sphinx") is None,
    reason='needs Sphinx: pip install -e ".[docs]"',
)
@pytest.mark.slow
def test_documentation_builds_without_warnings(tmp_path):
    """``python -m sphinx -W`` on a copy of docs/ and examples/ (so that the
    gallery runs every example afresh and nothing is written into the source
    tree) exits 0."""
    shutil.copytree(DOCS, tmp_path / "docs", ignore=shutil.ignore_patterns(*GENERATED))
    shutil.copytree(
        ROOT / "examples",
        tmp_path / "examples",
        ignore=shutil.ignore_patterns("__pycache__", "*.png"),
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-b",
            "html",
            str(tmp_path / "docs"),
            str(tmp_path / "html"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=1200,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    html = tmp_path / "html"
    assert (html / "index.html").exists()
    assert (
        html / "generated" / "stdp_lab.estimators.SpikingFeatureLearner.html"
    ).exists()
    # Every example ran and its figures reached the gallery.
    images = {
        p.name for p in (tmp_path / "docs" / "auto_examples" / "images").iterdir()
    }
    for name in ("bars_hebbian", "compare_rules", "izhikevich_patterns", "stdp_window"):
        assert f"sphx_glr_{name}_001.png" in images, sorted(images)
    # Nothing was written into the examples' folder.
    assert not list((tmp_path / "examples").glob("*.png"))


USER_GUIDE = sorted((DOCS / "user_guide").glob("*.rst"))


@needs_docs
@pytest.mark.slow
@pytest.mark.parametrize("page", USER_GUIDE, ids=[p.stem for p in USER_GUIDE])
def test_user_guide_examples_run(page):
    """The ``>>>`` examples of each user-guide page give the output shown."""
    result = doctest.testfile(
        str(page),
        module_relative=False,
        optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS,
        verbose=False,
        report=True,
    )
    assert result.failed == 0, f"{result.failed} example(s) of {page.name} failed"
