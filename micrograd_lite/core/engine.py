"""A scalar automatic-differentiation engine, written to be read.

Every arithmetic operation on a :class:`Value` returns a new Value that
remembers three things:

* ``children``    -- the operand Values it was computed from, in operand order;
* ``op``          -- the operation: a row of the table in :mod:`micrograd_lite.ops`,
  which reads as its symbol (``"*"``, ``"exp"``, ``"**2"``);
* ``local_grads`` -- the local derivative of the result with respect to each
  child, computed right away, next to the forward value.

That is the whole computation graph. :meth:`Value.backward` then walks the
graph from the result back to the leaves and applies the chain rule::

    child.grad += local_grad * node.grad

Example:

>>> a, b = Value(2.0, "a"), Value(-3.0, "b")
>>> c = a * b + a          # dc/da = b + 1 = -2,  dc/db = a = 2
>>> c.backward()
>>> a.grad, b.grad
(-2.0, 2.0)

The file reads as a lesson: the Value and its two constructors; ``+ * tanh
exp``, enough for a neuron; ``backward`` and the order it walks in; the
other operations; a few graph helpers (``sum_values``, ``leaves``,
``zero_grad``); backward's walk one term at a time (``backward_walk``, for
the modules that show or reuse the chain rule); and last, what makes it fast
and safe.
"""

from __future__ import annotations

import gc
import math
import numbers
import operator
from collections.abc import Iterable, Iterator, Sequence
from typing import TypeGuard, Union

from .ops import (
    ABS,
    ADD,
    COS,
    DETACH,
    DIV,
    EXP,
    LOG,
    MUL,
    NEG,
    POW,
    RELU,
    SIGMOID,
    SIN,
    SQRT,
    SUB,
    TANH,
    Op,
    gradient_overflow,
    not_a_number,
    overflow,
    power,
    sigmoid,
    xlogy,
)

Number = Union[int, float]  # noqa: UP007 (a runtime alias, Python 3.10)
Operand = Union["Value", Number]  # noqa: UP007


# ======================================================================
# 1. A Value, and the two ways to make one.
# ======================================================================


class Value:
    """A scalar that records how it was computed, so it can be differentiated.

    >>> w = Value(0.15, label="w1")
    >>> w
    Value(data=0.15, grad=0.0, label='w1')
    """

    __slots__ = ("data", "grad", "label", "op", "children", "local_grads")

    def __init__(self, data: float, label: str = "") -> None:
        """A leaf: a number you give (an input, a weight, a constant)."""
        if not isinstance(label, str):
            raise TypeError(f"Value(label) needs a str, got {type(label).__name__}: {label!r}")
        self.data = data if type(data) is float else _as_float(data)
        self.grad = 0.0
        self.label = label
        self.op: Op | str = ""  # a leaf you made: no operation produced it
        self.children: tuple[Value, ...] = ()
        self.local_grads: tuple[float, ...] = ()

    @classmethod
    def from_operation(
        cls, data: float, children: tuple[Value, ...], op: Op | str, local_grads: tuple[float, ...]
    ) -> Value:
        """A result: made by operation ``op`` from ``children``, with its local derivatives.

        No checks, for speed: the operations below pass floats and Values.

        >>> x = Value(3.0, "x")
        >>> y = Value.from_operation(9.0, (x,), power(2.0), (6.0,))  # what x ** 2 does
        >>> y.backward(); x.grad
        6.0
        """
        out = _new_value(cls)
        out.data = data
        out.grad = 0.0
        out.label = ""
        out.op = op
        out.children = children
        out.local_grads = local_grads
        return out

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    def __bool__(self) -> bool:
        """False for 0.0 (and -0.0), as a float and PyTorch's tensors: ``if v:`` reads the number.

        Like any ``if`` on a value, it is Python control flow: not part of the graph.
        """
        return self.data != 0.0

    # ==================================================================
    # 2. Enough for a neuron: + * tanh exp. Each operation states its
    #    forward value and its local derivatives side by side.
    #    (_result is Value.from_operation above; _as_value, which turns a
    #    plain number into a constant leaf, and the shared tuples such as
    #    _PLUS are explained in section 6.)
    # ==================================================================

    def __add__(self, other: Operand) -> Value:
        if not isinstance(other, Value):
            other = _as_value(other)  # a number becomes a constant leaf
            if other is NotImplemented:
                return NotImplemented
        out = self.data + other.data
        if out != out:  # nan: inf + -inf (section 6)
            _refuse_nan(ADD, self.data, other.data)
        return _result(out, (self, other), ADD, _PLUS)  # d(a+b)/da = d(a+b)/db = 1

    def __mul__(self, other: Operand) -> Value:
        if not isinstance(other, Value):
            other = _as_value(other)
            if other is NotImplemented:
                return NotImplemented
        out = self.data * other.data
        if out != out:  # nan: inf * 0 (section 6)
            _refuse_nan(MUL, self.data, other.data)
        return _result(out, (self, other), MUL, (other.data, self.data))  # d(a*b)/da = b,  d(a*b)/db = a

    def tanh(self) -> Value:
        t = math.tanh(self.data)  # math.tanh never overflows
        return _result(t, (self,), TANH, (1.0 - t * t,))  # d(tanh x)/dx = 1 - tanh(x)**2

    def exp(self) -> Value:
        try:
            out = math.exp(self.data)
        except OverflowError:
            raise overflow(EXP, self.data) from None
        return _result(out, (self,), EXP, (out,))  # d(e**x)/dx = e**x

    # ==================================================================
    # 3. The backward pass.
    # ==================================================================

    def backward(self) -> None:
        """Fill in ``grad`` of every node with d(self)/d(node), by the chain rule.

        Leaves (Values you made yourself) *accumulate* their gradient over
        repeated calls, as in PyTorch; call ``zero_grad`` between steps.
        Interior nodes are recomputed from zero on every call, so a second
        call never sends stale gradients down the graph again. A gradient too
        large for a float raises ``OverflowError`` saying where (section 6).
        """
        with _cycle_collector_paused():
            leaves: list[Value] = []
            operations = topological_order(self, include_leaves=False, leaves_found=leaves)  # each after its operands
            for node in operations:
                node.grad = 0.0
            self.grad += 1.0  # d(self)/d(self)
            for node in reversed(operations):  # from the result back to the leaves
                grad = node.grad
                if grad == 0.0:
                    continue  # nothing to pass on
                local_grads = node.local_grads
                for i, child in enumerate(node.children):
                    child.grad += local_grads[i] * grad  # the chain rule
            total = sum(map(_GRAD, leaves), 0.0)  # an inf or nan anywhere on the way ends in a leaf (section 6)
            if total - total != 0.0:
                _check_gradients(operations, leaves)

    # ==================================================================
    # 4. The order backward walks in: every node after its operands.
    # ==================================================================

    def topological_order(self, include_leaves: bool = True, leaves_found: list[Value] | None = None) -> list[Value]:
        """Every node reachable from this one, each after all of its children.

        An iterative depth-first search (no recursion, so graphs of millions
        of nodes are fine): ``path`` holds the nodes being visited, and
        ``unvisited`` the iterator over each one's remaining children. Children
        are visited in operand order, so the order is deterministic. With
        ``include_leaves=False`` only the nodes made by operations are listed
        (all that backward needs to walk), and the leaves go into ``leaves_found``
        when it is given (backward checks their gradients).
        """
        if not self.children:  # a leaf on its own
            return [self] if include_leaves else []
        order: list[Value] = []
        seen = {self}
        path = [self]
        unvisited = [iter(self.children)]
        while path:
            for child in unvisited[-1]:
                if child not in seen:
                    seen.add(child)
                    if child.children:  # visit its children first
                        path.append(child)
                        unvisited.append(iter(child.children))
                        break
                    if include_leaves:
                        order.append(child)  # a leaf is done at once
                    elif leaves_found is not None:
                        leaves_found.append(child)
            else:  # every child is done: the node is done
                unvisited.pop()
                order.append(path.pop())
        return order

    # ==================================================================
    # 5. The other operations.
    # ==================================================================

    def __sub__(self, other: Operand) -> Value:
        if not isinstance(other, Value):
            other = _as_value(other)
            if other is NotImplemented:
                return NotImplemented
        out = self.data - other.data
        if out != out:  # nan: inf - inf (section 6)
            _refuse_nan(SUB, self.data, other.data)
        return _result(out, (self, other), SUB, _MINUS)  # d/da = 1, d/db = -1

    def __neg__(self) -> Value:
        return _result(-self.data, (self,), NEG, _NEGATE)  # d(-a)/da = -1

    def __pos__(self) -> Value:
        return self

    def __truediv__(self, other: Operand) -> Value:
        if not isinstance(other, Value):
            other = _as_value(other)
            if other is NotImplemented:
                return NotImplemented
        a, b = self.data, other.data
        if b == 0.0:
            raise DIV.error(a, b)
        out = a / b
        if out != out:  # nan: inf / inf (section 6)
            _refuse_nan(DIV, a, b)
        d_da, d_db = 1.0 / b, -out / b  # d(a/b)/da = 1/b,  d(a/b)/db = -a/b**2 = -(a/b)/b
        return _result(out, (self, other), DIV, (d_da, d_db))

    def __pow__(self, exponent: Operand) -> Value:
        """``a ** n`` for a number n (the op is a row with ``exponent`` n), or ``a ** b`` for a Value b."""
        if isinstance(exponent, Value):
            return self._pow_value(exponent)
        if not _is_real(exponent):
            return NotImplemented
        a, n = self.data, float(exponent)
        op = power(n)
        if (a < 0.0 and not n.is_integer()) or (a == 0.0 and n < 1.0 and n != 0.0):
            raise op.error(a)  # not real, a division by zero, or an infinite derivative
        try:
            out = a * a if n == 2.0 else a**n  # x * x is exact, and the compiled replay writes the same
        except OverflowError:
            raise overflow(op, a) from None
        if out == math.inf and a - a == 0.0:  # a finite a * a overflowed, where pow would have raised
            raise overflow(op, a)
        try:
            local = n * a ** (n - 1.0) if n != 0.0 else 0.0  # d(a**n)/da = n * a**(n-1)
        except OverflowError:  # the result stands; backward decides (section 6)
            local = _infinite_product(n, a, n - 1.0)
        return _result(out, (self,), op, (local,))

    def _pow_value(self, exponent: Value) -> Value:
        """``a ** b`` with both sides in the graph: d/db needs ln a, so a must be positive (or 0 with b >= 1)."""
        a, b = self.data, exponent.data
        if not (a > 0.0 or (a == 0.0 and b >= 1.0)):
            raise POW.error(a, b)
        try:
            out = a**b
        except OverflowError:
            raise overflow(POW, a, b) from None
        try:
            d_da = b * a ** (b - 1.0)  # d(a**b)/da = b * a**(b-1)
        except OverflowError:  # the result stands; backward decides (section 6)
            d_da = _infinite_product(b, a, b - 1.0)
        d_db = xlogy(out, a)  # d(a**b)/db = a**b * ln a
        return _result(out, (self, exponent), POW, (d_da, d_db))

    # Reverse operators: ``2 - v`` calls ``v.__rsub__(2)``.
    def __radd__(self, other: Number) -> Value:
        other = _as_value(other)
        return NotImplemented if other is NotImplemented else other + self

    def __rsub__(self, other: Number) -> Value:
        other = _as_value(other)
        return NotImplemented if other is NotImplemented else other - self

    def __rmul__(self, other: Number) -> Value:
        other = _as_value(other)
        return NotImplemented if other is NotImplemented else other * self

    def __rtruediv__(self, other: Number) -> Value:
        other = _as_value(other)
        return NotImplemented if other is NotImplemented else other / self

    def __rpow__(self, other: Number) -> Value:
        other = _as_value(other)
        return NotImplemented if other is NotImplemented else other._pow_value(self)

    def log(self) -> Value:
        x = self.data
        if x <= 0.0:
            raise LOG.error(x)
        return _result(math.log(x), (self,), LOG, (1.0 / x,))  # d(ln x)/dx = 1/x

    def sqrt(self) -> Value:
        x = self.data
        if x <= 0.0:
            raise SQRT.error(x)
        out = math.sqrt(x)
        return _result(out, (self,), SQRT, (0.5 / out,))  # d(sqrt x)/dx = 1/(2 sqrt x)

    def sigmoid(self) -> Value:
        s = sigmoid(self.data)  # the stable form, in ops.py
        return _result(s, (self,), SIGMOID, (s * (1.0 - s),))  # dσ/dx = σ(1-σ)

    def relu(self) -> Value:
        x = self.data
        return _result(x if x > 0.0 else 0.0, (self,), RELU, (1.0 if x > 0.0 else 0.0,))

    def abs(self) -> Value:
        x = self.data
        sign = 1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0  # 0 at the kink, as PyTorch
        return _result(abs(x), (self,), ABS, (sign,))

    __abs__ = abs

    def sin(self) -> Value:
        x = self.data
        if x - x != 0.0:  # inf or nan
            raise SIN.error(x)
        return _result(math.sin(x), (self,), SIN, (math.cos(x),))  # d(sin x)/dx = cos x

    def cos(self) -> Value:
        x = self.data
        if x - x != 0.0:
            raise COS.error(x)
        return _result(math.cos(x), (self,), COS, (-math.sin(x),))  # d(cos x)/dx = -sin x

    def detach(self) -> Value:
        """A new leaf with the same data and no history: gradients stop here (PyTorch's ``detach``).

        >>> x = Value(3.0, "x")
        >>> y = x * x.detach()    # x times a constant 3
        >>> y.backward(); x.grad
        3.0
        """
        return _result(self.data, (), DETACH, ())


# The sort is also a function of its own: topological_order(root).
topological_order = Value.topological_order


# ======================================================================
# Graph helpers, beside the lesson: a sum of many terms as one node, the
# leaves of a graph, zeroing gradients.
# ======================================================================


def sum_values(terms: Sequence[Operand]) -> Value:
    """``terms[0] + terms[1] + ...`` as ONE ``+`` node with a child per term.

    The derivative of a sum with respect to each term is 1, so one node does
    the work of a chain of ``len(terms) - 1`` additions (a neuron's weighted
    sum is built this way: half the nodes, half the time).

    >>> sum_values([Value(1.0), 2, Value(3.0)])
    Value(data=6.0, grad=0.0)
    """
    children = tuple(t if isinstance(t, Value) else Value(t) for t in terms)
    if not children:
        raise ValueError("sum_values: needs at least one term")
    if len(children) == 1:
        return children[0]
    data = [child.data for child in children]
    out = sum(data[1:], data[0])
    if out != out:  # nan: inf + -inf among the terms (section 6)
        _refuse_nan(ADD, *data)
    return _result(out, children, ADD, _ones(len(children)))


def leaves(root: Value) -> list[Value]:
    """The leaves (inputs, parameters, constants) that ``root`` depends on."""
    return [node for node in topological_order(root) if not node.children]


def depending_on(order: Sequence[Value], targets: Iterable[Value]) -> set[int]:
    """The ids of the nodes of a topological ``order`` that depend on any of ``targets`` (targets included).

    The nodes whose gradient leads somewhere: one pass suffices, because every
    node comes after its children.
    """
    found = {id(t) for t in targets}
    for node in order:
        if any(id(child) in found for child in node.children):
            found.add(id(node))
    return found


def value_list(values: Iterable[Value], caller: str, what: str = "inputs") -> list[Value]:
    """``values`` as a list, or a TypeError saying that a list of Values is expected."""
    if isinstance(values, Value):
        raise TypeError(f"{caller}: {what} must be a list of Values; for one {what[:-1]} write [x]")
    if isinstance(values, (str, bytes, dict)) or not isinstance(values, Iterable):
        raise TypeError(f"{caller}: {what} must be a list of Values, got {type(values).__name__}: {values!r:.40}")
    values = list(values)
    for i, x in enumerate(values):
        if not isinstance(x, Value):
            raise TypeError(f"{caller}: {what}[{i}] must be a Value, got {type(x).__name__}: {x!r:.40}")
    return values


def zero_grad(values: Iterable[Value]) -> None:
    """Set ``grad`` of each value back to 0.0 (before the next backward)."""
    for v in values:
        v.grad = 0.0


# ======================================================================
# The backward walk, one term at a time: backward's chain rule for the
# modules that show or reuse it (the backward log, the stepper page, higher
# derivatives, backward's own gradient check). backward keeps its own loop
# above, as the lesson writes it and as fast as it can be.
# ======================================================================


ChainTerm = tuple[Value, Value, float, float, int]
"""One term of the chain rule, ``(node, child, local, upstream, operand)``: ``node`` sends ``local · upstream``
(∂node/∂child times ∂root/∂node) to its operand number ``operand`` (x * x has the child x twice).
A plain tuple, unpacked where it is used: the walk makes one per term."""


def sent(local: float, upstream: float) -> float:
    """What a term adds to the child's gradient: ``local · upstream``, and nothing from a node whose gradient is 0."""
    return local * upstream if upstream != 0.0 else 0.0


def backward_walk(operations: Sequence[Value], gradients: dict[int, float]) -> Iterator[ChainTerm]:
    """backward's walk, term by term: every (node, child, local derivative, upstream gradient, operand number),
    in backward order (a :data:`ChainTerm`).

    ``operations``: the nodes made by operations, in topological order, the result
    last (``topological_order(root, include_leaves=False)``); ``gradients``: the
    gradients to start from, by id (``{id(root): 1.0}``), summed into in place, so
    after the walk ``gradients[id(x)]`` is what backward leaves in ``x.grad`` (from 0).
    A term is yielded after it is added: ``gradients[id(child)]`` is the
    child's sum so far. The terms of a node whose gradient is 0 are yielded too,
    though, as in backward, it passes nothing on. Every term is checked: a term
    or a sum that is not finite although its factors are numbers (an infinite local
    derivative, a product or a sum that overflows) raises the named ``OverflowError``;
    a nan given as data (``Value(nan)``) flows on as nan.

    >>> x = Value(3.0, "x")
    >>> y = x * x
    >>> gradients = {id(y): 1.0}
    >>> [(child.label, local, upstream) for _, child, local, upstream, _ in backward_walk([y], gradients)]
    [('x', 3.0, 1.0), ('x', 3.0, 1.0)]
    >>> gradients[id(x)]
    6.0
    """
    get = gradients.get
    for node in reversed(operations):  # from the result back to the leaves
        grad = get(id(node), 0.0)  # complete: every node that uses this one came before
        local_grads = node.local_grads
        for i, child in enumerate(node.children):
            local = local_grads[i]
            if grad != 0.0:  # as backward: nothing to pass on, even through an infinite local derivative
                term = local * grad  # the chain rule
                if term - term != 0.0 and local == local and grad - grad == 0.0:
                    raise _gradient_overflow(node, i, local, grad)
                previous = get(id(child), 0.0)
                total = previous + term
                if total - total != 0.0 and term - term == 0.0 and previous - previous == 0.0:
                    raise _gradient_overflow(node, i, local, grad, previous)
                gradients[id(child)] = total
            yield node, child, local, grad, i


# ======================================================================
# 6. Making it fast and safe. Each choice, its reason, and what it bought
#    as measured in docs/performance.md:
#
#    * the collector paused in backward: backward of a 10^6-node chain 1,859 -> ~650 ns per node;
#    * results made by from_operation, skipping __init__'s checks, and plain
#      numbers taking a fast path in _as_value: x**2 900 -> 460 ns per node;
#    * local gradients that never change shared by every node (_PLUS, _ones):
#      no tuple per node, part of 216 bytes per node against micrograd's 688;
#    * a sum of n terms as one node (sum_values): MLP step 94 -> 56 ms;
#    * domain checks by plain comparisons, messages built only on failure (ops.py):
#      an error naming the operation instead of nan, at no measurable cost
#      (the sheet-network and MLP-step benchmarks within 4% of the engine before it);
#    * a nan made from numbers that are not nan (inf - inf, inf * 0) raises, one
#      comparison per + - * /: an error instead of a silent nan;
#    * no gradient ever ±inf or nan silently, at the cost of one sum over the leaves:
#      a node whose gradient is 0 passes nothing on (so 0 times an infinite local
#      derivative, 1/b for a tiny b, never makes a nan), and an inf or nan reaching
#      any node flows on to the leaves below it (inf times anything is inf or nan),
#      so backward tests the leaves' sum once; only then does the walk below run,
#      term by term, to say where (docs/performance.md, "The gradient check").
# ======================================================================


class _cycle_collector_paused:  # noqa: N801 (used like a function: `with _cycle_collector_paused():`)
    """Pause Python's cycle collector while a backward pass runs.

    A backward pass makes no reference cycles, so the collector would find
    nothing; left on, it re-walks every live node of a big graph again and
    again, and time per node grows with the graph (backward per node stays
    flat from 10^3 to 10^6 nodes with it paused). A class, not a
    @contextmanager generator: it costs a quarter as much on small graphs.
    """

    __slots__ = ("was_enabled",)

    def __enter__(self) -> None:
        self.was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc_info: object) -> None:
        if self.was_enabled:
            gc.enable()


# Results skip __init__ and its checks (their inputs are already floats and
# Values): a plain function call instead of a method lookup per node.
_new_value = object.__new__
_result = Value.from_operation

# Local gradients shared by every node of an operation whose derivative does
# not depend on the data: no tuple is allocated per node for them.
_PLUS = (1.0, 1.0)  # d(a+b)/da, d(a+b)/db
_MINUS = (1.0, -1.0)  # d(a-b)/da, d(a-b)/db
_NEGATE = (-1.0,)  # d(-a)/da
_ONES: dict[int, tuple[float, ...]] = {}


def _ones(n: int) -> tuple[float, ...]:
    """The local gradients of an n-term sum, one shared tuple per n."""
    if n not in _ONES:
        _ONES[n] = (1.0,) * n
    return _ONES[n]


# The gradient check of backward (and of higher.grad): the fast loop only tests;
# this walk, term by term, knows where a gradient stopped being finite.
_GRAD = operator.attrgetter("grad")


def _check_gradients(operations: list[Value], leaves: list[Value]) -> None:
    """A leaf's gradient came out inf or nan: raise the error that says where, unless a nan given as data explains it.

    The walk is done again, term by term (:func:`checked_gradients`), from the result with every leaf at 0.
    """
    gradients = checked_gradients(operations, {id(operations[-1]): 1.0})
    for leaf in leaves:
        this_pass = gradients.get(id(leaf), 0.0)
        if leaf.grad - leaf.grad != 0.0 and this_pass - this_pass == 0.0 and leaf.grad == leaf.grad:
            raise OverflowError(
                f"backward: the gradient of the leaf {leaf!r}, summed over backward calls, is too large for "
                "a float; call zero_grad between steps"
            )


def checked_gradients(operations: list[Value], gradients: dict[int, float]) -> dict[int, float]:
    """The chain rule over ``operations`` (in topological order) from the ``gradients`` given, by id.

    :func:`backward_walk` to its end: the same numbers as backward, bit for bit, every term
    checked (an infinite gradient raises the named ``OverflowError``).
    """
    for _ in backward_walk(operations, gradients):
        pass
    return gradients


def _gradient_overflow(node: Value, i: int, local: float, grad: float, previous: float | None = None) -> OverflowError:
    # A node with children was made by an operation, so its op is an Op (only a leaf's is ""): mypy cannot see that.
    return gradient_overflow(node.op, [c.data for c in node.children], i, local, grad,  # type: ignore[arg-type]
                             node.children[i].label, previous)  # fmt: skip


def _refuse_nan(op: Op, *operands: float) -> None:
    """Raise the invalid-math error for a nan this operation made; a nan given as data flows on."""
    if all(x == x for x in operands):
        raise not_a_number(op, *operands)


def _infinite_product(n: float, a: float, m: float) -> float:
    """``n * a ** m`` where ``a ** m`` is too large for a float: ±inf, the sign of the true product.

    A power's local derivative may be infinite where the power itself is not
    (``x ** -1`` at 1e-200): the result stands, and backward raises only if
    that derivative meets a nonzero gradient.
    """
    negative = (n < 0.0) != (a < 0.0 and m % 2.0 == 1.0)
    return -_INF if negative else _INF


# Domain checks: plain ints and floats take the fast path; anything else is
# checked once, with an error naming the problem (messages are in ops.py).
_INF = math.inf


def _is_real(x: object) -> TypeGuard[float]:  # float as in the annotations: any real number
    """True for ints, floats and anything else that converts like a real number."""
    if type(x) is float or type(x) is int:
        return True
    if isinstance(x, (str, bytes, bytearray, bool)):  # True is no number here: a bool is refused as in step and batch
        return False
    if isinstance(x, numbers.Complex) and not isinstance(x, numbers.Real):
        return False
    return hasattr(type(x), "__float__")


def _as_float(data: object) -> float:
    if isinstance(data, Value):
        raise TypeError("Value(data) needs a number, got a Value; use the Value itself")
    if not _is_real(data):
        raise TypeError(f"Value(data) needs a real number, got {type(data).__name__}: {data!r}")
    return float(data)


def _as_value(x: object) -> Value:
    """Wrap a plain number as a constant leaf; NotImplemented for anything else."""
    if isinstance(x, Value):
        return x
    if type(x) is float or type(x) is int:
        return _result(float(x), (), "", ())  # the common case, without the checks of Value()
    if _is_real(x):
        return Value(x)
    return NotImplemented  # type: ignore[no-any-return]  # mypy reads NotImplemented as Any; callers test for it
