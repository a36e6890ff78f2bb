"""The backward log: every product a node sends to its children, turn by turn, as backward walks.

Called "trace" in 0.1.0: a word that also means recording a graph to compile it
(:mod:`~micrograd_lite.compile`, as JAX and PyTorch use it). A *log* is a record of
what happened, in order; *backward* says of what. Each node made by an operation
has one *turn*, when its gradient is complete and it sends local derivative ×
gradient to each child; each product sent is one row (a :class:`LogRow`).

>>> from micrograd_lite import Value
>>> x = Value(3.0, "x")
>>> y = x * x
>>> y.label = "y"
>>> [(row.turn, row.node, row.child, row.product) for row in log_backward(y)]
[(1, 'y', 'x', 3.0), (1, 'y', 'x', 3.0)]
>>> x.grad
6.0
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core.engine import Value, backward_walk, sent, topological_order
from ..deprecated import deprecated
from ..util import csv_text
from .notation import Namer, format_number


@dataclass(frozen=True)
class LogRow:
    """One product a node sends to a child in its turn: what the node received, and what it sends."""

    turn: int  # the node's turn, counted from 1 in backward order (the rows of one turn share it)
    node: str
    op: str
    upstream: float  # ∂root/∂node, complete when the node's turn comes
    child: str
    local: float  # ∂node/∂child
    product: float  # local · upstream, added to the child's grad
    child_grad: float  # the child's grad once this product is added
    node_ref: Value = field(repr=False, compare=False)
    child_ref: Value = field(repr=False, compare=False)

    @property
    def index(self) -> int:
        """Deprecated: the row's ``turn``."""
        deprecated("LogRow.index", "LogRow.turn")
        return self.turn


def log_backward(root: Value, name: Namer | None = None) -> list[LogRow]:
    """Run a backward pass (the engine's :func:`backward_walk`) and log every product it sends.

    Every grad starts from 0 here, leaves included, so the log shows one pass alone;
    afterwards each ``grad`` holds what this pass gave it. Nodes are named standing
    alone (:meth:`Namer.shown`: ``w5 · a_h1``), as the pictures name them.
    ``name``: the graph's :class:`Namer`, when the caller has one already.
    """
    name = name or Namer(root)
    gradients = {id(root): 1.0}
    rows: list[LogRow] = []
    turn = 0  # numbered as the stepper page and its frames number them: the output's turn is 1
    for node, child, local, upstream, _ in backward_walk([node for node in name.order if node.children], gradients):
        if not rows or rows[-1].node_ref is not node:
            turn += 1
        rows.append(
            LogRow(turn, name.shown(node), node.op, upstream, name.shown(child), local, sent(local, upstream),
                   gradients.get(id(child), 0.0), node, child)  # fmt: skip
        )
    for node in name.order:
        node.grad = gradients.get(id(node), 0.0)
    return rows


def count_turns(root: Value) -> int:
    """How many turns a backward pass of ``root`` takes: one per computed (non-leaf) value."""
    return len(topological_order(root, include_leaves=False))


LOG_COLUMNS = ("turn", "node", "op", "upstream ∂/∂node", "child", "local ∂node/∂child", "sent to child")


def log_rows(rows: list[LogRow], digits: int | None = None) -> list[list[str]]:
    """The log as text cells: numbers in full precision, or to ``digits`` significant digits."""

    def number(x: float) -> str:
        return repr(x) if digits is None else format_number(x, digits)

    return [
        [str(r.turn), r.node, r.op, number(r.upstream), r.child, number(r.local), number(r.product)] for r in rows
    ]


def log_csv(rows: list[LogRow]) -> str:
    return csv_text(LOG_COLUMNS, log_rows(rows))


def log_markdown(rows: list[LogRow]) -> str:
    lines = ["| " + " | ".join(LOG_COLUMNS) + " |", "|" + "---|" * len(LOG_COLUMNS)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |" for cells in log_rows(rows)]
    return "\n".join(lines) + "\n"
