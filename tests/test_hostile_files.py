"""Hostile and odd learners' files, crafted below the library level (tests/fixtures/make_hostile.py): issue 24.

A checker that crashes on a file, or says "all agree" about cells it never read, is the worst defect
it can ship: each test here failed before its fix (an abort, a false "agree", minutes, gigabytes).
"""

import os
import re
import signal
import subprocess
import sys
import time
import zipfile
import zlib

import pytest

from micrograd_lite import course
from micrograd_lite.course import files
from micrograd_lite.errors import UnreadableSheet
from tests.commands import assert_one_line_error, cli
from tests.fixtures import make_hostile as hostile
from tests.learner_files import assert_refused_unopened
from tests.test_course_fixtures import FIXTURES

STRAY = '<row r="1"><c r="A1"><v>1</v></c></row><row r="{row}"><c r="WNJ{row}"><v>1</v></c></row>'


def course_lines(steps=4):
    """The course table at η = 0.5: the header and ``steps`` rows, each cell as text (full precision)."""
    return [line.split(",") for line in "".join(b.decode() for b in course.csv_lines(course.train(0.5, steps))).split()]


def xlsx_rows(lines, cell):
    """<row> elements of ``lines``, the header as inline text; ``cell(row, column, text)`` writes each data cell."""
    header = "".join(
        f'<c r="{hostile.column_letters(c)}1" t="inlineStr"><is><t>{text}</t></is></c>'
        for c, text in enumerate(lines[0], start=1)
    )
    rows = [f'<row r="1">{header}</row>']
    for r, cells in enumerate(lines[1:], start=2):
        rows.append(f'<row r="{r}">' + "".join(cell(r, c, text) for c, text in enumerate(cells, start=1)) + "</row>")
    return "".join(rows)


def ods_rows(lines, cell):
    header = "".join(f'<table:table-cell office:value-type="string"><text:p>{t}</text:p></table:table-cell>'
                     for t in lines[0])
    rows = [f"<table:table-row>{header}</table:table-row>"]
    for r, cells in enumerate(lines[1:], start=2):
        row = "".join(cell(r, c, t) for c, t in enumerate(cells, start=1))
        rows.append(f"<table:table-row>{row}</table:table-row>")
    return "".join(rows)


def saved(r, c, text):
    return hostile.xlsx_cell(r, c, text)


def ods_saved(r, c, text):
    return hostile.ods_cell(text)


def test_the_crafted_correct_tables_agree(tmp_path):
    """The generator's own files, with every value saved, are read and agree: the refusals below are the lies."""
    lines = course_lines()
    hostile.xlsx(tmp_path / "ok.xlsx", {"Sheet1": xlsx_rows(lines, saved)}, dimension="A1:B2")
    hostile.ods(tmp_path / "ok.ods", {"Sheet1": ods_rows(lines, ods_saved)})
    for name in ("ok.xlsx", "ok.ods"):
        result = cli("sheet", "--compare", name, cwd=tmp_path)
        assert result.returncode == 0 and "all 4 rows agree" in result.stdout, (name, result.stdout, result.stderr)


@pytest.mark.parametrize("row", [60_000, 5_000])
@pytest.mark.parametrize("where", ["a lying dimension", "a part outside xl/worksheets"])
def test_a_far_stray_cell_is_refused_before_calamine_builds_its_grid(tmp_path, row, where):
    """A 7 KB .xlsx aborted the process (calamine allocated 30 GB); at row 5,000 it took 7.5 s and 2.5 GB."""
    path = tmp_path / "stray.xlsx"
    if where == "a lying dimension":
        hostile.xlsx(path, {"Sheet1": STRAY.format(row=row)}, dimension="A1:AF7")
    else:
        hostile.xlsx(path, {"Sheet1": STRAY.format(row=row)}, parts={"Sheet1": "elsewhere/data.xml"})
    assert_refused_unopened(path, f"stray.xlsx, worksheet 'Sheet1': {row:,} rows × 15,922 columns")


def test_cells_without_references_are_counted_where_calamine_puts_them(tmp_path):
    """A row numbered 60,000 and 16,000 cells that follow one another without r="…": the same 960 million cells."""
    row = '<row r="60000">' + "<c><v>1</v></c>" * 16_000 + "</row>"
    hostile.xlsx(tmp_path / "unnamed.xlsx", {"Sheet1": row})
    assert_refused_unopened(tmp_path / "unnamed.xlsx", "60,000 rows × 16,000 columns")


def test_repeated_ods_cells_are_counted_as_what_they_repeat(tmp_path):
    """One cell repeated over 16,000 columns in a row repeated 60,000 times: calamine expands every one."""
    rows = f'<table:table-row table:number-rows-repeated="60000">{hostile.ods_cell(1, repeat=16_000)}</table:table-row>'
    hostile.ods(tmp_path / "repeats.ods", {"Sheet1": rows})
    assert_refused_unopened(tmp_path / "repeats.ods", "repeats.ods, worksheet 'Sheet1': 60,000 rows")


@pytest.mark.parametrize("binding", ['xmlns:table="urn:elsewhere"', f'xmlns:t="{files._ODS_TABLE}"'])
def test_an_ods_whose_table_prefix_means_something_else_is_refused(tmp_path, binding):
    """calamine reads table:table-row by its letters: bound to another namespace, the size check skipped it."""
    rows = f'<table:table-row table:number-rows-repeated="60000">{hostile.ods_cell(1, repeat=16_000)}</table:table-row>'
    path = hostile.ods(tmp_path / "prefix.ods", {"Sheet1": rows})
    with zipfile.ZipFile(path) as archive:
        entries = [(info.filename, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries:
            archive.writestr(name, data.replace(b"<office:body>", f"<office:body {binding}>".encode()))
    assert_refused_unopened(path, "prefix.ods: content.xml binds the prefix t(able)? to urn:")


def test_a_repeat_that_is_not_a_count_is_refused(tmp_path):
    rows = '<table:table-row table:number-rows-repeated="1e9"><table:table-cell/></table:table-row>'
    hostile.ods(tmp_path / "count.ods", {"Sheet1": rows})
    assert_refused_unopened(tmp_path / "count.ods", "table:number-rows-repeated='1e9' is not a count")


@pytest.mark.parametrize(
    "kind",
    ["xlsx text formula without <v>", "ods formula typed float without a value", "ods number without a value"],
)
def test_rows_whose_values_were_never_saved_are_refused_naming_the_first_cell(tmp_path, kind):
    """The last two rows' values never saved: calamine read empty cells, the table ended early, "all agree", exit 0."""
    lines = course_lines()

    def unsaved(r, c, text):
        if kind.startswith("xlsx"):
            return hostile.xlsx_cell(r, c, text, formula="1+1", kind="str", saved=r < 4)
        if kind == "ods formula typed float without a value":
            return hostile.ods_cell(text, formula="1+1", saved=r < 4)
        attributes = ' office:value-type="float"' + (f' office:value="{text}"' if r < 4 else "")
        return f"<table:table-cell{attributes}><text:p>{text}</text:p></table:table-cell>"

    if kind.startswith("xlsx"):
        hostile.xlsx(tmp_path / "unsaved.xlsx", {"Sheet1": xlsx_rows(lines, unsaved)})
        name, cell = "unsaved.xlsx", "A4 of worksheet 'Sheet1'"
    else:
        hostile.ods(tmp_path / "unsaved.ods", {"Sheet1": ods_rows(lines, unsaved)})
        name, cell = "unsaved.ods", "A4 of worksheet 'Sheet1'"
    result = cli("sheet", "--compare", name, cwd=tmp_path)
    assert_one_line_error(result, f"{name}: ", f"cell {cell}", "open and save the file")


def test_the_worksheet_scan_carries_less_than_a_cell_from_window_to_window(monkeypatch):
    """A long stretch with no </row> or </c> was carried and copied whole, window after window: 77 KB took 10 s."""
    windows = []
    cut = files._last_cell_start

    def recorded(data):
        windows.append(len(data))
        return cut(data)

    monkeypatch.setattr(files, "_last_cell_start", recorded)
    soup = b'<row r="1"><c r="A1" t="inlineStr"><is>' + b"<r><t>x</t></r>" * 40_000 + b"</is></c></row>"
    chunks = [soup[k : k + 4096] for k in range(0, len(soup), 4096)]
    assert files._scan_xlsx_worksheet(chunks, "soup") == (1, 1, None, {}, None, None)
    assert len(windows) == len(chunks) and max(windows) < 2 * 4096


def test_a_long_run_without_markup_is_refused_while_it_is_unzipped(tmp_path):
    """Text that packs too little for the ratio's limit, but holds no cell: calamine holds it all at once."""
    text = os.urandom(1 << 20).hex()  # 2 MiB, packed about twice
    path = hostile.xlsx(tmp_path / "run.xlsx", {"Sheet1": f'<row r="1"><c r="A1"><v>1</v></c>{text}</row>'})
    assert_refused_unopened(path, r"run.xlsx, part xl/worksheets/sheet1.xml: a text or tag of more than 1,048,576")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda path: hostile.whitespace_ods(path.with_suffix(".ods")), "part content.xml: 1,073,741,824 bytes"),
        (hostile.shared_string_xlsx, "part xl/sharedStrings.xml: 536,870,912 bytes unzipped"),
        (lambda path: hostile.whitespace_ods(path.with_suffix(".ods"), 200 << 20), "content.xml: packed 1,0"),
    ],
    ids=["1 GB content.xml", "512 MB shared string", "200 MB packed 1,000 times"],
)
def test_parts_too_large_unzipped_are_refused_from_the_zip_directory(tmp_path, make, message):
    """A 1 MB .ods took 1.07 GB of memory, a 0.53 MB .xlsx 1.6 GB: the unzipped sizes were not capped."""
    path = make(tmp_path / "bomb.xlsx")
    assert path.stat().st_size < 1_100_000
    assert_refused_unopened(path, message)


def test_a_part_is_unzipped_whole_when_zlib_holds_output_after_its_input_is_used_up(tmp_path):
    """1,048,580 bytes packing to a few kilobytes: the last 4 came out of zlib only when asked with no input left."""
    path = hostile.xlsx(tmp_path / "whole.xlsx", {"Sheet1": xlsx_rows(course_lines(), saved)})
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("docProps/custom.xml", b"<x/>" * 262_145)
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("docProps/custom.xml")
        assert sum(map(len, files._unzipped(path, archive, info))) == info.file_size == 1_048_580


def test_a_zip_that_understates_a_part_in_its_directory_is_refused_while_unzipping(tmp_path):
    source = hostile.xlsx(tmp_path / "source.xlsx", {"Sheet1": xlsx_rows(course_lines(), saved)})
    path = hostile.understated_zip(tmp_path / "liar.xlsx", source, "xl/worksheets/sheet1.xml", 1000)
    assert_refused_unopened(path, "liar.xlsx, part xl/worksheets/sheet1.xml: larger unzipped than the zip's directory")


def test_a_csv_cell_longer_than_the_csv_module_reads_is_named_with_its_row(tmp_path):
    """The CLI said only 'unexpected Error: field larger than field limit (131072)'."""
    lines = course_lines()
    lines[2][0] = '"' + "x" * 200_000 + '"'
    (tmp_path / "huge.csv").write_text("\n".join(",".join(cells) for cells in lines) + "\n")
    result = cli("sheet", "--compare", "huge.csv", cwd=tmp_path)
    assert_one_line_error(result, "huge.csv: row 3 cannot be read: a cell of more than 131,072 characters")


def test_a_title_line_does_not_choose_the_csv_separator(tmp_path):
    """'Backprop; by Ann' above a comma-separated table made ';' the separator: no header row was found."""
    lines = course_lines()
    text = "Backprop exercise; lr = 0.5\n" + "\n".join(",".join(cells) for cells in lines) + "\n"
    (tmp_path / "titled.csv").write_text(text)
    (table,) = course.read_tables(tmp_path / "titled.csv")
    assert len(table.rows) == 4 and table.row_numbers[0] == 3


def test_a_workbook_named_csv_is_read_as_the_workbook_it_is(tmp_path):
    path = tmp_path / "committed.csv"
    path.write_bytes((FIXTURES / "ods_layout_correct.ods").read_bytes())
    result = cli("sheet", "--compare", "committed.csv", cwd=tmp_path)
    assert result.returncode == 0 and "agree" in result.stdout, result.stderr


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: hostile.ole_file(p, ["EncryptionInfo", "EncryptedPackage"]), ["encrypted (password-protected)"]),
        (lambda p: hostile.ole_file(p, ["Workbook"]), ["legacy Excel 97-2003 .xls", "save it as .xlsx (or .ods)"]),
        (lambda p: hostile.xlsx(p, {"S": ""}) and _add_part(p, "xl/workbook.bin"), [".xlsb", "save it as .xlsx"]),
        (lambda p: _encrypted_ods(p), ["encrypted (password-protected)", "save it without a password"]),
    ],
    ids=["encrypted", "xls", "xlsb", "encrypted .ods"],
)
def test_workbooks_of_formats_it_cannot_read_are_named_with_what_to_save_them_as(tmp_path, make, words):
    """An encrypted .xlsx said 'File is not a zip file'."""
    make(tmp_path / "mine.xlsx")
    assert_one_line_error(cli("sheet", "--compare", "mine.xlsx", cwd=tmp_path), "mine.xlsx: ", *words)


def _encrypted_ods(path):
    """An .ods as LibreOffice saves one with a password: content.xml is ciphertext, the manifest says how."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", os.urandom(2048))
        manifest = hostile.ODS_MANIFEST.replace(
            'manifest:full-path="content.xml" manifest:media-type="text/xml"/>',
            'manifest:full-path="content.xml" manifest:media-type="text/xml"><manifest:encryption-data'
            ' manifest:checksum-type="SHA1/1K"/></manifest:file-entry>',
        )
        archive.writestr("META-INF/manifest.xml", manifest)
    return path


def _add_part(path, name):
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(name, b"\0")
    return path


def test_sigterm_while_writing_the_csv_leaves_no_temporary_file(tmp_path):
    """Ctrl-C removed the half-written hidden temporary file; SIGTERM left it behind."""
    # 5,000,000 epochs: long enough to interrupt, and a CSV (~3 GB) that the free-space check lets start;
    # 10^8 epochs was refused up front on a disk with less than 64 GB free, and no file ever appeared
    command = [sys.executable, "-m", "micrograd_lite", "sheet", "--epochs", "5000000", "--csv", "out.csv"]
    process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not any(tmp_path.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert any(tmp_path.iterdir()), ("the temporary file never appeared; exit status", process.poll())
    process.send_signal(signal.SIGTERM)
    _, error = process.communicate(timeout=60)
    assert process.returncode == 130 and b"interrupted" in error, (process.returncode, error)
    assert list(tmp_path.iterdir()) == []


def test_a_zip_directory_too_large_is_refused_before_zipfile_reads_it(tmp_path):
    """A 5 MB zip listing 60,000 empty parts took 22 MB to open; a 128 MB one would take half a gigabyte."""
    path = hostile.raw_zip(tmp_path / "many.xlsx", [(f"{k}", b"", 0, 0, 0) for k in range(30_000)])
    assert_refused_unopened(path, "many.xlsx: a zip directory of 1,")


@pytest.mark.parametrize("parts", [30, 30_000])
def test_the_directory_size_is_read_from_the_zip64_record_when_the_zip_ends_with_one(tmp_path, parts):
    source = hostile.xlsx(tmp_path / "source.xlsx", {"Sheet1": xlsx_rows(course_lines(), saved)})
    with zipfile.ZipFile(source) as archive:
        entries = [(info.filename, archive.read(info)) for info in archive.infolist()]
    entries += [(f"padding/{k}", b"") for k in range(parts - len(entries))]
    path = hostile.raw_zip(tmp_path / "zip64.xlsx", [(n, d, 0, zlib.crc32(d), len(d)) for n, d in entries], zip64=True)
    if parts == 30:
        result = cli("sheet", "--compare", path.name, cwd=tmp_path)
        assert result.returncode == 0 and "all 4 rows agree" in result.stdout, result.stderr
    else:
        assert_refused_unopened(path, "zip64.xlsx: a zip directory of 1,")


def test_a_worksheet_is_found_by_its_relationship_whatever_the_case_of_its_name(tmp_path):
    """calamine finds xl/worksheets/SHEET1.xml from the target worksheets/sheet1.xml: so must the size check."""
    path = hostile.xlsx(tmp_path / "case.xlsx", {"Sheet1": STRAY.format(row=60_000)}, parts={"Sheet1": "xl/Data.XML"})
    with zipfile.ZipFile(path) as archive:
        entries = [(info.filename, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries:
            archive.writestr(name, data.replace(b'Target="Data.XML"', b'Target="data.xml"'))
    assert_refused_unopened(path, "case.xlsx, worksheet 'Sheet1': 60,000 rows")


# ----------------------------------------------------------------------
# The property: whatever the cells, extents and parts, a clear verdict

XLSX_FORMS = {  # how a data cell is written -> whether calamine reads it as the number
    "number": (lambda r, c, t: hostile.xlsx_cell(r, c, t), True),
    "formula and value": (lambda r, c, t: hostile.xlsx_cell(r, c, t, formula="1+1"), True),
    "text formula and value": (lambda r, c, t: hostile.xlsx_cell(r, c, t, formula="1+1", kind="str"), True),
    "inline text": (lambda r, c, t: f'<c r="{hostile.column_letters(c)}{r}" t="inlineStr"><is><t>{t}</t></is></c>',
                    True),
    "formula, no value": (lambda r, c, t: hostile.xlsx_cell(r, c, t, formula="1+1", saved=False), False),
    "text formula, no value": (lambda r, c, t: hostile.xlsx_cell(r, c, t, formula="1", kind="str", saved=False), False),
    "error formula, no value": (lambda r, c, t: hostile.xlsx_cell(r, c, t, formula="1", kind="e", saved=False), False),
    "error value": (lambda r, c, t: hostile.xlsx_cell(r, c, "#DIV/0!", formula="1/0", kind="e"), False),
    "empty value": (lambda r, c, t: f'<c r="{hostile.column_letters(c)}{r}"><v></v></c>', False),
    "missing": (lambda r, c, t: "", False),
}
ODS_FORMS = {
    "number": (lambda t: hostile.ods_cell(t), True),
    "formula and value": (lambda t: hostile.ods_cell(t, formula="1+1"), True),
    "text": (lambda t: hostile.ods_cell(t, kind="string"), True),
    "formula typed, no value": (lambda t: hostile.ods_cell(t, formula="1+1", saved=False), False),
    "typed, no value": (lambda t: f'<table:table-cell office:value-type="float"><text:p>{t}</text:p>'
                        "</table:table-cell>", False),
    "formula, no type": (lambda t: f'<table:table-cell table:formula="of:=1"><text:p>{t}</text:p></table:table-cell>',
                         False),
    "error value": (lambda t: '<table:table-cell table:formula="of:=1/0" office:value-type="string"'
                    ' office:string-value=""><text:p>#DIV/0!</text:p></table:table-cell>', False),
    "missing": (lambda t: "<table:table-cell/>", False),
}
LIMITS = {"MAX_ROWS": 3_000, "MAX_CELLS": 60_000}  # small, so that a grid within them is quick to build


def hostile_workbook(draw, tmp_path):
    """A workbook of one or two worksheets holding the course table, drawn: (path, every data cell readable?)."""
    from hypothesis import strategies as st

    lines = course_lines(steps=2)
    ods_format = draw(st.booleans())
    forms = ODS_FORMS if ods_format else XLSX_FORMS
    sheets, readable, cells_held, within = {}, True, 0, True
    for k in range(draw(st.integers(1, 2))):
        good, bad = sorted(f for f in forms if forms[f][1]), sorted(f for f in forms if not forms[f][1])
        chosen = [["number"] + [draw(st.sampled_from(good)) for _ in cells[1:]] for cells in lines[1:]]
        for _ in range(draw(st.integers(0, 2))):  # a few cells whose number calamine would not read
            chosen[draw(st.integers(0, len(chosen) - 1))][draw(st.integers(1, len(lines[0]) - 1))] = draw(
                st.sampled_from(bad)
            )
        unsaved = [f for f in bad if "no value" in f]  # a whole row of these read as empty: the table "ended"
        last = draw(st.sampled_from(["as drawn", "as drawn", *unsaved]))
        if last != "as drawn":  # the last row, every cell of it, as a script writes formulas: the file
            chosen[-1] = [last] * len(chosen[-1])
        readable &= all(forms[form][1] for row in chosen for form in row)
        near, far = st.integers(len(lines) + 2, 300), st.integers(len(lines) + 2, 70_000)
        stray_row, stray_column = draw(
            st.one_of(st.just((None, 0)), st.tuples(near, st.integers(1, 200)), st.tuples(far, st.integers(1, 16_384)))
        )
        height, width = max(stray_row or 0, len(lines)), max(stray_column, len(lines[0]))
        cells_held += height * width  # the limits as the README states them: every worksheet's grid, added up
        within &= height <= LIMITS["MAX_ROWS"] and cells_held <= LIMITS["MAX_CELLS"]
        if ods_format:
            rows = ods_rows([lines[0]], None)
            for cells, row in zip(lines[1:], chosen):
                written = [forms[f][0](t) for f, t in zip(row, cells)]
                rows += f"<table:table-row>{''.join(written)}</table:table-row>"
            if stray_row is not None:
                gap = stray_row - len(lines) - 1
                rows += f'<table:table-row table:number-rows-repeated="{gap}"><table:table-cell/></table:table-row>'
                empty = f'<table:table-cell table:number-columns-repeated="{stray_column - 1}"/>' * (stray_column > 1)
                rows += f"<table:table-row>{empty}{hostile.ods_cell(1)}</table:table-row>"
            sheets[f"S{k}"] = rows
        else:
            rows = xlsx_rows([lines[0]], None)
            for r, (cells, row) in enumerate(zip(lines[1:], chosen), start=2):
                written = [forms[f][0](r, c, t) for c, (f, t) in enumerate(zip(row, cells), start=1)]
                rows += f'<row r="{r}">{"".join(written)}</row>'
            if stray_row is not None:
                rows += f'<row r="{stray_row}">{saved(stray_row, stray_column, 1)}</row>'
            sheets[f"S{k}"] = rows
    if ods_format:
        return hostile.ods(tmp_path / "drawn.ods", sheets), readable and within
    declared = draw(st.sampled_from([None, "A1:B2", "A1:XFD1048576"]))
    moved = {name: draw(st.sampled_from(["", "xl/elsewhere/Part.xml", "outside/the/xl/folder.xml"])) for name in sheets}
    parts = {name: part.replace(".xml", f"{k}.xml") for k, (name, part) in enumerate(moved.items()) if part}
    return hostile.xlsx(tmp_path / "drawn.xlsx", sheets, parts=parts, dimension=declared), readable and within


def test_hostile_workbooks_get_a_clear_verdict_and_agree_only_when_every_cell_was_read(tmp_path_factory, monkeypatch):
    """No crash, a bounded time and memory, and exit 0 exactly when every data cell was a number, read and checked."""
    import contextlib
    import io
    import resource

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from micrograd_lite import cli as command_line

    for name, value in LIMITS.items():
        monkeypatch.setattr(files, name, value)
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    @settings(max_examples=40, deadline=None, derandomize=True)
    @given(st.data())
    def check(data):
        path, all_read = hostile_workbook(data.draw, tmp_path_factory.mktemp("drawn"))
        output, error = io.StringIO(), io.StringIO()
        start = time.perf_counter()
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(error):
            status = command_line.main(["sheet", "--compare", str(path)])
        assert time.perf_counter() - start < 10
        errors = error.getvalue().splitlines()  # one line per worksheet that cannot be read, never a traceback
        assert "unexpected" not in error.getvalue(), error.getvalue()
        assert all(line.startswith("micrograd-lite: error: ") for line in errors), error.getvalue()
        assert status == (0 if all_read else 2), (status, all_read, output.getvalue(), error.getvalue())

    check()
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before < 500_000  # kilobytes


def test_a_part_that_several_sheets_name_is_scanned_once(tmp_path, monkeypatch):
    """10,000 sheets naming one 1 MB part would unzip and scan it 10,000 times before the cell limit stopped it."""
    path = hostile.xlsx(tmp_path / "one.xlsx", {name: STRAY.format(row=9) for name in "ABC"})
    with zipfile.ZipFile(path) as archive:
        entries = [(info.filename, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries:
            archive.writestr(name, re.sub(rb"sheet\d\.xml", b"sheet1.xml", data))
    scans, scan = [], files._scan_xlsx_worksheet
    monkeypatch.setattr(files, "MAX_CELLS", 200_000)
    monkeypatch.setattr(files, "_scan_xlsx_worksheet", lambda *args: scans.append(args[1]) or scan(*args))
    refused, _ = files._check_workbook_parts(path)
    assert scans == [f"{path}, worksheet 'A'"]
    assert list(refused) == ["B", "C"] and "'B': 9 rows × 15,922 columns (and 143,298 cells" in str(refused["B"])


@pytest.mark.parametrize("kind", ["xlsx far stray cell", "xlsx values never saved", "ods values never saved"])
def test_one_unreadable_worksheet_does_not_hide_the_others(tmp_path, kind):
    """The worksheet that cannot be read comes as its error, in its place; calamine never loads it; the rest read."""
    lines = course_lines()
    if kind == "xlsx far stray cell":
        path = hostile.xlsx(tmp_path / "two.xlsx", {"bad": STRAY.format(row=60_000), "good": xlsx_rows(lines, saved)})
    elif kind == "xlsx values never saved":
        unsaved = xlsx_rows(lines, lambda r, c, t: hostile.xlsx_cell(r, c, t, formula="1", saved=False))
        path = hostile.xlsx(tmp_path / "two.xlsx", {"bad": unsaved, "good": xlsx_rows(lines, saved)})
    else:
        unsaved = ods_rows(lines, lambda r, c, t: hostile.ods_cell(t, formula="1", saved=False))
        path = hostile.ods(tmp_path / "two.ods", {"bad": unsaved, "good": ods_rows(lines, ods_saved)})
    (bad_source, _, problem), (good_source, _, grid) = files.worksheet_grids(path)
    assert bad_source.endswith("worksheet 'bad'") and good_source.endswith("worksheet 'good'")
    assert isinstance(problem, UnreadableSheet) and str(problem).startswith(str(path))
    assert [str(cell) for cell in grid[0]] == lines[0] and len(grid) == len(lines)
    result = cli("sheet", "--compare", path.name, cwd=tmp_path)  # a process calamine did not abort
    assert_one_line_error(result, "worksheet 'bad'" if "stray" in kind else "of worksheet 'bad'")


def test_what_libreoffice_saves_passes_every_check_the_remedy_for_unsaved_values_included(tmp_path):
    """Formulas a script wrote are refused; saved by LibreOffice (.xlsx and .ods, with the values), they agree."""
    from tests.learner_files import learner_workbook
    from tests.libreoffice import convert

    script = learner_workbook(tmp_path, formula_rows=4)
    assert_one_line_error(cli("sheet", "--compare", str(script)), "formulas with no saved values")
    for saved_as in ("xlsx", "ods"):
        (path,) = convert([script], saved_as, tmp_path / saved_as)
        result = cli("sheet", "--compare", str(path))
        assert result.returncode == 0 and "all 4 rows agree" in result.stdout, (saved_as, result.stderr)


@pytest.mark.parametrize("suffix", [".xlsx", ".ods"])
def test_a_workbook_listing_thousands_of_worksheets_is_refused_before_they_are_read(tmp_path, suffix):
    """5,000 sheets naming one empty part: each looked through every part's name, and calamine loaded each."""
    path = tmp_path / f"many{suffix}"
    if suffix == ".ods":
        hostile.ods(path, {f"S{k}": "" for k in range(5_000)})
    else:
        hostile.xlsx(path, {f"S{k}": "" for k in range(5_000)})
    assert_refused_unopened(path, "more than [12],000 .*1,000 worksheets|1,000 worksheets; --compare reads no more")


# ----------------------------------------------------------------------
# Error values (issue 19): calamine reads an error cell as an empty one; the scan puts its text back

ERROR_ROW, E2 = 4, course_lines()[0].index("E2") + 1  # the cell W4: E2 of the table's third row
XLSX_ERRORS = {  # how a spreadsheet application (or a hand) writes an error cell -> its text
    "Excel and LibreOffice": ('<c r="W4" s="1" t="e"><f aca="false">1/0</f><v>#DIV/0!</v></c>', "#DIV/0!"),
    "no formula": ('<c r="W4" t="e"><v>#N/A</v></c>', "#N/A"),
    "prefixed, single quotes": ("<x:c r='W4' t = 'e'><x:f>1/0</x:f><x:v>#NUM!</x:v></x:c>", "#NUM!"),
    "lower case, spaced": ('<c r="w4" t="e">\n  <f t="shared" si="0"/>\n  <v>#REF!</v>\n</c>', "#REF!"),
}
ODS_LIBREOFFICE = 'office:value-type="string" office:string-value="" calcext:value-type="error"'
ODS_ERRORS = {
    "LibreOffice": (f'<table:table-cell table:formula="of:=1/0" {ODS_LIBREOFFICE}><text:p>#DIV/0!</text:p>'
                    "</table:table-cell>", "#DIV/0!"),
    "no value type": ('<table:table-cell table:formula="of:=SQRT(-1)"><text:p>Err:502</text:p></table:table-cell>',
                      "Err:502"),
    "typed text, no string value": ('<table:table-cell table:formula="of:=NA()" office:value-type="string">'
                                    "<text:p>#N/A</text:p></table:table-cell>", "#N/A"),
    "with a comment": (f'<table:table-cell table:formula="of:=1/0" {ODS_LIBREOFFICE}><office:annotation>'
                       "<text:p>why? #N/A</text:p></office:annotation><text:p>#DIV/0!</text:p></table:table-cell>",
                       "#DIV/0!"),  # the comment's text is not the cell's
    "repeated over E2 and E_total": (f'<table:table-cell table:number-columns-repeated="2" table:formula="of:=1/0" '
                                     f"{ODS_LIBREOFFICE}><text:p>#VALUE!</text:p></table:table-cell>", "#VALUE!"),
}


def course_lines_with_slip(steps=4):
    """The course table with its slip: ∂E/∂w3 and ∂E/∂w4 use a_h1·(1−a_h1) where a_h2·(1−a_h2) belongs."""
    lines = course_lines(steps)
    at = {name: k for k, name in enumerate(lines[0])}
    for cells in lines[1:]:
        a_h1, a_h2 = float(cells[at["a_h1"]]), float(cells[at["a_h2"]])
        for name in ("dE_dw3", "dE_dw4"):
            cells[at[name]] = repr(float(cells[at[name]]) * a_h1 * (1 - a_h1) / (a_h2 * (1 - a_h2)))
    return lines


def error_workbook(path, lines, error, where=(ERROR_ROW, E2)):
    """``lines`` as an .xlsx or .ods (by ``path``'s suffix), ``error`` written in place of the cell at ``where``."""
    if path.suffix == ".ods":
        def cell(r, c, text):
            if (r, c) == where:
                return error
            return "" if where[0] == r and c == where[1] + 1 and "repeated" in error else hostile.ods_cell(text)

        return hostile.ods(path, {"Sheet1": ods_rows(lines, cell)})
    rows = xlsx_rows(lines, lambda r, c, t: error if (r, c) == where else saved(r, c, t))
    return hostile.xlsx(path, {"Sheet1": rows})


def compared(capsys, path):
    from micrograd_lite import cli as command_line

    status = command_line.main(["sheet", "--compare", str(path)])
    out = capsys.readouterr()
    return status, out.out, out.err


@pytest.mark.parametrize("slip", [False, True], ids=["correct", "w3 slip"])
@pytest.mark.parametrize(
    "suffix, form", [(".xlsx", form) for form in XLSX_ERRORS] + [(".ods", form) for form in ODS_ERRORS]
)
def test_an_error_value_is_named_with_its_cell_in_each_form_a_workbook_holds_it(tmp_path, capsys, suffix, form, slip):
    """It read as an empty cell ("row 4 has no number for E2 … which is empty"), or, not typed in an .ods, as a
    value never saved; the slip elsewhere in the table changes nothing: the error is what to fix first."""
    error, text = (ODS_ERRORS if suffix == ".ods" else XLSX_ERRORS)[form]
    path = error_workbook(tmp_path / f"error{suffix}", course_lines_with_slip() if slip else course_lines(), error)
    status, out, err = compared(capsys, path)
    assert status == 2 and len(err.splitlines()) == 1, err
    assert f"worksheet 'Sheet1': cell W4 (E2) holds the spreadsheet error {text}: its formula failed; fix it" in err


@pytest.mark.parametrize("suffix", [".xlsx", ".ods"])
def test_an_error_value_outside_the_table_leaves_the_table_to_be_checked(tmp_path, capsys, suffix):
    """An error in a scratch cell beside the table (AH3, past an empty column AG) is in the grid, as text, and the
    table is checked as before: it agrees, or its slip is named."""
    xlsx_error, ods_error = XLSX_ERRORS["Excel and LibreOffice"][0].replace("W4", "AH3"), ODS_ERRORS["LibreOffice"][0]
    last = len(course_lines()[0])  # the table's last column, AF
    for slip, expected in ((False, 0), (True, 1)):
        lines = course_lines_with_slip() if slip else course_lines()
        if suffix == ".ods":
            def cell(r, c, text):
                beside = "<table:table-cell/>" + ods_error if (r, c) == (3, last) else ""
                return hostile.ods_cell(text) + beside

            path = hostile.ods(tmp_path / f"scratch{slip}.ods", {"Sheet1": ods_rows(lines, cell)})
        else:
            rows = xlsx_rows(lines, lambda r, c, t: saved(r, c, t) + (xlsx_error if (r, c) == (3, last) else ""))
            path = hostile.xlsx(tmp_path / f"scratch{slip}.xlsx", {"Sheet1": rows})
        ((_, _, grid),) = files.worksheet_grids(path)
        assert grid[2][last + 1] == "#DIV/0!"
        status, out, err = compared(capsys, path)
        assert status == expected and not err, (out, err)
        if slip:
            assert "use a_h1·(1−a_h1) where a_h2·(1−a_h2) belongs" in out


@pytest.mark.parametrize("suffix", [".xlsx", ".ods"])
def test_a_worksheet_full_of_error_values_keeps_only_the_first_few(tmp_path, suffix):
    """Memory: a map of every error cell of a hostile sheet would be some 200 bytes a cell; past the first
    MAX_ERROR_CELLS (in the order of the XML) an error value reads as calamine reads it, empty."""
    rows, columns = 300, 100
    if suffix == ".ods":
        error = ODS_ERRORS["LibreOffice"][0].replace("<table:table-cell ", f'<table:table-cell '
                                                     f'table:number-columns-repeated="{columns}" ')
        path = hostile.ods(tmp_path / "errors.ods", {"S": f'<table:table-row table:number-rows-repeated="{rows}">'
                                                          f"{error}</table:table-row>"})
    else:
        path = hostile.xlsx(tmp_path / "errors.xlsx", {"S": "".join(
            f'<row r="{r}">' + "".join(XLSX_ERRORS["no formula"][0].replace("W4", f"{hostile.column_letters(c)}{r}")
                                       for c in range(1, columns + 1)) + "</row>"
            for r in range(1, rows + 1))})
    refused, errors = files._check_workbook_parts(path)
    assert refused == {} and len(errors["S"]) == files.MAX_ERROR_CELLS
    assert sorted(errors["S"])[-1] == divmod(files.MAX_ERROR_CELLS - 1, columns)  # the first, row by row
    (_, _, grid), = files.worksheet_grids(path)
    texts = [cell for row in grid for cell in row]
    assert len(texts) == rows * columns and texts.count("") == rows * columns - files.MAX_ERROR_CELLS


def test_an_error_value_calamine_cannot_read_refuses_its_worksheet_alone_naming_the_cell(tmp_path, capsys):
    """Excel 365's #SPILL! (or #CALC!) made calamine refuse the whole workbook, every worksheet unchecked."""
    lines = course_lines()
    spill = xlsx_rows(lines, lambda r, c, t: '<c r="W4" t="e"><f>A1:A2</f><v>#SPILL!</v></c>' if (r, c) == (4, E2)
                      else saved(r, c, t))
    path = hostile.xlsx(tmp_path / "spill.xlsx", {"new Excel": spill, "good": xlsx_rows(lines, saved)})
    status, out, err = compared(capsys, path)
    assert status == 2 and "worksheet 'good'" in out and "all 4 rows agree" in out, (out, err)
    (line,) = err.splitlines()
    assert "spill.xlsx, worksheet 'new Excel': cell W4 holds the error value #SPILL!, which the workbook reader" in line


@pytest.mark.parametrize(
    "cell, problem",
    [
        ('<c r="A1" t="e"><v/></c>', None),  # calamine reads an empty error value as an empty cell
        ('<c r="A1" t="e"><v></v></c>', None),
        ('<c r="A1" t="e"></c>', None),
        ('<c r="A1" t="e"><v>#CALC!</v></c>', "cell A1 holds the error value #CALC!, which"),
        ('<c r="A1" t="e"><v>#N/A\n' + "x" * 1000 + "</v></c>", r"the error value '#N/A\nxxxxxxxxxxxxxxx',"),
    ],
)
def test_an_error_value_calamine_reads_as_empty_is_not_refused_and_one_it_cannot_read_is_shown_short(
    tmp_path, cell, problem
):
    """An empty <v></v> was refused though calamine reads it; a long error value filled the one-line message."""
    path = hostile.xlsx(tmp_path / "forms.xlsx", {"S": f'<row r="1">{cell}<c r="B1"><v>1</v></c></row>'})
    ((_, _, grid),) = files.worksheet_grids(path)
    if problem is None:
        assert grid == [["", 1.0]]
    else:
        assert isinstance(grid, UnreadableSheet) and problem in str(grid) and "\n" not in str(grid)


def test_the_worksheet_scan_finds_every_error_value_whatever_the_windows(monkeypatch):
    """Error cells are found in windows cut where a cell begins: cut anywhere, each is found once, in its place."""
    row = "".join(XLSX_ERRORS["Excel and LibreOffice"][0].replace("W4", f"{hostile.column_letters(c)}7")
                  for c in range(1, 40))
    soup = f'<row r="7">{row}</row>'.encode()
    whole = files._scan_xlsx_worksheet([soup], "soup")
    assert whole.errors == {(6, c): "#DIV/0!" for c in range(39)} and whole.unreadable_error is None
    for size in (1, 7, 50, 333):
        assert files._scan_xlsx_worksheet([soup[k : k + size] for k in range(0, len(soup), size)], "soup") == whole
