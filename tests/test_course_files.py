"""A learner's file on disk (course/files.py): sizes counted before anything loads, formulas without saved values."""

import pytest

from tests.commands import assert_one_line_error, cli
from tests.learner_files import assert_refused_unopened, learner_workbook

# ----------------------------------------------------------------------
# What an adversarial pass over issues 11-15 found (were test_adversarial.py), one test per defect.
# ----------------------------------------------------------------------


def test_a_worksheet_s_rows_are_counted_as_a_csv_s_lines(monkeypatch):
    """calamine's total_height is the last row's 0-based index: a 100-row worksheet counted 99, one past the limit."""
    from micrograd_lite import course
    from micrograd_lite.course import files
    from micrograd_lite.errors import UnreadableSheet
    from tests.test_course_fixtures import FIXTURES

    monkeypatch.setattr(files, "MAX_ROWS", 99)
    with pytest.raises(UnreadableSheet, match=r"worksheet 'BackProp': 100 rows; --compare reads at most 99 rows"):
        course.read_tables(FIXTURES / "course_layout_correct.xlsx")  # rows 1-100, the table in rows 32-100


def test_a_stray_cell_far_right_is_refused_before_the_worksheet_is_read(tmp_path, monkeypatch):
    """One cell in column XFD made calamine build rows 16,384 cells wide: 3,000 rows took 1.9 GB and 9 s."""
    openpyxl = pytest.importorskip("openpyxl")
    from micrograd_lite.course import files

    wb = openpyxl.Workbook()
    wb.active["A1"], wb.active["XFD20"] = "notes", 1
    wb.save(tmp_path / "stray.xlsx")
    monkeypatch.setattr(files, "MAX_CELLS", 3_000)
    assert_refused_unopened(tmp_path / "stray.xlsx", r"stray.xlsx, .*: 20 rows × 16,384 columns; .* 3,000 cells")


def test_a_csv_of_one_huge_line_is_refused_before_it_is_read(tmp_path, monkeypatch):
    """Lines were counted, bytes not: one line of 20 million commas took 250 MB (a gigabyte per 80 MB of file)."""
    from micrograd_lite import course
    from micrograd_lite.course import files
    from micrograd_lite.errors import UnreadableSheet

    monkeypatch.setattr(files, "MAX_CSV_BYTES", 1_000)
    path = tmp_path / "wide.csv"
    path.write_text("," * 1_001 + "\n")
    with pytest.raises(UnreadableSheet, match=r"wide.csv: 1,002 bytes; --compare reads a CSV of at most 1,000 bytes"):
        course.read_tables(path)


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_csv_that_is_not_a_regular_file_is_refused_before_it_is_opened(tmp_path, kind):
    """/dev/zero named mine.csv read one endless line until memory ran out; a FIFO waited for a writer forever."""
    import os
    import subprocess
    import sys

    path = tmp_path / "mine.csv"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    command = [sys.executable, "-m", "micrograd_lite", "sheet", "--compare", "mine.csv"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert_one_line_error(result, "mine.csv: not a regular file")


def test_the_cell_limit_counts_every_worksheet_of_a_workbook(tmp_path, monkeypatch):
    """Every worksheet's cells are held at once: a workbook of many full-size worksheets was bounded by nothing."""
    openpyxl = pytest.importorskip("openpyxl")
    from micrograd_lite import course
    from micrograd_lite.course import files
    from micrograd_lite.errors import UnreadableSheet

    wb = openpyxl.Workbook()
    for sheet in (wb.active, wb.create_sheet("second")):
        sheet["A1"], sheet["T100"] = "notes", 1  # 100 rows × 20 columns
    wb.save(tmp_path / "two.xlsx")
    monkeypatch.setattr(files, "MAX_CELLS", 3_000)
    with pytest.raises(UnreadableSheet, match=r"100 rows × 20 columns \(and 2,000 cells on the worksheets before it\)"):
        course.read_tables(tmp_path / "two.xlsx")
    monkeypatch.setattr(files, "_check_workbook_parts", lambda path: ({}, {}))  # the check after loading counts alike
    with pytest.raises(UnreadableSheet, match=r"'second': 100 rows × 20 columns \(and 2,000 cells on the worksheets"):
        course.read_tables(tmp_path / "two.xlsx")


ODS_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
<office:body><office:spreadsheet><table:table table:name="Sheet1">
<table:table-column table:number-columns-repeated="16384"/>
<table:table-row><table:table-cell office:value-type="string"><text:p>notes</text:p></table:table-cell>
</table:table-row>
<table:table-row table:number-rows-repeated="{rows}"><table:table-cell table:number-columns-repeated="{empty}"/>
<table:table-cell office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell></table:table-row>
<table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="16384"/>
</table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"""


ODS_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"""


def test_an_ods_with_a_stray_far_cell_is_refused_before_calamine_loads_it(tmp_path, monkeypatch):
    """An 8 KB .ods from LibreOffice with one cell at XFD3000 took 3 GB: calamine expands it all on opening."""
    import zipfile

    from micrograd_lite import course
    from micrograd_lite.course import files
    from micrograd_lite.errors import UnreadableSheet

    path = tmp_path / "stray.ods"
    with zipfile.ZipFile(path, "w") as ods:
        ods.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        content = ODS_CONTENT.format(rows=99, empty=19).replace("\n<", "<").replace("\n", " ")  # as LibreOffice
        ods.writestr("content.xml", content)  # rows 2-100 end in column T
        ods.writestr("META-INF/manifest.xml", ODS_MANIFEST)
    monkeypatch.setattr(files, "MAX_CELLS", 1_999)
    assert_refused_unopened(path, r"stray.ods, worksheet 'Sheet1': 100 rows × 20 columns; .* 1,999")
    monkeypatch.setattr(files, "MAX_CELLS", 2_000)  # the empty rows to the sheet's end do not count
    with pytest.raises(UnreadableSheet, match="no header row"):
        course.read_tables(path)


def test_trailing_rows_of_formulas_without_saved_values_are_refused_naming_the_first(tmp_path):
    """calamine read formula-only rows (openpyxl saves no values) as empty: the table ended early, 'agree', exit 0."""
    learner_workbook(tmp_path, formula_rows=2)
    first_formula = "B4"  # header in row 1, four rows of steps in rows 2-5: the last two start at row 4
    result = cli("sheet", "--compare", "script.xlsx", cwd=tmp_path)
    assert_one_line_error(result, "script.xlsx: formulas with no saved values", f"cell {first_formula} of", "open and")


def test_an_ods_formula_without_a_saved_value_is_refused(tmp_path):
    """The same for .ods: a table:formula without office:value-type (strip them from a real workbook's cells)."""
    import re
    import zipfile

    from tests.test_course_fixtures import FIXTURES

    source, path = FIXTURES / "ods_layout_correct.ods", tmp_path / "script.ods"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(path, "w") as copy:
        for item in original.infolist():
            data = original.read(item)
            if item.filename == "content.xml":
                data = re.sub(rb'(table:formula="[^"]*")((?: [\w:-]+="[^"]*")*)', rb"\1", data)
            copy.writestr(item, data)
    result = cli("sheet", "--compare", "script.ods", cwd=tmp_path)
    assert_one_line_error(result, "script.ods: formulas with no saved values", "of worksheet '", "open and save")


@pytest.mark.parametrize(
    ("cells", "refused"),
    [
        ('<c r="C1" t="str"><f>""</f><v/></c>', None),  # Excel's =IF(…,""): the empty text is a value
        ('<c r="C1" t="e"><f>1/0</f><v>#DIV/0!</v></c>', None),
        ('<c r="C1"><f t="shared" si="0"/><v>2</v></c>', None),
        ('<c r="C1"><f t="shared" si="0"/></c>', "C1"),  # a shared formula's other cells: <f …/>
        ('<c r="C1">\n  <f>1+1</f>\n  <v></v>\n</c>', "C1"),
        ('<x:c r="D1"><x:f>1+1</x:f></x:c>', "D1"),  # some writers prefix every element
        ('<c r="C1" t="str"><f>1+1</f></c>', "C1"),  # a text formula with no <v> at all (issue 24)
        ('<c r="C1" t="str"><f>""</f><v></v></c>', None),  # the empty text, saved
        ('<c r="C1" t="b"><f>TRUE()</f></c>', "C1"),
        ('<c r="C1" t="e"><f>1/0</f>\n<v> </v></c>', "C1"),
        ("<c r='c1' t = 'str' ><f>1</f></c>", "C1"),  # single quotes, spaces, a lower-case reference
        ('<c r="C1"><v>2</v></c><x14:formula1><x14:f>Sheet2!A1</x14:f></x14:formula1>', None),  # not a cell's
    ],
)
def test_formula_cells_are_told_apart_by_their_saved_value(cells, refused, tmp_path):
    """The XML forms a formula cell takes; only a formula with nothing saved is refused."""
    from micrograd_lite.course import files
    from tests.fixtures.make_hostile import xlsx

    path = xlsx(tmp_path / "forms.xlsx", {"S": f'<row r="1"><c r="A1"><v>1</v></c>{cells}</row>'})
    problems, _ = files._check_workbook_parts(path)  # the worksheets calamine must not load, and why
    if refused is None:
        assert problems == {}
    else:
        assert "formulas with no saved values" in str(problems["S"]) and f"cell {refused} of" in str(problems["S"])


def test_an_xlsx_without_a_dimension_element_has_its_cells_counted_before_it_is_loaded(tmp_path, monkeypatch):
    """Without <dimension ref=…> the cell limit was checked only after calamine had loaded the worksheet."""
    import re
    import zipfile

    from micrograd_lite.course import files

    path = tmp_path / "nodim.xlsx"
    with zipfile.ZipFile(learner_workbook(tmp_path)) as original, zipfile.ZipFile(path, "w") as copy:
        for item in original.infolist():
            data = original.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb"<dimension [^>]*>", b"", data)
                assert b"dimension" not in data
                data = data.replace(b"</sheetData>", b'<row r="20"><c r="XFD20"><v>1</v></c></row></sheetData>')
            copy.writestr(item, data)
    monkeypatch.setattr(files, "MAX_CELLS", 3_000)
    assert_refused_unopened(path, r"nodim.xlsx, worksheet 'Sheet': 20 rows × 16,384 columns")
