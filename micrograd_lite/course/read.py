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

import csv
import functools
import itertools
import math
import os
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from xml import sax as xml_sax

from ..errors import UnreadableSheet
from ..util import Progress, no_progress, optional_import
from .cells import cell_name
from .network import FORWARD_NAMES, INPUTS, TARGETS, WEIGHT_NAMES

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".ods")
MAX_ROWS = 100_000  # per worksheet or CSV: a learner's sheet has a few hundred; this bounds memory (~0.5 GB)
MAX_CELLS = 10_000_000  # rows × columns of a worksheet: one stray cell in column XFD makes every row 16,384 wide
MAX_CSV_BYTES = 64_000_000  # 100,000 rows of the table at full precision take 37 MB; one huge line is refused too
REQUIRED = (*TARGETS, *INPUTS, *WEIGHT_NAMES)  # what a row must hold to be recomputed
_PLAIN_NAMES = {name.lower(): name for name in (*REQUIRED, *FORWARD_NAMES)} | {
    "e_tot": "E_total",
    "etotal": "E_total",
    "epoch": "epoch",
    "step": "epoch",
}
_GRADIENT = re.compile(r"^(?:[d∂]e(?:_?tot(?:al)?)?/[d∂]|de(?:_?tot(?:al)?)?_d)(w[1-8])$")
_X = rb"(?:\w+:)?"  # a namespace prefix, which some writers put on every element
_DIMENSION = re.compile(rb"<" + _X + rb'dimension ref="[A-Z]+[0-9]+:([A-Z]+)([0-9]+)"')
_FORMULA_WITHOUT_VALUE = re.compile(
    rb"<" + _X + rb"c\b([^>]*)>\s*<" + _X + rb"f\b(?:[^>]*/>|[^>]*>[^<]*</" + _X + rb"f>)(?!\s*<" + _X + rb"v>[^<])"
)
_TEXT_RESULT = re.compile(rb'\bt="str"')
_REFERENCE = re.compile(rb'\br="([A-Z]+[0-9]+)"')
_FILLED_CELL = re.compile(rb"<" + _X + rb'c\b[^>]*?\br="([A-Z]+)([0-9]+)"[^>]*(?<!/)>')  # not an empty <c …/>
_ODS_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_ODS_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_ODS_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
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


def read_tables(path: str | os.PathLike[str], progress: Progress = no_progress) -> list[Table]:
    """Every table in a learner's file; :class:`UnreadableSheet` (one line, naming the file) if there is none.

    ``progress`` wraps each table's rows as they are read (the CLI's progress bar).
    """
    path = Path(path)
    if path.suffix.lower() in SPREADSHEET_SUFFIXES:
        grids = _spreadsheet_grids(path)
    else:
        grids = [(str(path), 1, _csv_grid(path))]
    tables, problems = [], []
    for source, first_row_number, grid in grids:
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


def _spreadsheet_grids(path: Path) -> list[tuple[str, int, Sequence[Sequence[object]]]]:
    """``(source, row number of the first grid row, cells)`` for each worksheet (chart sheets have no cells)."""
    calamine = optional_import("python_calamine", "spreadsheets", "reading workbooks")
    _check_regular_file(path)
    if path.stat().st_size == 0:
        raise UnreadableSheet(f"{path}: the file is empty")
    try:
        _check_declared_cells(path)
        workbook = calamine.CalamineWorkbook.from_path(str(path))
        try:
            grids, cells = [], 0
            for sheet in workbook.sheets_metadata:
                if "WorkSheet" not in str(sheet.typ):
                    continue  # chart sheets hold no cells
                worksheet = workbook.get_sheet_by_name(sheet.name)
                source = f"{path}, worksheet '{sheet.name}'"
                _check_size(source, worksheet.total_height + 1)  # the last row's 0-based index
                cells = _check_cells(source, worksheet.total_height + 1, worksheet.total_width + 1, cells)
                grids.append((source, 1, worksheet.to_python(skip_empty_area=False)))
        finally:
            workbook.close()
    except UnreadableSheet:
        raise
    except Exception as error:  # calamine raises several kinds, none of them useful to a learner
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise UnreadableSheet(f"{path}: not a readable .xlsx/.xlsm/.ods workbook ({reason})") from None
    return grids


def _check_declared_cells(path: Path) -> None:
    """Refuse a workbook too large, or never calculated, before calamine loads it (32 bytes a cell of the extent).

    An .xlsx usually states each worksheet's extent near its start (``<dimension ref="A1:XFD3000"/>``);
    without that element the extent is counted from the worksheet's XML, streamed, as is an .ods's
    content.xml (a repeated cell or row is one element). The same pass finds formulas saved without
    their values, which calamine would read as empty cells.
    """
    cells = 0
    with zipfile.ZipFile(path) as archive:
        if path.suffix.lower() == ".ods":
            extents, parser = _OdsExtents(), xml_sax.make_parser()
            parser.setFeature(xml_sax.handler.feature_namespaces, True)
            parser.setContentHandler(extents)
            with archive.open("content.xml") as xml:
                parser.parse(xml)
            for name, rows, columns in extents.tables:
                cells = _check_cells(f"{path}, worksheet '{name}'", rows, columns, cells)
            _check_formula_values(path, extents.formula_without_value)
            return
        for part in archive.namelist():
            if part.startswith("xl/worksheets/") and part.endswith(".xml"):
                with archive.open(part) as xml:
                    extent = _DIMENSION.search(xml.read(4096))
                if extent:
                    cells = _check_cells(
                        f"{path}, {part}", int(extent.group(2)), _column_number(extent.group(1)), cells
                    )
                with archive.open(part) as xml:
                    rows, columns, formula_without_value = _scan_xlsx_worksheet(xml, count_extent=not extent)
                if not extent:
                    cells = _check_cells(f"{path}, {part}", rows, columns, cells)
                _check_formula_values(path, formula_without_value and f"{formula_without_value} of {part}")


def _column_number(letters: bytes) -> int:
    """A column's 1-based number from its letters: b"A" -> 1, b"XFD" -> 16384."""
    return functools.reduce(lambda n, letter: 26 * n + letter - 64, letters, 0)


def _check_formula_values(path: Path, cell: str | None) -> None:
    if cell:
        raise UnreadableSheet(
            f"{path}: formulas with no saved values (the first: cell {cell}), as a script writes them;"
            " open and save the file in a spreadsheet application, which saves each formula's value"
        )


def _scan_xlsx_worksheet(xml: IO[bytes], count_extent: bool) -> tuple[int, int, str | None]:
    """A worksheet's first formula cell without a saved value and, if asked, its (rows, columns) up to its last cell.

    The XML is searched in chunks of whole rows (or cells) with regular expressions (an XML parser took 8 s for
    100,000 rows, six times calamine's own reading), so memory stays small however long the worksheet.
    A formula whose value is the empty text is saved as ``t="str"`` with an empty ``<v>``: that is a value.
    """
    rows = columns = 0
    first_without_value, rest = None, b""
    while True:
        chunk = xml.read(1 << 20)
        data = rest + chunk
        end = max(data.rfind(b"</row>") + len(b"</row>"), data.rfind(b"</c>") + len(b"</c>")) if chunk else len(data)
        if end < len(b"</c>"):  # no row or cell ends in this chunk yet
            rest = data
            continue
        if first_without_value is None and (b"<f" in data or b":f" in data):  # quick: a sheet without formulas
            for formula in _FORMULA_WITHOUT_VALUE.finditer(data, 0, end):
                if not _TEXT_RESULT.search(formula.group(1)):
                    reference = _REFERENCE.search(formula.group(1))
                    first_without_value = reference.group(1).decode() if reference else "(unnamed)"
                    break
        if count_extent:
            references = _FILLED_CELL.findall(data, 0, end)
            if references:
                rows = max(rows, int(references[-1][1]))  # rows come in order
                letters = max((len(letters), letters) for letters, _ in references)[1]
                columns = max(columns, _column_number(letters))
        rest = data[end:]
        if not chunk:
            return rows, columns, first_without_value


class _OdsExtents(xml_sax.handler.ContentHandler):
    """Each table's (name, rows, columns) up to its last cell that holds something; empty repeats do not count."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[str, int, int]] = []
        self.formula_without_value: str | None = None  # "cell B7 of worksheet 'X'", the first one

    def startElementNS(  # noqa: N802 (the SAX interface)
        self, name: tuple[str | None, str], qname: str | None, attributes: xml_sax.xmlreader.AttributesNSImpl
    ) -> None:
        namespace, tag = name
        if namespace == _ODS_TABLE and tag == "table":
            self.table, self.row, self.rows, self.columns = attributes.get((_ODS_TABLE, "name"), "?"), 0, 0, 0
        elif namespace == _ODS_TABLE and tag == "table-row":
            self.repeat, self.column, self.last = int(attributes.get((_ODS_TABLE, "number-rows-repeated"), "1")), 0, 0
        elif namespace == _ODS_TABLE and tag in ("table-cell", "covered-table-cell"):
            saved = (_ODS_OFFICE, "value-type") in attributes.getNames()  # a text result has one too
            if (_ODS_TABLE, "formula") in attributes.getNames() and not saved and self.formula_without_value is None:
                self.formula_without_value = f"{cell_name(self.row + 1, self.column)} of worksheet '{self.table}'"
            self.column += int(attributes.get((_ODS_TABLE, "number-columns-repeated"), "1"))
            if (_ODS_OFFICE, "value-type") in attributes.getNames():
                self.last = self.column
        elif namespace == _ODS_TEXT and tag == "p":  # a text cell (a value-type names it, but need not)
            self.last = self.column

    def endElementNS(self, name: tuple[str | None, str], qname: str | None) -> None:  # noqa: N802 (the SAX interface)
        namespace, tag = name
        if namespace == _ODS_TABLE and tag == "table-row":
            if self.last:
                self.rows, self.columns = self.row + self.repeat, max(self.columns, self.last)
            self.row += self.repeat
        elif namespace == _ODS_TABLE and tag == "table":
            self.tables.append((self.table, self.rows, self.columns))


def _csv_grid(path: Path) -> list[list[str]]:
    """A CSV's cells: UTF-8 with or without Excel's BOM, separated by ``,`` ``;`` or tabs."""
    _check_regular_file(path)
    try:
        size = path.stat().st_size
        if size > MAX_CSV_BYTES:
            raise UnreadableSheet(f"{path}: {size:,} bytes; --compare reads a CSV of at most {MAX_CSV_BYTES:,} bytes")
        data = path.read_bytes()  # at most MAX_CSV_BYTES: read once, lines counted before they are parsed
        _check_size(str(path), data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0))
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnreadableSheet(
            f"{path}: not UTF-8 text (byte {error.start}); save it as 'CSV UTF-8' or as a workbook"
        ) from None
    first_line = text.split("\n", 1)[0]
    separator = max(",;\t", key=first_line.count)
    grid = list(csv.reader(text.splitlines(), delimiter=separator))
    if separator == ";":  # a ';'-separated CSV comes from a locale that writes 0,05 for 0.05
        grid = [[cell.replace(",", ".") for cell in row] for row in grid]
    return grid


def _check_regular_file(path: Path) -> None:
    """A directory, a missing file, or a FIFO or device (whose reading would never end), named in one line."""
    if path.is_dir():
        raise UnreadableSheet(f"{path}: is a directory")
    if not path.exists():
        raise UnreadableSheet(f"{path}: no such file")
    if not path.is_file():
        raise UnreadableSheet(f"{path}: not a regular file")


def _check_size(source: str, rows: int) -> None:
    if rows > MAX_ROWS:
        raise UnreadableSheet(f"{source}: {rows} rows; --compare reads at most {MAX_ROWS} rows a sheet")


def _check_cells(source: str, rows: int, columns: int, before: int = 0) -> int:
    """The cells read so far, ``before`` and these; every worksheet of a workbook is held at once."""
    if before + rows * columns > MAX_CELLS:
        so_far = f" (and {before:,} cells on the worksheets before it)" if before else ""
        raise UnreadableSheet(
            f"{source}: {rows:,} rows × {columns:,} columns{so_far}; --compare reads at most {MAX_CELLS:,} cells"
            " a workbook (a stray cell far to the right or below? delete it)"
        )
    return before + rows * columns


def _tables_in(source: str, first_row_number: int, grid: Sequence[Sequence[object]], progress: Progress) -> list[Table]:
    """Every table on one worksheet, each under its own header row; none when the worksheet holds none.

    When there are several, each is named by its header row ("…, table at row 40"), and each takes
    the learning rate stated between the table before it and the table after it.
    """
    tables: list[Table]
    ends: list[int]  # the grid row where each table ends
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
    source: str,
    first_row_number: int,
    grid: Sequence[Sequence[object]],
    r: int,
    columns: dict[str, int],
    progress: Progress,
) -> tuple[Table, int]:
    """The table under the header in grid row ``r``, and the grid row where it ends."""
    header_row = grid[r]
    for c, header in enumerate(header_row):
        name = column_for(header)
        if name is not None and columns[name] != c:  # which of the two would a learner mean? say so
            both = " and ".join(cell_name(first_row_number + r, k) for k in (columns[name], c))
            raise UnreadableSheet(f"{source}: two columns are headed {str(header).strip()} (cells {both}): keep one")
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
        table.rows.append({name: value for name, value in values.items() if isinstance(value, float)})  # or None
        table.row_numbers.append(row_number)
    if not table.rows:
        raise UnreadableSheet(f"{source}: the table under row {first_row_number + r} has no data rows")
    return table, end


def _check_nothing_below(
    source: str, first_row_number: int, grid: Sequence[Sequence[object]], empty: int, columns: dict[str, int]
) -> None:
    """Refuse rows of the table below its first empty row: they would go unchecked (a summary row is fine)."""
    for offset in range(empty + 1, len(grid)):
        if _header_row([grid[offset]]) is not None:
            return  # another table's header: what follows is that table's
        if all(isinstance(_cell_value(grid[offset], columns[name]), float) for name in REQUIRED):
            raise UnreadableSheet(
                f"{source}: row {first_row_number + empty} is empty but row {first_row_number + offset} below it"
                " holds a row of the table; delete the empty row so that every row is checked"
            )


def _header_row(grid: Sequence[Sequence[object]], start: int = 0) -> tuple[int, dict[str, int]] | None:
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


def _stated_learning_rate(
    source: str, grid: Sequence[Sequence[object]], first_row: int = 0
) -> tuple[float | None, str]:
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
                    return _cell_value(cells, k), f"cell {cell_name(r + 1, k)}, labelled '{cell.strip()}'"  # type: ignore[return-value]  # a float: tested above
            in_text = _LR_IN_TEXT.match(cell)
            if in_text and isinstance(_cell_value([in_text.group(2)], 0), float):
                return float(in_text.group(2)), f"cell {cell_name(r + 1, c)}, '{cell.strip()}'"
    named = re.search(r"worksheet '(?:lr|η|eta)\s*=\s*([0-9.eE+-]+)'(?:, table at row \d+)?$", source, re.IGNORECASE)
    if named and isinstance(_cell_value([named.group(1)], 0), float):
        return float(named.group(1)), "the worksheet's name"
    return None, ""
