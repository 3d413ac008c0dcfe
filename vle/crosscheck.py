"""Cross-check: run one model on several back ends and compare their traces.

What is compared with what
--------------------------
The physics reference is the reference simulator with ``scheme="continuous"``
(``solve_ivp``, no delay between layers). Every back end is compared with it:

``reference`` (grid scheme, the model's ``euler`` or ``exact``)
    measures the discretisation error of the grid scheme itself. Parallel
    layer updates add one dt of delay per layer, a first-order error of size
    about dt/tau, hence the default tolerance 1e-2.
``brian2`` (rate neurons)
    runs the same grid scheme in Brian2. Against the continuous reference it
    carries the same first-order error (tolerance 1e-2). That comparison alone
    cannot tell a Brian2 bug from the scheme's own error, so Brian2 is also
    compared with the reference run on its matching grid scheme, where both
    should agree to floating-point rounding (tolerance 1e-9). Both verdicts
    must pass.
``ngspice``
    integrates the circuit in continuous time with a small maximum step, so it
    is judged against the continuous reference only (tolerance 1e-3).
``brian2-spiking``
    replaces rates by filtered spike trains, which adds shot noise and a
    synaptic low-pass filter; judged against the continuous reference with a
    looser tolerance (see :data:`DEFAULT_TOLERANCES`).

Metrics, per back end, comparison, population and variable (u, ubreve, r,
and e when errors run), on the model grid ``model.times()`` and after a
transient window of 5·max tau (initial states differ slightly between back
ends and decay on that scale):

- ``nrmse``: RMS of (candidate − reference) over time, neurons and samples,
  divided by the range (max − min) of the reference over the same window;
- ``max_abs_error``: the largest absolute difference;
- ``passed``: ``nrmse <= tolerance``.

The data layout of the result is documented field by field in
``docs/report.md`` and checked by :func:`vle.report.validate_metrics`.
"""

import logging
import sys
import time

import numpy as np

from circuits.errors import ModelError, SimulationError, VleError

from . import backends as backend_dispatch
from .checks import CONTINUOUS, REFERENCE, bode_check, classification
from .logfilter import log_once_per_run

logger = logging.getLogger(__name__)

GRID_SCHEMES = ("euler", "exact")
# Packages whose modules log while a back end runs. The cross-check runs every
# back end once per sample, so a warning about the model (an unbounded phi in
# the spiking back end, say) would otherwise repeat for every sample.
BACKEND_PACKAGES = ("circuits", "brian_models", "spice_netlists")
VARIABLES = ("u", "ubreve", "r")
TRANSIENT_FACTOR = 5.0
# Default NRMSE tolerance of each back end against the continuous reference.
DEFAULT_TOLERANCES = {
    # First-order error of the parallel grid scheme: one dt of delay per layer.
    "reference": 1e-2,
    "brian2": 1e-2,
    # ngspice integrates continuously with a max step of tau_min/100; the
    # remaining error comes from its own truncation-error control.
    "ngspice": 1e-3,
    # Measured on examples/lagnet.toml with rate_max = 50 Hz, 200 neurons per
    # unit and tau_syn = 50 ms: NRMSE 0.10 on hidden rates (shot noise of
    # finite spike counts), up to 0.25 on the linear output, whose rates leave
    # the encodable range [-1, 1] and are clipped.
    "brian2-spiking": 0.3,
}
# Brian2 rate neurons against the reference on the same grid scheme: the
# generated code performs the same floating-point operations up to ordering.
MATCHING_SCHEME_TOLERANCE = 1e-9
# Below this reference range the error is divided by 1 instead (a flat trace).
RANGE_FLOOR = 1e-12


def parse_tolerances(items):
    """Parse ``BACKEND=VALUE`` strings into a dict of positive floats."""
    result = {}
    for item in items or ():
        name, _, value = item.partition("=")
        name = name.strip()
        if not value or name not in backend_dispatch.BACKENDS:
            raise ModelError(
                f"invalid tolerance {item!r}; write BACKEND=VALUE with BACKEND one of "
                f"{', '.join(backend_dispatch.BACKENDS)}, for example ngspice=1e-3",
                key="--tolerance", value=item)
        try:
            number = float(value)
        except ValueError:
            raise ModelError(f"tolerance {value!r} is not a number", key="--tolerance",
                             value=item) from None
        if not np.isfinite(number) or number <= 0:
            raise ModelError(f"tolerance must be a positive number, got {value!r}",
                             key="--tolerance", value=item)
        result[name] = number
    return result


def parse_perturbations(items, model):
    """Parse ``BACKEND:KEY=FACTOR`` strings; KEY is ``tau_m``, ``tau_r`` or ``POP.tau_m`` …

    A factor s on tau_m of one back end stands for a membrane capacitor C_m
    that is s times too large while its leak g_L is right (tau_m = C_m/g_L).
    Returns a dict back end → list of (population or None, attribute, factor).
    """
    result = {}
    for item in items or ():
        head, _, factor_text = item.partition("=")
        backend, _, key = head.partition(":")
        population, _, attribute = key.rpartition(".")
        hint = "write BACKEND:KEY=FACTOR, for example ngspice:h1.tau_m=1.5"
        if backend not in backend_dispatch.BACKENDS or attribute not in ("tau_m", "tau_r"):
            raise ModelError(f"invalid perturbation {item!r}; {hint} (KEY is tau_m, tau_r "
                             "or POPULATION.tau_m / POPULATION.tau_r)",
                             key="--perturb", value=item)
        try:
            factor = float(factor_text)
        except ValueError:
            raise ModelError(f"invalid perturbation {item!r}: {factor_text!r} is not a "
                             f"number; {hint}", key="--perturb", value=item) from None
        if not np.isfinite(factor) or factor <= 0:
            raise ModelError(f"perturbation factor must be positive, got {factor_text!r}",
                             key="--perturb", value=item)
        if population and population not in [p.name for p in model.neurons]:
            raise ModelError(f"perturbation names unknown neuron population "
                             f"'{population}'", key="--perturb", value=item)
        result.setdefault(backend, []).append((population or None, attribute, factor))
    return result


def perturbed(model, changes):
    """Return a copy of ``model`` with time constants scaled by ``changes``."""
    if not changes:
        return model
    result = model.copy()
    for population_name, attribute, factor in changes:
        for population in result.neurons:
            if population_name in (None, population.name):
                setattr(population, attribute, getattr(population, attribute) * factor)
    return result


def forward_model(model, errors):
    """Return the model as the cross-check runs it: no plasticity, errors only on request.

    Without ``errors`` the [learning] table is dropped, so that every back end
    runs the same forward pass. With errors, gamma must be 0 because the continuous reference
    cannot solve the algebraic loop that error feedback into the membrane
    creates.
    """
    if errors is None:
        if model.learning is None:
            return model
        result = model.copy()
        result.learning = None
        return result
    if model.target is None:
        raise ModelError("--errors needs a [target] table (or --dataset) that "
                         "defines what the output should be", key="target", source=model.source)
    if model.learning is not None and model.learning.gamma:
        raise ModelError(
            f"--errors needs gamma = 0 (the model has {model.learning.gamma:g}): the "
            "continuous reference cannot solve the loop that error feedback into the "
            "membrane creates; set learning.gamma = 0 for the cross-check",
            key="learning.gamma", value=model.learning.gamma, source=model.source)
    return model


def transient_window(model, backends):
    """Start (s) of the compared window: 5·max tau, including tau_syn of spiking runs."""
    tau = model.tau_max
    if "brian2-spiking" in backends:
        tau = max(tau, model.spiking.tau_syn)
    start = TRANSIENT_FACTOR * tau
    if start >= model.times()[-1]:
        raise ModelError(
            f"the duration ({model.duration:g} s) is not longer than the transient "
            f"window 5 * max tau = {start:g} s that the cross-check skips; make the "
            "model run longer", key="duration", value=model.duration, source=model.source)
    return start


def on_grid(traces, times):
    """Arrays of ``traces`` as (T, B, N) on ``times``, linearly interpolated if needed."""
    result = {}
    t = np.asarray(traces.t, dtype=float)
    same = t.shape == times.shape and np.allclose(t, times, rtol=0, atol=1e-9 * times[-1])
    for key, value in traces.data.items():
        if "/" not in key or key.split("/")[0] in ("w", "b"):
            continue
        array = np.asarray(value, dtype=float)
        if array.ndim == 2:
            array = array[:, None, :]
        if array.ndim != 3 or array.shape[0] != len(t):
            continue
        if not same:
            flat = array.reshape(len(t), -1)
            flat = np.stack([np.interp(times, t, column) for column in flat.T], axis=1)
            array = flat.reshape((len(times),) + array.shape[1:])
        result[key] = array
    return result


def compare(reference, candidate, times, start, keys, tolerance):
    """Metrics of ``candidate`` against ``reference`` for each key; a list of dicts."""
    mask = times >= start - 1e-12
    rows = []
    for key in keys:
        variable, population = key.split("/", 1)
        row = {"population": population, "variable": variable, "tolerance": tolerance}
        if key not in candidate:
            row.update(nrmse=None, max_abs_error=None, range=None, passed=None,
                       status="not recorded")
            rows.append(row)
            continue
        expected, actual = reference[key][mask], candidate[key][mask]
        if expected.shape != actual.shape:
            raise SimulationError(f"trace '{key}' has shape {actual.shape} on the common "
                                  f"grid, expected {expected.shape}")
        error = actual - expected
        span = float(expected.max() - expected.min())
        rms = float(np.sqrt(np.mean(error ** 2)))
        nrmse = rms / (span if span > RANGE_FLOOR else 1.0)
        finite = bool(np.isfinite(nrmse))
        row.update(nrmse=nrmse if finite else None,
                   max_abs_error=float(np.max(np.abs(error))) if finite else None,
                   range=span, passed=bool(finite and nrmse <= tolerance),
                   status="compared" if finite else "non-finite")
        rows.append(row)
    return rows


def run_backend(model, backend, scheme, errors, samples, target, options=None,
                on_sample=None):
    """Run ``model`` on ``backend`` once per input sample; return (Traces list, seconds).

    ``samples`` is a list of input dicts (or [None] for the model's own signals);
    ``target`` a list of target arrays (T, N) or None, one per sample;
    ``on_sample`` is called without arguments after each sample.
    """
    runs = []
    started = time.perf_counter()
    for index, inputs in enumerate(samples):
        kwargs = dict(options or {})
        if target is not None and errors:
            kwargs["target"] = target[index]
        if backend == REFERENCE:
            runs.append(backend_dispatch.simulate(model, REFERENCE, scheme=scheme,
                                                  errors=errors, inputs=inputs, **kwargs))
        elif backend == "brian2":
            runs.append(backend_dispatch.simulate(model, backend, scheme=scheme,
                                                  errors=errors, inputs=inputs, **kwargs))
        elif backend == "brian2-spiking":
            runs.append(backend_dispatch.simulate(model, backend, inputs=inputs, **kwargs))
        else:
            runs.append(backend_dispatch.simulate(model, backend, errors=errors,
                                                  inputs=inputs, **kwargs))
        if on_sample is not None:
            on_sample()
    return runs, time.perf_counter() - started


def stack_runs(runs, times):
    """Put a list of single-sample runs on ``times`` and stack them as (T, B, N)."""
    grids = [on_grid(run, times) for run in runs]
    keys = set(grids[0])
    for grid in grids[1:]:
        keys &= set(grid)
    return {key: np.concatenate([grid[key] for grid in grids], axis=1)
            for key in sorted(keys)}


# --- running the jobs -------------------------------------------------------------------

def _run_jobs(jobs, model, perturb, errors, samples, targets, times, progress):
    """Run every (label, back end, scheme) job on all samples; return (grids, status).

    The progress bar goes to standard error. tqdm's ``disable=None`` turns it off
    when standard error is not a terminal (a log file would get one long line of
    carriage returns); one line per finished job is printed there instead.
    """
    from tqdm import tqdm

    grids, status = {}, {}
    bar = tqdm(total=len(jobs) * len(samples), desc="cross-check", unit="run",
               disable=None if progress else True, leave=False)
    lines = progress and bar.disable
    try:
        for label, backend, scheme in jobs:
            bar.set_postfix_str(label)
            run_model = perturbed(model, perturb.get(backend)) \
                if label != f"{REFERENCE}/{CONTINUOUS}" else model
            try:
                runs, seconds = run_backend(run_model, backend, scheme, errors, samples,
                                            targets, on_sample=lambda: bar.update(1))
            except (VleError, ImportError) as error:
                if label == f"{REFERENCE}/{CONTINUOUS}":
                    raise
                logger.error("back end %s failed: %s", label, error)
                status[label] = {"status": "error", "message": str(error), "seconds": None}
                if lines:
                    print(f"cross-check: {label} failed", file=sys.stderr, flush=True)
                continue
            grids[label] = stack_runs(runs, times)
            status[label] = {"status": "ok", "message": None, "seconds": seconds}
            if lines:
                print(f"cross-check: {label} done, {len(samples)} sample(s) in "
                      f"{seconds:.1f} s", file=sys.stderr, flush=True)
    finally:
        bar.close()
    return grids, status


# --- the whole cross-check ----------------------------------------------------------------


def crosscheck(model, backends, *, tolerances=None, errors=None, perturb=None,
               samples=None, labels=None, targets=None, dataset=None, settle=0.0,
               progress=True):
    """Run ``model`` on each back end, compare with the continuous reference, judge.

    Parameters
    ----------
    model : circuits.model.Model
    backends : list of str
        Names from :data:`vle.backends.BACKENDS`.
    tolerances : dict, optional
        Back end → NRMSE tolerance overriding :data:`DEFAULT_TOLERANCES`.
    errors : str, optional
        Online error mode; errors are then compared as variable ``e``.
    perturb : dict, optional
        Back end → list of (population or None, attribute, factor), see
        :func:`parse_perturbations`; used to check that a wrong circuit fails.
    samples : list of dict, optional
        One input dict per sample (population → array (T, N)); the model's own
        signals when None.
    labels : array of int, optional
        Class labels of the samples; the classification of each back end is
        then reported.
    targets : list of arrays (T, N), optional
        Targets of the samples, needed with ``errors`` and a data set.
    dataset : str, optional
        Name of the data set the samples come from (reported only).
    settle : float
        Start (s) of the window over which the output is summed for a prediction.
    progress : bool
        Show a tqdm progress bar on standard error when it is a terminal, else
        one line per finished back end.

    Returns
    -------
    metrics : dict
        The content of ``metrics.json`` (layout in ``docs/report.md``).
    grids : dict
        Run label (``reference/continuous``, ``reference/euler``, back-end
        names) → dict of arrays (T, B, N) on ``model.times()``, for plots.
    """
    unknown = [b for b in backends if b not in backend_dispatch.BACKENDS]
    if unknown or not backends:
        raise ModelError(f"unknown back end(s) {unknown}; expected a comma-separated list "
                         f"of {', '.join(backend_dispatch.BACKENDS)}", key="--backends",
                         value=",".join(backends))
    tolerance = {**DEFAULT_TOLERANCES, **(tolerances or {})}
    model = forward_model(model, errors)
    perturb = perturb or {}
    samples = samples or [None]
    times = model.times()
    start = transient_window(model, backends)
    grid_scheme = model.scheme if model.scheme in GRID_SCHEMES else "euler"
    jobs = [(f"{REFERENCE}/{CONTINUOUS}", REFERENCE, CONTINUOUS)]
    if REFERENCE in backends or "brian2" in backends:
        jobs.append((f"{REFERENCE}/{grid_scheme}", REFERENCE, grid_scheme))
    jobs += [(name, name, grid_scheme) for name in backends if name != REFERENCE]
    variables = VARIABLES + (("e",) if errors else ())

    with log_once_per_run(BACKEND_PACKAGES):
        grids, status = _run_jobs(jobs, model, perturb, errors, samples, targets, times,
                                  progress)

    reference = grids[f"{REFERENCE}/{CONTINUOUS}"]
    keys = [f"{v}/{p.name}" for p in model.neurons for v in variables
            if f"{v}/{p.name}" in reference]
    results = {}
    for name in backends:
        label = f"{REFERENCE}/{grid_scheme}" if name == REFERENCE else name
        results[name] = _backend_result(name, label, status, grids, reference, times,
                                        start, keys, tolerance, grid_scheme, perturb)
    metrics = {
        "schema_version": SCHEMA_VERSION,
        "model": _model_summary(model),
        "reference": {"backend": REFERENCE, "scheme": CONTINUOUS},
        "grid_scheme": grid_scheme,
        "transient": start,
        "variables": list(variables),
        "errors": errors,
        "samples": {"count": len(samples), "dataset": dataset,
                    "labels": None if labels is None else [int(v) for v in labels]},
        "tolerances": {name: tolerance[name] for name in backends},
        "matching_scheme_tolerance": MATCHING_SCHEME_TOLERANCE,
        "backends": results,
        "classification": None,
        "bode": None,
    }
    if labels is not None:
        metrics["classification"] = classification(model, grids, backends, grid_scheme,
                                                   labels, times, settle)
    if "ngspice" in backends and status.get("ngspice", {}).get("status") == "ok":
        changes = perturb.get("ngspice")
        metrics["bode"] = bode_check(model, tolerance["ngspice"],
                                     population=_bode_population(model, changes),
                                     circuit=perturbed(model, changes))
    _judge(metrics)
    return metrics, grids


SCHEMA_VERSION = 1


def _bode_population(model, changes):
    """Return the first population that a perturbation names, else the first population."""
    named = [population for population, _, _ in changes or () if population is not None]
    return named[0] if named else model.neurons[0].name


def _model_summary(model):
    return {"name": model.name, "source": model.source, "dt": model.dt,
            "duration": model.duration, "tau_max": model.tau_max,
            "populations": [p.name for p in model.neurons]}


def _backend_result(name, label, status, grids, reference, times, start, keys,
                    tolerance, grid_scheme, perturb):
    result = {"run": label, **status[label], "perturbation": [
        {"population": p, "attribute": a, "factor": f} for p, a, f in perturb.get(name, [])],
        "comparisons": [], "passed": None}
    if result["status"] != "ok":
        return result
    candidate = grids[label]
    result["comparisons"].append(_comparison(
        f"{REFERENCE}/{CONTINUOUS}", tolerance[name],
        compare(reference, candidate, times, start, keys, tolerance[name])))
    if name == "brian2" and f"{REFERENCE}/{grid_scheme}" in grids:
        matching = grids[f"{REFERENCE}/{grid_scheme}"]
        result["comparisons"].append(_comparison(
            f"{REFERENCE}/{grid_scheme}", MATCHING_SCHEME_TOLERANCE,
            compare(matching, candidate, times, start, keys, MATCHING_SCHEME_TOLERANCE)))
    return result


def _comparison(against, tolerance, rows):
    compared = [row for row in rows if row["status"] != "not recorded"]
    passed = bool(compared) and all(row["passed"] for row in compared)
    return {"against": against, "tolerance": tolerance, "passed": passed, "metrics": rows}


def _judge(metrics):
    """Set ``passed`` per back end, overall, and the exit code (0, 1 or 2)."""
    failed_to_run = False
    for result in metrics["backends"].values():
        if result["status"] != "ok":
            failed_to_run = True
            result["passed"] = False
            continue
        result["passed"] = all(c["passed"] for c in result["comparisons"])
    passed = all(r["passed"] for r in metrics["backends"].values())
    bode = metrics["bode"]
    if bode is not None and bode["status"] == "compared":
        passed = passed and bode["passed"]
    metrics["passed"] = bool(passed and not failed_to_run)
    if failed_to_run:
        metrics["exit_code"] = 2
    elif passed:
        metrics["exit_code"] = 0
    else:
        metrics["exit_code"] = 1
