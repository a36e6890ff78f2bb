"""gradcheck: its own options and inputs (its verdicts are tested with the engine, in test_engine.py)."""

import math

import pytest

from micrograd_lite import Value
from micrograd_lite.gradcheck import gradcheck

# ----------------------------------------------------------------------
# Issue 13's adversarial inputs (were test_hardening.py): each case once crashed, hung or was silently accepted.
# ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "options, words",
    [
        ({"eps": 0}, ["eps", "positive"]),  # was a bare ZeroDivisionError
        ({"eps": -1e-6}, ["eps", "positive"]),
        ({"eps": math.nan}, ["eps"]),
        ({"eps": math.inf}, ["eps"]),
        ({"atol": math.nan}, ["atol"]),
        ({"rtol": -1.0}, ["rtol", ">= 0"]),
    ],
)
def test_gradcheck_refuses_bad_steps_and_tolerances(options, words):
    with pytest.raises(ValueError) as info:
        gradcheck(lambda x: x * x, [1.0], **options)
    for word in words:
        assert word in str(info.value)


def test_gradcheck_refuses_inputs_it_cannot_check():
    with pytest.raises(ValueError, match="no inputs"):
        gradcheck(lambda: Value(1.0), [])
    with pytest.raises(ValueError, match="finite"):
        gradcheck(lambda x: x * x, [math.nan])
    with pytest.raises(ValueError, match="too small to move input 0"):
        gradcheck(lambda x: x * x, [1e12], eps=1e-6)  # 1e12 ± 1e-6 is 1e12: the difference would be 0
    with pytest.raises(TypeError, match="must return a Value, got float"):
        gradcheck(lambda x: 2.0, [1.0])
