"""Hypothesis property tests: random expression graphs, checked with gradcheck."""

import math

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from micrograd_lite import Value, gradcheck, sum_values
from micrograd_lite.compile import compile_graph

# Operations that are smooth everywhere on the values they can meet, so a
# central difference is a fair reference. Each takes two pool entries.
OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (1 + b * b),
    "rsub": lambda a, b: 0.5 - a,
    "rmul": lambda a, b: 1.5 * a,
    "rdiv": lambda a, b: 1 / (2 + a.tanh()),
    "square": lambda a, b: a**2,
    "tanh": lambda a, b: a.tanh(),
    "sigmoid": lambda a, b: a.sigmoid(),
    "exp_tanh": lambda a, b: a.tanh().exp(),
    "log1p_sq": lambda a, b: (1 + a * a).log(),
    "sqrt1p_sq": lambda a, b: (1 + a * a).sqrt(),
    "pow_value": lambda a, b: (1 + a * a) ** b.tanh(),
    "rpow": lambda a, b: 2 ** a.tanh(),
    "neg": lambda a, b: -a,
    "sum3": lambda a, b: sum_values([a, b, 0.5, a]),
}

programs = st.lists(
    st.tuples(st.sampled_from(sorted(OPS)), st.integers(0, 10**6), st.integers(0, 10**6)),
    min_size=1,
    max_size=12,
)
inputs = st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=4)


def run(program, leaves, tamed=None):
    """Evaluate the program; every step may reuse any earlier node (shared subexpressions).

    A step whose value passes 50 is squashed by tanh to keep magnitudes tame: an ``if`` on
    ``.data``, so the graph's shape depends on the inputs. ``tamed`` (a list) records it.
    """
    pool = list(leaves)
    for name, i, j in program:
        out = OPS[name](pool[i % len(pool)], pool[j % len(pool)])
        too_big = abs(out.data) > 50
        if tamed is not None:
            tamed.append(too_big)
        pool.append(out.tanh() if too_big else out)
    # the root sums a few nodes, so several paths reach the same leaves
    return pool[-1] + pool[len(pool) // 2] * pool[-1]


@given(programs, inputs)
def test_random_graphs_pass_gradcheck(program, xs):
    report = gradcheck(lambda *vs: run(program, vs), xs, eps=1e-6, atol=1e-5, rtol=1e-4)
    assert report.ok, str(report)


@given(programs, inputs)
def test_second_backward_repeats_the_first_and_leaves_accumulate(program, xs):
    leaves = [Value(x) for x in xs]
    root = run(program, leaves)
    root.backward()
    first = [v.grad for v in leaves]
    root.backward()  # leaves accumulate: about twice the first (rounding differs with the start)
    for g1, v in zip(first, leaves):
        assert math.isclose(v.grad, 2 * g1, rel_tol=1e-12, abs_tol=1e-12)
    for v in leaves:
        v.grad = 0.0
    root.backward()  # interior nodes start again from zero: exactly the first pass, bit for bit
    assert [v.grad for v in leaves] == first


# ----------------------------------------------------------------------
# The compiled replay against the eager engine on every operation of the
# table, at domain edges, with labels that are not Python names.
# ----------------------------------------------------------------------

EVERY_OP = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
    "square": lambda a, b: a**2,
    "cube": lambda a, b: a**3,
    "root": lambda a, b: a**0.5,
    "inverse": lambda a, b: a**-1,
    "zeroth": lambda a, b: a**0,
    "neg": lambda a, b: -a,
    "exp": lambda a, b: a.exp(),
    "log": lambda a, b: a.log(),
    "sqrt": lambda a, b: a.sqrt(),
    "tanh": lambda a, b: a.tanh(),
    "sigmoid": lambda a, b: a.sigmoid(),
    "relu": lambda a, b: a.relu(),
    "abs": lambda a, b: abs(a),
    "sin": lambda a, b: a.sin(),
    "cos": lambda a, b: a.cos(),
    "minus_one_times": lambda a, b: a * -1.0,
    "sum3": lambda a, b: sum_values([a, b, -0.0, a]),
}
EDGE_VALUES = [0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, 1e-300, -1e-300, 1e-160, 700.0, 1e200]
ODD_LABELS = ["x", "ｘ", "len", "ValueError", "ｅｘｐ", "exp", "v0", "d_v1", "a b", "x\n#", "", "inf"]
any_program = st.lists(
    st.tuples(st.sampled_from(sorted(EVERY_OP)), st.integers(0, 10**6), st.integers(0, 10**6)), min_size=1, max_size=8
)
edge_inputs = st.lists(st.one_of(st.sampled_from(EDGE_VALUES), st.floats(-3.0, 3.0)), min_size=1, max_size=3)


def run_every_op(program, leaves):
    """The program's steps, each free to reuse any earlier node; the root sums them all (all are in its graph)."""
    pool = list(leaves)
    for name, i, j in program:
        pool.append(EVERY_OP[name](pool[i % len(pool)], pool[j % len(pool)]))
    return sum_values(pool[len(leaves) :])


def eager_or_error(program, xs, labels):
    """(value, grads) of a fresh eager pass, or (error class, message: it names the labels of the leaves)."""
    try:
        leaves = [Value(x, label) for x, label in zip(xs, labels)]
        root = run_every_op(program, leaves)
        root.backward()
    except (ArithmeticError, ValueError) as error:
        return type(error), str(error)
    return repr((root.data, tuple(v.grad for v in leaves), ()))


@settings(max_examples=2000, deadline=None)
@given(any_program, edge_inputs, st.data())
def test_replay_equals_eager_on_every_op_bit_for_bit_or_fails_alike(program, xs, data):
    labels = data.draw(st.lists(st.sampled_from(ODD_LABELS), min_size=len(xs), max_size=len(xs)))
    leaves = [Value(x, label) for x, label in zip(xs, labels)]
    try:
        root = run_every_op(program, leaves)
    except (ArithmeticError, ValueError):
        assume(False)  # nothing to trace
    replay = compile_graph(root, inputs=leaves)
    new_xs = data.draw(
        st.lists(st.one_of(st.sampled_from(EDGE_VALUES), st.floats(-3.0, 3.0)), min_size=len(xs), max_size=len(xs))
    )
    for point in (xs, new_xs):
        expected = eager_or_error(program, point, labels)
        try:
            got = repr(replay(point))
        except (ArithmeticError, ValueError) as error:
            got = (type(error), str(error))
        assert got == expected
