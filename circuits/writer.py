"""Write a model back as TOML, in the format that :func:`circuits.loader.load_model` reads.

The file is explicit: every weight matrix, per-neuron time constants and
biases, and every field of the learning, circuit and spiking tables. Reading
the written file gives a model equal to the one written, except for
``source``.
"""

import os
from pathlib import Path

import numpy as np
import tomli_w

from .errors import ModelError
from .files import write_atomic
from .loader import CIRCUIT_FIELDS, LEARNING_FIELDS, SPIKING_FIELDS


def model_to_dict(model, base_dir=None):
    """Return the TOML table of ``model`` as nested dicts of plain Python values.

    Parameters
    ----------
    model : Model
    base_dir : str or Path, optional
        Folder of the file the table will be written to; the current
        directory by default. Paths of signal files and teacher models are
        written relative to it when the two share a folder below the root.

    Raises
    ------
    ModelError
        If a part of the model has no TOML form: an input given as an array
        in Python, or a teacher model without ``teacher_path``.
    """
    base_dir = Path.cwd() if base_dir is None else Path(base_dir)
    table = {
        "name": model.name,
        "dt": float(model.dt),
        "duration": float(model.duration),
        "scheme": model.scheme,
        "initial_state": model.initial_state,
        "populations": [_population(p, base_dir) for p in model.populations],
        "projections": [_projection(p) for p in model.projections],
    }
    if model.target is not None:
        table["target"] = _target(model.target, base_dir)
    if model.learning is not None:
        table["learning"] = _section(model.learning, LEARNING_FIELDS)
    table["circuit"] = _section(model.circuit, CIRCUIT_FIELDS)
    table["spiking"] = _section(model.spiking, SPIKING_FIELDS)
    return table


def save_model(model, path):
    """Write ``model`` to the TOML file ``path`` and return the path.

    The text goes to a temporary file in the same folder that then replaces
    ``path``, so a reader never sees a half-written file.
    """
    path = Path(path)
    table = model_to_dict(model, base_dir=path.resolve().parent)
    header = (
        f"# Model '{model.name}' written by circuits.writer.save_model"
        + (f" from {model.source}" if model.source else "")
        + ".\n# The format is described in docs/model-format.md.\n\n"
    )
    # NOTE: tomli_w puts every list element on its own line and writes signals as
    # sub-tables, so large weight matrices make long files; comments are not kept.
    text = header + tomli_w.dumps(table)
    return write_atomic(path, text)


def _population(population, base_dir):
    table = {"name": population.name, "size": population.size, "kind": population.kind}
    if population.is_input:
        table["signal"] = _signal(population.signal, base_dir,
                                  f"populations[{population.name}].signal")
        return table
    table.update({
        "tau_m": _floats(population.tau_m),
        "tau_r": _floats(population.tau_r),
        "phi": population.phi,
        "bias": _floats(population.bias),
        "variant": population.variant,
    })
    return table


def _projection(projection):
    return {
        "name": projection.name,
        "pre": projection.pre,
        "post": projection.post,
        "plastic": bool(projection.plastic),
        "weights": _floats(projection.weights),
    }


def _target(target, base_dir):
    table = {"population": target.population}
    if target.signal is not None:
        table["signal"] = _signal(target.signal, base_dir, "target.signal")
    if target.teacher is not None:
        if target.teacher_path is None:
            raise ModelError(
                "the teacher model has no file; save it with save_model and set "
                "Target.teacher_path to that file",
                key="target.teacher",
            )
        table["teacher"] = _relative(target.teacher_path, base_dir)
    table["beta"] = float(target.beta)
    table["loss"] = target.loss
    return table


def _signal(signal, base_dir, key):
    try:
        table = signal.to_table()
    except ModelError as error:
        raise ModelError(error.message, key=key) from error
    if table["kind"] == "file":
        table["path"] = _relative(table["path"], base_dir)
    return table


def _section(spec, schema):
    """Table of a Learning, CircuitSpec or SpikingSpec; None fields are left out."""
    table = {}
    for key, kind in schema.items():
        value = getattr(spec, key)
        if value is None:
            continue
        if kind[0] == "quantity":
            value = float(value)
        elif kind[0] == "int":
            value = int(value)
        elif kind[0] == "bool":
            value = bool(value)
        table[key] = value
    return table


def _floats(array):
    """Nested lists of Python floats (tomli_w cannot write NumPy scalars)."""
    return np.asarray(array, dtype=float).tolist()


def _relative(path, base_dir):
    """``path`` relative to ``base_dir`` in POSIX form when they share a folder below the root.

    A path whose only common folder with ``base_dir`` is the root (or another
    drive on Windows) stays absolute, so that ``../../..`` chains do not appear.
    """
    path = Path(path).resolve()
    base_dir = base_dir.resolve()
    try:
        common = Path(os.path.commonpath([path, base_dir]))
    except ValueError:  # Windows: the two paths are on different drives
        return path.as_posix()
    if common == Path(common.anchor):
        return path.as_posix()
    return Path(os.path.relpath(path, base_dir)).as_posix()
