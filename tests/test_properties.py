"""Hypothesis property tests: random expression graphs, checked with gradcheck."""

import math

from hypothesis import given
from hypothesis import strategies as st

from micrograd_lite import Value, gradcheck, sum_values

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
