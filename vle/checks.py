"""Checks of a cross-check beyond the trace comparison.

:func:`classification` reports each run's predictions on labelled samples and
whether they equal those of the continuous reference. :func:`bode_check`
compares the ngspice ``.ac`` response of one neuron with its closed form.
"""

import numpy as np

from circuits.errors import VleError

REFERENCE = "reference"
CONTINUOUS = "continuous"


def classification(model, grids, backends, grid_scheme, labels, times, settle):
    """Accuracy of every run on the labelled samples and agreement with the reference."""
    output = model.target.population
    mask = times >= settle - 1e-12
    labels = np.asarray(labels, dtype=int)

    def predictions(label):
        rates = grids.get(label, {}).get(f"r/{output}")
        return None if rates is None else np.argmax(rates[mask].sum(axis=0), axis=-1)

    reference = predictions(f"{REFERENCE}/{CONTINUOUS}")
    result = {"population": output, "settle": settle,
              "reference": {"predictions": reference.tolist(),
                            "accuracy": float(np.mean(reference == labels))},
              "backends": {}}
    for name in backends:
        label = f"{REFERENCE}/{grid_scheme}" if name == REFERENCE else name
        predicted = predictions(label)
        if predicted is None:
            result["backends"][name] = None
            continue
        agree = predicted == reference
        result["backends"][name] = {
            "predictions": predicted.tolist(),
            "accuracy": float(np.mean(predicted == labels)),
            "agreement": float(np.mean(agree)),
            "same_as_reference": bool(np.all(agree)),
        }
    return result


def bode_check(model, tolerance, population=None, neuron=0, points=25, circuit=None):
    """Compare the SPICE AC response of one neuron with H(ω) = (1 + iωτ_r)/(1 + iωτ_m).

    Parameters
    ----------
    model : circuits.model.Model
        The intended model; its tau_m and tau_r give the closed form.
    tolerance : float
        Largest relative error |H_spice − H| / |H| over the frequencies that passes.
    population : str, optional
        Neuron population; the first one when None.
    neuron : int
        Index of the neuron in ``population``.
    points : int
        Number of frequencies, log-spaced two decades either side of 1/(2πτ_m).
    circuit : circuits.model.Model, optional
        The model that ngspice runs when it differs from ``model`` (a
        ``--perturb`` of ngspice), so that the AC analysis measures the same
        circuit as the transient runs. ``model`` itself when None.
    """
    from circuits.theory import transfer_function

    population = population or model.neurons[0].name
    tau_m = float(model.population(population).tau_m[neuron])
    tau_r = float(model.population(population).tau_r[neuron])
    corner = 1.0 / (2 * np.pi * tau_m)
    frequencies = np.logspace(np.log10(corner) - 2, np.log10(corner) + 2, points)
    result = {"population": population, "neuron": neuron, "tau_m": tau_m, "tau_r": tau_r,
              "frequencies": frequencies.tolist(), "tolerance": tolerance,
              "status": "unavailable", "message": None, "passed": None,
              "max_relative_error": None, "spice": None}
    expected = transfer_function(frequencies, tau_m, tau_r)
    result["theory"] = {"real": expected.real.tolist(), "imag": expected.imag.tolist()}
    try:
        from spice_netlists import ac_response

        measured = ac_response(circuit or model, population, neuron, frequencies)
    except (ImportError, VleError) as error:
        result["message"] = f"AC analysis not available: {error}"
        return result
    relative = np.abs(measured - expected) / np.abs(expected)
    result.update(status="compared", spice={"real": measured.real.tolist(),
                                            "imag": measured.imag.tolist()},
                  max_relative_error=float(relative.max()),
                  passed=bool(relative.max() <= tolerance))
    return result


def agreement_sentence(name, result, count):
    """One sentence saying whether run ``name`` classifies the samples as the reference does.

    ``result`` is an entry of ``classification["backends"]`` (None when the run
    recorded no output rates) and ``count`` the number of samples.
    """
    if result is None:
        return f"{name} recorded no output rates, so it classified nothing"
    differing = round((1.0 - result["agreement"]) * count)
    if result["same_as_reference"]:
        which = f"all {count} samples" if count > 1 else "the sample"
        return (f"{name} classifies {which} exactly as the continuous reference does "
                f"(accuracy {result['accuracy']:.3f})")
    return (f"{name} classifies {differing} of {count} samples differently from the "
            f"continuous reference (accuracy {result['accuracy']:.3f})")
