"""What every command shares at the terminal: a progress bar, a plain table, outputs checked before any work."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import TextIO, TypeVar

from ..errors import CLIError
from ..show.notation import table_text
from ..util import check_writable

T = TypeVar("T")


def progress(
    items: Iterable[T], total: int, what: str, stream: TextIO | None = None, minimum: int = 10_000
) -> Iterator[T]:
    """Pass ``items`` through; a progress bar on ``stream`` (stderr) when it is a terminal and ``total >= minimum``."""
    stream = stream or sys.stderr
    if total < minimum or not stream.isatty():
        yield from items
        return
    every = max(1, total // 200)
    try:
        for done, item in enumerate(items):
            if done % every == 0:
                filled = 30 * done // total
                stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} {what}")
                stream.flush()
            yield item
    finally:  # also when the loop stops early (a table's end, its first wrong row) or is interrupted
        stream.write(f"\r{' ' * (60 + len(what))}\r")
        stream.flush()


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A plain-text table (:func:`~micrograd_lite.show.notation.table_text`) on standard output."""
    print(table_text(headers, rows), end="")


def check_outputs(paths: Iterable[str]) -> None:
    """Every output file can be written: said in one line before any work, not after it."""
    try:
        check_writable(paths)
    except OSError as error:
        raise CLIError(str(error)) from None


def one_line(error: object) -> str:
    """An error's (or a report's) message on one line (its lines joined by spaces), or its type if it has no message."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return " ".join(lines) or type(error).__name__
