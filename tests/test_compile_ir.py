"""The compile IR: a graph recorded once as statements, and the printers that write them as code."""

import ast
import math
from pathlib import Path

import numpy as np
import pytest

from micrograd_lite import MLP, Value, ops
from micrograd_lite.compile import compile_graph
from micrograd_lite.compile.arrays import batch_source
from micrograd_lite.compile.ir import Gradient, Local, Operation, record
from micrograd_lite.compile.python import replay_source, sgd_step_source
from micrograd_lite.engine import topological_order

PACKAGE = Path(__file__).resolve().parent.parent / "micrograd_lite" / "compile"


def small_program():
    """y = tanh(x·w) + x, x an input and w a param: dy/dx = w(1 − tanh²) + 1, dy/dw = x(1 − tanh²)."""
    x, w = Value(0.5, "x"), Value(-3.0, "w")
    y = (x * w).tanh() + x
    return record(y, topological_order(y), [x], [w])


def closed_form(x: float, w: float) -> tuple[float, float, float]:
    t = math.tanh(x * w)
    return t + x, w * (1.0 - t * t) + 1.0, x * (1.0 - t * t)


def run(source: str, name: str, namespace: dict):
    exec(compile(source, "<test>", "exec"), namespace)
    return namespace[name]


def test_a_small_graph_is_one_statement_per_node_and_one_per_edge():
    program = small_program()
    forward = [s for s in program.statements if isinstance(s, Operation)]
    backward = [s for s in program.statements if isinstance(s, Gradient)]
    assert [(s.target, s.op, s.operands) for s in forward] == [
        ("v2", ops.MUL, ("v0", "v1")),
        ("v3", ops.TANH, ("v2",)),
        ("v4", ops.ADD, ("v3", "v0")),
    ]
    assert forward[0].comment == "v2 = x * w"  # the course's equation, in the labels
    # backward: dy/dv3 = 1 and dy/dv2 would only copy numbers or names: no statement; one per edge otherwise
    assert [(g.target, g.local, g.upstream, g.previous) for g in backward] == [
        ("d_v2", Local(forward[1], 0), "1.0", None),
        ("d_v0", Local(forward[0], 0), "d_v2", "1.0"),  # x's gradient: 1.0 from the sum, plus w·d_v2
        ("d_v1", Local(forward[0], 1), "d_v2", None),
    ]
    assert (program.inputs, program.params, program.result) == (("v0",), ("v1",), "v4")
    assert (program.input_grads, program.param_grads) == (("d_v0",), ("d_v1",))
    assert backward[0].local.code() == "1.0 - v3 * v3" and backward[1].term() == "v1 * d_v2"


def test_the_scalar_printer_writes_the_replay_and_the_sgd_step():
    program = small_program()
    source = replay_source(program)
    assert "        v2 = v0 * v1  # v2 = x * w\n        v3 = tanh(v2)\n" in source
    assert "        d_v0 = 1.0 + v1 * d_v2\n" in source
    replay = run(source, "replay", dict(ops.NAMESPACE, run_eagerly=None))
    for x, w in [(0.5, -3.0), (-1.25, 0.75)]:
        value, (d_x,), (d_w,) = replay([x], [w])
        assert [value, d_x, d_w] == pytest.approx(closed_form(x, w), rel=1e-15)
    values = [-3.0]
    namespace = dict(ops.NAMESPACE, param_values=values, step_eagerly=None, learning_rate=None)
    step = run(sgd_step_source(program), "sgd_step", namespace)
    value, _, d_w = closed_form(0.5, -3.0)
    assert step([0.5], 0.1) == pytest.approx(value, rel=1e-15)
    assert values == pytest.approx([-3.0 - 0.1 * d_w], rel=1e-15)


def test_the_array_printer_writes_the_batch():
    source = batch_source(small_program())
    assert "d_v1 = product_sum(v0, d_v2)" in source  # w's gradient, summed as it is made
    assert "del v2" in source and "+=" not in source
    batch = run(source, "batch", dict(ops.numpy_namespace(np), every=np.all))
    xs = np.array([0.5, -1.25, 2.0])
    value, (d_x,), (d_w,), check = batch([xs], [-3.0])
    expected = [closed_form(x, -3.0) for x in xs]
    assert value.tolist() == pytest.approx([e[0] for e in expected], rel=1e-14)
    assert d_x.tolist() == pytest.approx([e[1] for e in expected], rel=1e-14)
    assert float(d_w[0]) == pytest.approx(sum(e[2] for e in expected), rel=1e-14)


def test_the_array_printer_writes_powers_checks_and_sums_for_arrays():
    x, w = Value(2.0, "x"), Value(1.5, "w")
    y = (x * w).log() + x ** w + x * x
    source = batch_source(record(y, topological_order(y), [x], [w]))
    code = "\n".join(line.split("#")[0] for line in source.splitlines())
    assert "power(" in code and " ** " not in code  # the C library's pow, as Python's **
    assert "if not every(" in source  # a domain check holds at every point, or the chunk goes point by point
    assert "d_v0 = d_v0 + " in source  # never d += t: an array may be shared


def test_a_gradient_shared_by_an_input_and_a_param_is_not_summed_in_place():
    """tanh(3(x + b)): x's and b's gradients are one name, d_v2 = 3.0 * d_v3; summed in place, x's would be the sum."""
    x, b = Value(0.5, "x"), Value(2.0, "b")
    y = ((x + b) * 3.0).tanh()
    program = record(y, topological_order(y), [x], [b])
    assert program.input_grads == program.param_grads == ("d_v2",)
    assert "product_sum" not in batch_source(program)
    points = [0.5, -1.0, 0.1]
    _, (d_x,), (d_b,) = compile_graph(y, inputs=[x], params=[b]).batch([points], [-0.25])
    slopes = [3.0 * (1.0 - math.tanh(3.0 * (p - 0.25)) ** 2) for p in points]
    assert d_x.tolist() == pytest.approx(slopes, rel=1e-14) and d_b == pytest.approx(sum(slopes), rel=1e-14)


def test_no_generated_text_is_parsed(monkeypatch):
    """The printers write code from the statements; the only text ever parsed is the ops table's own."""
    assert not any("import ast" in path.read_text() for path in PACKAGE.glob("*.py"))
    rows = {text for op in ops.OPS.values() for text in (op.forward, *op.derivatives, *(c.holds for c in op.checks))}
    parsed = []
    real_parse = ast.parse

    def parse(source, *args, **kwargs):
        parsed.append(source)
        return real_parse(source, *args, **kwargs)

    monkeypatch.setattr(ast, "parse", parse)
    ops.for_arrays.cache_clear()
    model = MLP(2, [3, 1], activation="tanh", seed=11)  # a structure no other test compiles
    x1, x2 = Value(0.0, "ir_x1"), Value(0.0, "ir_x2")
    y = (model([x1, x2]) + 2.0).log() + (x1 * 1.5) ** 3
    replay = compile_graph(y, inputs=[x1, x2], params=model.parameters())
    weights = [p.data for p in model.parameters()]
    replay([0.3, 0.4], weights)
    replay.sgd_step([0.3, 0.4], 0.01)
    replay.batch([[0.3, 0.5], [0.4, 0.2]], weights)
    assert parsed and all(text in rows or text.startswith("a ** ") or "* a **" in text for text in parsed), parsed
    assert not any("def " in text or "\n" in text for text in parsed)


def test_a_layer_is_found_on_the_statements_as_a_matrix_product():
    """What issue 22's fusion pass needs: a layer's products grouped by input, its sums as the rows, its backward."""
    model = MLP(2, [3, 1], activation="relu", seed=0)
    x1, x2 = Value(0.0, "x1"), Value(0.0, "x2")
    y = model([x1, x2])
    program = record(y, topological_order(y), [x1, x2], model.parameters())
    params = set(program.params)
    by_input: dict[str, list[Operation]] = {name: [] for name in program.inputs}
    for statement in program.statements:
        if isinstance(statement, Operation) and statement.op is ops.MUL and statement.operands[1] in by_input:
            by_input[statement.operands[1]].append(statement)
    weights = [[product.operands[0] for product in by_input[x]] for x in program.inputs]  # W1's columns
    assert [len(column) for column in weights] == [3, 3] and params >= {w for column in weights for w in column}
    products = {product.target for column in by_input.values() for product in column}
    operations = [s for s in program.statements if isinstance(s, Operation)]
    sums = [s for s in operations if s.op is ops.ADD and products & set(s.operands)]
    assert len(sums) == 3 and all(len(products & set(s.operands)) == 2 for s in sums)  # W1 @ x: a row per neuron
    grouped = {id(product) for column in by_input.values() for product in column}
    backward = [g for g in program.statements if isinstance(g, Gradient) and id(g.local.node) in grouped]
    assert {g.target for g in backward} == {f"d_{w}" for column in weights for w in column} | set(program.input_grads)
