"""Command-line behaviour on careless input: one line on stderr, exit code 2, no traceback."""

import shutil
import stat

import numpy as np
import pytest

from vle.cli import main

from conftest import EXAMPLES


def run_cli(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.err.strip()


@pytest.fixture
def single(tmp_path):
    path = tmp_path / "single.toml"
    shutil.copy(EXAMPLES / "single_neuron.toml", path)
    return path


def test_out_is_directory(capsys, single, tmp_path):
    code, err = run_cli(capsys, "simulate", str(single), "--out", str(tmp_path))
    assert code == 2
    assert "--out" in err
    assert "is a directory" in err
    assert len(err.splitlines()) == 1


def test_report_is_existing_file(capsys, single, tmp_path):
    existing = tmp_path / "victim.txt"
    existing.write_text("keep me")
    code, err = run_cli(capsys, "crosscheck", str(single), "--backends", "reference",
                        "--report", str(existing))
    assert code == 2
    assert "--report" in err
    assert existing.read_text() == "keep me"


def test_model_path_is_directory(capsys, tmp_path):
    code, err = run_cli(capsys, "validate", str(tmp_path))
    assert code == 2
    assert "is a directory" in err


def _file_signal_model(tmp_path, data_name):
    text = (EXAMPLES / "single_neuron.toml").read_text()
    model = tmp_path / "file_input.toml"
    # Replace the example's input signal by a file signal.
    start = text.index("signal =")
    end = text.index("\n", start)
    model.write_text(text[:start] + f'signal = {{ kind = "file", path = "{data_name}" }}'
                     + text[end:])
    return model


def test_csv_with_header_line(capsys, tmp_path):
    (tmp_path / "input.csv").write_text("a\n1.0\n2.0\n")
    model = _file_signal_model(tmp_path, "input.csv")
    code, err = run_cli(capsys, "validate", str(model))
    assert code == 2
    assert "cannot read signal file" in err
    assert "without a header line" in err


def test_signal_file_shorter_than_run(capsys, tmp_path):
    np.save(tmp_path / "short.npy", np.zeros((10, 1)))
    model = _file_signal_model(tmp_path, "short.npy")
    code, err = run_cli(capsys, "validate", str(model))
    assert code == 2
    assert "has 10 rows" in err
    assert "shorten duration" in err


def test_errors_without_target_data(capsys, tmp_path):
    code, err = run_cli(capsys, "simulate", str(EXAMPLES / "mnist1d_small.toml"),
                        "--errors", "local", "--out", str(tmp_path / "x.npz"))
    assert code == 2
    assert "neither a signal nor a teacher" in err
    assert not (tmp_path / "x.npz").exists()


def test_spiking_backend_rejects_errors(capsys, single, tmp_path):
    code, err = run_cli(capsys, "simulate", str(single), "--backend", "brian2-spiking",
                        "--errors", "local", "--out", str(tmp_path / "x.npz"))
    assert code == 2
    assert "--errors" in err


def test_scheme_rejected_for_ngspice(capsys, single, tmp_path):
    code, err = run_cli(capsys, "simulate", str(single), "--backend", "ngspice",
                        "--scheme", "euler", "--out", str(tmp_path / "x.npz"))
    assert code == 2
    assert "--scheme" in err


def test_huge_duration_rejected_before_running(capsys, tmp_path):
    text = (EXAMPLES / "single_neuron.toml").read_text()
    lines = [("duration = 1e7" if line.startswith("duration") else line)
             for line in text.splitlines()]
    model = tmp_path / "huge.toml"
    model.write_text("\n".join(lines) + "\n")
    code, err = run_cli(capsys, "simulate", str(model), "--out", str(tmp_path / "x.npz"))
    assert code == 2
    assert "GiB" in err


def test_output_file_is_readable_by_others(capsys, single, tmp_path):
    out = tmp_path / "traces.npz"
    code, _ = run_cli(capsys, "simulate", str(single), "--out", str(out))
    assert code == 0
    mode = stat.S_IMODE(out.stat().st_mode)
    assert mode & stat.S_IRGRP, oct(mode)
    assert mode & stat.S_IROTH, oct(mode)
