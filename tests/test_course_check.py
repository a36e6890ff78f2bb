"""Diagnosing slips: a learner's sheet computed by hand with one slip; the check must name that slip.

The learner here is simulated with plain ``math`` (the formulas typed as a
learner types them), independently of the engine and of the checker's own
recomputation of slips.
"""

import math

import pytest

from micrograd_lite import course
from micrograd_lite.course.read import Table
from tests.commands import assert_one_line_error, cli
from tests.learner_files import course_table_lines, write_table


def σ(x):
    return 1 / (1 + math.exp(-x))


def learner_sheet(slip=None, lr=0.5, steps=4, t1=0.5, t2=0.5, i1=0.05, i2=0.1):
    """The sheet a learner computes, with ``slip`` (a name below) in every row."""
    w = dict(zip(course.WEIGHT_NAMES, (0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55)))
    rows = []
    for _ in range(steps):
        h1, h2 = w["w1"] * i1 + w["w2"] * i2, w["w3"] * i1 + w["w4"] * i2
        a_h1, a_h2 = σ(h1), σ(h2)
        o1, o2 = w["w5"] * a_h1 + w["w6"] * a_h2, w["w7"] * a_h1 + w["w8"] * a_h2
        a_o1, a_o2 = σ(o1), σ(o2)
        E1, E2 = 0.5 * (t1 - a_o1) ** 2, 0.5 * (t2 - a_o2) ** 2
        d1 = (a_o1 - t1) * (1 if slip == "no output σ'" else a_o1 * (1 - a_o1))
        d2 = (a_o2 - t2) * (1 if slip == "no output σ'" else a_o2 * (1 - a_o2))
        back1 = d1 * w["w6"] + d2 * w["w8"] if slip == "w6 w8 for w5 w7" else d1 * w["w5"] + d2 * w["w7"]
        back2 = d1 * w["w6"] + d2 * w["w8"]
        s1 = a_h1 * (1 - a_h1)
        s2 = a_h2 * (1 - a_h2) if slip != "a_h1 for a_h2" else a_h1 * (1 - a_h1)
        g = {"dE_dw1": back1 * s1 * i1, "dE_dw2": back1 * s1 * i2, "dE_dw3": back2 * s2 * i1, "dE_dw4": back2 * s2 * i2,
             "dE_dw5": d1 * a_h1, "dE_dw6": d1 * a_h2, "dE_dw7": d2 * a_h1, "dE_dw8": d2 * a_h2}  # fmt: skip
        forward = {"h1": h1, "a_h1": a_h1, "h2": h2, "a_h2": a_h2, "o1": o1, "a_o1": a_o1, "o2": o2, "a_o2": a_o2}
        errors = {"E1": E1, "E2": E2, "E_total": E1 + E2}
        rows.append({"t1": t1, "t2": t2, "i1": i1, "i2": i2, **w, **forward, **errors, **g})
        for name in course.WEIGHT_NAMES:
            step = lr * g["dE_d" + name]
            w[name] = {"sign": w[name] + step, "η twice": w[name] - lr * step}.get(slip, w[name] - step)
    return rows


def as_table(rows, lr=0.5):
    columns = list(rows[0])
    headers = {c: c.replace("dE_d", "∂E/∂") for c in columns}
    row_numbers = [33 + k for k in range(len(rows))]
    return Table("mine.xlsx", headers, {c: k for k, c in enumerate(columns)}, row_numbers, rows, lr)


@pytest.mark.parametrize(
    "slip, step, wrong, diagnosis",
    [
        ("a_h1 for a_h2", 0, ["∂E/∂w3", "∂E/∂w4"], "∂E/∂w3 and ∂E/∂w4 use a_h1·(1−a_h1) where a_h2·(1−a_h2) belongs"),
        ("w6 w8 for w5 w7", 0, ["∂E/∂w1", "∂E/∂w2"], "your ∂E/∂w1 and ∂E/∂w2 use w6 and w8 where w5 and w7 belong"),
        ("no output σ'", 0, [f"∂E/∂w{k}" for k in range(1, 9)], "output neuron's σ' factor"),
        ("sign", 1, list(course.WEIGHT_NAMES), "add η·∂E/∂w where the update subtracts it"),
        ("η twice", 1, list(course.WEIGHT_NAMES), "apply η twice"),
    ],
)
def test_each_slip_is_found_and_named(slip, step, wrong, diagnosis):
    report = course.check_table(as_table(learner_sheet(slip)))
    assert report.step == step and [f.header for f in report.findings] == wrong
    assert diagnosis in report.diagnosis


def test_a_correct_learner_agrees_and_an_unknown_slip_gets_no_diagnosis():
    assert course.check_table(as_table(learner_sheet())).agrees
    rows = learner_sheet()
    right = rows[2]["E1"]
    rows[2]["E1"] *= 1.01
    report = course.check_table(as_table(rows))
    assert [f.header for f in report.findings] == ["E1"] and report.diagnosis is None
    engine = report.findings[0].engine
    assert math.isclose(engine, right, rel_tol=1e-14)
    assert str(report).splitlines()[1:] == [
        "  first wrong row: row 35 (step 2)",
        f"    E1 (U35): yours {rows[2]['E1']!r}, engine {engine!r}, difference {rows[2]['E1'] - engine:+.3g}",
    ]


def test_other_targets_and_inputs_are_the_workbooks_own():
    rows = learner_sheet(t1=0.01, t2=0.99, i1=1.0, i2=-0.5, lr=2.0)
    assert course.check_table(as_table(rows, lr=None)).agrees  # η inferred as 2
    assert course.check_table(as_table(rows, lr=None)).lr == 2.0


# ----------------------------------------------------------------------
# What an adversarial pass over issues 11-15 found (were test_adversarial.py), one test per defect.
# ----------------------------------------------------------------------


def test_a_row_too_large_to_recompute_is_named(tmp_path):
    """A target of 1e300 overflows ½(t1 − a_o1)² in the engine: the one line named neither the file nor the row."""
    lines = course_table_lines(tmp_path)
    lines[3][lines[0].index("t1")] = "1e300"
    write_table(tmp_path / "mine.csv", lines)
    result = cli("sheet", "--compare", "mine.csv", cwd=tmp_path)
    assert_one_line_error(result, "mine.csv: row 4 cannot be recomputed", "overflow")


def test_the_report_names_the_columns_it_could_not_check(tmp_path):
    """Columns the reader did not recognise went unchecked without a word: 'all agree' seemed to cover them."""
    lines = course_table_lines(tmp_path)
    kept = [c for c, header in enumerate(lines[0]) if not header.startswith("dE_dw") and header != "E2"]
    write_table(tmp_path / "mine.csv", [[cells[c] for c in kept] for cells in lines])
    result = cli("sheet", "--compare", "mine.csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "all 4 rows agree" in result.stdout
    assert (
        "not checked (no such column): E2, dE_dw1, dE_dw2, dE_dw3, dE_dw4, dE_dw5, dE_dw6, dE_dw7, dE_dw8"
        in result.stdout
    )
