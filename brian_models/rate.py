"""Rate back end: the reference grid schemes as a Brian2 network.

One step of the reference (see :mod:`circuits.reference`) maps onto Brian2's
schedule as follows, all on one clock of step ``model.dt``:

========================  ====================================================
slot (when, order)        what runs
========================  ====================================================
start, -1                 summed variables: I_q = W r_stored_pre (x_pre for
                          inputs) and F_q = Wᵀ e_stored_post
start, 0                  StateMonitors record u, v (before the update) and
                          ubreve, r, alpha, err of the step
before_groups, 0          r_next = r, e_next = err (snapshot of this step)
groups                    state updaters: euler, or exponential_euler for the
                          ``exact`` scheme (a ← exp(−dt/τ) with I, alpha held)
synapses, 0               plasticity W += eta dt e_next_post r_stored_pre
end, 0                    r_stored = r_next, e_stored = e_next, b += eta dt e
========================  ====================================================

so neuron → neuron projections read the rates stored at the previous step,
input → neuron projections the input of the current step, and errors travel
back with one step of delay per layer, exactly as in the reference.
"""

import numpy as np

from circuits import reference as ref
from circuits.errors import ModelError
from circuits.traces import Traces

from . import generate as eq

SCHEME_METHODS = {"euler": "euler", "exact": "exponential_euler"}


def check_supported(model, online, batch):
    """Raise ModelError for anything the Brian2 rate back end cannot express."""
    for population in model.neurons:
        if online.errors and population.variant == "nla":
            raise ModelError(
                f"population '{population.name}': the Brian2 back end runs error neurons "
                "for the gle and le variants only; nla has no error dynamics",
                key=f"populations.{population.name}.variant", value="nla")
    if online.errors and model.target is not None and model.target.loss == "cross_entropy":
        raise ModelError(
            f"population '{model.target.population}': the cross-entropy output error "
            "needs a softmax across neurons, which the Brian2 back end does not "
            "generate; use loss = \"mse\" or the reference back end",
            key="target.loss", value="cross_entropy")
    if batch != 1:
        raise ModelError(
            f"the Brian2 back end runs one input sequence at a time, got a batch of "
            f"{batch}; loop over the batch or use the reference back end", key="inputs")


def online_options(model, errors=None, plasticity=False, gain=None):
    """Error and plasticity options, chosen as the reference back end chooses them."""
    if plasticity and (model.learning is None or not model.learning.enabled):
        raise ModelError("plasticity needs an enabled [learning] table", key="learning")
    # Error neurons run on request or for plasticity; gamma alone does not start
    # them, as in the reference back end.
    if not (errors or plasticity):
        return ref.Online()
    online = ref.Online.from_model(model, errors=errors, plastic=plasticity)
    if online.errors is not None and model.target is None:
        raise ModelError("errors need a target; add a [target] table", key="target")
    online.gain = gain
    return online


def _resolve_method(model, scheme, method):
    if method is not None:
        return method, "brian2:" + method
    scheme = scheme or model.scheme
    if scheme not in SCHEME_METHODS:
        raise ModelError(
            f"the Brian2 rate back end runs the grid schemes euler and exact, not "
            f"{scheme!r}; pick one of them, or pass method= (for example \"rk4\") to "
            "use a Brian2 state updater", key="scheme", value=scheme)
    return SCHEME_METHODS[scheme], scheme


def rate_spec(model, scheme=None, errors=None, inputs=None, plasticity=False,
              record_weights=False, method=None, gain=None, target=None):
    """Plain description of the Brian2 rate network (see :mod:`brian_models.runtime`).

    Returns ``(spec, info)``; ``info`` holds the scheme label and the error mode.
    """
    online = online_options(model, errors, plasticity, gain)
    method, label = _resolve_method(model, scheme, method)
    if online.errors is None and online.gamma:
        online.gamma = 0.0
    times = model.times()
    x = ref.input_arrays(model, times, inputs)
    targets = ref.target_array(model, times, target, label if label in SCHEME_METHODS
                               else "euler", inputs) if online.errors else None
    check_supported(model, online, ref.batch_size_of({**x, "target": targets}))
    params = ref.Parameters(model)
    u0, r0 = ref.initial_state(model, params, {n: a[:, 0] for n, a in x.items()})
    timed = {f"stimulus_{name}": a[0] for name, a in x.items()}
    if targets is not None:
        timed[f"target_{model.target.population}"] = targets[0]
    spec = {"dt": model.dt, "n_steps": model.n_steps, "seed": None,
            "timed_arrays": timed, "groups": [], "synapses": []}
    for population in model.populations:
        if population.is_input:
            spec["groups"].append({
                "name": population.name, "size": population.size, "method": method,
                "equations": eq.input_equations(population), "record": ["r"]})
        else:
            spec["groups"].append(_group_spec(model, population, online, method, u0[
                population.name][0], r0[population.name][0], record_weights))
    for projection in model.projections:
        spec["synapses"].append(_synapse_spec(model, projection, online, record_weights))
    return spec, {"scheme": label, "errors": online.errors, "method": method}


def _group_spec(model, population, online, method, u0, r0, record_weights):
    name = population.name
    namespace = {}
    if online.errors and online.gamma:
        namespace["gamma"] = float(online.gamma)
    if model.target is not None and model.target.population == name and online.errors:
        namespace["beta"] = float(model.target.beta)
    values = {"u": u0, "b": population.bias, "tau_m": population.tau_m,
              "tau_r": population.tau_r}
    record = ["u", "ubreve", "r"]
    before, end = [], []
    if model.projections_from(name):
        values["r_stored"] = r0
        before.append("r_next = r")
        end.append("r_stored = r_next")
    if online.errors:
        record += ["err", "alpha"] + (["v"] if online.errors != "instantaneous" else [])
        before.append("e_next = err")
        end.append("e_stored = e_next")
        if online.errors == "local_gain":
            values["gain"] = np.broadcast_to((online.gain or {}).get(name, 1.0),
                                             (population.size,))
    final = []
    if online.eta > 0 and online.learn_biases:
        namespace.update({"eta_Hz": float(online.eta),
                          "learn_from_s": float(online.start) - 1e-12})
        end.append("b += eta*dt*e_next*int(t >= learn_from)")
        final.append("b")
    learn_tau = online.eta_tau_m > 0 or online.eta_tau_r > 0
    if learn_tau:
        before += ["udot_next = (I - u)/tau_m", "alpha_next = alpha"]
        # eta_tau is stored in seconds so that eta_tau*dt*e*udot has the unit of tau.
        namespace.update({"tau_min_s": float(online.tau_min),
                          "eta_tau_m_s": float(online.eta_tau_m),
                          "eta_tau_r_s": float(online.eta_tau_r),
                          "learn_from_s": float(online.start) - 1e-12})
        end.extend(_tau_learning(online))
        final += ["tau_m", "tau_r"]
    operations = []
    if before:
        operations.append(["before_groups", 0, "\n".join(before)])
    if end:
        operations.append(["end", 0, "\n".join(end)])
    return {
        "name": name, "size": population.size, "method": method,
        "equations": eq.neuron_equations(model, population, online.errors, online.gamma,
                                         learn_tau),
        "namespace": namespace, "seconds": ["tau_m", "tau_r"],
        "values": {k: np.asarray(v, dtype=float).tolist() for k, v in values.items()},
        "operations": operations, "final": final,
        "record": record + (["b"] if record_weights else []),
    }


def _tau_learning(online):
    """Code of tau_m ← max(tau_m − eta_tau_m dt e u̇, tau_min), tau_r likewise with +alpha."""
    lines = []
    for tau, rate, sign, signal in (("tau_m", online.eta_tau_m, "-", "e_next"),
                                    ("tau_r", online.eta_tau_r, "+", "alpha_next")):
        if rate <= 0:
            continue
        lines += [
            f"{tau}_new = {tau} {sign} eta_{tau}*dt*{signal}*udot_next*int(t >= learn_from)",
            f"{tau} = {tau}_new*int({tau}_new >= tau_min) + tau_min*int({tau}_new < tau_min)",
        ]
    return lines


def _synapse_spec(model, projection, online, record_weights):
    post, pre = model.population(projection.post), model.population(projection.pre)
    i, j = eq.synapse_indices(post.size, pre.size)
    synapse = {
        "name": projection.name, "source": pre.name, "target": post.name,
        "model": eq.synapse_model(model, projection, online.errors),
        "i": i.tolist(), "j": j.tolist(), "w": projection.weights.ravel().tolist(),
        "record": ["w"] if record_weights else [], "operations": [], "final": [],
    }
    if online.eta > 0 and projection.plastic:
        synapse["namespace"] = {"eta_Hz": float(online.eta),
                                "learn_from_s": float(online.start) - 1e-12}
        synapse["operations"].append(["synapses", 0, eq.plasticity_code(model, projection)])
        synapse["final"].append("w")
    return synapse


def traces_from(model, result, info):
    """Arrange the runtime's arrays as reference-style Traces."""
    traces = Traces(t=model.times())
    if len(result["t"]) != len(traces.t) or not np.allclose(result["t"], traces.t,
                                                           atol=1e-9 * model.dt):
        raise ModelError(f"Brian2 recorded {len(result['t'])} steps, expected "
                         f"{len(traces.t)}", key="dt", value=model.dt)
    for key, value in result.items():
        if key == "t" or key.startswith("final_"):
            continue
        variable, owner = key.split("/", 1)
        if variable == "err":
            key = f"e/{owner}"
        if variable == "w":
            projection = model.projection(owner)
            value = value.reshape((len(traces.t),) + projection.weights.shape)
        traces.data[key] = value
    params = ref.Parameters(model)
    for key, value in result.items():
        if key.startswith("final_w/"):
            name = key.split("/", 1)[1]
            params.weights[name] = value.reshape(params.weights[name].shape)
        elif key.startswith("final_b/"):
            params.bias[key.split("/", 1)[1]] = value
        elif key.startswith(("final_tau_m/", "final_tau_r/")):
            variable, name = key[len("final_"):].split("/", 1)
            getattr(params, variable)[name] = value
    traces.params = params
    traces.meta.update({"backend": "brian2", "model": model.name, **info})
    return traces
