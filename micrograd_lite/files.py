"""Output files are written whole or not at all."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path


def write_atomically(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it into place.

    A crash or an error part-way leaves no half-written ``path`` behind.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def check_writable(paths: Iterable[str | os.PathLike]) -> None:
    """Raise OSError naming the first path that cannot be written, before anything is written."""
    for path in paths:
        path = Path(path)
        parent = path.parent
        if path.is_dir():
            raise IsADirectoryError(f"cannot write {path}: it is a directory")
        if not parent.is_dir():
            raise FileNotFoundError(f"cannot write {path}: no directory {parent}")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise PermissionError(f"cannot write {path}: directory {parent} is not writable")
