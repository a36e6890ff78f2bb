"""A fresh hostile pass on --compare's reading of workbooks: each test failed before its fix.

A saved value that a spreadsheet application reads as the number it is, but python-calamine as an empty
cell (markup inside ``<v>``, a character reference in a number, ``<v>`` before ``<f>``), ended the table
at that row: a wrong last row went unchecked and the file "agreed", exit 0. So did, in an .ods, a cell
without a value type whose text is a number, and a string whose text is a CDATA section.
"""

import pytest

from micrograd_lite.course import files
from tests.commands import assert_one_line_error, cli
from tests.fixtures import make_hostile as hostile
from tests.test_hostile_files import course_lines, ods_rows, ods_saved, xlsx_rows

MISREAD = {  # how each form writes a number's saved value, and the words of the refusal
    "cdata": (lambda ref, text: f'<c r="{ref}"><v><![CDATA[{text}]]></v></c>', "markup"),
    "comment": (lambda ref, text: f'<c r="{ref}"><v><!-- saved -->{text}</v></c>', "markup"),
    "processing instruction": (lambda ref, text: f'<c r="{ref}"><v><?x y?>{text}</v></c>', "markup"),
    "character reference": (lambda ref, text: f'<c r="{ref}"><v>&#48;{text}</v></c>', "character reference"),
    "value before formula": (lambda ref, text: f'<c r="{ref}"><v>{text}</v><f>1+1</f></c>', "<v> before its <f>"),
}


def last_row_wrong_workbook(tmp_path, form):
    """The course table whose last row holds a wrong E_total, that row's cells written in ``form``."""
    lines = course_lines(4)
    e_total = lines[0].index("E_total")
    lines[-1][e_total] = repr(2 * float(lines[-1][e_total]))
    write, _ = MISREAD[form]

    def cell(r, c, text):
        if r == len(lines):
            return write(f"{hostile.column_letters(c)}{r}", text)
        return hostile.xlsx_cell(r, c, text)

    return hostile.xlsx(tmp_path / f"{form.replace(' ', '_')}.xlsx", {"S": xlsx_rows(lines, cell)})


@pytest.mark.parametrize("form", MISREAD)
def test_a_value_calamine_reads_as_empty_is_refused_not_agreed_with(tmp_path, form):
    path = last_row_wrong_workbook(tmp_path, form)
    result = cli("sheet", "--compare", str(path))
    assert_one_line_error(result, "cell A5", MISREAD[form][1], "reads as an empty cell")


def test_a_text_result_with_a_character_reference_is_read_as_before(tmp_path):
    """Excel writes a formula's text result ``R&D`` as ``<v>R&amp;D</v>``: a text, never the table's number."""
    rows = '<row r="1"><c r="A1" t="str"><f>"R"&amp;"D"</f><v>R&amp;D</v></c><c r="B1"><f>1</f><v>1</v></c></row>'
    path = hostile.xlsx(tmp_path / "text.xlsx", {"S": rows})
    assert files._check_workbook_parts(path)[0] == {}


@pytest.mark.parametrize("window", [7, 64, 1 << 20])
def test_the_misread_value_is_found_whatever_the_windows(tmp_path, monkeypatch, window):
    path = last_row_wrong_workbook(tmp_path, "character reference")
    monkeypatch.setattr(files, "_CHUNK", window)
    refused, _ = files._check_workbook_parts(path)
    assert "cell A5" in str(refused["S"])


STRING = '<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>'
UNTYPED = "<table:table-cell><text:p>{}</text:p></table:table-cell>"
ODS_MISREAD = {  # how each form writes a number in an .ods cell, and the words of the refusal
    "no value type": (lambda text: UNTYPED.format(text), "without a value type"),
    "no value type, in a span": (lambda text: UNTYPED.format(f"<text:span>{text}</text:span>"), "without a value type"),
    "string in CDATA": (lambda text: STRING.format(f"<![CDATA[{text}]]>"), "a CDATA section"),
    "string in part CDATA": (lambda text: STRING.format(f"{text[0]}<![CDATA[{text[1:]}]]>"), "a CDATA section"),
}


def last_row_wrong_ods(tmp_path, form):
    """The course table whose last row holds a wrong E_total, that row's cells written in ``form``."""
    lines = course_lines(4)
    e_total = lines[0].index("E_total")
    lines[-1][e_total] = repr(2 * float(lines[-1][e_total]))
    write, _ = ODS_MISREAD[form]
    rows = ods_rows(lines, lambda r, c, text: write(text) if r == len(lines) else ods_saved(r, c, text))
    return hostile.ods(tmp_path / "misread.ods", {"S": rows})


@pytest.mark.parametrize("form", ODS_MISREAD)
def test_an_ods_cell_calamine_reads_as_empty_is_refused_not_agreed_with(tmp_path, form):
    result = cli("sheet", "--compare", str(last_row_wrong_ods(tmp_path, form)))
    assert_one_line_error(result, "worksheet 'S': cell A5", ODS_MISREAD[form][1], "reads as an empty cell")


def test_an_ods_cells_text_that_calamine_reads_is_read_as_before(tmp_path):
    """Text that is no number in a cell without a type, and a string's text with a comment or a character
    reference in it: calamine reads the one as a spreadsheet's empty label, the other as it is written."""
    cells = [
        UNTYPED.format("a note"),
        STRING.format("0.<!-- x -->05"),
        STRING.format("&#48;.05"),
        '<table:table-cell office:value-type="string" office:string-value="0.05"><text:p><![CDATA[0.05]]></text:p>'
        "</table:table-cell>",
        '<table:table-cell office:value-type="float" office:value="0.05">'
        "<office:annotation><text:p><![CDATA[0.05]]></text:p></office:annotation><text:p>0.05</text:p>"
        "</table:table-cell>",
    ]
    path = hostile.ods(tmp_path / "read.ods", {"S": f"<table:table-row>{''.join(cells)}</table:table-row>"})
    assert files._check_workbook_parts(path)[0] == {}


@pytest.mark.parametrize("window", [7, 64, 1 << 20])
@pytest.mark.parametrize("form", ["no value type", "string in CDATA"])
def test_the_misread_ods_cell_is_found_whatever_the_windows(tmp_path, monkeypatch, window, form):
    path = last_row_wrong_ods(tmp_path, form)
    monkeypatch.setattr(files, "_CHUNK", window)
    refused, _ = files._check_workbook_parts(path)
    assert "cell A5" in str(refused["S"])
