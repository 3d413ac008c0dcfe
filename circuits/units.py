"""Physical quantities at the model boundary.

Values in a model are SI numbers or strings with a unit (``"10 ms"``,
``"1 pF"``). Strings are parsed with Brian2's unit system and stored as SI
floats. Brian2 is imported only when a string has to be parsed, so that
``import circuits`` stays free of simulator packages.
"""

import math
import re

from .errors import UnitError

# Expected dimension name -> (Brian2 unit name whose dimension is expected, SI unit shown in messages)
DIMENSIONS = {
    "time": ("second", "s"),
    "frequency": ("hertz", "Hz"),
    "voltage": ("volt", "V"),
    "capacitance": ("farad", "F"),
    "conductance": ("siemens", "S"),
    "resistance": ("ohm", "ohm"),
    "current": ("amp", "A"),
    "dimensionless": (None, "1"),
}

_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


def _brian_unit(expression, key, value, source):
    # Imported here on purpose: keeps brian2 out of `import circuits`.
    import brian2.units as brian_units
    from brian2.units.fundamentalunits import Unit

    namespace = {
        name: getattr(brian_units, name)
        for name in dir(brian_units)
        if isinstance(getattr(brian_units, name), Unit)
    }
    # Brian2 has no unit called "s"; model files write "1 s" for one second.
    namespace.setdefault("s", brian_units.second)
    # Spaces around operators ("1 / second") are dropped; the others multiply ("kg m").
    expression = re.sub(r"\s*(\*\*|[*/()])\s*", r"\1", expression.strip())
    tokens = re.split(r"(\*\*|[*/()])", expression.replace(" ", "*"))
    for token in tokens:
        token = token.strip()
        if not token or token in {"*", "/", "**", "(", ")"} or token.isdigit():
            continue
        if token not in namespace:
            raise UnitError(
                f"unknown unit '{token}' in {value!r}; use Brian2 unit names such as "
                "s, ms, second, Hz, mV, pF, nS, Mohm, nA",
                key=key, value=value, source=source,
            )
    try:
        return eval(expression.replace(" ", "*"), {"__builtins__": {}}, namespace)  # noqa: S307
    except Exception as err:  # a malformed expression such as "ms**" or "(ms"
        raise UnitError(
            f"cannot read the unit of {value!r} ({err}); write a number and a unit "
            "such as '10 ms'",
            key=key, value=value, source=source,
        ) from err


def parse_quantity(value, dimension="dimensionless", *, key=None, source=None):
    """Convert a number or a string with a unit into an SI float.

    Parameters
    ----------
    value : int, float or str
        A number (already SI) or a string such as ``"10 ms"``.
    dimension : str
        One of the keys of :data:`DIMENSIONS`; a string with a unit of another
        dimension raises :class:`UnitError`.
    key, source : str, optional
        Used in error messages only.

    Returns
    -------
    float
        The value in SI units.
    """
    if isinstance(value, bool):
        raise UnitError(f"expected a number, got the boolean {value}",
                        key=key, value=value, source=source)
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        match = _NUMBER.match(value)
        if not match:
            raise UnitError(
                f"cannot read {value!r} as a quantity; write a number, optionally "
                "followed by a unit, such as '10 ms'",
                key=key, value=value, source=source,
            )
        magnitude, unit_text = float(match.group(1)), match.group(2)
        if not unit_text:
            number = magnitude
        else:
            if unit_text[0] in "*/":  # "1/second" leaves "/second" after the number
                unit_text = "1" + unit_text
            unit = _brian_unit(unit_text, key, value, source)
            number = _to_si(magnitude, unit, dimension, key, value, source)
    else:
        raise UnitError(
            f"expected a number or a string with a unit, got {type(value).__name__}",
            key=key, value=value, source=source,
        )
    if not math.isfinite(number):
        raise UnitError(f"value {value!r} is not finite; give a finite number",
                        key=key, value=value, source=source)
    return number


def _to_si(magnitude, unit, dimension, key, value, source):
    import brian2.units as brian_units
    from brian2.units.fundamentalunits import get_dimensions

    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}")
    reference_name, si_name = DIMENSIONS[dimension]
    if reference_name is None:
        expected = get_dimensions(1.0)
    else:
        expected = get_dimensions(getattr(brian_units, reference_name))
    found = get_dimensions(unit)
    if found != expected:
        raise UnitError(
            f"{value!r} has dimension {found} but a {dimension} is expected; "
            f"give it in {si_name} or a unit of the same dimension",
            key=key, value=value, source=source,
        )
    quantity = magnitude * unit
    if reference_name is None:
        return float(quantity)
    return float(quantity / getattr(brian_units, reference_name))
