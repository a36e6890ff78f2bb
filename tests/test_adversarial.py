"""Regression tests for what an adversarial pass over issues 11-15 found (one test per defect)."""

import pytest

from tests.test_hardening import assert_one_line_error, cli


@pytest.mark.parametrize(
    "args",
    [
        ["demo", "--epochs", "2", "--out="],  # wrote every demo file into the current folder
        ["graph", "--out="],
        ["explain", "--expr", "x*2", "x=1", "--trace-csv="],  # these four exited 0 having written nothing
        ["explain", "--expr", "x*2", "x=1", "--trace-md="],
        ["explain", "--expr", "x*2", "x=1", "--html="],
        ["explain", "--expr", "x*2", "x=1", "--frames="],
        ["hessian", "--expr", "x*x", "x=1", "--csv="],  # printed "wrote ''"
    ],
    ids=lambda args: args[0] + " " + args[-1],
)
def test_an_empty_output_name_is_refused_by_every_command(args, tmp_path):
    result = cli(*args, cwd=tmp_path)
    assert_one_line_error(result, "output file name is empty")
    assert list(tmp_path.iterdir()) == []


def test_an_overflowing_second_derivative_is_refused_not_printed_as_inf(tmp_path):
    """f = 5e307·x³ and f' = 1.5e308 are floats at x = 1, f'' = 3e308 is not: the table said 'inf', exit 0."""
    result = cli("hessian", "--expr", "x*x*x*5e307", "x=1", "--csv", "h.csv", cwd=tmp_path)
    assert_one_line_error(result, "overflow in backward", "1e+308 + 1e+308", "too large for a float", "('x')")
    assert list(tmp_path.iterdir()) == []


def _csv_lines(tmp_path):
    from micrograd_lite import course

    course.write_csv(tmp_path / "sheet.csv", course.train(0.5, 4))
    return [line.split(",") for line in (tmp_path / "sheet.csv").read_text().splitlines()]


def _write(path, lines):
    path.write_text("".join(",".join(cells) + "\n" for cells in lines))
    return path


def test_a_header_naming_two_columns_is_refused_naming_both_cells(tmp_path):
    """The second of two w1 columns was silently ignored, whatever it held."""
    from micrograd_lite import course
    from micrograd_lite.errors import UnreadableSheet

    lines = _csv_lines(tmp_path)
    lines = [[*cells, cells[5] if r else "w1"] for r, cells in enumerate(lines)]  # w1 again, in column AG
    with pytest.raises(UnreadableSheet, match=r"mine.csv: two columns are headed w1 \(cells F1 and AG1\)"):
        course.read_tables(_write(tmp_path / "mine.csv", lines))


def test_an_empty_cell_inside_the_table_is_named_not_skipped(tmp_path):
    """A blank ∂E/∂w3 (or a formula saved without its value) was left unchecked and the file 'agreed', exit 0."""
    lines = _csv_lines(tmp_path)
    column = lines[0].index("dE_dw3")
    lines[3][column] = ""
    _write(tmp_path / "mine.csv", lines)
    result = cli("sheet", "--compare", "mine.csv", cwd=tmp_path)
    assert_one_line_error(result, "mine.csv: row 4 has no number for dE_dw3 (cell AA4)")


def test_a_row_too_large_to_recompute_is_named(tmp_path):
    """A target of 1e300 overflows ½(t1 − a_o1)² in the engine: the one line named neither the file nor the row."""
    lines = _csv_lines(tmp_path)
    lines[3][lines[0].index("t1")] = "1e300"
    _write(tmp_path / "mine.csv", lines)
    result = cli("sheet", "--compare", "mine.csv", cwd=tmp_path)
    assert_one_line_error(result, "mine.csv: row 4 cannot be recomputed", "overflow")


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


def assert_refused_unopened(path, message):
    """read_tables(path) raises ``message`` and calamine builds no grid of the worksheet refused.

    calamine loads an .xlsx's worksheets one by one when asked, an .ods's all on opening it.
    """
    from micrograd_lite import course
    from micrograd_lite.errors import UnreadableSheet

    def never(*args, **kwargs):
        raise AssertionError("the worksheet was loaded")

    loadings = ["get_sheet_by_name", "get_sheet_by_index", *(["from_path", "from_filelike"] * (path.suffix == ".ods"))]
    with pytest.MonkeyPatch.context() as patched:
        for loading in loadings:
            patched.setattr(pytest.importorskip("python_calamine").CalamineWorkbook, loading, never)
        with pytest.raises(UnreadableSheet, match=message):
            course.read_tables(path)


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


def test_an_output_that_is_a_fifo_or_device_is_written_in_place_not_replaced(tmp_path):
    """The atomic rename replaced a FIFO (and, run as root, /dev/null itself) with a regular file."""
    import os
    import stat
    import threading

    from micrograd_lite.util import check_writable, write_atomically

    fifo = tmp_path / "out.csv"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    check_writable([fifo])
    write_atomically(fifo, (chunk for chunk in [b"epoch,", b"E_total\n"]))
    reader.join(timeout=10)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and received == [b"epoch,E_total\n"]
    assert list(tmp_path.iterdir()) == [fifo]


def test_the_sheet_can_be_written_to_standard_output(tmp_path):
    """`--csv /dev/stdout` failed: the free-space check and the temporary file looked for the folder /proc/N/fd."""
    import subprocess
    import sys

    command = [sys.executable, "-m", "micrograd_lite", "sheet", "--epochs", "2", "--csv", "/dev/stdout"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "epoch,t1,t2,i1,i2,w1" in result.stdout and "\n1,0.5,0.5,0.05,0.1," in result.stdout


@pytest.mark.parametrize(
    "args",
    [["graph", "--out", "g.svg", "--precision", "1000"], ["hessian", "--digits", "18"]],
    ids=["graph", "hessian"],
)
def test_more_digits_than_a_float_holds_are_refused(args, tmp_path):
    """--precision 1000 drew w5 as 0.40000000000000002220446049250313080847263336181640625: binary noise, not data."""
    result = cli(*args, cwd=tmp_path)
    assert_one_line_error(result, "at most 17", "a float holds 17 significant digits")
    assert list(tmp_path.iterdir()) == []


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


def test_rows_after_an_empty_row_are_not_silently_left_unchecked(tmp_path):
    """An empty line after step 1 ended the table: a wrong ∂E/∂w8 further down went unseen, 'all 2 rows agree'."""
    lines = _csv_lines(tmp_path)
    lines[-1][-1] = "0.5"  # ∂E/∂w8 of the last step, wrong
    _write(tmp_path / "mine.csv", [*lines[:3], [""] * len(lines[0]), *lines[3:]])
    result = cli("sheet", "--compare", "mine.csv", cwd=tmp_path)
    assert_one_line_error(result, "mine.csv: row 4 is empty but row 5 below it holds a row of the table")


def test_numbers_below_the_table_that_are_not_a_row_of_it_are_left_alone(tmp_path):
    lines = _csv_lines(tmp_path)
    summary = [""] * len(lines[0])
    summary[:2] = ["final E_total", lines[-1][lines[0].index("E_total")]]
    another_table = [[""] * len(lines[0]), *lines]  # below the summary, a table with its own header
    _write(tmp_path / "mine.csv", [*lines, [""] * len(lines[0]), summary, *another_table])
    result = cli("sheet", "--compare", "mine.csv", cwd=tmp_path)
    assert result.returncode == 0 and "all 4 rows agree" in result.stdout, result.stderr


@pytest.mark.parametrize(
    "header, name",
    [("∂E_total/\n∂w1", "dE_dw1"), ("∂E/\r\n∂w3", "dE_dw3"), ("E\u00a0total", "E_total"), ("a_h1\u2009", "a_h1")],
    ids=["line break", "CRLF", "no-break space", "thin space"],
)
def test_a_header_wrapped_on_two_lines_or_with_odd_spaces_is_read(header, name):
    """A header wrapped in its cell (Alt+Enter) was not recognised: that column went unchecked, the file 'agreed'."""
    from micrograd_lite.course.read import column_for

    assert column_for(header) == name


def test_the_report_names_the_columns_it_could_not_check(tmp_path):
    """Columns the reader did not recognise went unchecked without a word: 'all agree' seemed to cover them."""
    lines = _csv_lines(tmp_path)
    kept = [c for c, header in enumerate(lines[0]) if not header.startswith("dE_dw") and header != "E2"]
    _write(tmp_path / "mine.csv", [[cells[c] for c in kept] for cells in lines])
    result = cli("sheet", "--compare", "mine.csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "all 4 rows agree" in result.stdout
    assert (
        "not checked (no such column): E2, dE_dw1, dE_dw2, dE_dw3, dE_dw4, dE_dw5, dE_dw6, dE_dw7, dE_dw8"
        in result.stdout
    )


@pytest.mark.parametrize("name", ["sheet.xls", "sheet.ods", "sheet"])
def test_the_workbook_is_refused_under_a_name_that_says_another_format(name, tmp_path):
    """--xlsx sheet.xls wrote an .xlsx under an .xls name: Excel warns that the format and extension differ."""
    result = cli("sheet", "--epochs", "2", "--xlsx", name, cwd=tmp_path)
    assert_one_line_error(result, f"--xlsx {name}", "name it sheet.xlsx")
    assert list(tmp_path.iterdir()) == []


def _learner_workbook(tmp_path, formula_rows=0, name="script.xlsx"):
    """The table of course.train(0.5, 4) as an openpyxl workbook; its last ``formula_rows`` rows as formulas."""
    openpyxl = pytest.importorskip("openpyxl")
    lines = _csv_lines(tmp_path)
    wb = openpyxl.Workbook()
    wb.active.append(lines[0])
    for r, cells in enumerate(lines[1:], start=1):
        formulas = r >= len(lines) - formula_rows
        wb.active.append([cells[0], *[f"={cell}+0" if formulas else float(cell) for cell in cells[1:]]])
    wb.save(tmp_path / name)
    return tmp_path / name


def test_trailing_rows_of_formulas_without_saved_values_are_refused_naming_the_first(tmp_path):
    """calamine read formula-only rows (openpyxl saves no values) as empty: the table ended early, 'agree', exit 0."""
    _learner_workbook(tmp_path, formula_rows=2)
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
    with zipfile.ZipFile(_learner_workbook(tmp_path)) as original, zipfile.ZipFile(path, "w") as copy:
        for item in original.infolist():
            data = original.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb"<dimension [^>]*>", b"", data)
                assert b"dimension" not in data
                data = data.replace(b"</sheetData>", b'<row r="20"><c r="XFD20"><v>1</v></c></row></sheetData>')
            copy.writestr(item, data)
    monkeypatch.setattr(files, "MAX_CELLS", 3_000)
    assert_refused_unopened(path, r"nodim.xlsx, worksheet 'Sheet': 20 rows × 16,384 columns")


@pytest.mark.parametrize("name", ["l", "x.xyz", "loss.png.", "loss.jpg"])
def test_sweep_refuses_a_figure_name_it_cannot_write_before_training(name, tmp_path, monkeypatch, capsys):
    """--out l wrote a PNG named l; --out x.xyz trained every learning rate and only then failed."""
    from micrograd_lite import cli as command_line
    from micrograd_lite import course

    def no_training(*args, **kwargs):
        raise AssertionError("trained before the name was checked")

    monkeypatch.setattr(course, "iter_rows", no_training)
    monkeypatch.chdir(tmp_path)
    assert command_line.main(["sweep", "--epochs", "5", "--out", name]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"micrograd-lite: error: {name}: ") and error.count("\n") == 1, error
    assert "a figure file's name ends in .png, .svg, .pdf" in error
    assert list(tmp_path.iterdir()) == []


def _two_tables(tmp_path, between=([], ["η = 0.1"])):
    """mine.csv: 'η = 0.5' in row 1, a table of 4 steps at lr 0.5 under row 2, then ``between``, then one at lr 0.1."""
    from micrograd_lite import course

    tables = []
    for lr in (0.5, 0.1):
        course.write_csv(tmp_path / "one.csv", course.train(lr, 4))
        tables.append([line.split(",") for line in (tmp_path / "one.csv").read_text().splitlines()])
    (tmp_path / "one.csv").unlink()
    return [["η = 0.5"], *tables[0], *between, *tables[1]]


def test_a_second_table_on_a_worksheet_is_checked_too(tmp_path):
    """A second table under its own header row was ignored without a word: a wrong number there exited 0."""
    lines = _two_tables(tmp_path)  # the second table's header is row 9, its rows 10-13
    lines[11][lines[8].index("E_total")] = "0.25"
    _write(tmp_path / "mine.csv", lines)
    result = cli("sheet", "--compare", "mine.csv", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "mine.csv, table at row 2: all 4 rows agree with the engine (η = 0.5 from cell A1" in result.stdout
    assert "mine.csv, table at row 9: disagrees with the engine (η = 0.1 from cell A8" in result.stdout


def test_tables_one_under_the_other_without_an_empty_row_are_both_checked(tmp_path):
    """The second header right under the first table's last row was read as a row: 'w1' is not a number."""
    lines = _two_tables(tmp_path, between=())
    _write(tmp_path / "mine.csv", lines)
    result = cli("sheet", "--compare", "mine.csv", "--lr", "0.5", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr  # the lr 0.1 table disagrees with --lr 0.5
    assert "mine.csv, table at row 2: all 4 rows agree" in result.stdout
    assert "mine.csv, table at row 7: disagrees" in result.stdout


def test_a_long_csv_shows_progress_on_a_terminal_while_it_is_read_and_checked(tmp_path, monkeypatch, capsys):
    """A 99,999-row CSV took 6 s with no sign of life; the bar is the one `sheet --epochs` shows, then cleared."""
    import io
    import sys

    from micrograd_lite import cli as command_line
    from micrograd_lite import course

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    course.write_csv(tmp_path / "long.csv", course.train(0.5, 10_000))
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert command_line.main(["sheet", "--compare", str(tmp_path / "long.csv")]) == 0
    shown = terminal.getvalue()
    assert "0/10000 rows read of " in shown and "9950/10000 rows checked of " in shown, shown[-300:]
    assert shown.endswith("\r") and shown.rsplit("\r", 2)[1].strip() == ""  # the last bar is erased
    assert "all 10000 rows agree" in capsys.readouterr().out


def test_two_tables_on_a_worksheet_named_for_its_learning_rate_both_take_it(tmp_path):
    """The worksheet-name rule matched only a source ending in the name; 'table at row N' follows it now."""
    openpyxl = pytest.importorskip("openpyxl")
    from micrograd_lite import course

    wb = openpyxl.Workbook()
    wb.active.title = "lr=0.5"
    for cells in _two_tables(tmp_path, between=([],))[1:]:  # no 'η =' cells: only the name states η
        wb.active.append([float(cell) if cell[:1].isdigit() else cell for cell in cells])
    wb.save(tmp_path / "two.xlsx")
    tables = course.read_tables(tmp_path / "two.xlsx")
    assert [(t.source.split(", ", 1)[1], t.lr, t.lr_source) for t in tables] == [
        ("worksheet 'lr=0.5', table at row 1", 0.5, "the worksheet's name"),
        ("worksheet 'lr=0.5', table at row 7", 0.5, "the worksheet's name"),
    ]
