"""Compiled replay equals the eager engine to the last bit."""

import math
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from micrograd_lite import MLP, Value, course, sum_values
from micrograd_lite.cli import main
from micrograd_lite.compile import compile_graph

from .test_properties import inputs, programs, run

ROOT = Path(__file__).resolve().parent.parent


def eager(program, xs, tamed=None):
    leaves = [Value(x) for x in xs]
    root = run(program, leaves, tamed)
    root.backward()
    return root.data, [v.grad for v in leaves]


@given(programs, inputs, st.data())
def test_random_graphs_replay_bit_for_bit(program, xs, data):
    leaves = [Value(x, f"x{i}") for i, x in enumerate(xs)]
    traced_shape = []
    root = run(program, leaves, traced_shape)
    replay = compile_graph(root, inputs=leaves)
    # new leaf values: the replay must equal a fresh eager pass on them
    new_xs = data.draw(st.lists(st.floats(-2.0, 2.0), min_size=len(xs), max_size=len(xs)))
    value, grads, params = replay(new_xs)
    eager_shape = []
    expected_value, expected_grads = eager(program, new_xs, eager_shape)
    # run() branches on .data, which tracing cannot capture: compare graphs of the same shape only
    assume(eager_shape == traced_shape)
    assert value == expected_value and list(grads) == expected_grads and params == ()


def test_sheet_network_replay_equals_every_row_of_the_eager_sheet():
    net = course.build_network()
    replay = compile_graph(net["E_total"], params=[net[w] for w in course.WEIGHT_NAMES])
    for lr in (0.5, 1000.0):
        weights = list(course.WEIGHTS.values())
        for row in course.train(lr, 60):
            loss, _, grads = replay((), weights)
            assert loss == row["E_total"]
            assert list(grads) == [row[g] for g in course.GRADIENT_NAMES]
            weights = [w - lr * g for w, g in zip(weights, grads)]


def test_mlp_sample_graph_replayed_per_point():
    model = MLP(2, [4, 4, 1], activation="relu", seed=3)
    x1, x2, y = Value(0.0, "x1"), Value(0.0, "x2"), Value(0.0, "y")
    replay = compile_graph((model([x1, x2]) - y) ** 2, inputs=[x1, x2, y], params=model.parameters())
    params = [p.data for p in model.parameters()]
    for point in ([0.3, -0.7, 1.0], [-1.2, 0.4, -1.0]):
        loss, _, grads = replay(point, params)
        model.zero_grad()
        eager_loss = (model(point[:2]) - point[2]) ** 2
        eager_loss.backward()
        assert loss == eager_loss.data and list(grads) == [p.grad for p in model.parameters()]


def test_generated_code_shows_the_course_equations_in_comments_and_never_uses_labels_as_names():
    net = course.build_network()
    source = compile_graph(net["E_total"], params=[net[w] for w in course.WEIGHT_NAMES]).source
    for comment in ("# a_h1 = sigmoid(h1)", "# E_total = E1 + E2", "# i1, a constant", "# v5 = w1 * i1"):
        assert comment in source
    code = "\n".join(line.split("#")[0] for line in source.splitlines())
    for label in ("a_h1", "E_total", "w5", "i1"):
        assert label not in code
    assert "eval" not in source and "exec" not in source


def test_every_op_compiles():
    x, y = Value(0.7, "x"), Value(1.3, "y")
    root = (x * y + x / y - y**2 + x**y + 2**x - (-x)).exp().log() + x.sqrt() + x.tanh()
    root = root + x.sigmoid() + (x - 1).relu() + abs(x - 1) + (3 - x) * 0.5
    replay = compile_graph(root, inputs=[x, y])
    value, grads, _ = replay([0.7, 1.3])
    root.backward()
    assert value == root.data and list(grads) == [x.grad, y.grad]


def test_compile_errors():
    x = Value(1.0, "x")
    y = x * 2
    with pytest.raises(ValueError, match="must be leaves"):
        compile_graph(y * 3, inputs=[y])
    unused = Value(2.0, "u")
    assert compile_graph(y, inputs=[x, unused])([1.0, 5.0]) == (2.0, (2.0, 0.0), ())
    with pytest.raises(ValueError, match="takes 1 inputs"):
        compile_graph(y, inputs=[x])([1.0, 2.0])


def test_cli_compile_show(capsys):
    assert main(["compile", "--show"]) == 0
    out = capsys.readouterr().out
    assert "def replay(inputs=(), params=()):" in out and "bit for bit: True" in out


def test_benchmark_quick_mode_runs():
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--quick", "--baseline", "HEAD"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "speed vs micrograd" in result.stdout and "bytes per node" in result.stdout
    assert "against engine.py at HEAD" in result.stdout


def test_one_compiled_function_per_graph_structure():
    def trace(w_value, constant):
        x, w = Value(0.5, "x"), Value(w_value, "w")
        return compile_graph((x * w + constant).tanh(), inputs=[x], params=[w])

    # other values of the variables: the same code (each trace gets a function of its own, for its step state)
    assert trace(-3.0, 2.0).__code__ is trace(7.0, 2.0).__code__
    assert trace(-3.0, 2.0).__code__ is not trace(-3.0, 2.5).__code__  # another constant: other code
    assert "2.5" in trace(-3.0, 2.5).source


# ----------------------------------------------------------------------
# Issue 13, defects 1-5: the replay equals the eager engine, or fails as it does.
# ----------------------------------------------------------------------


def _eager_result(build, xs):
    leaves = [Value(x, f"x{i}") for i, x in enumerate(xs)]
    root = build(*leaves)
    root.backward()
    return root.data, tuple(v.grad for v in leaves), ()


def _same(a, b):
    """Equal to the last bit, sign of zero included."""
    return repr(a) == repr(b)


def test_local_gradients_are_parenthesised_so_sums_do_not_regroup():  # defect 1
    build = lambda x: x.tanh() + x.exp()  # noqa: E731
    x = Value(0.08108108108108109, "x")
    replay = compile_graph(build(x), inputs=[x])
    for i in range(200):
        point = [i / 199]
        assert _same(replay(point), _eager_result(build, point))


def test_labels_never_become_python_names():  # defects 2 and 5
    a, b = Value(3.0, "x"), Value(2.0, "ｘ")  # fullwidth x: the same identifier after NFKC
    assert compile_graph(a * b, inputs=[a, b])([3.0, 2.0]) == (6.0, (2.0, 3.0), ())
    for label in ("len", "ValueError", "ｅｘｐ", "exp", "replay", "inputs", "d_v1", "v0", "a\nb", "# x", ""):
        a = Value(2.0, label)
        assert compile_graph((a * 3).exp(), inputs=[a])([2.0]) == _eager_result(lambda v: (v * 3).exp(), [2.0])


@pytest.mark.parametrize(
    "build, point",
    [
        (lambda x: x**0.5, [-4.0]),
        (lambda x: x ** Value(0.5), [-4.0]),
        (lambda x: (x * x) ** Value(3.0) * x ** Value(2.0), [-2.0]),
        (lambda x: x.log(), [-1.0]),
        (lambda x: x.log(), [0.0]),
        (lambda x: x.sqrt(), [0.0]),
        (lambda x: x.sqrt(), [-1.0]),
        (lambda x: 1.0 / x, [0.0]),
        (lambda x: x.exp(), [1000.0]),
        (lambda x: x**-1, [0.0]),
        (lambda x: x**400, [10.0]),
        (lambda x: x.sin(), [math.inf]),
    ],
)
def test_the_replay_raises_the_eager_error(build, point):  # defect 3
    x = Value(1.0, "x")
    replay = compile_graph(build(x), inputs=[x])
    with pytest.raises(Exception) as eager_error:
        _eager_result(build, point)
    with pytest.raises(type(eager_error.value)) as replay_error:
        replay(point)
    assert str(replay_error.value) == str(eager_error.value)


def test_power_of_a_negative_base_raises_like_eager():  # issue 12 drift bug 2
    a, b = Value(2.0, "a"), Value(3.0, "b")
    replay = compile_graph(a**b, inputs=[a, b])
    with pytest.raises(ValueError, match=r"undefined for base a=-2\.0"):
        replay([-2.0, 3.0])


def test_sign_of_zero_equals_eager():  # defect 4
    build = lambda x: x.relu() * -1.0  # noqa: E731
    x = Value(-1.0, "x")
    result = compile_graph(build(x), inputs=[x])([-1.0])
    assert _same(result, _eager_result(build, [-1.0]))
    assert repr(result[1][0]) == "0.0"


def test_int_inputs_alone_give_the_eager_floats():
    x = Value(2.0, "x")
    assert _same(compile_graph(x * x, inputs=[x])([3]), (9.0, (6.0,), ()))


def test_a_sum_of_thousands_of_terms_compiles_and_adds_as_the_engine():
    weights = [Value(0.1 * i + 0.01, f"w{i}") for i in range(5000)]
    root = sum_values([w * w for w in weights])
    root.backward()
    value, _, grads = compile_graph(root, params=weights)((), [w.data for w in weights])
    assert value == root.data and list(grads) == [w.grad for w in weights]


def test_the_sgd_step_writes_sigmoid_and_squares_out_and_stays_the_engines():
    """No call per sigmoid node and no pow for ** 2 (issue 22); every row of the sheet still equal."""
    net = course.build_network()
    replay = compile_graph(net["E_total"], params=[net[w] for w in course.WEIGHT_NAMES])
    source = "\n".join(line.split("#")[0] for line in replay.sgd_step.source.splitlines())  # code, not comments
    assert "sigmoid(" not in source and "** 2" not in source and "exp(-v" in source
    for row in course.train(0.5, 30):
        assert replay.sgd_step((), 0.5) == row["E_total"]
