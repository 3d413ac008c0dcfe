"""Spiking back end: each rate neuron becomes a population of spiking neurons.

For every neuron population P of size N there are two groups:

- ``P`` (N units) keeps the membrane of the rate model, ``tau_m du/dt = -u + I``
  with ``ubreve = u + tau_r*(I - u)/tau_m``, and computes the rate
  ``r_drive = phi(ubreve)``;
- ``P_spikes`` (N·M neurons, M = ``spiking.neurons_per_unit``) fires at
  ``nu = nu_max*f(r_drive)`` with the signed encoding ``f(r) = (1 + r)/2``
  clipped to [0, 1], so r = -1 → 0 Hz, r = 0 → nu_max/2, r = 1 → nu_max.

Decoding: a spike of unit j adds ``c*w_ij`` to the trace ``s_q`` of post unit
i, with ``c = 2/(M*nu_max*tau_syn)``, and ``tau_syn ds_q/dt = -s_q``. For
constant rates the trace settles at ``sum_j w_ij*2*nu_j/nu_max``, so
``I_q = s_q - sum_j w_ij`` equals ``sum_j w_ij r_j``: the input of the rate
model, low-pass filtered with tau_syn and carrying Poisson noise whose standard
deviation falls as 1/sqrt(M*nu_max*tau_syn). The recorded ``r/P`` is the
same decoding of P's own spikes (one trace per unit, weight 1).

Neuron models (``spiking.neuron``):

``poisson``
    Each neuron spikes in a step with probability ``nu*dt``.
``lif``
    ``tau_lif dV/dt = -V + J``, threshold 1, reset 0, refractory ``t_ref``.
    For J > 1 its rate is ``1/(t_ref + tau_lif*log(J/(J - 1)))``; the drive is
    that curve inverted, ``J = 1/(1 - exp(-(1/nu - t_ref + dt/2)/tau_lif))``.
    The ``+ dt/2`` offsets the mean half-step by which a threshold crossing
    is detected late on the step grid, so the firing rate is close to nu.
    Initial V is uniform in [0, 1) to desynchronise the units.

Inputs stay analog (their signal enters through a TimedArray, as in the rate
back end). No errors and no plasticity run in the spiking back end.
"""

import logging

import numpy as np

from circuits import reference as ref
from circuits.errors import ModelError
from circuits.traces import Traces

from . import generate as eq

logger = logging.getLogger(__name__)
TAU_LIF = 10e-3   # s, LIF membrane time constant
T_REF = 2e-3      # s, LIF refractory period; caps the rate at 1/T_REF = 500 Hz
MAX_SPIKE_PROBABILITY = 0.1   # largest rate_max * (simulation step)
BOUNDED_PHI = ("tanh", "sigmoid", "hard_sigmoid")


def _check(model, settings, batch):
    for population in model.neurons:
        if population.phi not in BOUNDED_PHI:
            # NOTE: rates outside [-1, 1] saturate in the encoding; the decoded rate
            # then differs from the rate model's.
            logger.warning("population '%s': phi = %s is unbounded; its rates are "
                           "clipped to [-1, 1] by the spike encoding", population.name,
                           population.phi)
        if population.variant == "nla":
            raise ModelError(f"population '{population.name}': the spiking back end "
                             "supports the gle and le variants only",
                             key=f"populations.{population.name}.variant", value="nla")
    if settings["neuron"] == "lif" and settings["rate_max"] * T_REF >= 1:
        raise ModelError(
            f"rate_max = {settings['rate_max']:g} Hz is above what the LIF neuron can fire "
            f"(1/t_ref = {1 / T_REF:g} Hz); lower spiking.rate_max",
            key="spiking.rate_max", value=settings["rate_max"])
    if batch != 1:
        raise ModelError("the spiking back end runs one input sequence at a time",
                         key="inputs")


def spiking_spec(model, inputs=None, neurons_per_unit=None, rate_max=None, neuron=None,
                 seed=None):
    """Plain description of the spiking network (see :mod:`brian_models.runtime`)."""
    spiking = model.spiking
    settings = {
        "M": int(neurons_per_unit or spiking.neurons_per_unit),
        "rate_max": float(rate_max or spiking.rate_max),
        "neuron": neuron or spiking.neuron, "tau_syn": float(spiking.tau_syn),
        "seed": spiking.seed if seed is None else seed,
    }
    times = model.times()
    x = ref.input_arrays(model, times, inputs)
    _check(model, settings, ref.batch_size_of(x))
    params = ref.Parameters(model)
    u0, r0 = ref.initial_state(model, params, {n: a[:, 0] for n, a in x.items()})
    # The spiking clock divides dt so that a neuron fires in at most ~10 % of steps.
    substeps = max(1, int(np.ceil(model.dt * settings["rate_max"] / MAX_SPIKE_PROBABILITY
                                  - 1e-9)))
    spec = {"dt": model.dt, "n_steps": model.n_steps, "seed": settings["seed"],
            "substeps": substeps,
            "timed_arrays": {f"stimulus_{n}": a[0] for n, a in x.items()},
            "groups": [], "synapses": [], "settings": settings}
    for population in model.populations:
        if population.is_input:
            spec["groups"].append({"name": population.name, "size": population.size,
                                   "method": "euler", "record": ["r"],
                                   "equations": eq.input_equations(population)})
            continue
        spec["groups"].append(_membrane(model, population, settings,
                                        u0[population.name][0], r0))
        spec["groups"].append(_spike_group(population, settings))
        spec["synapses"].extend(_population_synapses(model, population, settings))
    return spec


def membrane_equations(model, population):
    """Equations of the membrane group: filtered spike traces replace the summed rates."""
    rows = [("du/dt = (I - u)/tau_m", "1", "membrane: tau_m du/dt = -u + I")]
    incoming = model.projections_to(population.name)
    terms = [eq.input_name(q) for q in incoming] + ["b"]
    rows.append((f"I = {' + '.join(terms)}", "1", "total input"))
    rows.append(("ubreve = u + tau_r*(I - u)/tau_m", "1", "prospective potential"))
    rows.append((f"r_drive = {eq.phi_expression(population.phi, 'ubreve')}", "1",
                 "rate that drives the spiking neurons"))
    rows.append(("ds_out/dt = -s_out/tau_syn", "1", "trace of the unit's own spikes"))
    rows.append(("r = s_out - 1", "1", "decoded spiking rate"))
    for q in incoming:
        if model.population(q.pre).is_input:
            rows.append((eq.input_name(q), "1", f"W x_pre summed by Synapses {q.name}"))
            continue
        rows.append((f"ds_{q.name}/dt = -s_{q.name}/tau_syn", "1",
                     f"spike trace of projection {q.name}"))
        rows.append((f"{eq.input_name(q)} = s_{q.name} - offset_{q.name}", "1",
                     "decoded input W r_pre"))
        rows.append((f"offset_{q.name}", "1 (constant)", "sum_j w_ij, the r = -1 level"))
    rows += [("b", "1", "bias"), ("tau_m", "second (constant)", "membrane time constant"),
             ("tau_r", "second (constant)", "prospective time constant")]
    return eq.align(rows)


def spike_equations(settings):
    """Equations of the spiking neurons driven by ``r_in``, the rate of their unit."""
    nu = "nu = nu_max*clip((1 + r_in)/2, 1e-6, 1)"
    rows = [(nu, "Hz", "firing rate, signed encoding f(r) = (1 + r)/2"),
            ("r_in", "1", "rate of the unit, summed by its drive Synapses")]
    if settings["neuron"] == "lif":
        rows += [("dV/dt = (J - V)/tau_lif", "1 (unless refractory)", "LIF membrane"),
                 ("J = 1/(1 - exp(-(1/nu - t_ref + dt/2)/tau_lif))", "1",
                  "drive that makes the LIF fire at nu (grid-corrected)")]
    return eq.align(rows)


def _membrane(model, population, settings, u0, r0):
    values = {"u": u0, "b": population.bias, "tau_m": population.tau_m,
              "tau_r": population.tau_r, "s_out": 1.0 + r0[population.name][0]}
    for q in model.projections_to(population.name):
        if not model.population(q.pre).is_input:
            # Start every trace at its expected value for the initial rates.
            values[f"s_{q.name}"] = q.weights @ (1.0 + r0[q.pre][0])
            values[f"offset_{q.name}"] = q.weights.sum(axis=1)
    return {"name": population.name, "size": population.size, "method": "exponential_euler",
            "equations": membrane_equations(model, population),
            "namespace": {"tau_syn_s": settings["tau_syn"]}, "seconds": ["tau_m", "tau_r"],
            "values": {k: np.asarray(v, dtype=float).tolist() for k, v in values.items()},
            "record": ["u", "ubreve", "r", "r_drive"]}


def _spike_group(population, settings):
    group = {"name": f"{population.name}_spikes", "size": population.size * settings["M"],
             "method": "exponential_euler", "equations": spike_equations(settings),
             "namespace": {"nu_max_Hz": settings["rate_max"]}}
    if settings["neuron"] == "lif":
        group.update({"threshold": "V > 1", "reset": "V = 0", "refractory": T_REF,
                      "random_init": {"V": [0.0, 1.0]}})
        group["namespace"].update({"tau_lif_s": TAU_LIF, "t_ref_s": T_REF})
    else:
        group["threshold"] = "rand() < nu*dt"
    return group


def _population_synapses(model, population, settings):
    """Drive (unit → its neurons), read-out and outgoing spike projections of P."""
    name, size, count = population.name, population.size, settings["M"]
    neurons = np.arange(size * count)
    owner = neurons // count
    scale = 2.0 / (count * settings["rate_max"] * settings["tau_syn"])
    result = [
        {"name": f"{name}_drive", "source": name, "target": f"{name}_spikes",
         "model": "w : 1\nr_in_post = w*r_drive_pre : 1 (summed)",
         "i": owner.tolist(), "j": neurons.tolist(), "w": [1.0] * len(neurons)},
        {"name": f"{name}_readout", "source": f"{name}_spikes", "target": name,
         "model": "w : 1", "on_pre": "s_out_post += w",
         "i": neurons.tolist(), "j": owner.tolist(), "w": [scale] * len(neurons)},
    ]
    for q in model.projections_from(name):
        post = model.population(q.post)
        post_index, pre_neuron = np.meshgrid(np.arange(post.size), neurons, indexing="ij")
        weights = q.weights[post_index, pre_neuron // count] * scale
        result.append({"name": q.name, "source": f"{name}_spikes", "target": q.post,
                       "model": "w : 1", "on_pre": f"s_{q.name}_post += w",
                       "i": pre_neuron.ravel().tolist(), "j": post_index.ravel().tolist(),
                       "w": weights.ravel().tolist()})
    for q in model.projections_to(name):
        pre = model.population(q.pre)
        if pre.is_input:
            i, j = eq.synapse_indices(size, pre.size)
            result.append({"name": q.name, "source": pre.name, "target": name,
                           "model": f"w : 1\n{eq.input_name(q)}_post = w*r_pre : 1 (summed)",
                           "i": i.tolist(), "j": j.tolist(),
                           "w": q.weights.ravel().tolist()})
    return result


def traces_from(model, result, spec):
    """Arrange the recorded arrays as Traces (``r/P`` is the decoded spiking rate)."""
    traces = Traces(t=model.times())
    for key, value in result.items():
        if key != "t":
            traces.data[key] = value
    settings = spec["settings"]
    traces.meta.update({"backend": "brian2-spiking", "model": model.name,
                        "neuron": settings["neuron"], "neurons_per_unit": settings["M"],
                        "rate_max": settings["rate_max"], "tau_syn": settings["tau_syn"],
                        "seed": settings["seed"]})
    return traces
