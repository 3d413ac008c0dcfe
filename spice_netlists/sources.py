"""Input and target signals as independent voltage sources (volts, circuit time).

One model unit is ``unit_voltage`` volts and one model second is
``time_scale`` circuit seconds. Sums of sines become a series stack of SIN
sources (phase in degrees); steps and square waves become PWL sources whose
edges rise within ``rise`` seconds and *end* at the switching instant, so
that a sample taken at the instant sees the new value, as in the reference
(which counts the instant itself as after the switch). Sampled signals and
arrays become PWL sources that interpolate linearly between samples and
hold the last value, again as in the reference.
"""

import numpy as np

from circuits.errors import ModelError

from .elements import GROUND, VoltageSource, Waveform

# Edge duration of step and square sources, as a fraction of the shortest time
# constant. The membrane then sees the switch late by rise/2 on average, which
# changes u by about amplitude * rise / (2 tau) = 5e-5 * amplitude.
RISE_FRACTION = 1e-4


def signal_sources(block, name, node, signal, scales, t_stop, rise):
    """Add the sources that put ``signal`` (all channels) onto nodes ``node(i)``."""
    kind = getattr(signal, "kind", None)
    for i in range(signal.size):
        label = f"{name}_{i}"
        if kind == "sines":
            _sines(block, label, node(i), signal, i, scales)
        elif kind == "step":
            _step(block, label, node(i), signal, i, scales, rise)
        elif kind == "square":
            _square(block, label, node(i), signal, i, scales, t_stop, rise)
        elif kind in ("file", "array"):
            data = np.asarray(signal.data, dtype=float)
            if data.ndim == 3:
                if data.shape[0] != 1:
                    raise ModelError(
                        f"signal of '{name}' is a batch of {data.shape[0]} sequences; a "
                        "circuit runs one sequence, so pass one at a time",
                        key=f"{name}.signal")
                data = data[0]
            pwl_samples(block, label, node(i), data[:, i], signal.interval, scales)
        else:
            raise ModelError(f"signal kind {kind!r} has no SPICE source", key=f"{name}.signal",
                             value=kind)


def pwl_samples(block, label, node, values, interval, scales):
    """Add a PWL source through ``values`` at t = k·interval (model units and seconds)."""
    times = np.arange(len(values)) * interval * scales.time_scale
    points = np.empty(2 * len(values))
    points[0::2] = times
    points[1::2] = np.asarray(values, dtype=float) * scales.unit_voltage
    block.add(VoltageSource(f"in_{label}", node, GROUND,
                            Waveform("pwl", dc=points[1], values=tuple(points))))


def _sines(block, label, node, signal, i, scales):
    volts, s = scales.unit_voltage, scales.time_scale
    count = signal.amplitude.shape[1]
    offset = signal.offset[i] * volts
    if count == 0:
        block.add(VoltageSource(f"in_{label}", node, GROUND, Waveform("dc", dc=offset)))
        return
    top = node
    for k in range(count):
        bottom = GROUND if k == count - 1 else f"{node}_s{k}"
        values = (offset if k == 0 else 0.0, signal.amplitude[i, k] * volts,
                  signal.frequency[i, k] / s, 0.0, 0.0, np.degrees(signal.phase[i, k]))
        block.add(VoltageSource(f"in_{label}_s{k}", top, bottom,
                                Waveform("sin", dc=offset if k == 0 else 0.0,
                                         values=values)))
        top = bottom


def _edges(block, label, node, levels, instants, scales, rise):
    """PWL through ``levels[0]`` before ``instants[0]``, ``levels[k+1]`` after ``instants[k]``."""
    volts, s = scales.unit_voltage, scales.time_scale
    points = [0.0, levels[0] * volts]
    previous_time = 0.0
    for level_before, level_after, instant in zip(levels[:-1], levels[1:], instants):
        t = instant * s
        width = min(rise, 0.5 * (t - previous_time))
        points += [t - width, level_before * volts, t, level_after * volts]
        previous_time = t
    block.add(VoltageSource(f"in_{label}", node, GROUND,
                            Waveform("pwl", dc=points[1], values=tuple(points))))


def _step(block, label, node, signal, i, scales, rise):
    before = signal.baseline[i]
    after = before + signal.amplitude[i]
    if signal.start <= 0:
        block.add(VoltageSource(f"in_{label}", node, GROUND,
                                Waveform("dc", dc=after * scales.unit_voltage)))
        return
    _edges(block, label, node, [before, after], [signal.start], scales, rise)


def _square(block, label, node, signal, i, scales, t_stop, rise):
    half = 0.5 * signal.period
    count = int(np.floor(t_stop / half + 1e-9))
    instants = [(k + 1) * half for k in range(count)]
    levels = [signal.offset[i] + signal.amplitude[i] * (1 if k % 2 == 0 else -1)
              for k in range(count + 1)]
    _edges(block, label, node, levels, instants, scales, rise)


def max_frequency(signal):
    """Highest sine frequency of a signal in model Hz (0 for other kinds)."""
    if getattr(signal, "kind", None) == "sines" and signal.frequency.size:
        return float(np.max(np.abs(signal.frequency)))
    return 0.0
