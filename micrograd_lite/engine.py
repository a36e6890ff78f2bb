"""A scalar automatic-differentiation engine, written to be read.

Every arithmetic operation on a :class:`Value` returns a new Value that
remembers three things:

* ``children``    -- the operand Values it was computed from, in operand order;
* ``op``          -- the name of the operation, as you wrote it (``"*"``, ``"exp"``);
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
"""

from __future__ import annotations

import gc
import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Union

Number = Union[int, float]  # noqa: UP007 (a runtime alias, Python 3.10)
Operand = Union["Value", Number]  # noqa: UP007

# Local gradients shared by every node of an operation whose derivative does
# not depend on the data: no tuple is allocated per node for them.
_PLUS = (1.0, 1.0)  # d(a+b)/da, d(a+b)/db
_MINUS = (1.0, -1.0)  # d(a-b)/da, d(a-b)/db
_NEGATE = (-1.0,)  # d(-a)/da


class Value:
    """A scalar that records how it was computed, so it can be differentiated.

    >>> w = Value(0.15, label="w1")
    >>> w
    Value(data=0.15, grad=0.0, label='w1')
    """

    __slots__ = ("data", "grad", "label", "op", "children", "local_grads")

    def __init__(self, data: float, label: str = "") -> None:
        self.data = data if type(data) is float else _as_float(data)
        self.grad = 0.0
        self.label = label
        self.op = ""  # a leaf: no operation produced it
        self.children: tuple[Value, ...] = ()
        self.local_grads: tuple[float, ...] = ()

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    # ------------------------------------------------------------------
    # Arithmetic: each operation states its forward value and its local
    # derivatives side by side.
    # ------------------------------------------------------------------

    def __add__(self, other: Operand) -> Value:
        if not isinstance(other, Value):
            other = _as_value(other)  # a number becomes a constant leaf
            if other is NotImplemented:
                return NotImplemented
        return _result(self.data + other.data, (self, other), "+", _PLUS)

    def __sub__(self, other: Operand) -> Value:
        if not isinstance(other, Value):
            other = _as_value(other)  # a number becomes a constant leaf
            if other is NotImplemented:
                return NotImplemented
        return _result(self.data - other.data, (self, other), "-", _MINUS)

    def __mul__(self, other: Operand) -> Value:
        if not isinstance(other, Value):
            other = _as_value(other)  # a number becomes a constant leaf
            if other is NotImplemented:
                return NotImplemented
        # d(a*b)/da = b,  d(a*b)/db = a
        return _result(self.data * other.data, (self, other), "*", (other.data, self.data))

    def __truediv__(self, other: Operand) -> Value:
        if not isinstance(other, Value):
            other = _as_value(other)  # a number becomes a constant leaf
            if other is NotImplemented:
                return NotImplemented
        a, b = self.data, other.data
        if b == 0.0:
            raise ZeroDivisionError(f"division by zero: {a!r} / {b!r}")
        # d(a/b)/da = 1/b,  d(a/b)/db = -a/b**2
        return _result(a / b, (self, other), "/", (1.0 / b, -a / (b * b)))

    def __pow__(self, exponent: Operand) -> Value:
        if isinstance(exponent, Value):
            return self._pow_value(exponent)
        if not _is_real(exponent):
            return NotImplemented
        a, n = self.data, float(exponent)
        out = _power(a, n)
        if a == 0.0 and 0.0 < n < 1.0:
            raise ValueError(f"power: the derivative of x**{n!r} is infinite at x=0.0")
        # d(a**n)/da = n * a**(n-1)
        local = n * _power(a, n - 1.0) if n != 0.0 else 0.0
        return _result(out, (self,), _power_op(n), (local,))

    def _pow_value(self, exponent: Value) -> Value:
        """``a ** b`` with both sides in the graph: d/db needs ln a."""
        a, b = self.data, exponent.data
        out = _power(a, b)
        d_da = b * _power(a, b - 1.0) if b != 0.0 else 0.0
        if a > 0.0:
            d_db = out * math.log(a)  # d(a**b)/db = a**b * ln a
        elif a == 0.0 and b > 0.0:
            d_db = 0.0  # a**b is 0 on a whole neighbourhood of b
        else:
            raise ValueError(
                f"power: d(a**b)/db = a**b * ln(a) is undefined for base a={a!r} "
                f"(exponent b={b!r}); use a number exponent or a positive base"
            )
        return _result(out, (self, exponent), "**", (d_da, d_db))

    def __neg__(self) -> Value:
        return _result(-self.data, (self,), "-", _NEGATE)

    def __pos__(self) -> Value:
        return self

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

    # ------------------------------------------------------------------
    # Functions of one Value.
    # ------------------------------------------------------------------

    def exp(self) -> Value:
        try:
            out = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp overflow: exp({self.data!r}) exceeds the largest float") from None
        return _result(out, (self,), "exp", (out,))  # d(e**x)/dx = e**x

    def log(self) -> Value:
        x = self.data
        if x <= 0.0:
            raise ValueError(f"log of a non-positive value: log({x!r}) is undefined")
        return _result(math.log(x), (self,), "log", (1.0 / x,))  # d(ln x)/dx = 1/x

    def sqrt(self) -> Value:
        x = self.data
        if x <= 0.0:
            what = "undefined" if x < 0.0 else "defined, but its derivative is infinite"
            raise ValueError(f"sqrt: sqrt({x!r}) is {what}")
        out = math.sqrt(x)
        return _result(out, (self,), "sqrt", (0.5 / out,))  # d(sqrt x)/dx = 1/(2 sqrt x)

    def tanh(self) -> Value:
        t = math.tanh(self.data)  # math.tanh never overflows
        return _result(t, (self,), "tanh", (1.0 - t * t,))  # d(tanh x)/dx = 1 - tanh(x)**2

    def sigmoid(self) -> Value:
        s = sigmoid(self.data)  # the stable form, below
        return _result(s, (self,), "sigmoid", (s * (1.0 - s),))  # dσ/dx = σ(1-σ)

    def relu(self) -> Value:
        x = self.data
        return _result(x if x > 0.0 else 0.0, (self,), "relu", (1.0 if x > 0.0 else 0.0,))

    def abs(self) -> Value:
        x = self.data
        sign = 1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0  # 0 at the kink, as PyTorch
        return _result(abs(x), (self,), "abs", (sign,))

    __abs__ = abs

    # ------------------------------------------------------------------
    # The backward pass.
    # ------------------------------------------------------------------

    def backward(self) -> None:
        """Fill in ``grad`` of every node with d(self)/d(node), by the chain rule.

        Leaves (Values you made yourself) *accumulate* their gradient over
        repeated calls, as in PyTorch; call ``zero_grad`` between steps.
        Interior nodes are recomputed from zero on every call, so a second
        call never sends stale gradients down the graph again.
        """
        with _cycle_collector_paused():
            operations = topological_order(self, include_leaves=False)  # each after its operands
            for node in operations:
                node.grad = 0.0
            self.grad += 1.0  # d(self)/d(self)
            for node in reversed(operations):  # from the result back to the leaves
                grad = node.grad
                local_grads = node.local_grads
                for i, child in enumerate(node.children):
                    child.grad += local_grads[i] * grad  # the chain rule


def topological_order(root: Value, include_leaves: bool = True) -> list[Value]:
    """Every node reachable from ``root``, each after all of its children.

    An iterative depth-first search (no recursion, so graphs of millions
    of nodes are fine): ``path`` holds the nodes being visited, and
    ``unvisited`` the iterator over each one's remaining children. Children
    are visited in operand order, so the order is deterministic. With
    ``include_leaves=False`` only the nodes made by operations are listed
    (all that backward needs to walk).
    """
    if not root.children:  # a leaf on its own
        return [root] if include_leaves else []
    order: list[Value] = []
    seen = {root}
    path = [root]
    unvisited = [iter(root.children)]
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
        else:  # every child is done: the node is done
            unvisited.pop()
            order.append(path.pop())
    return order


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
    return _result(sum(data[1:], data[0]), children, "+", _ones(len(children)))


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


def zero_grad(values: Iterable[Value]) -> None:
    """Set ``grad`` of each value back to 0.0 (before the next backward)."""
    for v in values:
        v.grad = 0.0


# ----------------------------------------------------------------------
# Helpers.
# ----------------------------------------------------------------------


def sigmoid(x: float) -> float:
    """σ(x) = 1 / (1 + e^-x) in its stable form.

    exp is only ever taken of a non-positive number, so sigmoid(1000) is 1.0
    and sigmoid(-1000) is 0.0, with no overflow.
    """
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


class _cycle_collector_paused:  # noqa: N801 (used like a function: `with _cycle_collector_paused():`)
    """Pause Python's cycle collector while a backward pass runs.

    A backward pass makes no reference cycles, so the collector would find
    nothing; left on, it re-walks every live node of a big graph again and
    again, and time per node grows with the graph. (A class, not a
    @contextmanager generator: it costs a quarter as much on small graphs.)
    """

    __slots__ = ("was_enabled",)

    def __enter__(self) -> None:
        self.was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc_info) -> None:
        if self.was_enabled:
            gc.enable()


_new_value = object.__new__
_ONES: dict[int, tuple[float, ...]] = {}


def _ones(n: int) -> tuple[float, ...]:
    """The local gradients of an n-term sum, one shared tuple per n."""
    if n not in _ONES:
        _ONES[n] = (1.0,) * n
    return _ONES[n]


def _result(data: float, children: tuple, op: str, local_grads: tuple) -> Value:
    """A Value produced by an operation (no type checks: inputs are Values)."""
    out = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out.op = op
    out.children = children
    out.local_grads = local_grads
    return out


def _is_real(x: object) -> bool:
    """True for ints, floats and anything else that converts like a real number."""
    if type(x) is float or type(x) is int:
        return True
    if isinstance(x, (str, bytes, bytearray)):
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
    return NotImplemented


_POWER_OPS: dict[float, str] = {}


def _power_op(n: float) -> str:
    """The op name of ``x ** n`` as you wrote it: "**2", "**0.5" (made once per exponent)."""
    op = _POWER_OPS.get(n)
    if op is None:
        op = f"**{int(n) if n.is_integer() else n!r}"
        if len(_POWER_OPS) < 1024:
            _POWER_OPS[n] = op
    return op


def _power(a: float, n: float) -> float:
    """``a ** n`` as a real number, or a clear error."""
    if n == 1.0:
        return a  # exactly: so d(a**2)/da is 2*a, with no pow() call
    if a < 0.0 and not n.is_integer():
        raise ValueError(f"power: negative base to a non-integer power, {a!r} ** {n!r}, is not real")
    try:
        return a**n
    except ZeroDivisionError:
        raise ZeroDivisionError(f"power: 0.0 ** {n!r} divides by zero") from None
    except OverflowError:
        raise OverflowError(f"power overflow: {a!r} ** {n!r} exceeds the largest float") from None
