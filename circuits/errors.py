"""Exception types shared by every vle package."""


class VleError(Exception):
    """Base class of every error that vle raises on purpose."""


class ModelError(VleError, ValueError):
    """An invalid model description.

    The message names the file (when there is one), the key and the value, and
    says what to change. ``message`` keeps the text without the file and key
    prefix, so that a caller can re-raise it with a longer key path.
    """

    def __init__(self, message, *, key=None, value=None, source=None):
        self.message = message
        self.key = key
        self.value = value
        self.source = source
        where = []
        if source is not None:
            where.append(str(source))
        if key is not None:
            where.append(f"key '{key}'")
        prefix = ": ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class UnitError(ModelError):
    """A quantity with a unit of the wrong dimension, or an unknown unit."""


class SimulationError(VleError, RuntimeError):
    """A simulation that could not run or did not finish."""


class DivergenceError(SimulationError):
    """A run that produced NaN or infinite values.

    Attributes
    ----------
    population : str
        Population where the first non-finite value appeared.
    step : int
        Index of the time step at which it appeared.
    """

    def __init__(self, population, step, time, variable="u"):
        self.population = population
        self.step = step
        self.time = time
        self.variable = variable
        super().__init__(
            f"simulation diverged: '{variable}' of population '{population}' became "
            f"NaN or infinite at step {step} (t = {time:.6g} s); reduce dt, the "
            "learning rate or the weights"
        )
