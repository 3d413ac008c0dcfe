"""Shared pytest fixtures: small models built with the Python API."""

import numpy as np
import pytest

from circuits import signals
from circuits.model import Model, Population, Projection

EXAMPLES = __import__("pathlib").Path(__file__).resolve().parent.parent / "examples"


def single_neuron(signal, tau_m=1.0, tau_r=0.2, dt=1e-3, duration=5.0, phi="linear",
                  initial_state="zero", **population):
    """One neuron driven by ``signal`` through a unit weight."""
    return Model(
        name="single",
        dt=dt,
        duration=duration,
        populations=[
            Population("x", 1, "input", signal=signal),
            Population("h", 1, tau_m=tau_m, tau_r=tau_r, phi=phi, **population),
        ],
        projections=[Projection("x", "h", [[1.0]])],
        initial_state=initial_state,
    )


def unit_step(start=0.0):
    return signals.Step(amplitude=np.ones(1), start=start, baseline=np.zeros(1))


def sine(frequency, amplitude=1.0):
    return signals.Sines(amplitude=np.array([[amplitude]]),
                         frequency=np.array([[frequency]]),
                         phase=np.zeros((1, 1)), offset=np.zeros(1))


@pytest.fixture
def three_sines():
    """Sum of three sines with angular frequencies 0.49, 1.07 and 1.98 rad/s."""
    omega = np.array([[0.49, 1.07, 1.98]])
    return signals.Sines(amplitude=np.array([[1.0, 0.6, 0.4]]),
                         frequency=omega / (2 * np.pi), phase=np.array([[0.0, 1.0, 2.0]]),
                         offset=np.zeros(1))


def mlp_1221(signal, dt=0.01, duration=10.0, tau_r_hidden=(1.0, 0.1), seed=3):
    """The 1-2-2-1 network: tanh hidden layers, linear output."""
    rng = np.random.default_rng(seed)
    return Model(
        name="mlp",
        dt=dt,
        duration=duration,
        populations=[
            Population("x", 1, "input", signal=signal),
            Population("h1", 2, tau_m=1.0, tau_r=list(tau_r_hidden), bias=[0.1, -0.2]),
            Population("h2", 2, tau_m=1.0, tau_r=list(tau_r_hidden)),
            Population("out", 1, tau_m=1.0, tau_r=1.0, phi="linear"),
        ],
        projections=[
            Projection("x", "h1", rng.normal(size=(2, 1))),
            Projection("h1", "h2", rng.normal(size=(2, 2))),
            Projection("h2", "out", rng.normal(size=(1, 2))),
        ],
    )


def complex_amplitude(t, y, frequency, settle):
    """Complex amplitude of the component of y at ``frequency`` after ``settle`` seconds.

    Projects y onto sin and cos over a whole number of periods, so that
    y ≈ Re(A·exp(iωt)) gives A (for y = sin ωt, A = −i).
    """
    period = 1.0 / frequency
    periods = np.floor((t[-1] - settle) / period)
    mask = (t >= t[-1] - periods * period - 1e-12)
    t, y = t[mask], np.asarray(y)[mask]
    omega = 2 * np.pi * frequency
    span = t[-1] - t[0]
    cos_part = 2.0 / span * np.trapezoid(y * np.cos(omega * t), t)
    sin_part = 2.0 / span * np.trapezoid(y * np.sin(omega * t), t)
    return cos_part - 1j * sin_part
