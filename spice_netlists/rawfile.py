"""Reader of ngspice raw files (binary or ASCII; real or complex).

A raw file holds one or more plots. Each plot starts with ``Key: value``
header lines, read by keyword because their set and order differ between
ngspice versions: ``Plotname``, ``Flags`` (``real`` or ``complex``),
``No. Variables``, ``No. Points`` (padded with spaces), ``Variables:``
followed by one ``index name type`` line per vector, then ``Binary:`` and
point-major little-endian float64 values (pairs of them for complex plots)
or ``Values:`` and ASCII numbers (the point index, then one value per
vector; complex values as ``re,im``).
"""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from circuits.errors import SimulationError


class RawFileError(SimulationError):
    """A raw file that is missing, empty, truncated or malformed."""


@dataclass
class RawPlot:
    """One plot of a raw file: vectors keyed by lower-case name (``time``, ``v(out)``)."""

    name: str
    complex: bool
    variables: list
    vectors: dict = field(default_factory=dict)

    @property
    def points(self):
        return len(next(iter(self.vectors.values()))) if self.vectors else 0

    def __getitem__(self, key):
        return self.vectors[key.lower()]


def read_raw(path):
    """Read every plot of the raw file at ``path``.

    Returns
    -------
    list of RawPlot
        In file order; ``.ac`` runs with several analysis lines give several.

    Raises
    ------
    RawFileError
        If the file is missing or empty, has no plot, a plot with zero points
        (ngspice writes one when an analysis fails) or fewer values than the
        header announces.
    """
    path = Path(path)
    if not path.exists():
        raise RawFileError(f"raw file '{path}' not found: ngspice wrote no output")
    data = path.read_bytes()
    if not data.strip():
        raise RawFileError(f"raw file '{path}' is empty: ngspice wrote no data")
    plots, offset = [], 0
    while offset < len(data) and data[offset:].strip():
        plot, offset = _read_plot(data, offset, path)
        plots.append(plot)
    if not plots:
        raise RawFileError(f"raw file '{path}' contains no plot")
    return plots


def _read_plot(data, offset, path):
    header = {}
    variables = []
    while True:
        end = data.find(b"\n", offset)
        if end < 0:
            raise RawFileError(f"raw file '{path}': header ends before the data section")
        line = data[offset:end].decode("ascii", errors="replace").rstrip("\r")
        offset = end + 1
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if key == "variables":
            count = _header_int(header, "no. variables", path)
            for _ in range(count):
                end = data.find(b"\n", offset)
                fields = data[offset:end].decode("ascii").split()
                offset = end + 1
                if len(fields) < 3:
                    raise RawFileError(f"raw file '{path}': malformed variable line {fields}")
                variables.append((fields[1].lower(), fields[2]))
            continue
        if key in ("binary", "values"):
            break
        if key:
            header[key] = value.strip()
    points = _header_int(header, "no. points", path)
    flags = header.get("flags", "").lower().split()
    is_complex = "complex" in flags
    if points == 0:
        raise RawFileError(
            f"raw file '{path}' (plot '{header.get('plotname', '?')}') has 0 points: the "
            "analysis did not produce any data")
    names = [name for name, _ in variables]
    if key == "binary":
        values, offset = _binary(data, offset, points, len(names), is_complex, path)
    else:
        values, offset = _ascii(data, offset, points, len(names), is_complex, path)
    plot = RawPlot(header.get("plotname", ""), is_complex, variables)
    for index, name in enumerate(names):
        plot.vectors[name] = values[:, index]
    return plot, offset


def _header_int(header, key, path):
    if key not in header:
        raise RawFileError(f"raw file '{path}': header field '{key}' is missing")
    try:
        return int(header[key].split()[0])
    except (ValueError, IndexError):
        raise RawFileError(f"raw file '{path}': header field '{key}' is not an integer: "
                           f"{header[key]!r}") from None


def _binary(data, offset, points, count, is_complex, path):
    width = 2 if is_complex else 1
    size = points * count * width * 8
    chunk = data[offset:offset + size]
    if len(chunk) < size:
        raise RawFileError(
            f"raw file '{path}' is truncated: {len(chunk)} of {size} bytes of data for "
            f"{points} points x {count} vectors")
    values = np.frombuffer(chunk, dtype="<f8").reshape(points, count * width)
    if is_complex:
        values = values[:, 0::2] + 1j * values[:, 1::2]
    return values.copy(), offset + size


def _ascii(data, offset, points, count, is_complex, path):
    values = np.empty((points, count), dtype=complex if is_complex else float)
    tokens = []
    position = offset
    needed = count + 1
    for point in range(points):
        while len(tokens) < needed:
            end = data.find(b"\n", position)
            if end < 0:
                end = len(data)
            if position >= len(data):
                raise RawFileError(f"raw file '{path}' is truncated at point {point} of "
                                   f"{points}")
            tokens += data[position:end].decode("ascii").split()
            position = end + 1
        row, tokens = tokens[:needed], tokens[needed:]
        for index, token in enumerate(row[1:]):
            if is_complex:
                real, _, imaginary = token.partition(",")
                values[point, index] = complex(float(real), float(imaginary or 0.0))
            else:
                values[point, index] = float(token)
    return values, position
