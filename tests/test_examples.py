"""Every examples/*.toml loads and runs on the reference for a short duration.

Each example is cut to at most ``STEPS`` grid steps and run through
``vle.backends.simulate`` (the path of ``vle simulate``). The traces are
checked against the euler step written out here from its definition in the
docstring of ``circuits/reference.py``: r = φ(ŭ), ŭ = (1 − k)u + kI and
u_{n+1} = u_n + (dt/τ_m)(I_n − u_n), with I_n built from the weights, the
rates of the previous step (inputs: of this step) and the bias.
"""

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from circuits.loader import load_model
from vle.backends import simulate

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.toml"))
STEPS = 60
# The step is recomputed in float64 with the same operations in another order.
TOLERANCE = 1e-10

PHI = {
    "tanh": np.tanh,
    "linear": lambda x: x,
    "softplus": lambda x: np.logaddexp(0.0, x),
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "hard_sigmoid": lambda x: np.clip(x, 0.0, 1.0),
}


def short_run(path):
    model = load_model(path)
    duration = min(model.duration, STEPS * model.dt)
    model = dataclasses.replace(model, duration=duration)
    return model, simulate(model, "reference", scheme="euler")


def test_examples_found():
    assert len(EXAMPLES) >= 6


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs_short(path):
    model, traces = short_run(path)
    steps = model.n_steps
    assert len(traces.t) == steps
    for population in model.neurons:
        for variable in ("u", "ubreve", "r"):
            array = np.asarray(traces[f"{variable}/{population.name}"])
            assert array.shape == (steps, population.size), f"{variable}/{population.name}"
            assert np.all(np.isfinite(array)), f"{variable}/{population.name}"
    for population in model.inputs:
        expected = population.signal.sample(model.times())
        assert np.allclose(traces[f"r/{population.name}"], expected, atol=TOLERANCE)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_follows_euler_step(path):
    model, traces = short_run(path)
    gamma = model.learning.gamma if model.learning else 0.0
    dt = model.dt
    for population in model.neurons:
        name = population.name
        u = np.asarray(traces[f"u/{name}"])
        ubreve = np.asarray(traces[f"ubreve/{name}"])
        rate = np.asarray(traces[f"r/{name}"])
        current = np.broadcast_to(population.bias, u.shape).astype(float).copy()
        for projection in model.projections_to(name):
            current += presynaptic(model, traces, projection.pre) @ projection.weights.T
        if gamma and f"e/{name}" in traces.keys():
            error = np.asarray(traces[f"e/{name}"])
            current[1:] += gamma * error[:-1]
        k = population.tau_r / population.tau_m
        assert np.allclose(rate, PHI[population.phi](ubreve), atol=TOLERANCE), name
        assert np.allclose(ubreve, (1 - k) * u + k * current, atol=TOLERANCE), name
        stepped = u[:-1] + dt / population.tau_m * (current[:-1] - u[:-1])
        assert np.allclose(u[1:], stepped, atol=TOLERANCE), name
        if model.initial_state == "equilibrium":
            assert np.allclose(u[0], current[0], atol=TOLERANCE), name
        else:
            assert np.allclose(u[0], 0.0), name


def presynaptic(model, traces, name):
    """Rates a projection from ``name`` delivers at each step: inputs now, neurons one step late."""
    rate = np.asarray(traces[f"r/{name}"])
    population = model.population(name)
    if population.is_input:
        return rate
    if model.initial_state == "equilibrium":
        first = rate[:1]  # at equilibrium the stored start rate equals r at t = 0
    else:
        first = PHI[population.phi](np.zeros((1, population.size)))
    return np.concatenate([first, rate[:-1]])
