"""A netlist as commented blocks of elements, and the deck writer.

A :class:`Netlist` is a title, a list of :class:`Block` objects (one per
population, projection, error path or plastic synapse, each with a comment
that says what it realises), and analysis cards. :meth:`Netlist.render`
returns the deck text, which ends with ``.end`` and a newline because
ngspice's shared library drops a last line without one.
"""

from dataclasses import dataclass, field
from pathlib import Path

from circuits.errors import ModelError
from circuits.files import write_atomic

from .elements import Element, _nodes, number, positive


@dataclass
class Block:
    """Elements that realise one part of the network, under a comment."""

    comment: str
    elements: list = field(default_factory=list)

    def add(self, element):
        if not isinstance(element, Element):
            raise TypeError(f"expected a SPICE element, got {type(element).__name__}")
        self.elements.append(element)
        return element


@dataclass
class Transient:
    """``.tran tstep tstop 0 tmax uic``: transient run from the capacitors' initial voltages."""

    step: float
    stop: float
    max_step: float

    def render(self):
        return (f".tran {positive(self.step, 'tstep')} {positive(self.stop, 'tstop')} "
                f"{number(0.0)} {positive(self.max_step, 'tmax')} uic")


@dataclass
class AcSweep:
    """``.ac lin 1 f f`` per frequency (Hz, circuit time), or ``.ac dec n f1 f2``."""

    frequencies: tuple = ()
    points_per_decade: int = 0
    start: float = 0.0
    stop: float = 0.0

    def render(self):
        if self.frequencies:
            return "\n".join(f".ac lin 1 {positive(f, 'frequency')} {positive(f, 'frequency')}"
                             for f in self.frequencies)
        return (f".ac dec {int(self.points_per_decade)} {positive(self.start, 'fstart')} "
                f"{positive(self.stop, 'fstop')}")


@dataclass
class Netlist:
    """A SPICE deck: title, commented blocks, options and one analysis.

    Attributes
    ----------
    title : str
        First line of the deck (SPICE ignores its content).
    header : list of str
        Comment lines written below the title (scales, readout, conventions).
    blocks : list of Block
    analysis : Transient or AcSweep or None
    probes : dict
        Trace key (``"u/hidden"``) → raw vector names (``"v(u_hidden_0)"``),
        one per neuron, or nested lists (post × pre) for weights.
    initial : dict
        Trace key → initial value (model units) of the capacitor states, which
        ``uic`` does not store as a t = 0 row.
    options : dict
        ``.options`` values such as ``reltol``.
    prints : list of str
        Output variables for a ``.print`` line; ``ngspice -b deck.cir`` runs
        no analysis unless the deck has one (``-r out.raw`` needs none).

    A transient deck with probes gets ``.save`` lines naming exactly the probed
    vectors, so that the raw file contains these and ``time`` rather than every
    node voltage and branch current (half the columns of a forward network, and
    less to write and read at each of its tens of thousands of time points).
    """

    title: str
    header: list = field(default_factory=list)
    blocks: list = field(default_factory=list)
    analysis: object = None
    probes: dict = field(default_factory=dict)
    initial: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)
    prints: list = field(default_factory=list)

    def block(self, comment):
        """Start a new block under ``comment`` and return it."""
        new = Block(comment)
        self.blocks.append(new)
        return new

    def elements(self):
        for block in self.blocks:
            yield from block.elements

    def render(self):
        """Return the deck text."""
        names = {}
        for element in self.elements():
            key = element.card_name.lower()
            if key in names:
                raise ModelError(
                    f"two elements are both called {element.card_name} (SPICE names are "
                    "case-insensitive); give populations and projections names that "
                    "differ in more than letter case",
                    key="name", value=element.card_name,
                )
            names[key] = element
        lines = [_comment_line(self.title)]
        lines += ["* " + _single_line(text) for text in self.header]
        for block in self.blocks:
            lines.append("")
            lines += ["* " + _single_line(text) for text in block.comment.splitlines()]
            lines += [element.render() for element in block.elements]
        lines.append("")
        if self.options:
            lines.append(".options " + " ".join(
                f"{key}={number(value, key)}" for key, value in self.options.items()))
        if isinstance(self.analysis, Transient) and self.probes:
            lines += _save_lines(self.probes)
        if self.analysis is not None:
            lines.append(self.analysis.render())
            if self.prints:
                kind = "ac" if isinstance(self.analysis, AcSweep) else "tran"
                for name in self.prints:
                    _nodes(name)
                lines.append(f".print {kind} " + " ".join(
                    f"{'vm' if kind == 'ac' else 'v'}({name})" for name in self.prints))
        lines.append(".end")
        return "\n".join(lines) + "\n"

    def write(self, path):
        """Write the deck to ``path`` via a temporary file in the same folder."""
        text = self.render()
        return write_atomic(path, text, encoding="ascii")


def _save_lines(probes, per_line=8):
    """``.save`` cards for every probed vector, ``per_line`` names to a card."""
    names = []
    for entries in probes.values():
        for entry in entries:
            names += entry if isinstance(entry, list) else [entry]
    for name in names:
        _nodes(name[2:-1])  # "v(node)": the node must be a plain identifier
    return [".save " + " ".join(names[k:k + per_line]) for k in range(0, len(names), per_line)]


def _single_line(text):
    return str(text).replace("\r", " ").replace("\n", " ")


def _comment_line(text):
    # The title line is free text for SPICE; keep it on one line all the same.
    return "* " + _single_line(text)


