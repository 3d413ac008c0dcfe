"""Helpers shared by the benchmark scripts: machine facts, tables, timing, models.

The scripts put the repository root on ``sys.path`` so that they run from a
checkout (``python benchmarks/NAME.py``) as well as from an installed vle.
"""

import datetime
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from circuits.model import Model, Population, Projection, Target  # noqa: E402
from circuits.signals import Sines  # noqa: E402


def machine_line():
    """Describe the machine in one line: date, CPU, cores, memory, load, Python, NumPy."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "?"
    try:
        free = subprocess.run(["free", "-g"], capture_output=True, text=True, check=True)
        memory = free.stdout.splitlines()[1].split()[1]
    except (OSError, subprocess.CalledProcessError, IndexError):
        pass
    blas = {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_")}
    load = os.getloadavg()[0]
    return (f"{datetime.date.today().isoformat()}; {cpu}; {os.cpu_count()} cores "
            f"(nproc); {memory} GiB memory (free -g); load average {load:.1f} at the "
            f"start; Python {platform.python_version()}, NumPy {np.__version__}; "
            f"OpenBLAS environment: {blas or 'none set'}")


def table(headers, rows):
    """Format ``rows`` (lists of cells) as a Markdown table."""
    lines = ["| " + " | ".join(headers) + " |",
             "|" + "|".join("---" for _ in headers) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(str(cell) for cell in row) + " |")
    return "\n".join(lines)


def best_time(function, repeat=3):
    """Minimum wall time (s) of ``repeat`` calls of ``function()``, and its last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - started)
    return best, result


def layered_model(neurons, layers=5, dt=0.01, duration=1.0, learning=None, seed=0):
    """Build a chain of ``layers`` tanh populations with ``neurons`` neurons in all.

    The input has as many channels as one layer, driven by sines; weights are
    drawn from N(0, 1/pre). The last layer is the output with an MSE target
    of slow sines. ``learning`` is the model's [learning] table (None for none).
    """
    width = max(1, neurons // layers)
    rng = np.random.default_rng(seed)
    frequency = rng.uniform(0.2, 2.0, size=(width, 2))
    signal = Sines(amplitude=np.full((width, 2), 0.5), frequency=frequency,
                   phase=np.zeros((width, 2)), offset=np.zeros(width))
    populations = [Population("x", width, kind="input", signal=signal)]
    projections = []
    previous = "x"
    for index in range(layers):
        name = f"h{index + 1}"
        tau_r = np.where(np.arange(width) % 3 == 0, 1.0, 0.1)
        populations.append(Population(name, width, tau_m=np.ones(width), tau_r=tau_r,
                                      phi="tanh"))
        weights = rng.normal(0.0, 1.0 / np.sqrt(width), size=(width, width))
        projections.append(Projection(previous, name, weights, name=f"{previous}_{name}"))
        previous = name
    target = Sines(amplitude=np.full((width, 1), 0.3), frequency=np.full((width, 1), 0.3),
                   phase=np.zeros((width, 1)), offset=np.zeros(width))
    return Model(name=f"layered{neurons}", dt=dt, duration=duration,
                 populations=populations, projections=projections,
                 target=Target(previous, signal=target, beta=1.0),
                 learning=learning)


def fit_exponent(sizes, seconds):
    """Slope of log(seconds) over log(sizes), by least squares."""
    slope, _ = np.polyfit(np.log(np.asarray(sizes, float)),
                          np.log(np.asarray(seconds, float)), 1)
    return float(slope)
