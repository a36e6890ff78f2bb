"""Pictures of a computation graph, with every value and gradient.

Each Value becomes a record ``label | data | grad``; each operation becomes a
small node of its own between its operands and its result.

>>> from micrograd_lite import Value
>>> a, b = Value(2.0, "a"), Value(-3.0, "b")
>>> c = a * b
>>> c.backward()
>>> dot = draw_dot(c)
>>> "grad -3" in dot.source and '"*"' in dot.source
True
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from .engine import Value, topological_order
from .errors import GraphvizNotFound
from .util import format_number, optional_import, write_atomically

FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}
DEFAULT_MAX_NODES = 10_000

INSTALL_DOT = (
    "Graphviz's `dot` program was not found on PATH. Install it: "
    "Debian/Ubuntu `sudo apt-get install graphviz`, macOS `brew install graphviz`, "
    "conda `conda install -c conda-forge graphviz`. "
    "The DOT source needs no install: draw_dot(value).source, or render to a .dot file."
)

# How each kind of node looks.
STYLE_ROOT = {"style": "filled,bold", "fillcolor": "#ffe08a", "penwidth": "2"}
STYLE_PARAMETER = {"style": "filled", "fillcolor": "#c9e7ff"}
STYLE_INPUT = {"style": "filled", "fillcolor": "#e6f5d0"}
STYLE_CONSTANT = {"style": "dashed", "color": "#888888", "fontcolor": "#555555"}
STYLE_INTERIOR = {}
STYLE_OP = {"shape": "circle", "fontsize": "11", "margin": "0.02", "width": "0.3"}


def _graphviz():
    return optional_import("graphviz", "graphviz", "drawing graphs")


def _escape_record(text: str) -> str:
    """Escape the characters that structure a Graphviz record label."""
    for ch in "\\{}|<>":
        text = text.replace(ch, "\\" + ch)
    return text


def draw_dot(
    root: Value,
    format: str = "svg",
    rankdir: str = "LR",
    show_grad: bool = True,
    precision: int = 4,
    params: Iterable[Value] = (),
    max_nodes: int | None = DEFAULT_MAX_NODES,
    highlight: Iterable[tuple[Value, Value]] = (),
    graph_attr: dict | None = None,
):
    """The graph of ``root`` as a ``graphviz.Digraph`` (nothing is rendered yet).

    - ``rankdir``: ``"LR"`` (left to right) or ``"TB"`` (top to bottom).
    - ``show_grad``: show each Value's gradient beside its data.
    - ``precision``: significant digits of every number shown.
    - ``params``: Values drawn as parameters (blue); other labelled leaves are
      inputs (green), unlabelled leaves are constants (dashed), the root is gold.
    - ``max_nodes``: refuse graphs with more Values than this (``None``: no limit),
      since a picture of a huge graph is unreadable and slow to lay out.
    - ``highlight``: ``(child, parent)`` edges drawn bold red.
    """
    graphviz = _graphviz()
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"draw_dot: rankdir must be LR, TB, RL or BT, got {rankdir!r}")
    order = topological_order(root)
    if max_nodes is not None and len(order) > max_nodes:
        raise ValueError(
            f"draw_dot: the graph has {len(order)} values, more than max_nodes={max_nodes}; "
            "pass a larger max_nodes (or None) to draw it anyway"
        )
    ids = {id(node): f"v{i}" for i, node in enumerate(order)}
    param_ids = {id(p) for p in params}
    hot = {(id(child), id(parent)) for child, parent in highlight}

    dot = graphviz.Digraph(format=format, graph_attr={"rankdir": rankdir, **(graph_attr or {})})
    dot.attr("node", shape="record", fontname="Helvetica", fontsize="11")
    dot.attr("edge", color="#444444", arrowsize="0.6")
    for node in order:
        nid = ids[id(node)]
        fields = [_escape_record(node.label)] if node.label else []
        if node.op and not node.children:  # a leaf made by an operation: detach()
            fields.append(node.op.symbol)
        fields.append(f"data {format_number(node.data, precision)}")
        if show_grad:
            fields.append(f"grad {format_number(node.grad, precision)}")
        dot.node(nid, label="{ " + " | ".join(fields) + " }", **_value_style(node, root, param_ids))
        if node.children:
            op_id = nid + "_op"
            dot.node(op_id, label=node.op.symbol, **STYLE_OP)
            dot.edge(op_id, nid)
            for child in node.children:
                edge_style = {"color": "red", "penwidth": "2.5"} if (id(child), id(node)) in hot else {}
                dot.edge(ids[id(child)], op_id, **edge_style)
    return dot


def _value_style(node: Value, root: Value, param_ids: set) -> dict:
    if node is root:
        return STYLE_ROOT
    if node.children:
        return STYLE_INTERIOR
    if id(node) in param_ids:
        return STYLE_PARAMETER
    return STYLE_INPUT if node.label else STYLE_CONSTANT


def render_dot(dot, path: str | os.PathLike) -> Path:
    """Write a Digraph to ``path`` (.svg, .png, .pdf or .dot), completely or not at all."""
    graphviz = _graphviz()
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"render: unsupported file type {path.suffix!r} for {path}; use one of {sorted(FORMATS)}")
    if fmt == "dot":
        data = dot.source.encode()
    else:
        try:
            data = dot.pipe(format=fmt)
        except graphviz.ExecutableNotFound:
            raise GraphvizNotFound(INSTALL_DOT) from None
    write_atomically(path, data)
    return path


def render_graph(root: Value, path: str | os.PathLike, **draw_options) -> Path:
    """Draw ``root``'s graph into ``path``; the suffix picks the format.

    The file is written whole or not at all: the picture is made in memory,
    written to a temporary file beside ``path``, then renamed into place.
    """
    return render_dot(draw_dot(root, **draw_options), path)


def repr_mimebundle(root: Value, include=None, exclude=None) -> dict:
    """Jupyter's rich display of a Value: its graph as SVG, or the plain repr when it cannot be drawn."""
    try:
        svg = draw_dot(root).pipe(format="svg", encoding="utf-8")
    except (ImportError, ValueError, RuntimeError, OSError):  # no graphviz, no dot, too big
        return {"text/plain": repr(root)}
    return {"image/svg+xml": svg, "text/plain": repr(root)}


# In Jupyter a Value shows its graph. The hook is attached here, not written in
# engine.py, so the engine imports nothing of the drawing code (no import cycle).
Value._repr_mimebundle_ = repr_mimebundle
