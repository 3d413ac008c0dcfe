"""Run a model as a circuit in ngspice and return traces in model units and model time."""

import numpy as np

from circuits.errors import SimulationError
from circuits.traces import Traces

from .ac import build_ac_netlist
from .builder import build_netlist
from .runner import DEFAULT_TIMEOUT, SimulationFailedError, run_ngspice


def simulate_circuit(model, errors=None, inputs=None, plasticity=False, readout=None,
                     timeout=DEFAULT_TIMEOUT, *, target=None, eta=None, gain=None,
                     executable=None, spice_options=None, max_step_fraction=None):
    """Simulate ``model`` in ngspice and return :class:`circuits.traces.Traces`.

    The deck is built by :func:`~spice_netlists.build_netlist`; node voltages
    are divided by ``unit_voltage`` and circuit times by ``time_scale``, then
    interpolated linearly (``np.interp``) from ngspice's own time points onto
    ``model.times()``. The run starts from capacitor initial conditions
    (``uic``), for which ngspice stores no t = 0 row: the capacitor states
    (u, w, b) are prepended with their initial values, the other vectors
    with a linear extrapolation of their first two points.

    Parameters
    ----------
    model : circuits.model.Model
    errors : {"local", "instantaneous", "local_gain"}, optional
        Add error neurons; their outputs are returned as ``e/<population>``.
    inputs : dict, optional
        Population name → array (T, N) on ``model.times()``, replacing its signal.
    plasticity : bool
        Learn weights (and biases) on the circuit; returns ``w/<projection>``
        with shape (T, post, pre) and ``b/<population>``.
    readout : {"algebraic", "capacitor_current", "lag_network"}, optional
        Defaults to ``model.circuit.readout``.
    timeout : float
        Seconds before ngspice is stopped.
    target : array, optional
        Target rates (T, N) on ``model.times()`` replacing the model's target.
    eta, gain
        Learning rate and ``local_gain`` gains, see :func:`build_netlist`.
    executable : str, optional
        ngspice executable (default: ``ngspice`` on PATH).
    spice_options : dict, optional
        ``.options`` values, e.g. ``{"reltol": 1e-6}``.
    max_step_fraction : float, optional
        Maximum transient step over the shortest time constant; default 1/100,
        see :func:`build_netlist`.

    Returns
    -------
    Traces
        ``t``, ``u/P``, ``ubreve/P``, ``r/P`` for every population, and
        ``meta["ngspice_version"]``.
    """
    net = build_netlist(model, errors=errors, plasticity=plasticity, readout=readout,
                        inputs=inputs, target=target, eta=eta, gain=gain,
                        max_step_fraction=max_step_fraction)
    net.options.update(spice_options or {})
    result = run_ngspice(net.render(), timeout=timeout, executable=executable,
                         expected=["time", *_vector_names(net.probes)])
    traces = traces_from_vectors(model, net, result.plots[0].vectors)
    traces.meta.update({
        "backend": "ngspice", "ngspice_version": result.version, "model": model.name,
        "readout": readout or model.circuit.readout, "errors": errors or "none",
        "plasticity": bool(plasticity), "ngspice_points": len(result.plots[0]["time"]),
        "ngspice_warnings": len(result.warnings),
        "max_step_fraction": _used_fraction(max_step_fraction),
    })
    return traces


def _used_fraction(value):
    """The maximum-step fraction a run used (the default when ``value`` is None)."""
    from .builder import MAX_STEP_FRACTION

    return MAX_STEP_FRACTION if value is None else float(value)


def _vector_names(probes):
    for names in probes.values():
        for entry in names:
            if isinstance(entry, list):
                yield from entry
            else:
                yield entry


def traces_from_vectors(model, net, vectors):
    """Convert raw vectors (volts, circuit seconds) to traces on ``model.times()``."""
    volts, s = model.circuit.unit_voltage, model.circuit.time_scale
    times = model.times()
    raw_time = np.asarray(vectors["time"], dtype=float).real / s
    prepend = raw_time[0] > 0
    grid = np.concatenate([[0.0], raw_time]) if prepend else raw_time
    traces = Traces(t=times)

    def resample(name, initial):
        values = np.asarray(vectors[name], dtype=float).real / volts
        if prepend:
            if initial is None:
                slope = (values[1] - values[0]) / (raw_time[1] - raw_time[0]) \
                    if len(values) > 1 else 0.0
                initial = values[0] - slope * raw_time[0]
            values = np.concatenate([[initial], values])
        return np.interp(times, grid, values)

    for key, names in net.probes.items():
        initial = net.initial.get(key)
        if names and isinstance(names[0], list):
            array = np.empty((len(times), len(names), len(names[0])))
            for i, row in enumerate(names):
                for j, name in enumerate(row):
                    array[:, i, j] = resample(name, None if initial is None
                                              else initial[i, j])
        else:
            array = np.column_stack([resample(name, None if initial is None else initial[i])
                                     for i, name in enumerate(names)])
        if not np.all(np.isfinite(array)) or np.any(np.abs(array) >= 1e30):
            raise SimulationError(
                f"ngspice trace {key} contains non-finite or huge values (>= 1e30); check "
                "the weights, the learning rate and the behavioural-source arguments")
        traces.data[key] = array
    return traces


def write_deck(model, path, analysis="tran", errors=None, readout=None):
    """Write the deck of ``model`` to ``path`` (via a temporary file) and return the path.

    The deck runs as is with ``ngspice -b deck.cir``. ``analysis="ac"`` writes
    the frequency response of the first neuron of the first neuron population.
    """
    net = build_netlist(model, errors=errors, analysis=analysis, readout=readout)
    if analysis == "ac":
        net.prints = [net.probes["H"][0][2:-1]]
    else:
        # A .print line makes plain `ngspice -b deck.cir` run the analysis and
        # print the rates of the last population in topological order.
        last = model.neurons[-1]
        net.prints = [f"r_{last.name}_{i}" for i in range(last.size)]
    return net.write(path)


def ac_response(model, population=None, neuron=0, frequencies=(1.0,), readout=None,
                timeout=DEFAULT_TIMEOUT, executable=None):
    """Complex frequency response ŭ/I of one neuron at model ``frequencies`` (Hz).

    Returns
    -------
    numpy.ndarray of complex, shape (len(frequencies),)
    """
    frequencies = np.atleast_1d(np.asarray(frequencies, dtype=float))
    net = build_ac_netlist(model, readout=readout, population=population, neuron=neuron,
                           frequencies=frequencies)
    name = net.probes["H"][0]
    result = run_ngspice(net.render(), timeout=timeout, executable=executable,
                         expected=["frequency", name, "v(in)"])
    # One plot per ".ac lin 1 f f" line; ngspice does not keep them in deck order.
    measured = np.concatenate([plot["frequency"].real for plot in result.plots])
    values = np.concatenate([plot[name] / plot["v(in)"] for plot in result.plots])
    circuit = frequencies / model.circuit.time_scale
    index = np.array([int(np.argmin(np.abs(measured - f))) for f in circuit])
    if not np.allclose(measured[index], circuit, rtol=1e-9):
        raise SimulationFailedError("ngspice returned .ac results at other frequencies "
                                    "than requested")
    return values[index]
