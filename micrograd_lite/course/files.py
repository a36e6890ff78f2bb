"""A learner's file on disk, as the grids of cells of its worksheets: the container level of reading.

One job: bytes -> :func:`worksheet_grids`, a list of ``(source, row number of the grid's first row,
cells)``, one item a worksheet (a CSV is one worksheet). :mod:`micrograd_lite.course.read` finds the
tables in those grids; everything about the file itself lives here. A worksheet that cannot be read
while the others can -- too large, or its formulas' values never saved -- has, in place of its cells,
the :class:`~micrograd_lite.errors.UnreadableSheet` that says why, so that one sheet never hides
the others; a file that cannot be read at all raises it.


* the file type comes from the content, not the name: a zip holding ``xl/workbook.xml`` is an .xlsx
  (or .xlsm), one holding ``content.xml`` an .ods, text is CSV; a legacy .xls, an .xlsb or a
  password-protected workbook is named as such, with what to save it as;
* nothing is trusted before it is bounded: the file's size, each zip part's unzipped size and
  compression ratio (from the zip's directory first, then while the part is unzipped, since a zip can
  lie in its directory too), each worksheet's extent (counted from its cells, never from the
  ``<dimension>`` it declares), and the longest run of text or tag in its XML -- all before
  python-calamine, which reads the workbook, builds a grid of every cell up to the last one;
* a worksheet is found as calamine finds it, through ``xl/workbook.xml`` and its relationships,
  wherever its part lies in the zip;
* a value must have been saved: a formula without its saved value, or an .ods cell typed a number
  but holding none, is refused naming the first such cell (calamine would read an empty cell, and
  the table would end early, "agreeing");
* an error value (``#DIV/0!``, ``Err:502``), which calamine reads as an empty cell, is put back into
  the grid as its text, so that the table names it with its cell (the first ``MAX_ERROR_CELLS`` of a
  worksheet, in the order of its XML); a worksheet holding an error calamine cannot read (Excel's
  ``#SPILL!``) is refused naming the cell.

Every refusal is :class:`~micrograd_lite.errors.UnreadableSheet`, one line naming the file.

>>> _column_number(b"XFD"), _separator(["Backprop, by Ann", "t1;t2;i1", "0,5;0,5;0,05"])
(16384, ';')
"""

from __future__ import annotations

import collections
import csv
import functools
import itertools
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import NamedTuple, TypeVar
from xml import sax as xml_sax

from ..errors import UnreadableSheet
from ..util import optional_import
from .cells import cell_name

Grid = Sequence[Sequence[object]]  # a worksheet's rows of cells, from row 1 (or the CSV's first line)
ErrorCells = dict[tuple[int, int], str]  # an error value's text by its (row, column) in the grid, both from 0
SPREADSHEET_ERROR = re.compile(  # the error values of Excel and LibreOffice (Err:502 is LibreOffice's own)
    r"#(?:DIV/0!|VALUE!|REF!|NAME\?|NUM!|N/A|NULL!|SPILL!|CALC!|FIELD!|BLOCKED!|BUSY!|CONNECT!|UNKNOWN!|PYTHON!"
    r"|GETTING_DATA)|Err:\d+"
)
_CALAMINE_ERRORS = {"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"}  # .xlsx; others abort a sheet
_Handler = TypeVar("_Handler", bound=xml_sax.handler.ContentHandler)
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".ods")
MAX_SHEETS = 1_000  # worksheets in a workbook: a learner's has a few, one per learning rate
MAX_ROWS = 100_000  # per worksheet or CSV: a learner's sheet has a few hundred; this bounds memory (~0.5 GB)
MAX_CELLS = 10_000_000  # rows × columns of a worksheet: one stray cell in column XFD makes every row 16,384 wide
MAX_CSV_BYTES = 64_000_000  # 100,000 rows of the table at full precision take 37 MB; one huge line is refused too
MAX_CSV_CELL = 131_072  # characters in one CSV cell: Python's csv module's own limit
MAX_WORKBOOK_BYTES = 128_000_000  # the zipped file: the course's table of 100,000 rows takes about 40 MB
MAX_PART_BYTES = 256 << 20  # one part unzipped: a worksheet of 100,000 rows of formulas takes about 200 MB
MAX_UNZIPPED_BYTES = 512 << 20  # every part unzipped, added up
MAX_DIRECTORY_BYTES = 1 << 20  # the zip's list of parts: some 10,000 of them; a workbook has a few dozen
MAX_RATIO = 100  # unzipped ÷ zipped of a part over 1 MiB: spreadsheets' XML packs 5-15 times, whitespace 1,000
MAX_RUN = 1 << 20  # bytes of text or tag without a '<': a cell holds at most 32,767 characters
MAX_ERROR_CELLS = 100  # error values kept per worksheet, to name: a broken sheet has a few; the table meets the first
_CHUNK = MAX_RUN  # bytes unzipped (or scanned) at a time: no more than MAX_RUN, see _longest_run
_ZIP, _OLE = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # how a zip and an OLE2 compound file begin
_EMPTY_ZIP = b"PK\x05\x06"
_X = rb"(?:[\w.-]+:)?"  # a namespace prefix, which some writers put on every element
_END = rb"(?=[\s/>])"  # where an element's name ends: <c r=…>, never <col> nor <c:chart>
_R = rb"""\sr\s*=\s*["']"""  # the r="…" attribute, in either quotes
_ROW = re.compile(rb"<(?:row|[\w.-]+:row)" + _END + rb"(?:(?=[^<>]*?" + _R + rb"(\d+)))?")  # its number, or b""
_CELL = re.compile(  # a cell that holds something (not an empty <c …/>): its column letters and row, or b"", b""
    rb"<(?:c|[\w.-]+:c)" + _END + rb"(?:(?=[^<>]*?" + _R + rb"([A-Za-z]+)(\d+)))?[^<>]*(?<!/)>"
)
_CELL_START = re.compile(rb"<" + _X + rb"c" + _END)
_FORMULA_WITHOUT_VALUE = re.compile(  # a formula not followed by a value that holds something
    rb"<" + _X + rb"f" + _END + rb"[^<>]*(?:/>|>[^<]*</" + _X + rb"f\s*>)"
    rb"(?!\s*<" + _X + rb"v" + _END + rb"[^<>]*(?<!/)>\s*[^<\s])(\s*<" + _X + rb"v" + _END + rb")?"
)
_CELL_TAG = re.compile(rb"<" + _X + rb"c" + _END + rb"([^<>]*)>\s*")
_TEXT_RESULT = re.compile(rb"""\st\s*=\s*["']str["']""")  # a text result: an empty <v/> is a value, the empty text
_ERROR_CELL = re.compile(  # a cell typed an error (t="e"), its formula if any, and its value: (attributes, value)
    rb"<" + _X + rb"c" + _END + rb"""(?=[^<>]*?\st\s*=\s*["']e["'])([^<>]*)>\s*"""
    rb"(?:<" + _X + rb"f" + _END + rb"[^<>]*(?:/>|>[^<]*</" + _X + rb"f\s*>)\s*)?"
    rb"<" + _X + rb"v" + _END + rb"[^<>]*(?<!/)>([^<]*)<"  # an empty <v/> is read as an empty cell
)
_REFERENCE = re.compile(_R + rb"(([A-Za-z]+)([0-9]+))")  # B7, its letters, its row
_VALUE = re.compile(  # a cell's saved value: (attributes, its text up to the first '<', what closes it if </v>)
    rb"<" + _X + rb"c" + _END + rb"([^<>]*)>\s*"
    rb"(?:<" + _X + rb"f" + _END + rb"[^<>]*(?:/>|>[^<]*</" + _X + rb"f\s*>)\s*)?"
    rb"<" + _X + rb"v" + _END + rb"[^<>]*(?<!/)>([^<]*)<(/" + _X + rb"v\s*>\s*(?:<" + _X + rb"f" + _END + rb")?)?"
)
_ODS_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_ODS_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_ODS_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_ODS_PREFIXES = {"table": _ODS_TABLE, "office": _ODS_OFFICE, "text": _ODS_TEXT}
_NUMBER = frozenset(" \t\r\n+-._eE")  # with the decimal digits, what a number's text (float()) may hold
_ODS_VALUE = {"float": "value", "percentage": "value", "currency": "value", "date": "date-value",
              "time": "time-value", "boolean": "boolean-value"}  # each type's attribute; a string's is its text
_WORKBOOK, _WORKBOOK_RELATIONSHIPS = "xl/workbook.xml", "xl/_rels/workbook.xml.rels"
_SAVE_AS = "open it and save it as .xlsx (or .ods) to compare it"
_ENCRYPTED = "the workbook is encrypted (password-protected): save it without a password to compare it"
_MANIFEST = "META-INF/manifest.xml"  # an .ods's list of parts, which says how each is encrypted


def worksheet_grids(path: str | os.PathLike[str]) -> list[tuple[str, int, Grid | UnreadableSheet]]:
    """``(source, row number of the grid's first row, cells)`` for each worksheet of a learner's file.

    ``source`` names the file, and the worksheet in a workbook ("mine.xlsx, worksheet 'lr=0.1'");
    chart sheets have no cells and no item. A worksheet that cannot be read has, in place of its
    cells, the :class:`UnreadableSheet` saying why; a file that cannot be read at all raises it.
    Each message is one line naming the file.
    """
    path = Path(path)
    _check_regular_file(path)
    with open(path, "rb") as file:
        start = file.read(4096)
    if start.startswith((_ZIP, _EMPTY_ZIP)):
        return _workbook_grids(path)
    if start.startswith(_OLE):
        raise UnreadableSheet(f"{path}: {_ole_kind(path)}")
    if not start and path.suffix.lower() in SPREADSHEET_SUFFIXES:
        raise UnreadableSheet(f"{path}: the file is empty")
    if b"\0" in start and path.suffix.lower() in SPREADSHEET_SUFFIXES:
        raise UnreadableSheet(f"{path}: not a workbook (an .xlsx, .xlsm or .ods file is a zip archive, this is not)")
    return [(str(path), 1, _csv_grid(path))]


def _ole_kind(path: Path) -> str:
    """What an OLE2 compound file holds, named by the streams in its directory, and what to do about it.

    A directory entry is 128 bytes at a multiple of 128, its name in UTF-16 and the name's length in bytes
    (with its terminating zero) right after the 64 bytes the name may take.
    """
    with open(path, "rb") as file:
        data = file.read(MAX_WORKBOOK_BYTES)

    def has_stream(name: str) -> bool:
        entry = name.encode("utf-16-le") + b"\0\0"
        length = struct.pack("<H", len(entry))
        at = data.find(entry)
        while at >= 0:
            if at % 128 == 0 and data[at + 64 : at + 66] == length:
                return True
            at = data.find(entry, at + 1)
        return False

    if has_stream("EncryptedPackage"):
        return _ENCRYPTED
    if has_stream("Workbook") or has_stream("Book"):
        return f"a legacy Excel 97-2003 .xls workbook, which --compare does not read: {_SAVE_AS}"
    return f"an old Microsoft Office file (OLE2), not a workbook --compare reads: {_SAVE_AS}"


def _workbook_grids(path: Path) -> list[tuple[str, int, Grid | UnreadableSheet]]:
    """Each worksheet's grid, read by calamine once every part and every worksheet's extent are bounded."""
    calamine = optional_import("python_calamine", "spreadsheets", "reading workbooks")
    size = path.stat().st_size
    if size > MAX_WORKBOOK_BYTES:
        raise UnreadableSheet(f"{path}: {size:,} bytes; --compare reads a workbook of at most {MAX_WORKBOOK_BYTES:,}")
    try:
        refused, errors = _check_workbook_parts(path)
        with open(path, "rb") as file:
            workbook = calamine.CalamineWorkbook.from_filelike(file)  # the format from the content, not the name
        try:
            grids: list[tuple[str, int, Grid | UnreadableSheet]] = []
            cells = 0
            for sheet in workbook.sheets_metadata:
                if "WorkSheet" not in str(sheet.typ):
                    continue  # chart sheets hold no cells
                source = f"{path}, worksheet '{sheet.name}'"
                if sheet.name in refused:  # never loaded: its grid might not fit, or its values are not there
                    grids.append((source, 1, refused[sheet.name]))
                    continue
                worksheet = workbook.get_sheet_by_name(sheet.name)
                # total_height is the last row's 0-based index
                cells = _check_extent(source, worksheet.total_height + 1, worksheet.total_width + 1, cells)
                grid = worksheet.to_python(skip_empty_area=False)
                grids.append((source, 1, _with_errors(grid, errors.get(sheet.name, {}))))
        finally:
            workbook.close()
    except UnreadableSheet:
        raise
    except Exception as error:  # zipfile and calamine raise several kinds, none of them useful to a learner
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise UnreadableSheet(f"{path}: not a readable .xlsx/.xlsm/.ods workbook ({reason})") from None
    return grids


def _with_errors(grid: list[list[object]], errors: ErrorCells) -> Grid:
    """``grid`` with each error value's text where calamine read an empty cell."""
    for (r, c), text in errors.items():
        if r < len(grid) and c < len(grid[r]) and grid[r][c] == "":
            grid[r][c] = text
    return grid


def _check_workbook_parts(path: Path) -> tuple[dict[str, UnreadableSheet], dict[str, ErrorCells]]:
    """Refuse a workbook too large before calamine loads it; the worksheets it must not load, by name, and why;
    and each worksheet's error values, by its name.

    Every part is unzipped here once, bounded, so that calamine, which unzips the same bytes, is bounded
    too. An .xlsx's worksheets are found through xl/workbook.xml and its relationships, as calamine finds
    them; each one's extent is counted from its cells, and calamine loads each one on its own, so that a
    worksheet too large, or never calculated, is refused alone. An .ods's worksheets are all in
    content.xml, which calamine loads whole: one too large refuses the file. Its repeated rows and cells
    count as what they repeat when they hold something.
    """
    _check_zip_directory_size(path)
    with zipfile.ZipFile(path) as archive:
        parts = _checked_directory(path, archive)
        if "xl/workbook.bin" in parts:
            raise UnreadableSheet(f"{path}: an Excel binary workbook (.xlsb), which --compare cannot read: {_SAVE_AS}")
        if _WORKBOOK in parts:
            worksheets, scans, cells, refused = _xlsx_worksheets(path, archive, parts), {}, 0, {}
            errors: dict[str, ErrorCells] = {}
            for name, part in worksheets:  # several sheets may name one part: it is scanned once
                source = f"{path}, worksheet '{name}'"
                if part not in scans:
                    scans[part] = _scan_xlsx_worksheet(_unzipped(path, archive, parts[part]), source)
                scan = scans[part]
                errors[name] = scan.errors
                try:
                    _check_formula_values(path, scan.without_value and f"{scan.without_value} of worksheet '{name}'")
                    if scan.unreadable_error:
                        raise UnreadableSheet(
                            f"{source}: cell {scan.unreadable_error}, which the workbook reader (python-calamine)"
                            " cannot read: fix its formula (or delete it) to compare this worksheet"
                        )
                    _check_misread(source, scan.misread)
                    cells = _check_extent(source, scan.rows, scan.columns, cells)
                except UnreadableSheet as problem:
                    refused[name] = problem
            scanned = {*scans, _WORKBOOK, _WORKBOOK_RELATIONSHIPS}
        elif "content.xml" in parts:
            if _MANIFEST in parts and b"encryption-data" in b"".join(_unzipped(path, archive, parts[_MANIFEST])):
                raise UnreadableSheet(f"{path}: {_ENCRYPTED}")
            extents, cells, refused = _parse(path, archive, parts["content.xml"], _OdsExtents(path)), 0, {}
            errors = {}
            for name, scan in extents.tables:
                cells = _check_extent(f"{path}, worksheet '{name}'", scan.rows, scan.columns, cells)
                errors[name] = scan.errors
                try:
                    _check_formula_values(path, scan.without_value and f"{scan.without_value} of worksheet '{name}'")
                    _check_misread(f"{path}, worksheet '{name}'", scan.misread)
                except UnreadableSheet as problem:
                    refused[name] = problem
            scanned = {"content.xml"}
        else:
            raise UnreadableSheet(f"{path}: a zip archive but not a workbook (no xl/workbook.xml, no content.xml)")
        for name, info in parts.items():  # what calamine may read besides: shared strings, styles …
            if name not in scanned:
                collections.deque(_unzipped(path, archive, info), maxlen=0)
    return refused, errors


def _check_zip_directory_size(path: Path) -> None:
    """Refuse a zip directory too large before zipfile reads it all (some 370 bytes of memory a part).

    Its size is in the record that ends the zip (22 bytes and a comment of at most 65,535), or, when
    that says 0xFFFFFFFF, in the ZIP64 record before it.
    """
    with open(path, "rb") as file:
        file.seek(max(0, path.stat().st_size - 22 - 65_535 - 76))
        tail = file.read()
    end = tail.rfind(_EMPTY_ZIP)
    size = struct.unpack("<I", tail[end + 12 : end + 16])[0] if 0 <= end <= len(tail) - 16 else 0
    zip64 = tail.rfind(b"PK\x06\x06", 0, max(end, 0))
    if size == 0xFFFFFFFF and 0 <= zip64 <= len(tail) - 48:
        size = struct.unpack("<Q", tail[zip64 + 40 : zip64 + 48])[0]
    if size > MAX_DIRECTORY_BYTES:
        raise UnreadableSheet(
            f"{path}: a zip directory of {size:,} bytes (a workbook's takes a few kilobytes);"
            f" --compare reads at most {MAX_DIRECTORY_BYTES:,}"
        )


def _checked_directory(path: Path, archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """The zip's parts by name, each refused up front if its stated size or compression ratio is too large."""
    parts, total = {}, 0
    for info in archive.infolist():
        where = f"{path}, part {info.filename}"
        if info.file_size > MAX_PART_BYTES:
            limit = f"--compare reads at most {MAX_PART_BYTES:,} a part"
            raise UnreadableSheet(f"{where}: {info.file_size:,} bytes unzipped; {limit}")
        if info.file_size > 1 << 20 and info.file_size > MAX_RATIO * info.compress_size:
            raise UnreadableSheet(
                f"{where}: packed {info.file_size // max(info.compress_size, 1):,} times (a zip bomb?);"
                f" --compare reads parts packed at most {MAX_RATIO} times"
            )
        total += info.file_size
        if total > MAX_UNZIPPED_BYTES:
            raise UnreadableSheet(f"{path}: more than {MAX_UNZIPPED_BYTES:,} bytes unzipped; --compare reads no more")
        if info.flag_bits & 1:
            raise UnreadableSheet(f"{where}: encrypted; save the workbook without a password to compare it")
        if info.filename in parts:  # which of the two would calamine read?
            raise UnreadableSheet(f"{where}: the zip holds two parts of that name")
        parts[info.filename] = info
    return parts


def _unzipped(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """A part's bytes, unzipped at most ``_CHUNK`` at a time from the bytes calamine will unzip too.

    Refused as soon as it grows past the size the zip's directory states (checked against the limits
    already), or, for XML, holds a run of more than ``MAX_RUN`` bytes without a '<'.
    """
    where = f"{path}, part {info.filename}"
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise UnreadableSheet(f"{where}: packed with zip method {info.compress_type}, which workbooks do not use")
    inflate = zlib.decompressobj(-zlib.MAX_WBITS) if info.compress_type == zipfile.ZIP_DEFLATED else None
    xml, run, size = info.filename.endswith((".xml", ".rels")), 0, 0
    with open(path, "rb") as file:
        file.seek(info.header_offset)
        header = file.read(30)
        if len(header) < 30 or not header.startswith(_ZIP):
            raise UnreadableSheet(f"{where}: not where the zip's directory says it is")
        file.seek(info.header_offset + 30 + sum(struct.unpack("<HH", header[26:30])))  # past the name and extra
        left = info.compress_size
        while left:
            packed = file.read(min(left, _CHUNK))
            if not packed:
                raise UnreadableSheet(f"{where}: the file ends inside this part (truncated?)")
            left -= len(packed)
            while True:  # until this input is used up and zlib holds no more output for it
                piece = inflate.decompress(packed, _CHUNK) if inflate else packed
                packed = inflate.unconsumed_tail if inflate else b""
                if not piece and not packed:
                    break
                size += len(piece)
                if size > info.file_size:
                    raise UnreadableSheet(f"{where}: larger unzipped than the zip's directory says (a zip bomb?)")
                if xml:
                    run = _longest_run(where, piece, run)
                yield piece
    if size != info.file_size or (inflate and not inflate.eof):
        raise UnreadableSheet(f"{where}: not the size the zip's directory says (a damaged file?)")


def _longest_run(where: str, piece: bytes, run: int) -> int:
    """The run without a '<' that ``piece`` ends in, after ``run`` bytes of one before it; refused past MAX_RUN.

    A piece is at most _CHUNK = MAX_RUN bytes, so only a run across pieces can be too long: its ends are enough.
    """
    first = piece.find(b"<")
    if run + (len(piece) if first < 0 else first) > MAX_RUN:
        raise UnreadableSheet(
            f"{where}: a text or tag of more than {MAX_RUN:,} bytes; a spreadsheet cell holds at most 32,767 characters"
        )
    return run + len(piece) if first < 0 else len(piece) - 1 - piece.rfind(b"<")


class _Elements(xml_sax.handler.ContentHandler):
    """The attributes (by local name) of each element of one local name, in document order: at most ``most``."""

    def __init__(self, tag: str, most: int, where: str) -> None:
        super().__init__()
        self.tag, self.most, self.where = tag, most, where
        self.found: list[dict[str, str]] = []

    def startElementNS(  # noqa: N802 (the SAX interface)
        self, name: tuple[str | None, str], qname: str | None, attributes: xml_sax.xmlreader.AttributesNSImpl
    ) -> None:
        if name[1] == self.tag:
            if len(self.found) == self.most:
                raise UnreadableSheet(
                    f"{self.where}: more than {self.most:,} <{self.tag}> elements;"
                    f" --compare reads a workbook of at most {MAX_SHEETS:,} worksheets"
                )
            self.found.append({local: value for (_, local), value in attributes.items()})


def _parse(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo, handler: _Handler) -> _Handler:
    """``handler``, having seen every element of a part, unzipped and parsed a chunk at a time."""
    parser = xml_sax.make_parser()
    assert isinstance(parser, xml_sax.xmlreader.IncrementalParser)  # expat's, which is fed a chunk at a time
    parser.setFeature(xml_sax.handler.feature_namespaces, True)
    parser.setContentHandler(handler)
    if isinstance(handler, xml_sax.handler.LexicalHandler):  # to see CDATA sections
        parser.setProperty(xml_sax.handler.property_lexical_handler, handler)
    for chunk in _unzipped(path, archive, info):
        parser.feed(chunk)
    parser.close()
    return handler


def _xlsx_worksheets(path: Path, archive: zipfile.ZipFile, parts: dict[str, zipfile.ZipInfo]) -> list[tuple[str, str]]:
    """``(name, part)`` of each sheet xl/workbook.xml lists, its part found through the relationships.

    As calamine finds it: a target is under xl/ unless it starts with '/', and its case does not matter.
    """
    targets, named = {}, collections.defaultdict(list)
    for part in parts:
        named[part.lower()].append(part)
    if _WORKBOOK_RELATIONSHIPS in parts:
        listed = _Elements("Relationship", 2 * MAX_SHEETS, f"{path}, part {_WORKBOOK_RELATIONSHIPS}")
        for relationship in _parse(path, archive, parts[_WORKBOOK_RELATIONSHIPS], listed).found:
            target = relationship.get("Target", "")
            targets[relationship.get("Id")] = (target[1:] if target.startswith("/") else "xl/" + target).lower()
    sheets, listed = [], _Elements("sheet", MAX_SHEETS, f"{path}, part {_WORKBOOK}")
    for sheet in _parse(path, archive, parts[_WORKBOOK], listed).found:
        name, target = sheet.get("name", "?"), targets.get(sheet.get("id"), "")
        found = named.get(target)
        if not found:
            raise UnreadableSheet(f"{path}, worksheet '{name}': its part ({target or 'no relationship'}) is missing")
        sheets += [(name, part) for part in found]
    return sheets


def _column_number(letters: bytes) -> int:
    """A column's 1-based number from its letters: b"A" -> 1, b"XFD" -> 16384."""
    return functools.reduce(lambda n, letter: 26 * n + letter - 64, letters.upper(), 0)


def _check_formula_values(path: Path, cell: str | None) -> None:
    if cell:
        raise UnreadableSheet(
            f"{path}: formulas with no saved values (the first: cell {cell}), as a script writes them;"
            " open and save the file in a spreadsheet application, which saves each formula's value"
        )


class _Scan(NamedTuple):
    """What a worksheet's XML says, before calamine loads it."""

    rows: int  # up to its last cell that holds something
    columns: int
    without_value: str | None  # the first cell whose formula has no saved value ("B7")
    errors: ErrorCells  # its first MAX_ERROR_CELLS error values
    unreadable_error: str | None = None  # the first error value calamine cannot read ("C7 holds the error #SPILL!")
    misread: str | None = None  # the first value calamine reads as an empty cell ("B7 (… markup …)")


def _check_misread(source: str, misread: str | None) -> None:
    """Refuse a worksheet with a cell calamine reads as empty though a spreadsheet shows a value: ``misread``."""
    if misread:
        raise UnreadableSheet(
            f"{source}: cell {misread} holds a value the workbook reader (python-calamine)"
            " reads as an empty cell: open and save the file in a spreadsheet application"
        )


def _scan_xlsx_worksheet(chunks: Iterable[bytes], source: str) -> _Scan:
    """A worksheet's extent up to its last cell that holds something, its first formula without a value, its errors.

    Counted as calamine places cells: a row or cell without its reference (``r="B7"``) follows the one before
    it. Here every row and cell without one is counted once more, in rows and in columns: exact for the files
    spreadsheet applications write, which name every cell, and never less than calamine's extent.
    The XML is searched with regular expressions (an XML parser took 8 s for 100,000 rows, six times calamine's
    own reading), in windows cut where a cell begins, with what follows carried into the next: every search
    stops at the next '<', and the carry holds less than a cell, so the time is linear and memory small.
    """
    rows = columns = unnumbered_rows = unnumbered_cells = 0
    first_without_value, unreadable_error, misread, errors, rest = None, None, None, ErrorCells(), b""
    for chunk in itertools.chain(chunks, [b""]):  # b"": the end
        data = rest + chunk
        end = _last_cell_start(data) if chunk else len(data)
        if first_without_value is None and (b"<f" in data or b":f" in data):  # quick: a sheet without formulas
            first_without_value = _first_formula_without_value(data, end)
        if misread is None and (b"&" in data or b"<!" in data or b"<?" in data[1:] or b"</v><" in data):  # quick
            misread = _first_misread_value(data, end)
        if b"'e'" in data or b'"e"' in data:  # quick: a sheet without error values
            unreadable_error = _xlsx_errors(data, end, errors) if unreadable_error is None else unreadable_error
        numbers = _ROW.findall(data, 0, end)
        unnumbered_rows += numbers.count(b"")
        rows = max(rows, max(map(int, filter(None, numbers)), default=0))
        cells = _CELL.findall(data, 0, end)
        if cells:
            letters, cell_rows = zip(*cells)
            unnumbered_cells += cell_rows.count(b"")
            rows = max(rows, max(map(int, filter(None, set(cell_rows))), default=0))
            columns = max(columns, max(map(_column_number, set(letters))))
        rest = data[end:]
        if len(rest) > MAX_RUN:
            raise UnreadableSheet(f"{source}: a cell of more than {MAX_RUN:,} bytes of XML; a cell holds far less")
    return _Scan(
        rows + unnumbered_rows, columns + unnumbered_cells, first_without_value, errors, unreadable_error, misread
    )


def _first_misread_value(data: bytes, end: int) -> str | None:
    """The first cell in ``data[:end]`` whose saved value calamine reads as an empty cell, and why, if any.

    Valid XML that a spreadsheet application reads as the number it is, but calamine as nothing: markup
    inside ``<v>`` (CDATA, a comment), a character reference in a number (``&#48;.05``), a ``<v>`` before
    the ``<f>``. Such a row would end the table early and go unchecked, "agreeing".
    """
    for cell in _VALUE.finditer(data, 0, end):
        closing, text = cell.group(3), cell.group(2)
        if closing is None:
            why = "markup (CDATA, a comment) inside its <v>"
        elif b"<" in closing:
            why = "its <v> before its <f>"
        elif b"&" in text and not _TEXT_RESULT.search(cell.group(1)):
            why = "a character reference in its number"
        else:
            continue
        reference = _REFERENCE.search(cell.group(1))
        return f"{reference.group(1).decode().upper() if reference else '(without a reference)'} ({why})"
    return None


def _xlsx_errors(data: bytes, end: int, errors: ErrorCells) -> str | None:
    """Add the error values in ``data[:end]`` to ``errors`` (up to MAX_ERROR_CELLS); the first calamine cannot read.

    Only a cell that names its place (``r="B7"``) is kept: one without is placed by the cells before it.
    """
    for cell in _ERROR_CELL.finditer(data, 0, end):
        text, reference = cell.group(2).decode(errors="replace"), _REFERENCE.search(cell.group(1))
        if not text:
            continue  # calamine reads an empty error value as an empty cell
        if text not in _CALAMINE_ERRORS:
            where = reference.group(1).decode().upper() if reference else "(without a reference)"
            return f"{where} holds the error value {text if SPREADSHEET_ERROR.fullmatch(text) else repr(text[:20])}"
        if reference and len(errors) < MAX_ERROR_CELLS:
            errors[int(reference.group(3)) - 1, _column_number(reference.group(2)) - 1] = text
    return None


def _first_formula_without_value(data: bytes, end: int) -> str | None:
    """The reference of the first cell in ``data[:end]`` whose formula has no saved value, if there is one.

    A formula is a cell's first element, its value the next. A text result may be the empty text
    (``<v/>``); a formula outside a cell (a data validation's, in an extension) has no value to save.
    """
    for formula in _FORMULA_WITHOUT_VALUE.finditer(data, 0, end):
        cell = _CELL_TAG.fullmatch(data, data.rfind(b"<", 0, formula.start()), formula.start())
        if cell and not (formula.group(1) and _TEXT_RESULT.search(cell.group(1))):
            reference = _REFERENCE.search(cell.group(1))
            return reference.group(1).decode().upper() if reference else "(without a reference)"
    return None


def _last_cell_start(data: bytes) -> int:
    """Where to cut ``data``: where its last cell begins, or at a tag's start if none begins in the last 64 tags.

    Every cell before the cut is whole, or so long that its first tags (the formula and the value that
    follows it) are; no tag is cut in two.
    """
    at = len(data)
    for _ in range(64):
        tag = data.rfind(b"<", 0, at)
        if tag < 0:
            return 0
        at = tag
        if _CELL_START.match(data, at):
            return at
    return at


class _OdsExtents(xml_sax.handler.ContentHandler, xml_sax.handler.LexicalHandler):
    """Each table's name and :class:`_Scan`: its extent up to its last cell that holds something, its first
    cell without a value, its error values, its first cell calamine misreads.

    Empty repeats do not count. A cell without a value is a formula without a value type, or a cell typed
    a number or a date without the value: its name ("B7"), or None. An error value is a formula's result
    typed a text or not typed, and its text is the error's (LibreOffice writes ``office:value-type="string"
    office:string-value=""``, which calamine reads as empty, and ``<text:p>#DIV/0!</text:p>``).

    calamine reads a cell's text only when it is typed a string, and then without its CDATA sections; a
    spreadsheet application shows the text of every cell. A misread cell is one without a type (nor a
    formula, nor an attribute holding its value) whose text would be a number, or a string whose text
    holds a CDATA section: such a last row would end the table early and go unchecked, "agreeing".
    """

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.tables: list[tuple[str, _Scan]] = []
        self.without_value: str | None = None
        self.errors = ErrorCells()
        self.text: str | None = None  # the text of a formula's cell that may hold an error value, while in it
        self.notes = 0  # depth in <office:annotation>, a comment on a cell, whose text is not the cell's
        self.misread: str | None = None
        self.string = False  # in a cell whose value is its text, as calamine reads it: without CDATA sections
        self.ignored_text = False  # in a cell whose text calamine ignores: no type, no value attribute, no formula
        self.number = self.digit = False  # whether the latter's text so far would be a number, and has a digit

    def startElementNS(  # noqa: N802 (the SAX interface)
        self, name: tuple[str | None, str], qname: str | None, attributes: xml_sax.xmlreader.AttributesNSImpl
    ) -> None:
        namespace, tag = name
        if namespace == _ODS_TABLE and tag == "table":
            if len(self.tables) == MAX_SHEETS:
                raise UnreadableSheet(f"{self.path}: more than {MAX_SHEETS:,} worksheets; --compare reads no more")
            self.table, self.row, self.rows, self.columns = attributes.get((_ODS_TABLE, "name"), "?"), 0, 0, 0
            self.without_value, self.errors, self.misread = None, ErrorCells(), None
        elif namespace == _ODS_TABLE and tag == "table-row":
            self.repeat, self.column, self.last = self._count(attributes, "number-rows-repeated"), 0, 0
        elif namespace == _ODS_TABLE and tag in ("table-cell", "covered-table-cell"):
            value_type = attributes.get((_ODS_OFFICE, "value-type"))  # a text result has one too
            value = _ODS_VALUE.get(value_type or "")
            if value is not None and (_ODS_OFFICE, value) not in attributes:
                self._unsaved(self.column)
            if (_ODS_TABLE, "formula") in attributes and value_type in (None, "string"):  # an error value?
                self.text, self.typed, self.start = "", value_type is not None, self.column
            if value is None and not any((_ODS_OFFICE, held) in attributes for held in ("value", "string-value")):
                self.string, self.number, self.digit, self.start = value_type == "string", True, False, self.column
                self.ignored_text = not self.string and (_ODS_TABLE, "formula") not in attributes  # a formula: above
            self.column += self._count(attributes, "number-columns-repeated")
            if value_type is not None:
                self.last = self.column
        elif namespace == _ODS_TEXT and tag == "p":  # a text cell (a value-type names it, but need not)
            self.last = self.column
        elif namespace == _ODS_OFFICE and tag == "annotation":
            self.notes += 1

    def characters(self, content: str) -> None:
        if self.text is not None and not self.notes and len(self.text) < 32:  # an error value is short
            self.text += content[:32]
        if self.ignored_text and not self.notes and not content.isspace():  # would its text be a number?
            self.number = self.number and all(c in _NUMBER or c.isdecimal() for c in content)
            self.digit = self.digit or any(c.isdecimal() for c in content)

    def startCDATA(self) -> None:  # noqa: N802 (the SAX interface)
        if self.string and not self.notes:
            self._misread(self.start, "a CDATA section in its text")

    def _misread(self, column: int, why: str) -> None:
        if self.misread is None:
            self.misread = f"{cell_name(self.row + 1, column)} ({why})"

    def _unsaved(self, column: int) -> None:
        if self.without_value is None:
            self.without_value = cell_name(self.row + 1, column)

    def startPrefixMapping(self, prefix: str | None, uri: str) -> None:  # noqa: N802 (the SAX interface)
        """calamine reads ``table:table-row`` by its letters, whatever ``table:`` stands for: so must this."""
        usual = _ODS_PREFIXES.get(prefix or "")
        if usual != uri and (usual is not None or uri in _ODS_PREFIXES.values()):
            raise UnreadableSheet(
                f"{self.path}: content.xml binds the prefix {prefix or '(none)'} to {uri}, unlike an OpenDocument"
                " spreadsheet"
            )

    def _count(self, attributes: xml_sax.xmlreader.AttributesNSImpl, name: str) -> int:
        text = attributes.get((_ODS_TABLE, name), "1")
        if not text.isdigit() or not 0 < int(text) <= 1 << 24:
            raise UnreadableSheet(f"{self.path}, worksheet '{self.table}': table:{name}={text!r} is not a count")
        return int(text)

    def endElementNS(self, name: tuple[str | None, str], qname: str | None) -> None:  # noqa: N802 (the SAX interface)
        namespace, tag = name
        if namespace == _ODS_OFFICE and tag == "annotation":
            self.notes -= 1
        elif namespace == _ODS_TABLE and tag in ("table-cell", "covered-table-cell"):
            if self.ignored_text and self.number and self.digit:
                self._misread(self.start, "text that would be a number, without a value type")
            self.string = self.ignored_text = False
            if self.text is None:
                return
            if SPREADSHEET_ERROR.fullmatch(self.text):  # every cell it repeats, up to MAX_ERROR_CELLS
                places = itertools.product(range(self.row, self.row + self.repeat), range(self.start, self.column))
                for place in itertools.islice(places, MAX_ERROR_CELLS - len(self.errors)):
                    self.errors[place] = self.text
            elif not self.typed:  # a formula with neither a type nor an error value: its value was never saved
                self._unsaved(self.start)
            self.text = None
        elif namespace == _ODS_TABLE and tag == "table-row":
            if self.last:
                self.rows, self.columns = self.row + self.repeat, max(self.columns, self.last)
            self.row += self.repeat
        elif namespace == _ODS_TABLE and tag == "table":
            scan = _Scan(self.rows, self.columns, self.without_value, self.errors, misread=self.misread)
            self.tables.append((self.table, scan))


def _csv_grid(path: Path) -> list[list[str]]:
    """A CSV's cells: UTF-8 with or without Excel's BOM, separated by ``,`` ``;`` or tabs."""
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
    lines = text.splitlines()
    separator = _separator(lines[:50])
    reader = csv.reader(lines, delimiter=separator)
    try:
        grid = list(reader)
    except csv.Error as error:
        reason = f"a cell of more than {MAX_CSV_CELL:,} characters" if "field limit" in str(error) else error
        raise UnreadableSheet(f"{path}: row {reader.line_num} cannot be read: {reason}") from None
    if separator == ";":  # a ';'-separated CSV comes from a locale that writes 0,05 for 0.05
        grid = [[cell.replace(",", ".") for cell in row] for row in grid]
    return grid


def _separator(lines: list[str]) -> str:
    """``,`` ``;`` or tab: the one that splits the most of ``lines`` into the same number of cells.

    The header row and the rows under it agree; a title line above them does not count against them.
    """

    def agreement(separator: str) -> tuple[int, int]:
        counts = collections.Counter(line.count(separator) for line in lines if separator in line)
        return max(((lines, count) for count, lines in counts.items()), default=(0, 0))

    return max(",;\t", key=agreement)


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


def _check_extent(source: str, rows: int, columns: int, before: int) -> int:
    """The cells read so far, ``before`` and these (every worksheet of a workbook is held at once), within limits."""
    _check_size(source, rows)
    if before + rows * columns > MAX_CELLS:
        so_far = f" (and {before:,} cells on the worksheets before it)" if before else ""
        raise UnreadableSheet(
            f"{source}: {rows:,} rows × {columns:,} columns{so_far}; --compare reads at most {MAX_CELLS:,} cells"
            " a workbook (a stray cell far to the right or below? delete it)"
        )
    return before + rows * columns
