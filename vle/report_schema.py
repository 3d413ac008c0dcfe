"""Layout of ``metrics.json`` written by ``vle crosscheck``, and a checker for it.

The layout is a small subset of JSON Schema written as a dict: ``type`` (a
JSON type name or a list of them), ``properties`` with ``required`` keys,
``values`` for objects used as maps (back-end name → result), ``items`` for
arrays and ``enum``. :func:`validate_metrics` checks a loaded file against it
without the ``jsonschema`` package. ``docs/report.md`` describes every field.
"""

from circuits.errors import VleError

NUMBER = ["number"]
OPTIONAL_NUMBER = ["number", "null"]

ROW = {
    "type": "object",
    "required": ["population", "variable", "tolerance", "nrmse", "max_abs_error",
                 "range", "passed", "status"],
    "properties": {
        "population": {"type": "string"},
        "variable": {"type": "string", "enum": ["u", "ubreve", "r", "e"]},
        "tolerance": {"type": NUMBER},
        "nrmse": {"type": OPTIONAL_NUMBER},
        "max_abs_error": {"type": OPTIONAL_NUMBER},
        "range": {"type": OPTIONAL_NUMBER},
        "passed": {"type": ["boolean", "null"]},
        "status": {"type": "string", "enum": ["compared", "not recorded", "non-finite"]},
    },
}
COMPARISON = {
    "type": "object",
    "required": ["against", "tolerance", "passed", "metrics"],
    "properties": {
        "against": {"type": "string"},
        "tolerance": {"type": NUMBER},
        "passed": {"type": "boolean"},
        "metrics": {"type": "array", "items": ROW},
    },
}
BACKEND = {
    "type": "object",
    "required": ["run", "status", "message", "seconds", "perturbation", "comparisons",
                 "passed"],
    "properties": {
        "run": {"type": "string"},
        "status": {"type": "string", "enum": ["ok", "error"]},
        "message": {"type": ["string", "null"]},
        "seconds": {"type": OPTIONAL_NUMBER},
        "perturbation": {"type": "array", "items": {
            "type": "object", "required": ["population", "attribute", "factor"],
            "properties": {"population": {"type": ["string", "null"]},
                           "attribute": {"type": "string"},
                           "factor": {"type": NUMBER}}}},
        "comparisons": {"type": "array", "items": COMPARISON},
        "passed": {"type": "boolean"},
    },
}
PREDICTIONS = {"type": "array", "items": {"type": "integer"}}
CLASSIFICATION = {
    "type": ["object", "null"],
    "required": ["population", "settle", "reference", "backends"],
    "properties": {
        "population": {"type": "string"},
        "settle": {"type": NUMBER},
        "reference": {"type": "object", "required": ["predictions", "accuracy"],
                      "properties": {"predictions": PREDICTIONS,
                                     "accuracy": {"type": NUMBER}}},
        "backends": {"type": "object", "values": {
            "type": ["object", "null"],
            "required": ["predictions", "accuracy", "agreement", "same_as_reference"],
            "properties": {"predictions": PREDICTIONS, "accuracy": {"type": NUMBER},
                           "agreement": {"type": NUMBER},
                           "same_as_reference": {"type": "boolean"}}}},
    },
}
COMPLEX = {"type": ["object", "null"], "required": ["real", "imag"],
           "properties": {"real": {"type": "array", "items": {"type": NUMBER}},
                          "imag": {"type": "array", "items": {"type": NUMBER}}}}
BODE = {
    "type": ["object", "null"],
    "required": ["population", "neuron", "tau_m", "tau_r", "frequencies", "tolerance",
                 "status", "message", "passed", "max_relative_error", "spice", "theory"],
    "properties": {
        "population": {"type": "string"},
        "neuron": {"type": "integer"},
        "tau_m": {"type": NUMBER},
        "tau_r": {"type": NUMBER},
        "frequencies": {"type": "array", "items": {"type": NUMBER}},
        "tolerance": {"type": NUMBER},
        "status": {"type": "string", "enum": ["compared", "unavailable"]},
        "message": {"type": ["string", "null"]},
        "passed": {"type": ["boolean", "null"]},
        "max_relative_error": {"type": OPTIONAL_NUMBER},
        "spice": COMPLEX,
        "theory": COMPLEX,
    },
}
METRICS_SCHEMA = {
    "type": "object",
    "required": ["schema_version", "model", "reference", "grid_scheme", "transient",
                 "variables", "errors", "samples", "tolerances",
                 "matching_scheme_tolerance", "backends", "classification", "bode",
                 "passed", "exit_code"],
    "properties": {
        "schema_version": {"type": "integer", "enum": [1]},
        "model": {"type": "object",
                  "required": ["name", "source", "dt", "duration", "tau_max",
                               "populations"],
                  "properties": {"name": {"type": "string"},
                                 "source": {"type": ["string", "null"]},
                                 "dt": {"type": NUMBER}, "duration": {"type": NUMBER},
                                 "tau_max": {"type": NUMBER},
                                 "populations": {"type": "array",
                                                 "items": {"type": "string"}}}},
        "reference": {"type": "object", "required": ["backend", "scheme"],
                      "properties": {"backend": {"type": "string", "enum": ["reference"]},
                                     "scheme": {"type": "string",
                                                "enum": ["continuous"]}}},
        "grid_scheme": {"type": "string", "enum": ["euler", "exact"]},
        "transient": {"type": NUMBER},
        "variables": {"type": "array", "items": {"type": "string"}},
        "errors": {"type": ["string", "null"]},
        "samples": {"type": "object", "required": ["count", "dataset", "labels"],
                    "properties": {"count": {"type": "integer"},
                                   "dataset": {"type": ["string", "null"]},
                                   "labels": {"type": ["array", "null"],
                                              "items": {"type": "integer"}}}},
        "tolerances": {"type": "object", "values": {"type": NUMBER}},
        "matching_scheme_tolerance": {"type": NUMBER},
        "backends": {"type": "object", "values": BACKEND},
        "classification": CLASSIFICATION,
        "bode": BODE,
        "passed": {"type": "boolean"},
        "exit_code": {"type": "integer", "enum": [0, 1, 2]},
    },
}

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


class MetricsSchemaError(VleError, ValueError):
    """A metrics file that does not match :data:`METRICS_SCHEMA`."""


def validate_metrics(metrics, schema=METRICS_SCHEMA, path="metrics"):
    """Check ``metrics`` (loaded JSON) against ``schema``; raise MetricsSchemaError."""
    allowed = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    if not any(_TYPES[name](metrics) for name in allowed):
        raise MetricsSchemaError(f"{path}: expected {' or '.join(allowed)}, got "
                                 f"{type(metrics).__name__} {metrics!r:.60}")
    if metrics is None:
        return
    if "enum" in schema and metrics not in schema["enum"]:
        raise MetricsSchemaError(f"{path}: value {metrics!r} is not one of {schema['enum']}")
    if isinstance(metrics, dict):
        for key in schema.get("required", ()):
            if key not in metrics:
                raise MetricsSchemaError(f"{path}: required field '{key}' is missing")
        properties = schema.get("properties", {})
        for key, value in metrics.items():
            if key in properties:
                validate_metrics(value, properties[key], f"{path}.{key}")
            elif "values" in schema:
                validate_metrics(value, schema["values"], f"{path}.{key}")
            elif properties:
                raise MetricsSchemaError(f"{path}: unexpected field '{key}'")
    if isinstance(metrics, list) and "items" in schema:
        for index, value in enumerate(metrics):
            validate_metrics(value, schema["items"], f"{path}[{index}]")
