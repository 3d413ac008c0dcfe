"""Learning-rate reduction on a loss plateau."""

import pytest

from circuits.model import Learning
from circuits.training import _reduce_on_plateau


def run(losses, patience=2, factor=0.5):
    history, learning = {"loss": []}, Learning(eta=1.0, eta_tau_m=0.2, tau_min=0.01)
    for loss in losses:
        history["loss"].append(loss)
        learning = _reduce_on_plateau(learning, history, (patience, factor))
    return history["eta"], learning


def test_plateau_halves_after_more_than_patience_bad_epochs():
    # Best at epoch 1; epochs 2, 3 and 4 are worse, so the rate halves at epoch 4.
    etas, _ = run([5, 4, 4.5, 4.6, 4.7])
    assert etas == [1.0, 1.0, 1.0, 1.0, 0.5]


def test_plateau_counter_restarts_after_a_reduction():
    etas, learning = run([5, 4, 4.5, 4.6, 4.7, 4.8, 4.9, 5.0, 5.1])
    assert etas == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25]
    assert learning.eta_tau_m == pytest.approx(0.2 * 0.25)


def test_improving_loss_keeps_the_rate():
    etas, _ = run([5, 4, 3, 2, 1])
    assert etas == [1.0] * 5


def test_plateau_watches_monitor_when_given():
    # The loss keeps falling, but the monitored value (minus an accuracy) does not.
    history, learning = {"loss": [], "monitor": []}, Learning(eta=1.0)
    for loss, monitored in zip([5, 4, 3, 2, 1], [-0.5, -0.4, -0.4, -0.4, -0.4]):
        history["loss"].append(loss)
        history["monitor"].append(monitored)
        learning = _reduce_on_plateau(learning, history, (2, 0.5))
    assert history["eta"] == [1.0, 1.0, 1.0, 0.5, 0.5]


def test_cli_rejects_plateau_factor_above_one(capsys, tmp_path):
    from vle.cli import main

    from conftest import EXAMPLES

    code = main(["train", str(EXAMPLES / "chain.toml"), "--plateau", "1", "2",
                 "--out", str(tmp_path / "t.toml")])
    assert code == 2
    assert "--plateau" in capsys.readouterr().err
