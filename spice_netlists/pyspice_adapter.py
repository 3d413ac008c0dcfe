"""Run a :class:`~spice_netlists.netlist.Netlist` through PySpice's ngspice shared library.

An optional alternative to the subprocess runner: the same circuit, built as
a PySpice ``Circuit`` element by element, runs in ngspice's shared-library
mode and returns the same traces. PySpice (GPL-3, an optional extra) is
imported only when this module's functions are called.

PySpice 1.5 looks for ``libngspice.so``, which Debian ships only in
``libngspice0-dev``; the adapter therefore points ``NGSPICE_LIBRARY_PATH`` at
``libngspice.so.0`` unless the variable is already set.
"""

import logging
import os

import numpy as np

from circuits.errors import SimulationError

from .builder import build_netlist
from .elements import (VCCS, VCVS, BehavioralSource, Capacitor, CurrentSource, Resistor,
                       VoltageSource, number)
from .netlist import Transient
from .simulate import traces_from_vectors

LIBRARY = "libngspice.so.0"
SHARED_LOGGER = "PySpice.Spice.NgSpice.Shared.NgSpiceShared"


class PySpiceMissingError(SimulationError):
    """PySpice is not installed."""


class _UnsupportedVersionFilter(logging.Filter):
    """Drop PySpice's "Unsupported Ngspice version" record.

    PySpice 1.5 knows ngspice versions up to 34 and logs a warning for any
    other. The shared-library calls it makes (load a circuit, run, read
    vectors) behave the same in ngspice 39, which the adapter tests check
    against the subprocess runner, so the record carries no information.
    """

    def filter(self, record):
        return "Unsupported Ngspice version" not in record.getMessage()


def _import_pyspice():
    os.environ.setdefault("NGSPICE_LIBRARY_PATH", LIBRARY)
    try:
        from PySpice.Spice.Netlist import Circuit
    except ImportError as error:
        raise PySpiceMissingError(
            "PySpice is not installed; install the optional extra with "
            "`pip install 'vle[pyspice]'` or use simulate_circuit, which needs only the "
            "ngspice binary") from error
    logger = logging.getLogger(SHARED_LOGGER)
    if not any(isinstance(f, _UnsupportedVersionFilter) for f in logger.filters):
        logger.addFilter(_UnsupportedVersionFilter())
    return Circuit


def to_pyspice(net):
    """Build a PySpice ``Circuit`` with the elements of ``net``.

    Values are handed over as the strings this package renders, so PySpice's
    unit handling never reformats them.
    """
    Circuit = _import_pyspice()
    circuit = Circuit(net.title)
    for element in net.elements():
        name = element.name
        if isinstance(element, Resistor):
            circuit.R(name, element.positive_node, element.negative_node,
                      number(element.resistance))
        elif isinstance(element, Capacitor):
            circuit.C(name, element.positive_node, element.negative_node,
                      number(element.capacitance),
                      initial_condition=number(element.initial_voltage))
        elif isinstance(element, VCCS):
            circuit.VCCS(name, element.positive_node, element.negative_node,
                         element.control_positive, element.control_negative,
                         number(element.transconductance))
        elif isinstance(element, VCVS):
            circuit.VCVS(name, element.positive_node, element.negative_node,
                         element.control_positive, element.control_negative,
                         number(element.gain))
        elif isinstance(element, BehavioralSource):
            keyword = ("voltage_expression" if element.quantity == "V"
                       else "current_expression")
            circuit.B(name, element.positive_node, element.negative_node,
                      **{keyword: element.expression})
        elif isinstance(element, (VoltageSource, CurrentSource)):
            add = circuit.V if isinstance(element, VoltageSource) else circuit.I
            value = element.waveform.render().replace("\n+ ", " ")
            add(name, element.positive_node, element.negative_node, value)
        else:
            raise TypeError(f"no PySpice mapping for {type(element).__name__}")
    return circuit


def simulate_circuit_pyspice(model, errors=None, inputs=None, plasticity=False,
                             readout=None, **options):
    """Like :func:`spice_netlists.simulate_circuit`, run through PySpice's shared library."""
    net = build_netlist(model, errors=errors, plasticity=plasticity, readout=readout,
                        inputs=inputs, **options)
    if not isinstance(net.analysis, Transient):
        raise SimulationError("the PySpice adapter runs transient decks only")
    circuit = to_pyspice(net)
    simulator = circuit.simulator(simulator="ngspice-shared")
    if net.options:
        simulator.options(**{key: number(value) for key, value in net.options.items()})
    tran = net.analysis
    try:
        # PySpice needs numbers here; it writes them with SI prefixes (u, m),
        # which ngspice reads correctly, unlike the ambiguous M and F.
        analysis = simulator.transient(step_time=tran.step, end_time=tran.stop,
                                       max_time=tran.max_step, use_initial_condition=True)
    except Exception as error:  # PySpice raises bare exceptions for failed runs
        raise SimulationError(f"ngspice (shared library via PySpice) failed: {error}") \
            from error
    vectors = {"time": np.array(analysis.time, dtype=float)}
    for name, node in analysis.nodes.items():
        vectors[f"v({name.lower()})"] = np.array(node, dtype=float)
    traces = traces_from_vectors(model, net, vectors)
    traces.meta.update({"backend": "ngspice-pyspice", "model": model.name})
    return traces
