"""The network description that every back end reads.

A :class:`Model` contains populations of neurons, feed-forward projections
between them, input signals, an optional target and learning settings, and
the physical scales used when the network becomes a circuit. All quantities
are stored as SI floats (seconds, hertz, volts, farads, siemens). Build a
model in Python with these classes, or load one from TOML with
:func:`circuits.loader.load_model`; both paths run the same value checks
(the loader adds a few that concern files, see ``docs/model-format.md``).

Forward dynamics of a neuron population (GLE, the default variant)::

    tau_m du/dt = -u + I,            I = sum_proj W r_pre + b (+ gamma e)
    u_breve     = u + tau_r du/dt = (1 - k) u + k I,   k = tau_r / tau_m
    r           = phi(u_breve)

The ``le`` variant forces tau_r = tau_m, so ``u_breve = I``; the ``nla``
variant applies the look-ahead to the rate, r = phi(u) + tau_r d/dt phi(u).
"""

import copy
import re
from dataclasses import dataclass, field

import numpy as np

from .errors import ModelError
from .phi import PHI_NAMES

NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
KINDS = ("input", "neuron")
VARIANTS = ("gle", "le", "nla")
LOSSES = ("mse", "cross_entropy")
ERROR_MODES = ("adjoint", "local", "instantaneous", "local_gain")
ONLINE_ERROR_MODES = ("local", "instantaneous", "local_gain")
OPTIMIZERS = ("sgd", "adam")
SCHEMES = ("euler", "exact", "continuous")
INITIAL_STATES = ("equilibrium", "zero")
READOUTS = ("algebraic", "capacitor_current", "lag_network")
SPIKING_NEURONS = ("poisson", "lif")


def check_name(name, key="name"):
    """Reject names that cannot become identifiers in Brian2 code and SPICE decks."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise ModelError(
            f"invalid name {name!r}: names must match [A-Za-z][A-Za-z0-9_]* because "
            "they become identifiers in generated Brian2 code and SPICE decks",
            key=key, value=name,
        )
    return name


def check_choice(value, choices, key):
    if value not in choices:
        raise ModelError(
            f"unknown value {value!r}; expected one of {', '.join(choices)}",
            key=key, value=value,
        )
    return value


def check_positive(value, key, *, allow_zero=False):
    """Check that a scalar or array is finite and positive (or non-negative)."""
    array = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(array)):
        raise ModelError("value is NaN or infinite; give a finite number", key=key,
                         value=value)
    bad = array < 0 if allow_zero else array <= 0
    if np.any(bad):
        sign = "non-negative" if allow_zero else "positive"
        index = int(np.flatnonzero(bad)[0])
        where = f" at index {index}" if array.ndim else ""
        raise ModelError(f"value must be {sign}, got {array.flat[index]:g}{where}",
                         key=key, value=value)
    return value


def per_neuron(value, size, key):
    """Broadcast a scalar or a list of ``size`` numbers to a float array of shape (size,)."""
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        array = np.full(size, float(array))
    if array.shape != (size,):
        raise ModelError(
            f"shape mismatch: got shape {array.shape}, expected a scalar or shape "
            f"({size},), one value per neuron",
            key=key, value=value,
        )
    if not np.all(np.isfinite(array)):
        raise ModelError("value contains NaN or inf; give finite numbers", key=key,
                         value=value)
    return array


@dataclass
class Population:
    """A group of neurons that share a kind.

    Parameters
    ----------
    name : str
        Identifier, ``[A-Za-z][A-Za-z0-9_]*``.
    size : int
        Number of neurons.
    kind : {"input", "neuron"}
        Input populations emit ``signal``; neuron populations integrate.
    tau_m, tau_r : float or array of shape (size,)
        Membrane and prospective time constants in seconds (neurons only).
    phi : str
        Activation function, one of :data:`circuits.phi.PHI_NAMES`.
    bias : float or array of shape (size,)
        Constant input b.
    variant : {"gle", "le", "nla"}
        Neuron model; ``le`` requires tau_r = tau_m (tau_r defaults to tau_m).
    signal : signal object
        Input signal (inputs only), see :mod:`circuits.signals`.
    """

    name: str
    size: int
    kind: str = "neuron"
    tau_m: np.ndarray | float | None = None
    tau_r: np.ndarray | float | None = None
    phi: str = "tanh"
    bias: np.ndarray | float = 0.0
    variant: str = "gle"
    signal: object = None

    def __post_init__(self):
        check_name(self.name)
        if isinstance(self.size, bool) or not isinstance(self.size, (int, np.integer)) \
                or self.size < 1:
            raise ModelError(f"size must be a positive integer, got {self.size!r}",
                             key="size", value=self.size)
        self.size = int(self.size)
        check_choice(self.kind, KINDS, "kind")
        if self.kind == "input":
            self._check_input()
        else:
            self._check_neuron()

    def _check_input(self):
        for key in ("tau_m", "tau_r"):
            if getattr(self, key) is not None:
                raise ModelError("input populations have no time constants; remove it",
                                 key=key, value=getattr(self, key))
        if self.signal is None:
            raise ModelError("input population needs a signal table", key="signal")
        if self.signal.size != self.size:
            raise ModelError(
                f"shape mismatch: the signal has {self.signal.size} channels but the "
                f"population has size {self.size}",
                key="signal", value=self.signal.kind,
            )
        self.bias = np.zeros(self.size)

    def _check_neuron(self):
        if self.signal is not None:
            raise ModelError("only input populations take a signal", key="signal")
        check_choice(self.variant, VARIANTS, "variant")
        check_choice(self.phi, PHI_NAMES, "phi")
        if self.tau_m is None:
            raise ModelError("neuron population needs tau_m", key="tau_m")
        self.tau_m = per_neuron(self.tau_m, self.size, "tau_m")
        check_positive(self.tau_m, "tau_m")
        if self.tau_r is None:
            if self.variant != "le":
                raise ModelError(
                    "neuron population needs tau_r (or variant = \"le\", which sets "
                    "tau_r = tau_m)",
                    key="tau_r",
                )
            self.tau_r = self.tau_m.copy()
        self.tau_r = per_neuron(self.tau_r, self.size, "tau_r")
        check_positive(self.tau_r, "tau_r")
        if self.variant == "le" and not np.allclose(self.tau_r, self.tau_m, rtol=1e-12):
            raise ModelError(
                "variant \"le\" requires tau_r = tau_m; remove tau_r or use variant "
                "\"gle\"",
                key="tau_r", value=self.tau_r.tolist(),
            )
        self.bias = per_neuron(self.bias, self.size, "bias")

    @property
    def is_input(self):
        return self.kind == "input"

    @property
    def k(self):
        """Mixing ratio tau_r / tau_m per neuron."""
        return self.tau_r / self.tau_m


@dataclass
class Projection:
    """All-to-all connection from ``pre`` to ``post`` with weights of shape (post, pre)."""

    pre: str
    post: str
    weights: np.ndarray
    name: str | None = None
    plastic: bool = True

    def __post_init__(self):
        check_name(self.pre, "pre")
        check_name(self.post, "post")
        if self.name is None:
            self.name = f"{self.pre}_to_{self.post}"
        check_name(self.name)
        self.weights = np.array(self.weights, dtype=float, ndmin=2)
        if self.weights.ndim != 2:
            raise ModelError(f"weights must be a matrix, got {self.weights.ndim} dims",
                             key="weights")
        if not np.all(np.isfinite(self.weights)):
            raise ModelError("weights contain NaN or inf", key="weights")


def initial_weights(post_size, pre_size, scale=None, seed=0, init="normal"):
    """Draw a (post, pre) weight matrix; ``normal`` uses N(0, scale²), scale = 1/√pre by default."""
    check_choice(init, ("normal", "uniform", "zeros"), "init")
    if scale is None:
        scale = 1.0 / np.sqrt(pre_size)
    rng = np.random.default_rng(seed)
    if init == "normal":
        return rng.normal(0.0, scale, size=(post_size, pre_size))
    if init == "uniform":
        return rng.uniform(-scale, scale, size=(post_size, pre_size))
    return np.zeros((post_size, pre_size))


@dataclass
class Target:
    """Target rates of the output population.

    Exactly one of ``signal`` (target rates r*, one channel per neuron) or
    ``teacher`` (a model of the same architecture whose output rates are the
    target) is given, except for data sets that bring their own labels.
    """

    population: str
    signal: object = None
    teacher: "Model | None" = None
    teacher_path: str | None = None
    beta: float = 1.0
    loss: str = "mse"

    def __post_init__(self):
        check_name(self.population, "population")
        check_choice(self.loss, LOSSES, "loss")
        self.beta = float(self.beta)
        check_positive(self.beta, "beta", allow_zero=True)
        if self.signal is not None and self.teacher is not None:
            raise ModelError("give either a target signal or a teacher model, not both",
                             key="teacher")


@dataclass
class Learning:
    """Settings of online learning (plasticity) and of the error dynamics.

    Rates: ``eta`` for weights and biases, ``eta_tau_m`` and ``eta_tau_r`` for
    time constants (0 keeps them fixed). Learned time constants are clamped to
    at least ``tau_min`` (seconds) after every update, which must be given when
    a time constant learns.
    """

    eta: float = 1e-3
    eta_tau_m: float = 0.0
    eta_tau_r: float = 0.0
    tau_min: float | None = None
    gamma: float = 0.0
    errors: str = "local"
    optimizer: str = "sgd"
    adam_beta1: float = 0.9
    adam_beta2: float = 0.999
    adam_epsilon: float = 1e-8
    gain_frequency: float | None = None
    start: float = 0.0
    epochs: int = 1
    learn_biases: bool = True
    enabled: bool = True

    def __post_init__(self):
        check_choice(self.errors, ERROR_MODES, "errors")
        check_choice(self.optimizer, OPTIMIZERS, "optimizer")
        if not np.isfinite(self.eta) or self.eta <= 0:
            raise ModelError(f"learning rate must be positive, got {self.eta!r}",
                             key="eta", value=self.eta)
        check_positive(self.eta_tau_m, "eta_tau_m", allow_zero=True)
        check_positive(self.eta_tau_r, "eta_tau_r", allow_zero=True)
        if (self.eta_tau_m > 0 or self.eta_tau_r > 0) and self.tau_min is None:
            raise ModelError(
                "time constants learn (eta_tau_m or eta_tau_r > 0) but tau_min is not "
                "set; give the clamp, for example tau_min = 10 * dt",
                key="tau_min",
            )
        if self.tau_min is not None:
            check_positive(self.tau_min, "tau_min")
        check_positive(self.gamma, "gamma", allow_zero=True)
        check_positive(self.start, "start", allow_zero=True)
        if self.gain_frequency is not None:
            check_positive(self.gain_frequency, "gain_frequency")
        if int(self.epochs) != self.epochs or self.epochs < 1:
            raise ModelError(f"epochs must be a positive integer, got {self.epochs!r}",
                             key="epochs", value=self.epochs)


@dataclass
class CircuitSpec:
    """Physical scales used when the model becomes a circuit.

    ``unit_voltage`` (V) is the voltage that stands for one model unit.
    Give either ``capacitance`` (membrane C_m, F; then g_L = C_m/tau_m) or
    ``leak_conductance`` (g_L, S; then C_m = g_L·tau_m). ``time_scale``
    multiplies every model time: 1e-3 runs a model written in seconds as a
    circuit in milliseconds.
    """

    unit_voltage: float = 0.1
    capacitance: float | None = 1e-12
    leak_conductance: float | None = None
    time_scale: float = 1e-3
    readout: str = "algebraic"

    def __post_init__(self):
        check_positive(self.unit_voltage, "unit_voltage")
        check_positive(self.time_scale, "time_scale")
        check_choice(self.readout, READOUTS, "readout")
        if self.leak_conductance is not None:
            check_positive(self.leak_conductance, "leak_conductance")
            self.capacitance = None
        elif self.capacitance is None:
            raise ModelError("give capacitance or leak_conductance", key="capacitance")
        else:
            check_positive(self.capacitance, "capacitance")


@dataclass
class SpikingSpec:
    """Mapping of each rate neuron onto a population of spiking neurons (Brian2).

    ``neurons_per_unit`` spiking neurons stand for one rate neuron; a rate r
    in [-1, 1] (after the signed encoding described in the Brian2 back end)
    maps to ``rate_max`` (Hz); downstream membranes see spikes filtered with
    ``tau_syn`` (s).
    """

    neuron: str = "poisson"
    neurons_per_unit: int = 100
    rate_max: float = 200.0
    tau_syn: float = 5e-3
    seed: int = 0

    def __post_init__(self):
        check_choice(self.neuron, SPIKING_NEURONS, "neuron")
        if int(self.neurons_per_unit) != self.neurons_per_unit or self.neurons_per_unit < 1:
            raise ModelError("neurons_per_unit must be a positive integer",
                             key="neurons_per_unit", value=self.neurons_per_unit)
        check_positive(self.rate_max, "rate_max")
        check_positive(self.tau_syn, "tau_syn")


@dataclass
class Model:
    """A feed-forward network of latent-equilibrium neurons with its inputs.

    Attributes
    ----------
    name : str
    dt : float
        Integration step (s) of the grid schemes; also the sampling interval of
        file signals and of recorded traces.
    duration : float
        Length of a run (s).
    populations : list of Population
    projections : list of Projection
    target : Target or None
    learning : Learning or None
    circuit : CircuitSpec
    spiking : SpikingSpec
    scheme : {"euler", "exact", "continuous"}
        Default update scheme of the reference simulator.
    initial_state : {"equilibrium", "zero"}
        ``equilibrium`` starts every neuron at the fixed point for the inputs
        at t = 0; ``zero`` starts every membrane at u = 0.
    source : str or None
        File the model was loaded from, used in messages and relative paths.
    """

    name: str
    dt: float
    duration: float
    populations: list
    projections: list = field(default_factory=list)
    target: Target | None = None
    learning: Learning | None = None
    circuit: CircuitSpec = field(default_factory=CircuitSpec)
    spiking: SpikingSpec = field(default_factory=SpikingSpec)
    scheme: str = "euler"
    initial_state: str = "equilibrium"
    source: str | None = None

    def __post_init__(self):
        check_name(self.name)
        check_positive(self.dt, "dt")
        check_positive(self.duration, "duration")
        if self.duration < self.dt:
            raise ModelError(
                f"duration ({self.duration:g} s) is shorter than dt ({self.dt:g} s)",
                key="duration", value=self.duration,
            )
        check_choice(self.scheme, SCHEMES, "scheme")
        check_choice(self.initial_state, INITIAL_STATES, "initial_state")
        self._check_graph()
        self._check_target()
        self._check_sampled_signals()
        self.order = self.topological_order()

    def _check_sampled_signals(self):
        """Reject sampled signals (files, arrays) that end before the run does."""
        signals = [(f"populations[{p.name}].signal", p.signal) for p in self.inputs]
        if self.target is not None and self.target.signal is not None:
            signals.append(("target.signal", self.target.signal))
        for key, signal in signals:
            if getattr(signal, "kind", None) != "file":
                continue
            rows = signal.data.shape[-2]
            covered = (rows - 1) * signal.interval
            if covered < self.duration * (1 - 1e-9):
                raise ModelError(
                    f"the sampled signal has {rows} rows, which cover "
                    f"{covered:g} s, but the run lasts {self.duration:g} s "
                    f"({self.n_steps} rows needed at {signal.interval:g} s per row); "
                    f"shorten duration to {covered:g} s or supply more rows",
                    key=key, value=getattr(signal, "path", None),
                )

    def _check_graph(self):
        names = [p.name for p in self.populations]
        if not names:
            raise ModelError("the model has no populations", key="populations")
        for name in names:
            if names.count(name) > 1:
                raise ModelError(
                    f"duplicate population name '{name}'; give each population its own "
                    "name",
                    key=f"populations[{name}].name", value=name,
                )
        projection_names = [p.name for p in self.projections]
        for name in projection_names:
            if projection_names.count(name) > 1:
                raise ModelError(
                    f"duplicate projection name '{name}'; give each projection between "
                    "the same populations its own name",
                    key=f"projections[{name}].name", value=name,
                )
        folded = [name.lower() for name in names + projection_names]
        for name in names + projection_names:
            if folded.count(name.lower()) > 1 and (names + projection_names).count(name) == 1:
                raise ModelError(
                    f"name '{name}' differs from another name only in case; SPICE "
                    "names are case-insensitive, so give them different letters",
                    key="name", value=name,
                )
        clashes = set(names) & set(projection_names)
        if clashes:
            raise ModelError(
                f"name '{sorted(clashes)[0]}' is used by a population and a projection",
                key=f"projections[{sorted(clashes)[0]}].name", value=sorted(clashes)[0],
            )
        for projection in self.projections:
            for key in ("pre", "post"):
                name = getattr(projection, key)
                if name not in names:
                    raise ModelError(
                        f"projection '{projection.name}' names unknown population "
                        f"'{name}'; known populations: {', '.join(names)}",
                        key=f"projections[{projection.name}].{key}", value=name,
                    )
            post = self.population(projection.post)
            pre = self.population(projection.pre)
            if post.is_input:
                raise ModelError(
                    f"projection '{projection.name}' targets input population "
                    f"'{post.name}'; inputs receive no projections",
                    key=f"projections[{projection.name}].post", value=post.name,
                )
            expected = (post.size, pre.size)
            if projection.weights.shape != expected:
                raise ModelError(
                    f"shape mismatch in projection '{projection.name}': weights have "
                    f"shape {projection.weights.shape}, expected (post, pre) = {expected}",
                    key=f"projections[{projection.name}].weights",
                    value=list(projection.weights.shape),
                )
        for population in self.populations:
            if not population.is_input and not self.projections_to(population.name):
                raise ModelError(
                    f"neuron population '{population.name}' receives no projection; "
                    "add a projection to it or remove it",
                    key=f"populations[{population.name}]", value=population.name,
                )

    def _check_target(self):
        if self.target is None:
            return
        names = [p.name for p in self.populations]
        if self.target.population not in names:
            raise ModelError(
                f"target population '{self.target.population}' does not exist; known "
                f"populations: {', '.join(names)}",
                key="target.population", value=self.target.population,
            )
        output = self.population(self.target.population)
        if output.is_input:
            raise ModelError("the target population must be a neuron population",
                             key="target.population", value=output.name)
        if self.target.signal is not None and self.target.signal.size != output.size:
            raise ModelError(
                f"shape mismatch: the target signal has {self.target.signal.size} "
                f"channels but population '{output.name}' has {output.size} neurons",
                key="target.signal",
            )
        if self.learning is not None and self.learning.enabled and self.target.beta == 0:
            raise ModelError(
                "beta = 0 switches the output error off, so nothing can be learned; "
                "set beta > 0 or remove the [learning] table",
                key="target.beta", value=0.0,
            )

    # --- graph queries -------------------------------------------------------------

    def population(self, name):
        """Return the population called ``name``."""
        for population in self.populations:
            if population.name == name:
                return population
        raise ModelError(f"unknown population '{name}'", key="population", value=name)

    def projection(self, name):
        """Return the projection called ``name``."""
        for projection in self.projections:
            if projection.name == name:
                return projection
        raise ModelError(f"unknown projection '{name}'", key="projection", value=name)

    def projections_to(self, name):
        return [p for p in self.projections if p.post == name]

    def projections_from(self, name):
        return [p for p in self.projections if p.pre == name]

    @property
    def inputs(self):
        return [p for p in self.populations if p.is_input]

    @property
    def neurons(self):
        """Neuron populations in topological order."""
        return [self.population(name) for name in self.order
                if not self.population(name).is_input]

    def topological_order(self):
        """Population names with every population after all of its sources.

        Raises ModelError naming the populations on a cycle.
        """
        remaining = {p.name: {q.pre for q in self.projections_to(p.name)}
                     for p in self.populations}
        order = []
        while remaining:
            ready = sorted(name for name, sources in remaining.items() if not sources)
            if not ready:
                cycle = " -> ".join(sorted(remaining))
                raise ModelError(
                    f"the projections form a cycle among {cycle}; only feed-forward "
                    "networks are supported",
                    key="projections",
                )
            # Keep the file order among populations that are ready together.
            ready.sort(key=[p.name for p in self.populations].index)
            for name in ready:
                order.append(name)
                del remaining[name]
            for sources in remaining.values():
                sources.difference_update(ready)
        return order

    # --- time grid -------------------------------------------------------------------

    def check_step(self, scheme=None):
        """Reject time constants shorter than dt under the euler scheme.

        Forward Euler on tau du/dt = -u + I is unstable for dt >= 2 tau and
        overshoots the fixed point for dt > tau, so every tau_m and tau_r must
        be at least dt. The other schemes integrate the linear part exactly
        and accept any dt.

        Parameters
        ----------
        scheme : {"euler", "exact", "continuous"}, optional
            Scheme to check for; the model's own ``scheme`` by default.

        Raises
        ------
        ModelError
            Naming the population and time constant, with the factor by which
            dt has to shrink.
        """
        scheme = self.scheme if scheme is None else scheme
        if scheme != "euler":
            return
        for population in self.neurons:
            for key in ("tau_m", "tau_r"):
                tau = float(getattr(population, key).min())
                # A relative margin lets tau = dt pass despite rounding of unit strings.
                if tau < self.dt * (1 - 1e-9):
                    raise ModelError(
                        f"{key} = {tau:g} s is shorter than dt = {self.dt:g} s; the "
                        "euler scheme needs tau >= dt (it is unstable for dt >= 2*tau); "
                        f"shrink dt by a factor of at least {self.dt / tau:.3g} (to "
                        f"dt <= {tau:g} s, better tau/10) or use the \"exact\" scheme",
                        key=f"populations[{population.name}].{key}", value=tau,
                    )


    @property
    def n_steps(self):
        """Number of recorded time points, t_n = n·dt for n = 0 … n_steps − 1."""
        return int(round(self.duration / self.dt)) + 1

    def times(self):
        return np.arange(self.n_steps) * self.dt

    @property
    def tau_min(self):
        values = [p.tau_m.min() for p in self.neurons] + [p.tau_r.min() for p in self.neurons]
        return float(min(values))

    @property
    def tau_max(self):
        values = [p.tau_m.max() for p in self.neurons] + [p.tau_r.max() for p in self.neurons]
        return float(max(values))

    def copy(self):
        """Return a deep copy (parameters can then be changed without side effects)."""
        return copy.deepcopy(self)
