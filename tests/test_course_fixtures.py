"""Learners' workbooks in every real shape, with and without the course's w3/w4 slip.

The fixtures are made by ``tests/fixtures/make_fixtures.py`` (formulas written
as a learner writes them, recalculated and saved by LibreOffice); the
``course_template_*`` files are the course template as saved by LibreOffice.
"""

import math
from pathlib import Path

import pytest

from micrograd_lite import course
from micrograd_lite.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
# stem -> (worksheet with the slip, its ∂E/∂w3 and ∂E/∂w4 headers, η and where it is read)
SHAPES = {
    "course_template": ("BackProp", ("∂E/∂w3", "∂E/∂w4"), 1.0, "cell G31, labelled 'η ='"),
    "course_layout": ("BackProp", ("∂E/∂w3", "∂E/∂w4"), 1.0, "cell G31, labelled 'η ='"),
    "column_b": ("Sheet", ("dE/dw3", "dE/dw4"), 0.5, "cell H31, labelled 'η ='"),
    "lr_sheets": ("lr=0.2", ("dE_total/dw3", "dE_total/dw4"), 0.2, "cell G31, labelled 'LR'"),
    "sheet1_experiment": ("Experiment", ("∂E/∂w3", "∂E/∂w4"), 2.0, "the first update of w8 (inferred"),
    "ods_layout": ("Sheet", ("∂E_total/∂w3", "∂E_total/∂w4"), 1.0, "cell G31, labelled 'η ='"),
    "rounded": ("Sheet", ("∂E/∂w3", "∂E/∂w4"), 2.0, "cell G31, labelled 'η ='"),
    "unlabelled_eta": ("Sheet", ("∂E/∂w3", "∂E/∂w4"), 0.8, "the first update of w8 (inferred"),
    "other_targets": ("Sheet", ("dE_total/dw3", "dE_total/dw4"), 0.5, "cell G31, labelled 'η ='"),
}
SUFFIX = {"ods_layout": ".ods"}


def fixture(stem, kind):
    return FIXTURES / f"{stem}_{kind}{SUFFIX.get(stem, '.xlsx')}"


@pytest.mark.parametrize("stem", SHAPES)
def test_a_correct_workbook_agrees_on_every_worksheet(stem, capsys):
    path = fixture(stem, "correct")
    reports = course.check_file(path)
    assert reports and all(report.agrees for report in reports), [str(r) for r in reports]
    assert all(report.rows_checked == 68 for report in reports)
    assert main(["sheet", "--compare", str(path)]) == 0
    assert capsys.readouterr().out.count("rows agree with the engine") == len(reports)


@pytest.mark.parametrize("stem", SHAPES)
def test_the_w3_slip_is_found_named_and_diagnosed(stem, capsys):
    worksheet, headers, lr, lr_source = SHAPES[stem]
    path = fixture(stem, "w3_mistake")
    reports = course.check_file(path)
    wrong = [r for r in reports if not r.agrees]
    assert [r.source for r in wrong] == [f"{path}, worksheet '{worksheet}'"]
    (report,) = wrong
    assert report.lr == lr and report.lr_source.startswith(lr_source)
    assert report.step == 0 and report.row_number == 33
    assert [(f.header, f.column) for f in report.findings] == list(zip(headers, ("dE_dw3", "dE_dw4")))
    w3 = report.findings[0]
    # both numbers against the seeds' formula evaluated by hand at step 0: right, and with a_h1 for a_h2
    row = report_row(path, worksheet)
    a_o1, a_o2, a_h1, a_h2, t1, t2 = (row[n] for n in ("a_o1", "a_o2", "a_h1", "a_h2", "t1", "t2"))
    dE_da_h2 = (a_o1 - t1) * a_o1 * (1 - a_o1) * 0.45 + (a_o2 - t2) * a_o2 * (1 - a_o2) * 0.55
    assert math.isclose(w3.engine, dE_da_h2 * a_h2 * (1 - a_h2) * 0.05, rel_tol=1e-9)
    assert math.isclose(w3.yours, dE_da_h2 * a_h1 * (1 - a_h1) * 0.05, rel_tol=1e-9)
    assert 1e-4 < (w3.yours - w3.engine) / w3.engine < 1e-3  # small: 9e-8 on the course's numbers
    assert report.diagnosis == f"your {headers[0]} and {headers[1]} use a_h1·(1−a_h1) where a_h2·(1−a_h2) belongs"
    assert main(["sheet", "--compare", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{headers[0]} ({w3.cell}): yours " in out and "diagnosis: your" in out


def report_row(path, worksheet):
    (table,) = [t for t in course.read_tables(path) if t.source.endswith(f"'{worksheet}'")]
    return table.rows[0]


def test_lr_override_is_used_and_reported(capsys):
    path = fixture("course_layout", "correct")
    (report,) = course.check_file(path, lr=0.5)
    assert report.lr_source == "--lr" and report.step == 1  # η = 1 in the sheet: the first update disagrees
    assert {f.column for f in report.findings} == set(course.WEIGHT_NAMES)
    assert main(["sheet", "--compare", str(path), "--lr", "0.5"]) == 1
    assert "η = 0.5 from --lr" in capsys.readouterr().out


def test_rounded_cells_raise_no_alarm_but_a_rounding_to_6_digits_does(tmp_path):
    (table,) = course.read_tables(fixture("rounded", "correct"))
    values = [v for row in table.rows for v in row.values()]
    assert all(v == float(f"{v:.10g}") for v in values)  # really rounded to 10 significant digits
    assert sum(v != float(f"{v:.9g}") for v in values) > len(values) / 2  # and not to fewer
    for row in table.rows:
        for column in row:
            row[column] = float(f"{row[column]:.6g}")
    assert not course.check_table(table).agrees


def test_the_committed_fixtures_are_what_the_generator_makes(tmp_path):
    """The generator, run again through LibreOffice, makes the same tables as the committed files."""
    from tests.fixtures.make_fixtures import main as make_fixtures

    made = make_fixtures(tmp_path)
    assert len(made) == 2 * (len(SHAPES) - 1)  # every shape but the course template, with and without the slip
    for path in made:
        fresh, committed = course.read_tables(path), course.read_tables(FIXTURES / path.name)
        assert [t.headers for t in fresh] == [t.headers for t in committed]
        for a, b in zip(fresh, committed):
            assert (a.lr, a.row_numbers) == (b.lr, b.row_numbers)
            for row_a, row_b in zip(a.rows, b.rows, strict=True):
                assert all(math.isclose(row_a[c], row_b[c], rel_tol=1e-13) for c in row_a), path.name
