"""Sphinx configuration of the stdp_lab documentation.

Build (warnings are errors, no network)::

    pip install -e ".[docs]"
    python -m sphinx -W --keep-going -b html docs docs/_build/html

The gallery runs every script of ``examples/`` while building (at its
``--quick`` size where it has one; see ``sphinxext/stdp_lab_docs.py``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "sphinxext"))

# The examples draw with matplotlib without a window.
os.environ.setdefault("MPLBACKEND", "Agg")

import stdp_lab  # noqa: E402

project = "stdp_lab"
author = "the stdp_lab developers"
copyright = "the stdp_lab developers"  # noqa: A001
version = release = stdp_lab.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "stdp_lab_docs",
]

templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "Thumbs.db",
    ".DS_Store",
    # fragments included by pages, not pages themselves.
    "includes",
    # sphinx-gallery writes these next to the gallery; they are not pages.
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.md5",
    "auto_examples/*.json",
]
root_doc = "index"
default_role = "py:obj"
# Equations are typeset by MathJax in the reader's browser; no remote images.
nitpicky = False

# -- autodoc / autosummary / numpydoc ----------------------------------------
autosummary_generate = True
autosummary_imported_members = False
autodoc_typehints = "none"  # numpydoc's type lines say it; signatures stay short
autodoc_member_order = "bysource"
autodoc_preserve_defaults = True  # signatures show defaults as written
autodoc_inherit_docstrings = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- HTML ----------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"stdp_lab {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    # No icon links, analytics or version switcher: nothing is fetched from the
    # network when the site is built or read.
    "icon_links": [],
}
html_sidebars = {"index": []}
html_show_sourcelink = False

# -- sphinx-gallery --------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # Run every script (not only plot_*.py) while building.
    "filename_pattern": r".*\.py$",
    "ignore_pattern": r"__init__\.py",
    # Command-line arguments of each script: its --quick size, and output files
    # in a temporary folder rather than the source tree.
    "reset_argv": "stdp_lab_docs.reset_argv",
    "image_scrapers": ("matplotlib", "stdp_lab_docs.written_png_scraper"),
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "show_signature": False,
    "abort_on_example_error": False,
    "doc_module": ("stdp_lab",),
    "backreferences_dir": "generated/backreferences",
    "inspect_global_variables": False,
    "capture_repr": (),
}
