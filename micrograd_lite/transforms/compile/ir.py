"""The compile IR: a recorded graph as a list of statements, which the printers write as code.

Recording walks a graph once, in topological order, and says what each node
does as data: a target name, a row of the ops table (:mod:`micrograd_lite.ops`)
and the names of its operands. Backward, the chain rule gives one statement
per edge: the local derivative (the row's, of one operand) times the gradient
reaching the node, added to the operand's gradient so far.

>>> from micrograd_lite import Value
>>> from micrograd_lite.engine import topological_order
>>> x, w = Value(0.5, "x"), Value(-3.0, "w")
>>> y = (x * w).tanh()
>>> program = record(y, topological_order(y), inputs=[x], params=[w])
>>> for statement in program.statements:
...     print(statement)
v2 = mul(v0, v1)  # v2 = x * w
v3 = tanh(v2)
d_v2 = d(tanh)/d(v2) * 1.0
d_v0 = d(mul)/d(v0) * d_v2
d_v1 = d(mul)/d(v1) * d_v2
>>> program.statements[2].term(), program.statements[3].term()
('(1.0 - v3 * v3)', 'v1 * d_v2')

No code is written here: :mod:`.python` prints the statements as the scalar
replay and the SGD step, :mod:`.arrays` as the batch over NumPy arrays. A pass
that wants to group nodes (the same row over matching operands, such as a
layer's products) reads and rewrites this list, never generated text.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from ...core.engine import Value, depending_on
from ...core.ops import Op, atom, literal, row, substitute, words

Form = Callable[[str], str]
"""How a printer writes a row's code: as it is (Python floats), or made right for arrays (``ops.for_arrays``)."""


def as_written(code: str) -> str:
    """The :data:`Form` of the scalar printer: the table's code as it is."""
    return code


@dataclass(frozen=True)
class Constant:
    """``target = value``: a leaf that is neither an input nor a param, kept as a name for its label."""

    target: str
    value: float
    label: str  # as a comment may show it

    def reads(self) -> set[str]:
        return set()

    def __str__(self) -> str:
        return f"{self.target} = {literal(self.value)}  # {self.label}, a constant"


@dataclass(frozen=True)
class Operation:
    """``target = op(operands)``: one node of the forward pass, a row of the table over names or numbers."""

    target: str
    op: Op
    operands: tuple[str, ...]
    comment: str = ""  # the course's equation in the graph's labels, "" when no label is involved

    @functools.cached_property  # read for the forward, each derivative and each check: made once
    def bindings(self) -> dict[str, str]:
        """The names the row's code uses (a, b, out, n, and c0, c1, ... for a sum), bound to this node's."""
        names = {f"c{i}": atom(operand) for i, operand in enumerate(self.operands)}
        names.update(a=self.operands[0], out=self.target)
        if len(self.operands) > 1:
            names["b"] = self.operands[1]
        if self.op.exponent is not None:  # a power's domain checks name its exponent
            names["n"] = literal(self.op.exponent)
        return names

    def forward(self, form: Form = as_written) -> str:
        """The result, as code: the row's ``forward``; a sum of more than two terms as the engine adds it."""
        if self.op.arity is None and len(self.operands) > 2:  # sum_values: as the engine adds, with sum()
            rest = ", ".join(atom(operand) for operand in self.operands[1:])
            return f"sum(({rest},), {atom(self.operands[0])})"
        return substitute(form(self.op.forward), self.bindings)

    def holds(self, form: Form = as_written) -> list[str]:
        """Each domain check of the row, as code that is true where the engine computes without an error."""
        names = self.bindings
        return [atom(substitute(form(check.holds), names)) for check in self.op.checks]

    def reads(self) -> set[str]:
        return {operand for operand in self.operands if operand.isidentifier()}

    def __str__(self) -> str:
        text = f"{self.target} = {self.op.name}({', '.join(self.operands)})"
        return text + (f"  # {self.comment}" if self.comment else "")


@dataclass(frozen=True)
class Local:
    """The local derivative of ``node`` with respect to its operand number ``index``."""

    node: Operation
    index: int

    def __str__(self) -> str:
        return f"d({self.node.op.name})/d({self.node.operands[self.index]})"

    @property
    def template(self) -> str:
        """The row's code of this derivative (a sum has one, the same for every operand)."""
        return self.node.op.derivatives[0 if self.node.op.arity is None else self.index]

    def code(self, form: Form = as_written) -> str:
        return substitute(form(self.template), self.node.bindings)

    def reads(self) -> set[str]:
        names = self.node.bindings
        return {names[word] for word in words(self.template) if word in names and names[word].isidentifier()}


@dataclass(frozen=True)
class Gradient:
    """``target = previous + local * upstream``: one edge of the backward pass (no ``previous``: the first)."""

    target: str
    local: Local
    upstream: str  # the gradient reaching the node: a name, or a number such as 1.0
    previous: str | None = None  # the operand's gradient so far: ``target`` itself, another name or a number

    def term(self, form: Form = as_written) -> str:
        """``local * upstream``, written as simply as exactness allows (see :func:`times`)."""
        return times(self.local.code(form), self.upstream)

    def is_product(self) -> bool:
        """Whether the term is a multiplication done at run time (not a copy, a negation or a number)."""
        return _simplified(self.local.code(), self.upstream) is None

    def reads(self) -> set[str]:
        return self.local.reads() | {name for name in (self.upstream, self.previous) if name and name.isidentifier()}

    def __str__(self) -> str:
        before = f"{self.previous} + " if self.previous else ""
        return f"{self.target} = {before}{self.local} * {self.upstream}"


Statement = Constant | Operation | Gradient


@dataclass(frozen=True)
class Program:
    """A recorded graph: its statements, and what the code takes, checks and returns.

    ``checked`` is what must come out a finite float, else the engine takes
    over (and raises its error, or gives its numbers): the result, the operands
    whose nan a result hides (``relu(nan)`` is 0.0), the steep derivatives and
    the gradients returned. A gradient is a name, or a number where none flows.
    """

    inputs: tuple[str, ...]
    params: tuple[str, ...]
    labels: tuple[tuple[str, str], ...]  # (name, label) of each input and param that has a label
    statements: tuple[Statement, ...]
    result: str
    checked: tuple[str | Local, ...]
    input_grads: tuple[str, ...]
    param_grads: tuple[str, ...]

    def checked_reads(self) -> set[str]:
        """The names the check reads."""
        names = {c for c in self.checked if isinstance(c, str) and c.isidentifier()}
        return names.union(*(c.reads() for c in self.checked if isinstance(c, Local)))


def record(root: Value, order: list[Value], inputs: list[Value], params: list[Value]) -> Program:
    """The statements of ``root``'s graph: one per node forward, one per edge backward.

    ``order`` is topological (children first); gradients are computed for the
    inputs and params, along the paths that reach them only.
    """
    names = _names(order, inputs + params)
    variables = {id(v) for v in inputs + params}
    needed = depending_on(order, inputs + params)  # nodes whose gradient leads to an input or a param

    def shown_or_name(node: Value) -> str:
        return shown(node.label) if node.label else names[id(node)]

    statements: list[Statement] = []
    operation_of: dict[int, Operation] = {}
    hidden = []  # operands whose nan the result would hide (relu(nan) is 0.0): the check must see them
    for node in order:
        if not node.children:
            if node.label and id(node) not in variables:
                statements.append(Constant(names[id(node)], node.data, shown(node.label)))
            continue
        op, operands = row(node.op), tuple(names[id(child)] for child in node.children)
        comment = ""
        if node.label or any(child.label for child in node.children):  # the course's equation, in its labels
            in_labels = Operation(shown_or_name(node), op, tuple(map(shown_or_name, node.children)))
            comment = f"{in_labels.target} = {in_labels.forward()}"
        operation_of[id(node)] = operation = Operation(names[id(node)], op, operands, comment)
        statements.append(operation)
        if op.name in _MAY_HIDE_A_NAN or op.exponent == 0.0:
            hidden += [names[id(child)] for child in node.children if child.children]
    checked: list[str | Local] = [names[id(root)], *hidden]
    grad_of: dict[int, str] = {}  # where each node's gradient is so far: a variable, another's, or a number
    if id(root) in needed:
        grad_of[id(root)] = "1.0"
    for node in reversed(order):
        if not node.children or id(node) not in needed:
            continue
        for index, child in enumerate(node.children):
            local = Local(operation_of[id(node)], index)
            if local.node.op.steep:  # the engine refuses a local derivative that overflows
                checked.append(local)
            if id(child) not in needed:
                continue
            target, previous = f"d_{names[id(child)]}", grad_of.get(id(child))
            gradient = Gradient(target, local, grad_of[id(node)], previous)
            term = gradient.term()
            if previous is None and (term.isidentifier() or number(term) is not None):
                grad_of[id(child)] = term  # d_child would only copy it: no statement
                continue
            statements.append(gradient)
            grad_of[id(child)] = target
    returned = {grad_of[id(v)] for v in inputs + params if id(v) in grad_of}
    checked += sorted(returned - {*(c for c in checked if isinstance(c, str)), "1.0"})
    return Program(
        inputs=tuple(names[id(v)] for v in inputs),
        params=tuple(names[id(v)] for v in params),
        labels=tuple((names[id(v)], shown(v.label)) for v in inputs + params if v.label),
        statements=tuple(statements),
        result=names[id(root)],
        checked=tuple(checked),
        input_grads=tuple(grad_of.get(id(v), "0.0") for v in inputs),
        param_grads=tuple(grad_of.get(id(v), "0.0") for v in params),
    )


# The operations whose result can be a number when an operand is nan (relu(nan) is 0.0, 1.0 ** nan and
# nan ** 0.0 are 1.0, and so is x ** 0): a nan made on the way (inf - inf), which the engine refuses,
# would pass unseen.
_MAY_HIDE_A_NAN = {"relu", "pow"}


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


def shown(label: str) -> str:
    """A label as it may appear in a comment: itself, or its repr when it holds odd characters."""
    return label if label.isprintable() and label.strip() == label and label else repr(label)


def times(local: str, grad: str) -> str:
    """``local * grad`` as the engine computes it, written as simply as exactness allows.

    Multiplying by 1.0 or -1.0 is exact, and so is a product of two numbers
    done here instead of at run time: the result is bit for bit the same.
    The local derivative is one whole expression: it is always in parentheses.
    """
    simplified = _simplified(local, grad)
    return f"{atom(local)} * {grad}" if simplified is None else simplified


def _simplified(local: str, grad: str) -> str | None:
    """``local * grad`` when it needs no multiplication at run time, else None."""
    if grad == "1.0":
        return local if local.isidentifier() or number(local) is not None else f"({local})"
    if local == "1.0":
        return grad
    if local == "-1.0":
        return f"-{grad}"
    local_number, grad_number = number(local), number(grad)
    if local_number is not None and grad_number is not None:
        return literal(local_number * grad_number)
    return None


def number(text: str) -> float | None:
    """The number a literal such as ``2.0`` or ``(-1.5)`` stands for, else None."""
    inner = text[1:-1] if text.startswith("(") and text.endswith(")") else text
    if inner.lstrip("-").isidentifier():  # inf and nan are names in the generated code
        return None
    try:
        return float(inner)
    except ValueError:
        return None


def plus_zero(grad: str) -> str:
    """``0.0 + grad``: done now for a number, written out for a variable.

    The engine adds every gradient to a 0.0, so it never ends as -0.0: neither may the replay.
    """
    value = number(grad)
    if value is not None:
        return literal(0.0 + value)
    return f"(0.0 + {grad})"
