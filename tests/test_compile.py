"""Compiled replay equals the eager engine to the last bit."""

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from micrograd_lite import MLP, Value, course
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


def test_generated_code_reads_like_the_course_equations():
    net = course.build_network()
    source = compile_graph(net["E_total"], params=[net[w] for w in course.WEIGHT_NAMES]).source
    for line in (
        "a_h1 = sigmoid(h1)",
        "E_total = E1 + E2",
        "i1 = 0.05  # a constant",
        "d_o1 = (a_o1 * (1.0 - a_o1)) * d_a_o1",
    ):
        assert line in source
    assert "d_w5 = a_h1 * d_" in source and "d_a_h1 += w5 * d_" in source
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
        [sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--quick"], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert "speed vs micrograd" in result.stdout and "bytes per node" in result.stdout


def test_one_compiled_function_per_graph_structure():
    def trace(w_value, constant):
        x, w = Value(0.5, "x"), Value(w_value, "w")
        return compile_graph((x * w + constant).tanh(), inputs=[x], params=[w])

    assert trace(-3.0, 2.0) is trace(7.0, 2.0)  # other values of the variables: the same code
    assert trace(-3.0, 2.0) is not trace(-3.0, 2.5)  # another constant: other code
    assert "2.5" in trace(-3.0, 2.5).source
