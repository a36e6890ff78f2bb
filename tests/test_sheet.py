import math

import pytest

from micrograd_lite import course
from micrograd_lite.course import COLUMNS, LEARNING_RATES, closed_form_gradients, train

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


def test_largest_formula_disagreement_is_tiny():
    worst = course.largest_formula_disagreement(TRAINED[0.5])
    assert worst.error < 1e-15


def test_iter_rows_streams_the_same_rows_as_train():
    rows = course.iter_rows(0.8, 10**12)  # a generator: nothing is computed, nothing held, until asked
    first_five = [next(rows) for _ in range(5)]
    assert first_five == TRAINED[0.8][:5]
