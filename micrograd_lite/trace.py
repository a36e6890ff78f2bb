"""The backward pass, step by step: every product a node sends to its children.

>>> from micrograd_lite import Value
>>> x = Value(3.0, "x")
>>> y = x * x
>>> y.label = "y"
>>> [(s.node, s.child, s.product) for s in trace_backward(y)]
[('y', 'x', 3.0), ('y', 'x', 3.0)]
>>> x.grad
6.0
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from .engine import Value, backward_walk, topological_order
from .notation import Namer, format_number


@dataclass(frozen=True)
class Step:
    """One node's turn in the backward pass: what it receives and what it sends."""

    index: int
    node: str
    op: str
    upstream: float  # ∂root/∂node, complete when the node's turn comes
    child: str
    local: float  # ∂node/∂child
    product: float  # local · upstream, added to the child's grad
    child_grad: float  # the child's grad once this product is added
    node_ref: Value = field(repr=False, compare=False)
    child_ref: Value = field(repr=False, compare=False)


def trace_backward(root: Value, name: Namer | None = None) -> list[Step]:
    """Run a backward pass (the engine's :func:`backward_walk`) and record every product it sends.

    Every grad starts from 0 here, leaves included, so the trace shows one pass alone;
    afterwards each ``grad`` holds what this pass gave it.
    Steps of one node's turn share their ``index``, counted from 1 in backward order.
    ``name``: the graph's :class:`Namer`, when the caller has one already.
    """
    name = name or Namer(root)
    gradients = {id(root): 1.0}
    steps: list[Step] = []
    turn = 0  # numbered as the stepper page and its frames number them: step 1 is the output's turn
    for term in backward_walk([node for node in name.order if node.children], gradients):
        if not steps or steps[-1].node_ref is not term.node:
            turn += 1
        node, child = term.node, term.child
        steps.append(
            Step(turn, name.shown(node), node.op, term.upstream, name.shown(child), term.local, term.sent,
                 gradients.get(id(child), 0.0), node, child)  # fmt: skip
        )
    for node in name.order:
        node.grad = gradients.get(id(node), 0.0)
    return steps


def count_turns(root: Value) -> int:
    """How many turns a backward pass of ``root`` takes: one per computed (non-leaf) value."""
    return len(topological_order(root, include_leaves=False))


TRACE_COLUMNS = ("step", "node", "op", "upstream ∂/∂node", "child", "local ∂node/∂child", "sent to child")


def trace_rows(steps: list[Step], digits: int | None = None) -> list[list[str]]:
    """The trace as text cells: numbers in full precision, or to ``digits`` significant digits."""

    def number(x: float) -> str:
        return repr(x) if digits is None else format_number(x, digits)

    return [
        [str(s.index), s.node, s.op, number(s.upstream), s.child, number(s.local), number(s.product)] for s in steps
    ]


def trace_csv(steps: list[Step]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(TRACE_COLUMNS)
    writer.writerows(trace_rows(steps))
    return out.getvalue()


def trace_markdown(steps: list[Step]) -> str:
    lines = ["| " + " | ".join(TRACE_COLUMNS) + " |", "|" + "---|" * len(TRACE_COLUMNS)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in trace_rows(steps)]
    return "\n".join(lines) + "\n"
