import math

import pytest

from micrograd_lite.errors import ExpressionError
from micrograd_lite.expr import parse_expression


def test_expression_builds_values_with_labelled_leaves():
    y = parse_expression("tanh(x*w + b)", {"x": 0.5, "w": -3, "b": 2})
    assert y.op == "tanh" and math.isclose(y.data, math.tanh(0.5))
    y.backward()
    leaves = {n.label: n for n in _leaves(y)}
    assert math.isclose(leaves["w"].grad, (1 - math.tanh(0.5) ** 2) * 0.5)


def test_all_operators_and_functions():
    env = {"a": 1.5, "b": 0.5}
    cases = {
        "a + b - -a * b / 2 ** a": 1.5 + 0.5 + 1.5 * 0.5 / 2**1.5,
        "exp(a) + log(a) + sqrt(b) + sigmoid(-a) + relu(a - 3) + abs(b - a)": math.exp(1.5)
        + math.log(1.5)
        + math.sqrt(0.5)
        + 1 / (1 + math.exp(1.5))
        + 0
        + 1.0,
        "a ** b": 1.5**0.5,
        "3": 3.0,
        "+a": 1.5,
    }
    for text, expected in cases.items():
        assert math.isclose(parse_expression(text, env).data, expected), text


@pytest.mark.parametrize(
    "text, words",
    [
        ('__import__("os").system("true")', ["attribute access"]),
        ('__import__("os")', ["unsupported function", "__import__"]),
        ("x.data", ["attribute access", "x.data"]),
        ("(lambda: 1)()", ["this call"]),
        ("lambda: 1", ["lambda"]),
        ("x[0]", ["subscripting"]),
        ("y + 1", ["unknown name 'y'"]),
        ("x +", ["invalid expression"]),
        ("x < 1", ["comparison"]),
        ("'text'", ["non-number constant"]),
        ("tanh(x, x)", ["unsupported function"]),
        ("x @ x", ["BinOp"]),
    ],
)
def test_refusals_are_clear(text, words):
    with pytest.raises(ExpressionError) as info:
        parse_expression(text, {"x": 1.0})
    for word in words:
        assert word in str(info.value)


def _leaves(root):
    from micrograd_lite import leaves

    return leaves(root)
