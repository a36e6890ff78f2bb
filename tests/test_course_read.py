"""Reading learners' sheets: CSV (BOM, ';'), .xlsx, .xlsm, .ods; bad files give one line naming the file."""

import math
import shutil
import zipfile

import pytest

from micrograd_lite import course
from micrograd_lite.course.cells import cell_name
from micrograd_lite.course.read import REQUIRED, column_for
from micrograd_lite.errors import UnreadableSheet

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
