"""``vle crosscheck`` on the example models: verdicts, exit codes, perturbed circuits."""

import json
import logging
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


def bode_error_of_scaled_tau_m(frequencies, tau_m, tau_r, factor):
    """Closed-form relative error of H with tau_m scaled by ``factor`` against H."""
    omega = 2j * np.pi * np.asarray(frequencies)
    wrong = (1 + omega * tau_r) / (1 + omega * factor * tau_m)
    right = (1 + omega * tau_r) / (1 + omega * tau_m)
    return np.abs(wrong - right) / np.abs(right)


@pytest.mark.ngspice
@pytest.mark.parametrize("perturbation, population", [("ngspice:tau_m=1.1", "n1"),
                                                      ("ngspice:n2.tau_m=1.1", "n2")])
def test_bode_fails_with_wrong_capacitor(tmp_path, perturbation, population):
    report = tmp_path / "report"
    code = run_crosscheck(EXAMPLES / "chain.toml", report, "--backends", "ngspice",
                          "--duration", "12", "--perturb", perturbation)
    assert code == 1
    metrics = load_metrics(report)
    validate_metrics(metrics)
    bode = metrics["bode"]
    # The AC analysis runs the perturbed circuit: the population that the
    # perturbation names, else the first one.
    assert bode["population"] == population
    assert bode["passed"] is False
    # The closed form with tau_m 1.1 times too long is the oracle; .ac solves the
    # linear circuit to rounding, so 1e-6 relative is ample.
    expected = bode_error_of_scaled_tau_m(bode["frequencies"], bode["tau_m"],
                                          bode["tau_r"], 1.1).max()
    assert expected > 0.05
    assert bode["max_relative_error"] == pytest.approx(expected, rel=1e-6)
    page = (report / "index.html").read_text()
    assert "The AC analysis runs the perturbed circuit" in page


def test_progress_lines_without_terminal(tmp_path, capsys):
    # Under pytest standard error is not a terminal: no tqdm bar with carriage
    # returns, one line per finished run instead.
    report = tmp_path / "report"
    assert main(["crosscheck", str(EXAMPLES / "chain.toml"), "--backends", "reference",
                 "--duration", "10", "--report", str(report)]) == 0
    captured = capsys.readouterr()
    assert "\r" not in captured.err
    assert "cross-check: reference/continuous done, 1 sample(s)" in captured.err
    assert "cross-check: reference/euler done, 1 sample(s)" in captured.err
    assert "cross-check PASS" in captured.out


@pytest.mark.brian2
def test_spiking_warning_shown_once(tmp_path, caplog):
    model = tmp_path / "lagnet.toml"
    model.write_text((EXAMPLES / "lagnet.toml").read_text() + SPIKING_TABLE)
    shutil.copy(EXAMPLES / "lagnet_teacher.toml", tmp_path)
    from circuits.loader import load_model
    from vle.commands.crosscheck import with_duration

    loaded = with_duration(load_model(model), 6.0)
    with caplog.at_level(logging.WARNING):
        check.crosscheck(loaded, ["brian2-spiking"], samples=[None, None, None],
                         progress=False)
    unbounded = [r for r in caplog.records if "unbounded" in r.getMessage()]
    # lagnet has one linear population (out); three samples, one message.
    assert len(unbounded) == 1
    assert "'out'" in unbounded[0].getMessage()
