"""--compare on the workbooks learners really publish (issue 19, item 2; issue 24, defects 3 and 9).

The workbooks are made by ``tests/fixtures/make_learner_fixtures.py`` (formulas in the learner's own
spellings, recalculated and saved by LibreOffice), each with and without the course's w3 slip.
"""

import itertools
import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from micrograd_lite import course
from micrograd_lite.cli import main
from micrograd_lite.course.read import column_for

LEARNERS = Path(__file__).parent / "fixtures" / "learners"
W3_SLIP = "your {} and {} use a_h1·(1−a_h1) where a_h2·(1−a_h2) belongs"
GRADIENTS = [f"∂E/∂w{k}" for k in range(1, 9)]


def reports(stem, kind=None):
    path = LEARNERS / (f"{stem}_{kind}.xlsx" if kind else stem)
    return {report.source.split(", ", 1)[1]: report for report in course.check_file(path)}


def compare(capsys, stem, *options):
    status = main(["sheet", "--compare", str(LEARNERS / stem), *options])
    out = capsys.readouterr()
    return status, out.out, out.err


def assert_w3_slip(report, row, headers=("∂E/∂w3", "∂E/∂w4")):
    assert report.row_number == row and [f.header for f in report.findings] == list(headers), str(report)
    assert report.diagnosis == W3_SLIP.format(*headers)


# ---------------------------------------------------------------- header spellings


def spellings():
    """Every derivative of E (E_tot, E_total, Etotal, E_t, or nothing) by one weight, with ∂ δ d or no symbol,
    with or without / and _, in three cases."""
    losses, symbols, separators = ("E", "E_tot", "E_total", "Etotal", "E_t", ""), ("∂", "δ", "d", ""), ("/", "_", "")
    for loss, symbol, separator, k in itertools.product(losses, symbols, separators, range(1, 9)):
        shapes = {f"{symbol}{loss}{separator}{symbol}w{k}", f"{loss}{separator}{symbol}w{k}"}  # ∂E/∂w1, E∂w1, dw1
        for text in shapes:
            if (loss or symbol) and text.strip("/_") == text.lstrip("/_"):  # a name, not "/w1"
                for spelled in (text, text.upper(), text.lower()):
                    yield spelled, f"dE_dw{k}"


def test_at_least_200_generated_gradient_spellings_are_read():
    seen = dict(spellings())
    assert len(seen) >= 200 and {"δE_tot/δw1", "∂E∂w1", "E∂w1", "dw1", "Etotaldw1", "Edw3"} <= set(seen)
    assert {text: column_for(text) for text in seen} == seen


@pytest.mark.parametrize(
    "header, name",
    [("out_h1", "a_h1"), ("OUT_O1", "a_o1"), ("act_h2", "a_h2"), ("act_o2", "a_o2"), ("Etotal", "E_total"),
     ("E_t", "E_total"), ("t1 ( output of out_o1)", "t1"), ("w3 (hidden)", "w3"),
     ("w1", "w1"), ("Δw1", None), ("/w1", None), ("dE/da_h1", None), ("E", None), ("dw9", None)],
)  # fmt: skip
def test_activation_loss_and_noted_headers_and_what_is_not_a_gradient(header, name):
    assert column_for(header) == name


@pytest.mark.parametrize("kind", ["correct", "w3_mistake"])
def test_a_workbook_in_learners_spellings_is_read_column_by_column(kind):
    (report,) = reports("spellings", kind).values()
    assert report.unchecked == () and report.lr == 0.5 and report.lr_source == "cell B2, labelled 'LR (η) ='"
    if kind == "correct":
        assert report.agrees and report.rows_checked == 20
    else:
        assert_w3_slip(report, 5, ("E∂w3", "dw4"))


@pytest.mark.parametrize("kind", ["correct", "w3_mistake"])
def test_columns_in_another_order_with_other_inputs(kind):
    (report,) = reports("other_order", kind).values()
    assert report.unchecked == () and report.lr_source == "cell B1, labelled 'h'"
    table = course.read_tables(LEARNERS / f"other_order_{kind}.xlsx")[0]
    assert (table.rows[0]["i1"], table.rows[0]["i2"], table.cell(0, "a_h1")) == (0.6, 0.25, "O4")
    if kind == "correct":
        assert report.agrees
    else:
        assert_w3_slip(report, 4)


# ---------------------------------------------------------------- drift below the tolerance


@pytest.mark.parametrize("kind", ["correct", "w3_mistake"])
def test_a_slip_without_gradient_columns_shows_in_the_update_with_its_diagnosis(kind):
    """η = 0.1: the slip moves w3 by 4e-8 of itself, below the 1e-7 tolerance; it is 2.6e-4 of the update."""
    (report,) = reports("no_gradients", kind).values()
    if kind == "correct":
        assert report.agrees
        return
    assert report.row_number == 5 and [f.column for f in report.findings] == ["w3", "w4"]
    w3 = report.findings[0]
    assert abs(w3.yours - w3.engine) < 1e-7 * abs(w3.engine)  # what the weight-relative check let through
    assert report.diagnosis == "your w3 and w4 updates use a_h1·(1−a_h1) where a_h2·(1−a_h2) belongs"


# ---------------------------------------------------------------- where tables end, and worksheets on their own


@pytest.mark.parametrize("kind", ["correct", "w3_mistake"])
def test_a_table_followed_directly_by_text_ends_there_and_each_worksheet_is_checked(kind, capsys):
    found = reports("text_below", kind)
    assert list(found) == ["worksheet 'first try'", "worksheet 'second try'"]
    assert [r.rows_checked for r in found.values()] == [20, 20]
    assert [r.lr for r in found.values()] == [0.5, 2] and found["worksheet 'first try'"].agrees
    if kind == "w3_mistake":
        assert_w3_slip(found["worksheet 'second try'"], 4)
    assert compare(capsys, f"text_below_{kind}.xlsx")[0] == (0 if kind == "correct" else 1)


@pytest.mark.parametrize("kind", ["correct", "w3_mistake"])
def test_stacked_tables_each_take_the_rate_above_them(kind):
    found = reports("stacked", kind)
    sources = [(r.lr, r.lr_source) for r in found.values()]
    assert sources == [(0.1, "cell A1, 'lr=0.1'"), (1, "cell B24, labelled 'ⴄ='"),
                       (2, "cell A48, labelled 'Learning Rate'")]  # fmt: skip
    assert [r.agrees for r in found.values()] == [True, kind == "correct", True]


@pytest.mark.parametrize("kind", ["correct", "w3_mistake"])
def test_a_header_typo_is_resolved_by_position_or_named_and_the_other_worksheet_still_checked(kind, capsys):
    found = reports("header_typo", kind)
    typo = found["worksheet 't2 typed t1'"]
    assert typo.notes == ["cells A3 and B3 are both headed t1 and there is no t2: assumed B3, where t2 belongs, is t2"]
    assert typo.agrees if kind == "correct" else typo.diagnosis == W3_SLIP.format("∂E/∂w3", "∂E/∂w4")
    status, out, err = compare(capsys, f"header_typo_{kind}.xlsx")
    assert status == 2 and "worksheet 't2 typed t1': " in out
    assert err.strip() == (
        f"micrograd-lite: error: {LEARNERS}/header_typo_{kind}.xlsx, worksheet 'w5 typed w1': the header in row 3"
        " names w1 in cells E3 and M3, and has no w5 column: rename the copy that was meant"
    )


@pytest.mark.parametrize("kind", ["correct", "w3_mistake"])
def test_rows_holding_only_updated_weights_are_unfinished(kind):
    (report,) = reports("partial", kind).values()
    assert report.rows_checked == 8 and report.lr_source == "cell D1, labelled 'ͷ'"
    assert report.notes == ["rows 12–23 hold only the updated weights: unfinished, not checked"]
    assert report.agrees if kind == "correct" else report.diagnosis == W3_SLIP.format("∂E/∂w3", "∂E/∂w4")


@pytest.mark.parametrize("kind", ["correct", "w3_mistake"])
def test_a_repeated_header_continues_the_table_unless_a_new_run_starts(kind):
    found = reports("page_break", kind)
    assert list(found) == ["worksheet 'continued'", "worksheet 'new run', table at row 3",
                           "worksheet 'new run', table at row 16"]  # fmt: skip
    continued = found["worksheet 'continued'"]
    assert continued.rows_checked == 20 and continued.notes == [
        "row 16 repeats the header (a page-break copy?): the table goes on below it"
    ]
    assert found["worksheet 'new run', table at row 16"].notes == [
        "its header follows the table above directly, but its weights start again: a new table"
    ]
    (table, *_) = course.read_tables(LEARNERS / f"page_break_{kind}.xlsx")
    assert table.row_numbers[11:13] == [15, 17]
    table.rows[12]["w1"] += 1e-9  # the update across the copied header is checked
    report = course.check_table(table)
    if kind == "correct":
        assert report.row_number == 17 and [f.column for f in report.findings] == ["w1"]
    else:  # the slip comes first; this is a later row's own error (and so the next row's update)
        assert report.row_number == 4 and report.later_rows == ["row 17: w1", "row 18: w1"]


@pytest.mark.parametrize("suffix", ["csv", "xlsx", "ods"])
@pytest.mark.parametrize("kind", ["correct", "w3_mistake"])
def test_a_spreadsheet_error_is_named_with_its_cell(kind, suffix, capsys):
    """As LibreOffice saves =1/0: a CSV holds its text, a workbook an error cell, which calamine reads as empty."""
    status, out, err = compare(capsys, f"error_value_{kind}.{suffix}")
    assert status == 2 and err.count("\n") == 1, err
    assert "worksheet 'Sheet1': " * (suffix != "csv") + "cell V10 (E2) holds the spreadsheet error #DIV/0!: its" in err


# ---------------------------------------------------------------- η


@pytest.mark.parametrize("kind", ["correct", "w3_mistake"])
def test_an_eta_cell_holding_text_and_a_column_of_rates_are_said_and_eta_is_inferred(kind):
    found = reports("eta_notes", kind)
    text, rates = found["worksheet 'eta is text'"], found["worksheet 'rates listed'"]
    assert text.notes == ["cell A1 is labelled 'η =' but B1 holds text, '0,5'"]
    assert rates.notes == ["the column under 'lr' (cell AG3) lists several rates (0.1, 0.5, 1, …), not η"]
    assert all(r.lr == 0.5 and r.lr_source.startswith("the first update of w8 (inferred") for r in found.values())
    assert all(r.agrees == (kind == "correct") for r in found.values())


@pytest.mark.parametrize(
    "cells, lr, where",
    [
        ([["η =", 0.3]], 0.3, "cell B1, labelled 'η ='"),
        ([["ͷ", "", "", 0.3]], 0.3, "cell D1, labelled 'ͷ'"),
        ([["ⴄ=0.3"]], 0.3, "cell A1, 'ⴄ=0.3'"),
        ([["learningRate=", "", 0.3]], 0.3, "cell C1, labelled 'learningRate='"),
        ([["Learning Rate"], [0.3]], 0.3, "cell A2, labelled 'Learning Rate'"),
        ([["LR (η) =", 0.3]], 0.3, "cell B1, labelled 'LR (η) ='"),
        ([["α =", "=", 0.3]], 0.3, "cell C1, labelled 'α ='"),
        ([["η ="], [0.1], [0.2]], None, ""),  # a column of several rates
        ([["η =", "half"]], None, ""),
    ],
)
def test_eta_labels(cells, lr, where):
    from micrograd_lite.course.read import _stated_learning_rate

    notes = []
    assert _stated_learning_rate(cells, 0, len(cells), notes) == (lr, where)
    assert bool(notes) == (lr is None)


# ---------------------------------------------------------------- rounding


@pytest.mark.parametrize("kind", ["correct", "w3_mistake"])
def test_values_rounded_to_a_few_decimals_are_compared_at_half_a_unit_of_their_last_place(kind):
    found = reports("rounded", kind)
    for decimals in (6, 8):
        report = found[f"worksheet '{decimals} decimals'"]
        assert f"columns are rounded to {decimals} decimals: compared within half a unit" in report.notes[0]
        assert report.agrees == (kind == "correct"), str(report)
    if kind == "w3_mistake":
        assert_w3_slip(found["worksheet '8 decimals'"], 4)  # 9e-8 stands out of 5e-9
        six = found["worksheet '6 decimals'"]  # not at step 0 (9e-8 < 5e-7), but once the slip grows
        assert six.row_number > 4 and "a_h1·(1−a_h1) where a_h2·(1−a_h2) belongs" in six.diagnosis


def test_a_wrong_cell_in_a_rounded_table_still_disagrees():
    table = next(t for t in course.read_tables(LEARNERS / "rounded_correct.xlsx") if "6 decimals" in t.source)
    table.rows[10]["a_o1"] = round(table.rows[10]["a_o1"] + 3e-6, 6)  # six half units off
    report = course.check_table(table)
    assert report.row_number == table.row_numbers[10] and [f.column for f in report.findings][:1] == ["a_o1"]


# ---------------------------------------------------------------- new diagnoses, later rows


def test_three_more_slips_are_named_and_a_later_row_s_own_error_listed():
    found = reports("other_slips.xlsx")
    first_four = "∂E/∂w1, ∂E/∂w2, ∂E/∂w3 and ∂E/∂w4"
    assert found["worksheet 'brackets'"].diagnosis.startswith(f"your {first_four} miss the brackets around the sum")
    assert found["worksheet 'w6_w7'"].diagnosis == f"your {first_four} use w6 and w7 swapped"
    every = ", ".join(GRADIENTS[:-1]) + " and " + GRADIENTS[-1]
    assert found["worksheet 'a_o_times_t'"].diagnosis == f"your {every} use a_o·t where a_o − t belongs"
    assert found["worksheet 'brackets'"].later_rows == ["row 15: E1, E_tot"]  # typed over, not the slip
    assert all(r.later_rows == [] for name, r in found.items() if name != "worksheet 'brackets'")


def test_later_rows_are_at_most_ten():
    from tests.test_course_check import as_table, learner_sheet

    rows = learner_sheet(steps=20)
    rows[2]["E1"] *= 1.01
    for row in rows[3:]:  # the same E1 slip again is explained by the first row; E2 is each row's own
        row["E1"] *= 1.01
        row["E2"] *= 1.01
    report = course.check_table(as_table(rows))
    assert report.row_number == 35 and len(report.later_rows) == course.check.MAX_LATER_ROWS
    assert report.later_rows[:2] == ["row 36: E2", "row 37: E2"]


# ---------------------------------------------------------------- issue 24: weights never updated, nothing compared


@pytest.mark.parametrize("kind", ["correct", "w3_mistake"])
def test_weights_that_never_change_are_a_finding_not_a_learning_rate_of_0(kind, capsys):
    (report,) = reports("never_updated", kind).values()
    assert report.lr is None and not report.agrees
    assert report.verdict.startswith("your weights do not change from row 2 to row 3 (w8 stays 0.55)")
    status, out, _ = compare(capsys, f"never_updated_{kind}.xlsx")
    assert status == 1 and "your weights do not change" in out
    status, out, _ = compare(capsys, f"never_updated_{kind}.xlsx", "--lr", "0.5")  # η stated: every update wrong
    weights = "w1, w2, w3, w4, w5, w6, w7"
    if kind == "correct":
        assert status == 1 and f"your {weights} and w8 never change: the update w − η·∂E/∂w is missing" in out
    else:  # the slip in row 2 first, then each row's own error
        assert status == 1 and f"later rows wrong for another reason: row 3: {weights}, w8; row 4:" in out


def test_a_negative_inferred_rate_is_the_sign_slip_not_a_learning_rate():
    from tests.test_course_check import as_table, learner_sheet

    report = course.check_table(as_table(learner_sheet("sign"), lr=None))
    assert report.lr == 0.5 and "moves w8 up its gradient" in report.lr_source
    assert report.step == 1 and "add η·∂E/∂w where the update subtracts it" in report.diagnosis


def test_nothing_compared_is_not_agreement(capsys):
    status, out, err = compare(capsys, "inputs_only.xlsx")
    assert status == 2 and out == ""
    assert err.strip().endswith(
        "worksheet 'Sheet': nothing compared: no column computed from the inputs (h1 … E_total, ∂E/∂w1 … ∂E/∂w8),"
        " and one row only, so no update to check either"
    )


# ---------------------------------------------------------------- tolerances


def test_rtol_0_is_allowed_and_huge_tolerances_are_refused(tmp_path, capsys):
    path = tmp_path / "mine.csv"
    course.write_csv(path, course.train(0.5, 5))
    assert main(["sheet", "--compare", str(path), "--rtol", "0", "--atol", "0"]) == 0
    for option, value, limit in (("--atol", "1e308", "1e-06"), ("--rtol", "0.5", "0.01"), ("--atol", "-1", "1e-06")):
        assert main(["sheet", "--compare", str(path), option, value]) == 2
        (line,) = capsys.readouterr().err.strip().splitlines()
        assert f"argument {option}: must be from 0 to {limit} (" in line and value in line


# ---------------------------------------------------------------- the fixtures are what the generator makes


def test_the_committed_learner_fixtures_are_what_the_generator_makes(tmp_path):
    from tests.fixtures.make_learner_fixtures import main as make

    made = make(tmp_path)
    assert sorted(p.name for p in made) == sorted(p.name for p in LEARNERS.iterdir())
    for path in made:
        fresh, committed = course.check_file(path), course.check_file(LEARNERS / path.name)
        assert [str(r).replace(str(tmp_path), "") for r in fresh] == [
            str(r).replace(str(LEARNERS), "") for r in committed
        ], path.name


# ---------------------------------------------------------------- found by attacking the above


def table_lines(tmp_path, lr=0.5, steps=4):
    course.write_csv(tmp_path / "one.csv", course.train(lr, steps))
    return [line.split(",") for line in (tmp_path / "one.csv").read_text().splitlines()]


def write_lines(path, lines):
    path.write_text("".join(",".join(cells) + "\n" for cells in lines))
    return path


def test_a_header_copy_with_nothing_below_it_is_left_out_not_a_table_without_rows(tmp_path, capsys):
    lines = table_lines(tmp_path)
    status, out, err = compare(capsys, write_lines(tmp_path / "mine.csv", [*lines, lines[0]]))
    assert status == 0 and "all 4 rows agree" in out and "row 6 repeats the header with no rows below it" in out


def test_a_stated_learning_rate_of_0_does_not_pass_weights_that_never_change(tmp_path, capsys):
    header, step_0 = table_lines(tmp_path)[:2]  # every row the same: weights never updated, all else right
    status, out, _ = compare(capsys, write_lines(tmp_path / "mine.csv", [["η =", "0"], header, *[step_0] * 4]))
    said = "η = 0 from cell B1, labelled 'η =' is not a learning rate: gradient descent needs η > 0"
    assert status == 1 and said in out


def test_a_row_that_cannot_be_recomputed_hides_no_other_worksheet(tmp_path, capsys):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    for ws, t1 in ((wb.active, "1e300"), (wb.create_sheet("fine"), None)):
        for r, cells in enumerate(table_lines(tmp_path)):
            if r == 2 and t1:
                cells[cells.index("0.5")] = t1
            ws.append([float(c) if r else c for c in cells])
    wb.save(tmp_path / "two.xlsx")
    status, out, err = compare(capsys, tmp_path / "two.xlsx")
    assert status == 2 and "worksheet 'fine': all 4 rows agree" in out
    assert "worksheet 'Sheet': row 3 cannot be recomputed" in err


# ---------------------------------------------------------------- a property: nothing silently unchecked

ROWS = course.train(0.5, 6)
HEADER = list(course.COLUMNS)
ROW_KINDS = ["empty", "text", "header", "partial"]
cell_values = st.one_of(
    st.sampled_from([None, "", "text", "#DIV/0!", "w1", "η =", "inf"]),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
)
mutations = st.lists(
    st.one_of(
        st.tuples(st.just("cell"), st.integers(1, 7), st.integers(0, len(HEADER) - 1), cell_values),
        st.tuples(st.just("nudge"), st.integers(1, 7), st.integers(1, len(HEADER) - 1), st.just(None)),
        st.tuples(st.just("row"), st.integers(1, 8), st.sampled_from(ROW_KINDS), st.none()),
    ),
    max_size=4,
)


@given(mutations)
def test_a_mutated_table_is_refused_or_disagrees_unless_what_changed_is_left_out_and_said(changes):
    """Every grid row holding a full row of numbers below the header is checked, or the sheet is refused;
    a table cell nudged by 1e-3 never agrees."""
    from micrograd_lite.course.read import _tables_in
    from micrograd_lite.errors import UnreadableSheet
    from micrograd_lite.util import no_progress

    grid = [HEADER] + [[row[c] for c in HEADER] for row in ROWS]
    nudged = set()
    for kind, r, c, value in changes:
        r = min(r, len(grid) - 1)
        if kind == "cell":
            grid[r][c] = value
        elif kind == "nudge" and isinstance(grid[r][c], float):
            grid[r][c] *= 1.001 if grid[r][c] else 1
            nudged.add((id(grid[r]), c))
        elif kind == "row":
            partial = [ROWS[0][h] if h[0] in "tiw" else None for h in HEADER]
            text = ["Final", 0.5] + [None] * (len(HEADER) - 2)
            new = {"empty": [None] * len(HEADER), "text": text, "header": list(HEADER), "partial": partial}[c]
            grid.insert(r, new)
    try:
        tables = _tables_in("mine", 1, grid, no_progress)
        reports = [course.check_table(table) for table in tables]
    except UnreadableSheet:
        return
    read = {number for table in tables for number in table.row_numbers}
    for number, cells in enumerate(grid[1:], start=2):
        if all(isinstance(v, float) and math.isfinite(v) for v in cells) and cells != HEADER:
            assert number in read or any(number < t.row_numbers[0] for t in tables), (number, changes)
    for table, report in zip(tables, reports):
        rows = {id(grid[n - 1]) for n in table.row_numbers}
        if any(row in rows and HEADER[c] != "epoch" for row, c in nudged):
            assert report.status != 0, (changes, str(report))
