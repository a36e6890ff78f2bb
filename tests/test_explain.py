"""Derivations evaluate to backward()'s gradients and reproduce the seeds' formulas."""

import math

import pytest
from hypothesis import given

from micrograd_lite import Value, course
from micrograd_lite.cli import main
from micrograd_lite.explain import derive, evaluate

from .test_properties import inputs, programs, run

SEED_FORMULAS = {
    "w1": "((a_o1 − t1) · a_o1 · (1 − a_o1) · w5 + (a_o2 − t2) · a_o2 · (1 − a_o2) · w7) · a_h1 · (1 − a_h1) · i1",
    "w3": "((a_o1 − t1) · a_o1 · (1 − a_o1) · w6 + (a_o2 − t2) · a_o2 · (1 − a_o2) · w8) · a_h2 · (1 − a_h2) · i1",
    "w5": "(a_o1 − t1) · a_o1 · (1 − a_o1) · a_h1",
    "w8": "(a_o2 − t2) · a_o2 · (1 − a_o2) · a_h2",
}


def trained_network(epoch=7):
    weights = {w: course.train(0.5, epoch + 1)[-1][w] for w in course.WEIGHT_NAMES}
    net = course.build_network(weights)
    net["E_total"].backward()
    return net


def test_sheet_derivations_reproduce_the_seeds_formulas():
    net = trained_network()
    for w, formula in SEED_FORMULAS.items():
        assert derive(net["E_total"], net[w]).expanded == formula
    chain = derive(net["E_total"], net["w5"]).chain
    assert chain == "∂E_total/∂E1 · ∂E1/∂a_o1 · ∂a_o1/∂o1 · ∂o1/∂w5"


@pytest.mark.parametrize("w", course.WEIGHT_NAMES)
def test_every_weights_formula_evaluates_to_backward(w):
    net = trained_network()
    d = derive(net["E_total"], net[w])
    assert math.isclose(evaluate(d, net["E_total"]), net[w].grad, rel_tol=1e-12)
    assert d.latex().startswith("$$\\frac{\\partial E_{total}}{\\partial w")


@given(programs, inputs)
def test_random_graph_derivations_evaluate_to_backward(program, xs):
    leaves = [Value(x, f"x{i}") for i, x in enumerate(xs)]
    root = run(program, leaves)
    root.backward()
    for leaf in leaves:
        value = evaluate(derive(root, leaf), root)
        assert math.isclose(value, leaf.grad, rel_tol=1e-9, abs_tol=1e-12)


def test_cli_explain(capsys):
    assert main(["explain", "--wrt", "w5"]) == 0
    assert SEED_FORMULAS["w5"] in capsys.readouterr().out
    assert main(["explain"]) == 0
    out = capsys.readouterr().out
    assert all(f"∂E_total/∂{w} =" in out for w in course.WEIGHT_NAMES)
    assert main(["explain", "--wrt", "nope"]) == 2


# ----------------------------------------------------------------------
# Issue 12: derivations of relu and abs evaluate; many paths stay small.
# ----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["relu", "abs", "sin", "cos", "sqrt", "log", "exp", "tanh", "sigmoid"])
def test_every_function_derivation_evaluates(method):  # relu and abs failed: step/sign were unknown
    x, w = Value(0.7, "x"), Value(-1.5, "w")
    y = getattr(x * 3, method)() * w
    y.label = "y"
    y.backward()
    d = derive(y, x)
    assert math.isclose(evaluate(d, y), x.grad, rel_tol=1e-15)


def test_a_graph_of_19_values_with_262144_paths_is_written_in_a_few_lines():
    x = Value(0.999, "x")
    y = x
    for _ in range(18):
        y = y * y  # every step doubles the paths from y to x
    y.label = "y"
    y.backward()
    d = derive(y, x)
    assert d.paths == 2**18 and "262,144 paths" in d.chain
    assert len(d.text().splitlines()) < 40 and len(d.text()) < 2000
    assert math.isclose(evaluate(d, y), x.grad, rel_tol=1e-12)


def test_a_graph_past_the_size_limit_points_to_the_trace(capsys):
    from micrograd_lite.explain import SIZE_LIMIT

    x = Value(0.5, "x")
    y = x
    for _ in range(SIZE_LIMIT):
        y = y * 1.0
    with pytest.raises(ValueError, match="--backward-log"):
        derive(y, x)
    assert main(["explain", "--expr", "+".join(["x"] * 50), "x=1", "--wrt", "x"]) == 0  # well under the limit


def test_explain_expr_does_not_begin_with_an_empty_chain(capsys):
    assert main(["explain", "--expr", "sin(x) * x", "x=0.5", "--wrt", "x"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("∂f/∂x = ") and first != "∂f/∂x = ∂f/∂x"
    assert "cos(x)" in first


@pytest.mark.parametrize("label", ["a b", "ｘ", "len", "n1", "exp", "x.y", "δ1"])
def test_derivations_with_labels_that_are_not_python_names_evaluate(label):
    x, z = Value(0.5, label), Value(2.0, "x")  # "ｘ" and "x" are one name to Python (NFKC)
    y = (x * z).sin() * x + (x + z) * (x * x * x * x * x * x * x * x * x)  # long enough for a generated name
    y.label = "y"
    y.backward()
    for leaf in (x, z):
        assert math.isclose(evaluate(derive(y, leaf), y), leaf.grad, rel_tol=1e-12)


def test_a_derivation_without_a_chain_to_show_is_one_line():
    x = Value(2.0, "x")
    assert derive(x, x).text() == "∂x/∂x = 1"
    assert derive(x * 2, Value(1.0, "z")).text() == "∂(x · 2)/∂z = 0"
    assert derive(x.detach() * x, x).text() == "∂(2 · x)/∂x = 2"  # the detached x is a constant


@pytest.mark.parametrize(
    ("text", "wrt", "uses"),
    [("tanh(x*w + b)", "x", "(1 − f**2) · w"), ("exp(x*y)", "x", "f · y"), ("sigmoid(x*w)", "w", "f · (1 − f) · x")],
)
def test_a_formula_using_the_result_says_what_the_result_is(capsys, text, wrt, uses):
    """Issue 19: `explain --expr "tanh(x*w + b)" --wrt x` printed (1 − f**2) · w without saying what f is."""
    from micrograd_lite.expr import parse_expression

    values = {"x": 0.5, "w": -3.0, "b": 2.0, "y": 0.7}
    assert main(["explain", "--expr", text, *(f"{k}={v}" for k, v in values.items() if k in text), "--wrt", wrt]) == 0
    out = capsys.readouterr().out
    assert f"∂f/∂{wrt} = {uses}\n" in out
    (definition,) = [line.split(" = ", 1)[1] for line in out.splitlines() if line.startswith("  where f = ")]
    # the definition, parsed on its own, computes the expression's value
    used = {k: v for k, v in values.items() if k in text}
    assert parse_expression(definition.replace("·", "*"), used).data == parse_expression(text, used).data


def test_no_definition_when_the_formula_does_not_use_the_result(capsys):
    assert main(["explain", "--expr", "exp(x*y) + x", "x=1", "y=2", "--wrt", "x"]) == 0
    assert "where" not in capsys.readouterr().out
    net = course.build_network()
    net["E_total"].backward()
    assert "where" not in derive(net["E_total"], net["w5"]).text()  # the course's own names need none


def test_a_generated_result_name_is_defined_once():
    x, w, b = Value(0.3, "x"), Value(2.0, "w"), Value(0.1, "b")
    y = ((x * w + b) * (x + w) * (b + x)) / ((w * w + x) * (x + b + w) * (b * b + w))  # unlabelled: named n3
    text = derive(y, b).text()
    names = [line.split(" = ")[0] for line in text.splitlines() if line.startswith("  where ")]
    assert "  where n3" in names and len(names) == len(set(names))


def test_evaluate_needs_a_derivation_that_names_its_nodes():
    from micrograd_lite.explain import Derivation

    x = Value(2.0, "x")
    with pytest.raises(ValueError, match="derive"):
        evaluate(Derivation("f", "x", []), x * x)
