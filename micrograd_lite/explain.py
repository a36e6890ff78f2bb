"""Explain the chain rule: symbolic derivations (the backward pass step by step is in ``trace``).

>>> from micrograd_lite import course
>>> net = course.build_network()
>>> d = derive(net["E_total"], net["w5"])
>>> d.expanded
'(a_o1 − t1) · a_o1 · (1 − a_o1) · a_h1'
>>> d.chain
'∂E_total/∂E1 · ∂E1/∂a_o1 · ∂a_o1/∂o1 · ∂o1/∂w5'
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from .engine import Value, depending_on, topological_order
from .util import format_number

INLINE_LIMIT = 24  # unlabelled nodes with a longer expression get a generated name
FUNCTIONS = ("exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs")  # written f(x): no parentheses needed


# ----------------------------------------------------------------------
# Names: labels, inline expressions, or generated names.
# ----------------------------------------------------------------------


class Namer:
    """A readable name for every node of a graph."""

    def __init__(self, root: Value) -> None:
        self.order = topological_order(root)
        self.names: dict[int, str] = {}
        self.definitions: list[tuple[str, str]] = []  # generated name -> its expression
        self.labels = {node.label for node in self.order}  # a generated name must not be one of these
        self.numbers = itertools.count(1)  # n1, n2, ... skipping labels
        for node in self.order:  # children first, so their names exist
            self.names[id(node)] = self._name(node)

    def __call__(self, node: Value) -> str:
        return self.names[id(node)]

    def _name(self, node: Value) -> str:
        if node.label:
            return node.label
        if not node.children:
            return format_number(node.data, 6)
        text = self.expression(node)
        if len(text) <= INLINE_LIMIT:
            return text if node.op in FUNCTIONS else f"({text})"  # so x**y**2 cannot misparse
        generated = next(f"n{k}" for k in self.numbers if f"n{k}" not in self.labels)
        self.definitions.append((generated, text))
        return generated

    def expression(self, node: Value) -> str:
        """How ``node`` was computed, from its children's names."""
        c = [self(child) for child in node.children]
        op = node.op
        if op == "-" and len(c) == 1:
            return f"−{c[0]}"
        if op == "+":
            return " + ".join(c)
        if op in ("-", "*", "/"):
            symbol = {"-": "−", "*": "·", "/": "/"}[op]
            return f"{c[0]} {symbol} {c[1]}"
        if op.startswith("**"):
            return f"{c[0]}**{op[2:] or c[1]}"
        return f"{op}{c[0]}" if c[0].startswith("(") and c[0].endswith(")") else f"{op}({c[0]})"


# ----------------------------------------------------------------------
# Local derivatives as text: (coefficient, factors).
# ----------------------------------------------------------------------


def local_factors(node: Value, index: int, name: Namer) -> tuple[float, list[str]]:
    """∂node/∂(child number ``index``) as a number times named factors."""
    c = [name(child) for child in node.children]
    out, op = name(node), node.op
    if op == "+":
        return 1.0, []
    if op == "-":
        return (-1.0, []) if len(c) == 1 or index == 1 else (1.0, [])
    if op == "*":
        other = node.children[1 - index]
        return (other.data, []) if _is_constant(other) else (1.0, [c[1 - index]])
    if op == "/":
        return (1.0, [f"1/{c[1]}"]) if index == 0 else (-1.0, [c[0], f"1/{c[1]}**2"])
    if op.startswith("**") and len(c) == 1:
        n = float(op[2:])
        if n == 0:
            return 0.0, []
        return n, [] if n == 1 else [c[0] if n == 2 else f"{c[0]}**{format_number(n - 1, 6)}"]
    if op == "**":
        return (1.0, [c[1], f"{c[0]}**({c[1]} − 1)"]) if index == 0 else (1.0, [out, f"log({c[0]})"])
    return 1.0, {
        "sigmoid": [out, f"(1 − {out})"],
        "tanh": [f"(1 − {out}**2)"],
        "exp": [out],
        "log": [f"1/{c[0]}"],
        "sqrt": [f"1/(2·{out})"],
        "relu": [f"step({c[0]})"],
        "abs": [f"sign({c[0]})"],
    }[op]


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
        number = format_number(self.coefficient, 6)
        return f"{number} · {body}" if body else number


@dataclass
class Derivation:
    """∂root/∂leaf: the sum over paths of the product of local derivatives."""

    root: str
    leaf: str
    terms: list[Term]
    definitions: list[tuple[str, str]] = field(default_factory=list)
    names: Namer | None = None

    @property
    def chain(self) -> str:
        """The chain of named factors, one product per path: ∂E_total/∂a_o1 · ∂a_o1/∂o1 · ..."""
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
        inner = " + ".join(t.text(t.factors[: len(t.factors) - common]) for t in self.terms)
        return f"({inner}) · {' · '.join(suffix)}" if suffix else inner

    def text(self) -> str:
        lines = [
            f"∂{self.root}/∂{self.leaf} = {self.chain}",
            f"{' ' * (len(self.root) + len(self.leaf) + 5)}= {self.expanded}",
        ]
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


def derive(root: Value, leaf: Value) -> Derivation:
    """∂root/∂leaf as the course writes it: a sum over paths of products of local derivatives."""
    name = Namer(root)
    if id(leaf) not in name.names:  # root does not depend on leaf
        return Derivation(name(root), leaf.label or "x", [], [], name)
    terms: list[Term] = []
    # iterative depth-first walk over every path root -> leaf
    stack = [(root, 1.0, [], [root])]
    reaches = depending_on(name.order, [leaf])
    while stack:
        node, coefficient, factors, path = stack.pop()
        if node is leaf:
            terms.append(Term(coefficient, factors, path).simplified())
            continue
        steps = []
        for i, child in enumerate(node.children):
            if id(child) not in reaches:
                continue
            c, f = local_factors(node, i, name)
            labelled = path + [child] if (child.label or child is leaf) else path
            steps.append((child, coefficient * c, factors + f, labelled))
        stack.extend(reversed(steps))
    return Derivation(name(root), name(leaf), terms, name.definitions, name)


def evaluate(derivation: Derivation, root: Value) -> float:
    """The derived formula's value, computed from its own text with the graph's numbers."""
    from .expr import parse_expression

    name = derivation.names
    variables = {name(n): n.data for n in name.order if name(n).isidentifier()}
    variables.update({gen: 0.0 for gen, _ in derivation.definitions})
    for gen, expr in derivation.definitions:  # generated names, in order of definition
        variables[gen] = parse_expression(_python(expr), variables, generated=True).data
    return parse_expression(_python(derivation.expanded), variables, generated=True).data


def _python(text: str) -> str:
    return text.replace("·", "*").replace("−", "-")
