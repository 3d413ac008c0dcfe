"""Discrete adjoint of the grid schemes against central finite differences.

The discrete adjoint differentiates the exact update map, so it must agree
with central differences of the same grid loss up to the differences' own
error: O(h²) truncation plus rounding eps·L/h, about 1e-10 relative for
h = 1e-6. The bound 1e-6 leaves four orders of margin.
"""

import numpy as np
import pytest

from circuits import gradients as grad
from circuits.measure import relative_error

from learning_models import net_1221

FD_TOLERANCE = 1e-6  # see the module docstring


@pytest.mark.parametrize("scheme", ["euler", "exact"])
@pytest.mark.parametrize("initial_state", ["equilibrium", "zero"])
def test_discrete_adjoint_matches_finite_differences(scheme, initial_state):
    model = net_1221(scheme=scheme, initial_state=initial_state)
    exact = grad.gradients(model, "discrete")
    finite = grad.finite_differences(model)
    assert set(exact) == set(grad.parameter_keys(model))
    for key in exact:
        assert relative_error(exact[key], finite[key]) <= FD_TOLERANCE, key


def test_discrete_adjoint_cross_entropy_linear_output():
    model = net_1221(loss="cross_entropy", phi_out="linear", output=(1.0, 1.0), beta=1.0)
    exact = grad.gradients(model, "discrete")
    finite = grad.finite_differences(model)
    for key in exact:
        assert relative_error(exact[key], finite[key]) <= FD_TOLERANCE, key


def test_discrete_adjoint_batch_is_batch_mean():
    # The loss is the batch mean, so a batch of two different inputs has the
    # mean of the two single-input gradients (exact up to rounding).
    model = net_1221(duration=1.0)
    t = model.times()
    first = np.sin(1.3 * t)[:, None]
    second = np.cos(0.7 * t)[:, None]
    both = grad.gradients(model, "discrete", inputs={"x": np.stack([first, second])})
    one = grad.gradients(model, "discrete", inputs={"x": first})
    two = grad.gradients(model, "discrete", inputs={"x": second})
    for key in both:
        np.testing.assert_allclose(both[key], 0.5 * (one[key] + two[key]), rtol=1e-10,
                                   atol=1e-14)


def test_teacher_target_fixed_in_finite_differences():
    # With a teacher target the student's gradient must not include the
    # teacher: the finite differences hold the teacher output fixed.
    teacher = net_1221(seed=9, duration=1.0)
    teacher.target = None
    student = net_1221(duration=1.0)
    student.target.signal = None
    student.target.teacher = teacher
    exact = grad.gradients(student, "discrete")
    finite = grad.finite_differences(student, keys=["w/x_to_h1", "tau_r/h2"])
    for key in finite:
        assert relative_error(exact[key], finite[key]) <= FD_TOLERANCE, key
