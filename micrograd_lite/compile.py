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
returns the same numbers. Pass floats, as the engine stores them: a result
that is not a float (all-int inputs) takes the slower, exact path, but ints
mixed with floats are computed as Python ints, which may differ from the
engine in the sign of a zero (``-0`` is ``0``) and past 2**53.

What tracing cannot capture: Python control flow on ``.data``. ``if x.data > 0:``
or a loop whose length depends on a value runs once, while tracing, and the
compiled code always takes the branch that was taken then. ``relu`` and
``abs`` are fine: their branch is part of the operation, not of your code.
A leaf that is not an input or a param is a constant, written into the code;
so is a ``detach()``-ed value, which has no history to replay.
"""

from __future__ import annotations

import ast
import math
import operator
import types
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, Optional, Protocol, TypeGuard, Union, cast

from .engine import Value, depending_on, sum_values, topological_order, value_list
from .nn import learning_rate
from .ops import NAMESPACE, OPS, atom, literal, numpy_namespace, row, substitute
from .util import optional_import

if TYPE_CHECKING:  # NumPy is optional: only the batch replay needs it
    from numpy.typing import ArrayLike

    from .ops import Array

    BatchResult = tuple[Array, tuple[Array, ...], tuple[float, ...]]  # values, input gradients, param gradients
    # One chunk's numbers: values, input gradients (an array per input), param gradients (per param, an array
    # or one number for every point), and the check (None when the replay did the chunk point by point).
    Chunk = tuple[Array, Iterable[Array], Iterable[Union[Array, float]], Optional[Array]]  # noqa: UP007, UP045

Gradients = tuple[float, ...]
Result = tuple[float, Gradients, Gradients]  # value, input gradients, param gradients
# A node of a graph's structure: its op's name and exponent, its children's positions (a leaf: None for an
# input or a param, a constant's repr), its label.
Node = tuple[str, Optional[float], Union[tuple[int, ...], str, None], str]  # noqa: UP007, UP045 (runtime aliases)
Structure = tuple[tuple[Node, ...], int, tuple[int, ...], tuple[int, ...]]  # nodes, root's, inputs', params' positions


class Step(Protocol):
    """``replay.step(inputs, lr) -> value``: forward, backward and the update of the params, in one call."""

    def __call__(self, inputs: Sequence[float] = (), lr: float = 0.0) -> float: ...


class Replay(Protocol):
    """What :func:`compile_graph` returns: ``replay(inputs, params) -> (value, input_grads, param_grads)``."""

    source: str  # the generated code
    param_values: list[float]  # the params as step updates them
    step: Step
    write_back: Callable[[], None]  # param_values into the params' Values
    batch: Callable[[Sequence[ArrayLike], Sequence[float]], BatchResult]

    def __call__(self, inputs: Sequence[float] = (), params: Sequence[float] = ()) -> Result: ...


class _Compiled(Protocol):
    """The replay function of one structure, shared by every trace of it (:func:`_bind` gives each its state)."""

    __code__: types.CodeType
    __globals__: dict[str, Any]  # what exec gave it: NAMESPACE and run_eagerly
    __name__: str
    __defaults__: tuple[object, ...] | None
    source: str
    step_source: str
    step_code: types.CodeType

    def __call__(self, inputs: Sequence[float] = (), params: Sequence[float] = ()) -> Result: ...


class _Batch(Protocol):
    """The batch code of one structure over NumPy arrays: None where a domain check fails."""

    source: str

    def __call__(self, inputs: list[Array], params: list[float]) -> Chunk | None: ...


_CACHE: dict[Structure, _Compiled] = {}  # graph structure -> its compiled replay
CACHE_SIZE = 256
_BINARY: dict[str, Callable[[Value, Value], Value]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
}


def compile_graph(root: Value, inputs: Sequence[Value] = (), params: Sequence[Value] = ()) -> Replay:
    """Trace ``root``'s graph into a function ``replay(inputs, params) -> (value, input_grads, param_grads)``.

    The gradients are those of one call alone (nothing accumulates), in the
    order of ``inputs`` and ``params``; ``replay.source`` is the generated code.

    ``inputs`` and ``params`` are leaves whose values change between calls;
    every other leaf is a constant, written into the code. Gradients are
    computed for inputs and params (both), and only along paths that reach them.

    The replay also trains. ``replay.step(inputs, lr)`` runs forward, backward
    and the update ``p - lr * dp`` in one generated function and returns the
    output from before the update; the params' values live in
    ``replay.param_values`` until ``replay.write_back()`` copies them into the
    Values. ``replay.batch(input_columns, params)`` runs the same code over N
    points with NumPy (see :func:`_batch`).

    >>> w = Value(2.0, "w")
    >>> replay = compile_graph((w - 5.0) ** 2, params=[w])
    >>> replay.step((), 0.25), replay.param_values   # d/dw = 2(w - 5) = -6
    (9.0, [3.5])
    >>> replay.write_back(); w.data
    3.5
    >>> x = Value(0.0, "x")
    >>> values, (d_x,), (d_w,) = compile_graph(x * w, inputs=[x], params=[w]).batch([[1.0, 2.0, 3.0]], [0.5])
    >>> values.tolist(), d_x.tolist(), d_w    # d_w summed over the three points
    ([0.5, 1.0, 1.5], [0.5, 0.5, 0.5], 6.0)
    """
    if not isinstance(root, Value):
        raise TypeError(f"compile_graph: root must be a Value, got {type(root).__name__}: {root!r:.40}")
    inputs, params = value_list(inputs, "compile_graph"), value_list(params, "compile_graph", "params")
    _refuse_repeats(inputs, params)
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
        if params:  # the training step: the same code, framed to update the params (see _bind)
            _CACHE[key].step_source = _generate(root, order, inputs, params, "step")
            _CACHE[key].step_code = compile(_CACHE[key].step_source, "<micrograd_lite.compile step>", "exec")
    return _bind(_CACHE[key], key, inputs, params, root, order)


def _refuse_repeats(inputs: list[Value], params: list[Value]) -> None:
    """Each leaf may be given once: as two params it would be updated twice, as input and param both ways."""
    seen: dict[int, str] = {}
    for group, values in (("inputs", inputs), ("params", params)):
        for i, v in enumerate(values):
            where = f"{group}[{i}]"
            if id(v) in seen:
                twice = f"{v!r} is given twice, as {seen[id(v)]} and {where}"
                raise ValueError(f"compile_graph: {twice}; give each leaf once")
            seen[id(v)] = where


def _structure(order: list[Value], root: Value, inputs: list[Value], params: list[Value]) -> Structure:
    """What the generated code depends on: ops, wiring, labels, constants and which leaves vary.

    Two traces with the same structure (the same network, other numbers in its
    inputs and params) share one compiled function. It is also all the eager
    engine needs to build the same graph again (see :func:`_run_eagerly`).
    """
    position = {id(node): i for i, node in enumerate(order)}
    variables = {id(v) for v in inputs + params}
    nodes = tuple(
        (row(node.op).name, row(node.op).exponent, tuple(position[id(c)] for c in node.children), node.label)
        if node.children
        else ("", None, None if id(node) in variables else repr(node.data), node.label)
        for node in order
    )
    return nodes, position[id(root)], tuple(position[id(v)] for v in inputs), tuple(position[id(v)] for v in params)


def _load(source: str, structure: Structure) -> _Compiled:
    """The ``replay`` function defined by generated source, with the eager engine as its fallback."""

    def run_eagerly(inputs: Sequence[float], params: Sequence[float]) -> Result:
        return _run_eagerly(structure, inputs, params)

    namespace: dict[str, Any] = dict(NAMESPACE, run_eagerly=run_eagerly)  # what the generated code sees
    exec(compile(source, "<micrograd_lite.compile>", "exec"), namespace)  # our own source, never user text
    replay: _Compiled = namespace["replay"]
    replay.source = source
    return replay


def _run_eagerly(structure: Structure, inputs: Sequence[float], params: Sequence[float]) -> Result:
    """The replay's answer computed by the eager engine: its exact numbers, or its exact error."""
    nodes, root_at, input_at, param_at = structure
    given = dict(zip(input_at + param_at, [*inputs, *params]))
    values: list[Value] = []
    for i, (name, exponent, wiring, label) in enumerate(nodes):
        if not isinstance(wiring, tuple):  # a leaf (no op name): a variable, or a constant written as its repr
            values.append(Value(given[i] if wiring is None else float(wiring), label))
        else:
            values.append(_apply(name, exponent, [values[c] for c in wiring]))
    root = values[root_at]
    root.backward()
    return root.data, tuple(values[i].grad for i in input_at), tuple(values[i].grad for i in param_at)


def _apply(name: str, exponent: float | None, operands: list[Value]) -> Value:
    """Operation ``name`` done by the eager engine: its method, or its operator."""
    op = OPS[name]
    if exponent is not None:  # pown, the only op with an exponent
        return operands[0] ** exponent
    if op.arity is None:
        return sum_values(operands)
    if op.arity == 2:
        return _BINARY[op.symbol](*operands)
    if name == "neg":
        return -operands[0]
    result: Value = getattr(operands[0], name)()  # the method of that name: tanh, exp, ...
    return result


def _generate(root: Value, order: list[Value], inputs: list[Value], params: list[Value], frame: str = "replay") -> str:
    """The source of ``replay``: one line per node forward, one per edge backward.

    The same lines, framed otherwise, make ``step`` (the parameters come from
    the list ``param_values``, which it updates) and ``batch`` (no fallback
    and no final check: it returns ``check`` for the caller, see :func:`_batch`).
    """
    names = _names(order, inputs + params)
    needed = depending_on(order, inputs + params)  # nodes whose gradient leads to an input or a param

    def name(node: Value) -> str:
        return names[id(node)]

    lines = [f"def {_FRAMES[frame]}:"]
    if frame == "step":
        lines += _step_head([name(v) for v in inputs], _tuple(map(name, params)))
    elif frame == "batch":  # the caller has checked the counts
        groups = ((inputs, "inputs"), (params, "params"))
        lines += [f"    {_tuple(map(name, group))} = {text}" for group, text in groups if group]
    elif inputs or params:  # unpacking checks the counts; the message says what was expected
        lines += _refuse_dicts("inputs", "params")
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
    hidden: list[str] = []  # operands whose nan the result would hide (relu(nan) is 0.0): the check must see them
    for node in order:
        if not node.children:
            if node.label and id(node) not in variables:
                lines.append(f"        {name(node)} = {literal(node.data)}  # {_shown(node.label)}, a constant")
            continue
        op = row(node.op)
        operands = _operands(node, name)
        forward = _forward(node, operands)
        if node.label or any(child.label for child in node.children):  # the course's equation, in its labels
            comment = _forward(node, _operands(node, lambda n: _shown(n.label) if n.label else name(n)))
            forward += f"  # {_shown(node.label) if node.label else name(node)} = {comment}"
        lines.append(f"        {name(node)} = {forward}")
        if op.name in _MAY_HIDE_A_NAN or op.exponent == 0.0:
            hidden += [name(child) for child in node.children if child.children]
        if op.checks:  # outside the domain the engine raises its own error
            holds = " and ".join(atom(substitute(check.holds, operands)) for check in op.checks)
            lines.append(f"        if not {atom(holds)}:")
            lines.append(f"            return {_FALLBACKS[frame]}")
        derivatives = op.derivatives * (len(node.children) if op.arity is None else 1)
        local_texts[id(node)] = [substitute(code, operands) for code in derivatives]
    lines.append(f"        # backward: d{name(root)}/d(node), the chain rule from the result back to the leaves")
    grad_of: dict[int, str] = {}  # where each node's gradient is so far: a variable, another's, or a number
    # What must be a float and finite, else the engine takes over and raises its error or gives its numbers:
    # the result, the steep derivatives, the gradients returned (an infinite gradient, a float32 input, or
    # the nan of an infinite derivative times 0 shows there), and step's inputs (it refuses nan and inf).
    checked = [name(root), *hidden, *(name(v) for v in inputs if frame == "step")]
    if id(root) in needed:
        grad_of[id(root)] = "1.0"
    for node in reversed(order):
        if not node.children or id(node) not in needed:
            continue
        steep = row(node.op).steep
        for child, local in zip(node.children, local_texts[id(node)]):
            if steep:  # the engine refuses a local derivative that overflows
                checked.append(atom(local))
            if id(child) not in needed:
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
    checked += sorted({grad_of[id(v)] for v in inputs + params if id(v) in grad_of} - {*checked, "1.0"})
    total = " + ".join(checked) if len(checked) <= 32 else f"sum(({', '.join(checked)},))"  # no deep nesting
    lines.append(f"        check = {total}")
    if frame == "step":  # SGD.step's arithmetic; a bad lr fails here too, and the fallback names it
        updated = (f"{name(p)} - lr * {_plus_zero(grad_of.get(id(p), '0.0'))}" for p in params)
        lines.append(f"        updated = {_tuple(updated)}")
    fallback = _FALLBACKS[frame]
    lines.append("    except (ArithmeticError, ValueError, TypeError):  # a domain error: the engine says which")
    lines.append(f"        return {fallback}")
    if frame == "batch":  # each param's gradients: the caller sums them, from 0.0
        param_grads = _tuple(grad_of.get(id(v), "0.0") for v in params) if params else "()"
        lines.append(f"    return {name(root)}, {input_grads}, {param_grads}, check")
        return "\n".join(lines) + "\n"
    lines.append("    if type(check) is not float or check - check != 0.0:  # not a float, or inf or nan on the way")
    lines.append(f"        return {fallback}")
    if frame == "step":
        lines.append("    param_values[:] = updated")
        lines.append(f"    return {name(root)}")
    else:
        lines.append(f"    return {name(root)}, {input_grads}, {param_grads}")
    return "\n".join(lines) + "\n"


def _forward(node: Value, operands: dict[str, str]) -> str:
    op = row(node.op)
    if op.arity is None and len(node.children) > 2:  # sum_values: as the engine adds, with sum()
        rest = ", ".join(operands[f"c{i}"] for i in range(1, len(node.children)))
        return f"sum(({rest},), {operands['c0']})"
    return substitute(op.forward, operands)


def _operands(node: Value, name: Callable[[Value], str]) -> dict[str, str]:
    """The names the table's code uses (a, b, out, n, and c0, c1, ... for a sum), bound to this node's."""
    children = [name(c) for c in node.children]
    operands = {f"c{i}": atom(child) for i, child in enumerate(children)}
    operands.update(a=children[0], out=name(node))
    if len(children) > 1:
        operands["b"] = children[1]
    exponent = row(node.op).exponent
    if exponent is not None:  # a power's domain checks name its exponent
        operands["n"] = literal(exponent)
    return operands


def _shown(label: str) -> str:
    """A label as it may appear in a comment: itself, or its repr when it holds odd characters."""
    return label if label.isprintable() and label.strip() == label and label else repr(label)


def _tuple(names: Iterable[str]) -> str:
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
    local_number, grad_number = _number(local), _number(grad)
    if local_number is not None and grad_number is not None:
        return literal(local_number * grad_number)
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


# ----------------------------------------------------------------------
# Compiled training: a whole SGD step, and a whole batch of points.
# ----------------------------------------------------------------------

# The operations whose result can be a number when an operand is nan (relu(nan) is 0.0, 1.0 ** nan and
# nan ** 0.0 are 1.0, and so is x ** 0): a nan made on the way (inf - inf), which the engine refuses,
# would pass unseen.
_MAY_HIDE_A_NAN = {"relu", "pow"}

_FRAMES = {  # the signature of each function that _generate writes
    "replay": "replay(inputs=(), params=())",
    "step": "step(inputs=(), lr=0.0)",
    "batch": "batch(inputs, params)",
}
_FALLBACKS = {  # what each of them does on a domain error: the engine takes over (batch: its caller)
    "replay": "run_eagerly(inputs, params)",
    "step": "step_eagerly(inputs, lr)",
    "batch": "None",
}
_BATCH_CACHE: dict[Structure, _Batch] = {}  # graph structure -> its batch function over NumPy arrays
BATCH_CHUNK = 2048
"""Points per pass of the batch code: its arrays stay small and memory stays bounded, whatever N."""


def _step_head(inputs: list[str], params: str) -> list[str]:
    """The start of ``step``: check the learning rate, unpack the inputs (checking their count, and that
    each is a float: anything else goes to the engine, which converts or refuses it) and the param values."""
    lines = [
        "    if type(lr) is not float or not 0.0 < lr < inf:  # a usual lr skips the call to the rule",
        '        lr = learning_rate(lr, "step")',
    ]
    if inputs:
        lines += _refuse_dicts("inputs")
        lines += ["    try:", f"        {_tuple(inputs)} = inputs", "    except ValueError:"]
        expected = f"compiled graph takes {len(inputs)} inputs"
        lines.append(f'        raise ValueError(f"{expected}, got {{len(inputs)}}") from None')
        not_floats = " or ".join(f"type({name}) is not float" for name in inputs)
        lines += [f"    if {not_floats}:", "        return step_eagerly(inputs, lr)"]
    return lines + [f"    {params} = param_values"]


def _refuse_dicts(*groups: str) -> list[str]:
    """Generated lines refusing a dict where a sequence of numbers belongs: unpacking it would take its keys."""
    test = " or ".join(f"isinstance({group}, dict)" for group in groups)
    message = f"compiled graph: {' and '.join(groups)} are sequences of numbers, in the order given to compile_graph"
    return [f"    if {test}:", f'        raise TypeError("{message}, not dicts")']


def _bind(
    shared: _Compiled, key: Structure, inputs: list[Value], params: list[Value], root: Value, order: list[Value]
) -> Replay:
    """The replay handed out for one trace: the shared compiled code, with training state of its own.

    ``param_values`` (a list, updated in place by ``step``) starts from the
    params' values; two traces of the same structure share code, never state.
    """
    function = types.FunctionType(shared.__code__, shared.__globals__, shared.__name__, shared.__defaults__)
    replay = cast(Replay, function)  # its attributes are set below
    replay.source = shared.source
    replay.param_values = values = [p.data for p in params]
    run_eagerly: Callable[[Sequence[float], Sequence[float]], Result] = shared.__globals__["run_eagerly"]

    def step_eagerly(inputs: Sequence[float], lr: float) -> float:
        """The engine's step where the fast code met a domain error, a non-finite number or an input not a float."""
        lr = learning_rate(lr, "step")
        inputs = _finite_numbers(inputs, "step: input")
        value, _, grads = run_eagerly(inputs, values)  # raises the engine's error: the values stay as they were
        values[:] = [v - lr * g for v, g in zip(values, grads)]
        return value

    if params:
        namespace = dict(shared.__globals__, param_values=values, step_eagerly=step_eagerly)
        namespace["learning_rate"] = learning_rate
        exec(shared.step_code, namespace)
        replay.step = step = namespace["step"]
        step.source = shared.step_source
    else:
        replay.step = _no_params

    def write_back() -> None:
        """Copy ``param_values`` into the parameter Values (``p.data``)."""
        for p, v in zip(params, values):
            p.data = v

    traced = (key, root, order, inputs, params)

    def batch(input_columns: Sequence[ArrayLike], params: Sequence[float]) -> BatchResult:
        """See :func:`_batch`."""
        return _batch(replay, _batch_function(*traced), input_columns, params, len(inputs), len(values))

    replay.write_back, replay.batch = write_back, batch
    return replay


def _no_params(inputs: Sequence[float] = (), lr: float = 0.0) -> NoReturn:
    raise ValueError("step: this graph was compiled without params, so there is nothing to update")


def _for_arrays(source: str) -> ast.Module:
    """Generated scalar code made right for NumPy arrays, with the same numbers.

    ``a ** b`` becomes ``power(a, b)`` (NumPy's ``**`` is not the C library's
    ``pow``), and ``d += t`` becomes ``d = d + t`` (``+=`` would write into an
    array that another name may share). A domain check ``if not (c1 and c2):``
    becomes ``if not every(c1 & c2):``, true when it holds at every point. The
    walk is a loop, not a recursion: a sum of hundreds of terms is a deep tree.
    """
    tree = ast.parse(source)
    spots: list[tuple[ast.AST, str, int | None, ast.AST]] = []  # (parent, field, index in a list or None, node)
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            for index, node in enumerate(value) if isinstance(value, list) else [(None, value)]:
                if isinstance(node, (ast.AugAssign, ast.BoolOp, ast.If)) or _is_power(node):
                    spots.append((parent, field, index, node))
    for parent, field, index, node in reversed(spots):  # children first: a parent takes its rewritten operands
        new: ast.AST
        if isinstance(node, ast.AugAssign):
            assert isinstance(node.target, ast.Name)  # d += t: the generated code augments names only
            total = ast.BinOp(ast.Name(node.target.id, ast.Load()), node.op, node.value)
            new = ast.Assign(targets=[ast.Name(node.target.id, ast.Store())], value=total, lineno=node.lineno)
        elif isinstance(node, ast.BoolOp):  # element by element: & and | on arrays of True and False
            bit = ast.BitAnd() if isinstance(node.op, ast.And) else ast.BitOr()
            combined = node.values[0]
            for value in node.values[1:]:
                combined = ast.BinOp(combined, bit, value)
            new = combined
        elif isinstance(node, ast.If):  # if not <check>: the check must hold at every point
            assert isinstance(node.test, ast.UnaryOp)
            node.test.operand = ast.Call(ast.Name("every", ast.Load()), [node.test.operand], [])
            new = node
        else:
            assert isinstance(node, ast.BinOp)  # a ** b
            new = ast.Call(func=ast.Name("power", ast.Load()), args=[node.left, node.right], keywords=[])
        if index is None:
            setattr(parent, field, new)
        else:
            getattr(parent, field)[index] = new
    function = tree.body[0]
    assert isinstance(function, ast.FunctionDef)
    _sum_products(function)
    _free_early(function)
    return ast.fix_missing_locations(tree)


def _sum_products(function: ast.FunctionDef) -> None:
    """A param's gradient that is one product, ``d_w = x * g``, summed as it is made: ``product_sum(x, g)``.

    The batch returns the sum over the points for the params anyway; one
    ``np.dot`` does the product and the sum in one pass, without an array in
    between (the order of the additions is BLAS's, see docs/performance.md).
    """
    body = next(statement for statement in function.body if isinstance(statement, ast.Try)).body
    returned = function.body[-1]
    assert isinstance(returned, ast.Return) and isinstance(returned.value, ast.Tuple)
    grads = returned.value.elts[2]  # return value, input grads, param grads, check
    assert isinstance(grads, ast.Tuple)
    params = {node.id for node in grads.elts if isinstance(node, ast.Name)}
    read = {node.id for statement in body for node in ast.walk(statement) if _is_read(node)}
    assigned: dict[str, list[ast.Assign]] = {}
    for statement in body:
        if not isinstance(statement, ast.Assign):
            continue
        for target in statement.targets:
            if isinstance(target, ast.Name) and target.id in params - read:  # a name of its own, read by nothing else
                assigned.setdefault(target.id, []).append(statement)
    for statements in assigned.values():
        value = statements[0].value
        if len(statements) == 1 and isinstance(value, ast.BinOp) and isinstance(value.op, ast.Mult):
            statements[0].value = ast.Call(ast.Name("product_sum", ast.Load()), [value.left, value.right], [])


def _free_early(function: ast.FunctionDef) -> None:
    """``del`` each array after the last line that reads it, so that few are alive at once.

    A network's pass has thousands of intermediate arrays; kept to the end they
    fill memory and push each other out of the processor's cache.
    """
    body = next(statement for statement in function.body if isinstance(statement, ast.Try)).body
    kept = {node.id for statement in function.body[-1:] for node in ast.walk(statement) if isinstance(node, ast.Name)}
    last_read: dict[str, int] = {}
    made: set[str] = set()
    for i, statement in enumerate(body):
        for node in ast.walk(statement):
            if _is_read(node):
                last_read[node.id] = i
            elif isinstance(node, ast.Name):
                made.add(node.id)
    freed: dict[int, list[str]] = {}
    for name in made - kept:
        freed.setdefault(last_read.get(name, -1), []).append(name)
    new_body: list[ast.stmt] = []
    for i, statement in enumerate(body):
        new_body.append(statement)
        names = freed.get(i, []) + (freed.pop(-1, []) if i == len(body) - 1 else [])
        if names:
            new_body.append(ast.Delete(targets=[ast.Name(n, ast.Del()) for n in sorted(names)]))
    body[:] = new_body


def _is_power(node: ast.AST) -> bool:
    return isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow)


def _is_read(node: ast.AST) -> TypeGuard[ast.Name]:
    return isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)


def _batch_function(
    key: Structure, root: Value, order: list[Value], inputs: list[Value], params: list[Value]
) -> _Batch:
    """The batch code of a graph: the replay's own lines, run over NumPy arrays (generated once per structure)."""
    if key not in _BATCH_CACHE:
        np = optional_import("numpy", "numpy", "the batch replay")
        if not inputs:
            raise ValueError("batch: the graph was compiled without inputs, so there is nothing to vary per point")
        source = _generate(root, order, inputs, params, "batch")
        namespace = dict(numpy_namespace(np), every=np.all)
        exec(compile(_for_arrays(source), "<micrograd_lite.compile batch>", "exec"), namespace)  # our own source
        if len(_BATCH_CACHE) >= CACHE_SIZE:
            del _BATCH_CACHE[next(iter(_BATCH_CACHE))]
        _BATCH_CACHE[key] = batch = namespace["batch"]
        batch.source = source  # as written; run with a ** b as power(a, b) and d += t as d = d + t
    return _BATCH_CACHE[key]


def _batch(
    replay: Replay,
    generated: _Batch,
    input_columns: Sequence[ArrayLike],
    params: Sequence[float],
    n_inputs: int,
    n_params: int,
) -> BatchResult:
    """``replay.batch(input_columns, params) -> (values, input_grads, param_grads)`` over N points.

    ``input_columns`` holds one array (or sequence) of N numbers per input;
    ``values`` is the N results, ``input_grads`` one array of N per input,
    ``param_grads`` one float per param, summed over the points. Point by point
    the numbers are the replay's (see docs/performance.md for the last bits of
    exp, log and tanh). The points go through in chunks of
    :data:`BATCH_CHUNK`; a chunk that meets a domain error or a number that is
    not finite is done again point by point by the replay, so an error is the
    engine's own, prefixed with the index of the first point that fails.
    """
    np = optional_import("numpy", "numpy", "the batch replay")
    columns = _columns(np, input_columns, n_inputs)
    params = _floats(params, n_params)
    n = len(columns[0])
    values = np.empty(n)
    input_grads = tuple(np.empty(n) for _ in columns)
    param_grads = [0.0] * n_params
    for start in range(0, n, BATCH_CHUNK):
        stop = min(start + BATCH_CHUNK, n)
        # Where Python raises (exp(1000), 10.0 ** 400) NumPy gives inf, which a relu could hide: so an
        # overflow, a division by zero or a nan made on the way stops the chunk, as does a result that is
        # not finite (a nan or inf among the inputs); the replay then does it point by point.
        with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
            try:
                result = generated([column[start:stop] for column in columns], params)
                sums = [] if result is None else _sums(np, result[2], stop - start)
            except FloatingPointError:
                result = None
        if result is None or not (np.isfinite(result[3]).all() and all(map(math.isfinite, sums))):
            result = _point_by_point(np, replay, columns, params, start, stop)
            sums = _sums(np, result[2], stop - start)
        values[start:stop] = result[0]
        for whole, part in zip(input_grads, result[1]):
            whole[start:stop] = part
        param_grads = [total + s for total, s in zip(param_grads, sums)]
    return values, input_grads, tuple(param_grads)


def _sums(np: types.ModuleType, grads: Iterable[Array | float], count: int) -> list[float]:
    """Each param's gradients summed over the points of a chunk (one number means the same at every point)."""
    add = np.add.reduce  # what ndarray.sum() calls, without its overhead: twice as fast on 337 params
    return [float(add(g if isinstance(g, np.ndarray) and g.ndim else np.full(count, g))) for g in grads]


def _columns(np: types.ModuleType, input_columns: Sequence[ArrayLike], count: int) -> list[Array]:
    """The input columns as 1-D float arrays of one length, or a ValueError saying what is wrong."""
    if isinstance(input_columns, (str, bytes, dict)) or not hasattr(input_columns, "__len__"):
        raise ValueError(f"batch: input_columns must be a list of {count} columns, got {input_columns!r:.40}")
    if len(input_columns) != count:
        raise ValueError(f"batch: the graph takes {count} input columns, got {len(input_columns)}")
    columns: list[Array] = []
    for i, column in enumerate(input_columns):
        try:
            array = np.asarray(column)
        except (TypeError, ValueError) as error:
            raise ValueError(f"batch: input column {i} is not a column of numbers ({error})") from None
        if array.dtype.kind not in "iuf":  # None or a string would become nan or fail later; bools are no floats
            raise ValueError(f"batch: input column {i} is not a column of numbers (it holds {array.dtype})")
        array = array.astype(np.float64, copy=False)
        bad = np.flatnonzero(~np.isfinite(array)) if array.ndim == 1 else []
        if len(bad):
            first = f"input column {i}, point {bad[0]} is {float(array[bad[0]])!r}"
            raise ValueError(f"batch: {first}: a finite number is needed")
        if array.ndim != 1:
            raise ValueError(f"batch: input column {i} must be one-dimensional, got shape {array.shape}")
        if len(array) != len(columns[0] if columns else array):
            raise ValueError(f"batch: input column {i} has {len(array)} points, column 0 has {len(columns[0])}")
        columns.append(array)
    return columns


def _floats(params: Sequence[float], count: int) -> list[float]:
    if not hasattr(params, "__len__") or isinstance(params, dict):
        raise ValueError(f"batch: params must be a list of {count} numbers, got {params!r:.40}")
    if len(params) != count:
        raise ValueError(f"batch: the graph takes {count} params, got {len(params)}")
    return _finite_numbers(params, "batch: param")


def _finite_numbers(values: Iterable[float], what: str) -> list[float]:
    """``values`` as Python floats, or an error naming the first that is not a finite number (a bool is not one)."""
    if isinstance(values, (dict, str, bytes)):
        raise ValueError(f"{what}s must be a sequence of numbers, got {type(values).__name__}")
    floats: list[float] = []
    for i, x in enumerate(values):
        if isinstance(x, (bool, str, bytes, Value)) or not hasattr(type(x), "__float__"):
            raise ValueError(f"{what} {i} must be a number, got {type(x).__name__}: {x!r:.40}")
        floats.append(float(x))
        if not math.isfinite(floats[-1]):
            raise ValueError(f"{what} {i} is {floats[-1]!r}: a finite number is needed")
    return floats


def _point_by_point(
    np: types.ModuleType, replay: Replay, columns: list[Array], params: list[float], start: int, stop: int
) -> Chunk:
    """Points start..stop-1 through the scalar replay: its numbers, or its error naming the point."""
    values: list[float] = []
    input_grads: list[Gradients] = []
    param_grads: list[Gradients] = []
    for i in range(start, stop):
        try:
            value, d_inputs, d_params = replay([float(column[i]) for column in columns], params)
        except (ArithmeticError, ValueError) as error:
            raise type(error)(f"batch point {i}: {error}") from None
        values.append(value)
        input_grads.append(d_inputs)
        param_grads.append(d_params)
    as_columns = (np.array(list(zip(*rows)) or np.empty((0, stop - start))) for rows in (input_grads, param_grads))
    return np.array(values), *as_columns, None
