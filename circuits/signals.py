"""Input and target signals.

A signal maps time (seconds) to one value per neuron. Every back end samples
the same definition: the grid schemes read it at t_n = n·dt, the continuous
reference and the SPICE sources use it as a function of continuous time.
"""

from dataclasses import dataclass, field

import numpy as np

from .errors import ModelError

SIGNAL_KINDS = ("sines", "step", "square", "file", "array")

# Times within this relative distance of a switching instant count as after it,
# so that t_n = n*dt lands on the same side in every scheme despite rounding.
_SWITCH_TOLERANCE = 1e-9


def _at_or_after(t, instant):
    return t >= instant - _SWITCH_TOLERANCE * max(abs(instant), 1e-12)


@dataclass(frozen=True)
class Sines:
    """Sum of sinusoids per neuron: offset + Σ_k A_k sin(2π f_k t + phase_k).

    ``amplitude``, ``frequency`` (Hz) and ``phase`` (rad) have shape
    (size, K); ``offset`` has shape (size,).
    """

    amplitude: np.ndarray
    frequency: np.ndarray
    phase: np.ndarray | None = None
    offset: np.ndarray | None = None
    kind: str = field(default="sines", init=False)

    def __post_init__(self):
        amplitude = np.array(self.amplitude, dtype=float, ndmin=2)
        object.__setattr__(self, "amplitude", amplitude)
        object.__setattr__(self, "frequency", np.array(self.frequency, dtype=float, ndmin=2))
        phase = np.zeros_like(amplitude) if self.phase is None else self.phase
        object.__setattr__(self, "phase", np.array(phase, dtype=float, ndmin=2))
        offset = np.zeros(amplitude.shape[0]) if self.offset is None else self.offset
        object.__setattr__(self, "offset", np.array(offset, dtype=float, ndmin=1))

    @property
    def size(self):
        return self.amplitude.shape[0]

    def sample(self, t):
        t = np.asarray(t, dtype=float)[:, None, None]
        waves = self.amplitude * np.sin(2 * np.pi * self.frequency * t + self.phase)
        return self.offset + waves.sum(axis=2)

    def breakpoints(self, t_end):
        return np.empty(0)

    def to_table(self):
        return {
            "kind": "sines",
            "amplitude": self.amplitude.tolist(),
            "frequency": self.frequency.tolist(),
            "phase": self.phase.tolist(),
            "offset": self.offset.tolist(),
        }


@dataclass(frozen=True)
class Step:
    """baseline before ``start`` (s), baseline + amplitude from ``start`` on."""

    amplitude: np.ndarray
    start: float = 0.0
    baseline: np.ndarray | None = None
    kind: str = field(default="step", init=False)

    def __post_init__(self):
        amplitude = np.array(self.amplitude, dtype=float, ndmin=1)
        object.__setattr__(self, "amplitude", amplitude)
        baseline = np.zeros_like(amplitude) if self.baseline is None else self.baseline
        object.__setattr__(self, "baseline", np.array(baseline, dtype=float, ndmin=1))

    @property
    def size(self):
        return self.amplitude.shape[0]

    def sample(self, t):
        t = np.asarray(t, dtype=float)[:, None]
        return self.baseline + self.amplitude * _at_or_after(t, self.start)

    def breakpoints(self, t_end):
        return np.array([self.start]) if 0 < self.start < t_end else np.empty(0)

    def to_table(self):
        return {
            "kind": "step",
            "amplitude": self.amplitude.tolist(),
            "start": self.start,
            "baseline": self.baseline.tolist(),
        }


@dataclass(frozen=True)
class Square:
    """Square wave: offset + amplitude for the first half of each period, offset − amplitude after."""

    amplitude: np.ndarray
    period: float
    offset: np.ndarray | None = None
    kind: str = field(default="square", init=False)

    def __post_init__(self):
        amplitude = np.array(self.amplitude, dtype=float, ndmin=1)
        object.__setattr__(self, "amplitude", amplitude)
        offset = np.zeros_like(amplitude) if self.offset is None else self.offset
        object.__setattr__(self, "offset", np.array(offset, dtype=float, ndmin=1))

    @property
    def size(self):
        return self.amplitude.shape[0]

    def sample(self, t):
        t = np.asarray(t, dtype=float)
        half = 0.5 * self.period
        # Index of the half period each time falls in, robust at the switching instants.
        index = np.floor(t / half + _SWITCH_TOLERANCE).astype(int)
        sign = np.where(index % 2 == 0, 1.0, -1.0)[:, None]
        return self.offset + self.amplitude * sign

    def breakpoints(self, t_end):
        half = 0.5 * self.period
        return np.arange(1, int(np.floor(t_end / half)) + 1) * half

    def to_table(self):
        return {
            "kind": "square",
            "amplitude": self.amplitude.tolist(),
            "period": self.period,
            "offset": self.offset.tolist(),
        }


@dataclass(frozen=True)
class Samples:
    """Values sampled every ``interval`` seconds from t = 0, one column per neuron.

    Between samples the signal is linear (as a SPICE PWL source); after the
    last sample it keeps the last value. ``data`` has shape (T, size), or
    (B, T, size) for a batch of input sequences (Python API only).
    ``path`` names the file the data came from, if any.
    """

    data: np.ndarray
    interval: float
    path: str | None = None
    kind: str = field(default="file", init=False)

    @property
    def size(self):
        return self.data.shape[-1]

    @property
    def batch_size(self):
        return self.data.shape[0] if self.data.ndim == 3 else None

    def sample(self, t):
        t = np.asarray(t, dtype=float)
        position = np.clip(t / self.interval, 0.0, self.data.shape[-2] - 1)
        lower = np.floor(position + _SWITCH_TOLERANCE).astype(int)
        lower = np.minimum(lower, self.data.shape[-2] - 1)
        upper = np.minimum(lower + 1, self.data.shape[-2] - 1)
        weight = np.clip(position - lower, 0.0, 1.0)[:, None]
        low = self.data[..., lower, :]
        high = self.data[..., upper, :]
        return low + weight * (high - low)

    def breakpoints(self, t_end):
        """Sample instants: the linear interpolation has a kink at each of them."""
        instants = np.arange(1, self.data.shape[-2]) * self.interval
        return instants[instants < t_end]

    def to_table(self):
        if self.path is None:
            raise ModelError(
                "an input given as an array in Python cannot be written to TOML; "
                "save it with numpy.save and use { kind = \"file\", path = ... }"
            )
        return {"kind": "file", "path": self.path}


def load_samples(path, size, interval, *, key=None, source=None):
    """Read a ``.npy`` or ``.csv`` file with one column per neuron."""
    from pathlib import Path

    path = Path(path)
    if not path.exists():
        raise ModelError(f"signal file '{path}' not found", key=key, value=str(path),
                         source=source)
    if path.suffix not in (".npy", ".csv"):
        raise ModelError(
            f"signal file '{path}' must end in .npy or .csv", key=key, value=str(path),
            source=source,
        )
    try:
        if path.suffix == ".npy":
            data = np.load(path, allow_pickle=False)
        else:
            data = np.loadtxt(path, delimiter=",", ndmin=2)
        data = np.asarray(data, dtype=float)
    except (ValueError, OSError) as error:
        form = ("a NumPy array saved with numpy.save" if path.suffix == ".npy"
                else "comma-separated numbers without a header line")
        raise ModelError(f"cannot read signal file '{path}' ({error}); it must hold {form}",
                         key=key, value=str(path), source=source) from error
    if data.ndim == 1:
        data = data[:, None]
    if data.ndim != 2 or data.shape[1] != size:
        raise ModelError(
            f"signal file '{path}' has shape {data.shape} but the population needs "
            f"(T, {size}): one column per neuron, one row per time step",
            key=key, value=str(path), source=source,
        )
    if not np.all(np.isfinite(data)):
        row = int(np.argwhere(~np.isfinite(data))[0, 0])
        raise ModelError(f"signal file '{path}' contains NaN or inf (first in row {row})",
                         key=key, value=str(path), source=source)
    return Samples(data=data, interval=interval, path=str(path))
