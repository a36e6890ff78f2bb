"""Reading a learner's sheet: CSV, .xlsx, .xlsm or .ods, in the shapes learners make them.

A workbook may hold several worksheets (one per learning rate, a chart
sheet, a scratch sheet); each worksheet whose cells hold a header row with
the network's columns becomes one :class:`Table`. The header row can be
anywhere, starting in any column, and its names can be spelled as the
course spells them (``E_tot``, ``∂E/∂w1``, ``dE_total/dw1`` …) or as we do.
There need be no epoch column: the first row is step 0.

Spreadsheets are read with python-calamine, which reads the values a
spreadsheet application saved with each formula (the ``spreadsheets`` extra).

>>> column_for("∂E_total/∂w3"), column_for(" E_Tot "), column_for("dE/dw8"), column_for("A_H1")
('dE_dw3', 'E_total', 'dE_dw8', 'a_h1')
>>> column_for("notes") is None
True
"""

from __future__ import annotations

import itertools
import math
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import UnreadableSheet
from ..util import no_progress
from .cells import cell_name
from .files import worksheet_grids
from .network import FORWARD_NAMES, INPUTS, TARGETS, WEIGHT_NAMES

REQUIRED = (*TARGETS, *INPUTS, *WEIGHT_NAMES)  # what a row must hold to be recomputed
_PLAIN_NAMES = {name.lower(): name for name in (*REQUIRED, *FORWARD_NAMES)} | {
    "e_tot": "E_total",
    "etotal": "E_total",
    "epoch": "epoch",
    "step": "epoch",
}
_GRADIENT = re.compile(r"^(?:[d∂]e(?:_?tot(?:al)?)?/[d∂]|de(?:_?tot(?:al)?)?_d)(w[1-8])$")
Progress = Callable[[Iterable, int, str], Iterable]  # (items, how many, what they are) -> the same items
_LR_LABELS = {"η", "eta", "lr", "learning_rate", "learningrate", "learning rate", "α", "alpha"}
_LR_IN_TEXT = re.compile(r"^\s*(η|eta|lr|learning[ _]?rate|α|alpha)\s*[=:]\s*(\S+)\s*$", re.IGNORECASE)


def column_for(header: object) -> str | None:
    """Our name for a learner's column header, or None when it is not one of the sheet's columns."""
    if not isinstance(header, str):
        return None
    text = "".join(header.split()).lower()  # no spaces of any kind, nor the line break of a wrapped header
    gradient = _GRADIENT.match(text)
    return "dE_d" + gradient.group(1) if gradient else _PLAIN_NAMES.get(text)


@dataclass
class Table:
    """One learner's table: the rows, where each cell came from, and the learning rate if the sheet states it."""

    source: str  # "mine.xlsx, worksheet 'lr=0.1'" or "mine.csv"
    headers: dict[str, str]  # our column name -> the learner's header text
    column_index: dict[str, int]  # our column name -> 0-based column
    row_numbers: list[int]  # the 1-based spreadsheet row (or CSV line) of each data row
    rows: list[dict[str, float]]
    lr: float | None = None
    lr_source: str = ""  # where lr was read, e.g. "cell G31, labelled 'η ='"

    def cell(self, index: int, column: str) -> str:
        """The spreadsheet name of the cell holding ``column`` in data row ``index``."""
        return cell_name(self.row_numbers[index], self.column_index[column])


def read_tables(path: str | os.PathLike, progress: Progress = no_progress) -> list[Table]:
    """Every table in a learner's file; :class:`UnreadableSheet` (one line, naming the file) if there is none.

    ``progress`` wraps each table's rows as they are read (the CLI's progress bar).
    """
    path = Path(path)
    grids = worksheet_grids(path)
    tables, problems = [], []
    for source, first_row_number, grid in grids:
        if isinstance(grid, UnreadableSheet):  # this worksheet alone cannot be read
            problems.append(str(grid))
            continue
        try:
            tables += _tables_in(source, first_row_number, grid, progress)
        except UnreadableSheet as problem:
            problems.append(str(problem))
    if problems:
        raise UnreadableSheet(problems[0])
    if not tables:
        wanted = ", ".join(REQUIRED)
        raise UnreadableSheet(f"{path}: no header row with the columns {wanted} on any worksheet")
    return tables



def _tables_in(source: str, first_row_number: int, grid: Sequence[Sequence], progress: Progress) -> list[Table]:
    """Every table on one worksheet, each under its own header row; none when the worksheet holds none.

    When there are several, each is named by its header row ("…, table at row 40"), and each takes
    the learning rate stated between the table before it and the table after it.
    """
    tables, ends, start = [], [], 0
    while (found := _header_row(grid, start)) is not None:
        r, columns = found
        name = source if not tables else f"{source}, table at row {first_row_number + r}"
        table, start = _table_at(name, first_row_number, grid, r, columns, progress)
        tables.append(table)
        ends.append(start)
    if len(tables) > 1:
        tables[0].source = f"{source}, table at row {tables[0].row_numbers[0] - 1}"
    for k, table in enumerate(tables):
        above = ends[k - 1] if k else 0
        below = tables[k + 1].row_numbers[0] - 1 - first_row_number if k + 1 < len(tables) else len(grid)
        table.lr, table.lr_source = _stated_learning_rate(table.source, grid[above:below], above)
    return tables


def _table_at(
    source: str, first_row_number: int, grid: Sequence[Sequence], r: int, columns: dict[str, int], progress: Progress
) -> tuple[Table, int]:
    """The table under the header in grid row ``r``, and the grid row where it ends."""
    header_row = grid[r]
    for c, header in enumerate(header_row):
        name = column_for(header)
        if name is not None and columns[name] != c:  # which of the two would a learner mean? say so
            cells = " and ".join(cell_name(first_row_number + r, k) for k in (columns[name], c))
            raise UnreadableSheet(f"{source}: two columns are headed {str(header).strip()} (cells {cells}): keep one")
    table = Table(
        source=source,
        headers={name: str(header_row[c]).strip() for name, c in columns.items()},
        column_index=columns,
        row_numbers=[],
        rows=[],
    )
    end = len(grid)
    below = len(grid) - r - 1
    rows = zip(range(r + 1, len(grid)), itertools.islice(grid, r + 1, None))  # no copy: a worksheet may hold many
    for offset, cells in progress(rows, below, f"rows read of {source}"):
        row_number = first_row_number + offset
        values = {name: _cell_value(cells, c) for name, c in columns.items()}
        if all(v is None for v in values.values()):
            _check_nothing_below(source, first_row_number, grid, offset, columns)
            end = offset
            break  # the table ends at its first empty row
        if any(isinstance(v, str) for v in values.values()) and _header_row([cells]) is not None:
            end = offset
            break  # or where the next table's header row follows it directly
        for name in columns:  # an empty cell would go unchecked: every headed column needs a number
            if values[name] is None and name != "epoch":
                where = cell_name(row_number, columns[name])
                raise UnreadableSheet(
                    f"{source}: row {row_number} has no number for {table.headers[name]} (cell {where})"
                )
        for name, value in values.items():
            if isinstance(value, str):
                where = cell_name(row_number, columns[name])
                raise UnreadableSheet(f"{source}: cell {where} ({table.headers[name]}) is not a number: {value!r}")
        table.rows.append({name: value for name, value in values.items() if value is not None})
        table.row_numbers.append(row_number)
    if not table.rows:
        raise UnreadableSheet(f"{source}: the table under row {first_row_number + r} has no data rows")
    return table, end


def _check_nothing_below(source: str, first_row_number: int, grid: Sequence[Sequence], empty: int, columns) -> None:
    """Refuse rows of the table below its first empty row: they would go unchecked (a summary row is fine)."""
    for offset in range(empty + 1, len(grid)):
        if _header_row([grid[offset]]) is not None:
            return  # another table's header: what follows is that table's
        if all(isinstance(_cell_value(grid[offset], columns[name]), float) for name in REQUIRED):
            raise UnreadableSheet(
                f"{source}: row {first_row_number + empty} is empty but row {first_row_number + offset} below it"
                " holds a row of the table; delete the empty row so that every row is checked"
            )


def _header_row(grid: Sequence[Sequence], start: int = 0) -> tuple[int, dict[str, int]] | None:
    """The index of the first row from ``start`` naming every required column, and where each of its columns is."""
    for r, cells in zip(range(start, len(grid)), itertools.islice(grid, start, None)):
        columns: dict[str, int] = {}
        for c, header in enumerate(cells):
            name = column_for(header)
            if name is not None and name not in columns:
                columns[name] = c
        if all(name in columns for name in REQUIRED):
            return r, columns
    return None


def _cell_value(cells: Sequence, c: int) -> float | str | None:
    """A cell as a number, None when empty, or its text when it is not a number."""
    if c >= len(cells):
        return None
    cell = cells[c]
    if isinstance(cell, bool):
        return str(cell)
    if isinstance(cell, (int, float)):
        return float(cell)
    text = str(cell).strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return text
    return value if math.isfinite(value) else text


def _stated_learning_rate(source: str, grid: Sequence[Sequence], first_row: int = 0) -> tuple[float | None, str]:
    """η from a labelled cell (``η =``, ``eta``, ``learning_rate``, ``LR`` …), or from a worksheet named ``lr=0.1``.

    ``grid`` holds the worksheet's rows from index ``first_row`` on (0-based).
    """
    for r, cells in enumerate(grid, start=first_row):
        for c, cell in enumerate(cells):
            if not isinstance(cell, str):
                continue
            label = cell.strip().rstrip("=:").strip()
            if label.lower() in _LR_LABELS:
                following = [(k, v) for k, v in enumerate(cells[c + 1 :], start=c + 1) if v not in ("", None)]
                if following and isinstance(_cell_value(cells, following[0][0]), float):
                    k = following[0][0]
                    return _cell_value(cells, k), f"cell {cell_name(r + 1, k)}, labelled '{cell.strip()}'"
            in_text = _LR_IN_TEXT.match(cell)
            if in_text and isinstance(_cell_value([in_text.group(2)], 0), float):
                return float(in_text.group(2)), f"cell {cell_name(r + 1, c)}, '{cell.strip()}'"
    named = re.search(r"worksheet '(?:lr|η|eta)\s*=\s*([0-9.eE+-]+)'(?:, table at row \d+)?$", source, re.IGNORECASE)
    if named and isinstance(_cell_value([named.group(1)], 0), float):
        return float(named.group(1)), "the worksheet's name"
    return None, ""
