"""replay.sgd_step: forward, backward and the SGD update in one generated function, equal to eager SGD bit for bit."""

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from micrograd_lite import MLP, SGD, Value, course
from micrograd_lite.compile import compile_graph


def bits(x: float) -> bytes:
    return struct.pack("<d", x)


def same(xs, ys) -> bool:
    """Equal to the last bit, sign of zero included."""
    return len(xs) == len(ys) and all(bits(x) == bits(y) for x, y in zip(xs, ys))


@pytest.mark.parametrize("lr", [0.5, 1000.0])
def test_course_network_through_step_equals_the_eager_sheet(lr):
    rows = course.train(lr, 100)  # eager: a new graph every epoch, w -= lr * dE/dw
    network = course.build_network()
    inputs = [network[name] for name in (*course.INPUTS, *course.TARGETS)]
    replay = compile_graph(network["E_total"], inputs=inputs, params=[network[w] for w in course.WEIGHT_NAMES])
    point = [*course.INPUTS.values(), *course.TARGETS.values()]
    for row in rows:
        assert same(replay.param_values, [row[w] for w in course.WEIGHT_NAMES])  # the weights before the update
        assert bits(replay.sgd_step(point, lr)) == bits(row["E_total"])  # the output before the update


activations = st.sampled_from(["relu", "tanh", "sigmoid", None])
points = st.lists(st.floats(-3, 3, allow_subnormal=False), min_size=3, max_size=3)


@given(
    sizes=st.lists(st.integers(1, 4), min_size=1, max_size=3),
    activation=activations,
    output_activation=activations,
    seed=st.integers(0, 10**6),
    lr=st.floats(1e-3, 2.0),
    data=st.lists(points, min_size=1, max_size=4),
)
def test_step_equals_eager_sgd_on_random_networks(sizes, activation, output_activation, seed, lr, data):
    def network():
        return MLP(2, [*sizes, 1], activation=activation or "relu", output_activation=output_activation, seed=seed)

    eager, traced = network(), network()
    optimizer = SGD(eager.parameters(), lr)
    x1, x2, y = Value(0.0), Value(0.0), Value(0.0)
    replay = compile_graph((traced([x1, x2]) - y) ** 2, inputs=[x1, x2, y], params=traced.parameters())
    for a, b, target in data:
        loss = (eager([a, b]) - target) ** 2
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        assert bits(replay.sgd_step((a, b, target), lr)) == bits(loss.data)
        assert same(replay.param_values, [p.data for p in eager.parameters()])


def test_step_keeps_its_values_inside_until_write_back():
    w = Value(2.0, "w")
    replay = compile_graph((w - 5.0) ** 2, params=[w])
    assert replay.sgd_step((), 0.25) == 9.0  # the loss before the update; d/dw = 2(w - 5) = -6
    assert replay.param_values == [3.5] and w.data == 2.0
    replay.write_back()
    assert w.data == 3.5


def test_two_traces_of_one_structure_share_code_but_not_values():
    def trace(start):
        w = Value(start, "w")
        return w, compile_graph((w - 5.0) ** 2, params=[w])

    (w1, first), (w2, second) = trace(1.0), trace(4.0)
    assert first.sgd_step.__code__ is second.sgd_step.__code__
    first.sgd_step((), 0.5)
    assert first.param_values == [5.0] and second.param_values == [4.0]
    second.write_back()
    assert (w1.data, w2.data) == (1.0, 4.0)


def test_a_domain_error_is_the_engines_and_leaves_the_values_alone():
    w = Value(0.5, "w")
    replay = compile_graph(w.log(), params=[w])
    replay.sgd_step((), 1.0)  # d log(w)/dw = 2: w becomes 0.5 - 2 = -1.5
    assert replay.param_values == [-1.5]
    with pytest.raises(ValueError) as eager_error:
        Value(-1.5).log()
    with pytest.raises(ValueError) as step_error:
        replay.sgd_step((), 1.0)
    assert str(step_error.value) == str(eager_error.value)
    assert replay.param_values == [-1.5]


def test_an_overflow_is_the_engines_error_too():
    x, w = Value(1.0, "x"), Value(1.0, "w")
    replay = compile_graph((x * w).exp(), inputs=[x], params=[w])
    with pytest.raises(OverflowError) as eager_error:
        (Value(800.0) * Value(1.0)).exp()
    with pytest.raises(OverflowError) as step_error:
        replay.sgd_step((800.0,), 0.1)
    assert str(step_error.value) == str(eager_error.value)
    assert replay.param_values == [1.0]


def test_bad_calls_say_what_is_wrong():
    x, w = Value(1.0, "x"), Value(1.0, "w")
    replay = compile_graph(x * w, inputs=[x], params=[w])
    with pytest.raises(ValueError, match="takes 1 inputs, got 2"):
        replay.sgd_step((1.0, 2.0), 0.1)
    for lr in ("0.1", None, [0.1]):
        with pytest.raises(TypeError, match="learning rate must be a number"):
            replay.sgd_step((1.0,), lr)
    assert replay.param_values == [1.0]
    with pytest.raises(ValueError, match="without params"):
        compile_graph(x * 2.0, inputs=[x]).sgd_step((1.0,), 0.1)


def test_step_is_the_old_name_of_sgd_step_and_warns():
    w = Value(2.0, "w")
    replay = compile_graph((w - 5.0) ** 2, params=[w])
    with pytest.warns(DeprecationWarning, match="use replay.sgd_step"):
        assert replay.step((), 0.25) == 9.0
    assert replay.param_values == [3.5]  # the same update as sgd_step


def test_a_relu_network_steps_without_the_engine():
    """The generated training step was named ``step``, like relu's derivative in the table's code: inside it,
    ``step(v)`` called the training step itself, which failed, and every relu step went through the engine."""
    model = MLP(2, [3, 1], activation="relu", seed=1)
    x1, x2, y = Value(0.0), Value(0.0), Value(0.0)
    replay = compile_graph((model([x1, x2]) - y) ** 2, inputs=[x1, x2, y], params=model.parameters())

    def engine_step(inputs, lr):
        raise AssertionError("a valid step went to the engine")

    replay.sgd_step.__globals__["step_eagerly"] = engine_step
    for point in ([0.5, 0.2, 1.0], [-1.0, 0.7, 0.0]):
        replay.sgd_step(point, 0.1)
