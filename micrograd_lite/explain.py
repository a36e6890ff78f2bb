"""Explain the chain rule: symbolic derivations and a step-by-step backward trace.

>>> from micrograd_lite import sheet
>>> net = sheet.build_network()
>>> d = derive(net["E_total"], net["w5"])
>>> d.expanded
'(a_o1 − t1) · a_o1 · (1 − a_o1) · a_h1'
>>> d.chain
'∂E_total/∂E1 · ∂E1/∂a_o1 · ∂a_o1/∂o1 · ∂o1/∂w5'
"""

from __future__ import annotations

import csv
import html
import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .engine import Value, depending_on, topological_order
from .ops import FUNCTIONS, number_text, substitute
from .util import format_number

INLINE_LIMIT = 24  # unlabelled nodes with a longer expression get a generated name


# ----------------------------------------------------------------------
# Names: labels, inline expressions, or generated names.
# ----------------------------------------------------------------------


class Namer:
    """A readable name for every node of a graph."""

    def __init__(self, root: Value) -> None:
        self.order = topological_order(root)
        self.names: dict[int, str] = {}
        self.definitions: list[tuple[str, str]] = []  # generated name -> its expression
        self.labels = {node.label for node in self.order}
        for node in self.order:  # children first, so their names exist
            self.names[id(node)] = self._name(node)

    def __call__(self, node: Value) -> str:
        return self.names[id(node)]

    def _name(self, node: Value) -> str:
        if node.label:
            return node.label
        if not node.children:
            number = number_text(node.data)  # exactly, so the formula evaluates to the gradient
            return f"({number})" if number.startswith("-") else number  # so 1/-3**2 cannot misparse
        text = self.expression(node)
        if len(text) <= INLINE_LIMIT:
            return text if node.op.name in FUNCTIONS else f"({text})"  # so x**y**2 cannot misparse
        generated = f"n{len(self.definitions) + 1}"
        while generated in self.labels:  # a label may already read n1
            generated += "_"
        self.definitions.append((generated, text))
        return generated

    def expression(self, node: Value) -> str:
        """How ``node`` was computed, from its children's names, in the course's notation."""
        c = [self(child) for child in node.children]
        op = node.op
        if op.arity is None:  # a sum of any number of terms
            return " + ".join(c)
        if op.name == "pown":
            return f"{c[0]}**{number_text(op.exponent)}"
        if op.name in FUNCTIONS and c[0].startswith("(") and c[0].endswith(")"):
            return f"{op.name}{c[0]}"  # tanh(x · w), not tanh((x · w))
        names = {"a": c[0], "b": c[1]} if len(c) > 1 else {"a": c[0]}
        return substitute(_course(op.forward).replace(" ** ", "**"), names, parenthesise=False)


def _course(code: str) -> str:
    """Python operators as the course writes them: ``a * b - c`` -> ``a · b − c``."""
    return code.replace(" * ", " · ").replace("-", "−")


def _python(text: str) -> str:
    return text.replace("·", "*").replace("−", "-")


# ----------------------------------------------------------------------
# Local derivatives as text: (coefficient, factors).
# ----------------------------------------------------------------------


def local_factors(node: Value, index: int, name: Namer) -> tuple[float, list[str]]:
    """∂node/∂(child number ``index``) as a number times named factors, from the table's course text."""
    op = node.op
    c = [name(child) for child in node.children]
    if op.name == "mul" and _is_constant(node.children[1 - index]):
        return node.children[1 - index].data, []  # a constant factor is a coefficient: 0.5 · ...
    if op.name == "pown":  # n · a**(n − 1), with the number n worked out
        n = op.exponent
        if n == 0:
            return 0.0, []
        return n, [] if n == 1 else [c[0] if n == 2 else f"{c[0]}**{number_text(n - 1)}"]
    text = op.course[0 if op.arity is None else index]
    coefficient = 1.0
    if text.startswith("−"):
        coefficient, text = -1.0, text[1:]
    if text == "1":
        return coefficient, []
    names = {"a": c[0], "out": name(node)}
    if len(c) > 1:
        names["b"] = c[1]
    factors = [substitute(factor, names, parenthesise=False) for factor in text.split(" · ")]
    for wrapped in {n for n in names.values() if n.startswith("(") and n.endswith(")")}:
        factors = [f.replace(f"({wrapped})", wrapped) for f in factors]  # cos(x · w), not cos((x · w))
    return coefficient, factors


def _is_constant(node: Value) -> bool:
    return not node.children and not node.label


def _flip(factor: str) -> str | None:
    """``(a − b)`` -> ``(b − a)``: how a sign is absorbed, as the course writes (a_o1 − t1)."""
    if factor.startswith("(") and factor.endswith(")") and factor.count(" − ") == 1 and "(" not in factor[1:-1]:
        a, b = factor[1:-1].split(" − ")
        return f"({b} − {a})"
    return None


@dataclass
class Term:
    """One path's product: coefficient × factors, and the labelled nodes it passes."""

    coefficient: float
    factors: list[str]
    path: list[Value]

    def simplified(self) -> Term:
        c, factors = self.coefficient, list(self.factors)
        if c < 0:
            for i, f in enumerate(factors):
                flipped = _flip(f)
                if flipped:
                    factors[i], c = flipped, -c
                    break
        return Term(c, factors, self.path)

    def text(self, factors: list[str] | None = None) -> str:
        factors = self.factors if factors is None else factors
        body = " · ".join(factors)
        if self.coefficient == 1.0:
            return body or "1"
        if self.coefficient == -1.0:
            return f"−{body}" if body else "−1"
        number = number_text(self.coefficient)
        return f"{number} · {body}" if body else number


@dataclass
class Derivation:
    """∂root/∂leaf: the sum over paths of the product of local derivatives."""

    root: str
    leaf: str
    terms: list[Term]
    definitions: list[tuple[str, str]] = field(default_factory=list)
    names: Namer | None = None
    paths: int | None = None  # set when the paths were too many to write: gathered with δ names

    @property
    def chain(self) -> str:
        """The chain of named factors, one product per path: ∂E_total/∂a_o1 · ∂a_o1/∂o1 · ..."""
        if self.paths is not None:
            return f"a sum over {self.paths:,} paths, gathered where they meet (δ = ∂{self.root}/∂ that node)"
        chains = []
        for term in self.terms:
            labels = [self.names(n) for n in term.path]
            chains.append(" · ".join(f"∂{a}/∂{b}" for a, b in zip(labels, labels[1:])))
        return " + ".join(chains) if chains else "0"

    @property
    def expanded(self) -> str:
        """Every local derivative written out, common trailing factors taken out of the sum."""
        if not self.terms:
            return "0"
        if len(self.terms) == 1:
            return self.terms[0].text()
        common = 0
        while (
            all(len(t.factors) > common for t in self.terms) and len({t.factors[-1 - common] for t in self.terms}) == 1
        ):
            common += 1
        suffix = self.terms[0].factors[len(self.terms[0].factors) - common :]
        inner = " + ".join(t.text(t.factors[: len(t.factors) - common]) for t in self.terms).replace(" + −", " − ")
        return f"({inner}) · {' · '.join(suffix)}" if suffix else inner

    def text(self) -> str:
        left = f"∂{self.root}/∂{self.leaf}"
        lines = [f"{left} = {self.expanded}"]
        if self.chain != self.expanded and set(self.chain.split(" + ")) - {left, ""}:  # more than ∂f/∂x = ∂f/∂x
            lines = [f"{left} = {self.chain}", f"{' ' * len(left)} = {self.expanded}"]
        lines += [f"  where {name} = {expr}" for name, expr in self.definitions]
        return "\n".join(lines)

    def latex(self) -> str:
        return f"$$\\frac{{\\partial {_tex(self.root)}}}{{\\partial {_tex(self.leaf)}}} = {_tex(self.expanded)}$$"


def _tex(text: str) -> str:
    """A plain-text formula as LaTeX: a_o1 -> a_{o1}, · -> \\cdot, − -> -."""
    out = text.replace("·", r"\cdot").replace("−", "-").replace("**", "^")
    return "".join(
        f"{word.split('_', 1)[0]}_{{{word.split('_', 1)[1]}}}" if "_" in word and word[0].isalpha() else word
        for word in _split_words(out)
    )


def _split_words(text: str) -> list[str]:
    words, current = [], ""
    for ch in text:
        if ch.isalnum() or ch == "_":
            current += ch
        else:
            if current:
                words.append(current)
                current = ""
            words.append(ch)
    return words + ([current] if current else [])


PATH_LIMIT = 64  # more paths than this: gradients gathered at shared nodes (δ) instead of one term per path
SIZE_LIMIT = 2000  # graphs with more values than this get no written derivation: the trace shows them


def derive(root: Value, leaf: Value) -> Derivation:
    """∂root/∂leaf as the course writes it: a sum over paths of products of local derivatives.

    The number of paths is counted first, by dynamic programming over the
    graph (paths to a node = the sum of the paths to each node that uses it),
    in time linear in its size. Up to :data:`PATH_LIMIT` paths, every path is
    written out, as the course does. Past it -- a graph of 19 values can have
    262,144 paths -- the gradient is gathered where paths meet: each shared
    node gets a name ``δ1, δ2, ...`` for ∂root/∂node, defined once from the
    nodes that use it, so the text grows with the graph, not with its paths.
    """
    name = Namer(root)
    if len(name.order) > SIZE_LIMIT:
        raise ValueError(
            f"explain: the graph has {len(name.order)} values, more than {SIZE_LIMIT} for a written derivation; "
            "use --trace to follow the backward pass step by step"
        )
    if id(leaf) not in name.names:  # root does not depend on leaf
        return Derivation(name(root), leaf.label or "x", [], [], name)
    reaches = depending_on(name.order, [leaf])
    paths = _count_paths(name.order, root, reaches)
    if paths[id(leaf)] <= PATH_LIMIT:
        terms = [term.simplified() for term in _every_path(root, leaf, name, reaches)]
        return Derivation(name(root), name(leaf), terms, name.definitions, name)
    return _gathered(root, leaf, name, reaches, paths)


def _count_paths(order: list[Value], root: Value, reaches: set[int]) -> dict[int, int]:
    """How many paths lead from ``root`` to each node that reaches the leaf: linear in the graph."""
    paths = {id(root): 1}
    for node in reversed(order):  # every node before its children
        count = paths.get(id(node), 0)
        for child in node.children:
            if count and id(child) in reaches:
                paths[id(child)] = paths.get(id(child), 0) + count
    return paths


def _every_path(root: Value, leaf: Value, name: Namer, reaches: set[int]) -> list[Term]:
    """One term per path root -> leaf: an iterative depth-first walk."""
    terms: list[Term] = []
    stack = [(root, 1.0, [], [root])]
    while stack:
        node, coefficient, factors, path = stack.pop()
        if node is leaf:
            terms.append(Term(coefficient, factors, path))
            continue
        steps = []
        for i, child in enumerate(node.children):
            if id(child) not in reaches:
                continue
            c, f = local_factors(node, i, name)
            labelled = path + [child] if (child.label or child is leaf) else path
            steps.append((child, coefficient * c, factors + f, labelled))
        stack.extend(reversed(steps))
    return terms


def _gathered(root: Value, leaf: Value, name: Namer, reaches: set[int], paths: dict[int, int]) -> Derivation:
    """∂root/∂leaf with ∂root/∂node named (δ1, δ2, ...) at every node where paths meet."""
    incoming: dict[int, list[Term]] = {id(root): [Term(1.0, [], [root])]}
    definitions: list[tuple[str, str]] = []
    for node in reversed(name.order):  # every node before its children: its gradient is complete
        if id(node) not in paths or id(node) not in reaches or node is leaf:
            continue
        terms = incoming.pop(id(node))
        if len(terms) > 1:  # paths meet here: name the gradient once
            delta = f"δ{len(definitions) + 1}"
            while delta in name.labels:
                delta += "_"
            definitions.append((delta, " + ".join(t.simplified().text() for t in terms).replace(" + −", " − ")))
            terms = [Term(1.0, [delta], [node])]
        for i, child in enumerate(node.children):
            if id(child) in reaches:
                c, f = local_factors(node, i, name)
                incoming.setdefault(id(child), []).extend(
                    Term(t.coefficient * c, t.factors + f, [*t.path, child]) for t in terms
                )
    terms = [t.simplified() for t in incoming[id(leaf)]]
    return Derivation(name(root), name(leaf), terms, name.definitions + definitions, name, paths=paths[id(leaf)])


def evaluate(derivation: Derivation, root: Value) -> float:
    """The derived formula's value, computed from its own text with the graph's numbers.

    Labels need not be Python names (``a b``, ``ｘ``, ``len``): each is read as
    a placeholder of its own before the text is parsed.
    """
    from .expr import parse_expression

    name = derivation.names
    labels = {name(n): n.data for n in name.order if n.label}
    placeholder = {label: f"_{i}" for i, label in enumerate(sorted(labels, key=len, reverse=True))}
    pattern = re.compile(r"(?<![\w.])(?:" + "|".join(map(re.escape, placeholder)) + r")(?![\w(])")

    def plain(text: str) -> str:
        text = pattern.sub(lambda m: placeholder[m.group()], text) if placeholder else text
        return _python(text)

    variables = {placeholder[label]: value for label, value in labels.items()}
    for gen, expr in derivation.definitions:  # generated names, in order of definition
        variables[gen] = parse_expression(plain(expr), variables).data
    return parse_expression(plain(derivation.expanded), variables).data


# ----------------------------------------------------------------------
# The backward pass, step by step.
# ----------------------------------------------------------------------


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
    node_ref: Value = field(repr=False, compare=False)
    child_ref: Value = field(repr=False, compare=False)


def trace_backward(root: Value, on_step: Callable[[int, list[Step]], None] | None = None) -> list[Step]:
    """Run a backward pass (as ``Value.backward`` does) and record every product it sends.

    Every grad starts from 0 here, leaves included, so the trace shows one pass alone.

    ``on_step(i, steps)`` is called after node number ``i`` has sent its
    gradients, with the grads filled in so far: that is how frames are drawn.
    """
    name = Namer(root)
    order = name.order
    for node in order:
        node.grad = 0.0
    root.grad = 1.0
    steps: list[Step] = []
    turn = 0
    for node in reversed(order):
        if not node.children:
            continue
        sent = []
        for child, local in zip(node.children, node.local_grads):
            product = local * node.grad
            child.grad += product
            sent.append(Step(turn, name(node), node.op, node.grad, name(child), local, product, node, child))
        steps += sent
        if on_step:
            on_step(turn, sent)
        turn += 1
    return steps


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


# ----------------------------------------------------------------------
# Pictures of the trace: one frame per step, and one HTML page to step through.
# ----------------------------------------------------------------------


def trace_frames(root: Value, params=(), rankdir: str = "LR") -> tuple[list[Step], list[str]]:
    """The trace, and one SVG per backward step (grads so far, active edges in red)."""
    from .viz import draw_dot

    frames: list[str] = []

    def draw(turn: int, sent: list[Step]) -> None:
        edges = [(s.child_ref, s.node_ref) for s in sent]
        dot = draw_dot(root, params=params, highlight=edges, rankdir=rankdir)
        frames.append(dot.pipe(format="svg", encoding="utf-8"))

    steps = trace_backward(root, on_step=draw)
    return steps, frames


def trace_html(steps: list[Step], frames: list[str], title: str = "The backward pass, step by step") -> str:
    """A self-contained page: every frame inline, Previous/Next buttons, arrow keys and a slider."""
    sections = []
    for turn, svg in enumerate(frames):
        sent = [s for s in steps if s.index == turn]
        node = sent[0]
        items = "".join(
            f"<li>∂/∂{html.escape(s.child)} += {_num(s.local)} · {_num(s.upstream)} = <b>{_num(s.product)}</b></li>"
            for s in sent
        )
        svg_body = svg[svg.index("<svg") :]
        sections.append(
            f'<section class="frame" data-step="{turn}"{" hidden" if turn else ""}>'
            f"<h2>Step {turn + 1} of {len(frames)}: {html.escape(node.node)} = {html.escape(node.op)}(…), "
            f"upstream gradient {_num(node.upstream)}</h2><ul>{items}</ul>{svg_body}</section>"
        )
    return _PAGE.format(title=html.escape(title), count_minus_one=len(frames) - 1, frames="\n".join(sections))


def _num(x: float) -> str:
    return format_number(x, 4) if math.isfinite(x) else str(x)


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: Helvetica, Arial, sans-serif; margin: 1.5em; }}
nav {{ position: sticky; top: 0; background: #fff; padding: .5em 0; }}
button {{ font-size: 1em; padding: .3em 1em; }}
section svg {{ max-width: 100%; height: auto; }}
</style></head>
<body>
<h1>{title}</h1>
<p>Each step is one node's turn: its gradient is complete, and it sends local derivative × gradient
to each child (edges in red). Use the buttons, the slider or the arrow keys.</p>
<nav><button id="prev">◀ Previous</button> <button id="next">Next ▶</button>
<input id="slider" type="range" min="0" max="{count_minus_one}" value="0"> <span id="where"></span></nav>
{frames}
<script>
const frames = Array.from(document.querySelectorAll("section.frame"));
let current = 0;
function show(i) {{
  current = Math.max(0, Math.min(frames.length - 1, i));
  frames.forEach((f, k) => f.hidden = k !== current);
  document.getElementById("slider").value = current;
  document.getElementById("where").textContent = "step " + (current + 1) + " / " + frames.length;
}}
document.getElementById("prev").onclick = () => show(current - 1);
document.getElementById("next").onclick = () => show(current + 1);
document.getElementById("slider").oninput = e => show(Number(e.target.value));
document.addEventListener("keydown", e => {{
  if (e.key === "ArrowRight") show(current + 1);
  if (e.key === "ArrowLeft") show(current - 1);
}});
show(0);
</script>
</body></html>
"""
