"""Issue 13's adversarial inputs outside the engine: each case here once crashed, hung or was silently accepted."""

import math

import pytest

from micrograd_lite import Value
from micrograd_lite.errors import ExpressionError
from micrograd_lite.expr import MAX_LENGTH, MAX_OPERATIONS, parse_expression
from micrograd_lite.gradcheck import gradcheck
from micrograd_lite.nn import MLP, SGD, Layer, Neuron

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
    tower = parse_expression("x" + "**x" * (n - 1), {"x": 1.0})  # right-associative: nests n deep
    assert tower.data == 1.0


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
# nn and gradcheck refuse sizes and steps that compute nothing.
# ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda: Neuron(0), ["nin", "at least 1", "0"]),  # was ZeroDivisionError
        (lambda: Neuron(2.5), ["nin", "2.5"]),
        (lambda: Layer(2, 0), ["nout", "0"]),
        (lambda: MLP(0, [1]), ["MLP", "nin", "0"]),  # was ZeroDivisionError
        (lambda: MLP(2, [0]), ["MLP", "[0]"]),  # returned [] from every call
        (lambda: MLP(2, [3, -1]), ["MLP", "-1"]),
        (lambda: MLP(2, []), ["MLP", "nouts"]),
        (lambda: MLP(2, 1), ["MLP", "nouts"]),
    ],
)
def test_network_sizes_must_be_positive_whole_numbers(make, words):
    with pytest.raises(ValueError) as info:
        make()
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize("lr", [math.inf, -math.inf, math.nan, 0.0, -0.1, "0.1", None])
def test_sgd_refuses_a_learning_rate_that_is_not_positive_and_finite(lr):
    with pytest.raises(ValueError, match="positive finite"):
        SGD([Value(1.0)], lr)


def test_sgd_accepts_any_real_number_type():
    from fractions import Fraction

    p = Value(1.0)
    p.grad = 2.0
    SGD([p], Fraction(1, 4)).step()
    assert p.data == 0.5


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
