"""Closed-form results of latent-equilibrium theory, used as test oracles and in reports.

Time constants in seconds, frequencies in hertz, angles in radians.
"""

import numpy as np


def transfer_function(frequency, tau_m, tau_r):
    """Forward transfer function of a GLE neuron, H(ω) = (1 + iωτ_r)/(1 + iωτ_m).

    It maps the total input I to the prospective potential ŭ (linear regime).
    """
    omega = 2 * np.pi * np.asarray(frequency, dtype=float)
    return (1 + 1j * omega * tau_r) / (1 + 1j * omega * tau_m)


def error_transfer_function(frequency, tau_m, tau_r):
    """Transfer function of a GLE error neuron (integrate with τ_r, read out with τ_m): 1/H(ω)."""
    return 1.0 / transfer_function(frequency, tau_m, tau_r)


def adjoint_transfer_function(frequency, tau_m, tau_r):
    """Transfer function of the exact adjoint in steady state: H*(ω), the complex conjugate."""
    return np.conj(transfer_function(frequency, tau_m, tau_r))


def local_to_adjoint_gain(frequency, tau_m, tau_r):
    """Gain ratio e/λ of local errors to the adjoint per frequency: 1/|H(ω)|² (phase 0)."""
    return 1.0 / np.abs(transfer_function(frequency, tau_m, tau_r)) ** 2


def step_response_u(t, tau_m):
    """Membrane response to a unit step at t = 0 from rest: u(t) = 1 − exp(−t/τ_m)."""
    return 1.0 - np.exp(-np.asarray(t, dtype=float) / tau_m)


def step_response_ubreve(t, tau_m, tau_r):
    """Prospective potential after a unit step at t = 0: ŭ(t) = 1 − (1 − k)·exp(−t/τ_m)."""
    k = tau_r / tau_m
    return 1.0 - (1.0 - k) * np.exp(-np.asarray(t, dtype=float) / tau_m)


def error_step_response(t, tau_m, tau_r):
    """Error-neuron output for a unit step input α from v = 0: 1 + (τ_m/τ_r − 1)·exp(−t/τ_r)."""
    return 1.0 + (tau_m / tau_r - 1.0) * np.exp(-np.asarray(t, dtype=float) / tau_r)


def euler_step_response_u(n, dt, tau_m):
    """Forward-Euler membrane after n steps of a unit input: 1 − (1 − dt/τ_m)ⁿ."""
    return 1.0 - (1.0 - dt / tau_m) ** np.asarray(n, dtype=float)
