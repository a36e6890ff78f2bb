"""Learners' files for the tests: the course's table as CSV lines, written back, or as an openpyxl workbook."""

import pytest


def course_table_lines(tmp_path):
    from micrograd_lite import course

    course.write_csv(tmp_path / "sheet.csv", course.train(0.5, 4))
    return [line.split(",") for line in (tmp_path / "sheet.csv").read_text().splitlines()]


def write_table(path, lines):
    path.write_text("".join(",".join(cells) + "\n" for cells in lines))
    return path


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


def learner_workbook(tmp_path, formula_rows=0, name="script.xlsx"):
    """The table of course.train(0.5, 4) as an openpyxl workbook; its last ``formula_rows`` rows as formulas."""
    openpyxl = pytest.importorskip("openpyxl")
    lines = course_table_lines(tmp_path)
    wb = openpyxl.Workbook()
    wb.active.append(lines[0])
    for r, cells in enumerate(lines[1:], start=1):
        formulas = r >= len(lines) - formula_rows
        wb.active.append([cells[0], *[f"={cell}+0" if formulas else float(cell) for cell in cells[1:]]])
    wb.save(tmp_path / name)
    return tmp_path / name
