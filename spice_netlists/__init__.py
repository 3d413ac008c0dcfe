"""SPICE back end: LE/GLE networks as ngspice circuits.

:func:`build_netlist` turns a model into a commented :class:`Netlist`,
:func:`write_deck` writes it, :func:`simulate_circuit` runs it in ngspice and
returns traces in model units, and :func:`ac_response` measures one neuron's
frequency response. See docs/spice-backend.md for the circuits.
"""

from .builder import build_netlist
from .netlist import Netlist
from .rawfile import RawFileError, RawPlot, read_raw
from .runner import (SimulationFailedError, SimulationTimeoutError, SimulatorNotFoundError,
                     SpiceResult, ngspice_version, run_ngspice)
from .simulate import ac_response, simulate_circuit, write_deck

__all__ = [
    "Netlist", "RawFileError", "RawPlot", "SimulationFailedError", "SimulationTimeoutError",
    "SimulatorNotFoundError", "SpiceResult", "ac_response", "build_netlist",
    "ngspice_version", "read_raw", "run_ngspice", "simulate_circuit", "write_deck",
]
