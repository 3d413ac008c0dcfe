"""Physical scales of a circuit and the behavioural expressions of φ and φ'.

One model unit is ``unit_voltage`` volts (V_unit), and a model time t is the
circuit time t·``time_scale``. A neuron with membrane constant τ_m gets a
capacitor C_m and a leak g_L with C_m/g_L = τ_m·time_scale: the model's
``[circuit]`` table gives either C_m (then g_L = C_m/τ) or g_L (then
C_m = g_L·τ). A weight W becomes the transconductance G = W·g_L of the
postsynaptic neuron and a bias b the current b·g_L·V_unit.
"""

import numpy as np

from circuits.errors import ModelError

from .elements import number

# φ(x) with x a dimensionless expression string. Softplus is guarded so that exp
# never sees an argument above 50 (ngspice pins exp at 1e99 past about 228) and
# continues linearly beyond, where ln(1 + e^x) = x to double precision.
PHI_EXPRESSIONS = {
    "tanh": "tanh({x})",
    "sigmoid": "(0.5*(1+tanh(0.5*{x})))",
    "softplus": "(ln(1+exp(min({x},50)))+max({x}-50,0))",
    "hard_sigmoid": "min(max({x},0),1)",
    "linear": "({x})",
}

# φ'(x). ngspice's u(x) is the unit step, 1 for x > 0 and 0 otherwise, so the
# hard-sigmoid derivative is 1 strictly inside (0, 1) as in circuits.phi.
PHI_PRIME_EXPRESSIONS = {
    "tanh": "(1-tanh({x})*tanh({x}))",
    "sigmoid": "(0.25*(1-tanh(0.5*{x})*tanh(0.5*{x})))",
    "softplus": "(0.5*(1+tanh(0.5*{x})))",
    "hard_sigmoid": "(u({x})*u(1-{x}))",
    "linear": "1",
}


class Scales:
    """Volts per model unit, circuit seconds per model second, and per-neuron C and g."""

    def __init__(self, model):
        spec = model.circuit
        self.unit_voltage = float(spec.unit_voltage)
        self.time_scale = float(spec.time_scale)
        self.capacitance = spec.capacitance
        self.leak_conductance = spec.leak_conductance
        # The model checks these when it is built; a value changed afterwards is
        # caught here, before any deck text exists.
        for key in ("unit_voltage", "time_scale", "capacitance", "leak_conductance"):
            value = getattr(self, key)
            if key in ("capacitance", "leak_conductance") and value is None:
                continue
            if not np.isfinite(value) or value <= 0:
                raise ModelError(f"{key} must be finite and positive, got {value!r}",
                                 key=f"circuit.{key}", value=value)
        if self.capacitance is None and self.leak_conductance is None:
            raise ModelError("give capacitance or leak_conductance", key="circuit.capacitance")

    def rc(self, tau):
        """Capacitance and conductance (arrays) with C/g = tau·time_scale for model ``tau``."""
        tau_circuit = np.asarray(tau, dtype=float) * self.time_scale
        if self.leak_conductance is not None:
            conductance = np.full(tau_circuit.shape, float(self.leak_conductance))
            return conductance * tau_circuit, conductance
        capacitance = np.full(tau_circuit.shape, float(self.capacitance))
        return capacitance, capacitance / tau_circuit

    def unit(self, node):
        """Expression for the model-unit value of a node voltage: ``(V(node)/V_unit)``."""
        return f"(V({node})/{number(self.unit_voltage)})"


def phi_expression(name, x):
    """φ(x) as an ngspice expression; ``x`` is a dimensionless sub-expression."""
    return PHI_EXPRESSIONS[name].format(x=x)


def phi_prime_expression(name, x):
    """φ'(x) as an ngspice expression."""
    return PHI_PRIME_EXPRESSIONS[name].format(x=x)
