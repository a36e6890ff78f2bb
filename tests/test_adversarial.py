"""Regression tests for what an adversarial pass over issues 11-15 found (one test per defect)."""

import pytest

from tests.test_hardening import assert_one_line_error, cli


@pytest.mark.parametrize(
    "args",
    [
        ["demo", "--epochs", "2", "--out="],  # wrote every demo file into the current folder
        ["graph", "--out="],
        ["explain", "--expr", "x*2", "x=1", "--trace-csv="],  # these four exited 0 having written nothing
        ["explain", "--expr", "x*2", "x=1", "--trace-md="],
        ["explain", "--expr", "x*2", "x=1", "--html="],
        ["explain", "--expr", "x*2", "x=1", "--frames="],
        ["hessian", "--expr", "x*x", "x=1", "--csv="],  # printed "wrote ''"
    ],
    ids=lambda args: args[0] + " " + args[-1],
)
def test_an_empty_output_name_is_refused_by_every_command(args, tmp_path):
    result = cli(*args, cwd=tmp_path)
    assert_one_line_error(result, "output file name is empty")
    assert list(tmp_path.iterdir()) == []


def test_an_overflowing_second_derivative_is_refused_not_printed_as_inf(tmp_path):
    """f = 5e307·x³ and f' = 1.5e308 are floats at x = 1, f'' = 3e308 is not: the table said 'inf', exit 0."""
    result = cli("hessian", "--expr", "x*x*x*5e307", "x=1", "--csv", "h.csv", cwd=tmp_path)
    assert_one_line_error(result, "second derivative by x and x is inf", "x=1.0", "too large")
    assert list(tmp_path.iterdir()) == []
