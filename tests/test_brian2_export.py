"""Exported Brian2 scripts, the command line and the compiled targets."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("brian2")

from brian_models import simulate_rate, write_script  # noqa: E402
from circuits.loader import load_model  # noqa: E402
from circuits.traces import Traces  # noqa: E402

pytestmark = pytest.mark.brian2
ROOT = Path(__file__).resolve().parent.parent
LAGNET = ROOT / "examples" / "lagnet.toml"


def short_lagnet(duration=1.0):
    model = load_model(LAGNET)
    model.duration = duration
    return model


def test_exported_script_reproduces_simulate_rate(tmp_path):
    model = short_lagnet()
    script = write_script(model, tmp_path / "lagnet_b2.py", errors="local")
    text = script.read_text()
    assert "import vle" not in text and "from vle" not in text
    assert "from circuits" not in text and "brian_models" not in text.split("SPEC =")[1]
    out = tmp_path / "traces.npz"
    # Run from an empty folder without the repository on the path: only Brian2 and NumPy.
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    subprocess.run([sys.executable, str(script), str(out)], check=True, cwd=tmp_path,
                   env=env, capture_output=True, text=True, timeout=300)
    exported = Traces.load(out)
    expected = simulate_rate(model, errors="local")
    for key in expected.keys():
        # Same code and target, so the same numbers.
        assert np.array_equal(exported[key], expected[key]), key


@pytest.mark.parametrize("backend", ["brian2", "brian2-spiking"])
def test_cli_simulate_writes_layout(tmp_path, backend):
    out = tmp_path / "x.npz"
    # The example and its teacher, shortened to 1 s (the teacher must match).
    for name in ("lagnet.toml", "lagnet_teacher.toml"):
        text = (ROOT / "examples" / name).read_text()
        assert "duration = 30.0" in text
        (tmp_path / name).write_text(text.replace("duration = 30.0", "duration = 1.0"))
    model = tmp_path / "lagnet.toml"
    result = subprocess.run([sys.executable, "-m", "vle.cli", "simulate", str(model),
                             "--backend", backend, "--out", str(out)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    traces = Traces.load(out)
    assert len(traces.t) == 101
    for population in ("h1", "h2", "out"):
        for variable in ("u", "ubreve", "r"):
            assert traces[f"{variable}/{population}"].shape[0] == 101
    assert traces["r/x"].shape == (101, 1)


@pytest.mark.compiled
@pytest.mark.slow
def test_cython_target_matches_numpy():
    model = short_lagnet(0.5)
    numpy_run = simulate_rate(model, errors="local")
    cython_run = simulate_rate(model, errors="local", target="cython")
    assert cython_run.meta["target"] == "cython"
    for key in numpy_run.keys():
        # -ffast-math in Brian2's compiler flags may reorder sums: rounding only.
        assert np.allclose(cython_run[key], numpy_run[key], rtol=1e-9, atol=1e-12), key


@pytest.mark.compiled
@pytest.mark.slow
def test_cpp_standalone_runs_twice():
    model = short_lagnet(0.5)
    numpy_run = simulate_rate(model)
    for _ in range(2):
        standalone = simulate_rate(model, target="cpp_standalone")
        assert standalone.meta["target"] == "cpp_standalone"
        for key in numpy_run.keys():
            assert np.allclose(standalone[key], numpy_run[key], rtol=1e-9, atol=1e-12), key
    # The runtime device is active again afterwards.
    assert np.array_equal(simulate_rate(model)["r/out"], numpy_run["r/out"])
