
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from micrograd_lite import Value
from micrograd_lite.errors import ExpressionError
from micrograd_lite.expr import MAX_LENGTH, MAX_OPERATIONS, parse_expression


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


# ----------------------------------------------------------------------
# Issue 13's adversarial inputs (were test_hardening.py): each case once crashed, hung or was silently accepted.
# ----------------------------------------------------------------------


# ----------------------------------------------------------------------
# Expressions: size and depth are checked before parsing (defect 9).
# ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "x" + "**x" * 3000,  # was a MemoryError inside Python's parser
        "x" + "+x" * 2000,  # was "maximum recursion depth exceeded"
        "-" * 3000 + "x",  # unary minus nests as deeply
        "exp(" * 600 + "x" + ")" * 600,
    ],
)
def test_deep_expressions_are_refused_naming_the_limit(text):
    with pytest.raises(ExpressionError, match=f"the limit is {MAX_OPERATIONS}"):
        parse_expression(text, {"x": 1.0})


def test_expressions_up_to_the_limit_are_accepted_and_correct():
    n = MAX_OPERATIONS  # x + x + ... with n operators: n + 1 terms
    y = parse_expression("x" + " + x" * n, {"x": 0.25})
    y.backward()
    assert y.data == 0.25 * (n + 1)
    (x,) = {id(c): c for c in y.children if c.label == "x"}.values()
    assert x.grad == n + 1  # d/dx of (n+1)·x, counted independently of the engine
    tower = parse_expression("x" + "**x" * n, {"x": 1.0})  # right-associative: nests n deep
    assert tower.data == 1.0
    with pytest.raises(ExpressionError, match=f"has {n + 1} operators"):
        parse_expression("x" + " + x" * (n + 1), {"x": 0.25})


def test_long_expressions_are_refused_before_parsing():
    text = "x*" * (MAX_LENGTH // 2) + "x"
    with pytest.raises(ExpressionError, match=f"characters long; the limit is {MAX_LENGTH:,}"):
        parse_expression(text, {"x": 1.0})
    with pytest.raises(ExpressionError, match="characters long") as info:
        parse_expression(" " * MAX_LENGTH + "x", {"x": 1.0})
    assert len(str(info.value)) < 200  # the message never echoes the whole text


@pytest.mark.parametrize(
    "text, words",
    [
        ("", ["empty expression"]),
        ("   ", ["empty expression"]),
        ("x*1e999", ["1e999", "too large"]),  # Python reads it as inf
        ("x*" + "9" * 400, ["too large"]),  # an int no float can hold
        ("x*" + "9" * 5000, ["invalid expression", "4300 digits"]),  # Python's own digit limit
        ("x\0", ["null character"]),
        ("(x", ["invalid expression"]),
        ('"""x', ["invalid expression"]),
        ("(" * 300 + "x" + ")" * 300, ["invalid expression"]),
        ("y" + " + y" * 100, ["unknown name 'y'", "…"]),  # a long text is shortened in the message
    ],
)
def test_odd_texts_give_a_clear_expression_error(text, words):
    with pytest.raises(ExpressionError) as info:
        parse_expression(text, {"x": 1.0})
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 10**400, "1"])
def test_variables_must_be_finite_numbers(value):
    with pytest.raises(ExpressionError, match="must be a finite number"):
        parse_expression("log(x)", {"x": value})


def test_unicode_variable_names_are_read_as_python_reads_them():
    y = parse_expression("ｘ * 2", {"ｘ": 3.0})  # Python's parser reads the fullwidth ｘ as x (NFKC)
    assert y.data == 6.0 and {c.label for c in y.children} >= {"ｘ"}
    assert parse_expression("é * 2", {"e\u0301": 2.0}).data == 4.0  # composed and combining é are one name
    with pytest.raises(ExpressionError, match="same name"):
        parse_expression("x * ｘ", {"x": 2.0, "ｘ": 3.0})  # was silently 9.0, not 6.0


def test_builtin_and_function_names_are_ordinary_variables():
    assert parse_expression("len * 2 + ValueError", {"len": 3.0, "ValueError": 1.0}).data == 7.0
    assert parse_expression("exp(exp)", {"exp": 0.0}).data == 1.0


# ----------------------------------------------------------------------
# Random texts: a clear error or a Value, never a crash of another kind.
# ----------------------------------------------------------------------

PIECES = [
    "x",
    "y",
    "ｘ",
    "1",
    "0",
    "2.5",
    "1e308",
    "e",
    "+",
    "-",
    "*",
    "/",
    "**",
    "(",
    ")",
    "exp(",
    "log(",
    "sqrt(",
    "tanh(",
    "relu(",
    "abs(",
    ",",
    " ",
    ".",
    "[",
    "]",
    "'",
    "\\n",
    "lambda",
    ":",
    "9" * 20,
]


@given(st.lists(st.sampled_from(PIECES), max_size=2000))
def test_any_text_gives_a_value_or_a_clear_error(pieces):
    text = "".join(pieces)
    try:
        y = parse_expression(text, {"x": 0.5, "y": -2.0})
    except (ValueError, ArithmeticError) as error:  # ExpressionError, a domain error, an overflow
        assert str(error) and len(str(error)) < 500
    else:
        assert isinstance(y, Value)


SHAPES = {
    "chain": lambda n, op: "x" + f"{op}x" * n,
    "unary": lambda n, op: "-" * n + "x",
    "calls": lambda n, op: "tanh(" * n + "x" + ")" * n,
    "parentheses": lambda n, op: "(" * n + "x" + ")" * n,
    "left-nested": lambda n, op: "(" * n + "x" + f"{op}x)" * n,
}


@given(st.sampled_from(sorted(SHAPES)), st.integers(0, 1500), st.sampled_from(["+", "-", "*", "/", "**"]))
def test_deep_texts_of_every_shape_are_parsed_or_refused_by_the_limit(shape, n, op):
    text = SHAPES[shape](n, op)
    try:
        y = parse_expression(text, {"x": 0.5})
    except ExpressionError as error:
        assert "limit" in str(error) or "too many nested parentheses" in str(error), str(error)
        assert n > 100  # nothing this shallow is refused
    except ArithmeticError:
        assert op in ("**", "/")  # 0.5 ** 0.5 ** ...: fine; an underflow to 0 then divided: a clear error
    else:
        assert isinstance(y, Value)
