"""SPICE elements with physically named parameters, and the number format of every deck.

Each class renders one element card. Values are written as plain floats in
exponent form (``1.000000000000e-12``) and never with unit or scale letters:
SPICE reads a trailing ``M`` as milli, ``MEG`` as mega and ``F`` as femto, so
``1F`` would become 1e-15. Node and element names are checked against
:data:`IDENTIFIER` when a card is rendered, so that no text taken from a model
can start a new line or a control statement in the deck.
"""

import math
import re
from dataclasses import dataclass, field

from circuits.errors import ModelError

IDENTIFIER = re.compile(r"^[A-Za-z0-9_]+$")
GROUND = "0"


def number(value, key="value"):
    """Format ``value`` as a plain float in exponent form, rejecting NaN and inf."""
    value = float(value)
    if not math.isfinite(value):
        raise ModelError(f"non-finite value {value!r} cannot be written to a SPICE deck",
                         key=key, value=value)
    return f"{value:.12e}"


def positive(value, key):
    """Format a value that physics requires to be finite and positive (R, C, tau)."""
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        raise ModelError(
            f"{key} must be finite and positive, got {value!r}; check the time "
            "constants and the [circuit] scales of the model",
            key=key, value=value,
        )
    return number(value, key)


def identifier(name):
    """Return ``name`` if it is a SPICE-safe identifier, else raise ModelError."""
    if not isinstance(name, str) or not IDENTIFIER.match(name):
        raise ModelError(
            f"invalid SPICE name {name!r}: node and element names must match "
            "[A-Za-z0-9_]+ so that nothing in a model can add a line to the deck",
            key="name", value=name,
        )
    return name


def _nodes(*nodes):
    return " ".join(identifier(str(node)) for node in nodes)


@dataclass
class Element:
    """Base class: ``name`` is the element name without its type letter."""

    name: str

    letter = "?"

    @property
    def card_name(self):
        return self.letter + identifier(self.name)

    def render(self):  # pragma: no cover - every subclass overrides it
        raise NotImplementedError


@dataclass
class Resistor(Element):
    """Resistor, SPICE card ``Rname n+ n- resistance``."""

    positive_node: str = GROUND
    negative_node: str = GROUND
    resistance: float = 1.0
    letter = "R"

    def render(self):
        nodes = _nodes(self.positive_node, self.negative_node)
        return f"{self.card_name} {nodes} {positive(self.resistance, 'resistance')}"


@dataclass
class Capacitor(Element):
    """Capacitor with an initial voltage, SPICE card ``Cname n+ n- capacitance IC=v0``."""

    positive_node: str = GROUND
    negative_node: str = GROUND
    capacitance: float = 1.0
    initial_voltage: float = 0.0
    letter = "C"

    def render(self):
        nodes = _nodes(self.positive_node, self.negative_node)
        return (f"{self.card_name} {nodes} {positive(self.capacitance, 'capacitance')} "
                f"IC={number(self.initial_voltage, 'initial_voltage')}")


@dataclass
class VCCS(Element):
    """Voltage-controlled current source, SPICE card ``Gname n+ n- nc+ nc- transconductance``.

    The current transconductance·V(nc+, nc−) flows from n+ through the source
    to n−, so it is injected into node n−.
    """

    positive_node: str = GROUND
    negative_node: str = GROUND
    control_positive: str = GROUND
    control_negative: str = GROUND
    transconductance: float = 0.0
    letter = "G"

    def render(self):
        nodes = _nodes(self.positive_node, self.negative_node, self.control_positive,
                       self.control_negative)
        return f"{self.card_name} {nodes} {number(self.transconductance, 'transconductance')}"


@dataclass
class VCVS(Element):
    """Voltage-controlled voltage source, SPICE card ``Ename n+ n- nc+ nc- gain``."""

    positive_node: str = GROUND
    negative_node: str = GROUND
    control_positive: str = GROUND
    control_negative: str = GROUND
    gain: float = 1.0
    letter = "E"

    def render(self):
        nodes = _nodes(self.positive_node, self.negative_node, self.control_positive,
                       self.control_negative)
        return f"{self.card_name} {nodes} {number(self.gain, 'gain')}"


@dataclass
class BehavioralSource(Element):
    """Behavioural source, SPICE card ``Bname n+ n- V=expression`` or ``I=expression``.

    ``expression`` is built by this package from numbers (see :func:`number`)
    and node names; ``quantity`` is ``"V"`` or ``"I"``. A current source
    pushes its current from n+ through the source into n−.
    """

    positive_node: str = GROUND
    negative_node: str = GROUND
    quantity: str = "V"
    expression: str = "0"
    letter = "B"

    def render(self):
        if self.quantity not in ("V", "I"):
            raise ModelError(f"behavioural source quantity must be V or I, got "
                             f"{self.quantity!r}", key="quantity", value=self.quantity)
        if "\n" in self.expression or "\r" in self.expression:
            raise ModelError("a behavioural expression must be a single line",
                             key="expression", value=self.expression)
        nodes = _nodes(self.positive_node, self.negative_node)
        return f"{self.card_name} {nodes} {self.quantity}={self.expression}"


@dataclass
class Waveform:
    """Value of an independent source: ``dc`` plus an optional SIN, PWL or PULSE term.

    ``kind`` is ``"dc"``, ``"sin"`` (``values`` = offset, amplitude, frequency
    in Hz, delay in s, damping in 1/s, phase in degrees), ``"pwl"``
    (``values`` = t0, v0, t1, v1, …) or ``"pulse"`` (``values`` = v1, v2,
    delay, rise, fall, width, period). ``ac`` is the small-signal magnitude of
    an ``.ac`` analysis (None for no AC term).
    """

    kind: str = "dc"
    dc: float = 0.0
    values: tuple = field(default_factory=tuple)
    ac: float | None = None

    def render(self, pairs_per_line=4):
        parts = [f"DC {number(self.dc, 'dc')}"]
        if self.ac is not None:
            parts.append(f"AC {number(self.ac, 'ac')}")
        if self.kind == "dc":
            return " ".join(parts)
        if self.kind not in ("sin", "pwl", "pulse"):
            raise ModelError(f"unknown source waveform {self.kind!r}", key="kind",
                             value=self.kind)
        numbers = [number(v, f"{self.kind} value") for v in self.values]
        if self.kind != "pwl":
            return " ".join(parts) + f" {self.kind.upper()}({' '.join(numbers)})"
        # Long PWL lists go onto continuation lines ("+ ...") for readability.
        lines = [" ".join(parts) + " PWL("]
        step = 2 * pairs_per_line
        for start in range(0, len(numbers), step):
            lines.append("+ " + " ".join(numbers[start:start + step]))
        lines.append("+ )")
        return "\n".join(lines)


@dataclass
class VoltageSource(Element):
    """Independent voltage source, SPICE card ``Vname n+ n- DC v [AC m] [SIN(...)|PWL(...)]``.

    A 0-V source doubles as an ammeter: ``I(Vname)`` is the current that
    enters n+ and leaves n−.
    """

    positive_node: str = GROUND
    negative_node: str = GROUND
    waveform: Waveform = field(default_factory=Waveform)
    letter = "V"

    def render(self):
        nodes = _nodes(self.positive_node, self.negative_node)
        return f"{self.card_name} {nodes} {self.waveform.render()}"


@dataclass
class CurrentSource(Element):
    """Independent current source, SPICE card ``Iname n+ n- DC i``.

    The current flows from n+ through the source to n−, so ``I name 0 node``
    injects it into ``node``.
    """

    positive_node: str = GROUND
    negative_node: str = GROUND
    waveform: Waveform = field(default_factory=Waveform)
    letter = "I"

    def render(self):
        nodes = _nodes(self.positive_node, self.negative_node)
        return f"{self.card_name} {nodes} {self.waveform.render()}"


# SPICE letter aliases, as SPICE users write them.
R, C, G, E, B, V, I = (Resistor, Capacitor, VCCS, VCVS, BehavioralSource, VoltageSource,
                       CurrentSource)
