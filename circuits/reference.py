"""Ideal reference simulator: forward neurons, online error neurons, plasticity.

Three update schemes, selected by name:

``euler``
    The papers' parallel forward-Euler scheme. Every population updates from
    the rates and errors that the other populations stored at the previous
    step, so each neuron layer adds one dt of delay forwards and backwards.
    Inputs enter without delay.
``exact``
    The same parallel structure with the exponential (zero-order-hold)
    update u ← a·u + (1 − a)·I, a = exp(−dt/τ).
``continuous``
    ``scipy.integrate.solve_ivp`` (DOP853, rtol 1e-10) on the ODEs without
    delays, integrated piecewise between signal discontinuities and sampled
    at t_n = n·dt. This is the physics reference against which circuits are
    judged.

One step of the grid schemes, for every neuron population P at once (x_n is
the input at t_n, r⁻ and e⁻ are the rates and errors stored at step n − 1)::

    I_P    = Σ_q W_q r⁻_pre(q) + b_P + γ e⁻_P        (inputs: r_pre = x_n)
    ŭ_P    = u_P + k_P (I_P − u_P),  k = τ_r/τ_m
    r_P    = φ(ŭ_P)                                  (nla: φ(u) + τ_r φ'(u)(I − u)/τ_m)
    α_P    = φ'(ŭ_P) ⊙ Σ_q W_qᵀ e⁻_post(q)  [+ β φ'(ŭ)(r* − r) at the target, MSE]
                                              [+ β (r* − softmax(r)), cross-entropy]
    e_P    = v_P + (τ_m/τ_r)(α_P − v_P)      (local; × gain for local_gain; α for
                                              instantaneous)
    u_P   ← u_P + (dt/τ_m)(I_P − u_P)        (exact: a_m u + (1 − a_m) I)
    v_P   ← v_P + (dt/τ_r)(α_P − v_P)        (exact: a_r v + (1 − a_r) α)
    W_q   ← W_q + η dt e_post r⁻_preᵀ        (batch mean; after the step)
    b_P   ← b_P + η dt e_P

Recorded at t_n are u_P and v_P before the update and ŭ_P, r_P, e_P of the
step. The sign convention is that e (like the adjoint λ) points in the
descent direction: the update W += η dt e rᵀ lowers the loss.
"""

from dataclasses import dataclass

import numpy as np
from .errors import DivergenceError, ModelError
from .model import ONLINE_ERROR_MODES, SCHEMES
from .optimizers import make_optimizer
from .phi import phi as phi_function
from .phi import phi_prime as phi_prime_function
from .traces import Traces

DEFAULT_RECORD = ("u", "ubreve", "r")
CONTINUOUS_TOLERANCE = {"rtol": 1e-10, "atol": 1e-12}


@dataclass
class Online:
    """Options of the online error dynamics and plasticity of one run.

    errors : one of ``local``, ``instantaneous``, ``local_gain`` or None
    gain : dict population → array of shape (N,), used by ``local_gain``
    gamma : feedback gain of the error into the forward membrane
    eta : weight and bias learning rate (0 switches plasticity off)
    eta_tau_m, eta_tau_r, tau_min : time-constant learning and its clamp
    learn_biases : whether biases learn together with weights
    start : time (s) from which plasticity is on
    optimizer : object with ``step(key, value, descent, rate)`` (see
        :mod:`circuits.optimizers`), or None for the built-in SGD update
    """

    errors: str | None = None
    gain: dict | None = None
    gamma: float = 0.0
    eta: float = 0.0
    eta_tau_m: float = 0.0
    eta_tau_r: float = 0.0
    tau_min: float | None = None
    learn_biases: bool = True
    start: float = 0.0
    optimizer: object = None

    @property
    def plastic(self):
        return self.eta > 0 or self.eta_tau_m > 0 or self.eta_tau_r > 0

    @classmethod
    def from_model(cls, model, errors=None, plastic=True):
        """Build the options from a model's [learning] table (or defaults)."""
        learning = model.learning
        mode = errors or (learning.errors if learning else None)
        if mode == "adjoint":
            raise ModelError(
                "the adjoint runs offline over a recorded run; use "
                "circuits.learning for it, or pick local, instantaneous or local_gain",
                key="learning.errors", value=mode,
            )
        if learning is None or not plastic or not learning.enabled:
            return cls(errors=mode, gamma=learning.gamma if learning else 0.0)
        return cls(
            errors=mode, gamma=learning.gamma, eta=learning.eta,
            eta_tau_m=learning.eta_tau_m, eta_tau_r=learning.eta_tau_r,
            tau_min=learning.tau_min, learn_biases=learning.learn_biases,
            start=learning.start, optimizer=make_optimizer(learning),
        )


# --- parameters as arrays --------------------------------------------------------------


class Parameters:
    """Mutable copies of a model's learnable arrays (weights, biases, time constants)."""

    def __init__(self, model):
        self.weights = {p.name: p.weights.copy() for p in model.projections}
        self.bias = {p.name: p.bias.copy() for p in model.neurons}
        self.tau_m = {p.name: p.tau_m.copy() for p in model.neurons}
        self.tau_r = {p.name: p.tau_r.copy() for p in model.neurons}

    def write_to(self, model):
        """Return a copy of ``model`` carrying these parameter values."""
        result = model.copy()
        for projection in result.projections:
            projection.weights = self.weights[projection.name].copy()
        for population in result.neurons:
            population.bias = self.bias[population.name].copy()
            population.tau_m = self.tau_m[population.name].copy()
            population.tau_r = self.tau_r[population.name].copy()
        return result


# --- inputs and targets --------------------------------------------------------------


def input_arrays(model, times, inputs=None):
    """Sample every input population on ``times``: name → array (B, T, N).

    ``inputs`` maps population names to arrays of shape (T, N) or (B, T, N)
    that replace the model's signals.
    """
    inputs = dict(inputs or {})
    result = {}
    for population in model.inputs:
        if population.name in inputs:
            array = np.asarray(inputs.pop(population.name), dtype=float)
        else:
            array = population.signal.sample(times)
        if array.ndim == 2:
            array = array[None]
        if array.shape[-2:] != (len(times), population.size):
            raise ModelError(
                f"shape mismatch: input for '{population.name}' has shape "
                f"{array.shape}, expected (T, N) or (B, T, N) with T = {len(times)} "
                f"and N = {population.size}",
                key=f"inputs.{population.name}",
            )
        result[population.name] = array
    if inputs:
        raise ModelError(f"inputs given for unknown populations {sorted(inputs)}",
                         key="inputs")
    return result


def batch_size_of(arrays):
    sizes = {a.shape[0] for a in arrays.values() if a is not None}
    sizes.discard(1)
    if len(sizes) > 1:
        raise ModelError(f"inputs and targets have different batch sizes {sorted(sizes)}",
                         key="inputs")
    return sizes.pop() if sizes else 1


def target_array(model, times, target=None, scheme="euler", inputs=None):
    """Target rates r* on ``times`` as an array (B, T, N), or None without a target.

    ``target`` (shape (T, N) or (B, T, N)) replaces the model's target signal
    or teacher.
    """
    if model.target is None and target is None:
        return None
    if target is not None:
        array = np.asarray(target, dtype=float)
    elif model.target.signal is not None:
        array = model.target.signal.sample(times)
    elif model.target.teacher is not None:
        # The teacher runs on the student's time grid and inputs, whatever its own
        # file says about them.
        teacher = model.target.teacher.copy()
        teacher.dt, teacher.duration = model.dt, model.duration
        if inputs is None:
            inputs = {p.name: p.signal.sample(times) for p in model.inputs}
        traces = simulate(teacher, scheme=scheme, inputs=inputs)
        array = traces[f"r/{model.target.population}"]
        if array.ndim == 3:
            array = np.swapaxes(array, 0, 1)
    else:
        return None
    if array.ndim == 2:
        array = array[None]
    return array


# --- equilibrium and one step ------------------------------------------------------------


def initial_state(model, params, x0):
    """Membranes u and stored rates r⁻ at step 0, per population, shape (B, N)."""
    batch = next(iter(x0.values())).shape[0] if x0 else 1
    u, rates = {}, {}
    for name in model.order:
        population = model.population(name)
        if population.is_input:
            rates[name] = x0[name]
            continue
        if model.initial_state == "zero":
            u[name] = np.zeros((batch, population.size))
            rates[name] = np.broadcast_to(
                phi_function(population.phi)(np.zeros(population.size)),
                (batch, population.size)).copy()
            continue
        current = params.bias[name] + sum(
            rates[q.pre] @ params.weights[q.name].T for q in model.projections_to(name))
        current = np.broadcast_to(current, (batch, population.size)).copy()
        u[name] = current
        rates[name] = _rate_params(population, params, current, current)[1]
    return u, rates


def _decay(dt, tau, scheme):
    """Per-step weight of the old state: 1 − dt/τ (euler) or exp(−dt/τ) (exact)."""
    return 1.0 - dt / tau if scheme == "euler" else np.exp(-dt / tau)


def output_error_input(model, ubreve, rate, target_now):
    """β-scaled output error input α_N for MSE (rate target) or cross-entropy."""
    population = model.population(model.target.population)
    beta = model.target.beta
    if model.target.loss == "cross_entropy":
        shifted = rate - rate.max(axis=-1, keepdims=True)
        softmax = np.exp(shifted) / np.exp(shifted).sum(axis=-1, keepdims=True)
        return beta * (target_now - softmax)
    return beta * phi_prime_function(population.phi)(ubreve) * (target_now - rate)


def instantaneous_cost(model, rate, target_now):
    """Cost C per batch element: ½‖r* − r‖² (MSE) or the cross-entropy of softmax(r)."""
    if model.target.loss == "cross_entropy":
        shifted = rate - rate.max(axis=-1, keepdims=True)
        log_softmax = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
        return -(target_now * log_softmax).sum(axis=-1)
    return 0.5 * ((target_now - rate) ** 2).sum(axis=-1)


def _check_finite(name, array, step, dt, variable):
    if not np.all(np.isfinite(array)):
        raise DivergenceError(name, step, step * dt, variable)


# --- grid schemes ---------------------------------------------------------------------


def simulate(model, *, scheme=None, inputs=None, target=None, online=None,
             record=DEFAULT_RECORD, record_weights=False, params=None):
    """Run the reference simulator and return :class:`~circuits.traces.Traces`.

    Parameters
    ----------
    model : Model
    scheme : {"euler", "exact", "continuous"}, optional
        Defaults to ``model.scheme``.
    inputs : dict, optional
        Population name → array (T, N) or (B, T, N) replacing its signal.
    target : array, optional
        Target rates (T, N) or (B, T, N) replacing the model's target.
    online : Online, optional
        Error dynamics and plasticity; by default none run.
    record : iterable of str
        Variables to record: ``u``, ``ubreve``, ``r``, ``e``, ``v``, ``alpha``,
        ``I`` (total input), ``udot``. ``e`` is added when errors run.
    record_weights : bool
        Also record ``w/<projection>`` (T, post, pre) and ``b/<population>``.
    params : Parameters, optional
        Parameter values to start from (default: the model's). They are
        updated in place when plasticity runs.

    Returns
    -------
    Traces
        ``traces.params`` holds the parameters at the end of the run.
    """
    scheme = scheme or model.scheme
    if scheme not in SCHEMES:
        raise ModelError(f"unknown scheme {scheme!r}; expected one of {', '.join(SCHEMES)}",
                         key="scheme", value=scheme)
    online = online or Online()
    if online.errors is not None and online.errors not in ONLINE_ERROR_MODES:
        raise ModelError(
            f"error mode {online.errors!r} cannot run online; expected one of "
            f"{', '.join(ONLINE_ERROR_MODES)}",
            key="errors", value=online.errors,
        )
    if online.errors is not None and model.target is None and target is None:
        raise ModelError("errors need a target; add a [target] table", key="target")
    if online.errors is not None:
        for population in model.neurons:
            if population.variant == "nla":
                raise ModelError(
                    f"population '{population.name}': error neurons are defined for "
                    "the gle and le variants only",
                    key="variant", value="nla",
                )
    model.check_step(scheme)
    params = params or Parameters(model)
    record = set(record) | ({"e"} if online.errors else set())
    if scheme == "continuous":
        from .continuous import simulate_continuous

        traces = simulate_continuous(model, params, inputs, target, online, record,
                                     record_weights)
    else:
        traces = _simulate_grid(model, params, scheme, inputs, target, online, record,
                                record_weights)
    traces.meta.update({"backend": "reference", "scheme": scheme, "model": model.name})
    traces.params = params
    return traces


class _Plan:
    """Per-population constants of the grid loop, looked up once per run."""

    def __init__(self, model, population, params, scheme, online):
        self.population = population
        self.name = name = population.name
        self.incoming = [(q.pre, q.name, model.population(q.pre).is_input, q.plastic)
                         for q in model.projections_to(name)]
        self.outgoing = [(q.post, q.name) for q in model.projections_from(name)]
        self.phi = phi_function(population.phi)
        self.phi_prime = phi_prime_function(population.phi)
        # φ'(ŭ) from the rate r = φ(ŭ) where that is exact, to skip a second tanh.
        self.phi_prime_of_rate = _PHI_PRIME_OF_RATE.get(population.phi) \
            if population.variant != "nla" else None
        self.nla = population.variant == "nla"
        self.is_output = model.target is not None and model.target.population == name
        self.gain = (online.gain or {}).get(name, 1.0)
        self.update_constants(model, params, scheme)

    def update_constants(self, model, params, scheme):
        """Recompute what depends on the time constants (after they learn)."""
        tau_m, tau_r = params.tau_m[self.name], params.tau_r[self.name]
        self.k = tau_r / tau_m
        self.ratio = tau_m / tau_r
        self.decay_m = _decay(model.dt, tau_m, scheme)
        self.decay_r = _decay(model.dt, tau_r, scheme)


_NEURON_VARIABLES = ("u", "ubreve", "r", "e", "v", "alpha", "I", "udot")
_PHI_PRIME_OF_RATE = {
    "tanh": lambda rate: 1.0 - rate**2,
    "sigmoid": lambda rate: rate * (1.0 - rate),
}


def _simulate_grid(model, params, scheme, inputs, target, online, record,
                   record_weights):
    times = model.times()
    x = input_arrays(model, times, inputs)
    targets = target_array(model, times, target, scheme, inputs) \
        if online.errors or "loss" in record else None
    batch = batch_size_of({**x, "target": targets})
    x = {name: np.broadcast_to(a, (batch,) + a.shape[1:]) for name, a in x.items()}
    if targets is not None:
        targets = np.broadcast_to(targets, (batch,) + targets.shape[1:])

    u, stored_rate = initial_state(model, params, {n: a[:, 0] for n, a in x.items()})
    neurons = model.neurons
    plans = [_Plan(model, p, params, scheme, online) for p in neurons]
    v = {p.name: np.zeros((batch, p.size)) for p in neurons}
    stored_error = {p.name: np.zeros((batch, p.size)) for p in neurons}
    output = model.target.population if model.target else None
    integrate_errors = online.errors in ("local", "local_gain")
    learns_tau = online.eta_tau_m > 0 or online.eta_tau_r > 0

    out = {f"{var}/{p.name}": np.empty((len(times), batch, p.size))
           for p in neurons for var in record if var in _NEURON_VARIABLES}
    recorded = [(plan, var, out[f"{var}/{plan.name}"]) for plan in plans
                for var in _NEURON_VARIABLES if f"{var}/{plan.name}" in out]
    for population in model.inputs:
        out[f"r/{population.name}"] = np.swapaxes(x[population.name], 0, 1)
    if "loss" in record and targets is not None:
        out["loss"] = np.empty((len(times), batch))
    if record_weights:
        for q in model.projections:
            out[f"w/{q.name}"] = np.empty((len(times),) + q.weights.shape)
        for p in neurons:
            out[f"b/{p.name}"] = np.empty((len(times), p.size))

    for n in range(len(times)):
        rate_now, ubreve_now, current_now, error_now, alpha_now = {}, {}, {}, {}, {}
        pre_rates = dict(stored_rate)
        for name, array in x.items():
            pre_rates[name] = array[:, n]
        for plan in plans:
            name = plan.name
            current = params.bias[name]
            for pre, weights, _, _ in plan.incoming:
                current = current + pre_rates[pre] @ params.weights[weights].T
            if online.gamma:
                current = current + online.gamma * stored_error[name]
            drive = current - u[name]
            ubreve = u[name] + plan.k * drive
            if plan.nla:
                tau_m, tau_r = params.tau_m[name], params.tau_r[name]
                rate = plan.phi(u[name]) + tau_r * plan.phi_prime(u[name]) * drive / tau_m
            else:
                rate = plan.phi(ubreve)
            current_now[name], ubreve_now[name], rate_now[name] = current, ubreve, rate
        if online.errors:
            for plan in reversed(plans):
                name = plan.name
                ubreve = ubreve_now[name]
                if plan.outgoing:
                    feedback = 0.0
                    for post, weights in plan.outgoing:
                        feedback = feedback + stored_error[post] @ params.weights[weights]
                    gate = plan.phi_prime_of_rate(rate_now[name]) \
                        if plan.phi_prime_of_rate else plan.phi_prime(ubreve)
                    alpha = gate * feedback
                else:
                    alpha = np.zeros_like(ubreve)
                if plan.is_output:
                    alpha = alpha + output_error_input(model, ubreve, rate_now[name],
                                                       targets[:, n])
                alpha_now[name] = alpha
                if online.errors == "instantaneous":
                    error = alpha
                else:
                    error = v[name] + plan.ratio * (alpha - v[name])
                    if online.errors == "local_gain":
                        error = error * plan.gain
                error_now[name] = error
        for plan, variable, array in recorded:
            name = plan.name
            if variable == "u":
                array[n] = u[name]
            elif variable == "ubreve":
                array[n] = ubreve_now[name]
            elif variable == "r":
                array[n] = rate_now[name]
            elif variable == "e":
                array[n] = error_now[name]
            elif variable == "v":
                array[n] = v[name]
            elif variable == "alpha":
                array[n] = alpha_now[name]
            elif variable == "I":
                array[n] = current_now[name]
            else:
                array[n] = (current_now[name] - u[name]) / params.tau_m[name]
        if "loss" in out:
            out["loss"][n] = instantaneous_cost(model, rate_now[output], targets[:, n])
        if record_weights:
            for q in model.projections:
                out[f"w/{q.name}"][n] = params.weights[q.name]
            for p in neurons:
                out[f"b/{p.name}"][n] = params.bias[p.name]
        # State updates, all from the values of this step.
        learning_now = online.plastic and times[n] >= online.start - 1e-12
        checksum = 0.0
        for plan in plans:
            name = plan.name
            u_old = u[name]
            u[name] = plan.decay_m * u_old + (1.0 - plan.decay_m) * current_now[name]
            checksum += u[name].sum()
            if integrate_errors:
                v[name] = plan.decay_r * v[name] + (1.0 - plan.decay_r) * alpha_now[name]
                checksum += v[name].sum()
            stored_rate[name] = rate_now[name]
            if online.errors:
                stored_error[name] = error_now[name]
            if learning_now:
                udot = (current_now[name] - u_old) / params.tau_m[name]
                _plasticity(model, params, plan, online, pre_rates, error_now,
                            alpha_now, udot)
                if learns_tau:
                    plan.update_constants(model, params, scheme)
        # One sum per step detects NaN or inf anywhere; only then look for where.
        if not np.isfinite(checksum):
            _locate_divergence(plans, u, v, n, model.dt)
        if learning_now:
            _check_parameters(model, params, n)
    traces = Traces(t=times)
    for key, value in out.items():
        traces.data[key] = value[:, 0] if (batch == 1 and value.ndim == 3
                                          and not key.startswith("w/")) else value
    if "loss" in traces.data and batch == 1:
        traces.data["loss"] = traces.data["loss"][:, 0]
    return traces


def _locate_divergence(plans, u, v, step, dt):
    """Raise DivergenceError for the first population whose u or v is not finite."""
    for plan in plans:
        for variable, values in (("u", u), ("v", v)):
            _check_finite(plan.name, values[plan.name], step, dt, variable)


def _rate_params(population, params, u, current):
    """Prospective potential ŭ and rate r for membrane u and total input I."""
    name = population.name
    tau_m, tau_r = params.tau_m[name], params.tau_r[name]
    drive = current - u
    ubreve = u + (tau_r / tau_m) * drive
    phi = phi_function(population.phi)
    if population.variant == "nla":
        rate = phi(u) + tau_r * phi_prime_function(population.phi)(u) * drive / tau_m
    else:
        rate = phi(ubreve)
    return ubreve, rate


def _plasticity(model, params, plan, online, pre_rates, errors, alphas, udot):
    """One step of Ẇ = η e rᵀ, ḃ = η e, τ̇_m = −η_τ e u̇, τ̇_r = +η_τ α u̇.

    Without ``online.optimizer`` this is SGD with step η·dt. With an optimizer
    the batch-mean descent directions go to ``optimizer.step`` with the same
    step size. Learned time constants are clamped to at least ``tau_min``
    after every update in both cases.
    """
    name = plan.name
    dt = model.dt
    error = errors[name]
    if online.optimizer is not None:
        _optimizer_step(params, plan, online, dt, pre_rates, error, alphas[name]
                        if name in alphas else None, udot)
        return
    if online.eta > 0:
        for pre, weights, _, plastic in plan.incoming:
            if plastic:
                params.weights[weights] += online.eta * dt * (
                    error.T @ pre_rates[pre]) / error.shape[0]
        if online.learn_biases:
            params.bias[name] += online.eta * dt * error.mean(axis=0)
    if online.eta_tau_m > 0:
        params.tau_m[name] = np.maximum(
            params.tau_m[name] - online.eta_tau_m * dt * (error * udot).mean(axis=0),
            online.tau_min)
    if online.eta_tau_r > 0:
        params.tau_r[name] = np.maximum(
            params.tau_r[name] + online.eta_tau_r * dt * (alphas[name] * udot).mean(axis=0),
            online.tau_min)


def _optimizer_step(params, plan, online, dt, pre_rates, error, alpha, udot):
    """The updates of :func:`_plasticity` delegated to ``online.optimizer``."""
    name = plan.name
    step = online.optimizer.step
    if online.eta > 0:
        for pre, weights, _, plastic in plan.incoming:
            if plastic:
                step(f"w/{weights}", params.weights[weights],
                     error.T @ pre_rates[pre] / error.shape[0], online.eta * dt)
        if online.learn_biases:
            step(f"b/{name}", params.bias[name], error.mean(axis=0), online.eta * dt)
    if online.eta_tau_m > 0:
        step(f"tau_m/{name}", params.tau_m[name], -(error * udot).mean(axis=0),
             online.eta_tau_m * dt)
        np.maximum(params.tau_m[name], online.tau_min, out=params.tau_m[name])
    if online.eta_tau_r > 0:
        step(f"tau_r/{name}", params.tau_r[name], (alpha * udot).mean(axis=0),
             online.eta_tau_r * dt)
        np.maximum(params.tau_r[name], online.tau_min, out=params.tau_r[name])


def _check_parameters(model, params, step):
    """Raise DivergenceError when a learned parameter is not finite."""
    total = sum(w.sum() for w in params.weights.values())
    for group in (params.bias, params.tau_m, params.tau_r):
        total += sum(values.sum() for values in group.values())
    if np.isfinite(total):
        return
    for q in model.projections:
        _check_finite(q.post, params.weights[q.name], step, model.dt, f"w/{q.name}")
    for p in model.neurons:
        for variable in ("bias", "tau_m", "tau_r"):
            _check_finite(p.name, getattr(params, variable)[p.name], step, model.dt,
                          variable)
