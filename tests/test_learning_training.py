"""Training API, optimizers, bad input, divergence, energy and measurement."""

import numpy as np
import pytest

from circuits import gradients as grad
from circuits import measure
from circuits import reference as ref
from circuits.errors import DivergenceError, ModelError
from circuits.model import Learning, Target
from circuits.optimizers import SGD, Adam
from circuits.training import train

from learning_models import chain, net_1221


def small_student(**learning):
    settings = Learning(**{"eta": 0.5, "learn_biases": False, "epochs": 1, **learning})
    return chain(w=(0.8, 1.7), teacher=chain(name="teacher", duration=4.0), duration=4.0,
                 learning=settings)


# --- optimizers ---------------------------------------------------------------------------


def test_explicit_sgd_matches_builtin_update():
    # The optimizer hook must not change the SGD numbers; the two paths only
    # group the product η·dt·(e rᵀ)/B differently, a rounding difference.
    model = small_student()
    builtin, _ = train(model, "local", progress=False)
    online = ref.Online.from_model(model)
    online.optimizer = SGD()
    params = ref.Parameters(model)
    ref.simulate(model, online=online, params=params)
    for q in model.projections:
        np.testing.assert_allclose(params.weights[q.name], builtin.projection(q.name).weights,
                                   rtol=1e-12)


def test_adam_first_step_has_size_of_rate():
    # After bias correction Adam's first step is rate·sign(g) (up to ε).
    adam = Adam()
    value = np.array([1.0, -2.0])
    adam.step("w", value, np.array([0.3, -50.0]), 0.01)
    # ε = 1e-8 against |g| ≥ 0.3 shifts the step by at most 4e-10 relative.
    np.testing.assert_allclose(value, [1.01, -2.01], rtol=1e-9)


def test_adam_rejects_invalid_beta():
    with pytest.raises(ModelError, match="adam_beta1"):
        Adam(beta1=1.0)


# --- batches ------------------------------------------------------------------------------


def test_identical_batch_equals_single_sample():
    # Plasticity uses the batch mean, so B copies of one sample learn exactly
    # like the single sample (rounding only).
    model = small_student()
    x = model.inputs[0].signal.sample(model.times())
    single, _ = train(model, "local", inputs=x[None], progress=False)
    batch, _ = train(model, "local", inputs=np.repeat(x[None], 5, axis=0), progress=False)
    for q in model.projections:
        np.testing.assert_allclose(batch.projection(q.name).weights,
                                   single.projection(q.name).weights, rtol=1e-12)


def test_iterable_of_batches_lowers_loss():
    model = net_1221(duration=4.0, loss="cross_entropy", phi_out="linear",
                     output=(1.0, 1.0), beta=1.0,
                     learning=Learning(eta=0.2, optimizer="adam", epochs=3))
    rng = np.random.default_rng(0)
    steps = model.n_steps
    labels = np.zeros((4, steps, 3))
    labels[:2, :, 0] = 1.0
    labels[2:, :, 2] = 1.0
    inputs = np.concatenate([np.full((2, steps, 1), 1.0), np.full((2, steps, 1), -1.0)])
    inputs = inputs + 0.1 * rng.normal(size=inputs.shape)
    batches = [(inputs[:2], labels[:2]), (inputs[2:], labels[2:])]
    trained, history = train(model, progress=False, inputs=batches)
    assert len(history["batch_loss"]) == 6
    assert len(history["loss"]) == 3
    before = grad.loss(model, inputs={"x": inputs}, target=labels)
    after = grad.loss(trained, inputs={"x": inputs}, target=labels)
    # Three epochs of Adam on a separable two-class problem; the measured
    # drop is far larger than the 2x asserted here.
    assert after < before / 2


def test_adjoint_training_lowers_loss_and_keeps_tau_clamp():
    model = small_student(eta=0.3, eta_tau_m=0.01, tau_min=1.2, epochs=3)
    trained, history = train(model, "adjoint", progress=False)
    assert history["loss"][-1] < history["loss"][0]
    # τ_m of n1 starts at 1 s, below the clamp: the first update lifts it to 1.2 s.
    assert trained.population("n1").tau_m.item() == pytest.approx(1.2, abs=1e-3)
    assert all(p.tau_m.min() >= 1.2 for p in trained.neurons)


# --- bad input ----------------------------------------------------------------------------


def test_train_without_target_names_key():
    model = chain()
    with pytest.raises(ModelError, match="'target'"):
        train(model, "local", progress=False)


def test_train_beta_zero_names_key():
    model = chain(teacher=chain(name="teacher"))
    model.target.beta = 0.0
    with pytest.raises(ModelError, match="target.beta"):
        train(model, "local", progress=False)


def test_train_nonpositive_eta_names_key():
    with pytest.raises(ModelError, match="'eta'"):
        train(small_student(), "local", eta=-1.0, progress=False)


def test_train_tau_rate_without_clamp_names_key():
    with pytest.raises(ModelError, match="tau_min"):
        train(small_student(), "local", eta_tau_m=0.1, progress=False)


def test_gradcheck_unknown_mode_names_key():
    with pytest.raises(ModelError, match="'errors'"):
        grad.gradients(small_student(), "backprop")


def test_unknown_target_population_names_key():
    with pytest.raises(ModelError, match="target.population"):
        chain(teacher=None).__class__(
            name="bad", dt=0.01, duration=1.0, populations=chain().populations,
            projections=chain().projections, target=Target("nowhere", beta=1.0))


def test_diverging_weights_stop_at_first_step():
    model = small_student(eta=1e300)
    # Overflow warnings of the rates would precede the error; silence them.
    with np.errstate(over="ignore", invalid="ignore"), \
            pytest.raises(DivergenceError) as caught:
        train(model, "local", progress=False)
    error = caught.value
    assert error.variable.startswith("w/")
    assert error.population in ("n1", "n2")
    assert error.step < 400  # learning starts at step 0; it blows up within steps


# --- energy and cosines -------------------------------------------------------------------


def test_energy_stationary_in_le_network():
    residual = {}
    for dt in (0.02, 0.01):
        model = net_1221(dt=dt, duration=4.0, tau_r_hidden=((1.0, 0.7), (0.8, 1.2)),
                         output=(1.0, 1.0))
        traces = grad.errors(model, "local")
        late = traces.t >= 1.0
        residual[dt] = max(np.max(np.abs(r[late]))
                           for r in measure.energy_gradient(model, traces).values())
        energy = measure.energy(model, traces)
        half_squares = sum(0.5 * (traces[f"e/{p.name}"] ** 2).sum(-1)
                           for p in model.neurons)
        cost = traces["loss"]
        np.testing.assert_allclose(energy, half_squares + model.target.beta * cost,
                                   rtol=1e-12)
    # One grid step of feedback delay makes ∂E/∂ŭ = φ' Wᵀ (e(t − dt) − e(t)),
    # O(dt); measured about 0.02 at dt = 0.02.
    assert residual[0.02] < 0.05
    assert residual[0.02] / residual[0.01] == pytest.approx(2.0, rel=0.2)


def test_lagnet_local_adjoint_cosines():
    # 1-2-2-1 lag network (hidden τ_r = (1, 0.1), τ_m = 1): local errors keep
    # the adjoint's direction per projection (docs/theory-checks.md has the
    # numbers); instantaneous errors do worse on the first layer.
    model = net_1221(dt=0.01, duration=30.0, tau_m_hidden=((1.0, 1.0), (1.0, 1.0)),
                     tau_r_hidden=((1.0, 0.1), (1.0, 0.1)), output=(1.0, 1.0),
                     phi_out="linear", beta=1.0)
    adjoint = grad.gradients(model, "adjoint")
    local = measure.cosines(grad.gradients(model, "local"), adjoint)
    for key in ("w/x_to_h1", "w/h1_to_h2", "w/h2_to_out"):
        assert local[key] > 0.9, key
