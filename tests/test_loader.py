"""TOML model format: loading, writing back, units and the error for each bad input."""

import copy
import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tomli_w

from circuits.errors import ModelError, UnitError
from circuits.loader import (
    CIRCUIT_FIELDS,
    LEARNING_FIELDS,
    SPIKING_FIELDS,
    load_model,
    model_from_dict,
)
from circuits.model import (
    CircuitSpec,
    Learning,
    Model,
    Population,
    Projection,
    SpikingSpec,
    Target,
    initial_weights,
)
from circuits.reference import simulate
from circuits.signals import Square
from circuits.writer import model_to_dict, save_model
from vle.cli import main as vle_main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.toml"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# A small valid model; each bad-input test changes one thing in a deep copy.
BASE = {
    "name": "net",
    "dt": 0.01,
    "duration": 1.0,
    "populations": [
        {"name": "x", "size": 1, "kind": "input",
         "signal": {"kind": "sines", "amplitude": 1.0, "frequency": 0.5}},
        {"name": "hidden", "size": 2, "tau_m": 1.0, "tau_r": 0.2},
        {"name": "out", "size": 1, "tau_m": 1.0, "tau_r": 1.0, "phi": "linear"},
    ],
    "projections": [
        {"name": "x_to_h", "pre": "x", "post": "hidden", "weights": [[1.0], [0.5]]},
        {"name": "h_to_out", "pre": "hidden", "post": "out", "weights": [[1.0, -1.0]]},
    ],
    "target": {"population": "out",
               "signal": {"kind": "step", "amplitude": 1.0, "start": 0.5}},
    "learning": {"eta": 0.1},
}


def assert_models_equal(a, b, path="model"):
    """Compare two models field by field (``source`` excluded), arrays exactly."""
    if dataclasses.is_dataclass(a):
        assert type(a) is type(b), f"{path}: {type(a).__name__} != {type(b).__name__}"
        for f in dataclasses.fields(a):
            if f.name != "source":
                assert_models_equal(getattr(a, f.name), getattr(b, f.name),
                                    f"{path}.{f.name}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), f"{path}: lengths {len(a)} != {len(b)}"
        for index, (item_a, item_b) in enumerate(zip(a, b)):
            assert_models_equal(item_a, item_b, f"{path}[{index}]")
    elif isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg=path)
        assert np.shape(a) == np.shape(b), path
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def write(tmp_path, table, name="model.toml"):
    path = tmp_path / name
    path.write_text(tomli_w.dumps(table), encoding="utf-8")
    return path


def load_error(tmp_path, table, error_type=ModelError):
    """Load ``table`` from a file and return the error's message."""
    with pytest.raises(error_type) as info:
        load_model(write(tmp_path, table))
    message = str(info.value)
    assert "model.toml" in message, message
    assert "\n" not in message
    return message


def modified(change):
    table = copy.deepcopy(BASE)
    change(table)
    return table


# --- valid models ----------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_loads(path):
    model = load_model(path)
    assert model.source == str(path)
    assert model.n_steps > 1


def test_examples_present():
    names = {path.name for path in EXAMPLES}
    for name in ("chain.toml", "chain_teacher.toml", "lagnet.toml", "lagnet_teacher.toml",
                 "single_neuron.toml", "units.toml"):
        assert name in names


def test_chain_teacher_parameters():
    model = load_model(ROOT / "examples" / "chain.toml")
    teacher = model.target.teacher
    assert teacher.projection("x_to_n1").weights.tolist() == [[1.0]]
    assert teacher.projection("n1_to_n2").weights.tolist() == [[2.0]]
    assert teacher.population("n2").tau_m.tolist() == [2.0]
    assert model.target.teacher_path == str(ROOT / "examples" / "chain_teacher.toml")


def test_lagnet_teacher_differs_in_one_weight():
    model = load_model(ROOT / "examples" / "lagnet.toml")
    difference = (model.target.teacher.projection("x_to_h1").weights
                  - model.projection("x_to_h1").weights)
    # -0.5 up to the rounding of decimal literals in the two files.
    np.testing.assert_allclose(difference, [[-0.5], [0.0]], atol=1e-12)
    for name in ("h1_to_h2", "h2_to_out"):
        np.testing.assert_array_equal(model.target.teacher.projection(name).weights,
                                      model.projection(name).weights)


@pytest.mark.parametrize("path", EXAMPLES + [FIXTURES / "valid" / "file_input.toml"],
                         ids=lambda p: p.name)
def test_round_trip(tmp_path, path):
    model = load_model(path)
    written = save_model(model, tmp_path / "copy.toml")
    assert_models_equal(load_model(written), model)
    assert not list(tmp_path.glob("*.tmp")), "temporary file left behind"


def test_round_trip_keeps_paths_relative(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    for name in ("file_input.toml", "file_input.csv", "file_target.npy"):
        (folder / name).write_bytes((FIXTURES / "valid" / name).read_bytes())
    model = load_model(folder / "file_input.toml")
    table = model_to_dict(model, base_dir=tmp_path / "out")
    assert table["populations"][0]["signal"]["path"] == "../data/file_input.csv"
    assert table["target"]["signal"]["path"] == "../data/file_target.npy"


def test_file_signal_sampled_at_dt():
    model = load_model(FIXTURES / "valid" / "file_input.toml")
    data = np.loadtxt(FIXTURES / "valid" / "file_input.csv", delimiter=",")
    values = model.population("x").signal.sample(model.times())
    # t/dt is an integer only up to rounding, so the interpolation weight can be ~1e-16.
    np.testing.assert_allclose(values, data, rtol=0, atol=1e-12)


def test_initialiser_uses_initial_weights():
    model = load_model(FIXTURES / "valid" / "file_input.toml")
    np.testing.assert_array_equal(model.projection("x_to_y").weights,
                                  initial_weights(1, 2, seed=7, init="normal"))


def test_python_api_equals_loaded_chain(tmp_path):
    teacher = load_model(ROOT / "examples" / "chain_teacher.toml")
    square = Square(amplitude=np.ones(1), period=4.0, offset=np.zeros(1))
    chain = Model(
        name="chain",
        dt=0.01,
        duration=20.0,
        populations=[
            Population("x", 1, "input", signal=square),
            Population("n1", 1, tau_m=0.5, tau_r=0.1, phi="softplus"),
            Population("n2", 1, tau_m=1.5, tau_r=0.1, phi="softplus"),
        ],
        projections=[Projection("x", "n1", [[0.6]]), Projection("n1", "n2", [[1.4]])],
        target=Target("n2", teacher=teacher, teacher_path=teacher.source, beta=1.0),
        learning=Learning(eta=0.5, eta_tau_m=0.1, tau_min=0.05, start=2.0),
    )
    assert_models_equal(chain, load_model(ROOT / "examples" / "chain.toml"))
    written = save_model(chain, tmp_path / "chain.toml")
    assert_models_equal(load_model(written), chain)


def test_model_from_dict_matches_file():
    path = ROOT / "examples" / "chain.toml"
    import tomllib

    table = tomllib.loads(path.read_text())
    model = model_from_dict(table, source="chain", base_dir=path.parent)
    assert_models_equal(model, load_model(path))


def test_units_parsed():
    model = load_model(ROOT / "examples" / "units.toml")
    assert model.dt == pytest.approx(1e-4, rel=1e-15)
    assert model.population("y").tau_m.tolist() == [0.01, 0.02]
    assert model.population("y").tau_r.tolist() == [0.002, 0.002]
    assert model.circuit.capacitance == pytest.approx(1e-12, rel=1e-15)
    assert model.circuit.unit_voltage == pytest.approx(0.1, rel=1e-15)
    assert model.spiking.rate_max == 200.0
    assert model.spiking.tau_syn == 0.005
    np.testing.assert_array_equal(model.population("x").signal.frequency,
                                  [[20.0, 50.0], [20.0, 50.0]])


def test_unit_strings_in_every_table():
    table = modified(lambda t: t.update(dt="10 ms", duration="1 s"))
    table["populations"][1]["tau_m"] = ["1 s", "500 ms"]
    table["learning"] = {"eta": "0.5 / second", "eta_tau_m": "1/s", "tau_min": "20 ms",
                         "gain_frequency": "2 Hz"}
    model = model_from_dict(table)
    assert model.dt == 0.01
    assert model.population("hidden").tau_m.tolist() == [1.0, 0.5]
    assert model.learning.eta == 0.5
    assert model.learning.eta_tau_m == 1.0
    assert model.learning.tau_min == 0.02
    assert model.learning.gain_frequency == 2.0


def test_section_schemas_cover_every_field():
    for cls, schema in ((Learning, LEARNING_FIELDS), (CircuitSpec, CIRCUIT_FIELDS),
                        (SpikingSpec, SPIKING_FIELDS)):
        assert set(schema) == {f.name for f in dataclasses.fields(cls)}, cls.__name__


def test_flat_weights_for_vectors():
    table = modified(lambda t: t["projections"][0].update(weights=[1.0, 0.5]))
    table["projections"][1]["weights"] = [1.0, -1.0]
    model = model_from_dict(table)
    assert model.projection("x_to_h").weights.shape == (2, 1)
    assert model.projection("h_to_out").weights.shape == (1, 2)


# --- bad inputs -------------------------------------------------------------------------


@pytest.mark.parametrize("tau", [0.0, -1.0])
def test_tau_not_positive(tmp_path, tau):
    message = load_error(tmp_path, modified(
        lambda t: t["populations"][1].update(tau_m=tau)))
    assert "populations[hidden].tau_m" in message
    assert "must be positive" in message
    assert f"got {tau:g}" in message


def test_tau_shorter_than_dt_under_euler(tmp_path):
    table = modified(lambda t: t["populations"][1].update(tau_r=[0.2, 0.004]))
    message = load_error(tmp_path, table)
    assert "populations[hidden].tau_r" in message
    # dt / tau = 0.01 / 0.004 = 2.5
    assert "shrink dt by a factor of at least 2.5" in message
    table["scheme"] = "exact"
    assert load_model(write(tmp_path, table)).scheme == "exact"


def test_reference_uses_same_step_check(tmp_path):
    from circuits.reference import simulate

    table = modified(lambda t: t["populations"][1].update(tau_r=0.004))
    table["scheme"] = "exact"
    model = load_model(write(tmp_path, table))
    with pytest.raises(ModelError, match="shrink dt by a factor of at least 2.5"):
        simulate(model, scheme="euler")


def test_tau_equal_to_dt_accepted():
    table = modified(lambda t: t["populations"][1].update(tau_r="10 ms"))
    assert model_from_dict(table).population("hidden").tau_r.tolist() == [0.01, 0.01]


@pytest.mark.parametrize("change, key", [
    (lambda t: t["projections"][0].update(weights=[[1.0], [float("nan")]]),
     "projections[x_to_h].weights[1][0]"),
    (lambda t: t["populations"][1].update(tau_m=[1.0, float("inf")]),
     "populations[hidden].tau_m[1]"),
    (lambda t: t["populations"][0]["signal"].update(amplitude=float("nan")),
     "populations[x].signal.amplitude"),
    (lambda t: t["target"].update(beta=float("inf")), "target.beta"),
    (lambda t: t.update(dt=float("nan")), "dt"),
])
def test_non_finite_values(tmp_path, change, key):
    message = load_error(tmp_path, modified(change))
    assert f"key '{key}'" in message
    assert "not finite" in message


def test_toml_nan_literal(tmp_path):
    path = write(tmp_path, BASE)
    path.write_text(path.read_text().replace("duration = 1.0", "duration = nan"))
    with pytest.raises(ModelError, match=r"key 'duration'.*not finite"):
        load_model(path)


def test_weights_shape_mismatch(tmp_path):
    message = load_error(tmp_path, modified(
        lambda t: t["projections"][1].update(weights=[[1.0, 2.0, 3.0]])))
    assert "projections[h_to_out].weights" in message
    assert "(1, 3)" in message
    assert "(1, 2)" in message


def test_weights_transposed(tmp_path):
    message = load_error(tmp_path, modified(
        lambda t: t["projections"][0].update(weights=[[1.0, 0.5]])))
    assert "shape (1, 2), expected (post, pre) = (2, 1)" in message
    assert "transposed" in message


def test_flat_weights_ambiguous(tmp_path):
    table = modified(lambda t: t["populations"][2].update(size=2, tau_m=1.0, tau_r=1.0))
    table["projections"][1]["weights"] = [1.0, 2.0, 3.0, 4.0]
    table["target"]["signal"]["amplitude"] = [1.0, 1.0]
    message = load_error(tmp_path, table)
    assert "projections[h_to_out].weights" in message
    assert "(4,)" in message
    assert "(2, 2)" in message


def test_per_neuron_shape_mismatch(tmp_path):
    message = load_error(tmp_path, modified(
        lambda t: t["populations"][1].update(tau_m=[1.0, 1.0, 1.0])))
    assert "populations[hidden].tau_m" in message
    assert "(3,)" in message
    assert "(2,)" in message


def test_sines_shape_mismatch(tmp_path):
    message = load_error(tmp_path, modified(lambda t: t["populations"][0]["signal"].update(
        amplitude=[1.0, 0.5, 0.2], frequency=[0.5, 1.0])))
    assert "populations[x].signal" in message
    assert "(1, 3)" in message
    assert "(1, 2)" in message


def test_sines_flat_list_for_several_neurons(tmp_path):
    table = modified(lambda t: t["populations"][0].update(size=2))
    table["populations"][0]["signal"]["amplitude"] = [1.0, 0.5]
    table["projections"][0]["weights"] = [[1.0, 0.0], [0.0, 1.0]]
    message = load_error(tmp_path, table)
    assert "populations[x].signal.amplitude" in message
    assert "one list of components per neuron" in message


def test_target_signal_size_mismatch(tmp_path):
    message = load_error(tmp_path, modified(
        lambda t: t["target"]["signal"].update(amplitude=[1.0, 2.0])))
    assert "target.signal.amplitude" in message
    assert "(2,)" in message
    assert "(1,)" in message


@pytest.mark.parametrize("phi, hint", [("relu", "expected one of tanh"),
                                       ("tahn", "did you mean 'tanh'")])
def test_unknown_phi(tmp_path, phi, hint):
    message = load_error(tmp_path, modified(lambda t: t["populations"][1].update(phi=phi)))
    assert "populations[hidden].phi" in message
    assert repr(phi) in message
    assert hint in message


def test_unknown_population_in_projection(tmp_path):
    message = load_error(tmp_path, modified(
        lambda t: t["projections"][1].update(pre="hiden")))
    assert "projections[h_to_out].pre" in message
    assert "unknown population 'hiden'" in message
    assert "did you mean 'hidden'" in message


def test_unknown_population_in_target(tmp_path):
    message = load_error(tmp_path, modified(lambda t: t["target"].update(population="output")))
    assert "target.population" in message
    assert "unknown population 'output'" in message
    assert "did you mean 'out'" in message


def test_target_population_is_input(tmp_path):
    table = modified(lambda t: t["target"].update(population="x"))
    message = load_error(tmp_path, table)
    assert "target.population" in message
    assert "must be a neuron population" in message


def test_duplicate_population_name(tmp_path):
    table = modified(lambda t: t["populations"].append(
        {"name": "hidden", "size": 1, "tau_m": 1.0, "tau_r": 1.0}))
    message = load_error(tmp_path, table)
    assert "populations[hidden].name" in message
    assert "duplicate population name 'hidden'" in message


def test_duplicate_projection_name(tmp_path):
    table = modified(lambda t: t["projections"].append(
        {"name": "x_to_h", "pre": "x", "post": "out", "weights": 1.0}))
    message = load_error(tmp_path, table)
    assert "projections[x_to_h].name" in message
    assert "duplicate projection name 'x_to_h'" in message


@pytest.mark.parametrize("change, key, suggestion", [
    (lambda t: t.update(durration=2.0), "durration", "duration"),
    (lambda t: t["populations"][1].update(tau_mm=1.0), "populations[hidden].tau_mm",
     "tau_m"),
    (lambda t: t["projections"][0].update(weight=1.0), "projections[x_to_h].weight",
     "weights"),
    (lambda t: t["learning"].update(etta=1.0), "learning.etta", "eta"),
    (lambda t: t["target"].update(betta=1.0), "target.betta", "beta"),
    (lambda t: t["populations"][0]["signal"].update(frequncy=1.0),
     "populations[x].signal.frequncy", "frequency"),
    (lambda t: t.update(circuit={"capacitanse": 1e-12}), "circuit.capacitanse",
     "capacitance"),
])
def test_unknown_key_suggests_nearest(tmp_path, change, key, suggestion):
    message = load_error(tmp_path, modified(change))
    assert f"key '{key}'" in message
    assert f"did you mean '{suggestion}'" in message


def test_unit_of_wrong_dimension(tmp_path):
    message = load_error(tmp_path, modified(
        lambda t: t["populations"][1].update(tau_m="10 mV")), UnitError)
    assert "populations[hidden].tau_m" in message
    assert "'10 mV'" in message
    assert "a time is expected" in message


def test_eta_with_time_unit(tmp_path):
    message = load_error(tmp_path, modified(lambda t: t["learning"].update(eta="1 s")),
                         UnitError)
    assert "learning.eta" in message
    assert "a frequency is expected" in message


@pytest.mark.parametrize("name", ["hid den", "h.1", "1h"])
def test_invalid_population_name(tmp_path, name):
    table = modified(lambda t: t["populations"][1].update(name=name))
    table["projections"][0]["post"] = name
    table["projections"][1]["pre"] = name
    message = load_error(tmp_path, table)
    assert "populations[1].name" in message
    assert f"invalid name {name!r}" in message
    assert "[A-Za-z][A-Za-z0-9_]*" in message


def test_invalid_model_name(tmp_path):
    message = load_error(tmp_path, modified(lambda t: t.update(name="my model")))
    assert "key 'name'" in message
    assert "invalid name 'my model'" in message


def test_cycle(tmp_path):
    table = modified(lambda t: t["projections"].append(
        {"name": "back", "pre": "out", "post": "hidden", "weights": [1.0, 1.0]}))
    message = load_error(tmp_path, table)
    assert "cycle" in message
    assert "hidden" in message
    assert "out" in message


@pytest.mark.parametrize("change, key", [
    (lambda t: t.pop("dt"), "dt"),
    (lambda t: t["populations"][1].pop("size"), "populations[hidden].size"),
    (lambda t: t["populations"][1].pop("tau_m"), "populations[hidden].tau_m"),
    (lambda t: t["projections"][0].pop("pre"), "projections[x_to_h].pre"),
    (lambda t: (t["projections"][0].pop("pre"), t["projections"][0].pop("name")),
     "projections[0].pre"),
    (lambda t: t["populations"][0].pop("signal"), "populations[x].signal"),
    (lambda t: t["projections"][0].pop("weights"), "projections[x_to_h].weights"),
])
def test_missing_required_key(tmp_path, change, key):
    message = load_error(tmp_path, modified(change))
    assert f"key '{key}'" in message
    assert "missing" in message or "needs" in message


@pytest.mark.parametrize("change, key, expected", [
    (lambda t: t["populations"][1].update(size="2"), "populations[hidden].size",
     "expected an integer, got '2'"),
    (lambda t: t["populations"][1].update(tau_m=True), "populations[hidden].tau_m",
     "boolean"),
    (lambda t: t["projections"][0].update(plastic=1), "projections[x_to_h].plastic",
     "expected true or false, got 1"),
    (lambda t: t["learning"].update(epochs=2.5), "learning.epochs",
     "expected an integer, got 2.5"),
    (lambda t: t.update(populations={"name": "x"}), "populations", "[[populations]]"),
])
def test_wrong_type(tmp_path, change, key, expected):
    message = load_error(tmp_path, modified(change))
    assert f"key '{key}'" in message
    assert expected in message


def test_weights_and_init(tmp_path):
    message = load_error(tmp_path, modified(
        lambda t: t["projections"][0].update(init="normal")))
    assert "projections[x_to_h].init" in message
    assert "not both" in message


def test_toml_syntax_error(tmp_path):
    path = tmp_path / "model.toml"
    path.write_text('name = "net"\ndt = 0.01\nduration = 1.0 s\n')
    with pytest.raises(ModelError) as info:
        load_model(path)
    message = str(info.value)
    assert "model.toml" in message
    assert "TOML syntax error at line 3, column" in message


def test_missing_file(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        load_model(tmp_path / "nothing.toml")


def test_teacher_with_other_architecture(tmp_path):
    teacher = modified(lambda t: t["populations"][1].update(size=3))
    teacher["projections"][0]["weights"] = [[1.0], [0.5], [0.2]]
    teacher["projections"][1]["weights"] = [[1.0, -1.0, 0.0]]
    teacher.pop("learning")
    teacher.pop("target")
    write(tmp_path, teacher, "teacher.toml")
    student = modified(lambda t: t["target"].pop("signal"))
    student["target"]["teacher"] = "teacher.toml"
    message = load_error(tmp_path, student)
    assert "target.teacher" in message
    assert "teacher.toml" in message
    assert "population 'hidden' has size 3 in the teacher but 2 here" in message


def test_teacher_runs_on_student_grid_and_inputs(tmp_path):
    from circuits.reference import target_array

    teacher = modified(lambda t: t.update(dt=0.001, duration=0.5))
    teacher.pop("learning")
    teacher.pop("target")
    teacher["populations"][0]["signal"] = {"kind": "step", "amplitude": 9.0, "start": 0.0}
    write(tmp_path, teacher, "teacher.toml")
    student = modified(lambda t: t["target"].pop("signal"))
    student["target"]["teacher"] = "teacher.toml"
    path = write(tmp_path, student, "model.toml")
    model = load_model(path)
    times = model.times()
    target = target_array(model, times, scheme="euler")
    assert target.shape == (1, len(times), model.population("out").size)
    # Same weights as the student, so the teacher's output on the student's input is
    # the student's own output.
    own = simulate(model, scheme="euler")["r/out"]
    np.testing.assert_allclose(target[0], own, rtol=0, atol=1e-12)


def test_teacher_referring_to_itself(tmp_path):
    student = modified(lambda t: t["target"].pop("signal"))
    student["target"]["teacher"] = "model.toml"
    message = load_error(tmp_path, student)
    assert "target.teacher" in message
    assert "refers back" in message


def test_learning_needs_target(tmp_path):
    message = load_error(tmp_path, modified(lambda t: t.pop("target")))
    assert "key 'learning'" in message
    assert "needs a [target] table" in message


def test_beta_zero_with_learning(tmp_path):
    message = load_error(tmp_path, modified(lambda t: t["target"].update(beta=0.0)))
    assert "target.beta" in message
    assert "set beta > 0" in message


@pytest.mark.parametrize("eta", [0.0, -0.1])
def test_eta_not_positive(tmp_path, eta):
    message = load_error(tmp_path, modified(lambda t: t["learning"].update(eta=eta)))
    assert "learning.eta" in message
    assert f"got {eta!r}" in message


def test_eta_tau_m_without_tau_min(tmp_path):
    message = load_error(tmp_path, modified(lambda t: t["learning"].update(eta_tau_m=0.1)))
    assert "learning.tau_min" in message
    assert "tau_min is not set" in message


def test_capacitance_and_leak_conductance(tmp_path):
    message = load_error(tmp_path, modified(lambda t: t.update(
        circuit={"capacitance": "1 pF", "leak_conductance": "1 nS"})))
    assert "circuit.leak_conductance" in message
    assert "not both" in message


def test_signal_file_wrong_columns(tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((10, 3)))
    message = load_error(tmp_path, modified(lambda t: t["populations"][0].update(
        signal={"kind": "file", "path": "x.npy"})))
    assert "populations[x].signal.path" in message
    assert "(10, 3)" in message


def test_loader_imports_no_simulator():
    code = ("import sys, circuits.loader, circuits.writer\n"
            "print(','.join(m for m in ('brian2', 'matplotlib') if m in sys.modules))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=ROOT)
    assert result.stdout.strip() == ""


# --- command line ------------------------------------------------------------------------


def test_validate_good_file(capsys):
    path = ROOT / "examples" / "lagnet.toml"
    assert vle_main(["validate", str(path)]) == 0
    output = capsys.readouterr()
    assert "valid model 'lagnet'" in output.out
    assert "h1 (neuron, 2)" in output.out
    assert output.err == ""


def test_validate_bad_file(tmp_path, capsys):
    path = write(tmp_path, modified(lambda t: t["populations"][1].update(tau_m=-2.0)))
    assert vle_main(["validate", str(path)]) == 2
    output = capsys.readouterr()
    lines = output.err.strip().splitlines()
    assert len(lines) == 1
    assert str(path) in lines[0]
    assert "populations[hidden].tau_m" in lines[0]
    assert "-2" in lines[0]
    assert output.out == ""


def test_validate_subprocess_exit_codes(tmp_path):
    bad = write(tmp_path, modified(lambda t: t.update(dt="1 mV")))
    result = subprocess.run([sys.executable, "-m", "vle.cli", "validate", str(bad)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "key 'dt'" in result.stderr
    assert "'1 mV'" in result.stderr
    good = ROOT / "examples" / "single_neuron.toml"
    result = subprocess.run([sys.executable, "-m", "vle.cli", "validate", str(good)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0
    assert "valid model 'single_neuron'" in result.stdout
