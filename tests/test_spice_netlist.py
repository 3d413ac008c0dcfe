"""SPICE deck writer: number format, name safety, bad input and golden decks (no ngspice)."""

import os
import re
from pathlib import Path

import numpy as np
import pytest

from circuits.errors import ModelError
from circuits.loader import load_model
from circuits.model import Model, Population, Projection
from spice_netlists import build_netlist, write_deck
from spice_netlists.elements import Capacitor, Resistor, number
from tests.conftest import EXAMPLES, single_neuron, sine, unit_step

GOLDEN = Path(__file__).resolve().parent / "golden" / "spice"
# A numeric literal outside identifiers, with any letters glued to its end.
LITERAL = re.compile(r"(?<![A-Za-z0-9_.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?([A-Za-z]*)")


def _decks():
    lagnet = load_model(EXAMPLES / "lagnet.toml")
    chain = load_model(EXAMPLES / "chain.toml")
    single = load_model(EXAMPLES / "single_neuron.toml")
    return {
        "lagnet": build_netlist(lagnet),
        "lagnet_lag_network": build_netlist(lagnet, readout="lag_network"),
        "chain_capacitor_current": build_netlist(chain, readout="capacitor_current"),
        "single_neuron": build_netlist(single),
        "single_neuron_ac": build_netlist(single, analysis="ac"),
    }


def _normalise(text):
    """Deck lines without blank lines, with numbers rounded to 9 significant digits."""
    lines = []
    for line in text.splitlines():
        line = " ".join(line.split())
        if not line:
            continue
        lines.append(re.sub(r"-?\d\.\d{12}e[-+]\d+", lambda m: f"{float(m.group()):.9e}",
                            line))
    return lines


def test_number_format_plain_exponent():
    assert number(1e-12) == "1.000000000000e-12"
    assert number(-2.5) == "-2.500000000000e+00"


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_number_rejects_non_finite(value):
    with pytest.raises(ModelError, match="non-finite"):
        number(value)


def test_decks_have_no_unit_letters():
    # SPICE reads 1F as 1e-15 and 1M as 1e-3, so no literal may carry a letter.
    for name, net in _decks().items():
        for line in net.render().splitlines():
            if line.startswith("*") or not line.strip():
                continue
            suffixes = {s for s in LITERAL.findall(line) if s}
            assert not suffixes, f"{name}: literal with letters {suffixes} in {line!r}"


def test_deck_ends_with_end_and_newline():
    text = _decks()["single_neuron"].render()
    assert text.endswith("\n.end\n")


def test_tran_max_step_resolves_tau_min():
    model = load_model(EXAMPLES / "lagnet.toml")
    line = next(x for x in build_netlist(model).render().splitlines()
                if x.startswith(".tran"))
    fields = line.split()
    assert fields[-1] == "uic"
    max_step = float(fields[4])
    assert max_step <= model.tau_min * model.circuit.time_scale / 100


@pytest.mark.parametrize("name", ["a b", "a\nb", "a.b", "x\n.control"])
def test_element_name_cannot_reach_deck(name):
    with pytest.raises(ModelError, match="invalid SPICE name"):
        Resistor(name, "a", "0", 1e3).render()
    with pytest.raises(ModelError, match="invalid SPICE name"):
        Resistor("r1", name, "0", 1e3).render()


@pytest.mark.parametrize("name", ["a b", "a\nb", "a.b"])
def test_model_name_rejected(name):
    with pytest.raises(ModelError, match="invalid name"):
        Population(name, 1, tau_m=1.0, tau_r=1.0)


def test_renamed_projection_rejected_by_writer():
    # A name changed after the model's own checks is still caught by the writer.
    model = single_neuron(unit_step())
    model.projections[0].name = "x.y"
    with pytest.raises(ModelError, match="invalid SPICE name"):
        build_netlist(model).render()


def test_case_insensitive_name_clash_rejected():
    # SPICE folds case, so the model rejects names that differ only in case.
    with pytest.raises(ModelError, match="case-insensitive"):
        Model(name="clash", dt=0.01, duration=1.0, populations=[
            Population("x", 1, "input", signal=sine(1.0)),
            Population("h", 1, tau_m=1.0, tau_r=0.5),
            Population("H", 1, tau_m=1.0, tau_r=0.5)],
            projections=[Projection("x", "h", [[1.0]]), Projection("x", "H", [[1.0]])])


@pytest.mark.parametrize("capacitance", [0.0, -1e-12, float("nan")])
def test_bad_capacitance_rejected_before_writing(tmp_path, capacitance):
    with pytest.raises(ModelError, match="capacitance"):
        Capacitor("m", "a", "0", capacitance).render()
    model = single_neuron(unit_step())
    model.circuit.capacitance = capacitance
    path = tmp_path / "deck.cir"
    with pytest.raises(ModelError, match="capacitance"):
        write_deck(model, path)
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_lag_network_rejects_tau_r_above_tau_m():
    model = single_neuron(unit_step(), tau_m=1.0, tau_r=2.0)
    with pytest.raises(ModelError, match="tau_r = 2 s exceeds tau_m = 1 s.*lag network"):
        build_netlist(model, readout="lag_network")


def test_lag_network_equal_taus_use_wire():
    # tau_r = tau_m: R1 = 0, so there is no R1 and the buffer drives the read-out.
    text = build_netlist(single_neuron(unit_step(), tau_m=1.0, tau_r=1.0),
                         readout="lag_network").render()
    assert "Rlag1_h_0" not in text
    assert "Ebuf_h_0 ub_h_0 0 i_h_0 0" in text


def test_errors_need_target():
    with pytest.raises(ModelError, match="target"):
        build_netlist(single_neuron(unit_step()), errors="local")


def test_write_deck_atomic(tmp_path):
    path = write_deck(load_model(EXAMPLES / "single_neuron.toml"), tmp_path / "d.cir")
    assert path.read_text().endswith(".end\n")
    assert [p.name for p in tmp_path.iterdir()] == ["d.cir"]


@pytest.mark.parametrize("name", sorted(_decks()))
def test_golden_deck(name):
    text = _decks()[name].render()
    path = GOLDEN / f"{name}.cir"
    if os.environ.get("VLE_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"missing golden deck {path}; run with VLE_UPDATE_GOLDEN=1"
    assert _normalise(text) == _normalise(path.read_text())


def test_netlist_probes_cover_every_population():
    net = build_netlist(load_model(EXAMPLES / "lagnet.toml"))
    for key in ("u/h1", "ubreve/h2", "r/out", "r/x"):
        assert key in net.probes
    assert np.asarray(net.initial["u/h1"]).shape == (2,)


@pytest.mark.parametrize("fraction", [0.0, -0.1, 1.5, float("nan"), "big"])
def test_bad_max_step_fraction_rejected(fraction):
    with pytest.raises(ModelError, match="max_step_fraction"):
        build_netlist(load_model(EXAMPLES / "chain.toml"), max_step_fraction=fraction)


def test_max_step_fraction_sets_tmax():
    # chain.toml: tau_min = 0.1 s, dt = 0.01 s, time_scale 1e-3; TMAX = fraction*tau_min
    # in circuit time, never above dt.
    model = load_model(EXAMPLES / "chain.toml")
    assert model.tau_min == pytest.approx(0.1) and model.dt == pytest.approx(0.01)
    for fraction, tmax in [(None, 1e-6), (0.01, 1e-6), (0.05, 5e-6), (0.5, 1e-5)]:
        analysis = build_netlist(model, max_step_fraction=fraction).analysis
        assert analysis.max_step == pytest.approx(tmax, rel=1e-12), fraction


def test_algebraic_synapse_is_one_transconductance():
    # The summing node i carries the input current for both the membrane and the read-out,
    # so each synapse is one G element, plus one membrane drive per neuron.
    model = load_model(EXAMPLES / "lagnet.toml")
    text = build_netlist(model, readout="algebraic").render()
    synapses = sum(int(np.count_nonzero(q.weights)) for q in model.projections)
    neurons = sum(p.size for p in model.neurons)
    cards = [line for line in text.splitlines() if line.startswith("G")]
    assert len(cards) == synapses + neurons
    assert sum(line.startswith("Gdrive_") for line in cards) == neurons
