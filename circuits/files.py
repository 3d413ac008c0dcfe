"""Atomic file output shared by every package.

A file is written under a temporary name in its target folder and moved into
place only when complete, so a failed or interrupted run never leaves a
half-written model, deck, script, trace or report behind.
"""

import os
import tempfile
from pathlib import Path


def write_atomic(path, content, *, encoding="utf-8"):
    """Write ``content`` to ``path`` atomically and return the path.

    Parameters
    ----------
    path : str or Path
        Destination; its folder is created when missing.
    content : str, bytes or callable
        Text (written with ``encoding``), bytes, or a function that receives
        the open binary stream and writes to it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                         suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            if callable(content):
                content(stream)
            elif isinstance(content, str):
                stream.write(content.encode(encoding))
            else:
                stream.write(content)
        # mkstemp creates the file for its owner only; give it the usual mode.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
