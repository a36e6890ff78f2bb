"""The one backward walk: engine.backward_walk is the chain rule that the log, the stepper and higher reuse."""

import ast
import math
from pathlib import Path

import pytest
from hypothesis import given

import micrograd_lite
from micrograd_lite import Value, course, grad
from micrograd_lite.backward_log import log_backward
from micrograd_lite.engine import backward_walk, topological_order

from .helpers import central_difference
from .test_properties import inputs, programs, run

PACKAGE = Path(micrograd_lite.__file__).parent


def functions_that(test, tree: ast.AST) -> set[str]:
    """The names of the functions of ``tree`` in which ``test(node)`` holds for some node."""
    found = set()
    for function in ast.walk(tree):
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if any(test(node) for node in ast.walk(function)):
                found.add(function.name)
    return found


def reads_local_grads(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "local_grads" and isinstance(node.ctx, ast.Load)


def adds_to_grad(node: ast.AST) -> bool:
    return isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Attribute) and node.target.attr == "grad"


def test_the_chain_rule_is_written_once_outside_backward():
    # Issue 20: backward's loop was written four times (engine, higher, trace, the stepper's sums).
    readers, adders = {}, {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        name = path.relative_to(PACKAGE).as_posix()
        for function in functions_that(reads_local_grads, tree):
            readers.setdefault(function, []).append(name)
        for function in functions_that(adds_to_grad, tree):
            adders.setdefault(function, []).append(name)
    assert readers == {"backward": ["core/engine.py"], "backward_walk": ["core/engine.py"]}
    assert adders == {"backward": ["core/engine.py"]}


@given(programs, inputs)
def test_the_walk_gives_backwards_gradients_bit_for_bit(program, xs):
    leaves = [Value(x) for x in xs]
    root = run(program, leaves)
    gradients = {id(root): 1.0}
    terms = list(backward_walk(topological_order(root, include_leaves=False), gradients))
    root.backward()
    assert [gradients.get(id(leaf), 0.0) for leaf in leaves] == [leaf.grad for leaf in leaves]
    assert all(node.children[operand] is child for node, child, _, _, operand in terms)
    assert all(local == node.local_grads[operand] for node, _, local, _, operand in terms)


def test_the_walk_matches_finite_differences_on_the_course_network():
    net = course.build_network()
    root = net["E_total"]
    gradients = {id(root): 1.0}
    for _ in backward_walk(topological_order(root, include_leaves=False), gradients):
        pass
    for w in course.WEIGHT_NAMES:

        def loss(value: float, w: str = w) -> float:
            return course.build_network({**course.WEIGHTS, w: value})["E_total"].data

        assert gradients[id(net[w])] == pytest.approx(central_difference(loss, net[w].data), rel=1e-6)


def test_a_node_with_no_gradient_sends_nothing_even_through_an_infinite_local_derivative():
    # The trace multiplied 0 by the infinite d(1/x)/dx and logged nan into x's grad, where backward passes
    # nothing on (a node whose gradient is 0) and leaves x.grad at 0.
    x = Value(1e-200, "x")
    y = (x**-1.0) * 0.0 + x
    rows = log_backward(y)
    assert x.grad == 1.0 and not any(math.isnan(row.product) for row in rows)
    assert [row.product for row in rows if row.node == "x**-1"] == [0.0]
    y.backward()
    assert x.grad == 2.0  # the log's pass, then backward's: the same 1.0 each


def test_higher_keeps_a_term_whose_number_is_zero():
    # d(x**2)/dx = 2x is 0 at x = 0, but its derivative is 2: the walk yields the term, and higher builds it.
    x = Value(0.0, "x")
    (first,) = grad(x**2 + x**3, [x], create_graph=True)
    assert first.data == 0.0
    assert grad(first, [x])[0].data == 2.0
