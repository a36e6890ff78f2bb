import csv
import math

import pytest

from micrograd_lite import sheet as course
from micrograd_lite.sheet import COLUMNS, LEARNING_RATES, closed_form_gradients, train

TRAINED = {lr: train(lr, 100) for lr in LEARNING_RATES}


def test_columns_are_the_sheets_in_order():
    assert COLUMNS[:5] == ("epoch", "t1", "t2", "i1", "i2")
    assert COLUMNS[5:13] == tuple(f"w{i}" for i in range(1, 9))
    assert COLUMNS[13:24] == ("h1", "a_h1", "h2", "a_h2", "o1", "a_o1", "o2", "a_o2", "E1", "E2", "E_total")
    assert COLUMNS[24:] == tuple(f"dE_dw{i}" for i in range(1, 9))
    assert all(tuple(row) == COLUMNS for row in TRAINED[0.5])


def test_epoch_zero_forward_values_match_the_hand_calculation():
    row = TRAINED[0.5][0]
    h1 = 0.15 * 0.05 + 0.2 * 0.1
    h2 = 0.25 * 0.05 + 0.3 * 0.1
    a_h1, a_h2 = 1 / (1 + math.exp(-h1)), 1 / (1 + math.exp(-h2))
    o1, o2 = 0.4 * a_h1 + 0.45 * a_h2, 0.5 * a_h1 + 0.55 * a_h2
    a_o1, a_o2 = 1 / (1 + math.exp(-o1)), 1 / (1 + math.exp(-o2))
    expected = {"h1": h1, "h2": h2, "a_h1": a_h1, "a_h2": a_h2, "o1": o1, "o2": o2, "a_o1": a_o1, "a_o2": a_o2}
    for name, value in expected.items():
        assert math.isclose(row[name], value, rel_tol=1e-14), name
    assert math.isclose(row["E_total"], 0.5 * (0.5 - a_o1) ** 2 + 0.5 * (0.5 - a_o2) ** 2, rel_tol=1e-14)
    assert f"{row['E_total']:.10f}" == "0.0141813779"


@pytest.mark.parametrize("lr", LEARNING_RATES)
def test_every_row_matches_the_seeds_closed_form_gradients(lr):
    for row in TRAINED[lr]:
        for column, expected in closed_form_gradients(row).items():
            assert math.isclose(row[column], expected, rel_tol=1e-12, abs_tol=1e-12), (lr, row["epoch"], column)


@pytest.mark.parametrize("lr", LEARNING_RATES)
def test_each_row_holds_the_weights_before_that_epochs_update(lr):
    rows = TRAINED[lr]
    assert [row["w1"] for row in rows[:1]] == [0.15]
    for before, after in zip(rows, rows[1:]):
        for w in course.WEIGHT_NAMES:
            assert after[w] == before[w] - lr * before["dE_d" + w]


def test_known_behaviour_of_the_learning_rates():
    assert TRAINED[2.0][-1]["E_total"] < 1e-7
    finals = [TRAINED[lr][-1]["E_total"] for lr in (0.1, 0.2, 0.5, 0.8, 1.0, 2.0)]
    assert finals == sorted(finals, reverse=True)  # bigger steps converge faster, up to lr 2
    big = [row["E_total"] for row in TRAINED[1000.0]]
    assert all(math.isfinite(e) for e in big)
    assert all(abs(e - 0.25) < 1e-3 for e in big[1:])


def test_overridable_network():
    rows = train(0.1, 2, weights={**course.WEIGHTS, "w1": 0.9}, inputs={"i1": 1.0, "i2": -1.0})
    assert rows[0]["w1"] == 0.9 and rows[0]["i1"] == 1.0
    assert math.isclose(rows[0]["h1"], 0.9 - 0.2)


@pytest.mark.parametrize("lr, epochs", [(0, 5), (-1, 5), (float("nan"), 5), (0.5, 0), (0.5, 2.5)])
def test_bad_training_arguments(lr, epochs):
    with pytest.raises(ValueError):
        train(lr, epochs)


def test_csv_round_trips_every_float_exactly(tmp_path):
    rows = TRAINED[0.8]
    path = tmp_path / "sheet.csv"
    path.write_text(course.rows_to_csv(rows))
    with open(path, newline="") as f:
        header, *lines = list(csv.reader(f))
    assert tuple(header) == COLUMNS
    assert len(lines) == len(rows)
    assert course.read_sheet(path) == [{c: float(row[c]) for c in COLUMNS} for row in rows]


def test_check_sheet_points_at_the_widely_shared_w3_w4_mistake(tmp_path):
    rows = [dict(r) for r in TRAINED[0.5][:5]]
    assert course.check_sheet(rows, lr=0.5) is None
    # the copy that uses a_h1·(1 − a_h1) where a_h2·(1 − a_h2) belongs, for dE_dw3 and dE_dw4
    for row in rows:
        dE_da_h2 = row["dE_dw3"] / (row["a_h2"] * (1 - row["a_h2"]) * row["i1"])
        row["dE_dw3"] = dE_da_h2 * row["a_h1"] * (1 - row["a_h1"]) * row["i1"]
        row["dE_dw4"] = dE_da_h2 * row["a_h1"] * (1 - row["a_h1"]) * row["i2"]
    found = course.check_sheet(rows)
    assert (found.row, found.column) == (0, "dE_dw3")
    assert 1e-8 < found.error < 1e-6  # about 1e-7 off at epoch 0
    path = tmp_path / "mine.csv"
    path.write_text(course.rows_to_csv(rows))
    assert course.check_sheet(course.read_sheet(path)).column == "dE_dw3"


def test_check_sheet_finds_a_wrong_update():
    rows = [dict(r) for r in TRAINED[0.5][:4]]
    rows[2]["w6"] += 1e-6
    found = course.check_sheet(rows, lr=0.5)
    assert (found.row, found.column) == (2, "w6")


def test_read_sheet_errors(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="no header row"):
        course.read_sheet(bad)
    bad.write_text("epoch,t1\n0,0.5\n")
    with pytest.raises(ValueError, match="missing columns t2"):
        course.read_sheet(bad)
    good = course.rows_to_csv(TRAINED[0.5][:1]).replace("0.05", "oops", 1)
    bad.write_text(good)
    with pytest.raises(ValueError, match="not a number: 'oops'"):
        course.read_sheet(bad)


def test_largest_formula_disagreement_is_tiny():
    worst = course.largest_formula_disagreement(TRAINED[0.5])
    assert worst.error < 1e-15
