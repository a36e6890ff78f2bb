import math
import random

import pytest

from micrograd_lite import Value, gradcheck, topological_order
from micrograd_lite.engine import _result

from .helpers import central_difference, close

# (name, build from a Value, plain-float forward, closed-form derivative, sample points)
UNARY = [
    ("exp", lambda v: v.exp(), math.exp, math.exp, [-3.0, 0.0, 0.7, 5.0]),
    ("log", lambda v: v.log(), math.log, lambda x: 1 / x, [0.01, 0.5, 1.0, 30.0]),
    ("sqrt", lambda v: v.sqrt(), math.sqrt, lambda x: 0.5 / math.sqrt(x), [0.04, 1.0, 9.0]),
    ("tanh", lambda v: v.tanh(), math.tanh, lambda x: 1 - math.tanh(x) ** 2, [-4.0, -0.3, 0.0, 2.0]),
    (
        "sigmoid",
        lambda v: v.sigmoid(),
        lambda x: 1 / (1 + math.exp(-x)),
        lambda x: math.exp(-x) / (1 + math.exp(-x)) ** 2,
        [-6.0, -0.5, 0.0, 0.5, 6.0],
    ),
    ("relu", lambda v: v.relu(), lambda x: max(0.0, x), lambda x: 1.0 if x > 0 else 0.0, [-2.0, 0.5, 3.0]),
    ("abs", lambda v: abs(v), abs, lambda x: 1.0 if x > 0 else -1.0, [-2.0, 0.5]),
    ("neg", lambda v: -v, lambda x: -x, lambda x: -1.0, [-2.0, 0.5]),
    ("square", lambda v: v**2, lambda x: x**2, lambda x: 2 * x, [-2.0, 0.0, 0.5]),
    ("cube", lambda v: v**3, lambda x: x**3, lambda x: 3 * x**2, [-2.0, 0.5]),
    ("reciprocal", lambda v: v**-1, lambda x: 1 / x, lambda x: -1 / x**2, [-2.0, 0.5]),
    ("pow 1.5", lambda v: v**1.5, lambda x: x**1.5, lambda x: 1.5 * x**0.5, [0.25, 4.0]),
    ("rsub", lambda v: 2 - v, lambda x: 2 - x, lambda x: -1.0, [0.3]),
    ("rdiv", lambda v: 1 / v, lambda x: 1 / x, lambda x: -1 / x**2, [-0.5, 3.0]),
    ("rpow", lambda v: 2**v, lambda x: 2**x, lambda x: 2**x * math.log(2), [-1.0, 0.0, 3.0]),
    ("radd", lambda v: 5 + v, lambda x: 5 + x, lambda x: 1.0, [0.3]),
    ("rmul", lambda v: 5 * v, lambda x: 5 * x, lambda x: 5.0, [0.3]),
]


@pytest.mark.parametrize("name, build, forward, derivative, points", UNARY, ids=[u[0] for u in UNARY])
def test_unary_value_and_gradient(name, build, forward, derivative, points):
    for x in points:
        v = Value(x)
        out = build(v)
        out.backward()
        assert close(out.data, forward(x)), (name, x)
        assert close(v.grad, derivative(x)), (name, x, v.grad)
        if name not in ("relu", "abs"):  # kinks: finite differences only away from 0
            assert close(v.grad, central_difference(forward, x), rtol=1e-5, atol=1e-7)


# (name, build, forward, d/da, d/db)
BINARY = [
    ("add", lambda a, b: a + b, lambda a, b: a + b, lambda a, b: 1.0, lambda a, b: 1.0),
    ("sub", lambda a, b: a - b, lambda a, b: a - b, lambda a, b: 1.0, lambda a, b: -1.0),
    ("mul", lambda a, b: a * b, lambda a, b: a * b, lambda a, b: b, lambda a, b: a),
    ("div", lambda a, b: a / b, lambda a, b: a / b, lambda a, b: 1 / b, lambda a, b: -a / b**2),
    (
        "pow",
        lambda a, b: a**b,
        lambda a, b: a**b,
        lambda a, b: b * a ** (b - 1),
        lambda a, b: a**b * math.log(a),
    ),
]


@pytest.mark.parametrize("name, build, forward, d_da, d_db", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("a, b", [(1.5, -0.4), (0.3, 2.0), (2.5, 0.7)])
def test_binary_value_and_gradients(name, build, forward, d_da, d_db, a, b):
    va, vb = Value(a), Value(b)
    out = build(va, vb)
    out.backward()
    assert close(out.data, forward(a, b))
    assert close(va.grad, d_da(a, b)) and close(vb.grad, d_db(a, b))
    assert close(va.grad, central_difference(lambda x: forward(x, b), a), rtol=1e-5)
    assert close(vb.grad, central_difference(lambda x: forward(a, x), b), rtol=1e-5)


def test_mixed_operands_on_either_side():
    v = Value(3.0)
    assert (v + 1).data == 4.0 and (1 + v).data == 4.0
    assert (v - 1).data == 2.0 and (1 - v).data == -2.0
    assert (v * 2).data == 6.0 and (2 * v).data == 6.0
    assert (v / 2).data == 1.5 and (6 / v).data == 2.0
    assert (v**2).data == 9.0 and (2**v).data == 8.0
    assert (v**v).data == 27.0


def test_construction_accepts_numbers_and_things_with_float():
    np = pytest.importorskip("numpy")
    assert Value(3).data == 3.0 and type(Value(3).data) is float
    assert Value(np.float32(0.5)).data == 0.5
    assert Value(np.int64(7)).data == 7.0
    assert type(Value(np.float64(0.25)).data) is float


@pytest.mark.parametrize("bad", ["1.5", None, 2j, [1.0], (1.0,), {}, b"1", True, False])
def test_construction_rejects_non_numbers_naming_the_type(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)


@pytest.mark.parametrize("bad", ["x", None, [1], 1j])
def test_operators_reject_non_numbers(bad):
    v = Value(1.0)
    for op in (
        lambda: v + bad,
        lambda: bad + v,
        lambda: v * bad,
        lambda: bad * v,
        lambda: v - bad,
        lambda: v / bad,
        lambda: v**bad,
    ):
        with pytest.raises(TypeError, match="Value"):
            op()


def test_repr_and_attributes():
    w = Value(0.5, label="w1")
    assert repr(w) == "Value(data=0.5, grad=0.0, label='w1')"
    assert repr(Value(2)) == "Value(data=2.0, grad=0.0)"
    assert (w.op, w.children, w.grad) == ("", (), 0.0)
    out = w * 3
    assert out.op == "*" and out.children[0] is w and out.children[1].data == 3.0
    assert (w**2).op == "**2" and (w**0.5).op == "**0.5"
    assert not hasattr(w, "__dict__")  # __slots__


def test_stable_sigmoid_and_tanh_at_extremes():
    for x, expected in [(1000.0, 1.0), (-1000.0, 0.0), (800.0, 1.0), (-800.0, 0.0)]:
        v = Value(x)
        s = v.sigmoid()
        s.backward()
        assert s.data == expected and math.isfinite(v.grad) and v.grad == 0.0
        t = Value(x).tanh()
        assert t.data == math.copysign(1.0, x)
    # Far from saturation the stable form equals the textbook formula.
    for x in (-30.0, -1.0, 0.0, 1.0, 30.0):
        assert close(Value(x).sigmoid().data, 1 / (1 + math.exp(-x)), rtol=1e-15)


@pytest.mark.parametrize(
    "make, error, words",
    [
        (lambda: Value(0.0).log(), ValueError, ["log", "0.0"]),
        (lambda: Value(-2.0).log(), ValueError, ["log", "-2.0"]),
        (lambda: Value(1.0) / 0, ZeroDivisionError, ["division by zero", "1.0"]),
        (lambda: 1 / Value(0.0), ZeroDivisionError, ["division by zero"]),
        (lambda: Value(-8.0) ** 0.5, ValueError, ["negative base", "-8.0", "0.5"]),
        (lambda: Value(-8.0) ** Value(1 / 3), ValueError, ["-8.0"]),
        (lambda: Value(-2.0) ** Value(2.0), ValueError, ["ln", "-2.0"]),
        (lambda: Value(1000.0).exp(), OverflowError, ["exp", "1000.0"]),
        (lambda: Value(10.0) ** 400, OverflowError, ["10.0", "400"]),
        (lambda: Value(1e200) ** 2, OverflowError, ["1e+200", "2"]),  # x * x overflows silently: checked
        (lambda: Value(0.0) ** -1, ZeroDivisionError, ["0.0", "-1"]),
        (lambda: Value(-4.0).sqrt(), ValueError, ["sqrt", "-4.0"]),
        (lambda: Value(0.0).sqrt(), ValueError, ["sqrt", "infinite"]),
        (lambda: Value(0.0) ** 0.5, ValueError, ["infinite"]),
    ],
)
def test_invalid_math_raises_a_clear_error(make, error, words):
    with pytest.raises(error) as info:
        make()
    for word in words:
        assert word in str(info.value)


def test_negative_base_with_integer_power_is_fine():
    v = Value(-2.0)
    out = v**3
    out.backward()
    assert out.data == -8.0 and v.grad == 12.0


def test_zero_base_to_positive_value_power():
    a, b = Value(0.0), Value(2.0)
    out = a**b
    out.backward()
    assert (out.data, a.grad, b.grad) == (0.0, 0.0, 0.0)


def test_node_used_twice_gets_the_sum_of_its_contributions():
    a = Value(3.0)
    (a * a).backward()
    assert a.grad == 6.0
    b = Value(3.0)
    (b - b).backward()
    assert b.grad == 0.0
    c = Value(2.0)
    d = c * 3
    (d * d + d).backward()  # f = 9c² + 3c
    assert c.grad == 18 * 2.0 + 3


def test_repeated_backward_accumulates_like_pytorch():
    x = Value(3.0)
    y = (x * x) * 2
    y.backward()
    assert x.grad == 12.0
    y.backward()
    assert x.grad == 24.0  # micrograd gives 36: it re-sends the stale interior gradients
    assert y.grad == 1.0  # interior nodes hold this pass's gradient only


def test_leaf_backward_accumulates_one_per_call():
    x = Value(2.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0


def test_children_keep_operand_order_and_topological_order_is_deterministic():
    a, b = Value(1.0, "a"), Value(2.0, "b")
    assert (a - b).children == (a, b)
    assert (b - a).children == (b, a)
    assert (a * a).children == (a, a)
    out = (a * b + b).tanh()
    order = topological_order(out)
    assert order[-1] is out
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for child in node.children:
            assert position[id(child)] < position[id(node)]
    assert [n.label for n in order[:2]] == ["a", "b"]
    assert len(order) == len({id(n) for n in order}) == 5


def test_topological_order_without_leaves_lists_just_the_operations_in_the_same_order():
    a, b = Value(1.0, "a"), Value(2.0, "b")
    out = (a * b + b).tanh() * a
    operations = topological_order(out, include_leaves=False)
    assert operations == [n for n in topological_order(out) if n.children]
    assert [n.op for n in operations] == ["*", "+", "tanh", "*"]
    assert topological_order(a, include_leaves=False) == []
    assert topological_order(a) == [a]


def test_million_node_chain_backpropagates_without_recursion():
    x = Value(0.5)
    node = x
    for _ in range(1_000_000):
        node = node + 1e-6
    node = node * 1.0
    node.backward()
    assert x.grad == 1.0
    assert close(node.data, 1.5, rtol=1e-9)


def test_deep_chain_of_multiplications_has_the_product_gradient():
    x = Value(1.0)
    node = x
    n = 200_000
    for _ in range(n):
        node = node * 1.000001
    node.backward()
    assert close(x.grad, 1.000001**n, rtol=1e-9)


def test_gradcheck_names_the_input_that_disagrees():
    def wrong(x, y):
        # x*y with a deliberately wrong local derivative for y
        return _result(x.data * y.data, (x, y), "*", (y.data, 2 * x.data))

    report = gradcheck(wrong, [0.5, 1.5])
    assert not report.ok and report.checks[0].ok and not report.checks[1].ok
    assert report.worst.index == 1
    assert "input 1" in str(report) and "disagrees" in str(report)
    assert gradcheck(lambda x, y: x * y, [0.5, 1.5]).ok


def test_gradcheck_on_a_random_polynomial_is_independent_of_the_engine_rules():
    rng = random.Random(3)
    coeffs = [rng.uniform(-1, 1) for _ in range(5)]

    def poly(x):
        return sum(c * x**k for k, c in enumerate(coeffs))

    for x in (-1.3, 0.2, 0.9):
        v = Value(x)
        poly(v).backward()
        exact = sum(k * c * x ** (k - 1) for k, c in enumerate(coeffs) if k)
        assert close(v.grad, exact, rtol=1e-12, atol=1e-12)


def test_sum_values_is_one_node_with_unit_local_gradients():
    from micrograd_lite import sum_values

    xs = [Value(x) for x in (0.5, -1.25, 2.0)]
    total = sum_values([*xs, 3, xs[0]])
    assert total.op == "+" and len(total.children) == 5 and total.data == 0.5 - 1.25 + 2.0 + 3 + 0.5
    (total * total).backward()
    assert [x.grad for x in xs] == [2 * total.data * 2, 2 * total.data, 2 * total.data]
    assert sum_values([xs[1]]) is xs[1]
    with pytest.raises(ValueError, match="at least one term"):
        sum_values([])


def test_backward_leaves_the_cycle_collector_as_it_found_it():
    import gc

    v = Value(2.0)
    (v * v).backward()
    assert gc.isenabled()
    gc.disable()
    try:
        (v * v).backward()
        assert not gc.isenabled()
    finally:
        gc.enable()


# ----------------------------------------------------------------------
# A derivative too large for a float: the rule is in tests/test_numbers.py.
# ----------------------------------------------------------------------


def test_small_divisors_whose_derivative_fits_are_fine():
    a, b = Value(1e-300), Value(1e-170)  # a/(b*b) underflowed b*b to 0 before: true derivative -1e40
    out = a / b
    out.backward()
    assert math.isclose(b.grad, -1e40, rel_tol=1e-15) and math.isclose(a.grad, 1e170, rel_tol=1e-15)
