"""Turn a :class:`circuits.model.Model` into a :class:`~spice_netlists.netlist.Netlist`.

Node names (one per neuron i of population P; every voltage is V_unit times
the model quantity):

==============  ==========================================================
``r_P_i``       rate r (input populations: the input signal x)
``u_P_i``       membrane potential u, the voltage of the capacitor C_m
``i_P_i``       copy of the total input I, the input current into 1/g_L
``ub_P_i``      prospective potential ŭ
``fb_P_i``      backward input Σ Wᵀ e (errors only)
``a_P_i``       gated error input α (errors only)
``v_P_i``       error-neuron state v (local errors only)
``e_P_i``       error e (errors only)
``t_P_i``       target rate r* (output population, errors only)
``w_Q_i_j``     weight W_ij of projection Q (plasticity only)
``b_P_i``       bias b (plasticity with learned biases only)
==============  ==========================================================
"""

from dataclasses import dataclass, field

import numpy as np

from circuits.errors import ModelError
from circuits.model import ONLINE_ERROR_MODES, READOUTS, check_choice
from circuits.reference import Parameters, initial_state, input_arrays

from . import learning, readouts
from .elements import GROUND, VCCS, BehavioralSource, CurrentSource, Waveform, number
from .netlist import Netlist, Transient
from .scaling import Scales, phi_expression
from .sources import RISE_FRACTION, max_frequency, pwl_samples, signal_sources

# Maximum transient step as a fraction of the shortest time constant (circuit time).
# NOTE: this default sets the floor of a run's cost: about 100 time points per
# tau_min of model time, two Newton iterations each (36,000 points for one MNIST-1D
# sample, about 60 s of CPU time). Larger fractions are accepted through
# max_step_fraction= (measured on MNIST-1D: 0.1 gives 8x fewer points at NRMSE 3e-6).
MAX_STEP_FRACTION = 1e-2
# Largest accepted max_step_fraction: a step longer than tau_min skips dynamics.
MAX_STEP_FRACTION_LIMIT = 1.0


@dataclass
class Context:
    """Everything the block builders share for one deck."""

    model: object
    scales: Scales
    readout: str
    errors: str | None = None
    plastic: bool = False
    eta: float = 0.0
    start: float = 0.0
    learn_biases: bool = False
    gain: dict = field(default_factory=dict)
    u0: dict = field(default_factory=dict)
    rise: float = 0.0
    max_step_fraction: float = MAX_STEP_FRACTION

    def weight_is_plastic(self, projection):
        return self.plastic and projection.plastic

    def bias_is_plastic(self):
        return self.plastic and self.learn_biases


def build_netlist(model, errors=None, plasticity=False, analysis="tran", readout=None, *,
                  inputs=None, target=None, eta=None, gain=None, max_step_fraction=None):
    """Build the circuit of ``model`` as a :class:`Netlist`.

    Parameters
    ----------
    model : circuits.model.Model
    errors : {"local", "instantaneous", "local_gain"}, optional
        Add error neurons in this mode (needs a target).
    plasticity : bool
        Hold every plastic weight (and bias, if ``learn_biases``) on a capacitor
        charged by η·e_post·r_pre; needs ``errors`` or the model's
        ``learning.errors``.
    analysis : {"tran", "ac"}
        ``ac`` builds the frequency-response deck of the first neuron of the
        first neuron population (see :func:`spice_netlists.ac.build_ac_netlist`).
    readout : {"algebraic", "capacitor_current", "lag_network"}, optional
        Realisation of ŭ; defaults to ``model.circuit.readout``.
    inputs : dict, optional
        Population name → array (T, N) sampled on ``model.times()``, replacing
        its signal (a PWL source through the samples).
    target : array, optional
        Target rates (T, N) on ``model.times()`` replacing the model's target
        signal or teacher (a PWL source through the samples).
    eta : float, optional
        Learning rate; defaults to ``model.learning.eta``.
    gain : dict, optional
        Population → per-neuron gain of the ``local_gain`` error mode (default 1).
    max_step_fraction : float, optional
        Maximum transient step as a fraction of the shortest time constant
        (default :data:`MAX_STEP_FRACTION`, 1/100), at most
        :data:`MAX_STEP_FRACTION_LIMIT`; the step never exceeds ``dt`` either.
        The run's time grows with 1/fraction.

    Raises
    ------
    ModelError
        For anything the circuit cannot realise, before any text is written.
    """
    readout = check_choice(readout or model.circuit.readout, READOUTS, "readout")
    check_choice(analysis, ("tran", "ac"), "analysis")
    if analysis == "ac":
        from .ac import build_ac_netlist

        return build_ac_netlist(model, readout=readout)
    context = _context(model, errors, plasticity, readout, inputs, eta, gain)
    context.max_step_fraction = _max_step_fraction(max_step_fraction)
    net = Netlist(title=f"vle circuit of model {model.name}", header=_header(context))
    _inputs(net, context, inputs)
    for population in model.neurons:
        _population(net, context, population)
        for projection in model.projections_to(population.name):
            _projection(net, context, projection)
    if context.errors:
        learning.error_circuits(net, context, inputs, target)
    if context.plastic:
        learning.plasticity_circuits(net, context)
    _probes(net, context)
    net.analysis = _transient(context)
    return net


def _context(model, errors, plasticity, readout, inputs, eta, gain):
    learning_spec = model.learning
    if plasticity and errors is None and learning_spec is not None:
        errors = learning_spec.errors
    if errors is not None:
        check_choice(errors, ONLINE_ERROR_MODES, "errors")
        if model.target is None:
            raise ModelError("errors need a target; add a [target] table", key="target")
    if plasticity and errors is None:
        raise ModelError("on-circuit plasticity needs error neurons; pass errors=\"local\" "
                         "or set learning.errors", key="errors")
    # NOTE: gamma, nla and learned time constants have no circuit mapping yet.
    if errors is not None and learning_spec is not None and learning_spec.gamma:
        raise ModelError(
            "error neurons in a circuit need gamma = 0: feeding errors back into the "
            "membrane closes an algebraic loop that the continuous reference does not "
            "solve either; set learning.gamma = 0",
            key="learning.gamma", value=learning_spec.gamma)
    if plasticity and learning_spec is not None and (
            learning_spec.eta_tau_m > 0 or learning_spec.eta_tau_r > 0):
        raise ModelError(
            "time-constant learning (eta_tau_m, eta_tau_r) has no circuit mapping: the "
            "capacitors and resistors are fixed; set both to 0 or use the reference",
            key="learning.eta_tau_m", value=learning_spec.eta_tau_m)
    for population in model.neurons:
        if population.variant == "nla":
            raise ModelError(
                f"population '{population.name}': the nla variant (look-ahead on the rate) "
                "has no circuit mapping; use variant gle or le",
                key="variant", value="nla")
    if plasticity:
        if eta is None:
            if learning_spec is None:
                raise ModelError("plasticity needs a learning rate: add a [learning] table "
                                 "or pass eta", key="learning.eta")
            eta = learning_spec.eta
        if not np.isfinite(eta) or eta <= 0:
            raise ModelError(f"learning rate must be positive, got {eta!r}", key="eta",
                             value=eta)
    scales = Scales(model)
    context = Context(
        model=model, scales=scales, readout=readout, errors=errors, plastic=bool(plasticity),
        eta=float(eta or 0.0), gain=dict(gain or {}),
        start=learning_spec.start if (plasticity and learning_spec) else 0.0,
        learn_biases=bool(learning_spec.learn_biases) if (plasticity and learning_spec)
        else bool(plasticity),
        rise=RISE_FRACTION * model.tau_min * scales.time_scale,
    )
    readouts.check(model, readout)
    x = input_arrays(model, model.times()[:1], _first_rows(inputs))
    u0, _ = initial_state(model, Parameters(model), {n: a[:, 0] for n, a in x.items()})
    context.u0 = {name: np.asarray(value)[0] for name, value in u0.items()}
    return context


def _max_step_fraction(value):
    if value is None:
        return MAX_STEP_FRACTION
    try:
        value = float(value)
    except (TypeError, ValueError):
        value = float("nan")
    if not (np.isfinite(value) and 0 < value <= MAX_STEP_FRACTION_LIMIT):
        raise ModelError(
            f"max_step_fraction must be a number in (0, {MAX_STEP_FRACTION_LIMIT:g}], got "
            f"{value!r}; it is the maximum transient step over the shortest time constant "
            f"(default {MAX_STEP_FRACTION:g})", key="max_step_fraction", value=value)
    return value


def _first_rows(inputs):
    if not inputs:
        return None
    first = {}
    for name, array in inputs.items():
        array = np.asarray(array, dtype=float)
        first[name] = array[..., :1, :]
    return first


def _header(context):
    model, scales = context.model, context.scales
    if scales.leak_conductance is not None:
        source = f"g_L = {scales.leak_conductance:.6g} S"
    else:
        source = f"C_m = {scales.capacitance:.6g} F"
    return [
        f"one model unit = {scales.unit_voltage:.6g} V; one model second = "
        f"{scales.time_scale:.6g} s of circuit time; {source} per neuron",
        "weights W are transconductances G = W*g_L of the postsynaptic neuron; "
        "biases are currents b*g_L*V_unit",
        f"prospective read-out: {context.readout}; error neurons: {context.errors or 'none'}; "
        f"plasticity: {'on' if context.plastic else 'off'}",
        f"initial state: {model.initial_state} (capacitor IC values, .tran ... uic)",
    ]


def _inputs(net, context, inputs):
    model, scales = context.model, context.scales
    inputs = dict(inputs or {})
    unknown = sorted(set(inputs) - {p.name for p in model.inputs})
    if unknown:
        raise ModelError(f"inputs given for unknown populations {unknown}", key="inputs")
    for population in model.inputs:
        name = population.name
        block = net.block(f"input population {name}: {population.size} voltage source(s), "
                          f"node r_{name}_i = x_i * V_unit")
        if name in inputs:
            array = np.asarray(inputs[name], dtype=float)
            array = _single_sequence(array, name, model, population.size)
            for i in range(population.size):
                pwl_samples(block, f"{name}_{i}", f"r_{name}_{i}", array[:, i], model.dt,
                            scales)
        else:
            signal_sources(block, name, lambda i, n=name: f"r_{n}_{i}", population.signal,
                           scales, model.duration, context.rise)


def _single_sequence(array, name, model, size):
    if array.ndim == 3:
        if array.shape[0] != 1:
            raise ModelError(f"input for '{name}' is a batch of {array.shape[0]} sequences; "
                             "a circuit runs one sequence at a time", key=f"inputs.{name}")
        array = array[0]
    if array.shape != (model.n_steps, size):
        raise ModelError(f"shape mismatch: input for '{name}' has shape {array.shape}, "
                         f"expected ({model.n_steps}, {size})", key=f"inputs.{name}")
    if not np.all(np.isfinite(array)):
        raise ModelError(f"input for '{name}' contains NaN or inf", key=f"inputs.{name}")
    return array


def _population(net, context, population):
    name = population.name
    C_m, g_L = context.scales.rc(population.tau_m)
    block = net.block(
        f"neuron population {name} ({population.size} neurons, phi = {population.phi}, "
        f"read-out {context.readout}): membrane C_m with leak g_L at u_{name}_i, "
        f"tau_m = C_m/g_L; rate r = V_unit*phi(ub/V_unit)")
    volts = context.scales.unit_voltage
    for i in range(population.size):
        readouts.neuron(block, context, population, i, C_m[i], g_L[i])
        for node in readouts.current_nodes(context, population, i):
            _bias(block, context, population, i, node, g_L[i])
        x = context.scales.unit(f"ub_{name}_{i}")
        block.add(BehavioralSource(f"phi_{name}_{i}", f"r_{name}_{i}", GROUND, "V",
                                   f"{number(volts)}*{phi_expression(population.phi, x)}"))


def _bias(block, context, population, i, node, g_L):
    name = population.name
    label = f"bias_{name}_{i}_{node}"
    if context.bias_is_plastic():
        block.add(VCCS(label, GROUND, node, f"b_{name}_{i}", GROUND, g_L))
    elif population.bias[i] != 0:
        current = population.bias[i] * g_L * context.scales.unit_voltage
        block.add(CurrentSource(label, GROUND, node, Waveform("dc", dc=current)))


def _projection(net, context, projection):
    model, volts = context.model, context.scales.unit_voltage
    post = model.population(projection.post)
    _, g_L = context.scales.rc(post.tau_m)
    plastic = context.weight_is_plastic(projection)
    kind = ("weight-controlled transconductances I = V(w)*V(r_pre)*g_L/V_unit" if plastic
            else "transconductances G = W*g_L")
    block = net.block(f"projection {projection.name}: {projection.pre} -> {projection.post}, "
                      f"{kind}")
    for i in range(post.size):
        for node in readouts.current_nodes(context, post, i):
            for j in range(projection.weights.shape[1]):
                label = f"{projection.name}_{i}_{j}_{node}"
                pre = f"r_{projection.pre}_{j}"
                if plastic:
                    expression = (f"{number(g_L[i] / volts)}*V(w_{projection.name}_{i}_{j})"
                                  f"*V({pre})")
                    block.add(BehavioralSource(label, GROUND, node, "I", expression))
                elif projection.weights[i, j] != 0:
                    block.add(VCCS(label, GROUND, node, pre, GROUND,
                                   projection.weights[i, j] * g_L[i]))


def _probes(net, context):
    model = context.model
    for population in model.populations:
        name, size = population.name, population.size
        net.probes[f"r/{name}"] = [f"v(r_{name}_{i})" for i in range(size)]
        if population.is_input:
            continue
        net.probes[f"u/{name}"] = [f"v(u_{name}_{i})" for i in range(size)]
        net.initial[f"u/{name}"] = context.u0[name]
        net.probes[f"ubreve/{name}"] = [f"v(ub_{name}_{i})" for i in range(size)]
        if context.errors:
            net.probes[f"e/{name}"] = [f"v(e_{name}_{i})" for i in range(size)]
        if context.bias_is_plastic():
            net.probes[f"b/{name}"] = [f"v(b_{name}_{i})" for i in range(size)]
            net.initial[f"b/{name}"] = population.bias
    if context.plastic:
        for projection in model.projections:
            if projection.plastic:
                post, pre = projection.weights.shape
                net.probes[f"w/{projection.name}"] = [
                    [f"v(w_{projection.name}_{i}_{j})" for j in range(pre)]
                    for i in range(post)]
                net.initial[f"w/{projection.name}"] = projection.weights


def _transient(context):
    model, s = context.model, context.scales.time_scale
    fraction = context.max_step_fraction
    limits = [fraction * model.tau_min, model.dt]
    for population in model.inputs:
        frequency = max_frequency(population.signal)
        if frequency > 0:
            limits.append(fraction / frequency)
    return Transient(step=model.dt * s, stop=model.duration * s, max_step=min(limits) * s)
