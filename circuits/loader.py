"""Read a model from a TOML file into :class:`circuits.model.Model`.

The file format is described key by key in ``docs/model-format.md``. Numbers
are SI; strings with a unit (``"10 ms"``) are converted with
:func:`circuits.units.parse_quantity`. Every error is a
:class:`~circuits.errors.ModelError` whose message names the file, the key
path (``populations[hidden].tau_m``), the value and what to change.
"""

import re
import tomllib
from pathlib import Path
from types import SimpleNamespace

from . import loader_fields as fields
from .errors import ModelError
from .loader_fields import LoadContext, check_keys, fail, located, require
from .model import (
    ERROR_MODES,
    INITIAL_STATES,
    KINDS,
    LOSSES,
    NAME_PATTERN,
    OPTIMIZERS,
    READOUTS,
    SCHEMES,
    SPIKING_NEURONS,
    VARIANTS,
    CircuitSpec,
    Learning,
    Model,
    Population,
    Projection,
    SpikingSpec,
    Target,
    initial_weights,
)
from .phi import PHI_NAMES

TOP_KEYS = ("name", "dt", "duration", "scheme", "initial_state", "populations",
            "projections", "target", "learning", "circuit", "spiking")
POPULATION_KEYS = ("name", "size", "kind", "tau_m", "tau_r", "phi", "bias", "variant",
                   "signal")
NEURON_ONLY_KEYS = ("tau_m", "tau_r", "phi", "bias", "variant")
PROJECTION_KEYS = ("pre", "post", "name", "plastic", "weights", "init", "scale", "seed")
TARGET_KEYS = ("population", "signal", "teacher", "beta", "loss")
INITIALISERS = ("normal", "uniform", "zeros")

# How to read each key of the flat tables: ("quantity", dimension), ("int",),
# ("bool",) or ("choice", allowed values). Each table lists every field of its class.
LEARNING_FIELDS = {
    "eta": ("quantity", "frequency"),
    "eta_tau_m": ("quantity", "frequency"),
    "eta_tau_r": ("quantity", "frequency"),
    "tau_min": ("quantity", "time"),
    "gamma": ("quantity", "dimensionless"),
    "errors": ("choice", ERROR_MODES),
    "optimizer": ("choice", OPTIMIZERS),
    "adam_beta1": ("quantity", "dimensionless"),
    "adam_beta2": ("quantity", "dimensionless"),
    "adam_epsilon": ("quantity", "dimensionless"),
    "gain_frequency": ("quantity", "frequency"),
    "start": ("quantity", "time"),
    "epochs": ("int",),
    "learn_biases": ("bool",),
    "enabled": ("bool",),
}
CIRCUIT_FIELDS = {
    "unit_voltage": ("quantity", "voltage"),
    "capacitance": ("quantity", "capacitance"),
    "leak_conductance": ("quantity", "conductance"),
    "time_scale": ("quantity", "dimensionless"),
    "readout": ("choice", READOUTS),
}
SPIKING_FIELDS = {
    "neuron": ("choice", SPIKING_NEURONS),
    "neurons_per_unit": ("int",),
    "rate_max": ("quantity", "frequency"),
    "tau_syn": ("quantity", "time"),
    "seed": ("int",),
}
SECTIONS = {
    "learning": (Learning, LEARNING_FIELDS),
    "circuit": (CircuitSpec, CIRCUIT_FIELDS),
    "spiking": (SpikingSpec, SPIKING_FIELDS),
}
_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def load_model(path, scheme=None):
    """Read a model from a TOML file.

    Parameters
    ----------
    path : str or Path
        The model file. Relative paths inside it (signal files, teacher
        models) are taken relative to its folder.
    scheme : {"euler", "exact", "continuous"}, optional
        Replaces the file's ``scheme`` before the checks that depend on it
        (tau >= dt under euler), as a command-line ``--scheme`` does.

    Returns
    -------
    Model

    Raises
    ------
    ModelError
        For a missing file, a TOML syntax error or any invalid value; the
        message names the file, the key path and the value.
    """
    return _load_file(Path(path), (), scheme)


def model_from_dict(table, source=None, base_dir=None):
    """Build a model from a dict of the same shape as the TOML file.

    Parameters
    ----------
    table : dict
        Keys and tables as in the TOML format.
    source : str, optional
        Name shown in error messages (the file the dict came from).
    base_dir : str or Path, optional
        Folder that relative paths are resolved against; the current
        directory by default.

    Returns
    -------
    Model
    """
    base_dir = Path.cwd() if base_dir is None else Path(base_dir)
    return _build(table, LoadContext(source, base_dir.resolve()))


def _load_file(path, teacher_stack, scheme=None):
    source = str(path)
    if path.is_dir():
        raise ModelError(f"'{path}' is a directory; give the model's TOML file",
                         source=source)
    if not path.is_file():
        raise ModelError(f"model file '{path}' not found; check the path", source=source)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ModelError(f"the file is not UTF-8 text ({error.reason}); save it as UTF-8",
                         source=source) from error
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise _syntax_error(error, source) from error
    if scheme is not None:
        table = {**table, "scheme": scheme}
    ctx = LoadContext(source, path.resolve().parent, teacher_stack + (path.resolve(),))
    return _build(table, ctx)


def _syntax_error(error, source):
    text = str(error)
    match = _TOML_POSITION.search(text)
    reason = _TOML_POSITION.sub("", text).strip()
    where = f"line {match.group(1)}, column {match.group(2)}" if match else "unknown place"
    return ModelError(
        f"TOML syntax error at {where}: {reason}; fix the syntax there (strings need "
        "quotes, lists need brackets, each key appears once per table)",
        source=source,
    )


def _build(table, ctx):
    check_keys(ctx, table, TOP_KEYS, "")
    name = require(ctx, table, "name", "", '"my_model"')
    dt = fields.quantity(ctx, require(ctx, table, "dt", "", '"10 ms"'), "time", "dt")
    duration = fields.quantity(ctx, require(ctx, table, "duration", "", '"5 s"'), "time",
                               "duration")
    scheme = fields.choice(ctx, table.get("scheme", "euler"), SCHEMES, "scheme")
    initial_state = fields.choice(ctx, table.get("initial_state", "equilibrium"),
                                  INITIAL_STATES, "initial_state")
    populations = _populations(ctx, require(ctx, table, "populations", "",
                                            "[[populations]] tables"), dt)
    projections = _projections(ctx, table.get("projections", []), populations)
    sections = {key: _section(ctx, table[key], key) for key in SECTIONS if key in table}
    if "learning" in sections and "target" not in table:
        fail(ctx, "learning", "a [learning] table needs a [target] table that says what "
                              "the output should be; add [target] with population and "
                              "signal or teacher, or remove [learning]")
    target = _target(ctx, table["target"], populations, projections, dt, duration) \
        if "target" in table else None
    with located(ctx, ""):
        model = Model(name=name, dt=dt, duration=duration, populations=populations,
                      projections=projections, target=target, scheme=scheme,
                      initial_state=initial_state, source=ctx.source, **sections)
        model.check_step()
    return model


def _table_list(ctx, value, key):
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        fail(ctx, key, f"expected a list of tables written as [[{key}]], got "
                       f"{fields.value_text(value)}", value)
    return value


def _label(index, candidate):
    """Key path label of a list entry: its name when valid, else its index."""
    if isinstance(candidate, str) and NAME_PATTERN.match(candidate):
        return candidate
    return str(index)


# --- populations and projections -------------------------------------------------------


def _populations(ctx, value, dt):
    tables = _table_list(ctx, value, "populations")
    populations = []
    for index, table in enumerate(tables):
        population = _population(ctx, table, index, dt)
        if population.name in [p.name for p in populations]:
            fail(ctx, f"populations[{population.name}].name",
                 f"duplicate population name '{population.name}'; give each population "
                 "its own name", population.name)
        populations.append(population)
    return populations


def _population(ctx, table, index, dt):
    prefix = f"populations[{_label(index, table.get('name'))}]"
    check_keys(ctx, table, POPULATION_KEYS, prefix)
    name = require(ctx, table, "name", prefix, '"hidden"')
    size = fields.integer(ctx, require(ctx, table, "size", prefix, "1"), f"{prefix}.size")
    if size < 1:
        fail(ctx, f"{prefix}.size", f"size must be a positive integer, got {size}", size)
    kind = fields.choice(ctx, table.get("kind", "neuron"), KINDS, f"{prefix}.kind")
    values = {}
    if kind == "input":
        for key in NEURON_ONLY_KEYS:
            if key in table:
                fail(ctx, f"{prefix}.{key}", f"input populations take no {key}; remove "
                                             "it or make the population a neuron "
                                             "population", table[key])
        signal = require(ctx, table, "signal", prefix,
                         '{ kind = "sines", amplitude = 1.0, frequency = "0.5 Hz" }')
        values["signal"] = fields.parse_signal(ctx, signal, size, dt, f"{prefix}.signal")
    else:
        require(ctx, table, "tau_m", prefix, '"10 ms"')
        for key in ("tau_m", "tau_r"):
            if key in table:
                values[key] = fields.quantities(ctx, table[key], "time", f"{prefix}.{key}")
        if "bias" in table:
            values["bias"] = fields.quantities(ctx, table["bias"], "dimensionless",
                                               f"{prefix}.bias")
        values["phi"] = fields.choice(ctx, table.get("phi", "tanh"), PHI_NAMES,
                                      f"{prefix}.phi")
        values["variant"] = fields.choice(ctx, table.get("variant", "gle"), VARIANTS,
                                          f"{prefix}.variant")
        if "signal" in table:
            fail(ctx, f"{prefix}.signal", "only input populations take a signal; set "
                                          "kind = \"input\" or remove the signal",
                 table["signal"])
    with located(ctx, prefix):
        return Population(name=name, size=size, kind=kind, **values)


def _projections(ctx, value, populations):
    tables = _table_list(ctx, value, "projections")
    sizes = {population.name: population.size for population in populations}
    return [_projection(ctx, table, index, sizes) for index, table in enumerate(tables)]


def _projection(ctx, table, index, sizes):
    pre, post = table.get("pre"), table.get("post")
    default_name = f"{pre}_to_{post}" if isinstance(pre, str) and isinstance(post, str) \
        else None
    prefix = f"projections[{_label(index, table.get('name', default_name))}]"
    check_keys(ctx, table, PROJECTION_KEYS, prefix)
    ends = {}
    for key in ("pre", "post"):
        ends[key] = _population_name(ctx, require(ctx, table, key, prefix, '"hidden"'),
                                     sizes, f"{prefix}.{key}")
    shape = (sizes[ends["post"]], sizes[ends["pre"]])
    weights = _weights(ctx, table, shape, prefix)
    plastic = fields.boolean(ctx, table.get("plastic", True), f"{prefix}.plastic")
    with located(ctx, prefix):
        return Projection(pre=ends["pre"], post=ends["post"], weights=weights,
                          name=table.get("name"), plastic=plastic)


def _population_name(ctx, value, sizes, key):
    fields.string(ctx, value, key)
    if value not in sizes:
        suggestion = fields.difflib.get_close_matches(value, list(sizes), n=1, cutoff=0.6)
        hint = f"did you mean '{suggestion[0]}'? " if suggestion else ""
        fail(ctx, key, f"unknown population '{value}'; {hint}known populations: "
                       f"{', '.join(sizes)}", value)
    return value


def _weights(ctx, table, shape, prefix):
    if "weights" in table:
        for key in ("init", "scale", "seed"):
            if key in table:
                fail(ctx, f"{prefix}.{key}", f"give either explicit weights or an "
                                             f"initialiser (init, scale, seed), not both; "
                                             f"remove {key} or weights", table[key])
        return _weight_matrix(ctx, table["weights"], shape, f"{prefix}.weights")
    if "init" not in table:
        fail(ctx, f"{prefix}.weights", f"missing weights: give weights = [[...]] with "
                                       f"shape (post, pre) = {shape}, or init = "
                                       "\"normal\"")
    init = fields.choice(ctx, table["init"], INITIALISERS, f"{prefix}.init")
    scale = None
    if "scale" in table:
        scale = fields.quantity(ctx, table["scale"], "dimensionless", f"{prefix}.scale")
        if scale <= 0:
            fail(ctx, f"{prefix}.scale", f"scale must be positive, got {scale:g}", scale)
    seed = fields.integer(ctx, table.get("seed", 0), f"{prefix}.seed")
    if seed < 0:
        fail(ctx, f"{prefix}.seed", f"seed must be a non-negative integer, got {seed}",
             seed)
    return initial_weights(*shape, scale=scale, seed=seed, init=init)


def _weight_matrix(ctx, value, shape, key):
    """Read weights as a (post, pre) matrix; flat lists are accepted for 1×N and N×1."""
    array = fields.quantities(ctx, value, "dimensionless", key)
    post, pre = shape
    if array.ndim == 0 and shape == (1, 1):
        return array.reshape(1, 1)
    if array.ndim == 1 and post == 1 and array.shape == (pre,):
        return array[None, :]
    if array.ndim == 1 and pre == 1 and array.shape == (post,):
        return array[:, None]
    if array.shape != shape:
        hint = "; it looks transposed: write one row per post neuron" \
            if array.shape == (pre, post) else ""
        fail(ctx, key, f"shape mismatch: weights have shape {array.shape}, expected "
                       f"(post, pre) = {shape}, one row per post neuron and one column "
                       f"per pre neuron{hint}", value)
    return array


# --- target, teacher and flat sections -------------------------------------------------


def _target(ctx, table, populations, projections, dt, duration):
    if not isinstance(table, dict):
        fail(ctx, "target", "expected a [target] table", table)
    check_keys(ctx, table, TARGET_KEYS, "target")
    sizes = {population.name: population.size for population in populations}
    output = _population_name(ctx, require(ctx, table, "population", "target", '"output"'),
                              sizes, "target.population")
    values = {}
    if "signal" in table and "teacher" in table:
        fail(ctx, "target.teacher", "give either a target signal or a teacher model, not "
                                    "both; remove one of them")
    if "signal" in table:
        values["signal"] = fields.parse_signal(ctx, table["signal"], sizes[output], dt,
                                               "target.signal")
    if "teacher" in table:
        path = fields.resolve_path(ctx, table["teacher"], "target.teacher")
        values["teacher"] = _teacher(ctx, path, populations, projections, dt, duration)
        values["teacher_path"] = str(path)
    if "beta" in table:
        values["beta"] = fields.quantity(ctx, table["beta"], "dimensionless",
                                         "target.beta")
    values["loss"] = fields.choice(ctx, table.get("loss", "mse"), LOSSES, "target.loss")
    with located(ctx, "target"):
        return Target(population=output, **values)


def _teacher(ctx, path, populations, projections, dt, duration):
    if path in ctx.teacher_stack:
        fail(ctx, "target.teacher", f"teacher '{path}' refers back to a model that is "
                                    "being loaded; a teacher cannot be its own student",
             str(path))
    if not path.is_file():
        fail(ctx, "target.teacher", f"teacher model '{path}' not found; the path is "
                                    "relative to the folder of this file", str(path))
    teacher = _load_file(path, ctx.teacher_stack)
    student = SimpleNamespace(populations=populations, projections=projections, dt=dt,
                              duration=duration)
    differences = architecture_differences(student, teacher)
    if differences:
        fail(ctx, "target.teacher", f"teacher model '{path}' does not match this model: "
                                    f"{'; '.join(differences)}; the teacher needs the "
                                    "same populations and projections",
             str(path))
    return teacher


def architecture_differences(student, teacher):
    """List how two models differ in populations or projections.

    The time grid and the inputs need not match: the teacher always runs on the
    student's dt, duration and inputs.

    Returns
    -------
    list of str
        One readable sentence per difference; empty when they match.
    """
    found = []
    mine = {p.name: p for p in student.populations}
    theirs = {p.name: p for p in teacher.populations}
    for name in mine.keys() - theirs.keys():
        found.append(f"population '{name}' is missing in the teacher")
    for name in theirs.keys() - mine.keys():
        found.append(f"the teacher has an extra population '{name}'")
    for name in mine.keys() & theirs.keys():
        for key in ("kind", "size"):
            if getattr(mine[name], key) != getattr(theirs[name], key):
                found.append(f"population '{name}' has {key} {getattr(theirs[name], key)} "
                             f"in the teacher but {getattr(mine[name], key)} here")
    mine = {p.name: (p.pre, p.post) for p in student.projections}
    theirs = {p.name: (p.pre, p.post) for p in teacher.projections}
    for name in mine.keys() - theirs.keys():
        found.append(f"projection '{name}' is missing in the teacher")
    for name in theirs.keys() - mine.keys():
        found.append(f"the teacher has an extra projection '{name}'")
    for name in mine.keys() & theirs.keys():
        if mine[name] != theirs[name]:
            found.append(f"projection '{name}' connects {theirs[name]} in the teacher "
                         f"but {mine[name]} here")
    return sorted(found)


def _section(ctx, table, name):
    """Build the Learning, CircuitSpec or SpikingSpec of a flat table."""
    cls, schema = SECTIONS[name]
    if not isinstance(table, dict):
        fail(ctx, name, f"expected a [{name}] table", table)
    check_keys(ctx, table, tuple(schema), name)
    if name == "circuit" and "capacitance" in table and "leak_conductance" in table:
        fail(ctx, "circuit.leak_conductance", "give either capacitance or "
                                              "leak_conductance, not both; the other "
                                              "follows from tau_m")
    values = {key: _field(ctx, value, schema[key], f"{name}.{key}")
              for key, value in table.items()}
    with located(ctx, name):
        return cls(**values)


def _field(ctx, value, spec, key):
    if spec[0] == "quantity":
        return fields.quantity(ctx, value, spec[1], key)
    if spec[0] == "int":
        return fields.integer(ctx, value, key)
    if spec[0] == "bool":
        return fields.boolean(ctx, value, key)
    return fields.choice(ctx, value, spec[1], key)
