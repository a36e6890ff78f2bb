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
from collections.abc import Sequence

from .engine import Value, sigmoid, topological_order

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

_CODE_CACHE: dict[str, object] = {}


def _rule(node: Value) -> tuple[str, tuple[str, ...]]:
    op = node.op
    if op == "-" and len(node.children) == 1:
        return RULES["neg"]
    if op.startswith("**") and len(node.children) == 1:  # a number exponent, e.g. "**2"
        n = float(op[2:])
        local = f"{n!r} * {{a}} ** {n - 1.0!r}" if n != 0.0 else "0.0"
        return f"{{a}} ** {n!r}", (local,)
    if op not in RULES:
        raise ValueError(f"compile: no rule for operation {op!r}")
    return RULES[op]


class CompiledGraph:
    """A traced graph as a Python function: ``value, input_grads, param_grads = g(inputs, params)``.

    The gradients are those of this call alone (nothing accumulates), in the
    order of the ``inputs`` and ``params`` given to :func:`compile_graph`.
    ``source`` is the generated code.
    """

    def __init__(self, source: str, n_inputs: int, n_params: int) -> None:
        self.source = source
        self.n_inputs, self.n_params = n_inputs, n_params
        code = _CODE_CACHE.get(source)
        if code is None:
            code = _CODE_CACHE[source] = compile(source, "<micrograd_lite.compile>", "exec")
        namespace = dict(NAMESPACE, inf=math.inf, nan=math.nan)
        exec(code, namespace)  # our own generated source, never user text
        self._replay = namespace["replay"]

    def __call__(self, inputs: Sequence[float] = (), params: Sequence[float] = ()):
        if len(inputs) != self.n_inputs or len(params) != self.n_params:
            raise ValueError(
                f"compiled graph takes {self.n_inputs} inputs and {self.n_params} params, "
                f"got {len(inputs)} and {len(params)}"
            )
        return self._replay(inputs, params)


def compile_graph(root: Value, inputs: Sequence[Value] = (), params: Sequence[Value] = ()) -> CompiledGraph:
    """Trace ``root``'s graph into a :class:`CompiledGraph`.

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
    names = _names(order + unused, inputs + params)
    wanted = {id(v) for v in inputs + params}
    needed = set(wanted)  # nodes whose gradient leads to an input or a param
    for node in order:
        if any(id(c) in needed for c in node.children):
            needed.add(id(node))

    def name(node: Value) -> str:
        return names[id(node)]

    lines = ["def replay(inputs, params):"]
    if inputs:
        lines.append(f"    {_tuple(map(name, inputs))} = inputs")
    if params:
        lines.append(f"    {_tuple(map(name, params))} = params")
    variables = {id(v) for v in inputs + params}
    lines.append("    # forward: one line per node")
    for node in order:
        if not node.children and node.label and id(node) not in variables:
            lines.append(f"    {name(node)} = {_literal(node.data)}  # a constant")
        elif node.children:
            forward, _ = _rule(node)
            lines.append(f"    {name(node)} = {forward.format(**_operands(node, name))}")
    lines.append(f"    # backward: d{name(root)}/d(node), the chain rule from {name(root)} back to the leaves")
    assigned = set()
    if id(root) in needed:
        lines.append(f"    d_{name(root)} = 1.0")
        assigned.add(id(root))
    for node in reversed(order):
        if not node.children or id(node) not in needed:
            continue
        _, locals_ = _rule(node)
        operands = _operands(node, name)
        for child, local in zip(node.children, locals_):
            if id(child) not in needed:
                continue
            term = _times(local.format(**operands), f"d_{name(node)}")
            target = f"d_{name(child)}"
            if id(child) in assigned:
                lines.append(f"    {target} += {term}")
            else:
                lines.append(f"    {target} = {term}")
                assigned.add(id(child))
    for leaf in inputs + params:
        if id(leaf) not in assigned:
            lines.append(f"    d_{name(leaf)} = 0.0  # does not reach {name(root)}")
            assigned.add(id(leaf))
    input_grads, param_grads = (_tuple(f"d_{name(v)}" for v in group) for group in (inputs, params))
    lines.append(f"    return {name(root)}, {input_grads}, {param_grads}")
    return CompiledGraph("\n".join(lines) + "\n", len(inputs), len(params))


def _operands(node: Value, name) -> dict[str, str]:
    children = [name(c) for c in node.children]
    return {"a": children[0], "b": children[1] if len(children) > 1 else "", "out": name(node)}


def _tuple(names) -> str:
    names = list(names)
    return f"({names[0]},)" if len(names) == 1 else f"({', '.join(names)})"


def _times(local: str, grad: str) -> str:
    """``local * grad`` as the engine computes it; ×1 and ×(−1) are exact, so shown plainly."""
    if local == "1.0":
        return grad
    if local == "-1.0":
        return f"-{grad}"
    if any(ch in local for ch in " +-/") and not local.startswith("("):
        local = f"({local})"
    return f"{local} * {grad}"


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
