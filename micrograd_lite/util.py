"""Small helpers shared by the modules that touch the outside world.

* output files are written whole or not at all (:func:`write_atomically`);
* optional packages are imported on first use, with an error naming the extra
  that brings them (:func:`optional_import`).

Numbers, names and tables are written by :mod:`micrograd_lite.notation`.
"""

from __future__ import annotations

import csv
import importlib
import io
import os
import shlex
import signal
import stat
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Protocol, TypeVar

from .errors import MissingExtra

T = TypeVar("T")


def optional_import(module: str, extra: str, purpose: str) -> ModuleType:
    """Import ``module``, or raise :class:`MissingExtra` naming the extra to install (see :func:`install_command`).

    >>> optional_import("no_such_module_here", "plots", "plotting")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    micrograd_lite.errors.MissingExtra: plotting needs no_such_module_here: pip install ...[plots]'
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtra(f"{purpose} needs {module.split('.')[0]}: {install_command(extra)}") from None


def install_command(extras: str) -> str:
    """How to install ``extras`` (``"plots"``, ``"plots,spreadsheets"``) into what runs now.

    Run from a clone (the source tree holds this project's pyproject.toml, as an
    editable install does), the clone is installed: ``pip install -e '.[plots]'``,
    or with the clone's path from another folder. Installed from the package index,
    the published name: ``pip install 'micrograd-lite[plots]'``.
    """
    tree = source_tree()
    if tree is None:
        return f"pip install {shlex.quote(f'micrograd-lite[{extras}]')}"
    try:
        here = Path.cwd().resolve()
    except OSError:  # the working folder was removed
        here = None
    where = "." if tree == here else str(tree)
    return f"pip install -e {shlex.quote(f'{where}[{extras}]')}"


def source_tree() -> Path | None:
    """The clone this package runs from (the folder of its pyproject.toml), or None when installed from a wheel."""
    tree = Path(__file__).resolve().parent.parent
    pyproject = tree / "pyproject.toml"
    try:
        ours = 'name = "micrograd-lite"' in pyproject.read_text(encoding="utf-8")
    except OSError:  # no pyproject.toml here: site-packages
        return None
    return tree if ours else None


class Progress(Protocol):
    """How a long loop shows itself going: ``progress(items, total, what)`` gives back the same items."""

    def __call__(self, items: Iterable[T], total: int, what: str) -> Iterable[T]: ...


def no_progress(items: Iterable[T], total: int, what: str) -> Iterable[T]:
    """The ``progress`` of a long loop that shows none: ``items`` unchanged (the CLI passes a progress bar).

    >>> list(no_progress([1, 2], 2, "rows"))
    [1, 2]
    """
    return items


def csv_text(header: Sequence[object], rows: Iterable[Sequence[object]]) -> str:
    """A header and its rows as CSV text, lines ending in ``\\n``: the backward log's, the Hessian's, a run's losses.

    >>> csv_text(["x", "y"], [[1, "a,b"]])
    'x,y\\n1,"a,b"\\n'
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def write_atomically(path: str | os.PathLike[str], data: bytes | Iterable[bytes]) -> None:
    """Write ``data`` (bytes, or chunks of bytes) to a temporary file beside ``path``, then rename it into place.

    A crash or an error part-way leaves no half-written ``path`` behind. A
    symlink stays a symlink (its target is replaced) and an existing file
    keeps its permissions; a new file gets the usual ones (0666 minus umask).
    The temporary name is short whatever the length of ``path``'s, and never
    appears in an error message.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> write_atomically(folder / "rows.csv", (line.encode() for line in ["a\\n", "b\\n"]))
    >>> (folder / "rows.csv").read_text()
    'a\\nb\\n'
    """
    path = Path(path)
    chunks = [data] if isinstance(data, (bytes, bytearray)) else data
    if is_stream(path):  # /dev/null, /dev/stdout, a FIFO: nothing to half-write, and not ours to replace
        try:
            with open(path, "wb") as f:
                for chunk in chunks:
                    f.write(chunk)
        except OSError as error:
            raise OSError(f"cannot write {path}: {error.strerror or error}") from None
        return
    target = Path(os.path.realpath(path))  # through a symlink: replace what it points at
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    held = _hold_stop_signals()  # a Ctrl-C between making the file and knowing its name would leave it behind
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    except OSError as error:
        _release_stop_signals(held)
        raise OSError(f"cannot write {path}: {error.strerror}") from None
    try:
        _release_stop_signals(held)  # a Ctrl-C held until now stops here, where the file is removed
        with os.fdopen(fd, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as error:
        os.unlink(tmp)
        raise OSError(f"cannot write {path}: {error.strerror or error}") from None
    except BaseException:
        os.unlink(tmp)
        raise


_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def _hold_stop_signals() -> set[int | signal.Signals] | None:
    """Hold Ctrl-C and SIGTERM back (where the system can): the mask to restore, or None."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)


def _release_stop_signals(held: set[int | signal.Signals] | None) -> None:
    if held is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def is_stream(path: str | os.PathLike[str]) -> bool:
    """True for an existing output that is not a file or folder (/dev/null, /dev/stdout, a FIFO): written in place."""
    path = Path(path)
    return path.exists() and not path.is_file() and not path.is_dir()


def check_writable(paths: Iterable[str | os.PathLike[str]]) -> None:
    """Raise OSError naming the first path that cannot be written, before anything is written."""
    for path in paths:
        if not str(path):
            raise ValueError("an output file name is empty")
        path = Path(path)
        parent = path.parent
        if path.is_dir():
            raise IsADirectoryError(f"cannot write {path}: it is a directory")
        if is_stream(path):
            if not os.access(path, os.W_OK):
                raise PermissionError(f"cannot write {path}: permission denied")
            continue
        if not parent.is_dir():
            raise FileNotFoundError(f"cannot write {path}: no directory {parent}")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise PermissionError(f"cannot write {path}: directory {parent} is not writable")
