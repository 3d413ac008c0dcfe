"""Continuous-time reference: the model's ODEs solved with ``solve_ivp``.

Unlike the grid schemes there is no delay between layers: rates are computed
top-down from the membranes at the same instant, and errors bottom-up from
the output. The state vector holds every membrane u, every error-neuron state
v (local errors) and, with plasticity, every weight and bias. The solver runs
piecewise between the discontinuities of the input and target signals and
samples the solution at t_n = n·dt.
"""

import numpy as np
from scipy.integrate import solve_ivp

from . import reference as ref
from .errors import DivergenceError, ModelError
from .phi import phi_prime as phi_prime_function
from .traces import Traces


class _Layout:
    """Positions of the named state blocks inside the flat ODE state vector."""

    def __init__(self):
        self.blocks = {}
        self.size = 0

    def add(self, key, shape):
        count = int(np.prod(shape))
        self.blocks[key] = (slice(self.size, self.size + count), shape)
        self.size += count

    def view(self, y, key):
        where, shape = self.blocks[key]
        return y[where].reshape(shape)


def _interpolator(times, array):
    """Linear interpolation in time of an array (B, T, N), as a SPICE PWL source."""

    def sample(t):
        position = np.clip(t / (times[1] - times[0]), 0.0, len(times) - 1)
        lower = min(int(np.floor(position + 1e-9)), len(times) - 1)
        upper = min(lower + 1, len(times) - 1)
        weight = min(max(position - lower, 0.0), 1.0)
        return array[:, lower] + weight * (array[:, upper] - array[:, lower])

    return sample


def simulate_continuous(model, params, inputs, target, online, record, record_weights):
    """Continuous-time run; see :func:`circuits.reference.simulate` for the arguments."""
    # NOTE: error feedback (gamma > 0) and time-constant learning run on the grid
    # schemes only; see docs/limitations.md.
    if online.gamma:
        raise ModelError(
            "the continuous scheme needs gamma = 0: with error feedback into the "
            "membrane the rates and errors form an algebraic loop; use the euler or "
            "exact scheme",
            key="learning.gamma", value=online.gamma,
        )
    if online.eta_tau_m > 0 or online.eta_tau_r > 0:
        raise ModelError(
            "time-constant learning is not available in the continuous scheme; use "
            "the euler or exact scheme",
            key="learning.eta_tau_m",
        )
    times = model.times()
    sources, input_breaks = _input_functions(model, times, inputs)
    target_function, target_breaks = _target_function(model, times, target, inputs,
                                                      online, record)
    batch = max([s(0.0).shape[0] for s in sources.values()]
                + ([target_function(0.0).shape[0]] if target_function else []))
    neurons = model.neurons
    layout = _Layout()
    for p in neurons:
        layout.add(f"u/{p.name}", (batch, p.size))
    if online.errors in ("local", "local_gain"):
        for p in neurons:
            layout.add(f"v/{p.name}", (batch, p.size))
    if online.plastic:
        for q in model.projections:
            layout.add(f"w/{q.name}", q.weights.shape)
        for p in neurons:
            layout.add(f"b/{p.name}", (p.size,))

    def evaluate(t, y):
        """All algebraic quantities at time t for state y."""
        weights = {q.name: (layout.view(y, f"w/{q.name}") if online.plastic
                            else params.weights[q.name]) for q in model.projections}
        bias = {p.name: (layout.view(y, f"b/{p.name}") if online.plastic
                         else params.bias[p.name]) for p in neurons}
        values = {"u": {}, "ubreve": {}, "r": {}, "I": {}, "v": {}, "alpha": {}, "e": {}}
        for name, source in sources.items():
            rate = source(t)
            values["r"][name] = np.broadcast_to(rate, (batch,) + rate.shape[1:])
        for p in neurons:
            u = layout.view(y, f"u/{p.name}")
            current = bias[p.name] + sum(values["r"][q.pre] @ weights[q.name].T
                                         for q in model.projections_to(p.name))
            ubreve, rate = ref._rate_params(p, params, u, current)
            values["u"][p.name], values["I"][p.name] = u, current
            values["ubreve"][p.name], values["r"][p.name] = ubreve, rate
        if online.errors:
            _errors(model, online, layout, y, weights, target_function(t), values)
        return weights, values

    def rhs(t, y):
        weights, values = evaluate(t, y)
        dydt = np.empty_like(y)
        for p in neurons:
            name = p.name
            udot = (values["I"][name] - values["u"][name]) / params.tau_m[name]
            dydt[layout.blocks[f"u/{name}"][0]] = udot.ravel()
            if f"v/{name}" in layout.blocks:
                vdot = (values["alpha"][name] - values["v"][name]) / params.tau_r[name]
                dydt[layout.blocks[f"v/{name}"][0]] = vdot.ravel()
        if online.plastic:
            on = t >= online.start - 1e-12
            for q in model.projections:
                error = values["e"][q.post]
                change = online.eta * (error.T @ values["r"][q.pre]) / batch \
                    if (on and q.plastic) else np.zeros(q.weights.shape)
                dydt[layout.blocks[f"w/{q.name}"][0]] = change.ravel()
            for p in neurons:
                change = online.eta * values["e"][p.name].mean(axis=0) \
                    if (on and online.learn_biases) else np.zeros(p.size)
                dydt[layout.blocks[f"b/{p.name}"][0]] = change
        return dydt

    y0 = np.empty(layout.size)
    x0 = {}
    for name, source in sources.items():
        rate = source(0.0)
        x0[name] = np.broadcast_to(rate, (batch,) + rate.shape[1:])
    u0, _ = ref.initial_state(model, params, x0)
    for p in neurons:
        y0[layout.blocks[f"u/{p.name}"][0]] = np.broadcast_to(
            u0[p.name], (batch, p.size)).ravel()
        if f"v/{p.name}" in layout.blocks:
            y0[layout.blocks[f"v/{p.name}"][0]] = 0.0
    if online.plastic:
        for q in model.projections:
            y0[layout.blocks[f"w/{q.name}"][0]] = params.weights[q.name].ravel()
        for p in neurons:
            y0[layout.blocks[f"b/{p.name}"][0]] = params.bias[p.name]

    breakpoints = np.unique(np.concatenate([input_breaks, target_breaks]))
    states = _integrate(rhs, y0, times, breakpoints)
    traces = _sample(model, times, states, evaluate, layout, record, record_weights,
                     target_function, online, batch)
    if online.plastic:
        final = states[-1]
        for q in model.projections:
            params.weights[q.name] = layout.view(final, f"w/{q.name}").copy()
        for p in neurons:
            params.bias[p.name] = layout.view(final, f"b/{p.name}").copy()
    return traces


def _errors(model, online, layout, y, weights, target_now, values):
    """Fill α and e top-down from the output (no delay between layers)."""
    output = model.target.population
    for p in reversed(model.neurons):
        name = p.name
        ubreve = values["ubreve"][name]
        alpha = np.zeros_like(ubreve)
        outgoing = model.projections_from(name)
        if outgoing:
            feedback = sum(values["e"][q.post] @ weights[q.name] for q in outgoing)
            alpha = phi_prime_function(p.phi)(ubreve) * feedback
        if name == output:
            alpha = alpha + ref.output_error_input(model, ubreve, values["r"][name],
                                                   target_now)
        values["alpha"][name] = alpha
        if online.errors == "instantaneous":
            values["e"][name] = alpha
            continue
        v = layout.view(y, f"v/{name}")
        ratio = p.tau_m / p.tau_r
        error = v + ratio * (alpha - v)
        if online.errors == "local_gain":
            error = error * (online.gain or {}).get(name, 1.0)
        values["v"][name], values["e"][name] = v, error


def _input_functions(model, times, inputs):
    """Input functions of time per population, and the instants where they have kinks."""
    inputs = dict(inputs or {})
    functions, breaks = {}, []
    for p in model.inputs:
        if p.name in inputs:
            array = np.asarray(inputs.pop(p.name), dtype=float)
            array = array[None] if array.ndim == 2 else array
            functions[p.name] = _interpolator(times, array)
            breaks.extend(times[1:-1])
        else:
            functions[p.name] = lambda t, signal=p.signal: signal.sample(np.array([t]))
            breaks.extend(p.signal.breakpoints(times[-1]))
    if inputs:
        raise ModelError(f"inputs given for unknown populations {sorted(inputs)}",
                         key="inputs")
    return functions, breaks


def _target_function(model, times, target, inputs, online, record):
    if not (online.errors or "loss" in record):
        return None, np.empty(0)
    if model.target is None and target is None:
        return None, np.empty(0)
    if target is None and model.target.signal is not None:
        signal = model.target.signal
        return (lambda t: signal.sample(np.array([t]))), signal.breakpoints(times[-1])
    array = ref.target_array(model, times, target, "continuous", inputs)
    if array is None:
        raise ModelError("errors need a target; add a [target] table", key="target")
    # Linear interpolation between samples has a kink at every grid point.
    return _interpolator(times, array), times[1:-1]


def _integrate(rhs, y0, times, breakpoints):
    """Integrate segment by segment; return the states at ``times`` (T, size)."""
    edges = np.concatenate([[times[0]], [b for b in breakpoints
                                         if times[0] < b < times[-1]], [times[-1]]])
    states = np.empty((len(times), len(y0)))
    y = y0
    for start, stop in zip(edges[:-1], edges[1:]):
        last = stop == edges[-1]
        inside = (times >= start - 1e-12) & (times < stop - 1e-12)
        if last:
            inside |= np.isclose(times, stop)
        evaluation = times[inside] if last else np.append(times[inside], stop)
        solution = solve_ivp(rhs, (start, stop), y, method="DOP853", t_eval=evaluation,
                             **ref.CONTINUOUS_TOLERANCE)
        if not solution.success:
            raise DivergenceError("network", int(np.argmax(inside)), start, "u")
        states[inside] = solution.y.T[: int(inside.sum())]
        y = solution.y[:, -1]
    return states


def _sample(model, times, states, evaluate, layout, record, record_weights,
            target_function, online, batch):
    neurons = model.neurons
    traces = Traces(t=times)
    collected = {}
    for n, t in enumerate(times):
        weights, values = evaluate(t, states[n])
        if not np.all(np.isfinite(states[n])):
            bad = next(p.name for p in neurons
                       if not np.all(np.isfinite(values["u"][p.name])))
            raise DivergenceError(bad, n, t, "u")
        for p in neurons:
            name = p.name
            for variable in record:
                if variable == "udot":
                    value = (values["I"][name] - values["u"][name]) / p.tau_m
                elif variable in values and name in values[variable]:
                    value = values[variable][name]
                else:
                    continue
                collected.setdefault(f"{variable}/{name}", []).append(value)
        for p in model.inputs:
            collected.setdefault(f"r/{p.name}", []).append(values["r"][p.name])
        if "loss" in record and target_function is not None:
            output = values["r"][model.target.population]
            collected.setdefault("loss", []).append(
                ref.instantaneous_cost(model, output, target_function(t)))
        if record_weights:
            for q in model.projections:
                collected.setdefault(f"w/{q.name}", []).append(np.array(weights[q.name]))
    for key, rows in collected.items():
        array = np.array(rows)
        if batch == 1 and not key.startswith("w/") and array.ndim >= 2:
            array = array[:, 0]
        traces.data[key] = array
    return traces
