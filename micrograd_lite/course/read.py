"""Reading a learner's sheet: CSV, .xlsx, .xlsm or .ods, in the shapes learners make them.

A workbook may hold several worksheets (one per learning rate, a chart
sheet, a scratch sheet); each worksheet whose cells hold a header row with
the network's columns becomes one :class:`Table`. The header row can be
anywhere, starting in any column, its columns in any order, and its names can
be spelled as the course and its learners spell them (``E_tot``, ``∂E/∂w1``,
``δE_tot/δw1``, ``dw1``, ``out_h1`` …; see :func:`column_for`) or as we do.
There need be no epoch column: the first row is step 0. A table ends at an
empty row or at a row with no number for the inputs and weights; what was
assumed or left out on the way is kept in :attr:`Table.notes` for the report.

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
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UnreadableSheet
from ..util import Progress, no_progress
from .cells import cell_name
from .files import SPREADSHEET_ERROR, Grid, worksheet_grids
from .network import FORWARD_NAMES, INPUTS, TARGETS, WEIGHT_NAMES

REQUIRED = (*TARGETS, *INPUTS, *WEIGHT_NAMES)  # what a row must hold to be recomputed
DEFINING = (*INPUTS, *WEIGHT_NAMES)  # a row with no number in any of these is not a row of the table
_PLAIN_NAMES = {name.lower(): name for name in (*REQUIRED, *FORWARD_NAMES)} | {"epoch": "epoch", "step": "epoch"}
_LOSS = r"e(?:_?t(?:ot(?:al)?)?)?"  # E, E_t, E_tot, E_total, Etotal
_NAME_PATTERNS = (  # (pattern over the header without spaces, in lower case; our name from its groups)
    (
        re.compile(rf"([∂δd]?)({_LOSS})?[/_]?([∂δd]?)_?(w[1-8])"),
        lambda m: "dE_d" + m[4] if m[1] or m[2] or m[3] else None,
    ),
    (re.compile(r"(?:a|out|act)_?([ho][12])"), lambda m: "a_" + m[1]),
    (re.compile(r"net_?([ho][12])"), lambda m: m[1]),
    (re.compile(r"e_?o?([12])"), lambda m: "E" + m[1]),
    (re.compile(_LOSS), lambda m: "E_total" if m[0] != "e" else None),
)
_NOTE = re.compile(r"\s*\(.*\)\s*$")  # "t1 ( output of out_o1)": a note after the name
_ETA = r"(?:η|ͷ|ⴄ|h|eta|lr|learning[ _]?rate|α|alpha)(?:\s*\(\s*(?:η|ͷ|ⴄ|eta|α|alpha)\s*\))?"  # LR (η)
_LR_LABEL = re.compile(_ETA + r"\s*[=:]?", re.IGNORECASE)  # a label, its value in another cell
_LR_IN_TEXT = re.compile(_ETA + r"\s*[=:]\s*(\S+)", re.IGNORECASE)  # "lr=0.1" in one cell


def column_for(header: object) -> str | None:
    """Our name for a learner's column header, or None when it is not one of the sheet's columns.

    Any spelling of a derivative of E (or of nothing: ``dw1``) by one weight is a gradient, with ∂, δ,
    d or no symbol, with or without ``/`` and ``_``; ``out_h1`` and ``act_h1`` are ``a_h1``; a note in
    brackets after the name (``t1 (target)``) is left out. ``Δw1``, a weight's change, is not a gradient.
    """
    if not isinstance(header, str):
        return None
    text = "".join(header.split())  # no spaces of any kind, nor the line break of a wrapped header
    text = _NOTE.sub("", text) or text
    if text.startswith("Δw"):
        return None
    text = text.lower()
    if text in _PLAIN_NAMES:
        return _PLAIN_NAMES[text]
    for pattern, name in _NAME_PATTERNS:
        if match := pattern.fullmatch(text):
            return name(match)
    return None


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
    notes: list[str] = field(default_factory=list)  # what was assumed or left out, for the report

    def cell(self, index: int, column: str) -> str:
        """The spreadsheet name of the cell holding ``column`` in data row ``index``."""
        return cell_name(self.row_numbers[index], self.column_index[column])


def read_tables(
    path: str | os.PathLike[str], progress: Progress = no_progress, problems: list[str] | None = None
) -> list[Table]:
    """Every table in a learner's file; :class:`UnreadableSheet` (one line, naming the file) if there is none.

    ``progress`` wraps each table's rows as they are read (the CLI's progress bar). A worksheet whose
    table cannot be read raises, unless ``problems`` is given: then its one line is added there and
    the other worksheets are still read.
    """
    path = Path(path)
    grids = worksheet_grids(path)
    tables: list[Table] = []
    unreadable: list[str] = []
    for source, first_row_number, grid in grids:
        if isinstance(grid, UnreadableSheet):  # this worksheet alone cannot be read
            unreadable.append(str(grid))
            continue
        try:
            tables += _tables_in(source, first_row_number, grid, progress)
        except UnreadableSheet as problem:
            unreadable.append(str(problem))
    if unreadable and problems is None:
        raise UnreadableSheet(unreadable[0])
    if problems is not None:
        problems += unreadable
    if not tables and not unreadable:
        wanted = ", ".join(REQUIRED)
        raise UnreadableSheet(f"{path}: no header row with the columns {wanted} on any worksheet")
    return tables




def _tables_in(source: str, first_row_number: int, grid: Grid, progress: Progress) -> list[Table]:
    """Every table on one worksheet, each under its own header row; none when the worksheet holds none.

    When there are several, each is named by its header row ("…, table at row 40"). Each takes the
    learning rate stated above it (below the table before it) or in its header row; the last one also
    one stated below it.
    """
    tables: list[Table] = []
    headers: list[int] = []  # the grid row of each table's header
    ends: list[int] = []  # the grid row where each table ends
    start = 0
    while (found := _header_row(source, first_row_number, grid, start)) is not None:
        r, columns, assumed = found
        name = source if not tables else f"{source}, table at row {first_row_number + r}"
        table, start = _table_at(name, first_row_number, grid, r, columns, progress)
        if assumed:
            lost, note = assumed
            table.headers[lost] = f"{lost} (headed {table.headers[lost]})"
            table.notes.insert(0, note)
        if ends and ends[-1] == r:  # a header right under a table: why it is not a page-break copy
            why = "its weights start again" if columns == tables[-1].column_index else "its columns differ"
            table.notes.append(f"its header follows the table above directly, but {why}: a new table")
        tables.append(table)
        headers.append(r)
        ends.append(start)
    if len(tables) > 1:
        tables[0].source = f"{source}, table at row {first_row_number + headers[0]}"
    for k, table in enumerate(tables):
        table.lr, table.lr_source = _stated_learning_rate(grid, ends[k - 1] if k else 0, ends[k], table.notes)
        if table.lr is None and k == len(tables) - 1:
            table.lr, table.lr_source = _stated_learning_rate(grid, ends[k], len(grid), table.notes)
        named = re.search(r"worksheet '(?:lr|η|eta)\s*=\s*([0-9.eE+-]+)'", source, re.IGNORECASE)
        if table.lr is None and named and isinstance(_cell_value([named.group(1)], 0), float):
            table.lr, table.lr_source = float(named.group(1)), "the worksheet's name"
    return tables


def _table_at(
    source: str,
    first_row_number: int,
    grid: Grid,
    r: int,
    columns: dict[str, int],
    progress: Progress,
) -> tuple[Table, int]:
    """The table under the header in grid row ``r``, and the grid row where it ends.

    It ends at an empty row, at a row with no number for the inputs and weights (a note typed under
    it), or at a header row whose weights start again (a new run). A header row repeated inside the
    table (a page-break copy) is stepped over. Rows after the last complete one that hold only the
    updated weights are unfinished: left out, and said in a note.
    """
    header_row = grid[r]
    for c, header in enumerate(header_row):
        name = column_for(header)
        if name is not None and c not in columns.values():  # which of the two would a learner mean? say so
            both = " and ".join(cell_name(first_row_number + r, k) for k in (columns[name], c))
            raise UnreadableSheet(f"{source}: two columns are headed {str(header).strip()} (cells {both}): keep one")
    table = Table(
        source=source,
        headers={name: str(header_row[c]).strip() for name, c in columns.items()},
        column_index=columns,
        row_numbers=[],
        rows=[],
    )
    computed = [name for name in columns if name not in REQUIRED and name != "epoch"]
    end, unfinished = len(grid), list[int]()
    below = len(grid) - r - 1
    rows = zip(range(r + 1, len(grid)), itertools.islice(grid, r + 1, None))  # no copy: a worksheet may hold many
    for offset, cells in progress(rows, below, f"rows read of {source}"):
        row_number = first_row_number + offset
        values = {name: _cell_value(cells, c) for name, c in columns.items()}
        if not any(isinstance(values[name], float) for name in DEFINING):
            if _is_header(cells) and table.rows and _continues_across(grid, offset, columns, table):
                table.notes.append(
                    f"row {row_number} repeats the header (a page-break copy?): the table goes on below it"
                )
                continue
            if _is_header(cells) and not _has_numbers(grid, offset + 1):
                table.notes.append(f"row {row_number} repeats the header with no rows below it: left out")
                end = offset + 1
                break
            if not _is_header(cells):
                empty = all(v is None for v in values.values())
                what = "is empty" if empty else "ends the table (no number for the inputs and weights)"
                _check_nothing_below(source, first_row_number, grid, offset, columns, what)
            end = offset
            break
        if computed and all(values[name] is None for name in computed):
            if all(isinstance(values[w], float) for w in WEIGHT_NAMES):
                unfinished.append(row_number)  # only the updated weights: the learner stopped here
                continue
        if unfinished:
            raise UnreadableSheet(
                f"{source}: row {unfinished[-1]} holds only weights, but row {row_number} below it is complete:"
                " fill in or delete the unfinished rows"
            )
        _check_cells_of_row(table, row_number, values)
        table.rows.append({name: value for name, value in values.items() if isinstance(value, float)})
        table.row_numbers.append(row_number)
    if unfinished:
        rows_text = f"row {unfinished[0]}" if len(unfinished) == 1 else f"rows {unfinished[0]}–{unfinished[-1]}"
        table.notes.append(f"{rows_text} hold only the updated weights: unfinished, not checked")
    if not table.rows:
        raise UnreadableSheet(f"{source}: the table under row {first_row_number + r} has no complete data rows")
    return table, end


def _check_cells_of_row(table: Table, row_number: int, values: dict[str, float | str | None]) -> None:
    """Every headed column of a row needs a number: an empty cell, a text or an error value would go unchecked."""
    for name, value in values.items():
        if isinstance(value, float) or (value is None and name == "epoch"):
            continue
        where = cell_name(row_number, table.column_index[name])
        if value is None:
            raise UnreadableSheet(
                f"{table.source}: row {row_number} has no number for {table.headers[name]} (cell {where}),"
                " which is empty"
            )
        if SPREADSHEET_ERROR.fullmatch(value):
            raise UnreadableSheet(
                f"{table.source}: cell {where} ({table.headers[name]}) holds the spreadsheet error {value}:"
                " its formula failed; fix it"
            )
        raise UnreadableSheet(f"{table.source}: cell {where} ({table.headers[name]}) is not a number: {value!r}")


def _continues_across(grid: Grid, offset: int, columns: dict[str, int], table: Table) -> bool:
    """Whether the table goes on below a copy of its header in grid row ``offset``: same columns, and the
    row below does not start again from the table's first weights (which would be a new run)."""
    if _columns_of(grid[offset])[0] != columns:
        return False
    if not _has_numbers(grid, offset + 1):
        return False
    below = grid[offset + 1]
    return any(_cell_value(below, columns[w]) != table.rows[0][w] for w in WEIGHT_NAMES)


def _has_numbers(grid: Grid, r: int) -> bool:
    """Whether grid row ``r`` exists and holds a number anywhere."""
    return r < len(grid) and any(isinstance(_cell_value(grid[r], c), float) for c in range(len(grid[r])))


def _check_nothing_below(
    source: str, first_row_number: int, grid: Grid, end: int, columns: dict[str, int], what: str
) -> None:
    """Refuse rows of the table below the row that ends it: they would go unchecked (a summary row is fine)."""
    for offset in range(end + 1, len(grid)):
        if _is_header(grid[offset]):
            return  # another table's header: what follows is that table's
        if all(isinstance(_cell_value(grid[offset], columns[name]), float) for name in REQUIRED):
            raise UnreadableSheet(
                f"{source}: row {first_row_number + end} {what} but row {first_row_number + offset} below it"
                f" holds a row of the table; delete row {first_row_number + end} so that every row is checked"
            )


def _columns_of(cells: Sequence[object]) -> tuple[dict[str, int], dict[str, list[int]]]:
    """Our name -> the column of the first header naming it; and the columns of each name headed twice or more."""
    columns: dict[str, int] = {}
    repeated: dict[str, list[int]] = {}
    for c, header in enumerate(cells):
        name = column_for(header)
        if name in columns:
            repeated.setdefault(name, [columns[name]]).append(c)
        elif name is not None:
            columns[name] = c
    return columns, repeated


def _is_header(cells: Sequence[object]) -> bool:
    columns = _columns_of(cells)[0]
    return all(name in columns for name in REQUIRED)


def _header_row(
    source: str, first_row_number: int, grid: Grid, start: int = 0
) -> tuple[int, dict[str, int], tuple[str, str] | None] | None:
    """The first row from ``start`` naming every required column: its index, where each column is, and
    (the column's name, a note) when a typo in it was resolved. A typo that cannot be resolved is refused."""
    for r, cells in zip(range(start, len(grid)), itertools.islice(grid, start, None)):
        columns, repeated = _columns_of(cells)
        missing = [name for name in REQUIRED if name not in columns]
        if not missing:
            return r, columns, None
        if repeated and len(missing) <= 2:
            return r, *_header_typo(source, first_row_number + r, cells, columns, repeated, missing)
    return None


def _header_typo(
    source: str,
    row_number: int,
    cells: Sequence[object],
    columns: dict[str, int],
    repeated: dict[str, list[int]],
    missing: list[str],
) -> tuple[dict[str, int], tuple[str, str]]:
    """A header row with one name twice and another missing: resolved when the position says which copy is
    the missing one (``t1 t1 i1``: the second t1 stands where t2 belongs), refused otherwise."""
    (twice, places), lost = next(iter(repeated.items())), missing[0]
    siblings = len(missing) == len(repeated) == len(places) - 1 == 1 and twice[:-1] == lost[:-1]
    if siblings and places[1] == places[0] + 1 and abs(int(twice[-1]) - int(lost[-1])) == 1:
        meant, kept = (places[1], places[0]) if lost > twice else (places[0], places[1])
        note = (
            f"cells {cell_name(row_number, places[0])} and {cell_name(row_number, places[1])} are both headed"
            f" {str(cells[meant]).strip()} and there is no {lost}: assumed {cell_name(row_number, meant)},"
            f" where {lost} belongs, is {lost}"
        )
        return {**columns, twice: kept, lost: meant}, (lost, note)
    named = "; ".join(
        f"{name} in cells {' and '.join(cell_name(row_number, c) for c in where)}" for name, where in repeated.items()
    )
    raise UnreadableSheet(
        f"{source}: the header in row {row_number} names {named}, and has no {' or '.join(missing)} column:"
        " rename the copy that was meant"
    )


def _cell_value(cells: Sequence[object], c: int) -> float | str | None:
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


def _stated_learning_rate(grid: Grid, lo: int, hi: int, notes: list[str]) -> tuple[float | None, str]:
    """η from a labelled cell in grid rows ``lo`` to ``hi``, and where it was read.

    The label is ``η`` (or a look-alike ``ͷ`` ``ⴄ`` ``h``), ``eta``, ``lr``, ``LR (η)``, ``α``, ``alpha`` or
    ``learning rate`` in any spelling, with or without ``=``; its value is the first cell filled to its
    right (a few columns away) or the one below it, or in the same cell (``lr=0.1``). A labelled cell
    holding text, or a column of several rates under the label, is not η: ``notes`` says so.
    """
    for r in range(lo, hi):
        for c, cell in enumerate(grid[r]):
            if not isinstance(cell, str) or not 0 < len(cell) <= 40 or cell[0] in "0123456789.-+":
                continue  # not a label (a CSV's numbers are text too)
            label = cell.strip()
            if in_text := _LR_IN_TEXT.fullmatch(label):
                if isinstance(value := _cell_value([in_text[1]], 0), float):
                    return value, f"cell {cell_name(r + 1, c)}, '{label}'"
                notes.append(f"cell {cell_name(r + 1, c)} says '{label}', but {in_text[1]!r} is not a number")
            elif _LR_LABEL.fullmatch(label) and (found := _labelled_value(grid, r, c, notes)) is not None:
                row, column, value = found
                return value, f"cell {cell_name(row + 1, column)}, labelled '{label}'"
    return None, ""


def _labelled_value(grid: Grid, r: int, c: int, notes: list[str]) -> tuple[int, int, float] | None:
    """(row, column, number) for the label in grid cell (r, c), to its right or below it; None, with a
    note when the label's cell holds text or heads a column of several rates."""
    cells, label = grid[r], str(grid[r][c]).strip()
    right = [
        (k, v) for k in range(c + 1, min(c + 4, len(cells))) if (v := _cell_value(cells, k)) not in (None, "=", ":")
    ]
    if right and isinstance(number := right[0][1], float):
        return r, right[0][0], number
    column: list[float] = []  # the numbers right under the label
    for row in grid[r + 1 :]:
        if not isinstance(value := _cell_value(row, c), float):
            break
        column.append(value)
    if len(set(column)) == 1:  # one value under the label, or the same rate on every row
        return r + 1, c, column[0]
    if column:
        listed = ", ".join(f"{v:g}" for v in column[:3]) + (", …" if len(column) > 3 else "")
        notes.append(f"the column under '{label}' (cell {cell_name(r + 1, c)}) lists several rates ({listed}), not η")
    elif right and (label.endswith(("=", ":")) or len(label) > 1):  # a lone 'h' next to a text is no label
        where = cell_name(r + 1, right[0][0])
        notes.append(f"cell {cell_name(r + 1, c)} is labelled '{label}' but {where} holds text, {right[0][1]!r}")
    return None
