"""Explain the chain rule: symbolic derivations (the backward pass step by step is in ``backward_log``).

>>> from micrograd_lite import course
>>> net = course.build_network()
>>> d = derive(net["E_total"], net["w5"])
>>> d.expanded
'(a_o1 − t1) · a_o1 · (1 − a_o1) · a_h1'
>>> d.chain
'∂E_total/∂E1 · ∂E1/∂a_o1 · ∂a_o1/∂o1 · ∂o1/∂w5'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..core.engine import Value, depending_on
from ..core.ops import row, substitute, words
from .notation import Namer, is_constant, number_text, python_text, tex

# ----------------------------------------------------------------------
# Local derivatives as text: (coefficient, factors).
# ----------------------------------------------------------------------


def local_factors(node: Value, index: int, name: Namer) -> tuple[float, list[str]]:
    """∂node/∂(child number ``index``) as a number times named factors, from the table's course text."""
    op = row(node.op)
    c = [name(child) for child in node.children]
    if op.name == "mul" and is_constant(node.children[1 - index]):
        return node.children[1 - index].data, []  # a constant factor is a coefficient: 0.5 · ...
    if op.exponent is not None:  # pown: n · a**(n − 1), with the number n worked out
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
            assert self.names is not None, "derive names the nodes of every derivation with terms"
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
        chain, expanded = self.chain, self.expanded  # each is worked out on every read
        lines = [f"{left} = {expanded}"]
        if chain != expanded and set(chain.split(" + ")) - {left, ""}:  # more than ∂f/∂x = ∂f/∂x
            lines = [f"{left} = {chain}", f"{' ' * len(left)} = {expanded}"]
        lines += [f"  where {name} = {expr}" for name, expr in self.result_definition + self.definitions]
        return "\n".join(lines)

    @property
    def result_definition(self) -> list[tuple[str, str]]:
        """``[(f, tanh(x · w + b))]`` when the formula uses the result's own name (tanh's derivative is 1 − f**2).

        The result is often named by no one but us (``f`` for an ``--expr``): a reader
        must be told what it stands for. An empty list when the formula does not use it.
        """
        if self.names is None:
            return []
        result = self.names.order[-1]
        if not result.children or self.root not in set(words(self.expanded)) or self.root in dict(self.definitions):
            return []  # not used, or already defined (a generated name such as n1)
        return [(self.root, self.names.expression(result))]

    def latex(self) -> str:
        where = "".join(f",\\quad {tex(name)} = {tex(expr)}" for name, expr in self.result_definition)
        fraction = f"\\frac{{\\partial {tex(self.root)}}}{{\\partial {tex(self.leaf)}}}"
        return f"$${fraction} = {tex(self.expanded)}{where}$$"


PATH_LIMIT = 64  # more paths than this: gradients gathered at shared nodes (δ) instead of one term per path
SIZE_LIMIT = 2000  # graphs with more values than this get no written derivation: the backward log shows them


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
            "use --backward-log to follow the backward pass turn by turn"
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
    stack: list[tuple[Value, float, list[str], list[Value]]] = [(root, 1.0, [], [root])]  # node, factor, names, path
    while stack:
        node, coefficient, factors, path = stack.pop()
        if node is leaf:
            terms.append(Term(coefficient, factors, path))
            continue
        branches = []
        for i, child in enumerate(node.children):
            if id(child) not in reaches:
                continue
            c, f = local_factors(node, i, name)
            labelled = path + [child] if (child.label or child is leaf) else path
            branches.append((child, coefficient * c, factors + f, labelled))
        stack.extend(reversed(branches))
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
    from ..core.expr import parse_expression

    name = derivation.names
    if name is None:
        raise ValueError("evaluate: the derivation does not name its nodes; make it with derive(root, leaf)")
    labels = {name(n): n.data for n in name.order if n.label}
    placeholder = {label: f"_{i}" for i, label in enumerate(sorted(labels, key=len, reverse=True))}
    pattern = re.compile(r"(?<![\w.])(?:" + "|".join(map(re.escape, placeholder)) + r")(?![\w(])")

    def plain(text: str) -> str:
        text = pattern.sub(lambda m: placeholder[m.group()], text) if placeholder else text
        return python_text(text)

    variables = {placeholder[label]: value for label, value in labels.items()}
    for gen, expr in derivation.definitions:  # generated names, in order of definition
        variables[gen] = parse_expression(plain(expr), variables, generated=True).data
    return parse_expression(plain(derivation.expanded), variables, generated=True).data
