"""Error neurons and on-circuit plasticity.

Error neuron of neuron j in population P (GLE local errors)::

    fb_j = Σ_i W_ij e_i          backward transconductances into a resistor 1/g
    α_j  = φ'(ŭ_j) · fb_j        a behavioural multiplier (+ the output error)
    τ_r dv/dt = α − v            capacitor C_e with conductance g_e, C_e/g_e = τ_r
    e_j  = v + (τ_m/τ_r)(α − v)  an active summing stage

The summing stage is an active element because its coefficient on v,
1 − τ_m/τ_r, is negative whenever τ_m > τ_r. At the output population the
error input adds α_N = β φ'(ŭ)(r* − r) (MSE) or β (r* − softmax(r))
(cross-entropy), with r* from a voltage source.

A plastic weight W_ij is the voltage W_ij·V_unit of a capacitor C_w charged
by the current C_w·η·V(e_i)·V(r_j)/(time_scale·V_unit), so that
dW/dt = η e_i r_j in model time. Its forward and backward paths are
behavioural current sources I = V(w)·V(pre)·g/V_unit. A learned bias is the
voltage of a capacitor charged by C_b·η·V(e_i)/time_scale.
"""

import numpy as np

from circuits.errors import ModelError
from circuits.reference import target_array

from .elements import GROUND, VCCS, BehavioralSource, Capacitor, Resistor, number
from .scaling import phi_prime_expression
from .sources import pwl_samples, signal_sources


def error_circuits(net, context, inputs, target=None):
    """Add the target source, the backward paths and one error neuron per neuron."""
    model = context.model
    _target(net, context, inputs, target)
    for population in model.neurons:
        for projection in model.projections_from(population.name):
            _backward(net, context, projection)
        _error_neurons(net, context, population)


def _target(net, context, inputs, target):
    model, scales = context.model, context.scales
    output = model.target.population
    size = model.population(output).size
    block = net.block(f"target rates r* of the output population {output}: node "
                      f"t_{output}_i = r*_i * V_unit")
    if target is None and model.target.signal is not None:
        signal_sources(block, f"target_{output}", lambda i: f"t_{output}_{i}",
                       model.target.signal, scales, model.duration, context.rise)
        return
    # A teacher's output is sampled on the model grid with the continuous
    # reference; the PWL source then interpolates it linearly, as that reference does.
    array = target_array(model, model.times(), target, scheme="continuous",
                         inputs=inputs)
    if array.shape[0] != 1 or array.shape[1:] != (model.n_steps, size):
        raise ModelError(f"shape mismatch: the target has shape {array.shape}, expected "
                         f"({model.n_steps}, {size}) for one sequence", key="target")
    array = array[0]
    if not np.all(np.isfinite(array)):
        raise ModelError("the target contains NaN or inf", key="target")
    for i in range(size):
        pwl_samples(block, f"target_{output}_{i}", f"t_{output}_{i}", array[:, i], model.dt,
                    scales)


def _backward(net, context, projection):
    model, volts = context.model, context.scales.unit_voltage
    pre = model.population(projection.pre)
    _, g = context.scales.rc(pre.tau_m)
    plastic = context.weight_is_plastic(projection)
    block = net.block(
        f"backward path of projection {projection.name}: W^T e_{projection.post} as "
        f"transconductances into fb_{projection.pre}_j")
    post_size, pre_size = projection.weights.shape
    for j in range(pre_size):
        for i in range(post_size):
            label = f"back_{projection.name}_{i}_{j}"
            error = f"e_{projection.post}_{i}"
            if plastic:
                expression = (f"{number(g[j] / volts)}*V(w_{projection.name}_{i}_{j})"
                              f"*V({error})")
                block.add(BehavioralSource(label, GROUND, f"fb_{pre.name}_{j}", "I",
                                           expression))
            elif projection.weights[i, j] != 0:
                block.add(VCCS(label, GROUND, f"fb_{pre.name}_{j}", error, GROUND,
                               projection.weights[i, j] * g[j]))


def _alpha_expression(context, population, j):
    model, scales = context.model, context.scales
    name = population.name
    x = scales.unit(f"ub_{name}_{j}")
    gate = phi_prime_expression(population.phi, x)
    terms = []
    if model.projections_from(name):
        terms.append(f"{gate}*V(fb_{name}_{j})")
    if model.target is not None and model.target.population == name:
        beta = number(model.target.beta)
        if model.target.loss == "cross_entropy":
            exponentials = [f"exp({scales.unit(f'r_{name}_{k}')})"
                            for k in range(population.size)]
            softmax = f"{exponentials[j]}/({'+'.join(exponentials)})"
            terms.append(f"{beta}*(V(t_{name}_{j})-{number(scales.unit_voltage)}*{softmax})")
        else:
            terms.append(f"{beta}*{gate}*(V(t_{name}_{j})-V(r_{name}_{j}))")
    return "+".join(terms) if terms else "0"


def _error_neurons(net, context, population):
    name = population.name
    mode = context.errors
    C_e, g_e = context.scales.rc(population.tau_r)
    _, g_fb = context.scales.rc(population.tau_m)
    comment = {
        "local": "integrates alpha with tau_r = C_e/g_e at v, reads out "
                 "e = v + (tau_m/tau_r)(alpha - v)",
        "local_gain": "as local, with the read-out scaled by a per-neuron gain",
        "instantaneous": "e = alpha, no filter",
    }[mode]
    block = net.block(f"error neurons of {name} ({mode}): alpha = phi'(ub)*fb (+ output "
                      f"error); {comment}")
    gains = np.broadcast_to(np.asarray(context.gain.get(name, 1.0), dtype=float),
                            (population.size,))
    for j in range(population.size):
        if context.model.projections_from(name):
            block.add(Resistor(f"fb_{name}_{j}", f"fb_{name}_{j}", GROUND, 1.0 / g_fb[j]))
        block.add(BehavioralSource(f"alpha_{name}_{j}", f"a_{name}_{j}", GROUND, "V",
                                   _alpha_expression(context, population, j)))
        if mode == "instantaneous":
            block.add(BehavioralSource(f"err_{name}_{j}", f"e_{name}_{j}", GROUND, "V",
                                       f"V(a_{name}_{j})"))
            continue
        block.add(Capacitor(f"e_{name}_{j}", f"v_{name}_{j}", GROUND, C_e[j], 0.0))
        block.add(Resistor(f"e_{name}_{j}", f"v_{name}_{j}", GROUND, 1.0 / g_e[j]))
        block.add(VCCS(f"e_{name}_{j}", GROUND, f"v_{name}_{j}", f"a_{name}_{j}", GROUND,
                       g_e[j]))
        ratio = population.tau_m[j] / population.tau_r[j]
        gain = gains[j] if mode == "local_gain" else 1.0
        expression = (f"{number(gain * (1.0 - ratio))}*V(v_{name}_{j})+"
                      f"{number(gain * ratio)}*V(a_{name}_{j})")
        block.add(BehavioralSource(f"err_{name}_{j}", f"e_{name}_{j}", GROUND, "V",
                                   expression))


def _gate(context):
    """Factor that switches learning on at ``learning.start`` (circuit time)."""
    if context.start <= 0:
        return ""
    return f"*u(time-{number(context.start * context.scales.time_scale)})"


def plasticity_circuits(net, context):
    """Add a charging multiplier and a capacitor per plastic weight and bias."""
    model, scales = context.model, context.scales
    volts, s = scales.unit_voltage, scales.time_scale
    for projection in model.projections:
        if not projection.plastic:
            continue
        post = model.population(projection.post)
        C_w, _ = scales.rc(post.tau_m)
        block = net.block(
            f"plastic synapses of {projection.name}: W_ij*V_unit on capacitor w, charged by "
            "C_w*eta*V(e_post)*V(r_pre)/(time_scale*V_unit); no DC path, so the run uses uic")
        post_size, pre_size = projection.weights.shape
        for i in range(post_size):
            coefficient = C_w[i] * context.eta / (s * volts)
            for j in range(pre_size):
                node = f"w_{projection.name}_{i}_{j}"
                block.add(Capacitor(node, node, GROUND, C_w[i],
                                    projection.weights[i, j] * volts))
                expression = (f"{number(coefficient)}*V(e_{post.name}_{i})"
                              f"*V(r_{projection.pre}_{j}){_gate(context)}")
                block.add(BehavioralSource(f"learn_{projection.name}_{i}_{j}", GROUND, node,
                                           "I", expression))
    if not context.bias_is_plastic():
        return
    for population in model.neurons:
        C_b, _ = scales.rc(population.tau_m)
        block = net.block(f"plastic biases of {population.name}: b*V_unit on capacitor b, "
                          "charged by C_b*eta*V(e)/time_scale")
        for i in range(population.size):
            node = f"b_{population.name}_{i}"
            block.add(Capacitor(node, node, GROUND, C_b[i], population.bias[i] * volts))
            expression = (f"{number(C_b[i] * context.eta / s)}*V(e_{population.name}_{i})"
                          f"{_gate(context)}")
            block.add(BehavioralSource(f"learnb_{population.name}_{i}", GROUND, node, "I",
                                       expression))
