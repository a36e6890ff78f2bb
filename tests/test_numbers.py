"""The numeric rules of the engine, the replays and higher-order derivatives.

* overflow at the right time: a representable result is returned whatever its local
  derivatives; an infinite one raises only where it meets a nonzero gradient;
* no gradient ±inf or nan silently, along a chain too, nor a nan made from numbers;
* what the replays accept at the door: floats (float32 converted as eager does), one
  rule for the learning rate, no repeated leaf, no bool, no dict, no nan in step and batch.

Every expected number is computed here by hand (closed forms), never by the engine.
"""

import math

import numpy as np
import pytest

from micrograd_lite import SGD, Value, sum_values
from micrograd_lite.compile import compile_graph
from micrograd_lite.higher import grad, hessian, hvp

# ----------------------------------------------------------------------
# Overflow at the right time (issue 19, item 1) and along a chain (issue 24, defect 6).
# ----------------------------------------------------------------------

# (graph of x, x, its value by Python's floats, the message's start: the op, the operands, which one)
STEEP = [
    (lambda x: 1.0 / x, 1e-200, 1.0 / 1e-200, r"div overflow in backward: at a / b with a=1\.0, b=1e-200, d/db = -inf"),
    (lambda x: Value(1.0) / x, 1e-160, 1.0 / 1e-160, r"div overflow in backward: at a / b with a=1\.0, b=1e-160"),
    (lambda x: x**-1.0, 1e-200, 1e-200**-1.0, r"pown overflow in backward: at a \*\* \(-1\.0\) with a=1e-200"),
    (lambda x: x.log(), 1e-310, math.log(1e-310), r"log overflow in backward: at log\(a\) with a=1e-310, d/da = inf"),
    (lambda x: Value(1e300) ** x, 1.02, 1e300**1.02, r"pow overflow in backward: at a \*\* b with a=1e\+300, b=1\.02"),
    # defect 6: every local derivative finite, their product along the chain is not
    (lambda x: x * 1e200 * 1e200, 1e-300, 1e-300 * 1e200 * 1e200, r"mul overflow in backward: at a \* b"),
]


@pytest.mark.parametrize("make, x0, value, message", STEEP)
def test_a_representable_result_is_returned_and_backward_raises_the_named_overflow(make, x0, value, message):
    x = Value(x0, "x")
    y = make(x)  # forward only: no error
    assert y.data == value and math.isfinite(value)
    with pytest.raises(OverflowError, match="^" + message) as eager:
        y.backward()
    assert "too large for a float: the gradient of operand" in str(eager.value)
    with pytest.raises(OverflowError) as by_grad:
        grad(y, [x])
    assert str(by_grad.value) == str(eager.value)
    with pytest.raises(OverflowError) as as_graph:
        grad(y, [x], create_graph=True)
    assert str(as_graph.value) == str(eager.value) or "cannot be differentiated again" in str(as_graph.value)
    for second_order in (lambda: hessian(y, [x]), lambda: hvp(y, [x], [1.0])):
        with pytest.raises(OverflowError, match="overflow in backward|cannot be differentiated again"):
            second_order()


@pytest.mark.parametrize("make, x0, value, message", STEEP)
def test_the_replays_follow_the_same_rule(make, x0, value, message):
    x, w = Value(0.5, "x"), Value(1.0, "w")
    replay = compile_graph(make(x) * w, inputs=[x], params=[w])  # traced where all is finite
    with pytest.raises(OverflowError, match="^" + message):
        replay([x0], [1.0])
    with pytest.raises(OverflowError, match="^" + message):
        replay.sgd_step([x0], 0.1)
    assert replay.param_values == [1.0]  # nothing half-updated
    with pytest.raises(OverflowError, match="^batch point 0: " + message):
        replay.batch([[x0, 0.5]], [1.0])


def test_an_infinite_derivative_that_meets_a_zero_gradient_contributes_zero_not_nan():
    def f(x):  # relu cuts the path through 1/x at this point: dy/dx = 3 exactly
        return (-(1.0 / x)).relu() + 3.0 * x

    x = Value(1e-200, "x")
    y = f(x)
    assert y.data == 3e-200
    y.backward()
    assert x.grad == 3.0
    x2 = Value(1e-200)
    assert grad(f(x2), [x2])[0].data == 3.0
    t = Value(1.0, "t")
    replay = compile_graph(f(t), inputs=[t])
    assert replay([1e-200]) == (3e-200, (3.0,), ())
    _, (d_x,), _ = replay.batch([[1e-200, 2.0]], [])
    assert d_x.tolist() == [3.0, 3.0]
    zero = Value(1e-200, "z")
    (1.0 / zero * 0.0).backward()  # a zero upstream from a product with 0.0: contributes 0
    assert zero.grad == 0.0


def test_an_infinite_gradient_reaching_an_interior_node_is_named():
    w = Value(1e-300, "w")
    inner = w + 0.0  # an operation: its gradient is checked when backward visits it
    y = inner * 1e200 * 1e200 + 1.0
    with pytest.raises(OverflowError, match=r"^mul overflow in backward: at a \* b with a=1e-300, b=1e\+200"):
        y.backward()


def test_a_gradient_that_overflows_by_summing_its_uses_is_named():
    x = Value(1.0, "x")
    y = x * 1e308 + x * 1e308  # each use's gradient is 1e308; their sum is not a float
    assert y.data == math.inf  # the value overflows as Python's floats do
    with pytest.raises(OverflowError, match=r"summed over the operand's uses, 1e\+308 \+ 1e\+308, is too large"):
        y.backward()
    x = Value(1.0, "x")
    z = sum_values([x * -1e308, x * 1e308, x * 1e308])  # 1e308 + 1e308 on the way: too large, whatever the end
    with pytest.raises(OverflowError, match="summed over the operand's uses"):
        z.backward()
    w = Value(1.0, "w")
    w.grad = 1e308  # from an earlier backward
    with pytest.raises(OverflowError, match=r"the leaf Value\(.*label='w'\), summed over backward calls"):
        (w * 1e308).backward()


def test_gradients_near_the_limit_are_exact_and_cost_nothing_more():
    x = Value(1e-300, "x")
    y = x * 1e150 * 1e150  # d/dx = 1e300: large, finite
    y.backward()
    assert x.grad == 1e150 * 1e150
    b = Value(1e-154, "b")
    q = 1.0 / b  # d/db = -1e308: finite
    q.backward()
    assert b.grad == -(1.0 / 1e-154) / 1e-154


def test_a_nan_given_as_data_flows_on_as_in_python():
    n, x = Value(math.nan, "n"), Value(2.0, "x")
    y = n * x + x
    assert math.isnan(y.data)
    y.backward()
    assert math.isnan(x.grad) and n.grad == 2.0


# ----------------------------------------------------------------------
# A nan made from numbers is invalid math (issue 24, rough edge).
# ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda x: (x * 1e308) * 10 - (x * 1e308) * 10, r"^sub: inf - inf is not a number \(a=inf, b=inf\)"),
        (lambda x: (x * 1e308) * 10 + (x * -1e308) * 10, r"^add: inf \+ \(-inf\) is not a number"),
        (lambda x: (x * 1e308) * 10 * 0.0, r"^mul: inf \* 0\.0 is not a number"),
        (lambda x: ((x * 1e308) * 10 - (x * 1e308) * 10).relu() + x, r"^sub: inf - inf"),  # relu(nan) would hide it
        (lambda x: (x * 1e308) * 10 / ((x * 1e308) * 10), r"^div: inf / inf is not a number"),
        (lambda x: sum_values([x * 1e308 * 10, x * -1e308 * 10, x]), r"^add: the sum is not a number \(terms inf"),
    ],
)
def test_a_nan_made_from_numbers_is_a_named_error_in_eager_and_replay(make, message):
    with pytest.raises(ValueError, match=message):
        make(Value(2.0, "x"))
    x = Value(1e-10, "x")
    replay = compile_graph(make(x), inputs=[x])
    with pytest.raises(ValueError, match=message):
        replay([2.0])


# ----------------------------------------------------------------------
# What the replays take at the door (issue 24 defects 7 and 8, issue 19 item 3, rough edges).
# ----------------------------------------------------------------------


def test_float32_inputs_and_params_are_converted_as_eager_converts_them():
    x, w = Value(0.5, "x"), Value(2.0, "w")
    replay = compile_graph((x * w).tanh(), inputs=[x], params=[w])
    value, (d_x,), (d_w,) = replay([np.float32(0.1)], [np.float32(2.0)])
    exact_x, exact_w = float(np.float32(0.1)), 2.0  # what Value(np.float32(0.1)) holds
    t = math.tanh(exact_x * exact_w)
    assert (value, d_x, d_w) == (t, exact_w * (1.0 - t * t), exact_x * (1.0 - t * t))
    assert all(type(v) is float for v in (value, d_x, d_w))
    assert replay.sgd_step([np.float32(0.1)], 0.5) == t
    assert replay.param_values == [2.0 - 0.5 * (exact_x * (1.0 - t * t))]


@pytest.mark.parametrize(
    "lr, error, message",
    [
        (math.nan, ValueError, "must be a positive finite number, got nan"),
        (math.inf, ValueError, "must be a positive finite number, got inf"),
        (0.0, ValueError, "must be a positive finite number, got 0.0"),
        (0, ValueError, "must be a positive finite number, got 0"),
        (-0.5, ValueError, "must be a positive finite number, got -0.5"),
        (True, TypeError, "must be a number, got bool: True"),
        ("0.1", TypeError, "must be a number, got str: '0.1'"),
    ],
)
def test_step_and_sgd_refuse_the_same_learning_rates_with_the_same_words(lr, error, message):
    w = Value(1.0, "w")
    replay = compile_graph(w * w, params=[w])
    with pytest.raises(error, match=f"^SGD: learning rate {message}"):
        SGD([w], lr)
    with pytest.raises(error, match=f"^sgd_step: learning rate {message}"):
        replay.sgd_step((), lr)
    assert replay.param_values == [1.0]
    assert replay.sgd_step((), 1) == 1.0 and replay.param_values == [1.0 - 1.0 * 2.0]  # an int lr is a number


def test_compile_refuses_a_leaf_given_twice():
    x, w = Value(1.0, "x"), Value(2.0, "w")
    y = x * w
    with pytest.raises(ValueError, match=r"given twice, as params\[0\] and params\[1\]; give each leaf once"):
        compile_graph(y, params=[w, w])
    with pytest.raises(ValueError, match=r"given twice, as inputs\[0\] and params\[1\]"):
        compile_graph(y, inputs=[x], params=[w, x])
    with pytest.raises(ValueError, match=r"given twice, as inputs\[0\] and inputs\[1\]"):
        compile_graph(y, inputs=[x, x])


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda y, x: compile_graph(1.0), TypeError, "compile_graph: root must be a Value, got float"),
        (lambda y, x: compile_graph(y, inputs=[1.0]), TypeError, r"inputs\[0\] must be a Value, got float"),
        (lambda y, x: compile_graph(y, params=["w"]), TypeError, r"params\[0\] must be a Value, got str"),
        (lambda y, x: compile_graph(y, inputs=x), TypeError, r"for one input write \[x\]"),
        (lambda y, x: compile_graph(y, inputs=5), TypeError, "inputs must be a list of Values, got int"),
    ],
)
def test_compile_says_what_it_expects(call, error, message):
    x = Value(1.0, "x")
    with pytest.raises(error, match=message):
        call(x * 2.0, x)


def test_dicts_are_refused_not_unpacked_by_their_keys():
    x, w = Value(1.0, "x"), Value(2.0, "w")
    replay = compile_graph(x * w, inputs=[x], params=[w])
    with pytest.raises(TypeError, match="sequences of numbers, in the order given to compile_graph, not dicts"):
        replay({3.0: "x"}, [2.0])  # its key is a number: it would have been taken for x
    with pytest.raises(TypeError, match="not dicts"):
        replay([3.0], {2.0: "w"})
    with pytest.raises(TypeError, match="not dicts"):
        replay.sgd_step({3.0: "x"}, 0.1)
    with pytest.raises(ValueError, match="input_columns must be a list of 1 columns"):
        replay.batch({"x": [1.0]}, [2.0])
    with pytest.raises(ValueError, match="params must be a list of 1 numbers"):
        replay.batch([[1.0]], {2.0: "w"})


def test_bools_are_refused_where_floats_are_expected():
    with pytest.raises(TypeError, match="got bool"):
        Value(True)
    x, w = Value(1.0, "x"), Value(2.0, "w")
    with pytest.raises(TypeError):
        x * True
    replay = compile_graph(x * w, inputs=[x], params=[w])
    with pytest.raises(ValueError, match="sgd_step: input 0 must be a number, got bool"):
        replay.sgd_step([True], 0.1)
    with pytest.raises(ValueError, match="batch: param 0 must be a number, got bool"):
        replay.batch([[1.0]], [True])
    with pytest.raises(ValueError, match="input column 0 is not a column of numbers .it holds bool"):
        replay.batch([[True, False]], [2.0])
    with pytest.raises(ValueError, match=r"hvp: v\[0\] must be a finite number, got True"):
        hvp(x * x, [x], [True])
    assert replay.param_values == [2.0]


def test_nan_and_inf_inputs_to_step_and_batch_are_refused_naming_the_first():
    x, y, w = Value(1.0, "x"), Value(1.0, "y"), Value(2.0, "w")
    relu = compile_graph((x * w).relu() + y * 0.0 + w, inputs=[x, y], params=[w])  # relu(nan) would hide it
    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(ValueError, match=f"^sgd_step: input 1 is {bad!r}: a finite number is needed"):
            relu.sgd_step([1.0, bad], 0.1)
        with pytest.raises(ValueError, match=f"^batch: input column 1, point 2 is {bad!r}"):
            relu.batch([[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, bad, bad]], [2.0])
    with pytest.raises(ValueError, match="^batch: param 0 is nan"):
        relu.batch([[1.0], [1.0]], [math.nan])
    assert relu.param_values == [2.0]
    assert relu([math.nan, 1.0], [2.0])[0] == 2.0  # the plain replay is the engine's: a nan given may stay


def test_bool_of_a_value_is_the_truth_of_its_number():
    assert not Value(0.0) and not Value(-0.0)
    assert Value(1e-300) and Value(-2.0) and Value(math.nan)
