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
