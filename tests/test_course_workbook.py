"""The live workbook: formulas, defined names, cached values, layout, print setup — and LibreOffice recalculating it."""

import math
import re
import zipfile

import pytest

from micrograd_lite import course
from micrograd_lite.cli import main
from micrograd_lite.course import workbook
from tests.libreoffice import convert

LR, EPOCHS = 0.5, 100
ROWS = course.train(LR, EPOCHS)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("workbook")
    return course.write_workbook(folder / "live.xlsx", ROWS, LR)


def xml(path, member):
    """The text of the archive member matching ``member`` (a regex: LibreOffice numbers charts per session)."""
    with zipfile.ZipFile(path) as z:
        (name,) = [n for n in z.namelist() if re.fullmatch(member, n)]
        return z.read(name).decode()


def test_every_computed_cell_is_a_formula_with_its_value_stored(written):
    openpyxl = pytest.importorskip("openpyxl")
    ws = openpyxl.load_workbook(written)[workbook.WORKSHEET]
    header = workbook.HEADER_ROW
    assert [c.value for c in ws[header]] == list(course.COLUMNS)
    for r in (header + 1, header + 2, header + EPOCHS):
        assert all(isinstance(c.value, str) and c.value.startswith("=") for c in ws[r]), r
    assert ws.cell(header + 2, course.COLUMNS.index("w1") + 1).value == f"=F{header + 1} - learning_rate*Y{header + 1}"
    assert ws.cell(header + 1, course.COLUMNS.index("t1") + 1).value == "=t_1"
    names = openpyxl.load_workbook(written).defined_names
    assert {n: names[n].attr_text for n in ("learning_rate", "i_1", "i_2", "t_1", "t_2")} == {
        "learning_rate": "backprop!$B$4", "i_1": "backprop!$B$5", "i_2": "backprop!$B$6",
        "t_1": "backprop!$B$7", "t_2": "backprop!$B$8",
    }  # fmt: skip
    (table,) = course.read_tables(written)  # the stored values, as a viewer that does not recalculate shows them
    assert table.rows == [{c: float(r[c]) for c in course.COLUMNS} for r in ROWS]
    assert (table.lr, table.lr_source) == (LR, "cell B4, labelled 'learning_rate'")


def test_layout_inputs_text_chart_table_do_not_overlap_and_print_landscape_one_page_wide(written):
    sheet = xml(written, "xl/worksheets/sheet1.xml")
    page_setup = re.search(r"<pageSetup [^>]*/>", sheet).group()
    assert 'orientation="landscape"' in page_setup and 'fitToHeight="0"' in page_setup  # one page wide, any tall
    assert '<pageSetUpPr fitToPage="1"/>' in sheet
    drawing = xml(written, "xl/drawings/drawing1.xml")
    rows = [int(r) for r in re.findall(r"<xdr:row>(\d+)</xdr:row>", drawing)]  # 0-based rows of the chart's corners
    text_end = workbook.TEXT_ROW + len(course.FORWARD_FORMULAS) + len(course.GRADIENT_FORMULAS) + 1
    assert text_end < min(rows) + 1 and max(rows) + 1 < workbook.HEADER_ROW
    assert "E_total against epoch" in xml(written, r"xl/charts/chart\d+\.xml")
    strings = xml(written, "xl/sharedStrings.xml")
    assert f"∂E_total/∂w3 = {course.GRADIENT_FORMULAS['dE_dw3']}" in strings
    assert "((a_o1 - t1)*a_o1*(1 - a_o1)*w6 + (a_o2 - t2)*a_o2*(1 - a_o2)*w8) * a_h2*(1 - a_h2) * i1" in strings


def test_too_many_epochs_for_a_workbook_is_refused():
    with pytest.raises(ValueError, match="at most"):
        workbook.workbook_bytes([ROWS[0]] * (workbook.MAX_ROWS + 1), LR)


def with_learning_rate(source, target, lr):
    """A copy of our workbook whose learning_rate cell (B4) holds ``lr``; its stored values are now stale."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            data = old.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data, n = re.subn(rb'(<c r="B4"[^>]*><v>)[^<]*(</v>)', rb"\g<1>" + repr(lr).encode() + rb"\2", data)
                assert n == 1
            new.writestr(item, data)
    return target


def with_cell_replaced(source, target, cell, factor):
    """A copy of a recalculated workbook whose ``cell`` holds its value times ``factor``, as a plain number."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            data = old.read(item).decode() if item.filename.endswith(".xml") else old.read(item)
            if item.filename.startswith("xl/worksheets/sheet"):
                pattern = rf'<c r="{cell}"[^>]*>.*?<v>([^<]*)</v></c>'
                data, n = re.subn(pattern, lambda m: f'<c r="{cell}"><v>{float(m.group(1)) * factor!r}</v></c>', data)
                assert n == 1
            new.writestr(item, data)
    return target


@pytest.fixture(scope="module")
def recalculated(written, tmp_path_factory):
    """Our workbook as written and with learning_rate = 1.5, recalculated by LibreOffice (one soffice run)."""
    folder = tmp_path_factory.mktemp("recalculated")
    changed = with_learning_rate(written, folder / "changed_lr.xlsx", 1.5)
    return convert([written, changed], "xlsx", folder / "out")


@pytest.mark.parametrize("which, lr", [(0, LR), (1, 1.5)], ids=["as written", "learning_rate changed"])
def test_libreoffice_recalculates_the_table_as_the_engine_computes_it(recalculated, which, lr):
    (table,) = course.read_tables(recalculated[which])
    expected = course.train(lr, EPOCHS)
    assert len(table.rows) == EPOCHS and table.lr == lr
    for row, engine in zip(table.rows, expected):
        for column in course.COLUMNS:
            assert math.isclose(row[column], engine[column], rel_tol=1e-9, abs_tol=1e-300), (row["epoch"], column)
    if which == 1:  # the chart follows the table: its series still points at the E_total column
        assert "$X$61:$X$160" in xml(recalculated[which], r"xl/charts/chart\d+\.xml")


def test_compare_on_the_recalculated_workbook_agrees_and_names_one_changed_cell(recalculated, tmp_path, capsys):
    assert main(["sheet", "--compare", str(recalculated[0])]) == 0
    assert "all 100 rows agree" in capsys.readouterr().out
    cell = f"AA{workbook.HEADER_ROW + 11}"  # ∂E/∂w3 at epoch 10
    broken = with_cell_replaced(recalculated[0], tmp_path / "broken.xlsx", cell, 1.001)
    assert main(["sheet", "--compare", str(broken)]) == 1
    out = capsys.readouterr().out
    assert f"first wrong row: row {workbook.HEADER_ROW + 11} (step 10)" in out
    assert f"dE_dw3 ({cell}): yours " in out


def test_a_missing_libreoffice_fails_on_ci_and_skips_elsewhere(monkeypatch):
    from tests import libreoffice

    monkeypatch.setattr(libreoffice.shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="LibreOffice .* is missing on CI"):
        libreoffice.soffice()
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        libreoffice.soffice()
