"""Saving and loading fitted models safely, with skops.

A pickle (or joblib) file runs code of its author's choosing when it is loaded,
before anything can check what it holds, so it is only safe from a trusted
source. :func:`save_model` writes a skops file instead (``skops.io``: a zip of
the objects' states and arrays, no code), and :func:`load_model` rebuilds only
the types scikit-learn's and stdp_lab's own classes, refusing any other (a file
that names an unknown type is refused before anything of it is built). The
zip's CRC-32 checks make a file damaged on disk fail to load instead of giving
wrong answers. Saving writes a temporary file next to the target and renames
it, so a full disk or an interruption never leaves a truncated model where a
good one was.

Examples
--------
>>> import tempfile, pathlib
>>> from sklearn.datasets import load_digits
>>> from stdp_lab import SpikingFeatureLearner
>>> from stdp_lab.io import load_model, save_model
>>> X = load_digits().data[:32]
>>> model = SpikingFeatureLearner(n_timesteps=5, random_state=0).fit(X)
>>> path = pathlib.Path(tempfile.mkdtemp()) / "model.skops"
>>> save_model(model, path)
>>> (load_model(path).transform(X) == model.transform(X)).all()
np.True_
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

__all__ = ["save_model", "load_model", "trusted_types"]


def trusted_types() -> tuple[str, ...]:
    """The types :func:`load_model` rebuilds besides scikit-learn's (which
    skops trusts itself): every class stdp_lab defines for the parts of a
    model (learners and readouts, layers, connectivities, neuron models,
    competitions, rules, encoders). Subclasses defined elsewhere are not
    trusted: their code is not stdp_lab's."""
    from .competition import Competition
    from .connectivity import Connectivity
    from .encoding import Encoder
    from .estimators import SpikeCountClassifier, SpikingFeatureLearner
    from .network import Layer
    from .neurons import NeuronModel
    from .plasticity import Rule

    bases = (
        SpikingFeatureLearner,
        SpikeCountClassifier,
        Layer,
        Connectivity,
        NeuronModel,
        Competition,
        Rule,
        Encoder,
    )
    found, todo = set(), list(bases)
    while todo:
        cls = todo.pop()
        if cls.__module__.startswith("stdp_lab.") and not cls.__name__.startswith("_"):
            found.add(f"{cls.__module__}.{cls.__qualname__}")
        todo.extend(cls.__subclasses__())
    return tuple(sorted(found))


def save_model(model, path, *, force: bool = False) -> None:
    """Write ``model`` to ``path`` as a skops file, atomically.

    Parameters
    ----------
    model : estimator
        A fitted estimator or pipeline.
    path : str or path-like
        Where to write it (the folder must exist).
    force : bool, default=False
        Replace an existing file that is not a model :func:`load_model` can
        read. Without it such a file is refused (a typo in a path must not
        destroy another file); a model file is replaced.

    Raises
    ------
    ValueError
        If ``path`` is a folder, or an existing file that is not a model and
        ``force`` is False.
    OSError
        If the file cannot be written (the previous file, if any, is kept).
    """
    import skops.io as sio

    path = Path(path)
    if path.is_dir():
        raise ValueError(f"path {str(path)!r} is a folder, not a model file")
    if path.exists() and not force:
        try:
            load_model(path)
        except (ValueError, OSError):
            raise ValueError(
                f"{str(path)!r} exists and is not a model file; refusing to "
                "overwrite it (pass force=True, or --force, to replace it)"
            ) from None
    temporary = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        sio.dump(model, temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def load_model(path, *, trust: bool = False):
    """Read a model written by :func:`save_model`.

    Parameters
    ----------
    path : str or path-like
    trust : bool, default=False
        Also load what is not safe to load from an unknown source: a skops
        file naming types other than scikit-learn's and stdp_lab's (a rule of
        your own, say), or a pickle/joblib file, which runs code as it loads.
        Only for files you trust.

    Returns
    -------
    model : estimator

    Raises
    ------
    ValueError
        If the file is not a model this function can read safely: damaged, of
        another format, or naming types it does not trust (the message names
        them and says how to load it anyway).
    """
    import skops.io as sio

    path = Path(path)
    if not path.exists():
        raise ValueError(f"model file {str(path)!r} does not exist")
    if path.is_dir():
        raise ValueError(f"model path {str(path)!r} is a folder, not a file")
    if not zipfile.is_zipfile(path):
        if not trust:
            raise ValueError(
                f"{str(path)!r} is not a skops model file; if it is a pickle or "
                "joblib file, loading it runs code it holds: load it with "
                "trust=True (--trust) only if you trust its source"
            )
        import joblib

        try:
            return joblib.load(path)
        except Exception as exc:  # unpickling raises many kinds of errors
            raise ValueError(
                f"cannot read model file {str(path)!r} ({type(exc).__name__}: {exc})"
            ) from None
    try:
        untrusted = sio.get_untrusted_types(file=path)
        unknown = sorted(set(untrusted) - set(trusted_types()))
        if unknown and not trust:
            raise ValueError(
                f"{str(path)!r} names types that are not stdp_lab's or "
                f"scikit-learn's: {', '.join(unknown)}; load it with trust=True "
                "(--trust) only if you trust its source"
            )
        return sio.load(path, trusted=list(untrusted))
    except ValueError:
        raise
    except Exception as exc:  # a damaged zip or state: many kinds of errors
        raise ValueError(
            f"cannot read model file {str(path)!r}: it is damaged or not a "
            f"model ({type(exc).__name__}: {exc})"
        ) from None
