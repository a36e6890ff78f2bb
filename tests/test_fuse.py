"""The fusion pass: a layer's scalar products run as one matrix product, within the stated bound of the engine.

The bound (docs/performance.md): a fused row adds its n terms in the matrix product's order, the engine
from left to right; each is within (n/2)·ε·Σ|terms| of the exact sum, so they are within n·ε·Σ|terms|
of each other (ε = 2**-52). A graph with no layer keeps the per-node code, bit for bit (tests/test_batch.py).
"""

import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_lite import MLP, Value, course, ops, sum_values
from micrograd_lite.compile import compile_graph
from micrograd_lite.compile.fuse import find_layers
from micrograd_lite.compile.ir import record
from micrograd_lite.engine import topological_order

from .test_batch import same

EPS = 2.0**-52
ACTIVATIONS = [a for a in ops.ACTIVATIONS if a not in ("sin", "cos")] + ["sin", None]


def layers_of(root, inputs, params):
    return find_layers(record(root, topological_order(root), inputs, params))


def eager_point(root_of, xs):
    """The eager engine at one point: value, input gradients and param gradients, from a fresh graph."""
    root, inputs, params = root_of(xs)
    for p in params:
        p.grad = 0.0
    root.backward()
    return root.data, [v.grad for v in inputs], [p.grad for p in params]


def assert_close_to_eager(replay, root_of, columns, weights, rel=1e-11):
    """Every point within ``rel`` of the engine, relative to the size of what is compared (see the module)."""
    values, input_grads, param_grads = replay.batch(columns, weights)
    sums = np.zeros(len(param_grads))
    scale = np.zeros(len(param_grads))
    for i in range(len(columns[0])):
        value, d_inputs, d_params = eager_point(root_of, [float(c[i]) for c in columns])
        assert values[i] == pytest.approx(value, rel=rel, abs=rel), i
        for k, d in enumerate(d_inputs):
            assert input_grads[k][i] == pytest.approx(d, rel=rel, abs=rel), (i, k)
        sums += d_params
        scale += np.abs(d_params)
    assert np.all(np.abs(np.array(param_grads) - sums) <= rel * (scale + 1.0))


# ----------------------------------------------------------------------
# The bound itself, on one layer whose inputs are the same for both codes
# ----------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_a_fused_layer_is_within_n_eps_of_the_engine_row_by_row(seed):
    """y = Σ_j relu(Σ_i w_ji x_i + b_j): the value and each input's gradient within the stated bound of eager."""
    rng = random.Random(seed)
    n, m = rng.randint(2, 40), rng.randint(1, 30)
    weights = [[rng.uniform(-1, 1) * 10.0 ** rng.randint(-3, 3) for _ in range(n)] for _ in range(m)]
    biases = [rng.uniform(-1, 1) for _ in range(m)]

    def build(xs):
        x = [Value(v, f"x{i}") for i, v in enumerate(xs)]
        w = [[Value(v) for v in row] for row in weights]
        b = [Value(v) for v in biases]
        rows = [sum_values([wi * xi for wi, xi in zip(w[j], x)] + [b[j]]) for j in range(m)]
        return sum_values([r.relu() for r in rows]), x, [p for row in w for p in row] + b

    root, inputs, params = build([0.0] * n)
    assert len(layers_of(root, inputs, params)) == 1
    replay = compile_graph(root, inputs=inputs, params=params)
    assert "W1 @ X1" in replay.batch_source()
    points = np.array([[rng.uniform(-3, 3) for _ in range(n)] for _ in range(50)])
    values, input_grads, _ = replay.batch(list(points.T), [p.data for p in params])
    for k, xs in enumerate(points):
        terms = [[w * x for w, x in zip(row, xs)] + [b] for row, b in zip(weights, biases)]
        sizes = [math.fsum(map(abs, row)) for row in terms]
        exact = [math.fsum(row) for row in terms]
        if any(abs(s) <= (n + 1) * EPS * size for s, size in zip(exact, sizes)):
            continue  # a sum within rounding of 0: relu's side may differ, as the bound allows
        value, d_x, _ = eager_point(build, list(xs))
        rows_bound = sum((n + 1) * EPS * size for s, size in zip(exact, sizes) if s > 0)
        assert abs(values[k] - value) <= rows_bound + m * EPS * abs(value) + 1e-300
        for i in range(n):  # dX = W.T @ DS: m terms w_ji · 1.0, added in another order
            column = [weights[j][i] for j in range(m) if exact[j] > 0]
            assert abs(input_grads[i][k] - d_x[i]) <= len(column) * EPS * math.fsum(map(abs, column))


# ----------------------------------------------------------------------
# What must be recognised: nn.MLP, loops with plain + chains, the course network
# ----------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    st.integers(1, 4),
    st.lists(st.integers(1, 5), min_size=1, max_size=3),
    st.sampled_from(ACTIVATIONS),
    st.integers(0, 2**32 - 1),
)
def test_random_mlps_fuse_and_stay_within_the_bound_of_eager(nin, hidden, activation, seed):
    model = MLP(nin, [*hidden, 1], activation=activation or "tanh", seed=seed % 1000)
    if activation is None:
        for layer in model.layers:
            for neuron in layer.neurons:
                neuron.activation = None

    def build(xs):
        x = [Value(v, f"x{i}") for i, v in enumerate(xs[:nin])]
        y = Value(xs[nin], "y")
        return (model(x) - y) ** 2, [*x, y], model.parameters()

    root, inputs, params = build([0.0] * (nin + 1))
    expected_layers = sum(1 for fan_in in [nin, *hidden] if fan_in >= 2)
    assert len(layers_of(root, inputs, params)) == expected_layers
    replay = compile_graph(root, inputs=inputs, params=params)
    assert ("@" in replay.batch_source()) == (expected_layers > 0)
    rng = np.random.default_rng(seed)
    columns = list(rng.uniform(-2, 2, size=(nin + 1, 30)))
    assert_close_to_eager(replay, build, columns, [p.data for p in params])


def hand_written(sizes, activation, bias_first, seed):
    """A network written as learners write it: lists of Values, loops, and s = s + w * x."""
    rng = random.Random(seed)
    weights = [[[rng.uniform(-1, 1) for _ in range(a)] for _ in range(b)] for a, b in zip(sizes, sizes[1:])]
    biases = [[rng.uniform(-0.5, 0.5) for _ in range(b)] for b in sizes[1:]]

    def build(xs):
        x = [Value(v, f"x{i}") for i, v in enumerate(xs[: sizes[0]])]
        params, layer_in = [], x
        for k, (rows, bs) in enumerate(zip(weights, biases)):
            w = [[Value(v, f"w{k}_{j}_{i}") for i, v in enumerate(row)] for j, row in enumerate(rows)]
            b = [Value(v, f"b{k}_{j}") for j, v in enumerate(bs)]
            params += [p for row in w for p in row] + b
            out = []
            for j in range(len(rows)):
                s = b[j] if bias_first else w[j][0] * layer_in[0]
                for i in range(0 if bias_first else 1, len(layer_in)):
                    s = s + w[j][i] * layer_in[i]
                if not bias_first:
                    s = s + b[j]
                out.append(getattr(s, activation)() if k < len(weights) - 1 else s)
            layer_in = out
        loss = sum_values([(o - xs[sizes[0]]) ** 2 for o in layer_in])
        return loss, x, params

    return build


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.integers(2, 5), min_size=2, max_size=4),
    st.sampled_from(["relu", "tanh", "sigmoid"]),
    st.booleans(),
    st.integers(0, 2**32 - 1),
)
def test_hand_written_layer_loops_with_plus_chains_fuse(sizes, activation, bias_first, seed):
    build = hand_written(sizes, activation, bias_first, seed)
    root, inputs, params = build([0.0] * (sizes[0] + 1))
    assert len(layers_of(root, inputs, params)) == len(sizes) - 1
    replay = compile_graph(root, inputs=inputs, params=params)
    rng = np.random.default_rng(seed)
    columns = list(rng.uniform(-2, 2, size=(sizes[0], 25)))
    # the target is a constant of the graph: the same at every point
    assert_close_to_eager(replay, lambda xs: build([*xs, 0.0]), columns, [p.data for p in params])


def test_the_course_network_fuses_both_layers():
    def build(xs):
        net = course.build_network(inputs={"i1": xs[0], "i2": xs[1]}, targets={"t1": xs[2], "t2": xs[3]})
        inputs = [net[name] for name in ("i1", "i2", "t1", "t2")]
        return net["E_total"], inputs, [net[w] for w in course.WEIGHT_NAMES]

    root, inputs, params = build([0.05, 0.1, 0.5, 0.5])
    replay = compile_graph(root, inputs=inputs, params=params)
    source = replay.batch_source()
    assert "W1 @ X1" in source and "W2 @ X2" in source and "sigmoid(S1)" in source
    rng = np.random.default_rng(1)
    columns = list(rng.uniform(-1, 1, size=(4, 40)))
    assert_close_to_eager(replay, build, columns, list(course.WEIGHTS.values()))


# ----------------------------------------------------------------------
# What must not fuse
# ----------------------------------------------------------------------


def assert_bit_exact_to_replay(replay, columns, weights):
    values, input_grads, _ = replay.batch(columns, weights)
    for i in range(len(columns[0])):
        value, d_inputs, _ = replay([float(c[i]) for c in columns], weights)
        assert same(values[i], value) and all(same(input_grads[k][i], d) for k, d in enumerate(d_inputs))


def test_a_product_used_by_two_rows_is_not_fused():
    x = [Value(0.0, "x0"), Value(0.0, "x1")]
    w = [Value(0.3), Value(-0.7), Value(1.1)]
    shared = w[0] * x[0]  # read by both sums
    rows = [sum_values([shared, w[1] * x[1]]), sum_values([shared, w[2] * x[1]])]
    root = rows[0].relu() * rows[1].relu()  # relu and products: the per-node batch is bit-exact
    assert layers_of(root, x, w) == []
    replay = compile_graph(root, inputs=x, params=w)
    assert "@" not in replay.batch_source()
    columns = list(np.random.default_rng(0).uniform(-2, 2, size=(2, 20)))
    assert_bit_exact_to_replay(replay, columns, [p.data for p in w])


def test_a_weight_shared_across_layers_keeps_its_rows_per_node_and_its_gradient_whole():
    """w_shared in layer 1 and layer 2: its gradient adds both uses; those two rows stay per node."""
    x = [Value(0.0, "x0"), Value(0.0, "x1")]
    shared = Value(0.4, "shared")
    w1 = [[shared, Value(0.2)], [Value(-0.5), Value(0.9)]]
    w2 = [[Value(0.7), shared]]
    hidden = [sum_values([w1[j][0] * x[0], w1[j][1] * x[1]]).relu() for j in range(2)]
    root = sum_values([w2[0][0] * hidden[0], w2[0][1] * hidden[1]])
    params = [shared, w1[0][1], w1[1][0], w1[1][1], w2[0][0]]
    assert layers_of(root, x, params) == []  # no row without the shared weight has a partner
    replay = compile_graph(root, inputs=x, params=params)
    columns = list(np.random.default_rng(2).uniform(-2, 2, size=(2, 20)))
    assert_bit_exact_to_replay(replay, columns, [p.data for p in params])
    _, _, grads = replay.batch(columns, [p.data for p in params])
    for i in range(20):  # the shared weight's gradient against finite differences of the engine's value
        a, b = float(columns[0][i]), float(columns[1][i])

        def value(s, a=a, b=b):
            h0, h1 = max(s * a + 0.2 * b, 0.0), max(-0.5 * a + 0.9 * b, 0.0)
            return 0.7 * h0 + s * h1

        slope = (value(0.4 + 1e-6) - value(0.4 - 1e-6)) / 2e-6
        _, _, d = replay([a, b], [p.data for p in params])
        assert d[0] == pytest.approx(slope, rel=1e-6, abs=1e-8)
    per_point = [replay([float(c[i]) for c in columns], [p.data for p in params])[2][0] for i in range(20)]
    assert grads[0] == pytest.approx(math.fsum(per_point), rel=1e-13)


def test_a_weight_shared_by_two_layers_of_a_wider_network_keeps_what_it_touches_per_node():
    """Four rows over x, one with a weight the output row uses too: its row stays per node, so x's gradient
    comes from outside the other three rows, and they stay per node too; the numbers are the engine's."""
    x = [Value(0.0, "x0"), Value(0.0, "x1"), Value(0.0, "x2")]
    rng = random.Random(5)
    w = [[Value(rng.uniform(-1, 1)) for _ in x] for _ in range(4)]
    rows = [sum_values([wi * xi for wi, xi in zip(w[j], x)]).relu() for j in range(4)]
    v = [Value(rng.uniform(-1, 1)) for _ in range(3)]
    out = sum_values([v[0] * rows[0], v[1] * rows[1], v[2] * rows[2], w[3][0] * rows[3]])  # w[3][0] twice
    params = [p for row in w for p in row] + v

    def build(xs):
        for p in params:
            p.grad = 0.0
        fresh = [Value(value, f"x{i}") for i, value in enumerate(xs)]
        rows_ = [sum_values([wi * xi for wi, xi in zip(w[j], fresh)]).relu() for j in range(4)]
        root = sum_values([v[0] * rows_[0], v[1] * rows_[1], v[2] * rows_[2], w[3][0] * rows_[3]])
        return root, fresh, params

    assert layers_of(out, x, params) == []
    replay = compile_graph(out, inputs=x, params=params)
    columns = list(np.random.default_rng(3).uniform(-2, 2, size=(3, 30)))
    assert_bit_exact_to_replay(replay, columns, [p.data for p in params])
    assert_close_to_eager(replay, build, columns, [p.data for p in params], rel=1e-15)


def test_an_input_whose_gradient_also_comes_from_elsewhere_keeps_the_layer_per_node():
    model = MLP(2, [3, 1], activation="tanh", seed=4)
    x = [Value(0.0, "x0"), Value(0.0, "x1")]
    root = model(x) + x[0] * 1.5  # x0 feeds the first layer and a product outside it
    found = layers_of(root, x, model.parameters())
    assert all(set(layer.inputs) != {"v0", "v1"} for layer in found) and len(found) == 1


def test_fused_memory_is_bounded_by_the_chunk():
    """200,000 points through the two-moons MLP: the arrays of a chunk, not of every point, are alive at once."""
    import tracemalloc

    model = MLP(2, [16, 16, 1], activation="relu", seed=0)
    x1, x2, y = Value(0.0, "x1"), Value(0.0, "x2"), Value(0.0, "y")
    replay = compile_graph((1 + -y * model([x1, x2])).relu(), inputs=[x1, x2, y], params=model.parameters())
    weights = [p.data for p in model.parameters()]
    rng = np.random.default_rng(0)
    columns = [rng.uniform(-1, 1, 200_000), rng.uniform(-1, 1, 200_000), np.sign(rng.uniform(-1, 1, 200_000))]
    replay.batch([c[:10] for c in columns], weights)
    assert "W2 @ X2" in replay.batch_source()
    tracemalloc.start()
    values, input_grads, _ = replay.batch(columns, weights)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    results = 4 * columns[0].nbytes  # the values and three input gradients, returned
    # a chunk of 2,048 points holds some 10 blocks of at most 16 rows: ~3 MB; whole, they would be ~250 MB
    assert peak < results + 8_000_000, peak
    assert len(values) == len(input_grads[0]) == 200_000
