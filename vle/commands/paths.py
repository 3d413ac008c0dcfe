"""Checks of output paths, run before any simulation so that a bad path fails fast."""

from pathlib import Path

from circuits.errors import ModelError


def check_output_file(path, option):
    """Reject an output file path that is a directory or lies in a missing folder's file."""
    path = Path(path)
    if path.is_dir():
        raise ModelError(f"'{path}' is a directory; give a file name such as "
                         f"'{path / 'out'}'", key=option, value=str(path))
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ModelError(f"'{parent}' is a file, so '{path}' cannot be created; "
                                 "choose another path", key=option, value=str(path))
            break
    return path


def check_output_folder(path, option):
    """Reject an output folder path that is an existing file."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ModelError(f"'{path}' is a file; give a folder name for the report",
                         key=option, value=str(path))
    return check_output_file(path / "index.html", option) and path
