"""Teacher-student learning on the two-neuron softplus chain.

Teacher: W = (1, 2), τ_m = (1, 2) s, τ_r = 0.1 s, driven by a ±1 square wave
with a 4 s period. The student has the same architecture; its target is the
teacher's output rate on the same input.
"""

import numpy as np
import pytest

from circuits import gradients as grad
from circuits.model import Learning
from circuits.training import train

from learning_models import chain

TEACHER_W = (1.0, 2.0)
TEACHER_TAU_M = (1.0, 2.0)


def learned(model):
    weights = [model.projection(n).weights.item() for n in ("x_to_n1", "n1_to_n2")]
    return np.array(weights), np.array([p.tau_m.item() for p in model.neurons])


def test_local_errors_recover_teacher_weights():
    # Fast variant: only W learns, from a start 20 % below the teacher.
    settings = Learning(eta=0.05, optimizer="adam", learn_biases=False, start=2.0,
                        epochs=4)
    student = chain(w=(0.8, 1.7), teacher=chain(name="teacher"), learning=settings)
    before = grad.loss(student)
    local, _ = train(student, "local", progress=False)
    instantaneous, _ = train(student, "instantaneous", progress=False)
    weights, _ = learned(local)
    # Four epochs of Adam reach the teacher to about 0.1 %; 2 % leaves margin.
    np.testing.assert_allclose(weights, TEACHER_W, rtol=0.02)
    assert grad.loss(local) < before / 100
    # Instantaneous errors ignore the lag of τ_r < τ_m and move W away.
    assert grad.loss(instantaneous) > 10 * grad.loss(local)
    assert grad.loss(instantaneous) > before


@pytest.mark.slow
def test_local_errors_recover_teacher_weights_and_tau_m():
    # W and τ_m learn from (0.6, 1.4) and (0.5, 1.5) s; about 90 s in total.
    settings = Learning(eta=0.02, eta_tau_m=0.02, tau_min=0.05, optimizer="adam",
                        learn_biases=False, start=2.0, epochs=40)
    student = chain(w=(0.6, 1.4), tau_m=(0.5, 1.5), teacher=chain(name="teacher"),
                    learning=settings)
    before = grad.loss(student)
    local, _ = train(student, "local", progress=False)
    instantaneous, _ = train(student, "instantaneous", progress=False)
    weights, tau_m = learned(local)
    # Measured within 1 % after 40 epochs; the requirement is 5 %.
    np.testing.assert_allclose(weights, TEACHER_W, rtol=0.05)
    np.testing.assert_allclose(tau_m, TEACHER_TAU_M, rtol=0.05)
    assert grad.loss(local) < before / 100
    assert grad.loss(instantaneous) > 100 * grad.loss(local)
