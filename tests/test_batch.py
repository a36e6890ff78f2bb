"""replay.batch: the compiled graph over N points with NumPy, point by point equal to the scalar replay."""

import math
import struct
import subprocess
import sys
import tracemalloc
import types
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from micrograd_lite import Value, ops, sum_values
from micrograd_lite import compile as compiled
from micrograd_lite.compile import compile_graph
from micrograd_lite.errors import MissingExtra

from .test_properties import OPS as SMOOTH_OPS

ROOT = Path(__file__).resolve().parent.parent

# Operations whose NumPy form is exactly Python's: + - * / and powers with integer exponents,
# and the branches (relu, abs), whose kinks at 0 and -0.0 the points below hit on purpose.
EXACT_OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "neg": lambda a, b: -a,
    "rsub": lambda a, b: 0.5 - a,
    "rdiv": lambda a, b: 3.0 / (1.0 + a * a),
    "square": lambda a, b: a**2,
    "cube": lambda a, b: a**3,
    "inverse_square": lambda a, b: a**-2,
    "pow_int": lambda a, b: a ** Value(3.0),  # a Value exponent that happens to be an integer
    "relu": lambda a, b: a.relu(),
    "abs": lambda a, b: abs(a),
    "sum4": lambda a, b: sum_values([a, b, -0.0, a]),
    "tame": lambda a, b: a / (1.0 + abs(a)),
}


def bits(x) -> bytes:
    return struct.pack("<d", float(x))


def same(x, y) -> bool:
    """Equal to the last bit, sign of zero included (any nan equals any nan)."""
    return (math.isnan(x) and math.isnan(y)) or bits(x) == bits(y)


def ulps(x: float, y: float) -> int:
    """How many floats apart x and y are."""
    a, b = (struct.unpack("<q", bits(v))[0] for v in (x, y))
    return abs((a if a >= 0 else -(2**63) - a) - (b if b >= 0 else -(2**63) - b))


def random_graph(table, program, n_inputs, n_params):
    """A graph from ``program`` over inputs and params; each step may reuse any earlier node."""
    inputs = [Value(0.5 + i, f"x{i}") for i in range(n_inputs)]
    params = [Value(-0.75 + i, f"w{i}") for i in range(n_params)]
    pool = inputs + params
    try:
        for name, i, j in program:
            pool.append(table[name](pool[i % len(pool)], pool[j % len(pool)]))
    except (ArithmeticError, ValueError):
        assume(False)  # this program cannot even be traced at these values
    return pool[-1] + pool[len(pool) // 2] * pool[-1], inputs, params


def columns_of(rng, n_inputs, n_points):
    columns = rng.uniform(-3.0, 3.0, size=(n_inputs, n_points))
    columns[rng.random(columns.shape) < 0.1] = 0.0
    columns[rng.random(columns.shape) < 0.1] = -0.0
    return columns


def assert_batch_equals_replay(replay, columns, params):
    """Every point through the scalar replay: the batch gives its numbers, or fails at its first failing point."""
    scalar, first_error = [], None
    for i in range(columns.shape[1]):
        try:
            scalar.append(replay([float(c[i]) for c in columns], params))
        except (ArithmeticError, ValueError) as error:
            first_error = (i, error)
            break
    if first_error:
        i, error = first_error
        with pytest.raises(type(error)) as caught:
            replay.batch(columns, params)
        assert str(caught.value) == f"batch point {i}: {error}"
        return
    values, input_grads, param_grads = replay.batch(columns, params)
    for i, (value, d_inputs, _) in enumerate(scalar):
        assert same(values[i], value), (i, values[i], value)
        for k, d in enumerate(d_inputs):
            assert same(input_grads[k][i], d), (i, k, input_grads[k][i], d)
    for j, total in enumerate(param_grads):  # the sum of the replay's numbers, up to the order of the additions
        terms = [d_params[j] for _, _, d_params in scalar]
        if not all(map(math.isfinite, terms)):
            assert not math.isfinite(total)
            continue
        bound = 2 * len(terms) * 2**-52 * math.fsum(map(abs, terms))  # n·ε of the terms' size
        assert abs(total - math.fsum(terms)) <= bound, (j, total, math.fsum(terms))


programs = st.lists(
    st.tuples(st.sampled_from(sorted(EXACT_OPS)), st.integers(0, 10**6), st.integers(0, 10**6)), min_size=1, max_size=10
)


@given(programs, st.integers(1, 3), st.integers(0, 3), st.integers(0, 2**32 - 1))
def test_batch_equals_the_replay_bit_for_bit_for_exact_operations(program, n_inputs, n_params, seed):
    root, inputs, params = random_graph(EXACT_OPS, program, n_inputs, n_params)
    replay = compile_graph(root, inputs=inputs, params=params)
    assume("@" not in replay.batch_source())  # a graph with a layer is tested within its bound: tests/test_fuse.py
    rng = np.random.default_rng(seed)
    assert_batch_equals_replay(replay, columns_of(rng, n_inputs, 40), rng.uniform(-2, 2, n_params).tolist())


def exact_numpy() -> types.SimpleNamespace:
    """NumPy with the C library's exp, log, tanh, sin, cos, sqrt, applied point by point (slow, exact)."""
    exact = {f: np.vectorize(getattr(math, f), otypes=[float]) for f in ("exp", "log", "tanh", "sin", "cos", "sqrt")}
    numpy = {name: getattr(np, name) for name in dir(np) if not name.startswith("_")}
    return types.SimpleNamespace(**{**numpy, **exact})


@given(
    st.lists(st.tuples(st.sampled_from(sorted(SMOOTH_OPS)), st.integers(0, 10**6), st.integers(0, 10**6)), max_size=8),
    st.integers(0, 2**32 - 1),
)
# x0's gradient and a param's were one generated variable; the param's was summed over the points in
# place (product_sum), so x0's read the sum at every point (-2.208 where the replay gives 0.9287).
@example([("add", 1, 1), ("add", 0, 0), ("add", 0, 164), ("rdiv", 6, 0)], 0)
def test_with_maths_own_functions_the_generated_array_code_is_exact_for_every_operation(program, seed):
    """Where the batch differs from the replay, it is NumPy's exp/log/tanh, never the generated code."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(compiled, "numpy_namespace", lambda np_module: ops.numpy_namespace(exact_numpy()))
        patch.setattr(compiled, "_CACHE", {})
        root, inputs, params = random_graph(SMOOTH_OPS, program, 2, 2)
        replay = compile_graph(root, inputs=inputs, params=params)
        assume("@" not in replay.batch_source())  # a layer: tests/test_fuse.py
        rng = np.random.default_rng(seed)
        assert_batch_equals_replay(replay, columns_of(rng, 2, 20), rng.uniform(-2, 2, 2).tolist())


@pytest.mark.parametrize("name", ["exp", "log", "tanh", "sigmoid", "sqrt", "sin", "cos"])
def test_numpys_functions_are_within_2_ulp_of_maths(name):
    x = Value(1.0, "x")
    replay = compile_graph(getattr(x, name)(), inputs=[x])
    points = np.random.default_rng(1).uniform(1e-3 if name in ("log", "sqrt") else -20.0, 20.0, 20_000)
    values, (grads,), _ = replay.batch([points], [])
    worst_value = worst_grad = 0
    for i, point in enumerate(points):
        value, (grad,), _ = replay([float(point)])
        worst_value = max(worst_value, ulps(values[i], value))
        # the local derivative is computed from the result (1 - out², out·(1 - out)), so compare on the scale of 1
        worst_grad = max(worst_grad, ulps(grads[i], grad) if abs(grad) >= 1.0 else ulps(1.0 + grads[i], 1.0 + grad))
    assert worst_value <= 2 and worst_grad <= 2, (worst_value, worst_grad)


def test_a_domain_error_names_the_first_failing_point():
    x, w = Value(1.0, "x"), Value(1.0, "w")
    replay = compile_graph((x * w).log(), inputs=[x], params=[w])
    with pytest.raises(ValueError, match=r"^batch point 2: log of a non-positive value"):
        replay.batch([[1.0, 2.0, -1.0, 3.0, -5.0]], [1.0])
    with pytest.raises(ZeroDivisionError, match=r"^batch point 1: "):
        compile_graph(1.0 / x, inputs=[x]).batch([[1.0, 0.0, -0.0]], [])
    with pytest.raises(ValueError, match=r"^batch point 0: "):  # a params-only part fails at every point
        compile_graph(x * w.log(), inputs=[x], params=[w]).batch([[1.0, 2.0]], [-1.0])


def test_an_overflow_where_the_engine_gives_inf_too():
    x, y = Value(1.0, "x"), Value(1.0, "y")
    replay = compile_graph(x * y + x, inputs=[x, y])
    assert_batch_equals_replay(replay, np.array([[1e200, 2.0], [1e200, 3.0]]), [])  # a value of inf, finite gradients


def test_an_overflow_that_a_relu_hides_is_still_the_engines_error():
    x = Value(1.0, "x")
    for hidden in ((-x.exp()).relu() + x, (-(x**400)).relu() + x):
        assert_batch_equals_replay(compile_graph(hidden, inputs=[x]), np.array([[1.0, 2.0, 1000.0, 3.0]]), [])
    y = Value(1.0, "y")  # a product that overflows: Python gives inf without an error, and so does the batch
    product = compile_graph((x * y).relu() - x, inputs=[x, y])
    assert_batch_equals_replay(product, np.array([[1e200, 1.0], [1e200, 2.0]]), [])


def test_chunks_give_the_same_points(monkeypatch):
    root, inputs, params = random_graph(EXACT_OPS, [("mul", 0, 2), ("relu", 3, 0), ("add", 4, 1)], 2, 1)
    replay = compile_graph(root, inputs=inputs, params=params)
    columns = columns_of(np.random.default_rng(2), 2, 100)
    whole = replay.batch(columns, [0.5])
    monkeypatch.setattr(compiled, "BATCH_CHUNK", 7)
    chunked = replay.batch(columns, [0.5])
    assert all(map(same, whole[0], chunked[0]))
    assert all(all(map(same, a, b)) for a, b in zip(whole[1], chunked[1]))
    assert all(math.isclose(a, b, rel_tol=1e-12) for a, b in zip(whole[2], chunked[2]))


def test_memory_stays_bounded_on_many_points():
    x, w = Value(1.0, "x"), Value(1.0, "w")
    h = x
    for _ in range(40):  # 40 layers of arrays
        h = (h * w).tanh() + x
    replay = compile_graph(h, inputs=[x], params=[w])
    points = np.linspace(-1, 1, 200_000)  # 1.6 MB a column: 40 layers kept whole would be > 100 MB
    replay.batch([points[:10]], [0.3])
    tracemalloc.start()
    values, (grads,), _ = replay.batch([points], [0.3])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 3 * points.nbytes + 10_000_000, peak
    assert len(values) == len(grads) == len(points)


def test_odd_labels_cannot_shadow_the_namespace():
    x, w = Value(1.0, "power"), Value(1.0, "np")
    y = (x * w).relu()
    y.label = "abs"
    replay = compile_graph(abs(y) + Value(1.0, "sum") ** 2, inputs=[x], params=[w])
    assert_batch_equals_replay(replay, np.array([[-1.0, 0.0, 2.0]]), [1.5])
    x, w = Value(1.0, "x\nimport os"), Value(2.0, "w\u2028é😀 ")  # labels only ever reach comments
    replay = compile_graph((x * w).relu() + x, inputs=[x], params=[w])
    assert_batch_equals_replay(replay, np.array([[-1.0, 0.0, 2.0]]), [1.5])


def test_no_points_gives_empty_arrays():
    x, w = Value(1.0, "x"), Value(1.0, "w")
    values, (d_x,), (d_w,) = compile_graph(x * w, inputs=[x], params=[w]).batch([[]], [2.0])
    assert len(values) == len(d_x) == 0 and same(d_w, 0.0)


def test_bad_input_says_what_is_wrong():
    x, y, w = Value(1.0, "x"), Value(1.0, "y"), Value(1.0, "w")
    replay = compile_graph(x * y * w, inputs=[x, y], params=[w])
    for columns, params, message in [
        ([[1.0]], [1.0], "takes 2 input columns, got 1"),
        ("ab", [1.0], "input_columns must be a list of 2 columns, got .ab."),
        ([[1.0, 2.0], [1.0]], [1.0], "input column 1 has 1 points, column 0 has 2"),
        ([[[1.0]], [[1.0]]], [1.0], "input column 0 must be one-dimensional"),
        ([1.0, 2.0], [1.0], "input column 0 must be one-dimensional"),
        ([["a"], [1.0]], [1.0], "input column 0 is not a column of numbers"),
        ([[None], [1.0]], [1.0], "input column 0 is not a column of numbers"),
        ([[1.0], [1 + 2j]], [1.0], "input column 1 is not a column of numbers"),
        ([[1.0, [2.0]], [1.0, 2.0]], [1.0], "input column 0 is not a column of numbers"),
        (5, [1.0], "input_columns must be a list of 2 columns"),
        ([[1.0], [1.0]], 5, "params must be a list of 1 numbers"),
        ([[1.0], [1.0]], [], "takes 1 params, got 0"),
        ([[1.0], [1.0]], ["w"], "param 0 must be a number, got str"),
        ([[1.0], [1.0]], [True], "param 0 must be a number, got bool"),
        ([[1.0], [1.0]], [math.nan], "param 0 is nan"),
        ([[1.0, 2.0], [True, False]], [1.0], "input column 1 is not a column of numbers .it holds bool"),
        ([[1.0, 2.0, math.inf], [1.0, math.nan, 3.0]], [1.0], "input column 0, point 2 is inf"),
        ({"x": [1.0], "y": [1.0]}, [1.0], "input_columns must be a list of 2 columns"),
    ]:
        with pytest.raises(ValueError, match=message):
            replay.batch(columns, params)
    with pytest.raises(ValueError, match="without inputs"):
        compile_graph(w * 2.0, params=[w]).batch([], [1.0])


def test_without_numpy_the_error_names_the_extra(monkeypatch):
    x = Value(1.0, "x")
    replay = compile_graph(x * x, inputs=[x])
    monkeypatch.setattr(compiled, "_CACHE", {})
    monkeypatch.setitem(sys.modules, "numpy", None)
    with pytest.raises(MissingExtra, match=r"pip install -e '\.\[numpy\]'"):  # from a clone: the clone's install
        replay.batch([[1.0]], [])


def test_numpy_namespace_has_every_function_of_the_table():
    assert set(ops.NAMESPACE) <= set(ops.numpy_namespace(np))


def test_training_benchmark_quick_mode_runs():
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_training.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "replay.sgd_step within 1.5×" in result.stdout and "DISAGREES" not in result.stdout


def test_domain_checks_run_over_the_arrays_not_point_by_point(monkeypatch):
    """Valid points never take the slow path, even through ops with domain checks (/, log, sqrt, **)."""
    x, w = Value(1.0, "x"), Value(2.0, "w")
    replay = compile_graph((x * x + w).log() / (x * x + 1.0).sqrt() + (x * x + 1.0) ** w, inputs=[x], params=[w])
    points = np.linspace(-3.0, 3.0, 5_000)

    def slow(*args):
        raise AssertionError("a valid chunk went point by point")

    monkeypatch.setattr(compiled, "_point_by_point", slow)
    values, (d_x,), (d_w,) = replay.batch([points], [2.0])
    for i in (0, 1234, 4999):
        value, (grad,), _ = replay([float(points[i])], [2.0])
        assert ulps(values[i], value) <= 4 and math.isclose(d_x[i], grad, rel_tol=1e-13, abs_tol=1e-15)
