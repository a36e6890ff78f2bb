"""How a graph is written down: the name of every node, numbers, formulas and tables.

The chain-rule explanations (:mod:`~micrograd_lite.explain`), the backward log
(:mod:`~micrograd_lite.backward_log`), the pictures (:mod:`~micrograd_lite.viz`)
and the stepper page all write a node, a number or a formula with the functions
here, so a node has the same name in the text and in the picture.

A node's name (:class:`Namer`) is its label; or, for a constant, its number; or,
for an unlabelled result, how it was computed (``w5 · a_h1``) when that is short,
else a generated name (``n1``). Inside a formula such a name is an operand, and is
written in parentheses (``∂E_total/∂(w5 · a_h1)``, ``1/(-3)**2``) so that it
cannot regroup; standing alone -- a cell of the backward log, a box of the
picture -- it is written without them (``w5 · a_h1``): there it parses one way
only, and it reads as the picture has always shown it (:meth:`Namer.shown`).

>>> from micrograd_lite import Value
>>> w5, a_h1 = Value(0.4, "w5"), Value(0.59, "a_h1")
>>> name = Namer(w5 * a_h1 + 0.5)
>>> product = name.order[-1].children[0]
>>> name(product), name.shown(product), name.expression(name.order[-1])
('(w5 · a_h1)', 'w5 · a_h1', '(w5 · a_h1) + 0.5')
>>> format_number(0.15000000000000002), number_text(2.0)
('0.15', '2')
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from ..core.engine import Value, topological_order
from ..core.ops import FUNCTIONS, number_text, row, substitute, words

__all__ = [
    "INLINE_LIMIT", "Namer", "course_text", "factor_text", "format_number", "grad_text", "is_constant",
    "number_text", "python_text", "table_text", "tex",
]  # fmt: skip

INLINE_LIMIT = 24  # unlabelled nodes with a longer expression get a generated name


# ----------------------------------------------------------------------
# Numbers.
# ----------------------------------------------------------------------


def format_number(x: float, precision: int = 4) -> str:
    """``x`` with ``precision`` significant digits: 0.1500 -> '0.15', 1e-07 -> '1e-07' (inf and nan as str writes them).

    ``number_text`` (from the table of operations) writes a number exactly instead.
    """
    return f"{x:.{precision}g}"


def factor_text(x: float, precision: int = 4) -> str:
    """A number inside a product: negative ones in parentheses, 0.5 · (−0.261)."""
    text = format_number(x, precision)
    return f"({text})" if x < 0 else text


def grad_text(x: float, precision: int = 4) -> str:
    """A gradient as a box of the picture shows it: ``grad 0.1385``."""
    return f"grad {format_number(x, precision)}"


# ----------------------------------------------------------------------
# Names of nodes.
# ----------------------------------------------------------------------


def is_constant(node: Value) -> bool:
    """An unlabelled leaf: a number written in the expression, like the 0.5 of ½(t − a)²."""
    return not node.children and not node.label


class Namer:
    """A readable name for every node of a graph.

    ``order``: the graph's topological order, when the caller has sorted it already.
    """

    def __init__(self, root: Value, order: list[Value] | None = None) -> None:
        self.order = topological_order(root) if order is None else order
        self.names: dict[int, str] = {}
        self.wrapped: set[int] = set()  # the nodes whose name is in parentheses, to be an operand
        self.definitions: list[tuple[str, str]] = []  # generated name -> its expression
        self.labels = {node.label for node in self.order}  # a generated name must not be one of these
        self.numbers = itertools.count(1)  # n1, n2, ... skipping labels
        for node in self.order:  # children first, so their names exist
            self.names[id(node)] = self._name(node)

    def __call__(self, node: Value) -> str:
        """The node's name as an operand of a formula: ``(w5 · a_h1)``."""
        return self.names[id(node)]

    def shown(self, node: Value) -> str:
        """The node's name standing alone (a table's cell, a picture's box): ``w5 · a_h1``."""
        name = self.names[id(node)]
        return name[1:-1] if id(node) in self.wrapped else name

    def _name(self, node: Value) -> str:
        if node.label:
            return node.label
        if not node.children:
            number = number_text(node.data)  # exactly, so the formula evaluates to the gradient
            return self._wrap(node, number) if number.startswith("-") else number  # so 1/-3**2 cannot misparse
        text = self.expression(node)
        if len(text) <= INLINE_LIMIT:
            return text if row(node.op).name in FUNCTIONS else self._wrap(node, text)  # so x**y**2 cannot misparse
        generated = next(f"n{k}" for k in self.numbers if f"n{k}" not in self.labels)
        self.definitions.append((generated, text))
        return generated

    def _wrap(self, node: Value, text: str) -> str:
        self.wrapped.add(id(node))
        return f"({text})"

    def expression(self, node: Value) -> str:
        """How ``node`` was computed, from its children's names, in the course's notation."""
        c = [self(child) for child in node.children]
        op = row(node.op)
        if op.arity is None:  # a sum of any number of terms
            return " + ".join(c)
        if op.exponent is not None:  # pown: a power with a number exponent
            return f"{c[0]}**{number_text(op.exponent)}"
        if op.name in FUNCTIONS and c[0].startswith("(") and c[0].endswith(")"):
            return f"{op.name}{c[0]}"  # tanh(x · w), not tanh((x · w))
        names = {"a": c[0], "b": c[1]} if len(c) > 1 else {"a": c[0]}
        return substitute(course_text(op.forward).replace(" ** ", "**"), names, parenthesise=False)

    def definition(self, node: Value) -> str:
        """``a_o1 = sigmoid(o1)``, or the expression alone when it is the node's name: ``(w5 · a_h1) + 0.5``."""
        expression = self.expression(node)
        return expression if self.shown(node) == expression else f"{self(node)} = {expression}"


# ----------------------------------------------------------------------
# Formulas.
# ----------------------------------------------------------------------


def course_text(code: str) -> str:
    """Python operators as the course writes them: ``a * b - c`` -> ``a · b − c``."""
    return code.replace(" * ", " · ").replace("-", "−")


def python_text(text: str) -> str:
    """The course's notation back as Python: ``a · b − c`` -> ``a * b - c``."""
    return text.replace("·", "*").replace("−", "-")


def tex(text: str) -> str:
    """A plain-text formula as LaTeX: a_o1 -> a_{o1}, · -> \\cdot, − -> -."""
    out = text.replace("·", r"\cdot").replace("−", "-").replace("**", "^")
    return "".join(
        f"{word.split('_', 1)[0]}_{{{word.split('_', 1)[1]}}}" if "_" in word and word[0].isalpha() else word
        for word in words(out)
    )


# ----------------------------------------------------------------------
# Tables.
# ----------------------------------------------------------------------


def table_text(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table, right-aligned, each column as wide as its widest cell: no number is ever cut short.

    >>> print(table_text(["x", "E_total"], [["1", "0.014181"], ["10", "3e-05"]]), end="")
     x   E_total
    --  --------
     1  0.014181
    10     3e-05
    """
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]
    lines = ["  ".join(str(h).rjust(w) for h, w in zip(headers, widths)), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(str(cell).rjust(w) for cell, w in zip(row, widths)) for row in rows]
    return "\n".join(lines) + "\n"
