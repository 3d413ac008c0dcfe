"""Circuits in the real ngspice against the continuous reference and closed forms."""

import numpy as np
import pytest

from circuits import signals
from circuits.loader import load_model
from circuits.model import Target
from circuits.reference import Online, simulate
from spice_netlists import ac_response, build_netlist, run_ngspice, simulate_circuit
from spice_netlists.elements import Capacitor, Resistor, VoltageSource, Waveform
from spice_netlists.netlist import AcSweep, Netlist
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.ngspice

READOUTS = ("algebraic", "capacitor_current", "lag_network")


def nrmse(actual, reference):
    """RMS error divided by the range of the reference."""
    actual, reference = np.asarray(actual), np.asarray(reference)
    return float(np.sqrt(np.mean((actual - reference) ** 2)) / np.ptp(reference))


def settled(model):
    return model.times() >= 5 * model.tau_max


@pytest.fixture(scope="module")
def lagnet():
    """The 1-2-2-1 lag network, shortened; gamma = 0 as the circuits require."""
    model = load_model(EXAMPLES / "lagnet.toml")
    model.duration = 12.0
    model.learning.gamma = 0.0
    return model


def smooth_target(offset, amplitude):
    """A sum of two sines as target rates.

    A sampled teacher output would be a PWL target, whose kink at every dt
    makes the continuous reference (DOP853, rtol 1e-10) crawl; a smooth target
    signal keeps it fast and becomes SIN sources in the circuit.
    """
    return signals.Sines(amplitude=np.array([[amplitude, 0.5 * amplitude]]),
                         frequency=np.array([[0.11, 0.23]]), phase=np.array([[0.3, 1.1]]),
                         offset=np.array([offset]))


@pytest.fixture(scope="module")
def lagnet_target(lagnet):
    """The teacher's output rates on the exact grid scheme (for the PySpice check)."""
    teacher = lagnet.target.teacher.copy()
    teacher.duration = lagnet.duration
    return simulate(teacher, scheme="exact")[f"r/{lagnet.target.population}"]


@pytest.fixture(scope="module")
def lagnet_smooth(lagnet):
    model = lagnet.copy()
    model.target = Target(population="out", signal=smooth_target(0.0, 0.5), beta=1.0)
    return model


@pytest.fixture(scope="module")
def lagnet_reference(lagnet):
    return simulate(lagnet, scheme="continuous")


@pytest.mark.parametrize("readout", READOUTS)
def test_forward_lagnet_matches_continuous(lagnet, lagnet_reference, readout):
    traces = simulate_circuit(lagnet, readout=readout)
    mask = settled(lagnet)
    for population in ("h1", "h2", "out"):
        for variable in ("u", "ubreve", "r"):
            key = f"{variable}/{population}"
            # 1e-3 of the range: ngspice's truncation-error control (reltol 1e-3,
            # max step tau_min/100) measured at about 1e-7 here.
            assert nrmse(traces[key][mask], lagnet_reference[key][mask]) <= 1e-3, key
    assert traces.meta["ngspice_version"].startswith("ngspice-")


def test_coarser_max_step_keeps_accuracy(lagnet, lagnet_reference):
    # max_step_fraction = 0.1 lets ngspice take ten times longer steps than the default
    # 1/100 of tau_min; trapezoidal integration with its own error control still
    # measured NRMSE 3e-6 on an MNIST-1D sample, so the 1e-3 bound holds with margin.
    coarse = simulate_circuit(lagnet, max_step_fraction=0.1)
    fine = simulate_circuit(lagnet)
    assert coarse.meta["ngspice_points"] < 0.5 * fine.meta["ngspice_points"]
    assert coarse.meta["max_step_fraction"] == 0.1
    mask = settled(lagnet)
    for key in ("u/h2", "ubreve/h2", "r/out"):
        assert nrmse(coarse[key][mask], lagnet_reference[key][mask]) <= 1e-3, key


def test_raw_file_holds_only_probed_vectors(lagnet):
    # The deck's .save lines keep the raw file to the vectors the traces are read from.
    net = build_netlist(lagnet)
    result = run_ngspice(net.render())
    probed = {name for names in net.probes.values() for name in names}
    assert set(result.vectors) == probed | {"time"}


@pytest.mark.parametrize("readout", ["algebraic", "lag_network"])
def test_forward_chain_square_input(readout):
    # The square input becomes a PWL source with edges of 1e-4 tau_min that end
    # at each switching instant; the membranes then lag the ideal step by half
    # an edge, about 5e-5 of the amplitude, well inside the 1e-3 tolerance.
    model = load_model(EXAMPLES / "chain.toml")
    model.duration = 12.0
    reference = simulate(model, scheme="continuous")
    traces = simulate_circuit(model, readout=readout)
    mask = settled(model)
    for key in ("u/n1", "ubreve/n1", "r/n1", "u/n2", "ubreve/n2", "r/n2"):
        assert nrmse(traces[key][mask], reference[key][mask]) <= 1e-3, key


@pytest.mark.parametrize("readout", READOUTS)
def test_ac_single_neuron_oracle(readout):
    model = load_model(EXAMPLES / "single_neuron.toml")
    response = ac_response(model, "neuron", 0, [0.5], readout=readout)[0]
    # |H| = sqrt((1 + w^2 tau_r^2)/(1 + w^2 tau_m^2)), arg H = atan(w tau_r) - atan(w tau_m)
    # with tau_m = 1 s, tau_r = 0.2 s, f = 0.5 Hz (model time).
    assert abs(abs(response) - 0.35822) <= 1e-3
    assert abs(np.angle(response) - (-0.70165)) <= 1e-3


def test_ac_readouts_agree_over_sweep():
    model = load_model(EXAMPLES / "single_neuron.toml")
    frequencies = [0.01, 0.1, 1.0, 10.0]
    omega = 2 * np.pi * np.array(frequencies)
    expected = (1 + 1j * omega * 0.2) / (1 + 1j * omega * 1.0)
    for readout in READOUTS:
        response = ac_response(model, frequencies=frequencies, readout=readout)
        # .ac solves the linear circuit exactly; 1e-9 covers rounding of the values.
        np.testing.assert_allclose(response, expected, rtol=1e-9, err_msg=readout)


def test_passive_lag_circuit_oracle():
    resistance_1, resistance_2, capacitance = 8e3, 2e3, 1e-7
    net = Netlist(title="passive lag network")
    block = net.block("R1 in series, then R2 and C to ground")
    block.add(VoltageSource("in", "in", "0", Waveform("dc", ac=1.0)))
    block.add(Resistor("1", "in", "mid", resistance_1))
    block.add(Resistor("2", "mid", "cap", resistance_2))
    block.add(Capacitor("1", "cap", "0", capacitance))
    frequencies = np.array([10.0, 159.0, 1000.0, 5000.0])
    net.analysis = AcSweep(frequencies=tuple(frequencies))
    result = run_ngspice(net.render(), expected=["v(mid)", "v(in)"])
    # ngspice stores one plot per .ac line, not necessarily in deck order.
    by_frequency = {float(p["frequency"][0].real): p["v(mid)"][0] / p["v(in)"][0]
                    for p in result.plots}
    measured = np.array([by_frequency[f] for f in sorted(by_frequency)])
    frequencies = np.sort(frequencies)
    s = 2j * np.pi * frequencies
    expected = (1 + s * resistance_2 * capacitance) / (
        1 + s * (resistance_1 + resistance_2) * capacitance)
    np.testing.assert_allclose(measured, expected, rtol=1e-9)


@pytest.mark.parametrize("mode", ["local", "instantaneous"])
def test_error_circuits_match_reference(lagnet_smooth, mode):
    model = lagnet_smooth
    reference = simulate(model, scheme="continuous", online=Online(errors=mode))
    traces = simulate_circuit(model, errors=mode)
    mask = settled(model)
    for population in ("h1", "h2", "out"):
        key = f"e/{population}"
        # Same tolerance as the forward traces; measured at about 3e-6.
        assert nrmse(traces[key][mask], reference[key][mask]) <= 1e-3, key


def test_local_gain_scales_errors(lagnet_smooth):
    model = lagnet_smooth
    gain = {"h1": np.array([2.0, 0.5]), "h2": np.array([1.5, 1.0]), "out": np.array([3.0])}
    reference = simulate(model, scheme="continuous",
                         online=Online(errors="local_gain", gain=gain))
    traces = simulate_circuit(model, errors="local_gain", gain=gain)
    mask = settled(model)
    for population in ("h1", "h2", "out"):
        key = f"e/{population}"
        assert nrmse(traces[key][mask], reference[key][mask]) <= 1e-3, key


def test_on_circuit_learning_chain():
    model = load_model(EXAMPLES / "chain.toml")
    model.duration = 12.0
    model.learning.eta_tau_m = 0.0
    model.target = Target(population="n2", signal=smooth_target(1.2, 0.3), beta=1.0)
    learning = model.learning
    reference = simulate(model, scheme="continuous", record_weights=True,
                         online=Online(errors="local", eta=learning.eta,
                                       start=learning.start,
                                       learn_biases=learning.learn_biases))
    traces = simulate_circuit(model, plasticity=True)
    for projection in ("x_to_n1", "n1_to_n2"):
        key = f"w/{projection}"
        circuit = traces[key].reshape(len(traces.t), -1)
        expected = reference[key].reshape(len(reference.t), -1)
        assert np.ptp(expected) > 0.01, "the weight must move for the test to mean anything"
        # 1e-2 of the weight's excursion; measured at about 5e-5.
        assert nrmse(circuit, expected) <= 1e-2, key
    final = {q.name: w for q, w in zip(model.projections,
                                       (reference.params.weights["x_to_n1"],
                                        reference.params.weights["n1_to_n2"]))}
    for name, value in final.items():
        np.testing.assert_allclose(traces[f"w/{name}"][-1], value, rtol=1e-2, atol=1e-3)


def test_pyspice_adapter_matches_runner(lagnet, lagnet_target):
    from spice_netlists.pyspice_adapter import simulate_circuit_pyspice

    model = lagnet.copy()
    model.duration = 6.0
    target = lagnet_target[: model.n_steps]
    runner = simulate_circuit(model, errors="local", target=target)
    shared = simulate_circuit_pyspice(model, errors="local", target=target)
    for key in runner.keys():
        scale = np.max(np.abs(runner[key]))
        # Same deck, same ngspice 39 engine; only the hand-over of values differs.
        assert np.max(np.abs(shared[key] - runner[key])) <= 1e-6 * scale, key
