"""Measurements on error traces and gradients: cosines, frequency response, energy."""

import numpy as np

from .adjoint import as_time_batch
from .phi import phi_prime as phi_prime_function
from . import reference as ref


def cosine(a, b):
    """Cosine similarity of two arrays, flattened; NaN when either is zero."""
    a, b = np.ravel(a), np.ravel(b)
    norm = np.linalg.norm(a) * np.linalg.norm(b)
    return float(a @ b / norm) if norm > 0 else float("nan")


def cosines(gradients_a, gradients_b, keys=None):
    """Cosine similarity per parameter key of two gradient dicts."""
    keys = keys or [k for k in gradients_a if k in gradients_b]
    return {key: cosine(gradients_a[key], gradients_b[key]) for key in keys}


def relative_error(estimate, reference):
    """‖estimate − reference‖ / ‖reference‖ (absolute error when the reference is 0)."""
    difference = np.linalg.norm(np.ravel(estimate) - np.ravel(reference))
    scale = np.linalg.norm(np.ravel(reference))
    return float(difference / scale) if scale > 0 else float(difference)


def complex_amplitude(t, y, frequency, start=None, stop=None):
    """Complex amplitude A of the component at ``frequency`` (Hz), y ≈ Re(A e^{iωt}).

    Projects y onto cos and sin over the largest whole number of periods
    inside [start, stop], so |A| is the amplitude and arg A the phase
    (y = sin ωt gives A = −i, phase −π/2). ``y`` may have trailing axes.
    """
    t = np.asarray(t)
    start = t[0] if start is None else start
    stop = t[-1] if stop is None else stop
    period = 1.0 / frequency
    periods = np.floor((stop - start) / period + 1e-9)
    if periods < 1:
        raise ValueError(f"the window [{start:g}, {stop:g}] s is shorter than one period "
                         f"({period:g} s)")
    mask = (t >= stop - periods * period - 1e-12) & (t <= stop + 1e-12)
    t_window, y_window = t[mask], np.asarray(y)[mask]
    omega = 2 * np.pi * frequency
    shape = (-1,) + (1,) * (y_window.ndim - 1)
    span = t_window[-1] - t_window[0]
    cos_part = 2.0 / span * np.trapezoid(y_window * np.cos(omega * t_window).reshape(shape),
                                         t_window, axis=0)
    sin_part = 2.0 / span * np.trapezoid(y_window * np.sin(omega * t_window).reshape(shape),
                                         t_window, axis=0)
    return cos_part - 1j * sin_part


def gain_ratio(local, adjoint, population, frequency, start=None, stop=None):
    """Amplitude ratio |e|/|λ| and phase difference arg e − arg λ at ``frequency``.

    ``local`` and ``adjoint`` are error traces from
    :func:`circuits.gradients.errors`; returns arrays over the neurons (and
    batch) of ``population``.
    """
    e = complex_amplitude(local.t, local[f"e/{population}"], frequency, start, stop)
    lam = complex_amplitude(adjoint.t, adjoint[f"e/{population}"], frequency, start, stop)
    return np.abs(e) / np.abs(lam), np.angle(e / lam)


def energy(model, traces):
    """E(t) = ½ Σ_l ‖e_l‖² + β C per time step (and batch element), shape (T, B).

    ``traces`` holds ``e/<pop>`` for every neuron population and the forward
    rates; the target comes from ``traces.meta["forward"]``.
    """
    forward = traces.meta["forward"]
    total = sum(0.5 * (as_time_batch(traces[f"e/{p.name}"]) ** 2).sum(axis=-1)
                for p in model.neurons)
    output = model.target.population
    cost = ref.instantaneous_cost(model, as_time_batch(traces[f"r/{output}"]),
                                  forward.target)
    return total + model.target.beta * cost


def energy_gradient(model, traces, params=None):
    """∂E/∂ŭ_l = e_l − φ'(ŭ_l) ⊙ Σ_q W_qᵀ e_post(q) for every hidden population.

    It vanishes when the errors are stationary points of the energy; in LE
    networks (τ_r = τ_m) it is O(dt) under the grid schemes' one-step delay.
    """
    params = params or ref.Parameters(model)
    result = {}
    for p in model.neurons:
        outgoing = model.projections_from(p.name)
        if not outgoing:
            continue
        feedback = sum(as_time_batch(traces[f"e/{q.post}"]) @ params.weights[q.name]
                       for q in outgoing)
        slope = phi_prime_function(p.phi)(as_time_batch(traces[f"ubreve/{p.name}"]))
        result[p.name] = as_time_batch(traces[f"e/{p.name}"]) - slope * feedback
    return result
