"""The sheet as CSV: every column, full precision, written row by row.

``repr`` of a float reads back as the same float, so the file is exact.
Rows are streamed: ten million epochs take ten million lines on disk and a
few kilobytes of memory.

>>> from micrograd_lite.course.network import train
>>> text = "".join(line.decode() for line in csv_lines(train(0.5, 2)))
>>> text.splitlines()[0].split(",")[:6]
['epoch', 't1', 't2', 'i1', 'i2', 'w1']
>>> len(text.splitlines())
3
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from ..util import write_atomically
from .network import COLUMNS

BYTES_PER_ROW = 32 * 20  # 32 columns of at most 20 characters: the most a row can take on disk


def csv_lines(rows: Iterable[Mapping[str, float]]) -> Iterator[bytes]:
    """The header, then one line per row, as UTF-8 bytes."""
    yield (",".join(COLUMNS) + "\n").encode()
    for row in rows:
        cells = [str(int(row["epoch"]))] + [repr(float(row[c])) for c in COLUMNS[1:]]
        yield (",".join(cells) + "\n").encode()


def write_csv(path: str | os.PathLike[str], rows: Iterable[Mapping[str, float]]) -> Path:
    """Write the rows to ``path`` as they come, whole or not at all."""
    write_atomically(path, csv_lines(rows))
    return Path(path)
