"""Sphinx helpers of the stdp_lab documentation (a local extension).

- :func:`reset_argv`: the command-line arguments sphinx-gallery gives each
  script of ``examples/``: its ``--quick`` size where it has one, and its output
  files in a temporary folder (removed when the build ends), never in the
  source tree. Every example must be listed in :data:`EXAMPLE_ARGS`, so that a
  new one is not run at full size by accident.
- :func:`written_png_scraper`: an image scraper for the figures an example
  writes with matplotlib's object-oriented ``Figure`` rather than ``pyplot``
  (which the matplotlib scraper cannot see): ``compare_rules`` saves its
  ``comparison.png`` that way.
- A constant's page shows the ``#:`` comment above its definition, also when
  it is re-exported from a private module, never the docstring of its type.
- Class pages list stdp_lab's own methods, inherited ones included, not those
  a class inherits from scikit-learn or the standard library.
- Every public name (the ``__all__`` of ``stdp_lab`` and of its public modules)
  must have a page in the API reference: a name without one is a warning, so
  the ``-W`` build fails. References to a re-exported name
  (``stdp_lab.SpikingFeatureLearner``), or to a short name that only one
  documented object has (``SpikingFeatureLearner`` in another module's
  docstring), resolve to the page of the documented object
  (``stdp_lab.estimators.SpikingFeatureLearner``).
"""

from __future__ import annotations

import importlib
import inspect
import shutil
import sys
import tempfile
from pathlib import Path

from sphinx.pycode import ModuleAnalyzer
from sphinx.util import logging

logger = logging.getLogger(__name__)

#: Modules whose ``__all__`` the API reference must cover.
PUBLIC_MODULES = (
    "stdp_lab",
    "stdp_lab.encoding",
    "stdp_lab.neurons",
    "stdp_lab.connectivity",
    "stdp_lab.competition",
    "stdp_lab.plasticity",
    "stdp_lab.network",
    "stdp_lab.estimators",
    "stdp_lab.pooling",
    "stdp_lab.compare",
    "stdp_lab.presets",
    "stdp_lab.datasets",
    "stdp_lab.io",
    "stdp_lab.plotting",
    "stdp_lab.cli",
)

#: Arguments of each example when the gallery runs it; ``{out}`` is replaced by
#: a temporary folder. The sizes are the scripts' ``--quick`` ones (seconds
#: each); run a script by hand for its full-size figures.
EXAMPLE_ARGS = {
    "bars_hebbian.py": ["--quick", "--out", "{out}/bars_hebbian.png"],
    "compare_rules.py": ["--quick", "--n-jobs", "1", "--out", "{out}/compare_rules"],
    "custom_rule.py": [],
    "diehl_cook_2015.py": ["--quick"],
    "izhikevich_patterns.py": ["--out", "{out}/izhikevich_patterns.png"],
    "mnist_local_stdp.py": ["--quick", "--out", "{out}/mnist_local_stdp.png"],
    "natural_image_receptive_fields.py": [
        "--quick",
        "--out",
        "{out}/natural_image_receptive_fields.png",
    ],
    "repeating_pattern_detection.py": [
        "--quick",
        "--out",
        "{out}/repeating_pattern_detection.png",
    ],
    "stdp_window.py": ["--quick", "--out", "{out}/stdp_window.png"],
}

#: Figures that an example writes without pyplot (so that the matplotlib
#: scraper misses them), relative to the temporary output folder.
WRITTEN_PNGS = {"compare_rules.py": ["compare_rules/comparison.png"]}

_OUT: Path | None = None


def output_folder() -> Path:
    """The temporary folder the examples write into (made on first use)."""
    global _OUT
    if _OUT is None:
        _OUT = Path(tempfile.mkdtemp(prefix="stdp_lab_gallery_"))
    return _OUT


def reset_argv(gallery_conf, script_vars) -> list[str]:
    """``sys.argv[1:]`` of an example run by sphinx-gallery."""
    name = Path(script_vars["src_file"]).name
    if name not in EXAMPLE_ARGS:
        raise ValueError(
            f"examples/{name} is not listed in EXAMPLE_ARGS of "
            "docs/sphinxext/stdp_lab_docs.py: say which arguments the gallery "
            "runs it with (its --quick size, output in {out})"
        )
    out = str(output_folder())
    return [arg.replace("{out}", out) for arg in EXAMPLE_ARGS[name]]


def written_png_scraper(block, block_vars, gallery_conf) -> str:
    """Embed the PNG files of :data:`WRITTEN_PNGS` once the example wrote them."""
    from sphinx_gallery.scrapers import figure_rst

    name = Path(block_vars["src_file"]).name
    paths = []
    for relative in WRITTEN_PNGS.get(name, ()):
        written = output_folder() / relative
        if not written.exists() or written in _SCRAPED:
            continue
        target = Path(next(block_vars["image_path_iterator"]))
        shutil.copyfile(written, target)
        _SCRAPED.add(written)
        paths.append(target)
    if not paths:
        return ""
    return figure_rst(paths, gallery_conf["src_dir"])


_SCRAPED: set[Path] = set()


def _remove_output_folder(app, exception) -> None:
    global _OUT
    if _OUT is not None:
        shutil.rmtree(_OUT, ignore_errors=True)
        _OUT = None
    _SCRAPED.clear()


# ---------------------------------------------------------------------------
# API coverage and aliases of re-exported names
# ---------------------------------------------------------------------------
def _public_names():
    """``(module, name, object)`` of every name in a public ``__all__``."""
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            yield module_name, name, getattr(module, name)


def _documented(env) -> dict[str, object]:
    return env.domains["py"].objects


def _aliases(env) -> dict[str, str]:
    """Re-exported name -> the name under which the object is documented."""
    objects = _documented(env)
    by_object: dict[int, str] = {}
    for module_name, name, obj in _public_names():
        full = f"{module_name}.{name}"
        if full in objects:
            by_object.setdefault(id(obj), full)
    aliases = {}
    for module_name, name, obj in _public_names():
        full = f"{module_name}.{name}"
        if full not in objects and id(obj) in by_object:
            aliases[full] = by_object[id(obj)]
    return aliases


def _check_api_coverage(app, env) -> None:
    objects = _documented(env)
    aliases = _aliases(env)
    for module_name, name, _ in _public_names():
        full = f"{module_name}.{name}"
        if full not in objects and full not in aliases:
            logger.warning(
                "%s is in %s.__all__ but has no page in the API reference "
                "(add it to docs/api.rst)",
                full,
                module_name,
            )


_ALIASES: dict[str, str] | None = None


def _forget_aliases(app, env) -> None:
    global _ALIASES
    _ALIASES = None


def _resolve_alias(app, env, node, contnode):
    """Resolve ``stdp_lab.X`` (and ``stdp_lab.X.method``) to the documented
    name of the object that ``stdp_lab`` re-exports as ``X``."""
    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "")
    global _ALIASES
    if _ALIASES is None:
        _ALIASES = _aliases(env)
    new_target = None
    if target.startswith("stdp_lab."):
        for alias, documented in _ALIASES.items():
            if target == alias or target.startswith(alias + "."):
                new_target = documented + target[len(alias) :]
                break
    elif target and not target.startswith("_"):
        # A short name in a docstring of another module (``SpikingFeatureLearner``
        # in stdp_lab.presets): the one documented stdp_lab object of that name.
        matches = [
            name
            for name in _documented(env)
            if name.startswith("stdp_lab.") and name.endswith("." + target)
        ]
        if len(matches) == 1:
            new_target = matches[0]
    if new_target is None:
        return None
    return env.domains["py"].resolve_xref(
        env, node["refdoc"], app.builder, node["reftype"], new_target, node, contnode
    )


# ---------------------------------------------------------------------------
# Class pages: stdp_lab's own members only
# ---------------------------------------------------------------------------
def _skip_foreign_member(app, what, name, obj, skip, options):
    """Skip, on class pages, the methods a class inherits from scikit-learn or
    the standard library (``get_params``, ``set_output``, ``count``, ...): their
    docstrings refer to other projects' documentation. NamedTuple fields are
    skipped too: each class's Attributes section describes them."""
    if what != "class":
        return None
    if type(obj).__name__ == "_tuplegetter":
        return True
    target = obj.fget if isinstance(obj, property) else obj
    target = getattr(target, "__func__", target)  # classmethod, staticmethod
    if not (callable(target) or isinstance(obj, property)):
        return None  # data attributes: documented when they have a #: comment
    module = getattr(target, "__module__", None) or ""
    if not module.startswith("stdp_lab"):
        return True
    return None


# ---------------------------------------------------------------------------
# Module-level data: their #: comment, never the docstring of their type
# ---------------------------------------------------------------------------
def _data_docstring(app, what, name, obj, options, lines) -> None:
    """A constant re-exported from a private module (``stdp_lab.ENGINES``, from
    ``stdp_lab._config``) would show the docstring of its type (``tuple``);
    show the ``#:`` comment above its definition instead, or nothing."""
    if what not in ("data", "attribute"):
        return
    type_doc = inspect.getdoc(type(obj)) or ""
    if not lines or "\n".join(lines).strip() != type_doc.strip():
        return
    short = name.rpartition(".")[2]
    lines[:] = []
    for module_name, module in sorted(sys.modules.items()):
        if (
            not module_name.startswith("stdp_lab")
            or getattr(module, short, None) is not obj
        ):
            continue
        try:
            comments = ModuleAnalyzer.for_module(module_name).find_attr_docs()
        except Exception:  # noqa: BLE001 - a module without source: no comment
            continue
        if ("", short) in comments:
            lines[:] = list(comments[("", short)])
            return


def setup(app):
    app.connect("autodoc-process-docstring", _data_docstring, priority=400)
    app.connect("autodoc-skip-member", _skip_foreign_member)
    app.connect("env-check-consistency", _check_api_coverage)
    app.connect("env-updated", _forget_aliases)
    app.connect("missing-reference", _resolve_alias)
    app.connect("build-finished", _remove_output_folder)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
