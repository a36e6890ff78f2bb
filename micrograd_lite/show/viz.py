"""Pictures of a computation graph, with every value and gradient.

Each Value becomes a record ``label | data | grad``; each operation becomes a
small node of its own between its operands and its result.

>>> from micrograd_lite import Value
>>> a, b = Value(2.0, "a"), Value(-3.0, "b")
>>> c = a * b
>>> c.backward()
>>> source = dot_source(c)
>>> "grad -3" in source and '"*"' in source
True

The DOT text is written here, with no package; Graphviz's ``dot`` program lays it
out into SVG, PNG or PDF (:func:`pipe`). Only :func:`draw_dot`, which hands the text
to the ``graphviz`` package's object (for ``.render()``, Jupyter), needs that package.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ..core.engine import Value, topological_order
from ..core.ops import row
from ..errors import GraphvizFailed, GraphvizNotFound
from .notation import Namer, format_number, grad_text, is_constant

if TYPE_CHECKING:
    import graphviz  # optional, imported on first draw; it ships no types: mypy reads its classes as Any
from ..util import optional_import, write_atomically

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
STYLE_INTERIOR: dict[str, str] = {}
STYLE_OP = {"shape": "circle", "fontsize": "11", "margin": "0.02", "width": "0.3"}

PLAIN_ID = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*|-?(\.[0-9]+|[0-9]+(\.[0-9]*)?))")  # DOT's unquoted IDs
DOT_KEYWORDS = {"strict", "node", "graph", "digraph", "edge", "subgraph"}


def _graphviz() -> ModuleType:
    return optional_import("graphviz", "graphviz", "draw_dot's graphviz object")


def quote(text: str) -> str:
    r"""A DOT identifier: as it is when DOT reads it so, else in double quotes (never an HTML label).

    A quote inside is escaped unless it already is; an escaped backslash before it stays one.

    >>> print(quote("v3"), quote("0.5 *"), quote('say "hi"'), quote('a\\\\"b'))
    v3 "0.5 *" "say \"hi\"" "a\\\"b"
    """
    if PLAIN_ID.fullmatch(text) and text.lower() not in DOT_KEYWORDS:
        return text
    return '"' + re.sub(r'((?:\\\\)*)\\?"', r'\1\\"', text) + '"'


def _statement(head: str, label: str | None = None, attributes: Mapping[str, str] | None = None) -> str:
    """One line of DOT: ``head [label=... name=value ...]`` (the label first, then the rest sorted)."""
    pairs = ([f"label={quote(label)}"] if label is not None else []) + [
        f"{quote(name)}={quote(str(value))}" for name, value in sorted((attributes or {}).items())
    ]
    return f"\t{head} [{' '.join(pairs)}]\n" if pairs else f"\t{head}\n"


def _escape_record(text: str) -> str:
    """Escape the characters that structure a Graphviz record label."""
    for ch in "\\{}|<>":
        text = text.replace(ch, "\\" + ch)
    return text


def draw_dot(root: Value, format: str = "svg", **options: Any) -> graphviz.Source:  # options: dot_source's
    """The graph of ``root`` as a ``graphviz.Source`` (needs the ``graphviz`` package): ``.source``, ``.render()``.

    It shows itself as a picture in Jupyter. Its options are :func:`dot_source`'s;
    ``format`` is the one its ``.render()`` and ``.pipe()`` make by default.
    """
    return _graphviz().Source(dot_source(root, **options), format=format)


def dot_source(
    root: Value,
    rankdir: str = "LR",
    show_grad: bool = True,
    precision: int = 4,
    params: Iterable[Value] = (),
    max_nodes: int | None = DEFAULT_MAX_NODES,
    highlight: Iterable[tuple[Value, Value]] = (),
    graph_attr: Mapping[str, str] | None = None,
    fold_constants: bool = False,
    caption: str | None = None,
    name_intermediates: bool = False,
    namer: Namer | None = None,
    grad_texts: Mapping[int, str] | None = None,
) -> str:
    """The graph of ``root`` as DOT text (nothing is laid out yet; no package needed).

    - ``rankdir``: ``"LR"`` (left to right) or ``"TB"`` (top to bottom).
    - ``show_grad``: show each Value's gradient beside its data.
    - ``precision``: significant digits of every number shown.
    - ``params``: Values drawn as parameters (blue); other labelled leaves are
      inputs (green), unlabelled leaves are constants (dashed), the root is gold.
    - ``max_nodes``: refuse graphs with more Values than this (``None``: no limit),
      since a picture of a huge graph is unreadable and slow to lay out.
    - ``highlight``: ``(child, parent)`` edges drawn bold red.
    - ``fold_constants``: write constants into their operation (``0.5 *``)
      instead of drawing each as a node of its own: a smaller picture, and the
      constant 0.5 of ½(t − a)² is not mistaken for a target t = 0.5.
    - ``caption``: a title written above the picture (what it shows: epoch, learning rate).
    - ``name_intermediates``: write how each unlabelled result was computed
      (``w1 · i1``) where its label would be, so no box is a bare number.
    - ``namer``: the graph's :class:`~micrograd_lite.notation.Namer`, when the caller
      has one already (its order is used, so the graph is not sorted again).
    - ``grad_texts``: the text of each Value's gradient field, by ``id``, instead of
      its ``grad`` (the stepper page sizes each box for the widest number it will show).

    Every Value's SVG element gets the id ``v<position in topological order>``
    (see :func:`node_ids`), its operation ``v<n>_op``, and the edge from its
    child number ``i`` to that operation ``v<n>_in<i>``: the stepper page finds them so.

    >>> x = Value(3.0, "x")
    >>> source = dot_source(0.5 * x, fold_constants=True)
    >>> '"0.5 *"' in source and "data 0.5" not in source
    True
    """
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"draw_dot: rankdir must be LR, TB, RL or BT, got {rankdir!r}")
    order = topological_order(root) if namer is None else namer.order
    if max_nodes is not None and len(order) > max_nodes:
        raise ValueError(
            f"draw_dot: the graph has {len(order)} values, more than max_nodes={max_nodes}; "
            "pass a larger max_nodes (or None) to draw it anyway"
        )
    ids = node_ids(order)
    names = _intermediate_names(namer or Namer(root, order)) if name_intermediates else {}
    param_ids = {id(p) for p in params}
    hot = {(id(child), id(parent)) for child, parent in highlight}

    # nslimit bounds Graphviz's passes placing nodes across a rank: a value used by a
    # hundred operations (x*1 + x*2 + ... + x*100) took dot over 12 minutes without it,
    # 0.3 s with it; the course network's picture comes out identical.
    # ordering="in" keeps operands in written order (a * b: a left of b; h1 left of h2).
    attributes = {"rankdir": rankdir, "nslimit": "1", "ordering": "in", **(graph_attr or {})}
    if caption:
        attributes.update(label=caption.replace("\\", "\\\\"), labelloc="t", fontname="Helvetica", fontsize="16")
    lines = ["digraph {\n", _statement("graph", attributes=attributes)]
    lines.append(_statement("node", attributes={"shape": "record", "fontname": "Helvetica", "fontsize": "11"}))
    lines.append(_statement("edge", attributes={"color": "#444444", "arrowsize": "0.6"}))
    for node in order:
        nid = ids[id(node)]
        if fold_constants and node is not root and is_constant(node):
            continue  # written into the operation that uses it
        name = node.label or names.get(id(node)) or ("constant" if is_constant(node) else "")
        fields = [_escape_record(name)] if name else []
        if node.op and not node.children:  # a leaf made by an operation: detach()
            fields.append(row(node.op).symbol)
        fields.append(f"data {format_number(node.data, precision)}")
        if show_grad:
            fields.append(grad_texts[id(node)] if grad_texts is not None else grad_text(node.grad, precision))
        style = _value_style(node, root, param_ids)
        lines.append(_statement(nid, "{ " + " | ".join(fields) + " }", {"id": nid, **style}))
        if node.children:
            op_id = nid + "_op"
            lines.append(_statement(op_id, op_label(node, fold_constants, precision), {"id": op_id, **STYLE_OP}))
            lines.append(_statement(f"{op_id} -> {nid}", attributes={"id": f"{nid}_out"}))
            for i, child in enumerate(node.children):
                if fold_constants and is_constant(child):
                    continue
                edge_style = {"color": "red", "penwidth": "2.5"} if (id(child), id(node)) in hot else {}
                edge = {"id": f"{nid}_in{i}", **edge_style}
                lines.append(_statement(f"{ids[id(child)]} -> {op_id}", attributes=edge))
    lines.append("}\n")
    return "".join(lines)


def _intermediate_names(name: Namer) -> dict[int, str]:
    """Each unlabelled result's name as the chain-rule explanations write it standing alone: ``w1 · i1``, or ``n1``."""
    return {id(node): name.shown(node) for node in name.order if node.children and not node.label}


def node_ids(order: list[Value]) -> dict[int, str]:
    """``id(value) -> "v<n>"``, n its position in ``order``: the names of the drawn nodes."""
    return {id(node): f"v{i}" for i, node in enumerate(order)}


def op_label(node: Value, fold_constants: bool = False, precision: int = 4) -> str:
    """The text in an operation's circle: its op, and its constants on their side when folded in.

    >>> t, a = Value(0.5, "t1"), Value(0.7, "a_o1")
    >>> op_label(0.5 * (t - a) ** 2, fold_constants=True), op_label(1 - a, fold_constants=True)
    ('0.5 *', '1 -')
    """
    symbol = row(node.op).symbol
    if not fold_constants or not any(is_constant(child) for child in node.children):
        return symbol
    shown = [format_number(child.data, precision) if is_constant(child) else "" for child in node.children]
    if len(shown) == 1:
        return f"{symbol} {shown[0]}"
    return " ".join(text for text in (shown[0], symbol, *shown[1:]) if text)


def _value_style(node: Value, root: Value, param_ids: set[int]) -> dict[str, str]:
    if node is root:
        return STYLE_ROOT
    if node.children:
        return STYLE_INTERIOR
    if id(node) in param_ids:
        return STYLE_PARAMETER
    return STYLE_INPUT if node.label else STYLE_CONSTANT


def render_dot(source: str, path: str | os.PathLike[str]) -> Path:
    """Write DOT text to ``path`` (.svg, .png, .pdf or .dot), completely or not at all."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"render: unsupported file type {path.suffix!r} for {path}; use one of {sorted(FORMATS)}")
    write_atomically(path, source.encode() if fmt == "dot" else pipe(source, fmt))
    return path


def pipe(source: str, fmt: str) -> bytes:
    """Run Graphviz's ``dot`` program on DOT text; a missing or broken ``dot`` is one clear error."""
    program = shutil.which("dot")
    if program is None:
        raise GraphvizNotFound(INSTALL_DOT)
    try:
        done = subprocess.run([program, f"-T{fmt}"], input=source.encode(), capture_output=True)
    except OSError as error:  # dot exists but cannot be run
        raise GraphvizFailed(f"Graphviz's dot could not be run ({error.strerror}); reinstall Graphviz") from None
    if done.returncode != 0:  # what dot said goes into the error, not onto the terminal
        said = done.stderr.decode(errors="replace").strip().splitlines()
        raise GraphvizFailed(
            f"Graphviz's dot failed (exit status {done.returncode})"
            + (f": {said[0].strip()}" if said else "")
            + "; Graphviz seems broken: reinstall it, or check GVBINDIR"
        )
    return done.stdout


def render_graph(root: Value, path: str | os.PathLike[str], **draw_options: Any) -> Path:  # dot_source's
    """Draw ``root``'s graph into ``path``; the suffix picks the format (options: :func:`dot_source`'s).

    A ``.dot`` file needs nothing installed; the others need Graphviz's ``dot`` program.

    The file is written whole or not at all: the picture is made in memory,
    written to a temporary file beside ``path``, then renamed into place.
    """
    return render_dot(dot_source(root, **draw_options), path)


def repr_mimebundle(root: Value, include: object = None, exclude: object = None) -> dict[str, str]:
    """Jupyter's rich display of a Value: its graph as SVG, or the plain repr when it cannot be drawn."""
    try:
        svg = pipe(dot_source(root), "svg").decode()
    except (ValueError, RuntimeError):  # no dot, a broken one, too big
        return {"text/plain": repr(root)}
    return {"image/svg+xml": svg, "text/plain": repr(root)}


# In Jupyter a Value shows its graph. The hook is attached here, not written in
# engine.py, so the engine imports nothing of the drawing code (no import cycle).
Value._repr_mimebundle_ = repr_mimebundle  # type: ignore[attr-defined]
