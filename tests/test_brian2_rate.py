"""Brian2 rate back end against the reference simulator (numpy target)."""

import os
from pathlib import Path

import numpy as np
import pytest

brian2 = pytest.importorskip("brian2")

from brian_models import equations, simulate_rate  # noqa: E402
from circuits import reference as ref  # noqa: E402
from circuits.errors import ModelError, SimulationError  # noqa: E402
from circuits.loader import load_model  # noqa: E402

pytestmark = pytest.mark.brian2
ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "brian2"
EXAMPLES = ("chain", "lagnet", "single_neuron")


def example(name, duration=None):
    model = load_model(ROOT / "examples" / f"{name}.toml")
    if duration is not None:
        model.duration = duration
    return model


def relative_error(expected, actual):
    return np.max(np.abs(expected - actual)) / max(np.max(np.abs(expected)), 1e-300)


def assert_traces_match(expected, actual, tolerance):
    shared = [key for key in expected.keys() if key in actual]
    assert shared, "no common traces"
    for key in shared:
        assert actual[key].shape == expected[key].shape, key
        assert relative_error(expected[key], actual[key]) <= tolerance, key


@pytest.mark.parametrize("name", EXAMPLES)
def test_equations_construct_without_warnings(name):
    # filterwarnings = error turns any Brian2 warning into a failure here.
    for errors in (None, "local", "instantaneous", "local_gain"):
        model = example(name)
        if errors and model.target is None:
            continue
        objects, texts = equations(model, errors=errors)
        assert set(objects) == {p.name for p in model.populations}
        for population in model.neurons:
            code = [line.split("#")[0] for line in texts[population.name].splitlines()]
            ubreve = [line for line in code if line.startswith("ubreve")]
            assert ubreve[0].split(":")[0].strip() == "ubreve = u + tau_r*(I - u)/tau_m"


@pytest.mark.parametrize("name", EXAMPLES)
def test_equations_match_golden(name):
    model = example(name)
    errors = "local" if model.target is not None else None
    _, texts = equations(model, errors=errors)
    text = "".join(f"# {key}\n{value}\n" for key, value in sorted(texts.items()))
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("VLE_UPDATE_GOLDEN") == "1":
        path.write_text(text)
    assert path.exists(), f"{path} missing; regenerate with VLE_UPDATE_GOLDEN=1"
    assert text == path.read_text()


@pytest.mark.parametrize("scheme", ["euler", "exact"])
def test_forward_and_local_errors_match_reference(scheme):
    model = example("lagnet", duration=3.0)
    online = ref.Online.from_model(model, errors="local", plastic=False)
    expected = ref.simulate(model, scheme=scheme, online=online)
    actual = simulate_rate(model, scheme=scheme, errors="local")
    # Same operations in a different order: rounding only, far below 1e-9.
    assert_traces_match(expected, actual, 1e-9)
    assert "e/h1" in actual


@pytest.mark.parametrize("scheme", ["euler", "exact"])
def test_plasticity_ten_steps_match_reference(scheme):
    model = example("lagnet", duration=0.1)
    model.learning.start = 0.0
    model.learning.eta = 5.0   # large, so that ten steps move the weights visibly
    online = ref.Online.from_model(model, plastic=True)
    expected = ref.simulate(model, scheme=scheme, online=online, record_weights=True)
    actual = simulate_rate(model, scheme=scheme, plasticity=True, record_weights=True)
    moved = expected["w/x_to_h1"][-1] - expected["w/x_to_h1"][0]
    assert np.max(np.abs(moved)) > 1e-6
    assert_traces_match(expected, actual, 1e-9)


@pytest.mark.parametrize("mode,gamma", [("instantaneous", 0.1), ("local_gain", 0.05)])
def test_other_error_modes_match_reference(mode, gamma):
    model = example("lagnet", duration=2.0)
    model.learning.gamma = gamma
    gain = {"h1": np.array([0.5, 1.5])}
    online = ref.Online.from_model(model, errors=mode, plastic=False)
    online.gain = gain
    expected = ref.simulate(model, online=online)
    actual = simulate_rate(model, errors=mode, gain=gain)
    assert_traces_match(expected, actual, 1e-9)


def test_chain_learning_follows_reference():
    model = example("chain", duration=4.0)
    online = ref.Online.from_model(model, plastic=True)
    expected = ref.simulate(model, online=online, record_weights=True)
    actual = simulate_rate(model, plasticity=True, record_weights=True)
    assert_traces_match(expected, actual, 1e-6)
    for name in ("x_to_n1", "n1_to_n2"):
        assert relative_error(expected.params.weights[name],
                              actual.params.weights[name]) <= 1e-6
    assert relative_error(expected.params.tau_m["n1"], actual.params.tau_m["n1"]) <= 1e-6


def test_rk4_converges_first_order_to_continuous():
    # The summed input W x(t_n) is held over each step (Brian2 evaluates summed
    # variables once per step), so even rk4 is first order in dt overall:
    # halving dt should halve the error (ratio 2, accepted in [1.6, 2.5]).
    errors = []
    for dt in (0.02, 0.01):
        model = example("single_neuron", duration=2.0)
        model.dt = dt
        expected = ref.simulate(model, scheme="continuous")
        actual = simulate_rate(model, method="rk4")
        errors.append(np.max(np.abs(expected["r/neuron"] - actual["r/neuron"])))
    ratio = errors[0] / errors[1]
    assert 1.6 <= ratio <= 2.5, (errors, ratio)


def test_exact_method_runs_forward_pass():
    model = example("single_neuron", duration=0.5)
    actual = simulate_rate(model, method="exact")
    expected = ref.simulate(model, scheme="exact")
    # Brian2's exact solver and the reference's zero-order hold are the same
    # update for this linear membrane with its input held over the step.
    assert_traces_match(expected, actual, 1e-9)


def test_nla_with_errors_is_rejected():
    model = example("lagnet", duration=0.5)
    model.population("h1").variant = "nla"
    with pytest.raises(ModelError, match="h1"):
        simulate_rate(model, errors="local")


def test_continuous_scheme_is_rejected():
    model = example("single_neuron", duration=0.5)
    with pytest.raises(ModelError, match="continuous"):
        simulate_rate(model, scheme="continuous")


def test_brian2_failure_names_population():
    model = example("lagnet", duration=0.5)
    with pytest.raises(SimulationError, match="population 'h1'|network"):
        # Brian2's linear solver cannot integrate the phi'-gated error neurons.
        simulate_rate(model, errors="local", method="exact")


def test_repeated_runs_in_one_process():
    model = example("single_neuron", duration=0.2)
    first = simulate_rate(model)
    second = simulate_rate(model)
    assert np.array_equal(first["r/neuron"], second["r/neuron"])
