"""Run a deck with the ngspice binary in batch mode and read its raw file.

``ngspice -b -r out.raw deck.cir`` runs as a subprocess (argument list, no
shell) in a fresh temporary folder that is also its HOME, so that no
``.spiceinit`` from the user or the working directory changes the
simulation. The exit code alone does not tell success: ngspice 39 exits 0
after replacing a missing value by a default, and leaves a raw file with
0 points after a failed analysis. A run therefore counts as successful
only if the raw file holds every plot with at least one point and the
expected vectors, and ngspice printed none of :data:`FATAL_PATTERNS`.
"""

import functools
import logging
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from circuits.errors import SimulationError

from .rawfile import RawFileError, read_raw

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 120.0

# Lines of ngspice output that mean the run did not simulate the deck as written.
# "set to" reports a missing value replaced by a default (a resistor with no
# value becomes a short), which never happens in the decks this package writes.
FATAL_PATTERNS = (
    re.compile(r"\berror\b", re.IGNORECASE),
    re.compile(r"doAnalyses", re.IGNORECASE),
    re.compile(r"timestep too small", re.IGNORECASE),
    re.compile(r"\bset to\b", re.IGNORECASE),
    re.compile(r"no such function", re.IGNORECASE),
    re.compile(r"circuit not parsed", re.IGNORECASE),
    re.compile(r"singular matrix", re.IGNORECASE),
)


class SimulatorNotFoundError(SimulationError):
    """The ngspice executable is not installed or not on PATH."""


class SimulationTimeoutError(SimulationError):
    """ngspice ran longer than the allowed time and was stopped."""


class SimulationFailedError(SimulationError):
    """ngspice reported an error, or wrote no usable raw file."""


@dataclass
class SpiceResult:
    """Vectors of a successful run.

    Attributes
    ----------
    plots : list of RawPlot
    version : str
        ngspice version string, e.g. ``"ngspice-39"``.
    warnings : list of str
        ngspice lines that contain ``warning``.
    output : str
        Everything ngspice printed (stdout, then stderr).
    """

    plots: list
    version: str
    warnings: list = field(default_factory=list)
    output: str = ""

    @property
    def vectors(self):
        """Vectors of the first plot."""
        return self.plots[0].vectors


def find_ngspice(executable=None):
    """Return the path of the ngspice executable, or raise SimulatorNotFoundError."""
    name = executable or os.environ.get("VLE_NGSPICE", "ngspice")
    path = shutil.which(name)
    if path is None:
        raise SimulatorNotFoundError(
            f"ngspice executable '{name}' not found on PATH; install it (Debian: "
            "apt-get install ngspice) or set VLE_NGSPICE to its path")
    return path


@functools.lru_cache(maxsize=8)
def _version_of(path):
    try:
        completed = subprocess.run([path, "-v"], capture_output=True, text=True, timeout=30,
                                   stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SimulationFailedError(f"'{path} -v' failed: {error}") from error
    match = re.search(r"ngspice-\S+", completed.stdout + completed.stderr)
    return match.group(0) if match else "unknown"


def ngspice_version(executable=None):
    """Return the version string of ngspice (``ngspice -v``), cached per executable."""
    return _version_of(find_ngspice(executable))


def run_ngspice(deck_text, timeout=DEFAULT_TIMEOUT, *, executable=None, expected=None,
                ascii_raw=False):
    """Run ``deck_text`` with ``ngspice -b -r`` and return its vectors.

    Parameters
    ----------
    deck_text : str
        A complete deck ending with ``.end`` and a newline.
    timeout : float
        Seconds before the run is stopped.
    executable : str, optional
        ngspice executable name or path (default: ``$VLE_NGSPICE`` or ``ngspice``).
    expected : iterable of str, optional
        Vector names (lower case) that every plot must contain.
    ascii_raw : bool
        Ask for an ASCII raw file instead of a binary one.

    Returns
    -------
    SpiceResult

    Raises
    ------
    SimulatorNotFoundError, SimulationTimeoutError, SimulationFailedError
        With ngspice's own message in the text.
    """
    path = find_ngspice(executable)
    version = _version_of(path)
    with tempfile.TemporaryDirectory(prefix="vle-ngspice-") as folder:
        folder = Path(folder)
        deck, raw = folder / "deck.cir", folder / "out.raw"
        deck.write_text(deck_text, encoding="ascii")
        environment = {"PATH": os.environ.get("PATH", ""), "HOME": str(folder),
                       "LANG": "C"}
        if ascii_raw:
            environment["SPICE_ASCIIRAWFILE"] = "1"
        try:
            completed = subprocess.run(
                [path, "-b", "-r", str(raw), str(deck)], cwd=folder, env=environment,
                capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as error:
            raise SimulationTimeoutError(
                f"ngspice did not finish within {timeout:g} s and was stopped; raise "
                "timeout= or shorten the run") from error
        output = (completed.stdout or "") + (completed.stderr or "")
        fatal = [line.strip() for line in output.splitlines()
                 if any(pattern.search(line) for pattern in FATAL_PATTERNS)]
        try:
            plots = read_raw(raw)
        except RawFileError as error:
            raise SimulationFailedError(_failure_message(completed, fatal, str(error))) \
                from error
    if fatal or completed.returncode != 0:
        raise SimulationFailedError(_failure_message(completed, fatal, None))
    for plot in plots:
        missing = sorted(set(expected or ()) - set(plot.vectors))
        if missing:
            raise SimulationFailedError(
                f"ngspice raw file lacks the vectors {missing[:5]} (plot '{plot.name}'); "
                "the deck does not contain the nodes the caller expects")
    warnings = [line.strip() for line in output.splitlines() if "warning" in line.lower()]
    for line in warnings:
        logger.warning("ngspice: %s", line)
    return SpiceResult(plots=plots, version=version, warnings=warnings, output=output)


def _failure_message(completed, fatal, raw_problem):
    parts = [f"ngspice failed (exit code {completed.returncode})"]
    if raw_problem:
        parts.append(raw_problem)
    if fatal:
        parts.append("ngspice reported: " + " | ".join(fatal[:8]))
    else:
        tail = [line for line in ((completed.stderr or "") + (completed.stdout or ""))
                .splitlines() if line.strip()][-6:]
        parts.append("last output: " + " | ".join(tail))
    return "; ".join(parts)
