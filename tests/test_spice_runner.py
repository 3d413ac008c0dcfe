"""ngspice runner failure modes and the raw-file reader."""

from pathlib import Path

import numpy as np
import pytest

from circuits.errors import SimulationError
from spice_netlists import (RawFileError, SimulationFailedError, SimulationTimeoutError,
                            SimulatorNotFoundError, ngspice_version, read_raw, run_ngspice)

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "raw"

RC_DECK = """* RC low-pass
V1 in 0 DC 1
R1 in out 1.0e3
C1 out 0 1.0e-6 IC=0
.tran 1.0e-5 5.0e-3 0 1.0e-5 uic
.end
"""


@pytest.mark.ngspice
def test_rc_step_response():
    result = run_ngspice(RC_DECK, expected=["time", "v(out)"])
    time, out = result.vectors["time"], result.vectors["v(out)"]
    # u(t) = 1 - exp(-t/tau), tau = 1 ms; max step tau/100 keeps the error near 1e-6.
    np.testing.assert_allclose(out, 1 - np.exp(-time / 1e-3), atol=1e-5)
    assert result.version == ngspice_version()
    assert result.version.startswith("ngspice-")


def test_missing_binary_bogus_path():
    with pytest.raises(SimulatorNotFoundError, match="not found"):
        run_ngspice(RC_DECK, executable="/nonexistent/ngspice")


def test_missing_binary_empty_path(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("VLE_NGSPICE", raising=False)
    with pytest.raises(SimulatorNotFoundError, match="ngspice"):
        run_ngspice(RC_DECK)


@pytest.mark.ngspice
def test_timeout_stops_run():
    # 1e-10 s steps over 10 s would take hours.
    deck = RC_DECK.replace(".tran 1.0e-5 5.0e-3 0 1.0e-5 uic", ".tran 1e-10 10 0 1e-10 uic")
    with pytest.raises(SimulationTimeoutError, match="did not finish within 0.5 s"):
        run_ngspice(deck, timeout=0.5)


@pytest.mark.ngspice
def test_non_converging_deck():
    # dV/dt = V^2 with V(0) = 1 blows up at t = 1 s, so the step size collapses.
    deck = """* finite-time blow-up
C1 a 0 1 IC=1
B1 0 a I=V(a)*V(a)
.tran 1e-3 2 0 1e-2 uic
.end
"""
    with pytest.raises(SimulationFailedError, match="Timestep too small"):
        run_ngspice(deck)


@pytest.mark.ngspice
def test_missing_value_is_fatal():
    # ngspice exits 0 and simulates a 1 mOhm short; our decks never rely on that.
    deck = RC_DECK.replace("R1 in out 1.0e3", "R1 in out")
    with pytest.raises(SimulationFailedError, match="set to"):
        run_ngspice(deck)


@pytest.mark.ngspice
def test_unknown_function_is_fatal():
    deck = RC_DECK.replace(".tran", "B1 x 0 V=nosuchfunction(V(in))\n.tran")
    with pytest.raises(SimulationFailedError, match="exit code 1"):
        run_ngspice(deck)


@pytest.mark.ngspice
def test_deck_without_analysis_has_no_raw():
    deck = RC_DECK.replace(".tran 1.0e-5 5.0e-3 0 1.0e-5 uic\n", "")
    with pytest.raises(SimulationFailedError, match="wrote no output"):
        run_ngspice(deck)


@pytest.mark.ngspice
def test_missing_vector_is_fatal():
    with pytest.raises(SimulationFailedError, match="v\\(nowhere\\)"):
        run_ngspice(RC_DECK, expected=["v(nowhere)"])


def test_errors_are_simulation_errors():
    for error in (SimulatorNotFoundError, SimulationTimeoutError, SimulationFailedError,
                  RawFileError):
        assert issubclass(error, SimulationError)


def test_read_raw_binary_matches_ascii():
    binary = read_raw(FIXTURES / "rc_binary.raw")[0]
    text = read_raw(FIXTURES / "rc_ascii.raw")[0]
    assert binary.points == text.points == 24
    assert list(binary.vectors) == ["time", "v(in)", "v(out)", "i(v1)"]
    for name in binary.vectors:
        # ASCII raw files carry 16 significant digits.
        np.testing.assert_allclose(text[name], binary[name], rtol=1e-14)


def test_read_raw_rc_values():
    plot = read_raw(FIXTURES / "rc_binary.raw")[0]
    # Coarse fixture (max step tau/10), so ngspice's own error is about 1e-3.
    np.testing.assert_allclose(plot["v(out)"], 1 - np.exp(-plot["time"] / 1e-3), atol=2e-3)
    np.testing.assert_allclose(plot["i(v1)"], -(1 - plot["v(out)"]) / 1e3, rtol=1e-9)


@pytest.mark.parametrize("name", ["rc_ac.raw", "rc_ac_ascii.raw"])
def test_read_raw_complex(name):
    plot = read_raw(FIXTURES / name)[0]
    assert plot.complex
    frequency = plot["frequency"].real
    np.testing.assert_allclose(frequency, [100.0, 200.0, 300.0])
    expected = 1 / (1 + 2j * np.pi * frequency * 1e3 * 1e-6)
    # .ac solves the linear circuit exactly; 1e-12 covers printing and rounding.
    np.testing.assert_allclose(plot["v(out)"] / plot["v(in)"], expected, rtol=1e-12)


def test_read_raw_empty_file(tmp_path):
    path = tmp_path / "empty.raw"
    path.write_bytes(b"")
    with pytest.raises(RawFileError, match="empty"):
        read_raw(path)


def test_read_raw_zero_points(tmp_path):
    header = (FIXTURES / "rc_binary.raw").read_bytes().split(b"Binary:\n")[0]
    path = tmp_path / "zero.raw"
    path.write_bytes(header.replace(b"No. Points: 24", b"No. Points: 0 ") + b"Binary:\n")
    with pytest.raises(RawFileError, match="0 points"):
        read_raw(path)


def test_read_raw_truncated(tmp_path):
    data = (FIXTURES / "rc_binary.raw").read_bytes()
    path = tmp_path / "cut.raw"
    path.write_bytes(data[:-40])
    with pytest.raises(RawFileError, match="truncated"):
        read_raw(path)


def test_read_raw_missing_file(tmp_path):
    with pytest.raises(RawFileError, match="not found"):
        read_raw(tmp_path / "none.raw")


@pytest.mark.ngspice
@pytest.mark.parametrize("analysis", ["tran", "ac"])
def test_exported_deck_runs_as_is(tmp_path, analysis):
    import subprocess

    from circuits.loader import load_model
    from spice_netlists import write_deck
    from tests.conftest import EXAMPLES

    path = write_deck(load_model(EXAMPLES / "single_neuron.toml"), tmp_path / "deck.cir",
                      analysis=analysis)
    completed = subprocess.run(["ngspice", "-b", str(path)], cwd=tmp_path,
                               env={"PATH": __import__("os").environ["PATH"],
                                    "HOME": str(tmp_path)},
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert "no simulations run" not in completed.stdout
    assert "vm(ub_neuron_0)" in completed.stdout or "v(r_neuron_0)" in completed.stdout
