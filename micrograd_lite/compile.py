"""Compiled replay: trace a graph once, then re-run forward and backward as plain Python.

The eager engine builds a new graph of Value objects on every forward pass.
When the *shape* of the computation does not change (the same network, new
numbers), that work can be done once: :func:`compile_graph` walks a traced
graph and writes one line of Python per node for the forward pass, and one
line per edge for the backward pass, each local derivative written out from
the table of operations (:mod:`micrograd_lite.ops`) -- much like the course's
own list of steps, which the comments show in the graph's labels. The result
is compiled once (and cached), and called with new leaf values.

>>> from micrograd_lite import Value
>>> x, w = Value(0.5, "x"), Value(-3.0, "w")
>>> y = (x * w).tanh()
>>> replay = compile_graph(y, inputs=[x], params=[w])
>>> value, (d_x,), (d_w,) = replay([0.5], [-3.0])
>>> y.backward(); (value, d_x, d_w) == (y.data, x.grad, w.grad)
True

The replay equals the eager engine bit for bit, sign of zero included, and
fails as it does: when a step meets a domain error (``log`` of a negative
number, a division by zero, an overflow) or a result that is not a finite
float, the replay runs the same graph on the eager engine, which raises the
engine's own error -- or, where the engine gives ``inf`` or ``nan`` too,
returns the same numbers. (Pass floats: ints take that slower, exact path.)

What tracing cannot capture: Python control flow on ``.data``. ``if x.data > 0:``
or a loop whose length depends on a value runs once, while tracing, and the
compiled code always takes the branch that was taken then. ``relu`` and
``abs`` are fine: their branch is part of the operation, not of your code.
A leaf that is not an input or a param is a constant, written into the code;
so is a ``detach()``-ed value, which has no history to replay.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence

from .engine import Value, depending_on, sum_values, topological_order
from .ops import NAMESPACE, OPS, atom, literal, substitute

_CACHE: dict[tuple, Callable] = {}  # graph structure -> its compiled replay
CACHE_SIZE = 256
_BINARY = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "**": operator.pow}


def compile_graph(root: Value, inputs: Sequence[Value] = (), params: Sequence[Value] = ()) -> Callable:
    """Trace ``root``'s graph into a function ``replay(inputs, params) -> (value, input_grads, param_grads)``.

    The gradients are those of one call alone (nothing accumulates), in the
    order of ``inputs`` and ``params``; ``replay.source`` is the generated code.

    ``inputs`` and ``params`` are leaves whose values change between calls;
    every other leaf is a constant, written into the code. Gradients are
    computed for inputs and params (both), and only along paths that reach them.
    """
    inputs, params = list(inputs), list(params)
    order = topological_order(root)
    in_graph = {id(n) for n in order}
    for leaf in inputs + params:
        if leaf.children:
            raise ValueError(f"compile: inputs and params must be leaves, but {leaf!r} is the result of {leaf.op!r}")
    unused = [v for v in inputs + params if id(v) not in in_graph]  # their gradient is 0.0
    order += unused
    key = _structure(order, root, inputs, params)
    if key not in _CACHE:
        if len(_CACHE) >= CACHE_SIZE:
            del _CACHE[next(iter(_CACHE))]  # forget the oldest
        _CACHE[key] = _load(_generate(root, order, inputs, params), key)
    return _CACHE[key]


def _structure(order: list[Value], root: Value, inputs: list[Value], params: list[Value]) -> tuple:
    """What the generated code depends on: ops, wiring, labels, constants and which leaves vary.

    Two traces with the same structure (the same network, other numbers in its
    inputs and params) share one compiled function. It is also all the eager
    engine needs to build the same graph again (see :func:`_run_eagerly`).
    """
    position = {id(node): i for i, node in enumerate(order)}
    variables = {id(v) for v in inputs + params}
    nodes = tuple(
        (node.op.name, node.op.exponent, tuple(position[id(c)] for c in node.children), node.label)
        if node.children
        else ("", None, None if id(node) in variables else repr(node.data), node.label)
        for node in order
    )
    return nodes, position[id(root)], tuple(position[id(v)] for v in inputs), tuple(position[id(v)] for v in params)


def _load(source: str, structure: tuple) -> Callable:
    """The ``replay`` function defined by generated source, with the eager engine as its fallback."""

    def run_eagerly(inputs, params):
        return _run_eagerly(structure, inputs, params)

    namespace = dict(NAMESPACE, inf=math.inf, nan=math.nan, run_eagerly=run_eagerly)
    exec(compile(source, "<micrograd_lite.compile>", "exec"), namespace)  # our own source, never user text
    replay = namespace["replay"]
    replay.source = source
    return replay


def _run_eagerly(structure: tuple, inputs: Sequence[float], params: Sequence[float]) -> tuple:
    """The replay's answer computed by the eager engine: its exact numbers, or its exact error."""
    nodes, root_at, input_at, param_at = structure
    given = dict(zip(input_at + param_at, [*inputs, *params]))
    values: list[Value] = []
    for i, (name, exponent, wiring, label) in enumerate(nodes):
        if not name:  # a leaf: a variable, or a constant written as its repr
            values.append(Value(given[i] if wiring is None else float(wiring), label))
        else:
            values.append(_apply(name, exponent, [values[c] for c in wiring]))
    root = values[root_at]
    root.backward()
    return root.data, tuple(values[i].grad for i in input_at), tuple(values[i].grad for i in param_at)


def _apply(name: str, exponent: float | None, operands: list[Value]) -> Value:
    """Operation ``name`` done by the eager engine: its method, or its operator."""
    op = OPS[name]
    if name == "pown":
        return operands[0] ** exponent
    if op.arity is None:
        return sum_values(operands)
    if op.arity == 2:
        return _BINARY[op.symbol](*operands)
    if name == "neg":
        return -operands[0]
    return getattr(operands[0], name)()


def _generate(root: Value, order: list[Value], inputs: list[Value], params: list[Value]) -> str:
    """The source of ``replay``: one line per node forward, one per edge backward."""
    names = _names(order, inputs + params)
    needed = depending_on(order, inputs + params)  # nodes whose gradient leads to an input or a param

    def name(node: Value) -> str:
        return names[id(node)]

    lines = ["def replay(inputs=(), params=()):"]
    if inputs or params:  # unpacking checks the counts; the message says what was expected
        lines.append("    try:")
        lines += [
            f"        {_tuple(map(name, group))} = {text}"
            for group, text in ((inputs, "inputs"), (params, "params"))
            if group
        ]
        lines.append("    except ValueError:")
        expected = f"compiled graph takes {len(inputs)} inputs and {len(params)} params"
        lines.append(f'        raise ValueError(f"{expected}, got {{len(inputs)}} and {{len(params)}}") from None')
    lines += [f"    # {name(v)} is {_shown(v.label)}" for v in inputs + params if v.label]
    variables = {id(v) for v in inputs + params}
    lines.append("    try:")
    lines.append("        # forward: one line per node")
    local_texts: dict[int, list[str]] = {}  # each node's local derivatives, written in names
    for node in order:
        if not node.children:
            if node.label and id(node) not in variables:
                lines.append(f"        {name(node)} = {literal(node.data)}  # {_shown(node.label)}, a constant")
            continue
        operands = _operands(node, name)
        forward = _forward(node, operands)
        if node.label or any(child.label for child in node.children):  # the course's equation, in its labels
            comment = _forward(node, _operands(node, lambda n: _shown(n.label) if n.label else name(n)))
            forward += f"  # {_shown(node.label) if node.label else name(node)} = {comment}"
        lines.append(f"        {name(node)} = {forward}")
        derivatives = node.op.derivatives * (len(node.children) if node.op.arity is None else 1)
        local_texts[id(node)] = [substitute(code, operands) for code in derivatives]
    lines.append(f"        # backward: d{name(root)}/d(node), the chain rule from the result back to the leaves")
    grad_of: dict[int, str] = {}  # where each node's gradient is so far: a variable, another's, or a number
    checked = [name(root)]  # the results that must be finite floats, else the engine takes over
    if id(root) in needed:
        grad_of[id(root)] = "1.0"
    for node in reversed(order):
        if not node.children or id(node) not in needed:
            continue
        for child, local in zip(node.children, local_texts[id(node)]):
            if id(child) not in needed:  # not computed; but the engine refuses a local derivative that overflows
                if not (local.isidentifier() or _number(local) is not None):
                    checked.append(f"({local})")
                continue
            term = _times(local, grad_of[id(node)])
            target, previous = f"d_{name(child)}", grad_of.get(id(child))
            if previous is None and (term.isidentifier() or _number(term) is not None):
                grad_of[id(child)] = term  # d_child would only copy it: no line
                continue
            if previous is None:
                lines.append(f"        {target} = {term}")
            elif previous == target:
                lines.append(f"        {target} += {term}")
            else:
                lines.append(f"        {target} = {previous} + {term}")
            grad_of[id(child)] = target
    # The engine adds every gradient to a 0.0, so it never ends as -0.0: neither may the replay.
    input_grads, param_grads = (
        _tuple(_plus_zero(grad_of.get(id(v), "0.0")) for v in group) for group in (inputs, params)
    )
    checked += [grad_of[id(v)] for v in inputs + params if id(v) in grad_of]
    lines.append(f"        check = {' + '.join(checked)}")
    lines.append("    except (ArithmeticError, ValueError, TypeError):  # a domain error: the engine says which")
    lines.append("        return run_eagerly(inputs, params)")
    lines.append("    if type(check) is not float or check - check != 0.0:  # inf, nan or complex on the way")
    lines.append("        return run_eagerly(inputs, params)")
    lines.append(f"    return {name(root)}, {input_grads}, {param_grads}")
    return "\n".join(lines) + "\n"


def _forward(node: Value, operands: dict[str, str]) -> str:
    if node.op.arity is None:  # a sum of any number of terms
        return " + ".join(operands[f"c{i}"] for i in range(len(node.children)))
    return substitute(node.op.forward, operands)


def _operands(node: Value, name: Callable[[Value], str]) -> dict[str, str]:
    """The names the table's code uses (a, b, out, n, and c0, c1, ... for a sum), bound to this node's."""
    children = [name(c) for c in node.children]
    operands = {f"c{i}": atom(child) for i, child in enumerate(children)}
    operands.update(a=children[0], out=name(node))
    if len(children) > 1:
        operands["b"] = children[1]
    return operands


def _shown(label: str) -> str:
    """A label as it may appear in a comment: itself, or its repr when it holds odd characters."""
    return label if label.isprintable() and label.strip() == label and label else repr(label)


def _tuple(names) -> str:
    names = list(names)
    return f"({names[0]},)" if len(names) == 1 else f"({', '.join(names)})"


def _plus_zero(grad: str) -> str:
    """``0.0 + grad``: done now for a number, written out for a variable."""
    number = _number(grad)
    if number is not None:
        return literal(0.0 + number)
    return f"(0.0 + {grad})"


def _times(local: str, grad: str) -> str:
    """``local * grad`` as the engine computes it, written as simply as exactness allows.

    Multiplying by 1.0 or -1.0 is exact, and so is a product of two numbers
    done here instead of at run time: the result is bit for bit the same.
    The local derivative is one whole expression: it is always in parentheses.
    """
    if grad == "1.0":
        return local if local.isidentifier() or _number(local) is not None else f"({local})"
    if local == "1.0":
        return grad
    if local == "-1.0":
        return f"-{grad}"
    if _number(local) is not None and _number(grad) is not None:
        return literal(_number(local) * _number(grad))
    return f"{atom(local)} * {grad}"


def _number(text: str) -> float | None:
    """The number a literal such as ``2.0`` or ``(-1.5)`` stands for, else None."""
    inner = text[1:-1] if text.startswith("(") and text.endswith(")") else text
    if inner.lstrip("-").isidentifier():  # inf and nan are names in the generated code
        return None
    try:
        return float(inner)
    except ValueError:
        return None


def _names(order: list[Value], variables: list[Value]) -> dict[int, str]:
    """A Python name for every node: v<i>, never its label (labels go into comments only).

    Unlabelled constants (leaves that are not variables) are written as numbers.
    """
    is_variable = {id(v) for v in variables}
    return {
        id(node): literal(node.data)
        if not node.children and id(node) not in is_variable and not node.label
        else f"v{i}"
        for i, node in enumerate(order)
    }
