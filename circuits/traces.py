"""Recorded traces, the common result type of every back end.

Arrays are keyed ``"<variable>/<population>"``: ``u``, ``ubreve`` and ``r`` for
the forward pass, ``e`` for errors, and further variables when requested.
Each has shape (T, N), or (T, B, N) for a batch of B input sequences; ``t``
holds the T sample times in seconds.
"""

from dataclasses import dataclass, field

import numpy as np

from .files import write_atomic


@dataclass
class Traces:
    """Time points ``t`` (s), named arrays, and metadata about the run."""

    t: np.ndarray
    data: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)

    def __getitem__(self, key):
        return self.data[key]

    def __contains__(self, key):
        return key in self.data

    def keys(self):
        return self.data.keys()

    def save(self, path):
        """Write ``t``, every array and the metadata to an ``.npz`` file.

        The file is written under a temporary name in the same folder and moved
        into place when complete, so a failed run leaves no partial file.
        """
        arrays = {"t": self.t, **self.data}
        for key, value in self.meta.items():
            arrays[f"meta/{key}"] = np.asarray(str(value))
        return write_atomic(path, lambda stream: np.savez(stream, **arrays))

    @classmethod
    def load(cls, path):
        """Read traces written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as archive:
            data = {key: archive[key] for key in archive.files}
        t = data.pop("t")
        meta = {key[5:]: str(data.pop(key)) for key in list(data) if key.startswith("meta/")}
        return cls(t=t, data=data, meta=meta)
