"""Higher-order derivatives: gradients that are graphs you can differentiate again.

``backward()`` computes every gradient as a float, so a gradient has no history
and cannot be differentiated. :func:`grad` walks the same graph backwards, but
with ``create_graph=True`` it builds each gradient *out of Values*: every op's
local derivative is its code in the table of operations (:mod:`micrograd_lite.ops`),
run with the op's own operands and result as Values (the derivative of ``tanh``
is ``1.0 - out * out``, with ``out`` the tanh node itself), and the chain rule
multiplies and adds those Values. The gradient is then an
ordinary graph: ``grad``, ``backward``, ``draw_dot``, ``explain`` and
``compile_graph`` all work on it, and differentiating it again gives the
second derivative, again the third, and so on.

>>> from micrograd_lite import Value
>>> x = Value(0.5, "x")
>>> y = x.tanh()
>>> (dy_dx,) = grad(y, [x], create_graph=True)   # 1 - tanh(x)**2, as a graph
>>> (d2y_dx2,) = grad(dy_dx, [x])                 # -2 tanh(x) (1 - tanh(x)**2)
>>> round(dy_dx.data, 6), round(d2y_dx2.data, 6)
(0.786448, -0.726862)
>>> x.grad                                        # grad() leaves every .grad alone
0.0

:func:`hessian` is the matrix of second derivatives, one ``grad`` of each first
derivative; :func:`hvp` multiplies the Hessian by a vector without building it.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Union

from ..core import ops
from ..core.engine import (
    Value,
    _cycle_collector_paused,
    backward_walk,
    checked_gradients,
    depending_on,
    sum_values,
    topological_order,
    value_list,
)

# A derivative during the backward walk is either a float -- a constant, with no
# history (the seed 1.0, the 1 and -1 of + and -, the heaviside of relu) -- or a Value
# that depends on the graph. Keeping constants as floats keeps the gradient graphs
# small: multiplying by 1.0 or -1.0 adds no node.
Derivative = Union[float, Value]  # noqa: UP007 (a runtime alias, Python 3.10)


def grad(output: Value, inputs: Iterable[Value], create_graph: bool = False) -> list[Value]:
    """d output / d each input, as a list of Values; every ``.grad`` is left untouched.

    Without ``create_graph`` the results are constants (Values with no history)
    equal bit for bit to what ``output.backward()`` would put in each input's
    ``grad``. With ``create_graph=True`` each result is a graph of Values built
    from the ops' derivatives, so it can be differentiated again; its ``data``
    is the same number. An input that ``output`` does not depend on gets 0.0.
    A result may be a node of the original graph: d(x*y)/dx is ``y`` itself.

    >>> x, y = Value(3.0, "x"), Value(2.0, "y")
    >>> f = x * x * y                                  # df/dx = 2xy, df/dy = x²
    >>> [d.data for d in grad(f, [x, y])]
    [12.0, 9.0]
    >>> df_dx, df_dy = grad(f, [x, y], create_graph=True)
    >>> [d.data for d in grad(df_dx, [x, y])]          # d²f/dx² = 2y, d²f/dxdy = 2x
    [4.0, 6.0]
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad: output must be a Value, got {type(output).__name__}")
    inputs = value_list(inputs, "grad")
    with _cycle_collector_paused():  # as backward: no cycles to find, and the collector would re-walk the graph
        order = topological_order(output)
        if not create_graph:
            numbers = _derivative_numbers(order)
            return [Value(numbers.get(id(x), 0.0)) for x in inputs]
        graphs = _derivative_graphs(order, needed=depending_on(order, inputs))  # only what reaches an input
        results = [_as_result(graphs.get(id(x), 0.0)) for x in inputs]
        if not all(math.isfinite(d.data) for d in results):
            _derivative_numbers(order)  # the same numbers: raises the engine's error, saying where
        return results


def hessian(output: Value, inputs: Sequence[Value]) -> list[list[float]]:
    """The matrix of second derivatives: ``H[i][j] = d² output / d inputs[i] d inputs[j]``.

    Row i is the gradient of the first derivative by ``inputs[i]``: one
    ``grad(create_graph=True)``, then one ``grad`` per input. Both orders of
    differentiation are computed, so H is symmetric up to rounding.

    >>> x, y = Value(1.0, "x"), Value(2.0, "y")
    >>> hessian(x * x * y + y**3, [x, y])              # [[2y, 2x], [2x, 6y]]
    [[4.0, 2.0], [2.0, 12.0]]
    """
    inputs = value_list(inputs, "hessian")
    first = grad(output, inputs, create_graph=True)
    return [[d.data for d in grad(d_i, inputs)] for d_i in first]


def hvp(output: Value, inputs: Sequence[Value], v: Sequence[float]) -> list[float]:
    """The Hessian times a vector, ``H · v``, without building H.

    ``H · v`` is the gradient of the directional derivative ``∇output · v``:
    one ``grad(create_graph=True)``, one product with v, one more ``grad`` --
    the cost of two backward passes, however many inputs there are.

    >>> x, y = Value(1.0, "x"), Value(2.0, "y")
    >>> hvp(x * x * y + y**3, [x, y], [1.0, 0.5])     # [[4, 2], [2, 12]] · [1, 0.5]
    [5.0, 8.0]
    """
    inputs = value_list(inputs, "hvp")
    v = list(v)
    if len(v) != len(inputs):
        raise ValueError(f"hvp: v has {len(v)} numbers but there are {len(inputs)} inputs")
    for i, vi in enumerate(v):
        if isinstance(vi, (Value, bool)) or not isinstance(vi, numbers.Real) or not math.isfinite(vi):
            raise ValueError(f"hvp: v[{i}] must be a finite number, got {vi!r}")
    if not inputs:
        return []
    first = grad(output, inputs, create_graph=True)
    directional = sum_values([d_i * float(vi) for d_i, vi in zip(first, v)])  # ∇output · v, a graph
    return [d.data for d in grad(directional, inputs)]


# ----------------------------------------------------------------------
# The backward walk, with numbers or with Values.
# ----------------------------------------------------------------------


def _derivative_numbers(order: list[Value]) -> dict[int, float]:
    """d output / d node for every node, as floats: backward's walk, into a dict instead of .grad.

    The engine's checked walk: the same numbers as backward, and its error for a gradient too large.
    """
    return checked_gradients([node for node in order if node.children], {id(order[-1]): 1.0})


def _derivative_graphs(order: list[Value], needed: set[int]) -> dict[int, Derivative]:
    """d output / d node for the needed nodes, each a Value built from the ops' derivatives (or a constant).

    The engine's walk (:func:`backward_walk`) over the nodes that reach an input gives the
    terms in backward's order; each is built again here out of Values, the op's derivative
    times the node's derivative. A term whose number is 0 is built too: its derivative
    may not be 0 near the point (d(x**2)/dx = 2x at x = 0), so the walk yields it.
    """
    derivative: dict[int, Derivative] = {}
    terms: dict[int, list[Derivative]] = {id(order[-1]): [1.0]}  # d output / d output = 1
    operations = [node for node in order if node.children and id(node) in needed]
    current: Value | None = None
    for node, child, _, _, operand in backward_walk(operations, {id(order[-1]): 1.0}):
        if node is not current:  # the node's turn: every term of its derivative is in
            current = node
            d_node = derivative[id(node)] = _total(terms.pop(id(node), []))
            local_derivatives = _local_derivatives(node)
        if id(child) in needed:
            try:
                term = _times(local_derivatives[operand], d_node)  # the chain rule, over Values
            except (ArithmeticError, ValueError) as error:  # an infinite local derivative times a gradient of 0
                raise _not_again(node, error) from None
            if term is not None:
                terms.setdefault(id(child), []).append(term)
    for node in order:  # the leaves: complete once the walk is over
        if id(node) in needed and id(node) not in derivative:
            derivative[id(node)] = _total(terms.pop(id(node), []))
    return derivative


# ----------------------------------------------------------------------
# Each op's local derivatives, as Values, from the table of operations.
# ----------------------------------------------------------------------


def _xlogy(x: Value, y: Value) -> Derivative:
    """x · ln y over Values, and the constant 0.0 where x is 0 (as :func:`ops.xlogy`)."""
    return 0.0 if x.data == 0.0 else x * y.log()


# The names the table's derivative code may use, meaning Values: ``exp`` is
# Value.exp, so ``exp(a)`` builds a node. heaviside and sign are derivatives that are
# constant near the point (relu's and abs's), so they give plain floats; named
# numbers (if the table has any) stay numbers.
ON_VALUES = {
    name: meaning if isinstance(meaning, float) else getattr(Value, name, None)
    for name, meaning in ops.NAMESPACE.items()
}
ON_VALUES.update(heaviside=lambda x: ops.heaviside(x.data), sign=lambda x: ops.sign(x.data), xlogy=_xlogy)
def _local_derivatives_of(node: Value) -> list[Derivative]:
    """d node / d each child: the op's derivative code from the table, run with the children and node as Values.

    The code is the engine's own formula (the table's tests prove it, bit for bit),
    so these Values hold the same floats as ``node.local_grads``. A float result is
    a derivative that is constant near this point: the 1 and -1 of + and -, the
    heaviside of relu and the sign of abs (0 away from the kink, as PyTorch).
    """
    op, children = ops.row(node.op), node.children
    names = {"a": children[0], "b": children[1] if len(children) > 1 else None, "out": node, "n": op.exponent}
    codes = op.derivatives * len(children) if len(op.derivatives) == 1 else op.derivatives  # a sum: 1 per term
    found = []
    for code in codes:
        result = ops.run(code, ON_VALUES, **names)
        assert isinstance(result, (Value, float)), f"{code!r} gave {result!r}"  # the table's code: a Value or a float
        found.append(result if isinstance(result, Value) else float(result))
    return found


def _local_derivatives(node: Value) -> Sequence[Derivative]:
    """The local derivatives of ``node`` as Values, or an error saying which derivative has none of its own."""
    try:
        return _local_derivatives_of(node)
    except (ArithmeticError, ValueError) as error:  # its message names the derivative's own operations: not shown
        raise _not_again(node, error) from None


def _not_again(node: Value, error: ArithmeticError | ValueError) -> ArithmeticError | ValueError:
    """The error of ``error``'s class naming the user's operation whose derivative has no derivative of its own."""
    operands = ", ".join(f"{name}={child.data!r}" for name, child in zip("ab", node.children))
    op = ops.row(node.op)
    derivatives = " and ".join(op.derivatives)
    return type(error)(
        f"grad: the derivative of {op.symbol!r} at ({operands}), {derivatives}, cannot be differentiated "
        "again there: it, or its own derivative, is infinite, undefined or too large for a float"
    )


# ----------------------------------------------------------------------
# Arithmetic on derivatives that may be constants.
# ----------------------------------------------------------------------


def _times(local: Derivative, d_node: Derivative) -> Derivative | None:
    """``local * d_node``, with no node for a factor of 1.0 or -1.0; None when it is constantly 0.

    Multiplying by 1.0 or -1.0 is exact, so the number is the engine's bit for bit.
    """
    if isinstance(local, float) and isinstance(d_node, float):
        return local * d_node
    if isinstance(local, float) or isinstance(d_node, float):
        constant, value = (local, d_node) if isinstance(local, float) else (d_node, local)
        if constant == 0.0:
            return None  # zero on a neighbourhood: contributes nothing, not even to higher derivatives
        if constant == 1.0:
            return value
        if constant == -1.0:
            return -value
    return local * d_node


def _total(terms: list[Derivative]) -> Derivative:
    """The sum of a node's terms, in the order backward adds them."""
    if all(isinstance(t, float) for t in terms):
        total: Derivative = 0.0  # backward starts every gradient at 0.0 (the terms are floats: so is the total)
        for t in terms:
            total += t
        return total
    return terms[0] if len(terms) == 1 else sum_values(terms)


def _as_result(derivative: Derivative) -> Value:
    """A float becomes a constant Value; a Value of -0.0 becomes +0.0, as backward's 0.0 + (-0.0)."""
    if isinstance(derivative, float):
        return Value(derivative)
    if derivative.data == 0.0 and math.copysign(1.0, derivative.data) < 0.0:
        return derivative + 0.0
    return derivative
