"""A page to step through the backward pass: one picture, laid out once, whose gradients change per step.

Graphviz lays the graph out a single time (every gradient box wide enough for
the widest number it will show); each step is then a small change of data —
the gradients its node sends, the edges they travel — applied by the page's
script. Nothing moves, and one step costs what it changes, not a new picture.

>>> from micrograd_lite import course
>>> net = course.build_network()
>>> stepper = build_stepper(net["E_total"])
>>> len(stepper.turns), stepper.turns[0].title
(23, 'E_total = E1 + E2')
>>> turn = next(t for t in stepper.turns if t.title == "a_o2 = sigmoid(o2)")
>>> print(turn.sends[0].formula)
∂E_total/∂o2 = ∂E_total/∂a_o2 · ∂a_o2/∂o2 = 0.1305 · 0.233 = 0.0304
"""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources

from ..core.engine import Value, topological_order
from ..deprecated import deprecated, module_aliases
from .backward_log import LogRow, log_backward
from .explain import Term, local_factors
from .notation import Namer, factor_text, format_number, grad_text, is_constant
from .viz import dot_source, node_ids, pipe

DEFAULT_MAX_TURNS = 500  # past this a page is over a megabyte and Graphviz's layout takes many seconds
BYTES_PER_STEP = 2_700  # measured on the course network and on a sum of 100 terms: picture and data together
SVG_NS = "http://www.w3.org/2000/svg"


@dataclass(frozen=True)
class Send:
    """One product a node sends to a child, written out with full names."""

    child_id: str  # the child's id in the picture
    edge_id: str
    formula: str  # ∂E_total/∂o1 = ∂E_total/∂a_o1 · ∂a_o1/∂o1 = 0.1385 · 0.2387 = 0.03307
    local_rule: str  # ∂a_o1/∂o1 = a_o1 · (1 − a_o1)
    grad_text: str  # the child's grad after this send, as the picture shows it
    previous_text: str  # and before it
    note: str  # "first of 2 contributions", "complete"


@dataclass(frozen=True)
class Turn:
    """One node's turn: its gradient is complete, and it sends local derivative × gradient to each child."""

    node_id: str
    title: str  # a_o1 = sigmoid(o1)
    upstream: str  # ∂E_total/∂a_o1 = 0.1385
    sends: list[Send]


@dataclass(repr=False)
class Stepper:
    """The backward log, the one picture, and each turn's changes: everything the page shows."""

    log: list[LogRow]
    svg: str
    turns: list[Turn]
    initial: dict[str, str]  # grad text of every drawn value before the first turn
    root_id: str  # where the backward pass starts: shown first
    results: list[tuple[str, str]]  # after the last turn: ("∂E_total/∂w1", "0.000317"), parameters then inputs

    @property
    def steps(self) -> list[LogRow]:
        """Deprecated: the backward log's rows, ``log``."""
        deprecated("Stepper.steps", "Stepper.log")
        return self.log

    def __repr__(self) -> str:
        return f"Stepper({len(self.turns)} turns, {len(self.svg):,} bytes of picture)"

    def html(self, title: str = "The backward pass, step by step") -> str:
        """A self-contained page (no network): the picture, the controls and the chain-rule panel."""
        return page_html(self, title)

    def frames(self) -> list[str]:
        """One SVG per turn, all with the same layout and size (grads so far, the turn's edges in red)."""
        return svg_frames(self)

    def _repr_html_(self) -> str:
        """Jupyter shows the page inline, in a frame of its own (its keys and styles stay inside)."""
        page = html.escape(self.html(), quote=True)
        return f'<iframe srcdoc="{page}" style="width:100%;height:720px;border:1px solid #ccc"></iframe>'


def check_size(
    root: Value, max_turns: int | None = DEFAULT_MAX_TURNS, order: list[Value] | None = None
) -> tuple[int, int]:
    """``(turns, estimated page bytes)``; ValueError past ``max_turns``, before any work is done.

    ``order``: the graph's topological order, when the caller has sorted it already.
    """
    turns = sum(1 for node in (topological_order(root) if order is None else order) if node.children)
    estimate = turns * BYTES_PER_STEP + 10_000  # + the page's own text and script
    if max_turns is not None and turns > max_turns:
        raise ValueError(
            f"the backward pass has {turns:,} turns, more than the limit of {max_turns:,}: "
            f"the page would be about {estimate / 1e6:.1f} MB and slow to lay out; "
            f"raise the limit (--max-turns {turns}) to make it anyway"
        )
    return turns, estimate


def build_stepper(
    root: Value,
    params: Iterable[Value] = (),
    rankdir: str = "TB",
    max_turns: int | None = DEFAULT_MAX_TURNS,
    max_steps: int | None = None,
    layout: Callable[[str], str] | None = None,
) -> Stepper:
    """Log the backward pass of ``root`` and lay its graph out once (needs Graphviz's ``dot`` program).

    ``layout``: DOT text to SVG text instead of the ``dot`` program (in a browser: Graphviz in WebAssembly).

    Constants are folded into their operation (``0.5 *``): they are drawn
    nowhere and send nothing worth a line. Raises ValueError past ``max_turns``
    (``max_steps``: its name of 0.1.0, deprecated).
    """
    order = topological_order(root)  # the one sort: the size check, the names, the log and the picture share it
    if max_steps is not None:
        deprecated("build_stepper(max_steps=...)", "max_turns")
        max_turns = max_steps
    check_size(root, max_turns, order)
    params = list(params)  # read twice: drawn blue, and listed first in the summary
    name = Namer(root, order)
    log = log_backward(root, name)
    ids = node_ids(name.order)
    parents = Counter(id(child) for node in name.order for child in node.children)
    grads = {id(node): 0.0 for node in name.order}
    grads[id(root)] = 1.0
    received: Counter[int] = Counter()
    texts = {key: [grad_text(value)] for key, value in grads.items()}  # every text a grad box will show
    turns = []
    for turn_rows in _by_turn(log):
        node = turn_rows[0].node_ref
        upstream = f"∂{name(root)}/∂{name(node)}"
        sends = []
        for i, row in enumerate(turn_rows):
            child = row.child_ref
            before = grads[id(child)]
            grads[id(child)] = row.child_grad  # the engine's walk summed it
            received[id(child)] += 1
            texts[id(child)].append(grad_text(grads[id(child)]))
            if is_constant(child):
                continue
            local = f"∂{name(node)}/∂{name(child)}"
            coefficient, factors = local_factors(node, i, name)
            total = parents[id(child)]
            sign = "=" if total == 1 else "+="
            so_far = received[id(child)]
            if total == 1:
                note = f"its only contribution: ∂{name(root)}/∂{name(child)} is complete"
            else:
                note = f"contribution {so_far} of {total}" + (": complete" if so_far == total else "")
            sends.append(
                Send(
                    child_id=ids[id(child)],
                    edge_id=f"{ids[id(node)]}_in{i}",
                    formula=f"∂{name(root)}/∂{name(child)} {sign} {upstream} · {local} = "
                    f"{factor_text(row.upstream)} · {factor_text(row.local)} = {format_number(row.product)}",
                    local_rule=f"{local} = {Term(coefficient, factors, []).text()}",
                    grad_text=grad_text(grads[id(child)]),
                    previous_text=grad_text(before),
                    note=f"{note}, {format_number(grads[id(child)])} so far" if total > 1 else note,
                )
            )
        turns.append(
            Turn(ids[id(node)], name.definition(node), f"{upstream} = {format_number(turn_rows[0].upstream)}", sends)
        )
    svg = _layout(root, params, rankdir, texts, name, layout)
    initial = {ids[key]: values[0] for key, values in texts.items()}
    given = {id(p): k for k, p in enumerate(params)}
    leaves = [node for node in name.order if not node.children and not is_constant(node) and node is not root]
    leaves.sort(key=lambda node: given.get(id(node), len(given)))
    results = [(f"∂{name(root)}/∂{name(node)}", format_number(grads[id(node)])) for node in leaves]
    return Stepper(log, svg, turns, initial, ids[id(root)], results)


def _by_turn(log: list[LogRow]) -> list[list[LogRow]]:
    turns: list[list[LogRow]] = []
    for row in log:
        if not turns or turns[-1][0].turn != row.turn:
            turns.append([])
        turns[-1].append(row)
    return turns


def _layout(
    root: Value, params: Iterable[Value], rankdir: str, texts: dict[int, list[str]], name: Namer,
    layout: Callable[[str], str] | None = None,
) -> str:  # fmt: skip
    """The one picture: laid out with each box's widest gradient text, so no later number overflows it."""
    widest = {key: max(values, key=len) for key, values in texts.items()}
    source = dot_source(
        root, params=params, rankdir=rankdir, max_nodes=None, fold_constants=True, name_intermediates=True,
        namer=name, grad_texts=widest,
    )  # fmt: skip
    svg = layout(source) if layout else pipe(source, "svg").decode()
    return svg[svg.index("<svg") :]  # no XML prolog inside HTML


def _data(stepper: Stepper) -> dict[str, object]:
    turns = []
    for turn in stepper.turns:
        panel = f"<h2>{html.escape(turn.title)}</h2><p class='upstream'>{html.escape(turn.upstream)} is complete: "
        panel += "it sends local derivative × gradient to each child.</p><ol>"
        for send in turn.sends:
            panel += (
                f"<li><div class='formula'>{html.escape(send.formula)}</div>"
                f"<div class='rule'>{html.escape(send.local_rule)}; {html.escape(send.note)}</div></li>"
            )
        panel += "</ol>" if turn.sends else "</ol><p>It sends only to constants.</p>"
        turns.append(
            {
                "node": turn.node_id,
                "edges": [send.edge_id for send in turn.sends],
                "changes": [[send.child_id, send.previous_text, send.grad_text] for send in turn.sends],
                "panel": panel,
            }
        )
    return {"initial": stepper.initial, "root": stepper.root_id, "turns": turns, "done": _done(stepper)}


def _done(stepper: Stepper) -> str:
    """What the last step adds to its panel: the pass is over, and the gradient of every input and parameter."""
    rows = "".join(f"<tr><td>{html.escape(d)}</td><td>= {html.escape(g)}</td></tr>" for d, g in stepper.results)
    turns = f"{len(stepper.turns)} turn" + "s" * (len(stepper.turns) != 1)
    return (
        f"<div class='done'><h2>Backward pass done</h2><p>{turns}: every gradient is complete. "
        f"The gradient of each input and parameter:</p><table>{rows}</table></div>"
    )


def page_html(stepper: Stepper, title: str) -> str:
    template = resources.files("micrograd_lite.show").joinpath("templates/stepper.html").read_text(encoding="utf-8")
    data = json.dumps(_data(stepper), ensure_ascii=False).replace("</", "<\\/")  # cannot close the script
    values = {"title": html.escape(title), "count": str(len(stepper.turns)), "data": data, "svg": stepper.svg}
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], template)  # one pass: inserted text stays as is


def svg_frames(stepper: Stepper) -> list[str]:
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    picture = ET.fromstring(stepper.svg)
    groups = {g.get("id"): g for g in picture.iter(f"{{{SVG_NS}}}g") if g.get("id")}

    def set_grad(node_id: str, text: str) -> None:
        group = groups.get(node_id)
        if group is not None:
            group.findall(f"{{{SVG_NS}}}text")[-1].text = text  # the grad is a box's last field

    def paint(edge_id: str, colour: str, width: str) -> None:
        for shape in groups[edge_id]:
            if shape.tag in (f"{{{SVG_NS}}}path", f"{{{SVG_NS}}}polygon"):
                shape.set("stroke", colour)
                shape.set("stroke-width", width)
                if shape.tag.endswith("polygon"):
                    shape.set("fill", colour)

    saved: dict[str, dict[str, str | None]] = {}

    def outline(node_id: str, on: bool) -> None:  # the turn's node, outlined in red as on the page
        box = groups[node_id].find(f"{{{SVG_NS}}}polygon")
        assert box is not None, node_id  # every value's box is a polygon in Graphviz's SVG
        if on:
            saved[node_id] = {name: box.get(name) for name in ("stroke", "stroke-width")}
            box.set("stroke", "red")
            box.set("stroke-width", "3")
            return
        for name, value in saved.pop(node_id).items():  # back as Graphviz drew it
            if value is None:
                del box.attrib[name]
            else:
                box.set(name, value)

    for node_id, text in stepper.initial.items():
        set_grad(node_id, text)
    frames: list[str] = []
    previous: list[str] = []
    current: str | None = None
    for turn in stepper.turns:
        for edge_id in previous:
            paint(edge_id, "#444444", "1")
        if current:
            outline(current, False)
        outline(turn.node_id, True)
        current = turn.node_id
        for send in turn.sends:
            set_grad(send.child_id, send.grad_text)
            paint(send.edge_id, "red", "2.5")
        previous = [send.edge_id for send in turn.sends]
        frames.append(ET.tostring(picture, encoding="unicode"))
    return frames


__getattr__ = module_aliases(
    "micrograd_lite.stepper",
    {"DEFAULT_MAX_STEPS": ("micrograd_lite.stepper.DEFAULT_MAX_TURNS", DEFAULT_MAX_TURNS)},
)
