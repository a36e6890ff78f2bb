"""Reading learners' sheets: CSV (BOM, ';'), .xlsx, .xlsm, .ods; bad files give one line naming the file."""

import math
import shutil
import zipfile

import pytest

from micrograd_lite import course
from micrograd_lite.course.cells import cell_name
from micrograd_lite.course.read import REQUIRED, column_for
from micrograd_lite.errors import UnreadableSheet
from tests.commands import assert_one_line_error, cli
from tests.learner_files import course_table_lines, write_table

ROWS = course.train(0.5, 5)


def write_csv_text(path, rows=ROWS):
    course.write_csv(path, rows)
    return path.read_text()


def test_csv_round_trips_every_float_exactly(tmp_path):
    path = tmp_path / "sheet.csv"
    write_csv_text(path, course.train(0.8, 30))
    (table,) = course.read_tables(path)
    assert table.rows == [{c: float(r[c]) for c in course.COLUMNS} for r in course.train(0.8, 30)]
    assert table.row_numbers[0] == 2 and table.cell(0, "w1") == "F2"


@pytest.mark.parametrize(
    "header, name",
    [("E_tot", "E_total"), ("E_Total", "E_total"), ("E_total", "E_total"), ("dE/dw1", "dE_dw1"),
     ("dE_total/dw2", "dE_dw2"), ("∂E_total/∂w3", "dE_dw3"), ("∂E/∂w4", "dE_dw4"), ("dE_dw5", "dE_dw5"),
     ("a_h1", "a_h1"), ("Step", "epoch"), ("w9", None), ("∂E/∂a_h1", None), ("", None), (3.0, None)],
)  # fmt: skip
def test_header_variants(header, name):
    assert column_for(header) == name


def test_cell_names():
    assert [cell_name(1, 0), cell_name(33, 25), cell_name(33, 26), cell_name(2, 701)] == ["A1", "Z33", "AA33", "ZZ2"]


def test_excel_csv_utf8_with_bom_and_semicolons_with_decimal_commas(tmp_path):
    text = write_csv_text(tmp_path / "plain.csv")
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode())
    semicolons = tmp_path / "semicolons.csv"
    semicolons.write_text(text.replace(",", ";").replace(".", ","))
    for path in (bom, semicolons):
        (table,) = course.read_tables(path)
        assert table.rows == [{c: float(r[c]) for c in course.COLUMNS} for r in ROWS], path.name


def test_a_table_without_an_epoch_column_starting_in_column_c(tmp_path):
    lines = write_csv_text(tmp_path / "a.csv").splitlines()
    shifted = ["notes,,", ",,"] + [",," + ",".join(line.split(",")[1:]) for line in lines]
    path = tmp_path / "shifted.csv"
    path.write_text("\n".join(shifted) + "\n")
    (table,) = course.read_tables(path)
    assert "epoch" not in table.rows[0] and table.cell(0, "t1") == "C4"
    assert [r["w1"] for r in table.rows] == [r["w1"] for r in ROWS]


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "no header row"),
        (b"a,b\n1,2\n", "no header row with the columns t1, t2"),
        ("caf\xe9,w1\n".encode("latin-1"), "not UTF-8 text"),
    ],
)
def test_bad_csv_files_name_the_file(tmp_path, content, message):
    path = tmp_path / "mine.csv"
    path.write_bytes(content)
    with pytest.raises(UnreadableSheet, match=message) as error:
        course.read_tables(path)
    assert str(path) in str(error.value)


def test_a_short_row_names_the_row_and_the_cell(tmp_path):
    lines = write_csv_text(tmp_path / "a.csv").splitlines()
    lines[3] = ",".join(lines[3].split(",")[:10])  # the row stops before w6
    path = tmp_path / "short.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(UnreadableSheet, match=r"short.csv: row 4 has no number for w6 \(cell K4\)"):
        course.read_tables(path)


def test_a_text_cell_is_named(tmp_path):
    path = tmp_path / "oops.csv"
    path.write_text(write_csv_text(tmp_path / "a.csv").replace("0.05", "oops", 1))
    with pytest.raises(UnreadableSheet, match=r"cell D2 \(i1\) is not a number: 'oops'"):
        course.read_tables(path)


def make_zip(path):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    return path


@pytest.mark.parametrize(
    "make",
    [
        lambda p: p.write_text("just text, named .xlsx\n"),
        lambda p: p.write_bytes(b""),
        make_zip,
        lambda p: p.write_bytes(b"PK\x03\x04" + b"\x00" * 100),  # a truncated zip
    ],
    ids=["text", "empty", "zip", "truncated"],
)
@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm", ".ods"])
def test_files_that_are_not_workbooks_give_one_line(tmp_path, make, suffix):
    path = tmp_path / f"mine{suffix}"
    make(path)
    with pytest.raises(UnreadableSheet) as error:
        course.read_tables(path)
    message = str(error.value)
    assert message.startswith(str(path)) and "\n" not in message


def test_xlsm_is_read_like_xlsx(tmp_path):
    path = tmp_path / "macro.xlsm"
    shutil.copy(course_fixture("course_layout_correct.xlsx"), path)
    (table,) = course.read_tables(path)
    assert len(table.rows) == 68


def test_formulas_without_saved_values_say_so(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.active.append(list(REQUIRED))
    wb.active.append([f"=1+{k}" for k in range(len(REQUIRED))])  # formulas, never calculated: no cached values
    path = tmp_path / "script.xlsx"
    wb.save(path)
    with pytest.raises(UnreadableSheet, match="open and save the file in a spreadsheet application"):
        course.read_tables(path)


def test_learning_rate_from_labelled_cell_text_or_worksheet_name():
    tables = course.read_tables(course_fixture("lr_sheets_correct.xlsx"))
    assert [(t.lr, t.lr_source) for t in tables] == [
        (0.1, "cell G31, labelled 'eta'"),
        (0.2, "cell G31, labelled 'LR'"),
    ]
    (table,) = course.read_tables(course_fixture("unlabelled_eta_correct.xlsx"))
    assert table.lr is None
    assert math.isclose(table.rows[0]["E_total"], 0.0141813779378917, rel_tol=1e-14)


def course_fixture(name):
    from tests.test_course_fixtures import FIXTURES

    return FIXTURES / name


@pytest.mark.parametrize("text", ["inf", "nan", "-inf", "1e999"])
def test_non_finite_cells_are_refused_by_name(tmp_path, text):
    path = tmp_path / "odd.csv"
    lines = write_csv_text(tmp_path / "a.csv").splitlines()
    cells = lines[2].split(",")
    cells[5] = text  # w1 of the second row
    path.write_text("\n".join([*lines[:2], ",".join(cells), *lines[3:]]) + "\n")
    with pytest.raises(UnreadableSheet, match=rf"cell F3 \(w1\) is not a number: '{text}'"):
        course.read_tables(path)


def test_a_directory_named_like_a_workbook(tmp_path):
    (tmp_path / "d.xlsx").mkdir()
    with pytest.raises(UnreadableSheet, match="d.xlsx: is a directory"):
        course.read_tables(tmp_path / "d.xlsx")


def test_a_huge_sheet_is_refused_before_it_is_read(tmp_path, monkeypatch):
    from micrograd_lite.course import files

    monkeypatch.setattr(files, "MAX_ROWS", 50)
    path = tmp_path / "long.csv"
    course.write_csv(path, course.train(0.5, 60))
    with pytest.raises(UnreadableSheet, match=r"long.csv: 61 rows; --compare reads at most 50 rows a sheet"):
        course.read_tables(path)
    with pytest.raises(UnreadableSheet, match=r"worksheet 'BackProp': \d+ rows; --compare reads at most 50"):
        course.read_tables(course_fixture("course_layout_correct.xlsx"))


# ----------------------------------------------------------------------
# What an adversarial pass over issues 11-15 found (were test_adversarial.py), one test per defect.
# ----------------------------------------------------------------------


def test_a_header_naming_two_columns_is_refused_naming_both_cells(tmp_path):
    """The second of two w1 columns was silently ignored, whatever it held."""
    from micrograd_lite import course
    from micrograd_lite.errors import UnreadableSheet

    lines = course_table_lines(tmp_path)
    lines = [[*cells, cells[5] if r else "w1"] for r, cells in enumerate(lines)]  # w1 again, in column AG
    with pytest.raises(UnreadableSheet, match=r"mine.csv: two columns are headed w1 \(cells F1 and AG1\)"):
        course.read_tables(write_table(tmp_path / "mine.csv", lines))


def test_an_empty_cell_inside_the_table_is_named_not_skipped(tmp_path):
    """A blank ∂E/∂w3 (or a formula saved without its value) was left unchecked and the file 'agreed', exit 0."""
    lines = course_table_lines(tmp_path)
    column = lines[0].index("dE_dw3")
    lines[3][column] = ""
    write_table(tmp_path / "mine.csv", lines)
    result = cli("sheet", "--compare", "mine.csv", cwd=tmp_path)
    assert_one_line_error(result, "mine.csv: row 4 has no number for dE_dw3 (cell AA4)")


def test_rows_after_an_empty_row_are_not_silently_left_unchecked(tmp_path):
    """An empty line after step 1 ended the table: a wrong ∂E/∂w8 further down went unseen, 'all 2 rows agree'."""
    lines = course_table_lines(tmp_path)
    lines[-1][-1] = "0.5"  # ∂E/∂w8 of the last step, wrong
    write_table(tmp_path / "mine.csv", [*lines[:3], [""] * len(lines[0]), *lines[3:]])
    result = cli("sheet", "--compare", "mine.csv", cwd=tmp_path)
    assert_one_line_error(result, "mine.csv: row 4 is empty but row 5 below it holds a row of the table")


def test_numbers_below_the_table_that_are_not_a_row_of_it_are_left_alone(tmp_path):
    lines = course_table_lines(tmp_path)
    summary = [""] * len(lines[0])
    summary[:2] = ["final E_total", lines[-1][lines[0].index("E_total")]]
    another_table = [[""] * len(lines[0]), *lines]  # below the summary, a table with its own header
    write_table(tmp_path / "mine.csv", [*lines, [""] * len(lines[0]), summary, *another_table])
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
    write_table(tmp_path / "mine.csv", lines)
    result = cli("sheet", "--compare", "mine.csv", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "mine.csv, table at row 2: all 4 rows agree with the engine (η = 0.5 from cell A1" in result.stdout
    assert "mine.csv, table at row 9: disagrees with the engine (η = 0.1 from cell A8" in result.stdout


def test_tables_one_under_the_other_without_an_empty_row_are_both_checked(tmp_path):
    """The second header right under the first table's last row was read as a row: 'w1' is not a number."""
    lines = _two_tables(tmp_path, between=())
    write_table(tmp_path / "mine.csv", lines)
    result = cli("sheet", "--compare", "mine.csv", "--lr", "0.5", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr  # the lr 0.1 table disagrees with --lr 0.5
    assert "mine.csv, table at row 2: all 4 rows agree" in result.stdout
    assert "mine.csv, table at row 7: disagrees" in result.stdout


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
