"""Typed readers for the values of a TOML model: quantities, lists, names, signals.

Every reader takes the key path of the value (``populations[hidden].tau_m``)
and the :class:`LoadContext` of the file, so that each error names the file,
the key and the value, and suggests what to write instead.
"""

import difflib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ModelError
from .signals import Sines, Square, Step, load_samples
from .units import parse_quantity

# Keys of each signal kind that TOML can describe (the Python-only "array" kind is absent).
SIGNAL_KEYS = {
    "sines": ("kind", "amplitude", "frequency", "phase", "offset"),
    "step": ("kind", "amplitude", "start", "baseline"),
    "square": ("kind", "amplitude", "period", "offset"),
    "file": ("kind", "path"),
}
_MAX_VALUE_TEXT = 60


@dataclass(frozen=True)
class LoadContext:
    """Origin of a table: the file named in messages and the folder of relative paths."""

    source: str | None
    base_dir: Path
    teacher_stack: tuple = ()


def value_text(value):
    """Return a short repr of ``value`` for an error message."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    text = repr(value)
    if len(text) > _MAX_VALUE_TEXT:
        text = text[: _MAX_VALUE_TEXT - 3] + "..."
    return text


def fail(ctx, key, message, value=None, error_type=ModelError):
    """Raise ``error_type`` for ``key`` in the file of ``ctx``."""
    raise error_type(message, key=key, value=value, source=ctx.source)


@contextmanager
def located(ctx, prefix):
    """Re-raise a ModelError from a model class with the file and the full key path.

    ``prefix`` (``populations[hidden]``) goes in front of the key that the
    class reported (``tau_m``). The value is appended when the class message
    does not show it already.
    """
    try:
        yield
    except ModelError as error:
        if error.source is not None:
            raise
        parts = [part for part in (prefix, error.key) if part]
        message = " ".join(error.message.split())  # one line, also for array reprs
        value_in_message = value_text(error.value) in message or "got " in message
        if error.value is not None and not value_in_message:
            message = f"{message} (got {value_text(error.value)})"
        raise type(error)(message, key=".".join(parts) or None, value=error.value,
                          source=ctx.source) from error


def check_keys(ctx, table, allowed, prefix):
    """Reject keys of ``table`` that are not in ``allowed``, suggesting the nearest one."""
    for key in table:
        if key in allowed:
            continue
        path = f"{prefix}.{key}" if prefix else key
        matches = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        hint = f"did you mean '{matches[0]}'?" if matches else \
            f"valid keys here are {', '.join(allowed)}"
        fail(ctx, path, f"unknown key '{key}'; {hint}", table[key])


def require(ctx, table, key, prefix, example="a value"):
    """Return ``table[key]`` or raise an error naming the missing key and an ``example`` value."""
    if key not in table:
        path = f"{prefix}.{key}" if prefix else key
        where = prefix if prefix else "the top level"
        fail(ctx, path, f"missing required key '{key}' in {where}; add {key} = {example}")
    return table[key]


def choice(ctx, value, choices, key):
    """Return ``value`` if it is one of ``choices``; otherwise suggest the nearest."""
    if not isinstance(value, str):
        fail(ctx, key, f"expected a string, one of {', '.join(choices)}; got "
                       f"{value_text(value)}", value)
    if value not in choices:
        matches = difflib.get_close_matches(value, choices, n=1, cutoff=0.5)
        hint = f"; did you mean '{matches[0]}'?" if matches else ""
        fail(ctx, key, f"unknown value {value!r}; expected one of {', '.join(choices)}"
                       f"{hint}", value)
    return value


def string(ctx, value, key):
    if not isinstance(value, str):
        fail(ctx, key, f"expected a string in quotes, got {value_text(value)}", value)
    return value


def boolean(ctx, value, key):
    if not isinstance(value, bool):
        fail(ctx, key, f"expected true or false, got {value_text(value)}", value)
    return value


def integer(ctx, value, key):
    if isinstance(value, bool) or not isinstance(value, int):
        fail(ctx, key, f"expected an integer, got {value_text(value)}", value)
    return value


def quantity(ctx, value, dimension, key):
    """Read one number (SI) or string with a unit as an SI float."""
    return parse_quantity(value, dimension, key=key, source=ctx.source)


def quantities(ctx, value, dimension, key):
    """Read a number, a list or a list of lists of quantities as a float array."""
    if isinstance(value, list):
        items = [quantities(ctx, item, dimension, f"{key}[{index}]")
                 for index, item in enumerate(value)]
        if len({item.shape for item in items}) > 1:
            fail(ctx, key, "rows of different lengths; every row needs as many values "
                           "as the first", value)
        if not items:
            return np.empty(0)
        return np.stack(items)
    return np.array(quantity(ctx, value, dimension, key))


def per_neuron_values(ctx, value, size, dimension, key):
    """Read a scalar or a list of ``size`` quantities as an array of shape (size,)."""
    array = quantities(ctx, value, dimension, key)
    if array.ndim == 0:
        return np.full(size, float(array))
    if array.shape != (size,):
        fail(ctx, key, f"shape mismatch: got shape {array.shape}, expected a scalar or "
                       f"shape ({size},), one value per neuron", value)
    return array


def resolve_path(ctx, value, key):
    """Resolve the path ``value`` against the folder of the model file."""
    path = Path(string(ctx, value, key)).expanduser()
    if not path.is_absolute():
        path = ctx.base_dir / path
    return path.resolve()


# --- signals ---------------------------------------------------------------------------


def parse_signal(ctx, table, size, dt, key):
    """Build the signal described by an inline table for ``size`` neurons.

    Parameters
    ----------
    table : dict
        ``{ kind = "sines" | "step" | "square" | "file", ... }``.
    size : int
        Number of channels (neurons) the signal must have.
    dt : float
        Sampling interval of file signals (s).
    key : str
        Key path of the table, used in messages.
    """
    if not isinstance(table, dict):
        fail(ctx, key, "expected an inline table such as { kind = \"sines\", amplitude "
                       "= 1.0, frequency = \"0.5 Hz\" }", table)
    kind = choice(ctx, require(ctx, table, "kind", key, '"sines"'), tuple(SIGNAL_KEYS),
                  f"{key}.kind")
    check_keys(ctx, table, SIGNAL_KEYS[kind], key)
    if kind == "sines":
        return _sines(ctx, table, size, key)
    if kind == "step":
        start = quantity(ctx, require(ctx, table, "start", key, '"1 s"'), "time",
                         f"{key}.start")
        return Step(
            amplitude=per_neuron_values(ctx, require(ctx, table, "amplitude", key, "1.0"),
                                        size, "dimensionless", f"{key}.amplitude"),
            start=start,
            baseline=per_neuron_values(ctx, table.get("baseline", 0.0), size,
                                       "dimensionless", f"{key}.baseline"),
        )
    if kind == "square":
        period = quantity(ctx, require(ctx, table, "period", key, '"4 s"'), "time",
                          f"{key}.period")
        if period <= 0:
            fail(ctx, f"{key}.period", f"period must be positive, got {period:g} s",
                 period)
        return Square(
            amplitude=per_neuron_values(ctx, require(ctx, table, "amplitude", key, "1.0"),
                                        size, "dimensionless", f"{key}.amplitude"),
            period=period,
            offset=per_neuron_values(ctx, table.get("offset", 0.0), size,
                                     "dimensionless", f"{key}.offset"),
        )
    path = resolve_path(ctx, require(ctx, table, "path", key, '"input.npy"'),
                        f"{key}.path")
    return load_samples(path, size, dt, key=f"{key}.path", source=ctx.source)


def _sines(ctx, table, size, key):
    fields = {
        "amplitude": (require(ctx, table, "amplitude", key, "[1.0, 0.5]"),
                      "dimensionless"),
        "frequency": (require(ctx, table, "frequency", key, '["0.5 Hz", "1 Hz"]'),
                      "frequency"),
        "phase": (table.get("phase", 0.0), "dimensionless"),
    }
    arrays = {name: _components(ctx, value, size, dimension, f"{key}.{name}")
              for name, (value, dimension) in fields.items()}
    shaped = {name: a.shape for name, a in arrays.items() if a.ndim == 2}
    if len(set(shaped.values())) > 1:
        listing = ", ".join(f"{name} has shape {shape}" for name, shape in shaped.items())
        fail(ctx, key, f"shape mismatch between the sine components: {listing}; give "
                       "every field one value per component", table)
    shape = next(iter(shaped.values()), (size, 1))
    components = {name: np.broadcast_to(a, shape).astype(float) for name, a in
                  arrays.items()}
    offset = per_neuron_values(ctx, table.get("offset", 0.0), size, "dimensionless",
                               f"{key}.offset")
    return Sines(offset=offset, **components)


def _components(ctx, value, size, dimension, key):
    """Read one field of a sum of sines: a scalar, or an array of shape (size, K)."""
    array = quantities(ctx, value, dimension, key)
    if array.ndim == 0:
        return array
    if array.ndim == 1:
        if size == 1:
            return array[None, :]
        fail(ctx, key, f"shape mismatch: a flat list is ambiguous for {size} neurons; "
                       f"give one list of components per neuron ({size} rows), for "
                       "example [[1.0, 0.5], [0.2, 0.1]]", value)
    if array.ndim != 2 or array.shape[0] != size:
        fail(ctx, key, f"shape mismatch: got shape {array.shape}, expected ({size}, K): "
                       f"one row of K components per neuron", value)
    return array
