"""Training: online plasticity with local errors, or offline updates from the adjoint.

``local``, ``instantaneous`` and ``local_gain`` learn online: the reference
runs error neurons and plasticity together with the forward pass, one
optimizer step per grid step (step size η·dt). ``adjoint`` learns offline:
each run (one batch of one epoch) is recorded without error feedback, the
adjoint is swept backward over it, and the parameters take one optimizer
step with the integrated descent direction ∫ λ r_preᵀ dt (step size η), so
that an SGD epoch moves them as far as the online rule would over the run.
Only the part of a run after ``[learning] start`` contributes in both cases.

Learned time constants are clamped to at least ``tau_min`` after every
update; a time-constant learning rate without ``tau_min`` is rejected when
the Learning table is built.
"""

import dataclasses
import logging
import time

import numpy as np

from . import gradients as grad
from . import reference as ref
from .adjoint import continuous_adjoint
from .errors import DivergenceError, ModelError
from .model import Learning
from .optimizers import make_optimizer
from .traces import Traces

logger = logging.getLogger(__name__)


def learning_settings(model, errors=None, targets_supplied=False, **overrides):
    """Return the model's [learning] table with ``overrides``, checked again.

    Raises ModelError (naming the key) for a model without a target, with
    β = 0, with a non-positive learning rate or with time-constant learning
    but no ``tau_min``. ``targets_supplied`` is true when the caller brings the
    target rates, so the [target] table needs no signal or teacher.
    """
    grad.check_target(model, target=True if targets_supplied else None)
    learning = model.learning or Learning()
    changes = {key: value for key, value in overrides.items() if value is not None}
    if errors is not None:
        changes["errors"] = errors
    unknown = set(changes) - {f.name for f in dataclasses.fields(Learning)}
    if unknown:
        raise ModelError(f"unknown learning settings {sorted(unknown)}",
                         key="learning", value=sorted(unknown))
    learning = dataclasses.replace(learning, **changes)
    if not learning.enabled:
        raise ModelError("learning is switched off (enabled = false); set it to true",
                         key="learning.enabled", value=False)
    return learning


def train(model, errors=None, epochs=None, inputs=None, targets=None, *, scheme=None,
          gain=None, progress=True, on_epoch=None, plateau=None, **overrides):
    """Train ``model`` and return ``(trained_model, history)``.

    Parameters
    ----------
    model : Model
        Needs a [target]; settings come from its [learning] table (or the
        defaults of :class:`circuits.model.Learning`).
    errors : {"local", "adjoint", "instantaneous", "local_gain"}, optional
        Error mode; the [learning] table's by default.
    epochs : int, optional
        Passes over the data; the [learning] table's by default.
    inputs : None, array, dict, iterable or callable
        None runs the model's own input signals. An array (B, T, N) feeds
        the single input population; a dict maps input populations to such
        arrays. An iterable yields batches, each a dict/array of inputs or a
        pair ``(inputs, targets)``; a callable is called with the epoch
        number and returns such an iterable. T must equal ``model.n_steps``.
    targets : None, array or iterable
        Target rates (B, T, N) (one-hot labels for cross-entropy), or an
        iterable of them matching ``inputs``; the model's target by default.
    scheme : {"euler", "exact"}, optional
    gain : optional
        Gains of ``local_gain`` (see :func:`circuits.gradients.resolve_gain`).
    progress : bool
        Show a tqdm progress bar with the running loss.
    on_epoch : callable, optional
        Called as ``on_epoch(epoch, model, history)`` after every epoch with a
        copy of the model carrying the parameters learned so far (for
        evaluation or checkpoints). A number it returns is stored in
        ``history["monitor"]`` and watched by ``plateau`` instead of the loss
        (lower is better, so return for example minus a validation accuracy).
    plateau : tuple (patience, factor), optional
        Reduce the learning rates on a plateau: after more than ``patience``
        epochs without a new lowest epoch loss, multiply eta (and the time-constant
        rates) by ``factor``, like PyTorch's ReduceLROnPlateau without a threshold.
    overrides
        Fields of :class:`circuits.model.Learning` (eta, eta_tau_m, gamma,
        optimizer, ...) that replace the model's.

    Returns
    -------
    trained_model : Model
        A copy of ``model`` with the learned parameters.
    history : dict
        ``loss``: mean loss L = Σ_n dt·C_n per run over each epoch;
        ``batch_loss``: L of every run, in order; ``seconds``: wall time.
    """
    # Batches from an iterable or a callable may bring their own targets.
    targets_supplied = targets is not None or callable(inputs) or not (
        inputs is None or isinstance(inputs, (np.ndarray, dict)))
    learning = learning_settings(model, errors, targets_supplied, epochs=epochs,
                                 **overrides)
    mode = grad.check_mode(learning.errors)
    scheme = grad._grid_scheme(model, scheme)
    model.check_step(scheme)
    params = ref.Parameters(model)
    optimizer = make_optimizer(learning, explicit_sgd=(mode == "adjoint"))
    history = {"loss": [], "batch_loss": [], "seconds": 0.0}
    started = time.perf_counter()
    bar = _progress_bar(learning.epochs, inputs, progress)
    try:
        for epoch in range(learning.epochs):
            losses = []
            for batch_inputs, batch_targets in _batches(model, inputs, targets, epoch):
                if mode == "adjoint":
                    value = _adjoint_step(model, learning, params, optimizer, scheme,
                                          batch_inputs, batch_targets)
                else:
                    value = _online_run(model, learning, params, optimizer, scheme, mode,
                                        gain, batch_inputs, batch_targets)
                losses.append(value)
                history["batch_loss"].append(value)
                bar.update(1)
                bar.set_postfix(epoch=epoch, loss=f"{value:.4g}")
            history["loss"].append(float(np.mean(losses)))
            logger.info("epoch %d: loss %.6g", epoch, history["loss"][-1])
            if on_epoch is not None:
                monitored = on_epoch(epoch, params.write_to(model), history)
                if monitored is not None:
                    history.setdefault("monitor", []).append(float(monitored))
            if plateau is not None:
                learning = _reduce_on_plateau(learning, history, plateau)
    finally:
        bar.close()
    history["seconds"] = time.perf_counter() - started
    return params.write_to(model), history


def _reduce_on_plateau(learning, history, plateau):
    """Scale the learning rates by ``factor`` after ``patience`` epochs without a new best.

    The watched value is ``history["monitor"]`` when ``on_epoch`` returns one,
    else the epoch loss.
    """
    patience, factor = plateau
    history.setdefault("eta", [])
    losses = history.get("monitor") or history["loss"]
    best = int(np.argmin(losses))
    last_change = history.get("eta_changed", 0)
    if len(losses) - 1 - max(best, last_change) > patience:
        learning = dataclasses.replace(
            learning, eta=learning.eta * factor, eta_tau_m=learning.eta_tau_m * factor,
            eta_tau_r=learning.eta_tau_r * factor)
        history["eta_changed"] = len(losses) - 1
        logger.info("loss plateau: learning rate reduced to %.3g", learning.eta)
    history["eta"].append(learning.eta)
    return learning


def _online_run(model, learning, params, optimizer, scheme, mode, gain, inputs, target):
    online = ref.Online(
        errors=mode, gamma=learning.gamma, eta=learning.eta,
        eta_tau_m=learning.eta_tau_m, eta_tau_r=learning.eta_tau_r,
        tau_min=learning.tau_min, learn_biases=learning.learn_biases,
        start=learning.start, optimizer=optimizer,
        gain=grad.resolve_gain(model, gain, params) if mode == "local_gain" else None,
    )
    traces = ref.simulate(model, scheme=scheme, inputs=inputs, target=target,
                          online=online, record=("loss",), params=params,
                          record_errors=False)
    return float(model.dt * np.asarray(traces["loss"]).sum(axis=0).mean())


def _adjoint_step(model, learning, params, optimizer, scheme, inputs, target):
    """One offline update from the adjoint of a recorded run; return its loss."""
    forward = grad.forward_run(model, scheme=scheme, inputs=inputs, target=target,
                               params=params)
    lam, alpha = continuous_adjoint(forward)
    traces = Traces(t=forward.traces.t, meta={"forward": forward})
    for name in lam:
        traces.data[f"e/{name}"] = lam[name]
        traces.data[f"alpha/{name}"] = alpha[name]
    descent = grad.descent_directions(traces, start=learning.start)
    for q in model.projections:
        if q.plastic:
            optimizer.step(f"w/{q.name}", params.weights[q.name], descent[f"w/{q.name}"],
                           learning.eta)
    for p in model.neurons:
        name = p.name
        if learning.learn_biases:
            optimizer.step(f"b/{name}", params.bias[name], descent[f"b/{name}"],
                           learning.eta)
        for key, rate in (("tau_m", learning.eta_tau_m), ("tau_r", learning.eta_tau_r)):
            if rate > 0:
                array = grad.parameter_array(params, f"{key}/{name}")
                optimizer.step(f"{key}/{name}", array, descent[f"{key}/{name}"], rate)
                np.maximum(array, learning.tau_min, out=array)
    _check_parameters(model, params, len(forward.traces.t) - 1)
    return forward.loss()


def _check_parameters(model, params, step):
    for key in grad.parameter_keys(model):
        if not np.all(np.isfinite(grad.parameter_array(params, key))):
            name = key.split("/", 1)[1]
            population = model.projection(name).post if key.startswith("w/") else name
            raise DivergenceError(population, step, step * model.dt, key)


def _batches(model, inputs, targets, epoch):
    """Yield (inputs dict or None, targets array or None) for one epoch."""
    if callable(inputs):
        inputs = inputs(epoch)
    if inputs is None or isinstance(inputs, (np.ndarray, dict)):
        yield _input_dict(model, inputs), targets
        return
    target_batches = iter(targets) if targets is not None else None
    for batch in inputs:
        if isinstance(batch, tuple):
            batch_inputs, batch_targets = batch
        else:
            batch_inputs = batch
            batch_targets = next(target_batches) if target_batches is not None else None
        yield _input_dict(model, batch_inputs), batch_targets


def _input_dict(model, inputs):
    if inputs is None or isinstance(inputs, dict):
        return inputs
    if len(model.inputs) != 1:
        raise ModelError(
            f"the model has {len(model.inputs)} input populations; pass inputs as a "
            "dict population name -> array", key="inputs")
    return {model.inputs[0].name: np.asarray(inputs, dtype=float)}


def _progress_bar(epochs, inputs, enabled):
    from tqdm import tqdm

    per_epoch = None
    if inputs is None or isinstance(inputs, (np.ndarray, dict)):
        per_epoch = 1
    elif hasattr(inputs, "__len__"):
        per_epoch = len(inputs)
    total = epochs * per_epoch if per_epoch is not None else None
    # disable=None turns the bar off when standard error is not a terminal (a log file).
    return tqdm(total=total, disable=None if enabled else True, unit="run", desc="train")
