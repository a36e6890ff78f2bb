"""The table of operations: sin, cos and detach, and the table's agreement with the engine."""

import math
import operator
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from micrograd_lite import Value, gradcheck, ops
from micrograd_lite.compile import compile_graph
from micrograd_lite.explain import derive, evaluate
from micrograd_lite.expr import parse_expression
from micrograd_lite.ops import OPS, Op, not_a_number, power, run, substitute


def test_sin_and_cos_against_closed_forms():
    for x in (-3.0, -0.5, 0.0, 1e-8, 0.7, 2.5, 100.0):
        v = Value(x, "x")
        y = v.sin() * v.cos()  # d/dx sin x cos x = cos² x − sin² x = cos 2x
        y.backward()
        assert y.data == math.sin(x) * math.cos(x)
        assert math.isclose(v.grad, math.cos(2 * x), rel_tol=1e-12, abs_tol=1e-15)


def test_sin_and_cos_against_finite_differences():
    report = gradcheck(lambda x, w: (x * w).sin() + (x + w).cos() ** 2, [0.3, -1.7])
    assert report.ok, str(report)


@pytest.mark.parametrize("method", ["sin", "cos"])
@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan])
def test_sin_and_cos_refuse_what_is_not_finite(method, bad):
    with pytest.raises(ValueError, match=rf"{method}\(.*\) is undefined: the argument must be finite"):
        getattr(Value(bad), method)()


def test_detach_is_a_new_leaf_with_the_same_data_that_stops_the_gradient():
    x = Value(3.0, "x")
    frozen = x.detach()
    assert frozen is not x and frozen.data == 3.0 and frozen.children == () and frozen.grad == 0.0
    y = x * frozen  # x times a constant 3: dy/dx = 3, not 2x = 6
    y.backward()
    assert x.grad == 3.0 and frozen.grad == 3.0  # the detached leaf gets its own gradient, as in PyTorch
    z = (x * x).detach() * x  # the history before detach is gone
    assert z.children[0].children == ()


def test_sin_cos_detach_in_expressions_and_the_compiled_replay():
    y = parse_expression("sin(x) * cos(w) + detach(x) * x", {"x": 0.4, "w": -1.1})
    assert y.data == math.sin(0.4) * math.cos(-1.1) + 0.4 * 0.4
    x, w = [leaf for leaf in _leaves(y) if leaf.label in ("x", "w")]
    y.backward()
    assert math.isclose(x.grad, math.cos(0.4) * math.cos(-1.1) + 0.4, rel_tol=1e-15)
    replay = compile_graph(y, inputs=[x, w])
    assert replay([0.4, -1.1]) == (y.data, (x.grad, w.grad), ())


def test_step_and_sign_in_expressions_are_constants():
    y = parse_expression("heaviside(x) * x + sign(x - 3) * x", {"x": 2.0})
    y.backward()
    assert y.data == 2.0 - 2.0


def test_every_row_is_consistent():
    for name, op in OPS.items():
        assert op.name == name
        assert op.arity in (None, 0, 1, 2)
        assert len(op.derivatives) == len(op.course) == (1 if op.arity is None else op.arity)


def test_power_rows_carry_their_exponent_and_render_their_label():
    assert (Value(2.0) ** 3).op.exponent == 3.0 and (Value(2.0) ** 3).op == "**3"
    assert (Value(2.0) ** 0.5).op == "**0.5" and (Value(2.0) ** -1).op == "**-1"
    assert power(2.0) is power(2)
    assert run(power(3.0).derivatives[0], a=2.0) == 12.0
    assert run(power(0.0).derivatives[0], a=0.0) == 0.0  # not 0 * 0**-1


def test_substitute_replaces_whole_words_and_parenthesises():
    assert substitute("a * abs(b)", {"a": "x + 1", "b": "y"}) == "(x + 1) * abs(y)"
    assert substitute("out * (1.0 - out)", {"out": "v3"}) == "v3 * (1.0 - v3)"


def test_a_label_must_be_a_string():
    with pytest.raises(TypeError, match="label.*str.*int"):
        Value(2.0, label=5)


def _leaves(root):
    from micrograd_lite.engine import leaves

    return leaves(root)


# ----------------------------------------------------------------------
# Completeness: every operation the engine can make has a row, and the row
# says what the engine does -- forward, derivatives, course text, domain.
# ----------------------------------------------------------------------

BINARY = ("__add__", "__sub__", "__mul__", "__truediv__", "__pow__")
NOT_OPERATIONS = {"backward", "from_operation", "topological_order"}


def engine_operations(value_class=Value):
    """Every method of Value that builds a node, called on probe operands: {method: the node it made}."""
    made = {}
    for method in sorted(vars(value_class)):
        if method.startswith("_") and method not in BINARY + ("__neg__", "__abs__") or method in NOT_OPERATIONS:
            continue
        if not callable(getattr(value_class, method)):
            continue
        a = value_class(1.5, "a")
        made[method] = getattr(a, method)(value_class(2.0, "b")) if method in BINARY else getattr(a, method)()
    made["__pow__ number"] = value_class(1.5, "a") ** 3
    made["sum_values"] = sum_values_probe()
    return made


def sum_values_probe():
    from micrograd_lite import sum_values

    return sum_values([Value(1.0), Value(2.0), Value(3.0)])


def rows_missing(made):
    """The methods whose node carries no row of the table: a half-added operation."""
    return sorted(
        method
        for method, node in made.items()
        if not isinstance(node.op, Op) or OPS.get(node.op.name) is not node.op and node.op.name != "pown"
    )


def test_the_probe_graph_uses_every_row_and_every_operation_has_one():
    made = engine_operations()
    assert rows_missing(made) == []
    assert {node.op.name for node in made.values()} == set(OPS)  # and no row is without an operation


def test_a_half_added_operation_is_caught(monkeypatch):
    from micrograd_lite.engine import _result

    def cube(self):  # an engine method written without its row
        return _result(self.data**3, (self,), "cube", (3 * self.data**2,))

    monkeypatch.setattr(Value, "cube", cube, raising=False)
    assert rows_missing(engine_operations()) == ["cube"]


EDGES = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 3.0, 1e-310, -1e-310, 1e-200, 1e200, 1e308, -1e308, math.inf]
numbers = st.one_of(st.sampled_from(EDGES), st.floats(allow_nan=False, allow_infinity=False), st.floats(-4.0, 4.0))
BINARY_OPS = {"sub": operator.sub, "mul": operator.mul, "div": operator.truediv, "pow": operator.pow}


def _apply(op, a, b, n):
    x, y = Value(a, "x"), Value(b, "z")
    if op.name == "pown":
        return x**n, [x]
    if op.arity is None:
        return x + y, [x, y]
    if op.arity == 2:
        return BINARY_OPS[op.name](x, y), [x, y]
    if op.name == "neg":
        return -x, [x]
    return getattr(x, op.name)(), [x]


@pytest.mark.parametrize("name", [name for name in OPS if name != "detach"])
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=numbers, b=numbers, n=st.one_of(st.sampled_from([0.0, 1.0, 2.0, 3.0, 0.5, -1.0, -2.0, 1.5]), numbers))
def test_each_row_equals_the_engine_bit_for_bit(name, a, b, n):
    op = OPS[name]
    try:
        node, leaves = _apply(op, a, b, n)
    except (ArithmeticError, ValueError) as error:
        row = power(n) if name == "pown" else op
        try:
            forward = run(row.forward, a=a, b=b, n=row.exponent)
        except (ArithmeticError, ValueError):
            forward = None
        # a nan made from numbers (inf - inf) is invalid math; else the first domain check that fails, or overflow
        expected = not_a_number(row, a, b) if forward is not None and forward != forward else row.error(a, b)
        assert (type(expected), str(expected)) == (type(error), str(error))
        return
    row = node.op
    operands = {"a": a, "b": b, "out": node.data}
    assert all(run(check.holds, **operands, n=row.exponent) for check in row.checks)
    forward = a + b if op.arity is None else run(row.forward, **operands)
    assert repr(forward) == repr(node.data)
    derivatives = row.derivatives * (2 if op.arity is None else 1)
    for code, local in zip(derivatives, node.local_grads):
        try:
            assert repr(run(code, **operands)) == repr(local)
        except OverflowError:  # Python's ** raises where the derivative is too large: the engine keeps ±inf
            assert abs(local) == math.inf
    if any(abs(g) == math.inf for g in node.local_grads):  # the overflow rule: the result stands, backward refuses
        with pytest.raises(OverflowError, match=f"^{row.name} overflow in backward: at "):
            node.backward()
        return
    # the course text, evaluated by explain (itself on Values: moderate numbers only), gives the same number
    node.label = "y"
    node.backward()
    # at a = 0 a power's formula (0 · log 0, 0**0, 0**0.5 as a Value) is the derivative's limit, not its value
    at_the_limit = name in ("pow", "pown") and a == 0.0
    for leaf in leaves:
        if not at_the_limit and all(v == 0.0 or 1e-100 < abs(v) < 1e100 for v in (a, b, n, node.data, leaf.grad)):
            value = evaluate(derive(node, leaf), node)
            assert value == leaf.grad or math.isclose(value, leaf.grad, rel_tol=1e-12)


@pytest.mark.parametrize("name", [name for name in OPS if name != "detach"])
@settings(max_examples=100, deadline=None)
@given(a=st.sampled_from(EDGES), b=st.sampled_from(EDGES), n=st.sampled_from([0.0, 2.0, 0.5, -1.0, 1.5, 400.0]))
def test_each_row_replays_like_the_engine_or_fails_like_it(name, a, b, n):
    op = OPS[name]
    x, z = Value(1.25, "x"), Value(1.5, "z")
    node, _ = _apply(op, 1.25, 1.5, n)
    leaves = [x, z]
    trace_x, trace_z = Value(1.25, "x"), Value(1.5, "z")
    traced = {"pown": lambda: trace_x**n}.get(name)
    root = traced() if traced else _rebuild(op, trace_x, trace_z)
    replay = compile_graph(root, inputs=[trace_x, trace_z])
    try:
        eager_root, leaves = _apply(op, a, b, n)
        eager_root.backward()
        grads = {leaf.label: leaf.grad for leaf in leaves}
        expected = (eager_root.data, (grads.get("x", 0.0), grads.get("z", 0.0)), ())
    except (ArithmeticError, ValueError) as error:
        with pytest.raises(type(error)) as replayed:
            replay([a, b])
        assert str(replayed.value) == str(error)
        return
    assert repr(replay([a, b])) == repr(expected)


def _rebuild(op, x, z):
    if op.arity is None:
        return x + z
    if op.arity == 2:
        return BINARY_OPS[op.name](x, z)
    return -x if op.name == "neg" else getattr(x, op.name)()


def test_a_graph_survives_pickle_and_deepcopy_with_its_rows():
    import copy
    import pickle

    x = Value(2.0, "x")
    y = (x**3).sin() - x
    for clone in (pickle.loads(pickle.dumps(y)), copy.deepcopy(y)):
        assert clone.op is OPS["sub"] and clone.children[0].children[0].op is power(3.0)
        clone.backward()
        assert clone.children[1].grad == math.cos(8.0) * 12.0 - 1.0


def test_a_label_may_be_a_str_subclass():
    class Name(str):
        pass

    assert Value(1.0, Name("x")).label == "x"


@pytest.mark.parametrize("name", sorted(ops.INLINE))
def test_the_inline_forms_are_the_functions_bit_for_bit(name):
    """The scalar replay writes sigmoid, relu and heaviside out: the same numbers, sign of zero included."""
    function = getattr(ops, name.split("(")[0])
    code = compile(ops.INLINE[name], "<inline>", "eval")
    points = [0.0, -0.0, 1e-320, -1e-320, 0.5, -0.5, 36.7, -36.7, 745.2, -745.2, 1e308, -1e308, math.inf, -math.inf]
    points += [random.Random(i).uniform(-50, 50) for i in range(2000)]
    for x in points:
        got, expected = eval(code, {"exp": math.exp}, {"a": x}), function(x)
        assert math.copysign(1.0, got) == math.copysign(1.0, expected) and got == expected, x
    assert math.isnan(eval(code, {"exp": math.exp}, {"a": math.nan})) == math.isnan(function(math.nan))


def test_a_square_is_x_times_x_in_the_row_as_in_the_engine():
    assert ops.power(2.0).forward == "a * a" and ops.power(3.0).forward == "a ** 3.0"
    rng = random.Random(7)
    for x in [rng.uniform(-1e150, 1e150) for _ in range(1000)] + [-0.0, 1e-200, 1.3407807929942596e154]:
        assert (Value(x) ** 2).data == x * x
