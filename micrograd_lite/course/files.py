"""A learner's file on disk, as the grids of cells of its worksheets: the container level of reading.

One job: bytes -> ``(source, row number of the first grid row, cells)`` for each worksheet (a CSV is one).
Everything about the file itself lives here -- its size, its zip parts, a workbook's declared and real
extents, formulas saved without their values -- so that :mod:`micrograd_lite.course.read` sees only
grids, and finds the tables in them.
"""

from __future__ import annotations

import csv
import functools
import re
import zipfile
from pathlib import Path
from xml import sax as xml_sax

from ..errors import UnreadableSheet
from ..util import optional_import
from .cells import cell_name

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".ods")
MAX_ROWS = 100_000  # per worksheet or CSV: a learner's sheet has a few hundred; this bounds memory (~0.5 GB)
MAX_CELLS = 10_000_000  # rows × columns of a worksheet: one stray cell in column XFD makes every row 16,384 wide
MAX_CSV_BYTES = 64_000_000  # 100,000 rows of the table at full precision take 37 MB; one huge line is refused too
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


def _spreadsheet_grids(path: Path) -> list[tuple[str, int, list[list]]]:
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


def _scan_xlsx_worksheet(xml, count_extent: bool) -> tuple[int, int, str | None]:
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

    def startElementNS(self, name, qname, attributes) -> None:  # noqa: N802 (the SAX interface)
        namespace, tag = name
        if namespace == _ODS_TABLE and tag == "table":
            self.table, self.row, self.rows, self.columns = attributes.get((_ODS_TABLE, "name"), "?"), 0, 0, 0
        elif namespace == _ODS_TABLE and tag == "table-row":
            self.repeat, self.column, self.last = int(attributes.get((_ODS_TABLE, "number-rows-repeated"), 1)), 0, 0
        elif namespace == _ODS_TABLE and tag in ("table-cell", "covered-table-cell"):
            saved = (_ODS_OFFICE, "value-type") in attributes.getNames()  # a text result has one too
            if (_ODS_TABLE, "formula") in attributes.getNames() and not saved and self.formula_without_value is None:
                self.formula_without_value = f"{cell_name(self.row + 1, self.column)} of worksheet '{self.table}'"
            self.column += int(attributes.get((_ODS_TABLE, "number-columns-repeated"), 1))
            if (_ODS_OFFICE, "value-type") in attributes.getNames():
                self.last = self.column
        elif namespace == _ODS_TEXT and tag == "p":  # a text cell (a value-type names it, but need not)
            self.last = self.column

    def endElementNS(self, name, qname) -> None:  # noqa: N802 (the SAX interface)
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

