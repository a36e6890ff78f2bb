"""One notation: a node has the same name in the backward log, the pictures and the stepper page."""

import re
import shutil
import sys
import warnings

import pytest

from micrograd_lite import Value, course, stepper, viz
from micrograd_lite.backward_log import LOG_COLUMNS, log_backward, log_rows
from micrograd_lite.cli import main
from micrograd_lite.engine import topological_order
from micrograd_lite.notation import Namer, format_number, grad_text, is_constant, table_text

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")


def picture_names(source: str) -> set[str]:
    """The first field of every value's record in DOT text: its name."""
    return {m.group(1) for m in re.finditer(r'label="\{ ([^|]*?) \|', source)}


def test_the_log_names_a_node_as_the_picture_does():
    # The log wrote (w5 · a_h1) where the picture wrote w5 · a_h1.
    x, w, b = Value(0.5, "x"), Value(-3.0, "w"), Value(2.0, "b")
    root = (x * w + b).tanh() * (x * w)
    root.label = "f"
    rows = log_backward(root)
    shown = picture_names(viz.dot_source(root, name_intermediates=True))
    assert {row.node for row in rows} | {row.child for row in rows} <= shown
    assert "x · w" in {row.child for row in rows}


@needs_dot
def test_the_stepper_writes_a_name_in_parentheses_inside_its_formulas():
    x, w = Value(0.5, "x"), Value(-3.0, "w")
    root = (x * w).tanh()
    root.label = "f"
    page = stepper.build_stepper(root)
    assert page.turns[0].sends[0].formula.startswith("∂f/∂(x · w) = ∂f/∂f · ∂f/∂(x · w)")
    assert page.turns[1].title == "x · w"
    with pytest.warns(DeprecationWarning, match="Stepper.log"):
        assert page.steps is page.log


def test_a_name_keeps_its_parentheses_inside_a_formula_only():
    x = Value(2.0, "x")
    root = (x * -3.0) ** 2 / -3.0
    name = Namer(root)
    constant = root.children[1]
    square = root.children[0]
    assert (name(constant), name.shown(constant)) == ("(-3)", "-3")
    assert (name(square), name.shown(square)) == ("((x · (-3))**2)", "(x · (-3))**2")
    assert name.expression(root) == "((x · (-3))**2) / (-3)"  # every operand parses one way


@needs_dot
def test_one_sort_and_one_namer_for_a_stepper_page(monkeypatch):
    # Building a page sorted the graph four times (explain, stepper, viz, trace) and built two namers.
    sorts, namers = [], []
    original_sort, original_init = topological_order, Namer.__init__

    def counted_sort(*args, **kwargs):
        sorts.append(1)
        return original_sort(*args, **kwargs)

    def counted_init(self, *args, **kwargs):
        namers.append(1)
        original_init(self, *args, **kwargs)

    for name, module in list(sys.modules.items()):
        if name.startswith("micrograd_lite") and getattr(module, "topological_order", None) is original_sort:
            monkeypatch.setattr(module, "topological_order", counted_sort)
    monkeypatch.setattr(Namer, "__init__", counted_init)
    stepper.build_stepper(course.build_network()["E_total"])
    assert (len(sorts), len(namers)) == (1, 1)


@needs_dot
def test_the_picture_of_a_stepper_page_never_writes_grad(monkeypatch):
    # The stepper overwrote every grad with its widest text for a moment, so the layout was wide enough.
    root = course.build_network()["E_total"]
    written = []
    original = viz.dot_source

    def watching(*args, **kwargs):
        before = {id(node): node.grad for node in topological_order(root)}
        source = original(*args, **kwargs)
        written.extend(n for n in topological_order(root) if n.grad != before[id(n)])
        assert kwargs.get("grad_texts"), "the stepper gives the texts of its boxes"
        return source

    monkeypatch.setattr(stepper, "dot_source", watching)
    page = stepper.build_stepper(root)
    drawn = [node for node in topological_order(root) if not is_constant(node)]  # constants are folded in
    assert written == [] and page.svg.count(">grad ") == len(drawn)


def test_grad_texts_replace_the_numbers_in_the_boxes():
    x = Value(2.0, "x")
    y = x * 3.0
    y.label = "y"
    source = viz.dot_source(y, grad_texts={id(x): "grad 12345", id(y): "grad -0.5", id(y.children[1]): "grad 7"})
    assert "grad 12345" in source and "grad -0.5" in source and "grad 7" in source and "grad 0" not in source


def test_numbers_and_tables():
    assert grad_text(-0.000123456) == "grad -0.0001235" and format_number(float("inf")) == "inf"
    assert table_text(["a", "bb"], [["10", "2"]]).splitlines() == [" a  bb", "--  --", "10   2"]
    rows = log_rows(log_backward(Value(2.0, "x") * 3.0), digits=3)
    assert LOG_COLUMNS[0] == "turn" and rows[0][0] == "1"


def test_old_names_warn_and_still_work(capsys):
    from micrograd_lite import backward_log, expr, ops, trace

    with pytest.warns(DeprecationWarning, match="log_backward"):
        assert trace.trace_backward is backward_log.log_backward
    with pytest.warns(DeprecationWarning, match="LogRow"):
        assert trace.Step is backward_log.LogRow
    with pytest.warns(DeprecationWarning, match="heaviside"):
        assert ops.step is ops.heaviside
    with pytest.warns(DeprecationWarning, match="heaviside"):
        assert expr.parse_expression("step(x) * x", {"x": 2.0}).data == 2.0
    rows = backward_log.log_backward(Value(2.0, "x") * 3.0)
    with pytest.warns(DeprecationWarning, match="LogRow.turn"):
        assert rows[0].index == rows[0].turn == 1
    with pytest.raises(AttributeError):
        trace.no_such_name  # noqa: B018
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new names warn about nothing
        assert main(["explain", "--expr", "x*3", "x=2", "--backward-log"]) in (0, None)
    new = capsys.readouterr().out
    assert main(["explain", "--expr", "x*3", "x=2", "--trace"]) in (0, None)
    assert capsys.readouterr().out == new and "turn" in new
