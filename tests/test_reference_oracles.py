"""Reference simulator against closed-form results of the theory.

Each test names the scheme it assumes: identities that hold to machine
precision under forward Euler fail under the exponential update and vice
versa.
"""

import numpy as np
import pytest

from circuits import signals, theory
from circuits.reference import Online, simulate
from circuits.model import Model, Population, Projection, Target

from conftest import complex_amplitude, mlp_1221, sine, single_neuron, unit_step

MACHINE = 1e-12  # identities that are exact up to floating-point rounding


def test_step_response_euler_matches_discrete_closed_form():
    model = single_neuron(unit_step(), tau_m=1.0, tau_r=1.0, dt=0.01, duration=3.0)
    traces = simulate(model, scheme="euler")
    n = np.arange(len(traces.t))
    expected = theory.euler_step_response_u(n, 0.01, 1.0)
    np.testing.assert_allclose(traces["u/h"][:, 0], expected, rtol=0, atol=MACHINE)


def test_step_response_exact_scheme_is_exact_on_grid():
    model = single_neuron(unit_step(), tau_m=0.5, tau_r=0.5, dt=0.05, duration=3.0)
    traces = simulate(model, scheme="exact")
    expected = theory.step_response_u(traces.t, 0.5)
    np.testing.assert_allclose(traces["u/h"][:, 0], expected, rtol=0, atol=MACHINE)


def test_step_response_continuous_at_tau():
    model = single_neuron(unit_step(), tau_m=1.0, tau_r=1.0, dt=0.01, duration=2.0)
    traces = simulate(model, scheme="continuous")
    index = np.argmin(np.abs(traces.t - 1.0))
    # solve_ivp runs at rtol 1e-10, so 1e-8 leaves room for the error control.
    assert traces["u/h"][index, 0] == pytest.approx(0.6321205588, abs=1e-8)


@pytest.mark.parametrize("scheme", ["euler", "exact"])
def test_le_identity_ubreve_equals_input(scheme, three_sines):
    # LE neuron (tau_r = tau_m) started away from equilibrium: u + tau u' = I at every step.
    model = single_neuron(three_sines, tau_m=0.3, tau_r=0.3, dt=0.01, duration=5.0,
                          initial_state="zero", bias=0.25)
    traces = simulate(model, scheme=scheme, record=("u", "ubreve", "I"))
    np.testing.assert_allclose(traces["ubreve/h"], traces["I/h"], rtol=0, atol=MACHINE)


def test_le_network_equals_static_mlp_with_one_step_per_layer(three_sines):
    # With tau_r = tau_m and no nudging the output is the static MLP of the input,
    # delayed by one dt per layer after the first under the parallel euler scheme.
    model = mlp_1221(three_sines, tau_r_hidden=(1.0, 1.0))
    traces = simulate(model, scheme="euler")
    x = traces["r/x"]
    weights = {q.name: q.weights for q in model.projections}
    h1 = np.tanh(x @ weights["x_to_h1"].T + model.population("h1").bias)
    h2 = np.tanh(h1 @ weights["h1_to_h2"].T)
    out = h2 @ weights["h2_to_out"].T
    delay = 2  # h2 and out each add one step
    np.testing.assert_allclose(traces["r/out"][delay:], out[:-delay], rtol=0,
                               atol=MACHINE)


@pytest.mark.parametrize("scheme", ["exact", "continuous"])
def test_gle_step_response(scheme):
    model = single_neuron(unit_step(), tau_m=1.0, tau_r=0.2, dt=0.01, duration=2.0)
    traces = simulate(model, scheme=scheme)
    expected = theory.step_response_ubreve(traces.t, 1.0, 0.2)
    # The exponential update is exact on the grid; the continuous solver at rtol 1e-10.
    np.testing.assert_allclose(traces["ubreve/h"][:, 0], expected, rtol=0, atol=1e-8)
    index = np.argmin(np.abs(traces.t - 1.0))
    assert traces["ubreve/h"][index, 0] == pytest.approx(0.70570, abs=5e-6)
    # It jumps to k = tau_r/tau_m at t = 0+.
    assert traces["ubreve/h"][0, 0] == pytest.approx(0.2, abs=1e-12)


def _error_neuron_model(alpha_signal, tau_m, tau_r, dt, duration):
    """An output neuron with zero weight: its error input is alpha = beta*(r* - 0) = r*."""
    model = single_neuron(sine(1.0, 0.0), tau_m=tau_m, tau_r=tau_r, dt=dt,
                          duration=duration)
    model.projections[0].weights[:] = 0.0
    model.target = Target("h", signal=alpha_signal, beta=1.0)
    return model


def test_error_neuron_step_response_exact_scheme():
    model = _error_neuron_model(unit_step(), tau_m=1.0, tau_r=0.2, dt=0.01, duration=2.0)
    traces = simulate(model, scheme="exact", online=Online(errors="local"))
    expected = theory.error_step_response(traces.t, 1.0, 0.2)
    np.testing.assert_allclose(traces["e/h"][:, 0], expected, rtol=0, atol=1e-12)
    assert traces["e/h"][0, 0] == pytest.approx(5.0)  # jumps to tau_m/tau_r


def test_inversion_forward_then_error_neuron_returns_input(three_sines):
    # Forward neuron (tau_m, tau_r) followed by an error neuron (integrate tau_r,
    # read out tau_m): the error state v tracks u and the output equals the input.
    tau_m, tau_r, dt = 0.8, 0.15, 0.01
    forward = single_neuron(three_sines, tau_m=tau_m, tau_r=tau_r, dt=dt, duration=6.0)
    first = simulate(forward, scheme="euler", record=("u", "ubreve", "r"))
    recorded = signals.Samples(data=first["ubreve/h"], interval=dt)
    model = _error_neuron_model(recorded, tau_m, tau_r, dt, 6.0)
    second = simulate(model, scheme="euler", online=Online(errors="local"),
                      record=("e", "v"))
    np.testing.assert_allclose(second["v/h"], first["u/h"], rtol=0, atol=MACHINE)
    np.testing.assert_allclose(second["e/h"], first["r/x"], rtol=0, atol=MACHINE)


def test_prospective_operator_on_sinusoid():
    # u is the low-pass of the input; ŭ/u in steady state is D+ = 1 + iωτ_r.
    # f = 1 Hz and tau_r = 1/(2π) give gain √2 and phase +45°.
    frequency, tau_r, tau_m = 1.0, 0.159155, 0.5
    model = single_neuron(sine(frequency), tau_m=tau_m, tau_r=tau_r, dt=1e-3,
                          duration=10.0)
    traces = simulate(model, scheme="continuous")
    # After 12 tau_m the start-up transient is below 1e-5 of the response.
    settle = 12 * tau_m
    u = complex_amplitude(traces.t, traces["u/h"][:, 0], frequency, settle=settle)
    ubreve = complex_amplitude(traces.t, traces["ubreve/h"][:, 0], frequency,
                               settle=settle)
    x = complex_amplitude(traces.t, traces["r/x"][:, 0], frequency, settle=settle)
    # Trapezoid projection over whole periods at dt = 1 ms is accurate to ~1e-6.
    assert abs(ubreve / u) == pytest.approx(np.sqrt(2), rel=1e-4)
    assert np.angle(ubreve / u) == pytest.approx(np.pi / 4, abs=1e-4)
    low_pass = u / x
    omega_tau = 2 * np.pi * frequency * tau_m
    assert abs(low_pass) == pytest.approx(1 / np.sqrt(1 + omega_tau**2), rel=1e-4)
    assert np.angle(low_pass) == pytest.approx(-np.arctan(omega_tau), abs=1e-4)


def test_gle_frequency_response_matches_closed_form():
    frequency = 0.5
    model = single_neuron(sine(frequency), tau_m=1.0, tau_r=0.2, dt=1e-3, duration=16.0)
    traces = simulate(model, scheme="continuous")
    ubreve = complex_amplitude(traces.t, traces["ubreve/h"][:, 0], frequency, settle=6.0)
    x = complex_amplitude(traces.t, traces["r/x"][:, 0], frequency, settle=6.0)
    gain = ubreve / x
    assert abs(gain) == pytest.approx(0.35822, abs=1e-4)
    assert np.angle(gain) == pytest.approx(-0.70165, abs=1e-4)
    closed = theory.transfer_function(frequency, 1.0, 0.2)
    assert abs(gain - closed) < 1e-4


@pytest.mark.parametrize("scheme", ["euler", "exact"])
def test_grid_schemes_converge_to_continuous(scheme, three_sines):
    # Both grid schemes are first order in dt (the parallel update adds one dt of
    # delay per layer), so halving dt roughly halves the error.
    errors = []
    for dt in (0.02, 0.01):
        model = mlp_1221(three_sines, dt=dt, duration=8.0)
        grid = simulate(model, scheme=scheme)
        continuous = simulate(model, scheme="continuous")
        errors.append(np.abs(grid["r/out"] - continuous["r/out"]).max())
    assert errors[1] < errors[0]
    assert errors[0] / errors[1] == pytest.approx(2.0, rel=0.15)


def test_equilibrium_initial_state_is_stationary_for_constant_input():
    constant = signals.Step(amplitude=np.zeros(1), start=0.0, baseline=np.array([0.7]))
    model = mlp_1221(constant, duration=2.0)
    for scheme in ("euler", "exact", "continuous"):
        traces = simulate(model, scheme=scheme)
        drift = np.abs(traces["u/h2"] - traces["u/h2"][0]).max()
        assert drift < 1e-12, scheme


def test_batch_inputs_match_single_runs(three_sines):
    model = mlp_1221(three_sines, duration=3.0)
    times = model.times()
    batch = np.stack([np.sin(times)[:, None], np.cos(2 * times)[:, None]])
    together = simulate(model, scheme="exact", inputs={"x": batch})
    for index in range(2):
        alone = simulate(model, scheme="exact", inputs={"x": batch[index]})
        np.testing.assert_allclose(together["r/out"][:, index], alone["r/out"],
                                   rtol=0, atol=MACHINE)
