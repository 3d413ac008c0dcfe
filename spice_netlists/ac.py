"""Small-signal frequency response of one neuron (``.ac`` analysis).

The neuron is driven through a unit weight (G = g_L) by a voltage source with
AC magnitude 1, so its input is I = x and the transfer function to the
read-out node is H = V(ub)/V(in) = (1 + iωτ_r)/(1 + iωτ_m) for every
read-out realisation. φ does not enter, since H ends at ŭ.
"""

import numpy as np

from circuits.errors import ModelError

from . import readouts
from .builder import Context
from .elements import GROUND, VCCS, VoltageSource, Waveform
from .netlist import AcSweep, Netlist
from .scaling import Scales

POINTS_PER_DECADE = 20


def build_ac_netlist(model, readout=None, population=None, neuron=0, frequencies=None):
    """Build the ``.ac`` deck of one neuron.

    Parameters
    ----------
    model : circuits.model.Model
    readout : str, optional
        Read-out realisation (default: the model's).
    population : str, optional
        Neuron population (default: the first in topological order).
    neuron : int
        Index of the neuron in that population.
    frequencies : sequence of float, optional
        Model frequencies (Hz) to evaluate, one ``.ac lin 1 f f`` line each;
        by default a logarithmic sweep from 0.01/(2π τ_max) to 100/(2π τ_min),
        20 points per decade.
    """
    readout = readout or model.circuit.readout
    neurons = model.neurons
    chosen = model.population(population) if population else neurons[0]
    if chosen.is_input:
        raise ModelError(f"population '{chosen.name}' is an input population; choose a "
                         "neuron population", key="population", value=chosen.name)
    if not 0 <= int(neuron) < chosen.size:
        raise ModelError(f"neuron index {neuron} is outside population '{chosen.name}' "
                         f"of size {chosen.size}", key="neuron", value=neuron)
    neuron = int(neuron)
    readouts.check(model, readout)
    scales = Scales(model)
    s = scales.time_scale
    context = Context(model=model, scales=scales, readout=readout,
                      u0={chosen.name: np.zeros(chosen.size)})
    tau_m, tau_r = chosen.tau_m[neuron], chosen.tau_r[neuron]
    net = Netlist(
        title=f"vle frequency response of neuron {neuron} of {chosen.name} ({model.name})",
        header=[f"tau_m = {tau_m:.6g} s, tau_r = {tau_r:.6g} s (model time); circuit "
                f"frequencies are model frequencies / {s:.6g}",
                "H = V(ub)/V(in) = (1 + i w tau_r)/(1 + i w tau_m)",
                f"read-out: {readout}"])
    C_m, g_L = scales.rc(chosen.tau_m)
    drive = net.block("drive: AC source of magnitude 1 V at node in")
    drive.add(VoltageSource("drive", "in", GROUND, Waveform("dc", dc=0.0, ac=1.0)))
    block = net.block(f"neuron {neuron} of {chosen.name} with input current g_L*V(in)")
    readouts.neuron(block, context, chosen, neuron, C_m[neuron], g_L[neuron])
    for node in readouts.current_nodes(context, chosen, neuron):
        block.add(VCCS(f"in_{node}", GROUND, node, "in", GROUND, g_L[neuron]))
    if frequencies is not None:
        net.analysis = AcSweep(frequencies=tuple(float(f) / s for f in frequencies))
    else:
        net.analysis = AcSweep(points_per_decade=POINTS_PER_DECADE,
                               start=0.01 / (2 * np.pi * max(tau_m, tau_r) * s),
                               stop=100.0 / (2 * np.pi * min(tau_m, tau_r) * s))
    net.probes["H"] = [f"v(ub_{chosen.name}_{neuron})"]
    return net
