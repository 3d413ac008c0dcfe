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

import math
from dataclasses import dataclass

import numpy as np
from .errors import DivergenceError, ModelError
from .model import ONLINE_ERROR_MODES, SCHEMES
from .optimizers import make_optimizer, split
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
        # file sets for them.
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


def check_error_target(model, target=None):
    """Raise ModelError unless error neurons have target rates to compare with."""
    if target is not None:
        return
    if model.target is None:
        raise ModelError("errors need a target; add a [target] table", key="target")
    if model.target.signal is None and model.target.teacher is None:
        raise ModelError(
            "the [target] table has neither a signal nor a teacher, so error neurons "
            "have nothing to compare with; add one, pass target arrays in Python, or "
            "use --dataset mnist1d with vle train or vle crosscheck",
            key="target", value=model.target.population)


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


def _softmax_terms(rate):
    """Shifted rates s = r − max r, exp(s) and Σ exp(s): what softmax and its log share."""
    shifted = rate - rate.max(axis=-1, keepdims=True)
    exponent = np.exp(shifted)
    return shifted, exponent, exponent.sum(axis=-1, keepdims=True)


def output_error_input(model, ubreve, rate, target_now, terms=None, phi_prime=None):
    """β-scaled output error input α_N for MSE (rate target) or cross-entropy.

    ``terms`` (:func:`_softmax_terms` of ``rate``) and ``phi_prime`` (φ'(ŭ))
    skip recomputing what the caller already has.
    """
    beta = model.target.beta
    if model.target.loss == "cross_entropy":
        _, exponent, total = terms or _softmax_terms(rate)
        return beta * (target_now - exponent / total)
    if phi_prime is None:
        phi_prime = phi_prime_function(model.population(model.target.population).phi)(ubreve)
    return beta * phi_prime * (target_now - rate)


def instantaneous_cost(model, rate, target_now, terms=None):
    """Cost C per batch element: ½‖r* − r‖² (MSE) or the cross-entropy of softmax(r).

    ``terms`` are :func:`_softmax_terms` of ``rate`` when the caller has them.
    """
    if model.target.loss == "cross_entropy":
        shifted, _, total = terms or _softmax_terms(rate)
        return -(target_now * (shifted - np.log(total))).sum(axis=-1)
    return 0.5 * ((target_now - rate) ** 2).sum(axis=-1)


def _check_finite(name, array, step, dt, variable):
    if not np.all(np.isfinite(array)):
        raise DivergenceError(name, step, step * dt, variable)


# --- grid schemes ---------------------------------------------------------------------


def simulate(model, *, scheme=None, inputs=None, target=None, online=None,
             record=DEFAULT_RECORD, record_weights=False, params=None, record_errors=True):
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
    record_errors : bool
        Add ``e`` to ``record`` when errors run (default). Training, which
        reads only the loss, switches it off.

    Returns
    -------
    Traces
        ``traces.params`` contains the parameters at the end of the run.
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
    if online.errors is not None:
        check_error_target(model, target)
    elif set(record) & {"e", "v", "alpha"}:
        raise ModelError(
            f"recording {sorted(set(record) & {'e', 'v', 'alpha'})} needs error neurons; "
            "pass online=Online(errors=\"local\") or leave these variables out",
            key="record", value=sorted(record))
    if online.errors is not None:
        for population in model.neurons:
            if population.variant == "nla":
                raise ModelError(
                    f"population '{population.name}': error neurons are defined for "
                    "the gle and le variants only",
                    key="variant", value="nla",
                )
    model.check_step(scheme)
    batch = max([np.shape(a)[0] for a in (inputs or {}).values() if np.ndim(a) == 3],
                default=1)
    check_record_size(model, batch, set(record) | {"r"})
    params = params or Parameters(model)
    record = set(record) | ({"e"} if online.errors and record_errors else set())
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
    """One neuron population in the grid loop: its constants and its state.

    The constants are looked up once per run. Per-neuron constants are stored
    broadcast to the state's shape (B, N) because NumPy multiplies arrays of
    equal shape faster. Between steps the plan stores u, v, the stored rate r⁻
    and the stored error e⁻. Within a step it also stores the values of that
    step (``current`` = I, ``ubreve``, ``rate_now``, ``alpha``,
    ``error_now``), which the recording and the updates read.
    """

    def __init__(self, model, population, params, scheme, online, u, v, rate):
        self.population = population
        self.name = name = population.name
        self.bias = params.bias[name]
        self.incoming = [(q.pre, params.weights[q.name]) for q in model.projections_to(name)]
        self.outgoing = []  # (plan of the post population, weights), set by _make_plans
        self.phi = phi_function(population.phi)
        self.phi_prime = phi_prime_function(population.phi)
        # φ'(ŭ) from the rate r = φ(ŭ) where that is exact, to skip a second tanh.
        self.phi_prime_of_rate = _PHI_PRIME_OF_RATE.get(population.phi) \
            if population.variant != "nla" else None
        self.needs_gate = False  # whether backward multiplies by φ'(ŭ); see _make_plans
        self.nla = population.variant == "nla"
        self.is_output = model.target is not None and model.target.population == name
        self.u, self.v, self.rate, self.error = u, v, rate, np.zeros_like(u)
        self.gain = self._full((online.gain or {}).get(name, 1.0))
        self.current = self.ubreve = self.rate_now = self.alpha = self.error_now = None
        self.update_constants(model, params, scheme)

    def update_constants(self, model, params, scheme):
        """Recompute what depends on the time constants (after they learn)."""
        self.tau_m, self.tau_r = tau_m, tau_r = params.tau_m[self.name], params.tau_r[self.name]
        decay_m, decay_r = _decay(model.dt, tau_m, scheme), _decay(model.dt, tau_r, scheme)
        self.k, self.ratio = self._full(tau_r / tau_m), self._full(tau_m / tau_r)
        self.decay_m, self.gain_m = self._full(decay_m), self._full(1.0 - decay_m)
        self.decay_r, self.gain_r = self._full(decay_r), self._full(1.0 - decay_r)

    def _full(self, value):
        """``value`` per neuron (or one for all) as a C-contiguous array of the state's shape."""
        return np.ascontiguousarray(np.broadcast_to(np.asarray(value, dtype=float),
                                                    self.u.shape))

    @property
    def udot(self):
        """u̇ = (I − u)/τ_m of this step (u before its update)."""
        return (self.current - self.u) / self.tau_m

    def forward(self, rates, gamma):
        """I = Σ_q W_q r⁻_pre + b + γ e⁻, ŭ = u + k (I − u), r = φ(ŭ) (nla: prospective)."""
        current = self.bias
        for pre, weights in self.incoming:
            current = current + rates[pre] @ weights.T
        if gamma:
            current = current + gamma * self.error
        drive = current - self.u
        self.current, self.ubreve = current, self.u + self.k * drive
        if self.nla:
            self.rate_now = self.phi(self.u) + \
                self.tau_r * self.phi_prime(self.u) * drive / self.tau_m
        else:
            self.rate_now = self.phi(self.ubreve)

    def gate(self):
        """φ'(ŭ), from the rate r = φ(ŭ) where that is exact (tanh, sigmoid)."""
        return self.phi_prime_of_rate(self.rate_now) if self.phi_prime_of_rate \
            else self.phi_prime(self.ubreve)

    def backward(self, mode, model, target_now, terms):
        """α = φ'(ŭ) ⊙ Σ_q W_qᵀ e⁻_post (+ the output error input), then e of ``mode``."""
        gate = self.gate() if self.needs_gate else None
        alpha = None
        for post, weights in self.outgoing:
            term = post.error @ weights
            alpha = term if alpha is None else alpha + term
        if alpha is not None and gate is not None:
            alpha = alpha * gate
        if self.is_output:
            term = output_error_input(model, self.ubreve, self.rate_now, target_now, terms,
                                      gate)
            alpha = term if alpha is None else alpha + term
        if alpha is None:
            alpha = np.zeros_like(self.ubreve)
        self.alpha = alpha
        if mode == "instantaneous":
            self.error_now = alpha
        else:
            error = self.v + self.ratio * (alpha - self.v)
            self.error_now = error * self.gain if mode == "local_gain" else error

    def update(self, integrate_errors):
        """u ← a_m u + (1 − a_m) I, v ← a_r v + (1 − a_r) α, in place."""
        self.u *= self.decay_m
        self.u += self.gain_m * self.current
        if integrate_errors:
            self.v *= self.decay_r
            self.v += self.gain_r * self.alpha


_PHI_PRIME_OF_RATE = {
    "tanh": lambda rate: 1.0 - rate**2,
    "sigmoid": lambda rate: rate * (1.0 - rate),
}
# Recorded neuron variables and the _Plan attributes that hold them during a step.
_RECORDED_ATTRIBUTE = {"u": "u", "ubreve": "ubreve", "r": "rate_now", "e": "error_now",
                       "v": "v", "alpha": "alpha", "I": "current", "udot": "udot"}
_NEURON_VARIABLES = tuple(_RECORDED_ATTRIBUTE)


def _time_major(arrays, batch):
    """name → C-contiguous array (T, B, N) from (1 or B, T, N), so that [n] is one step."""
    return {name: np.ascontiguousarray(np.swapaxes(
        np.broadcast_to(a, (batch,) + a.shape[1:]), 0, 1)) for name, a in arrays.items()}


def _make_plans(model, params, scheme, online, x, batch):
    """Plans of the neuron populations in order, starting from the initial state.

    Also returns one array with the u of all populations and one with their v.
    Each plan's u and v are views into them and are updated in place, so one
    sum per step checks the whole state for NaN or inf.
    """
    u0, rates = initial_state(model, params, {name: a[0] for name, a in x.items()})
    shapes = [np.broadcast_to(u0[p.name], (batch, p.size)) for p in model.neurons]
    u_all = np.concatenate([a.ravel() for a in shapes])
    v_all = np.zeros_like(u_all)
    plans = [_Plan(model, p, params, scheme, online, u, v, rates[p.name])
             for p, u, v in zip(model.neurons, split(u_all, shapes), split(v_all, shapes))]
    by_name = {plan.name: plan for plan in plans}
    for plan in plans:
        plan.outgoing = [(by_name[q.post], params.weights[q.name])
                         for q in model.projections_from(plan.name)]
        # A linear φ has φ' = 1, and the cross-entropy output input has no φ'.
        plan.needs_gate = plan.population.phi != "linear" and bool(
            plan.outgoing or plan.is_output and model.target.loss != "cross_entropy")
    return plans, u_all, v_all


# Recorded traces larger than this are refused before a run starts.
MAX_RECORD_BYTES = 8 * 2**30


def check_record_size(model, batch, variables):
    """Raise ModelError when recording ``variables`` would need more than MAX_RECORD_BYTES."""
    neurons = sum(p.size for p in model.populations)
    needed = 8 * model.n_steps * batch * neurons * max(len(variables), 1)
    if needed > MAX_RECORD_BYTES:
        raise ModelError(
            f"the run has {model.n_steps} steps (duration / dt) and its traces would "
            f"need {needed / 2**30:.1f} GiB of memory; shorten duration, raise dt, or "
            "record fewer variables",
            key="duration", value=model.duration,
        )


def _simulate_grid(model, params, scheme, inputs, target, online, record,
                   record_weights):
    times = model.times()
    x = input_arrays(model, times, inputs)
    targets = target_array(model, times, target, scheme, inputs) \
        if online.errors or "loss" in record else None
    batch = batch_size_of({**x, "target": targets})
    x = _time_major(x, batch)
    if targets is not None:
        targets = _time_major({"target": targets}, batch)["target"]
    plans, u_all, v_all = _make_plans(model, params, scheme, online, x, batch)
    output = next((plan for plan in plans if plan.is_output), None)
    rates = {plan.name: plan.rate for plan in plans}  # r⁻, and x_n for the inputs
    out, recorded = _record_arrays(model, plans, record, record_weights, x, targets, batch)
    learning = (online.plastic & (times >= online.start - 1e-12)).tolist()
    plasticity = _Plasticity(model, params, plans, online, scheme, batch) \
        if any(learning) else None
    integrate_errors = online.errors in ("local", "local_gain")
    softmax_needed = output is not None and model.target.loss == "cross_entropy" and (
        online.errors or "loss" in out)

    # NOTE: an MNIST-1D epoch (batch 100) needs about 10 s of CPU time, most of it in about
    # 230 small NumPy calls per step rather than in the matrix products; see docs/benchmarks.md.
    for n in range(len(times)):
        for name, array in x.items():
            rates[name] = array[n]
        for plan in plans:
            plan.forward(rates, online.gamma)
        terms = _softmax_terms(output.rate_now) if softmax_needed else None
        if online.errors:
            for plan in reversed(plans):
                plan.backward(online.errors, model, targets[n], terms)
        for plan, attribute, array in recorded:
            array[n] = getattr(plan, attribute)
        if "loss" in out:
            out["loss"][n] = instantaneous_cost(model, output.rate_now, targets[n], terms)
        if record_weights:
            _record_parameters(out, model, params, n)
        # Updates, all from the values of this step (the rates r⁻ are still in `rates`).
        checksum = plasticity.step(rates) if learning[n] else 0.0
        for plan in plans:
            plan.update(integrate_errors)
        checksum += u_all.sum() + (v_all.sum() if integrate_errors else 0.0)
        if learning[n] and plasticity.learns_tau:
            for plan in plans:
                plan.update_constants(model, params, scheme)
        for plan in plans:
            rates[plan.name] = plan.rate = plan.rate_now
            plan.error = plan.error_now
        # One sum per step detects NaN or inf anywhere; only then look for where.
        if not math.isfinite(checksum):
            _locate_divergence(model, params, plans, n, learning[n])
    return _traces(times, out, batch)


def _record_arrays(model, plans, record, record_weights, x, targets, batch):
    """Output arrays (T, B, N) by trace key, and (plan, attribute, array) to fill per step."""
    steps = len(model.times())
    out = {f"{var}/{plan.name}": np.empty((steps, batch, plan.population.size))
           for plan in plans for var in record if var in _NEURON_VARIABLES}
    recorded = [(plan, _RECORDED_ATTRIBUTE[var], out[f"{var}/{plan.name}"])
                for plan in plans for var in _NEURON_VARIABLES if f"{var}/{plan.name}" in out]
    for name, array in x.items():
        out[f"r/{name}"] = array
    if "loss" in record and targets is not None:
        out["loss"] = np.empty((steps, batch))
    if record_weights:
        for q in model.projections:
            out[f"w/{q.name}"] = np.empty((steps,) + q.weights.shape)
        for p in model.neurons:
            out[f"b/{p.name}"] = np.empty((steps, p.size))
    return out, recorded


def _record_parameters(out, model, params, step):
    for q in model.projections:
        out[f"w/{q.name}"][step] = params.weights[q.name]
    for p in model.neurons:
        out[f"b/{p.name}"][step] = params.bias[p.name]


def _traces(times, out, batch):
    """Traces from the output arrays; batch 1 drops the batch axis."""
    traces = Traces(t=times)
    for key, value in out.items():
        traces.data[key] = value[:, 0] if (batch == 1 and value.ndim == 3
                                          and not key.startswith("w/")) else value
    if "loss" in traces.data and batch == 1:
        traces.data["loss"] = traces.data["loss"][:, 0]
    return traces


def _locate_divergence(model, params, plans, step, learned):
    """Raise DivergenceError for the first population whose u or v is not finite,
    else (after a learning step) for the first learned parameter that is not finite."""
    for plan in plans:
        _check_finite(plan.name, plan.u, step, model.dt, "u")
        _check_finite(plan.name, plan.v, step, model.dt, "v")
    if learned:
        _check_parameters(model, params, step)


class _Plasticity:
    """The online parameter updates of one run (the last four lines of one step).

    The batch-mean descent directions of all plastic weights and biases are
    written into one flat buffer, so that an optimizer moves them all with one
    ``step_group`` call per grid step.
    """

    def __init__(self, model, params, plans, online, scheme, batch):
        if online.errors is None:
            raise ModelError("plasticity needs error neurons; set errors to local, "
                             "instantaneous or local_gain", key="errors")
        self.online, self.params, self.plans = online, params, plans
        self.dt, self.batch = model.dt, batch
        self.learns_tau = online.eta_tau_m > 0 or online.eta_tau_r > 0
        weights = [(plan, q.pre, params.weights[q.name], f"w/{q.name}") for plan in plans
                   for q in model.projections_to(plan.name) if q.plastic and online.eta > 0]
        biases = [(plan, params.bias[plan.name], f"b/{plan.name}") for plan in plans
                  if online.learn_biases and online.eta > 0]
        self.values = [w for _, _, w, _ in weights] + [b for _, b, _ in biases]
        self.key = tuple(key for *_, key in weights) + tuple(key for *_, key in biases)
        self.descent = np.empty(sum(value.size for value in self.values))
        self.parts = list(split(self.descent, self.values))
        self.weights = [(plan, pre, part) for (plan, pre, _, _), part
                        in zip(weights, self.parts)]
        self.biases = [(plan, part) for (plan, _, _), part
                       in zip(biases, self.parts[len(weights):])]

    def step(self, rates):
        """Update the parameters from this step's errors and the rates r⁻; return their sum.

        The descent directions are the batch means of e r⁻ᵀ and e. Built-in
        SGD scales them by η dt first, as in (η dt Σ_batch e r⁻ᵀ)/B. Dividing
        by a batch of 1 is exact, so it is skipped.
        """
        sgd, eta_dt, batch = self.online.optimizer is None, self.online.eta * self.dt, \
            self.batch
        for plan, pre, descent in self.weights:
            if batch == 1:  # the same product as the matmul below, without its overhead
                np.multiply(plan.error_now.T, rates[pre], out=descent)
            else:
                np.matmul(plan.error_now.T, rates[pre], out=descent)  # Σ_batch e r⁻ᵀ
            if sgd:
                descent *= eta_dt
            if batch > 1:
                descent /= batch
        for plan, descent in self.biases:
            np.add.reduce(plan.error_now, axis=0, out=descent)  # Σ_batch e
            if batch > 1:
                descent /= batch
            if sgd:
                descent *= eta_dt
        if sgd:
            for value, descent in zip(self.values, self.parts):
                value += descent
        elif self.values:
            self.online.optimizer.step_group(self.key, self.values, self.descent, eta_dt)
        total = sum(np.add.reduce(value, axis=None) for value in self.values)
        if self.learns_tau:
            for plan in self.plans:
                total += self._time_constants(plan)
        return total

    def _time_constants(self, plan):
        """τ̇_m = −η_τm e u̇, τ̇_r = +η_τr α u̇, clamped to τ_min; return their sum."""
        online, params, dt, name = self.online, self.params, self.dt, plan.name
        udot = plan.udot
        if online.optimizer is None:
            if online.eta_tau_m > 0:
                params.tau_m[name] = np.maximum(
                    params.tau_m[name] - online.eta_tau_m * dt * (plan.error_now * udot).mean(
                        axis=0), online.tau_min)
            if online.eta_tau_r > 0:
                params.tau_r[name] = np.maximum(
                    params.tau_r[name] + online.eta_tau_r * dt * (plan.alpha * udot).mean(
                        axis=0), online.tau_min)
        else:
            step = online.optimizer.step
            if online.eta_tau_m > 0:
                step(f"tau_m/{name}", params.tau_m[name],
                     -(plan.error_now * udot).mean(axis=0), online.eta_tau_m * dt)
                np.maximum(params.tau_m[name], online.tau_min, out=params.tau_m[name])
            if online.eta_tau_r > 0:
                step(f"tau_r/{name}", params.tau_r[name], (plan.alpha * udot).mean(axis=0),
                     online.eta_tau_r * dt)
                np.maximum(params.tau_r[name], online.tau_min, out=params.tau_r[name])
        return params.tau_m[name].sum() + params.tau_r[name].sum()



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
