"""Compiled replay: trace a graph once, then re-run forward and backward as plain Python.

The eager engine builds a new graph of Value objects on every forward pass.
When the *shape* of the computation does not change (the same network, new
numbers), that work can be done once: :func:`compile_graph` walks a traced
graph and writes one line of Python per node for the forward pass, and one
line per edge for the backward pass, with each local derivative written out --
much like the course's own list of steps. The result is compiled once (and
cached), and called with new leaf values.

>>> from micrograd_lite import Value
>>> x, w = Value(0.5, "x"), Value(-3.0, "w")
>>> y = (x * w).tanh()
>>> replay = compile_graph(y, inputs=[x], params=[w])
>>> value, (d_x,), (d_w,) = replay([0.5], [-3.0])
>>> y.backward(); (value, d_x, d_w) == (y.data, x.grad, w.grad)
True

What tracing cannot capture: Python control flow on ``.data``. ``if x.data > 0:``
or a loop whose length depends on a value runs once, while tracing, and the
compiled code always takes the branch that was taken then. ``relu`` and
``abs`` are fine: their branch is part of the operation, not of your code.
The same for errors: the replay computes with plain floats, so ``log`` of a
negative number raises Python's own ``math domain error``.
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Callable, Sequence

from .engine import Value, depending_on, sigmoid, topological_order

# op -> (forward expression, local derivative of each child), over the names
# {a} and {b} of the children and {out} of the result. They are the engine's
# own formulas, written as text, so a replay equals the eager pass bit for bit.
RULES = {
    "+": ("{a} + {b}", ("1.0", "1.0")),
    "-": ("{a} - {b}", ("1.0", "-1.0")),
    "neg": ("-{a}", ("-1.0",)),
    "*": ("{a} * {b}", ("{b}", "{a}")),
    "/": ("{a} / {b}", ("1.0 / {b}", "-{a} / ({b} * {b})")),
    "**": (
        "{a} ** {b}",
        ("({b} * {a} ** ({b} - 1.0) if {b} != 0.0 else 0.0)", "({out} * log({a}) if {a} > 0.0 else 0.0)"),
    ),
    "exp": ("exp({a})", ("{out}",)),
    "log": ("log({a})", ("1.0 / {a}",)),
    "sqrt": ("sqrt({a})", ("0.5 / {out}",)),
    "tanh": ("tanh({a})", ("1.0 - {out} * {out}",)),
    "sigmoid": ("sigmoid({a})", ("{out} * (1.0 - {out})",)),
    "relu": ("({a} if {a} > 0.0 else 0.0)", ("(1.0 if {a} > 0.0 else 0.0)",)),
    "abs": ("abs({a})", ("(1.0 if {a} > 0.0 else -1.0 if {a} < 0.0 else 0.0)",)),
}
NAMESPACE = {"exp": math.exp, "log": math.log, "sqrt": math.sqrt, "tanh": math.tanh, "sigmoid": sigmoid}
RESERVED = set(NAMESPACE) | {"abs", "inf", "nan", "inputs", "params", "replay"}

_CACHE: dict[tuple, Callable] = {}  # graph structure -> its compiled replay
CACHE_SIZE = 256


def _rule(node: Value) -> tuple[str, tuple[str, ...]]:
    op = node.op
    if op == "-" and len(node.children) == 1:
        return RULES["neg"]
    if op.startswith("**") and len(node.children) == 1:  # a number exponent, e.g. "**2"
        n = float(op[2:])
        power = "{a}" if n - 1.0 == 1.0 else f"{{a}} ** {n - 1.0!r}"  # the engine's _power(a, 1.0) is a
        local = f"{n!r} * {power}" if n != 0.0 else "0.0"
        return f"{{a}} ** {n!r}", (local,)
    if op == "+" and len(node.children) > 2:  # a sum of many terms (sum_values)
        n = len(node.children)
        return " + ".join(f"{{c{i}}}" for i in range(n)), ("1.0",) * n
    if op not in RULES:
        raise ValueError(f"compile: no rule for operation {op!r}")
    return RULES[op]


def _load(source: str):
    """The ``replay`` function defined by generated source."""
    namespace = dict(NAMESPACE, inf=math.inf, nan=math.nan)
    exec(compile(source, "<micrograd_lite.compile>", "exec"), namespace)  # our own source, never user text
    replay = namespace["replay"]
    replay.source = source
    return replay


def _structure(order: list[Value], inputs: list[Value], params: list[Value]) -> tuple:
    """What the generated code depends on: ops, wiring, labels, constants and which leaves vary.

    Two traces with the same structure (the same network, other numbers in its
    inputs and params) share one compiled function.
    """
    position = {id(node): i for i, node in enumerate(order)}
    variables = {id(v) for v in inputs + params}
    nodes = tuple(
        (node.op, tuple(position[id(c)] for c in node.children), node.label)
        if node.children
        else ("", node.label, None if id(node) in variables else repr(node.data))
        for node in order
    )
    return nodes, tuple(position[id(v)] for v in inputs), tuple(position[id(v)] for v in params)


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
    key = _structure(order, inputs, params)
    if key not in _CACHE:
        if len(_CACHE) >= CACHE_SIZE:
            del _CACHE[next(iter(_CACHE))]  # forget the oldest
        _CACHE[key] = _load(_generate(root, order, inputs, params))
    return _CACHE[key]


def _generate(root: Value, order: list[Value], inputs: list[Value], params: list[Value]) -> str:
    """The source of ``replay``: one line per node forward, one per edge backward."""
    names = _names(order, inputs + params)
    variables = {id(v) for v in inputs + params}
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
    local_texts: dict[int, list[str]] = {}  # each node's local derivatives, written in names
    lines.append("    # forward: one line per node")
    for node in order:
        if not node.children and node.label and id(node) not in variables:
            lines.append(f"    {name(node)} = {_literal(node.data)}  # a constant")
        elif node.children:
            forward, locals_ = _rule(node)
            operands = _operands(node, name)
            lines.append(f"    {name(node)} = {forward.format(**operands)}")
            local_texts[id(node)] = [local.format(**operands) for local in locals_]
    lines.append(f"    # backward: d{name(root)}/d(node), the chain rule from {name(root)} back to the leaves")
    grad_of: dict[int, str] = {}  # where each node's gradient is so far: a variable, another's, or a number
    if id(root) in needed:
        grad_of[id(root)] = "1.0"
    for node in reversed(order):
        if not node.children or id(node) not in needed:
            continue
        for child, local in zip(node.children, local_texts[id(node)]):
            if id(child) not in needed:
                continue
            term = _times(local, grad_of[id(node)])
            target, previous = f"d_{name(child)}", grad_of.get(id(child))
            if previous is None and _is_plain(term):
                grad_of[id(child)] = term  # d_child would only copy it: no line
                continue
            if previous is None:
                lines.append(f"    {target} = {term}")
            elif previous == target:
                lines.append(f"    {target} += {term}")
            else:
                lines.append(f"    {target} = {previous} + {term}")
            grad_of[id(child)] = target
    input_grads, param_grads = (_tuple(grad_of.get(id(v), "0.0") for v in group) for group in (inputs, params))
    lines.append(f"    return {name(root)}, {input_grads}, {param_grads}")
    return "\n".join(lines) + "\n"


def _operands(node: Value, name) -> dict[str, str]:
    children = [name(c) for c in node.children]
    operands = {f"c{i}": child for i, child in enumerate(children)}
    return {"a": children[0], "b": children[1] if len(children) > 1 else "", "out": name(node), **operands}


def _tuple(names) -> str:
    names = list(names)
    return f"({names[0]},)" if len(names) == 1 else f"({', '.join(names)})"


def _times(local: str, grad: str) -> str:
    """``local * grad`` as the engine computes it, written as simply as exactness allows.

    Multiplying by 1.0 or -1.0 is exact, and so is a product of two numbers
    done here instead of at run time: the result is bit for bit the same.
    """
    if grad == "1.0":
        return local
    if local == "1.0":
        return grad
    if local == "-1.0":
        return f"-{grad}"
    if _number(local) is not None and _number(grad) is not None:
        return _literal(_number(local) * _number(grad))
    if any(ch in local for ch in " +-/") and not local.startswith("("):
        local = f"({local})"
    return f"{local} * {grad}"


def _number(text: str) -> float | None:
    try:
        return float(text.strip("()"))
    except ValueError:
        return None


def _is_plain(term: str) -> bool:
    """A name or a number: something a new variable would only copy."""
    return term.isidentifier() or _number(term) is not None


def _literal(x: float) -> str:
    """A constant, exactly (repr round-trips), in parentheses when negative."""
    text = repr(x)
    return f"({text})" if text.startswith("-") else text


def _names(order: list[Value], variables: list[Value]) -> dict[int, str]:
    """A Python name for every node: its label when that is a fresh identifier, else v<i>.

    Unlabelled constants (leaves that are not variables) are written as numbers.
    """
    is_variable = {id(v) for v in variables}
    names: dict[int, str] = {}
    taken = set(RESERVED)
    for i, node in enumerate(order):
        if not node.children and id(node) not in is_variable and not node.label:
            names[id(node)] = _literal(node.data)
            continue
        label = node.label
        fresh = label.isidentifier() and not keyword.iskeyword(label) and label not in taken
        if fresh and not label.startswith("d_") and not re.fullmatch(r"v\d+", label):
            names[id(node)] = label
        else:
            names[id(node)] = f"v{i}"
        taken.add(names[id(node)])
    return names
