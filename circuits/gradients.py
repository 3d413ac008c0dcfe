"""Error signals and parameter gradients in the four error modes.

Loss. For a run on the time grid t_n = n·dt (n = 0 … T−1) the loss is

    L = mean over the batch of Σ_n dt·C_n,

with C = ½‖r* − r_N‖² (``mse``) or the cross-entropy of softmax(r_N)
(``cross_entropy``, a linear output population is assumed). It is computed
on a run without error feedback (γ = 0), so that every mode sees the same
forward trajectory.

Sign convention. Errors point in the descent direction and carry the
nudging strength β: at the output α_N = −β ∂C/∂ŭ_N. The descent directions
are

    D_W = ∫ e_post r_preᵀ dt,   D_b = ∫ e dt,
    D_τm = −∫ e ⊙ u̇ dt,        D_τr = +∫ α ⊙ u̇ dt,

(batch means; the adjoint uses λ in place of e), and they estimate
−β·∂L/∂θ. :func:`gradients` divides by β and flips the sign, so that it
returns estimates of ∂L/∂θ itself, comparable with finite differences.
``r_pre`` is the presynaptic rate that the projection delivered at that
step, as in the online plasticity.

Modes:

``adjoint``
    Exact continuous-time adjoint λ, computed offline by a backward sweep
    (:mod:`circuits.adjoint`).
``local``
    Causal GLE error neurons of the reference (τ_r integration, τ_m read-out).
``instantaneous``
    e = α, no error-neuron filter.
``local_gain``
    Local errors times a positive per-neuron gain (default 1), for example
    |H(ω₀)|² from :func:`gains_for_frequency`.
``discrete``
    (gradients only) Reverse mode through the grid scheme itself, exact to
    rounding.
"""

import logging

import numpy as np

from . import adjoint as adj
from . import reference as ref
from .errors import ModelError
from .model import ERROR_MODES
from .traces import Traces

logger = logging.getLogger(__name__)
GRADIENT_MODES = ERROR_MODES + ("discrete",)
FORWARD_RECORD = ("u", "ubreve", "r", "I", "loss")


def check_target(model, target=None):
    """Raise ModelError unless the model has a target with β > 0 (or ``target`` is given)."""
    if model.target is None:
        raise ModelError("learning and gradients need a target; add a [target] table",
                         key="target")
    if model.target.beta <= 0:
        raise ModelError("beta = 0 switches the output error off; set beta > 0",
                         key="target.beta", value=model.target.beta)
    if model.target.signal is None and model.target.teacher is None and target is None:
        raise ModelError("the target has neither a signal nor a teacher; give one, or "
                         "pass target arrays", key="target")


def check_mode(mode, modes=ERROR_MODES):
    if mode not in modes:
        raise ModelError(f"unknown error mode {mode!r}; expected one of {', '.join(modes)}",
                         key="errors", value=mode)
    return mode


def gains_for_frequency(model, frequency, params=None):
    """Per-neuron gains |H(ω₀)|² = (1 + ω₀²τ_r²)/(1 + ω₀²τ_m²), ω₀ = 2π·frequency (Hz).

    Multiplying the local error by this gain makes its amplitude equal to the
    adjoint's at ω₀ in the linear regime.
    """
    omega = 2 * np.pi * float(frequency)
    params = params or ref.Parameters(model)
    return {p.name: (1 + (omega * params.tau_r[p.name]) ** 2)
            / (1 + (omega * params.tau_m[p.name]) ** 2) for p in model.neurons}


def resolve_gain(model, gain=None, params=None):
    """Turn ``gain`` (None, a number, a dict or ``"frequency"``) into a dict of arrays."""
    if isinstance(gain, str) and gain == "frequency":
        frequency = model.learning.gain_frequency if model.learning else None
        if frequency is None:
            raise ModelError("gain = 'frequency' needs [learning] gain_frequency (Hz)",
                             key="learning.gain_frequency")
        return gains_for_frequency(model, frequency, params)
    if gain is None:
        frequency = model.learning.gain_frequency if model.learning else None
        if frequency is not None:
            return gains_for_frequency(model, frequency, params)
        return {p.name: np.ones(p.size) for p in model.neurons}
    if np.isscalar(gain):
        gain = {p.name: gain for p in model.neurons}
    result = {}
    for p in model.neurons:
        value = np.broadcast_to(np.asarray(gain.get(p.name, 1.0), dtype=float), (p.size,))
        if not np.all(np.isfinite(value)) or np.any(value <= 0):
            raise ModelError(f"gains must be positive and finite, got {value.tolist()}",
                             key=f"gain.{p.name}")
        result[p.name] = value.copy()
    return result


def forward_run(model, *, scheme=None, inputs=None, target=None, params=None):
    """Record the run that defines the loss (γ = 0, no plasticity); return a Forward."""
    check_target(model, target)
    scheme = _grid_scheme(model, scheme)
    params = params or ref.Parameters(model)
    targets = ref.target_array(model, model.times(), target, scheme, inputs)
    traces = ref.simulate(model, scheme=scheme, inputs=inputs, target=targets,
                          online=ref.Online(gamma=0.0), record=FORWARD_RECORD,
                          params=params)
    return adj.record_forward(model, traces, params, scheme, targets)


def errors(model, mode="local", *, scheme=None, inputs=None, target=None, gain=None,
           params=None):
    """Run ``model`` and return its errors in ``mode`` as Traces.

    The traces hold the forward variables ``u``, ``ubreve``, ``r``, ``I``,
    the error inputs ``alpha/<pop>`` and errors ``e/<pop>`` (for the adjoint
    also ``lam/<pop>``, equal to ``e``), all of shape (T, B, N), and ``loss``.
    ``traces.meta["forward"]`` is the :class:`circuits.adjoint.Forward` record.
    """
    check_mode(mode)
    check_target(model, target)
    scheme = _grid_scheme(model, scheme)
    params = params or ref.Parameters(model)
    if mode == "adjoint":
        forward = forward_run(model, scheme=scheme, inputs=inputs, target=target,
                              params=params)
        lam, alpha = adj.continuous_adjoint(forward)
        traces = _forward_traces(forward)
        for name in lam:
            traces.data[f"lam/{name}"] = lam[name]
            traces.data[f"e/{name}"] = lam[name]
            traces.data[f"alpha/{name}"] = alpha[name]
    else:
        targets = ref.target_array(model, model.times(), target, scheme, inputs)
        online = ref.Online(errors=mode, gamma=0.0,
                            gain=resolve_gain(model, gain, params)
                            if mode == "local_gain" else None)
        recorded = ref.simulate(model, scheme=scheme, inputs=inputs, target=targets,
                                online=online, record=FORWARD_RECORD + ("e", "alpha"),
                                params=params)
        forward = adj.record_forward(model, recorded, params, scheme, targets)
        traces = _forward_traces(forward)
        for p in model.neurons:
            traces.data[f"e/{p.name}"] = adj.as_time_batch(recorded[f"e/{p.name}"])
            traces.data[f"alpha/{p.name}"] = adj.as_time_batch(recorded[f"alpha/{p.name}"])
    traces.meta.update({"errors": mode, "scheme": scheme, "forward": forward})
    return traces


def _forward_traces(forward):
    traces = Traces(t=forward.traces.t)
    for variable, values in (("u", forward.u), ("ubreve", forward.ubreve),
                             ("r", forward.r), ("I", forward.current)):
        for name, array in values.items():
            traces.data[f"{variable}/{name}"] = array
    traces.data["loss"] = forward.cost()
    return traces


def descent_directions(traces, start=0.0):
    """D_W, D_b, D_τm, D_τr from error traces (β included; see the module docstring).

    Steps before ``start`` (s) do not contribute.
    """
    forward = traces.meta["forward"]
    model, dt = forward.model, forward.dt
    batch = forward.batch
    weight = dt * (traces.t >= start - 1e-12)[:, None, None]
    result = {}
    for q in model.projections:
        error = traces[f"e/{q.post}"]
        result[f"w/{q.name}"] = np.einsum("tbi,tbj->ij", weight * error,
                                          forward.pre[q.name]) / batch
    for p in model.neurons:
        error = weight * traces[f"e/{p.name}"]
        alpha = weight * traces[f"alpha/{p.name}"]
        udot = forward.udot(p.name)
        result[f"b/{p.name}"] = error.sum(axis=(0, 1)) / batch
        result[f"tau_m/{p.name}"] = -(error * udot).sum(axis=(0, 1)) / batch
        result[f"tau_r/{p.name}"] = (alpha * udot).sum(axis=(0, 1)) / batch
    return result


def gradients(model, mode="local", *, scheme=None, inputs=None, target=None, gain=None,
              params=None):
    """Estimates of ∂L/∂θ for every parameter in ``mode``.

    ``discrete`` is exact for the grid loss; the other modes return
    −D_θ/β from :func:`descent_directions`.

    Returns
    -------
    dict
        ``w/<projection>``, ``b/<population>``, ``tau_m/<population>``,
        ``tau_r/<population>`` → arrays shaped like the parameters.
    """
    check_mode(mode, GRADIENT_MODES)
    if mode == "discrete":
        forward = forward_run(model, scheme=scheme, inputs=inputs, target=target,
                              params=params)
        return adj.discrete_gradients(forward)
    traces = errors(model, mode, scheme=scheme, inputs=inputs, target=target, gain=gain,
                    params=params)
    beta = model.target.beta
    return {key: -value / beta for key, value in descent_directions(traces).items()}


def loss(model, *, scheme=None, inputs=None, target=None, params=None):
    """The grid loss L = mean_batch Σ_n dt·C_n of a run without error feedback."""
    return forward_run(model, scheme=scheme, inputs=inputs, target=target,
                       params=params).loss()


def finite_differences(model, *, scheme=None, inputs=None, target=None, step=1e-6,
                       keys=None):
    """Central differences (L(θ + h) − L(θ − h))/2h for every parameter element.

    ``step`` is relative to max(|θ|, 1). A teacher target is computed once
    and held fixed while the student's parameters move.
    """
    scheme = _grid_scheme(model, scheme)
    check_target(model, target)
    if target is None:
        target = ref.target_array(model, model.times(), None, scheme, inputs)
    base = ref.Parameters(model)
    result = {}
    for key in keys or parameter_keys(model):
        array = parameter_array(base, key)
        derivative = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            h = step * max(abs(array[index]), 1.0)
            values = []
            for sign in (1.0, -1.0):
                params = ref.Parameters(model)
                parameter_array(params, key)[index] += sign * h
                values.append(loss(model, scheme=scheme, inputs=inputs, target=target,
                                   params=params))
            derivative[index] = (values[0] - values[1]) / (2 * h)
        result[key] = derivative
    return result


def parameter_keys(model):
    """Names of the learnable arrays: w/<projection>, b/, tau_m/, tau_r/<population>."""
    keys = [f"w/{q.name}" for q in model.projections]
    for p in model.neurons:
        keys += [f"b/{p.name}", f"tau_m/{p.name}", f"tau_r/{p.name}"]
    return keys


def parameter_array(params, key):
    """The array of ``params`` named ``key`` (a view, changes stick)."""
    kind, name = key.split("/", 1)
    table = {"w": params.weights, "b": params.bias, "tau_m": params.tau_m,
             "tau_r": params.tau_r}
    if kind not in table or name not in table[kind]:
        raise ModelError(f"unknown parameter {key!r}", key="parameter", value=key)
    return table[kind][name]


def _grid_scheme(model, scheme):
    scheme = scheme or model.scheme
    if scheme == "continuous":
        logger.info("gradients use the exact grid scheme in place of 'continuous'")
        scheme = "exact"
    if scheme not in ("euler", "exact"):
        raise ModelError(f"gradients run on the euler or exact grid, not {scheme!r}",
                         key="scheme", value=scheme)
    return scheme
