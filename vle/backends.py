"""Run a model on a back end by name.

Each back end returns :class:`circuits.traces.Traces` with the same layout, so
that the command line and the cross-check treat them alike. The simulator
packages are imported only when their back end is used.
"""

from circuits.errors import ModelError

BACKENDS = ("reference", "brian2", "brian2-spiking", "ngspice")


def simulate(model, backend="reference", *, scheme=None, errors=None, inputs=None,
             **options):
    """Simulate ``model`` on ``backend`` and return its traces.

    Parameters
    ----------
    model : circuits.model.Model
    backend : {"reference", "brian2", "brian2-spiking", "ngspice"}
    scheme : str, optional
        Update scheme of the reference and of the Brian2 rate back end.
    errors : str, optional
        Online error mode (``local``, ``instantaneous``, ``local_gain``); the
        errors are recorded as ``e/<population>``.
    inputs : dict, optional
        Population name → array (T, N) or (B, T, N) replacing its signal.
    options
        Passed on to the back end.
    """
    if errors is not None:
        from circuits.reference import check_error_target

        # For the Brian2 back ends, ``target`` names the code-generation target.
        check_error_target(model, None if backend.startswith("brian2")
                           else options.get("target"))
    if backend == "reference":
        from circuits.reference import Online, simulate as run

        # Error neurons run only on request; gamma feedback needs them, so a
        # model with gamma > 0 runs its forward pass alone unless errors are asked for.
        online = Online.from_model(model, errors=errors, plastic=False) if errors else None
        return run(model, scheme=scheme, inputs=inputs, online=online, **options)
    if backend == "brian2":
        from brian_models import simulate_rate

        return simulate_rate(model, scheme=scheme, errors=errors, inputs=inputs, **options)
    if backend == "brian2-spiking":
        from brian_models import simulate_spiking

        return simulate_spiking(model, inputs=inputs, **options)
    if backend == "ngspice":
        from spice_netlists import simulate_circuit

        return simulate_circuit(model, errors=errors, inputs=inputs, **options)
    raise ModelError(f"unknown back end {backend!r}; expected one of {', '.join(BACKENDS)}",
                     key="backend", value=backend)
