"""The table of operations: sin, cos and detach, and the table's agreement with the engine."""

import math

import pytest

from micrograd_lite import Value, gradcheck
from micrograd_lite.compile import compile_graph
from micrograd_lite.expr import parse_expression
from micrograd_lite.ops import OPS, power, run, substitute


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
    y = parse_expression("step(x) * x + sign(x - 3) * x", {"x": 2.0})
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
