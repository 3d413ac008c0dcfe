"""Adjoints of a recorded forward run: continuous-time λ and the discrete reverse mode.

Both work on a :class:`Forward` record, a run of the grid reference without
error feedback (γ = 0) and without plasticity.

Continuous-time adjoint (offline, anti-causal)::

    λ_P = k α_P + (1 − k) I⁺_{τm}[α_P],   k = τ_r/τ_m,   λ_P(T) = k α_P(T)
    α_P = φ'(ŭ_P) ⊙ Σ_q W_qᵀ λ_post(q)   [+ β φ'(ŭ)(r* − r) at the target, MSE]
                                          [+ β (r* − softmax(r)), cross-entropy]

The anti-causal low-pass z = I⁺_{τm}[α] is one backward sweep
z_n = a z_{n+1} + (1 − a) α_n with a = exp(−dt/τ_m) and z = 0 at the last
grid point, exact for α held constant on each [t_n, t_{n+1}). Layers are
swept from the output down, all at the same time index (no delay). The
result approximates the adjoint of the ODEs to O(dt).

Discrete adjoint (:func:`discrete_gradients`): reverse-mode differentiation,
derived by hand, of the exact map that the ``euler`` and ``exact`` schemes
apply, including the one-step delay of stored rates, the ŭ read-out and the
parameter-dependent equilibrium start u(0) = I(0). It returns ∂L/∂θ of the
grid loss L = mean_batch Σ_n dt·C_n to rounding precision.
"""

from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

from .errors import ModelError
from .phi import phi_prime as phi_prime_function
from .phi import phi_second as phi_second_function
from . import reference as ref


def as_time_batch(array):
    """View a trace (T, N) or (T, B, N) as (T, B, N)."""
    array = np.asarray(array)
    return array[:, None, :] if array.ndim == 2 else array


@dataclass
class Forward:
    """The quantities of a recorded grid run that the gradients need.

    Arrays are (T, B, N). ``pre[q]`` is the presynaptic rate that projection
    ``q`` delivered at step n (the input x_n, or the rate stored at step
    n − 1); ``initial_rate`` contains the stored rates at step 0.
    """

    model: object
    params: object
    scheme: str
    traces: object
    u: dict
    ubreve: dict
    r: dict
    current: dict
    pre: dict
    target: np.ndarray
    initial_rate: dict

    @property
    def dt(self):
        return self.model.dt

    @property
    def batch(self):
        return self.target.shape[1]

    def udot(self, name):
        """u̇ = (I − u)/τ_m at every step, (T, B, N)."""
        return (self.current[name] - self.u[name]) / self.params.tau_m[name]

    def cost(self):
        """Instantaneous cost C_n per batch element, (T, B)."""
        return ref.instantaneous_cost(self.model, self.r[self.model.target.population],
                                      self.target)

    def loss(self):
        """L = mean over the batch of Σ_n dt·C_n on the recorded grid."""
        return float(self.dt * self.cost().sum(axis=0).mean())


def record_forward(model, traces, params, scheme, target):
    """Build a :class:`Forward` from traces recorded with u, ubreve, r and I.

    ``target`` is the target array (B, T, N) used for the run.
    """
    neurons = model.neurons
    u = {p.name: as_time_batch(traces[f"u/{p.name}"]) for p in neurons}
    ubreve = {p.name: as_time_batch(traces[f"ubreve/{p.name}"]) for p in neurons}
    rate = {p.name: as_time_batch(traces[f"r/{p.name}"]) for p in neurons}
    current = {p.name: as_time_batch(traces[f"I/{p.name}"]) for p in neurons}
    batch = u[neurons[0].name].shape[1]
    inputs = {p.name: np.broadcast_to(as_time_batch(traces[f"r/{p.name}"]),
                                      (len(traces.t), batch, p.size))
              for p in model.inputs}
    _, initial_rate = ref.initial_state(model, params,
                                        {name: x[0] for name, x in inputs.items()})
    rate.update(inputs)
    pre = {}
    for q in model.projections:
        if model.population(q.pre).is_input:
            pre[q.name] = inputs[q.pre]
        else:
            start = np.broadcast_to(initial_rate[q.pre], (1, batch, rate[q.pre].shape[2]))
            pre[q.name] = np.concatenate([start, rate[q.pre][:-1]], axis=0)
    target = np.broadcast_to(np.swapaxes(target, 0, 1),
                             (len(traces.t), batch, target.shape[2]))
    return Forward(model, params, scheme, traces, u, ubreve, rate, current, pre, target,
                   initial_rate)


# --- continuous-time adjoint --------------------------------------------------------------


def anticausal_lowpass(alpha, tau, dt):
    """z = I⁺_τ[α] by the backward ZOH sweep, z = 0 at the last sample.

    ``alpha`` has shape (T, B, N); ``tau`` shape (N,).
    """
    result = np.empty_like(alpha)
    reversed_alpha = alpha[::-1].copy()
    reversed_alpha[0] = 0.0
    for j, tau_j in enumerate(np.broadcast_to(tau, alpha.shape[2:])):
        a = np.exp(-dt / tau_j)
        result[::-1, :, j] = lfilter([1.0 - a], [1.0, -a], reversed_alpha[:, :, j], axis=0)
    return result


def continuous_adjoint(forward):
    """Sweep λ and α of every neuron population, dicts of (T, B, N) arrays (β included).

    NOTE: the start state's dependence on θ (equilibrium start u(0) = I(0)) has
    no term here, so gradients from λ miss that boundary contribution; the
    discrete adjoint includes it.
    """
    model, params = forward.model, forward.params
    output = model.target.population
    lam, alpha = {}, {}
    for population in reversed(model.neurons):
        name = population.name
        if population.variant == "nla":
            raise ModelError(f"population '{name}': the adjoint is defined for the gle "
                             "and le variants only", key="variant", value="nla")
        gate = phi_prime_function(population.phi)(forward.ubreve[name])
        feedback = np.zeros_like(gate)
        for q in model.projections_from(name):
            feedback = feedback + lam[q.post] @ params.weights[q.name]
        alpha[name] = gate * feedback
        if name == output:
            alpha[name] = alpha[name] + ref.output_error_input(
                model, forward.ubreve[name], forward.r[name], forward.target)
        k = params.tau_r[name] / params.tau_m[name]
        lowpass = anticausal_lowpass(alpha[name], params.tau_m[name], model.dt)
        lam[name] = k * alpha[name] + (1.0 - k) * lowpass
    return lam, alpha


# --- discrete adjoint ---------------------------------------------------------------------


def _rate_partials(population, u, current, k):
    """∂r/∂u, ∂r/∂I and ∂r/∂k of the read-out of one population."""
    phi_prime = phi_prime_function(population.phi)
    drive = current - u
    if population.variant == "nla":
        slope = phi_prime(u)
        curvature = phi_second_function(population.phi)(u)
        return slope + k * curvature * drive - k * slope, k * slope, slope * drive
    slope = phi_prime(u + k * drive)
    return slope * (1.0 - k), slope * k, slope * drive


def _decay_derivative(dt, tau, scheme):
    """∂a/∂τ of the per-step decay a (1 − dt/τ or exp(−dt/τ))."""
    if scheme == "euler":
        return dt / tau**2
    return np.exp(-dt / tau) * dt / tau**2


def _loss_seed(model, rate, target):
    """∂C/∂r at the target population for MSE or cross-entropy."""
    if model.target.loss == "cross_entropy":
        shifted = rate - rate.max(axis=-1, keepdims=True)
        softmax = np.exp(shifted) / np.exp(shifted).sum(axis=-1, keepdims=True)
        return softmax * target.sum(axis=-1, keepdims=True) - target
    return rate - target


def discrete_gradients(forward):
    """Exact ∂L/∂θ of the grid loss by reverse mode through the recorded run.

    Returns
    -------
    dict
        ``w/<projection>``, ``b/<population>``, ``tau_m/<population>`` and
        ``tau_r/<population>`` → arrays shaped like the parameters.
    """
    model, params, dt = forward.model, forward.params, forward.dt
    neurons = model.neurons
    output = model.target.population
    steps, batch = forward.target.shape[:2]
    seed = _loss_seed(model, forward.r[output], forward.target) * (dt / batch)
    grad = _zero_gradients(model)
    bar_u = {p.name: np.zeros((batch, p.size)) for p in neurons}
    bar_stored = {p.name: np.zeros((batch, p.size)) for p in neurons}
    bar_k = {p.name: np.zeros(p.size) for p in neurons}
    decay = {p.name: ref._decay(dt, params.tau_m[p.name], forward.scheme) for p in neurons}
    for n in range(steps - 1, -1, -1):
        bar_current = {}
        for population in neurons:
            name = population.name
            k = params.tau_r[name] / params.tau_m[name]
            u, current = forward.u[name][n], forward.current[name][n]
            bar_rate = bar_stored[name] + (seed[n] if name == output else 0.0)
            by_u, by_current, by_k = _rate_partials(population, u, current, k)
            a = decay[name]
            bar_current[name] = bar_u[name] * (1.0 - a) + bar_rate * by_current
            grad[f"tau_m/{name}"] += (bar_u[name] * (u - current)).sum(axis=0) * \
                _decay_derivative(dt, params.tau_m[name], forward.scheme)
            bar_k[name] += (bar_rate * by_k).sum(axis=0)
            bar_u[name] = bar_u[name] * a + bar_rate * by_u
        bar_stored = {p.name: np.zeros((batch, p.size)) for p in neurons}
        for q in model.projections:
            grad[f"w/{q.name}"] += bar_current[q.post].T @ forward.pre[q.name][n]
            if q.pre in bar_stored:
                bar_stored[q.pre] += bar_current[q.post] @ params.weights[q.name]
        for population in neurons:
            grad[f"b/{population.name}"] += bar_current[population.name].sum(axis=0)
    _equilibrium_backward(forward, bar_u, bar_stored, grad)
    for population in neurons:
        name = population.name
        tau_m, tau_r = params.tau_m[name], params.tau_r[name]
        grad[f"tau_m/{name}"] += bar_k[name] * (-tau_r / tau_m**2)
        grad[f"tau_r/{name}"] += bar_k[name] / tau_m
    return grad


def _equilibrium_backward(forward, bar_u, bar_stored, grad):
    """Add the gradient through the start u(0) = I_eq, r⁻(0) = φ(I_eq)."""
    model, params = forward.model, forward.params
    if model.initial_state != "equilibrium":
        return
    bar_rate = {name: value.copy() for name, value in bar_stored.items()}
    for population in reversed(model.neurons):
        name = population.name
        equilibrium = forward.u[name][0]
        slope = phi_prime_function(population.phi)(equilibrium)
        bar_current = bar_u[name] + bar_rate[name] * slope
        grad[f"b/{name}"] += bar_current.sum(axis=0)
        for q in model.projections_to(name):
            grad[f"w/{q.name}"] += bar_current.T @ forward.pre[q.name][0]
            if q.pre in bar_rate:
                bar_rate[q.pre] += bar_current @ params.weights[q.name]


def _zero_gradients(model):
    grad = {f"w/{q.name}": np.zeros(q.weights.shape) for q in model.projections}
    for p in model.neurons:
        for key in ("b", "tau_m", "tau_r"):
            grad[f"{key}/{p.name}"] = np.zeros(p.size)
    return grad
