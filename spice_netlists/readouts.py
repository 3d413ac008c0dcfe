"""Three circuit realisations of the prospective potential ŭ = u + τ_r du/dt.

``algebraic``
    The synaptic and bias currents flow into a plain resistor 1/g_L (no
    capacitor), so this summing node i carries I (times V_unit). A single
    transconductance g_L·V(i) drives the membrane C_m ∥ 1/g_L at node u, and a
    summing source forms ŭ = (1 − k) u + k I with k = τ_r/τ_m, which needs no
    derivative. Each synapse is one transconductance into node i: feeding the
    synaptic currents into both nodes would double the elements and matrix
    entries, which is most of the transient's cost in large networks.
``capacitor_current``
    The same membrane with a 0-V source in series with C_m that measures the
    capacitor current i_C = C_m du/dt; a current-controlled read-out forms
    ŭ = u + (τ_r/C_m) i_C.
``lag_network``
    The copy node I, buffered, drives R1 in series with R2 and C to ground.
    With R1 + R2 = τ_m/C and R2 = τ_r/C the capacitor voltage is u and the node
    between R1 and R2 is ŭ, since the transfer function to it is
    (1 + s R2 C)/(1 + s (R1 + R2) C). It exists only for τ_r ≤ τ_m; at
    τ_r = τ_m the series resistor R1 is a wire and ŭ is the buffered input.
"""

import numpy as np

from circuits.errors import ModelError

from .elements import GROUND, VCCS, VCVS, BehavioralSource, Capacitor, Resistor, VoltageSource
from .elements import number

# tau_r may exceed tau_m by this relative amount and still count as equal.
EQUAL_TOLERANCE = 1e-12


def check(model, readout):
    """Reject models that ``readout`` cannot realise, with the reason."""
    if readout != "lag_network":
        return
    for population in model.neurons:
        excess = population.tau_r > population.tau_m * (1 + EQUAL_TOLERANCE)
        if np.any(excess):
            i = int(np.argmax(excess))
            raise ModelError(
                f"population '{population.name}', neuron {i}: tau_r = "
                f"{population.tau_r[i]:g} s exceeds tau_m = {population.tau_m[i]:g} s, but "
                "a passive lag network (R1 then R2 with C) only realises tau_r <= tau_m "
                "because R1 = (tau_m - tau_r)/C would be negative; use readout "
                "\"algebraic\" or \"capacitor_current\"",
                key="circuit.readout", value="lag_network")


def current_nodes(context, population, i):
    """Nodes into which the synaptic and bias currents of neuron i are injected."""
    name = population.name
    if context.readout == "capacitor_current":
        return [f"u_{name}_{i}"]
    return [f"i_{name}_{i}"]


def neuron(block, context, population, i, C_m, g_L):
    """Add the membrane and the ŭ read-out of neuron i."""
    build = {"algebraic": _algebraic, "capacitor_current": _capacitor_current,
             "lag_network": _lag_network}[context.readout]
    u0 = context.u0[population.name][i] * context.scales.unit_voltage
    build(block, population, i, C_m, g_L, u0, context.scales.time_scale)


def _algebraic(block, population, i, C_m, g_L, u0, time_scale):
    name = population.name
    k = population.tau_r[i] / population.tau_m[i]
    block.add(Resistor(f"copy_{name}_{i}", f"i_{name}_{i}", GROUND, 1.0 / g_L))
    block.add(Capacitor(f"m_{name}_{i}", f"u_{name}_{i}", GROUND, C_m, u0))
    block.add(Resistor(f"leak_{name}_{i}", f"u_{name}_{i}", GROUND, 1.0 / g_L))
    # The membrane sees g_L*V(i) = the total input current, drawn from the summing node.
    block.add(VCCS(f"drive_{name}_{i}", GROUND, f"u_{name}_{i}", f"i_{name}_{i}", GROUND,
                   g_L))
    expression = (f"{number(1.0 - k)}*V(u_{name}_{i})+{number(k)}*V(i_{name}_{i})")
    block.add(BehavioralSource(f"ub_{name}_{i}", f"ub_{name}_{i}", GROUND, "V", expression))


def _capacitor_current(block, population, i, C_m, g_L, u0, time_scale):
    name = population.name
    sense = f"sense_{name}_{i}"
    block.add(Resistor(f"leak_{name}_{i}", f"u_{name}_{i}", GROUND, 1.0 / g_L))
    block.add(VoltageSource(sense, f"u_{name}_{i}", f"c_{name}_{i}"))
    block.add(Capacitor(f"m_{name}_{i}", f"c_{name}_{i}", GROUND, C_m, u0))
    transresistance = population.tau_r[i] * time_scale / C_m
    expression = f"V(u_{name}_{i})+{number(transresistance)}*I(V{sense})"
    block.add(BehavioralSource(f"ub_{name}_{i}", f"ub_{name}_{i}", GROUND, "V", expression))


def _lag_network(block, population, i, C_m, g_L, u0, time_scale):
    name = population.name
    tau_m = population.tau_m[i] * time_scale
    tau_r = min(population.tau_r[i], population.tau_m[i]) * time_scale
    capacitance = C_m
    series = (tau_m - tau_r) / capacitance
    block.add(Resistor(f"copy_{name}_{i}", f"i_{name}_{i}", GROUND, 1.0 / g_L))
    if series > 0:
        block.add(VCVS(f"buf_{name}_{i}", f"d_{name}_{i}", GROUND, f"i_{name}_{i}", GROUND,
                       1.0))
        block.add(Resistor(f"lag1_{name}_{i}", f"d_{name}_{i}", f"ub_{name}_{i}", series))
    else:
        # tau_r = tau_m: R1 is a wire, so the buffer drives the read-out node directly.
        block.add(VCVS(f"buf_{name}_{i}", f"ub_{name}_{i}", GROUND, f"i_{name}_{i}", GROUND,
                       1.0))
    block.add(Resistor(f"lag2_{name}_{i}", f"ub_{name}_{i}", f"u_{name}_{i}",
                       tau_r / capacitance))
    block.add(Capacitor(f"m_{name}_{i}", f"u_{name}_{i}", GROUND, capacitance, u0))
