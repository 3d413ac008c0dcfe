"""``vle crosscheck`` on the example models: verdicts, exit codes, perturbed circuits."""

import json
import shutil

import numpy as np
import pytest

from circuits.errors import ModelError
from vle import crosscheck as check
from vle.cli import main
from vle.report_schema import MetricsSchemaError, validate_metrics

from conftest import EXAMPLES

# The spiking back end needs rate_max*dt <= 0.5 at dt = 10 ms; these settings are
# the ones its default tolerance was measured with.
SPIKING_TABLE = "\n[spiking]\nrate_max = 50.0\ntau_syn = 0.05\nneurons_per_unit = 200\n"


def run_crosscheck(model, report, *extra):
    return main(["crosscheck", str(model), "--report", str(report), "--quiet", *extra])


def load_metrics(report):
    return json.loads((report / "metrics.json").read_text())


def rows(metrics, backend, against="reference/continuous"):
    comparison = next(c for c in metrics["backends"][backend]["comparisons"]
                      if c["against"] == against)
    return {(r["population"], r["variable"]): r for r in comparison["metrics"]}


def test_reference_grid_passes(tmp_path):
    report = tmp_path / "report"
    assert run_crosscheck(EXAMPLES / "chain.toml", report, "--backends", "reference",
                          "--duration", "10") == 0
    metrics = load_metrics(report)
    validate_metrics(metrics)
    assert metrics["reference"] == {"backend": "reference", "scheme": "continuous"}
    assert metrics["passed"] is True
    for row in rows(metrics, "reference").values():
        # Euler with one dt of delay per layer: first-order error, dt/tau = 0.02 at most.
        assert row["nrmse"] < 1e-2
        assert row["nrmse"] > 1e-6  # the grid scheme is not the continuous one


def test_perturbed_reference_fails(tmp_path):
    report = tmp_path / "report"
    code = run_crosscheck(EXAMPLES / "chain.toml", report, "--backends", "reference",
                          "--duration", "10", "--perturb", "reference:n2.tau_m=1.5")
    assert code == 1
    metrics = load_metrics(report)
    table = rows(metrics, "reference")
    # n1 is untouched (forward only), n2 runs with tau_m 1.5 times too long.
    assert table[("n1", "u")]["passed"] is True
    assert table[("n2", "u")]["passed"] is False
    assert metrics["exit_code"] == 1


def test_invalid_inputs_exit_2(tmp_path, capsys):
    model = EXAMPLES / "chain.toml"
    assert run_crosscheck(model, tmp_path / "a", "--backends", "reference,nope") == 2
    assert "nope" in capsys.readouterr().err
    assert run_crosscheck(model, tmp_path / "b", "--tolerance", "ngspice=-1") == 2
    assert run_crosscheck(model, tmp_path / "c", "--perturb", "ngspice:zz.tau_m=2") == 2
    # The transient window 5 * max tau = 10 s is longer than 5 s.
    assert run_crosscheck(model, tmp_path / "d", "--backends", "reference",
                          "--duration", "5") == 2
    assert not (tmp_path / "a").exists()


def test_parse_tolerances():
    assert check.parse_tolerances(["ngspice=2e-3", "brian2=0.5"]) == {
        "ngspice": 2e-3, "brian2": 0.5}
    with pytest.raises(ModelError, match="BACKEND=VALUE"):
        check.parse_tolerances(["ngspice"])


def test_compare_nrmse_oracle():
    # Reference sin on [0, 2π): range 2; candidate offset by 0.01 everywhere.
    times = np.linspace(0, 2 * np.pi, 1001)
    reference = {"u/h": np.sin(times)[:, None, None]}
    candidate = {"u/h": reference["u/h"] + 0.01}
    [row] = check.compare(reference, candidate, times, 0.0, ["u/h"], 1e-2)
    assert row["nrmse"] == pytest.approx(0.01 / 2, rel=1e-3)
    assert row["max_abs_error"] == pytest.approx(0.01)
    assert row["passed"] is True


def test_schema_rejects_missing_field(tmp_path):
    report = tmp_path / "report"
    run_crosscheck(EXAMPLES / "chain.toml", report, "--backends", "reference",
                   "--duration", "12")
    metrics = load_metrics(report)
    del metrics["backends"]["reference"]["comparisons"][0]["metrics"][0]["nrmse"]
    with pytest.raises(MetricsSchemaError, match="nrmse"):
        validate_metrics(metrics)
    metrics = load_metrics(report)
    metrics["exit_code"] = 3
    with pytest.raises(MetricsSchemaError, match="exit_code"):
        validate_metrics(metrics)


@pytest.mark.brian2
def test_brian2_rate_matches_grid_scheme(tmp_path):
    report = tmp_path / "report"
    assert run_crosscheck(EXAMPLES / "lagnet.toml", report, "--backends",
                          "reference,brian2", "--duration", "15") == 0
    metrics = load_metrics(report)
    validate_metrics(metrics)
    for row in rows(metrics, "brian2", "reference/euler").values():
        # Same grid scheme, same floating-point operations up to ordering.
        assert row["nrmse"] < 1e-9


@pytest.mark.brian2
def test_brian2_spiking_within_tolerance(tmp_path):
    model = tmp_path / "lagnet.toml"
    model.write_text((EXAMPLES / "lagnet.toml").read_text() + SPIKING_TABLE)
    shutil.copy(EXAMPLES / "lagnet_teacher.toml", tmp_path)
    report = tmp_path / "report"
    code = run_crosscheck(model, report, "--backends", "brian2-spiking", "--duration",
                          "15")
    metrics = load_metrics(report)
    assert code == 0, metrics["backends"]["brian2-spiking"]
    table = rows(metrics, "brian2-spiking")
    # Spike trains are noisy, so the error is well above zero but under the tolerance.
    assert table[("h1", "r")]["nrmse"] > 1e-3


@pytest.mark.ngspice
def test_ngspice_passes_and_bode(tmp_path):
    report = tmp_path / "report"
    assert run_crosscheck(EXAMPLES / "chain.toml", report, "--backends", "ngspice",
                          "--duration", "12") == 0
    metrics = load_metrics(report)
    validate_metrics(metrics)
    for row in rows(metrics, "ngspice").values():
        assert row["nrmse"] < 1e-3
    bode = metrics["bode"]
    assert bode["status"] == "compared"
    # .ac is a linear solve of the same transfer function: rounding-level error.
    assert bode["max_relative_error"] < 1e-6
    assert (report / "bode.png").is_file()


@pytest.mark.ngspice
def test_wrong_capacitor_fails(tmp_path):
    report = tmp_path / "report"
    # C_m 1.5 times too large with the right leak: tau_m of n1 is 1.5 times too long.
    code = run_crosscheck(EXAMPLES / "chain.toml", report, "--backends",
                          "reference,ngspice", "--duration", "12", "--perturb",
                          "ngspice:n1.tau_m=1.5")
    assert code == 1
    metrics = load_metrics(report)
    validate_metrics(metrics)
    assert metrics["backends"]["reference"]["passed"] is True
    assert metrics["backends"]["ngspice"]["passed"] is False
    table = rows(metrics, "ngspice")
    assert table[("n1", "u")]["passed"] is False
    assert table[("n1", "u")]["nrmse"] > 1e-2
    page = (report / "index.html").read_text()
    assert "n1.tau_m × 1.5" in page
    failing = [line for line in page.splitlines() if 'class="fail"' in line]
    assert any("<td>n1</td><td>u</td>" in line for line in failing)
