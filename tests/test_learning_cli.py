"""``vle gradcheck`` and ``vle train`` on small model files."""

import json

import pytest

from circuits import gradients as grad
from circuits.loader import load_model
from circuits.model import Learning
from circuits.writer import save_model
from vle.cli import main

from learning_models import chain, net_1221

MODES = ("adjoint", "local", "instantaneous", "local_gain", "discrete")


@pytest.fixture
def net_file(tmp_path):
    path = tmp_path / "net.toml"
    save_model(net_1221(duration=1.0), path)
    return path


def test_gradcheck_json_structure(net_file, capsys):
    assert main(["gradcheck", str(net_file), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    model = load_model(net_file)
    assert set(report) == set(grad.parameter_keys(model))
    for key, entry in report.items():
        assert set(entry) == set(MODES) | {"cosine"}
        assert -1.0 <= entry["cosine"] <= 1.0
        for mode in MODES:
            assert set(entry[mode]) == {"gradient", "finite_difference", "relative_error"}
            assert len(entry[mode]["gradient"]) == len(entry[mode]["finite_difference"])
        # The discrete adjoint is exact; 1e-6 covers the central differences.
        assert entry["discrete"]["relative_error"] < 1e-6, key


def test_gradcheck_table_and_parameter_filter(net_file, capsys):
    assert main(["gradcheck", str(net_file), "--parameters", "w/x_to_h1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("w/x_to_h1: finite difference")
    assert "tau_m/h1" not in out


def test_gradcheck_without_target_fails_before_running(tmp_path, capsys):
    path = tmp_path / "bare.toml"
    save_model(chain(duration=1.0), path)
    assert main(["gradcheck", str(path)]) == 2
    assert "target" in capsys.readouterr().err


def test_train_writes_model_with_lower_loss(tmp_path, capsys):
    teacher_path = tmp_path / "teacher.toml"
    save_model(chain(name="teacher", duration=8.0), teacher_path)
    student = chain(w=(0.8, 1.7), teacher=load_model(teacher_path), duration=8.0,
                    learning=Learning(eta=0.05, optimizer="adam", learn_biases=False,
                                      epochs=2))
    student.target.teacher_path = str(teacher_path)
    path = tmp_path / "student.toml"
    save_model(student, path)
    out = tmp_path / "trained.toml"
    for mode in ("local", "adjoint"):
        assert main(["train", str(path), "--errors", mode, "--out", str(out),
                     "--no-progress"]) == 0
        assert "loss before" in capsys.readouterr().out
        trained = load_model(out)
        assert grad.loss(trained) < grad.loss(load_model(path)), mode


def test_train_missing_output_folder(tmp_path, capsys):
    path = tmp_path / "net.toml"
    save_model(net_1221(duration=1.0, learning=Learning()), path)
    assert main(["train", str(path), "--out", str(tmp_path / "no" / "t.toml")]) == 2
    assert "--out" in capsys.readouterr().err
