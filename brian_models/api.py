"""Entry points of the Brian2 back end, with target selection and error wrapping."""

import logging
import re

from circuits.errors import ModelError, SimulationError

from . import devices, rate, runtime

logger = logging.getLogger(__name__)


def run_spec(spec, target):
    """Run a network description on ``target``; wrap Brian2 failures in SimulationError."""
    target = devices.resolve_target(target)
    try:
        with devices.brian_target(target):
            return runtime.run(spec), target
    except (ModelError, SimulationError):
        raise
    except Exception as error:  # Brian2 raises many types; name the object that failed.
        cause = error
        while cause.__cause__ is not None:
            cause = cause.__cause__
        raise SimulationError(
            f"Brian2 failed to build or run the network ({_failing_object(spec, error)}): "
            f"{type(cause).__name__}: {str(cause).strip()}") from error


def _failing_object(spec, error):
    """Name the population or projection that a Brian2 exception is about."""
    text = str(error)
    match = re.search(r"object named '([A-Za-z0-9_]+)'", text)
    if match:
        text = match.group(1)
    names = sorted(((item["name"], item in spec["groups"])
                    for item in spec["groups"] + spec["synapses"]),
                   key=lambda pair: -len(pair[0]))
    for name, is_group in names:
        if name in text:
            return f"{'population' if is_group else 'projection'} '{name}'"
    return "network"


def simulate_rate(model, scheme=None, errors=None, inputs=None, target="numpy",
                  plasticity=False, record_weights=False, method=None, gain=None,
                  target_rates=None):
    """Run the rate network in Brian2 and return :class:`~circuits.traces.Traces`.

    Parameters
    ----------
    model : circuits.model.Model
    scheme : {"euler", "exact"}, optional
        Reference scheme to reproduce step for step (default ``model.scheme``):
        ``euler`` uses Brian2's ``euler`` updater, ``exact`` its
        ``exponential_euler``, which is the reference's zero-order hold.
    errors : {"local", "instantaneous", "local_gain"}, optional
        Online error mode; defaults to the model's when plasticity runs.
    inputs : dict, optional
        Population name → array (T, N) replacing its signal.
    target : {"numpy", "cython", "cpp_standalone"}
        Brian2 code-generation target.
    plasticity : bool
        Run the model's [learning] rule (SGD on weights and biases).
    record_weights : bool
        Record ``w/<projection>`` (T, post, pre) and ``b/<population>``.
    method : str, optional
        A Brian2 state updater (``"rk4"``, ``"exact"``, ...) that replaces the
        scheme's; the step structure (stored rates, one dt per layer) stays.
    gain : dict, optional
        Population → per-neuron gain of the ``local_gain`` mode (default 1).
    target_rates : array (T, N), optional
        Target rates replacing the model's target.

    Returns
    -------
    Traces
        ``t``, ``u/P``, ``ubreve/P``, ``r/P`` (and ``e/P``, ``v/P``,
        ``alpha/P`` with errors), ``r/<input>``; ``traces.params`` holds the
        learned parameters.
    """
    spec, info = rate.rate_spec(model, scheme=scheme, errors=errors, inputs=inputs,
                                plasticity=plasticity, record_weights=record_weights,
                                method=method, gain=gain, target=target_rates)
    result, used = run_spec(spec, target)
    traces = rate.traces_from(model, result, info)
    traces.meta["target"] = used
    return traces


def simulate_spiking(model, inputs=None, target="numpy", neurons_per_unit=None,
                     rate_max=None, neuron=None, seed=None):
    """Run the spiking version of the forward network; see :mod:`brian_models.spiking`.

    Parameters
    ----------
    model : circuits.model.Model
    inputs : dict, optional
        Population name → array (T, N) replacing its signal.
    target : {"numpy", "cython", "cpp_standalone"}
    neurons_per_unit, rate_max, neuron, seed : optional
        Override ``model.spiking``.

    Returns
    -------
    Traces
        ``r/P``: the decoded, synaptically filtered population rate;
        ``r_drive/P``: the rate phi(ubreve) that drives the spiking neurons;
        ``u/P``, ``ubreve/P``; ``r/<input>``.
    """
    from . import spiking

    spec = spiking.spiking_spec(model, inputs=inputs, neurons_per_unit=neurons_per_unit,
                                rate_max=rate_max, neuron=neuron, seed=seed)
    result, used = run_spec(spec, target)
    traces = spiking.traces_from(model, result, spec)
    traces.meta["target"] = used
    return traces
