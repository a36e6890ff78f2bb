"""Every operation of the engine, in one table: how to compute it, differentiate it, and explain it.

The engine (:mod:`micrograd_lite.engine`) is written by hand, to be read as a
textbook; this table says the same things as *data*, so that the modules that
need them -- the compiled replay, the chain-rule explanations, the expression
parser, the renderer -- read one definition instead of each keeping its own
copy. Tests prove that the table and the engine agree, bit for bit.

A row (an :class:`Op`) holds, for one operation:

* ``name``        -- its key: ``"mul"``, ``"neg"``, ``"pown"`` (a power with a number exponent);
* the row itself is a ``str``: the symbol drawn in a graph (``"*"``, ``"-"``, ``"**2"``), so
  ``node.op == "*"`` reads naturally; two rows can share a symbol (``sub`` and ``neg``), their
  ``name`` tells them apart;
* ``arity``       -- 1, 2, or ``None`` for any number of operands (a sum);
* ``forward``     -- the result as Python code;
* ``derivatives`` -- the local derivative with respect to each operand, as Python code
  (an n-ary op has one, the same for every operand);
* ``course``      -- the same derivatives in the course's notation (``·`` and ``−``),
  text that :func:`micrograd_lite.explain.evaluate` parses back;
* ``checks``      -- the domain: conditions that must hold, each with its error;
* ``steep``       -- True when a local derivative can overflow although the operands and
  the result are finite floats (``1/b`` for a tiny b): the overflow rule below applies, and
  the compiled replay lets the engine decide wherever such a derivative is not finite.

The code contract
-----------------
``forward`` and ``derivatives`` are Python expressions over the names ``a`` and
``b`` (the operands), ``out`` (the result, for derivatives) and ``n`` (a number
exponent), using only ``+ - * / **``, parentheses, float literals and the
functions of :data:`NAMESPACE`: ``exp log sqrt tanh sigmoid sin cos abs relu``,
``heaviside(x)`` (1.0 if x > 0 else 0.0) and ``sign(x)`` (-1.0, 0.0 or 1.0), the
derivatives of relu and abs, and ``xlogy(x, y)`` (x·ln y, 0 where x is 0).
So the same text runs wherever those names mean something:

* in the compiled replay, substituted into generated code (each operand and
  each whole expression in parentheses, so nothing regroups);
* over Values, to build a graph of the derivative (a namespace where
  ``exp`` is ``Value.exp``, and ``heaviside``/``sign`` give constants);
* over NumPy arrays (``exp = np.exp``, ``heaviside = lambda x: np.where(x > 0, 1.0, 0.0)``).

>>> MUL.derivatives
('b', 'a')
>>> run(MUL.derivatives[1], a=3.0, b=-2.0)    # d(a*b)/db = a
3.0
>>> run(TANH.derivatives[0], out=0.5)          # 1 - tanh(x)**2, from the result
0.75
>>> power(2.0).symbol, power(2.0).exponent, power(2.0).name
('**2', 2.0, 'pown')
>>> run(power(3.0).derivatives[0], a=2.0, n=3.0)
12.0

The overflow rule: when an operation's result is too large for a float, ``exp`` and
``**`` raise ``OverflowError`` naming it (:func:`overflow`; ``+ - * /`` give inf, as
Python's floats do). A local derivative too large for a float is kept as ±inf, and
backward raises ``OverflowError`` when, and only when, it meets a nonzero gradient
(:func:`gradient_overflow`), as it does for a gradient that overflows along a chain:
a gradient never turns into ±inf silently. A nan made from numbers (inf - inf) is
invalid math (:func:`not_a_number`).
"""

from __future__ import annotations

import ast
import functools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import CodeType, ModuleType
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:  # NumPy is optional: only the batch replay needs it
    import numpy as np
    import numpy.typing as npt

    Array = npt.NDArray[np.float64]
    ArrayOrFloat = Union[Array, float]  # noqa: UP007

from ..deprecated import module_aliases

# ----------------------------------------------------------------------
# The functions the code may call, on plain floats.
# ----------------------------------------------------------------------


def sigmoid(x: float) -> float:
    """σ(x) = 1 / (1 + e^-x) in its stable form.

    exp is only ever taken of a non-positive number, so sigmoid(1000) is 1.0
    and sigmoid(-1000) is 0.0, with no overflow.

    >>> sigmoid(0.0), sigmoid(1000.0), sigmoid(-1000.0)
    (0.5, 1.0, 0.0)
    """
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def relu(x: float) -> float:
    """max(x, 0), with relu(-0.0) = 0.0 (never -0.0)."""
    return x if x > 0.0 else 0.0


def heaviside(x: float) -> float:
    """d relu(x)/dx, the Heaviside step function: 1.0 for x > 0, else 0.0 (0 at the kink, as PyTorch).

    Named ``step`` in 0.1.0, a word that also meant a row of the backward log and an optimiser's update.
    """
    return 1.0 if x > 0.0 else 0.0


INLINE = {
    "sigmoid(a)": "(1.0 / (1.0 + exp(-a)) if a >= 0.0 else (z := exp(a)) / (1.0 + z))",
    "relu(a)": "(a if a > 0.0 else 0.0)",
    "heaviside(a)": "(1.0 if a > 0.0 else 0.0)",
}
"""The functions above as expressions, the same operations in the same order: the scalar replay writes
them in place of a call, which costs more than the arithmetic (tests/test_ops.py checks they agree)."""


def inline(code: str) -> str:
    """A row's code with a call of the functions above written out (:data:`INLINE`), for the scalar replay."""
    return INLINE.get(code, code)


def sign(x: float) -> float:
    """d|x|/dx: -1.0, 0.0 or 1.0 (0 at the kink, as PyTorch)."""
    return 1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0


def xlogy(x: float, y: float) -> float:
    """x · ln y, and 0.0 when x is 0 (d(a**b)/db = a**b · ln a is 0 where a**b is 0)."""
    return 0.0 if x == 0.0 else x * math.log(y)


NAMESPACE: dict[str, object] = {
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
    "tanh": math.tanh,
    "sigmoid": sigmoid,
    "sin": math.sin,
    "cos": math.cos,
    "abs": abs,
    "relu": relu,
    "heaviside": heaviside,
    "sign": sign,
    "xlogy": xlogy,
    "inf": math.inf,  # how repr writes the infinite numbers a row's code can hold (x ** inf)
    "nan": math.nan,
}


def numpy_namespace(np: ModuleType) -> dict[str, object]:
    """The functions of :data:`NAMESPACE` over NumPy arrays, element by element the same.

    For the batch replay. The branches (``x if x > 0.0 else 0.0``) become
    ``np.where`` with the same comparison, so -0.0 and nan take the same side;
    sigmoid keeps its stable form. ``power`` is what ``a ** b`` is written as
    over arrays: ``np.float_power`` calls the C library's ``pow`` as Python's
    ``**`` does, bit for bit, where NumPy's ``**`` uses its own vectorised
    routine. ``exp``, ``log`` and ``tanh`` are NumPy's own and may differ from
    ``math``'s in the last bits (measured: at most 2 ulp).
    """

    def sigmoid(x: Array) -> Array:
        z = np.exp(-np.abs(x))  # exp(-x) for x >= 0, exp(x) below: the two branches of the scalar form
        s: Array = np.where(x >= 0.0, 1.0 / (1.0 + z), z / (1.0 + z))  # np is a module given: typed here
        return s

    def product_sum(x: ArrayOrFloat, y: ArrayOrFloat) -> ArrayOrFloat:
        """x * y summed over the points, as a one-point array; x * y itself where one side is a number."""
        if np.ndim(x) == 1 and np.ndim(y) == 1:
            total: Array = np.dot(x, y).reshape(1)
            return total
        return x * y

    def xlogy(x: ArrayOrFloat, y: ArrayOrFloat) -> Array:
        zero = x == 0.0
        out: Array = np.where(zero, 0.0, x * np.log(np.where(zero, 1.0, y)))
        return out

    return {
        "exp": np.exp,
        "log": np.log,
        "sqrt": np.sqrt,
        "tanh": np.tanh,
        "sigmoid": sigmoid,
        "sin": np.sin,
        "cos": np.cos,
        "abs": np.abs,
        "relu": lambda x: np.where(x > 0.0, x, 0.0),
        "heaviside": lambda x: np.greater(x, 0.0).astype(np.float64),  # 1.0 and 0.0 as where() gives, 2.7x faster
        "sign": lambda x: np.where(x > 0.0, 1.0, np.where(x < 0.0, -1.0, 0.0)),
        "xlogy": xlogy,
        "power": np.float_power,
        "product_sum": product_sum,
        "inf": np.inf,
        "nan": np.nan,
    }


@functools.lru_cache(maxsize=1024)  # the table's texts are a few dozen: each translated once
def for_arrays(code: str) -> str:
    """A row's code (a forward, a derivative or a domain check) written for NumPy arrays, the same numbers.

    ``a ** b`` becomes ``power(a, b)`` (NumPy's ``**`` is not the C library's
    ``pow``, see :func:`numpy_namespace`), and ``and``/``or`` become ``&``/``|``,
    element by element. The row's own text is read, never generated code.

    >>> for_arrays("b * a ** (b - 1.0)"), for_arrays("a > 0.0 or (a == 0.0 and b > 0.0)")
    ('b * power(a, b - 1.0)', '(a > 0.0) | (a == 0.0) & (b > 0.0)')
    """
    tree = ast.parse(code, mode="eval")
    spots: list[tuple[ast.AST, str, int | None, ast.AST]] = [  # (parent, field, index in a list or None, node)
        (parent, field, index, node)
        for parent in ast.walk(tree)
        for field, value in ast.iter_fields(parent)
        for index, node in (enumerate(value) if isinstance(value, list) else [(None, value)])
        if isinstance(node, ast.BoolOp) or (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow))
    ]
    for parent, field, index, node in reversed(spots):  # children first: a parent takes its rewritten operands
        new: ast.expr
        if isinstance(node, ast.BoolOp):
            bit = ast.BitAnd() if isinstance(node.op, ast.And) else ast.BitOr()
            new = node.values[0]
            for value in node.values[1:]:
                new = ast.BinOp(new, bit, value)
        else:
            assert isinstance(node, ast.BinOp)  # a ** b
            new = ast.Call(ast.Name("power", ast.Load()), [node.left, node.right], [])
        if index is None:
            setattr(parent, field, new)
        else:
            getattr(parent, field)[index] = new
    return ast.unparse(tree)


# ----------------------------------------------------------------------
# A row of the table.
# ----------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One condition of an operation's domain (code over a, b, n) and the error when it fails."""

    holds: str
    error: type[Exception]
    message: str  # a format string over {a}, {b}, {n}, {symbol}


class Op(str):
    """One operation: a ``str`` (its symbol) carrying its row of the table as attributes."""

    name: str
    arity: int | None
    forward: str
    derivatives: tuple[str, ...]
    course: tuple[str, ...]
    checks: tuple[Check, ...]
    steep: bool
    exponent: float | None

    def __new__(
        cls,
        name: str,
        symbol: str,
        arity: int | None,
        forward: str,
        derivatives: tuple[str, ...],
        course: tuple[str, ...],
        checks: tuple[Check, ...] = (),
        steep: bool = False,
        exponent: float | None = None,
    ) -> Op:
        op = super().__new__(cls, symbol)
        op.name, op.arity, op.forward = name, arity, forward
        op.derivatives, op.course, op.checks, op.steep, op.exponent = derivatives, course, checks, steep, exponent
        return op

    @property
    def symbol(self) -> str:
        return str.__str__(self)

    def __reduce__(self) -> tuple[Callable[[str, float | None], Op], tuple[str, float | None]]:
        # so rows survive copy and pickle as themselves
        return (_by_name, (self.name, self.exponent))

    def error(self, a: float, b: float = math.nan) -> Exception:
        """The error of the first domain check that fails at (a, b), else the overflow error."""
        n = self.exponent
        for check in self.checks:
            if not run(check.holds, a=a, b=b, n=n):
                return check.error(check.message.format(a=a, b=b, n=n, symbol=self.symbol))
        return overflow(self, a, b)


def row(op: str) -> Op:
    """``node.op`` of a node an operation made, as its row of the table (a leaf's op is "", not a row).

    For the modules that read a node's operation: the type ``Op`` says what they may read.
    """
    assert isinstance(op, Op), f"a leaf has no operation (op {op!r})"
    return op


def overflow(op: Op, a: float, b: float = math.nan) -> OverflowError:
    """The error for a result too large for a float (a derivative too large is backward's: :func:`gradient_overflow`).

    >>> overflow(EXP, 1000.0)
    OverflowError('exp overflow: exp(a) at a=1000.0 exceeds the largest float')
    """
    operands = {"a": a, "b": b, "n": op.exponent}
    at = ", ".join(f"{name}={value!r}" for name, value in operands.items() if name in set(words(op.forward)))
    return OverflowError(f"{op.name} overflow: {op.forward} at {at} exceeds the largest float")


def gradient_overflow(
    op: Op, operands: list[float], index: int, local: float, upstream: float, label: str = "",
    previous: float | None = None,
) -> OverflowError:  # fmt: skip
    """The error for a gradient too large for a float, saying where backward met it.

    Either the operand's local derivative times the gradient reaching the result
    overflows (``previous`` None), or the operand's gradient summed over its uses does.

    >>> gradient_overflow(DIV, [1.0, 1e-200], 1, -math.inf, 1.0, "b")
    OverflowError("div overflow in backward: at a / b with a=1.0, b=1e-200, d/db = -inf times the gradient 1.0 \
reaching the result is too large for a float: the gradient of operand b ('b')")
    """
    names = ("a", "b") if len(operands) <= 2 else tuple(f"term {i}" for i in range(len(operands)))
    at = ", ".join(f"{name}={value!r}" for name, value in zip(names, operands))
    code = op.forward if op.arity is not None else " + ".join(names)
    if previous is None:
        what = f"d/d{names[index]} = {local!r} times the gradient {upstream!r} reaching the result"
    else:
        what = f"the gradient summed over the operand's uses, {previous!r} + {local * upstream!r},"
    operand = f"operand {names[index]}" + (f" ({label!r})" if label else "")
    return OverflowError(
        f"{op.name} overflow in backward: at {code} with {at}, {what} is too large for a float: "
        f"the gradient of {operand}"
    )


def not_a_number(op: Op, *operands: float) -> ValueError:
    """The error for a nan made from numbers (inf - inf, inf * 0): invalid math, as ``log(-1)``.

    >>> not_a_number(SUB, math.inf, math.inf)
    ValueError('sub: inf - inf is not a number (a=inf, b=inf)')
    """
    if len(operands) == 2:
        shown = substitute(op.forward, {"a": repr(operands[0]), "b": repr(operands[1])})
        at = f"a={operands[0]!r}, b={operands[1]!r}"
    else:
        shown, at = "the sum", "terms " + ", ".join(map(repr, operands))
    return ValueError(f"{op.name}: {shown} is not a number ({at})")


def run(code: str, namespace: dict[str, object] | None = None, **names: object) -> object:
    """Evaluate a row's code with its names bound: on floats with :data:`NAMESPACE` (the default),
    or on anything else with a namespace of your own (Values, NumPy arrays).

    The engine has its own hand-written code; this is for tests, error messages and
    modules that differentiate a derivative.

    >>> run(SIGMOID.derivatives[0], out=0.5)
    0.25
    >>> run("exp(a) * b", {"exp": lambda x: f"e^{x}"}, a="x", b=2)
    'e^xe^x'
    """
    scope = {**(NAMESPACE if namespace is None else namespace), **names}
    return eval(_compiled(code), {"__builtins__": {}}, scope)  # our own table's text, never user input


@functools.lru_cache(maxsize=1024)  # the table's texts are a few dozen: each compiled once
def _compiled(code: str) -> CodeType:
    return compile(code, "<micrograd_lite.ops>", "eval")


# ----------------------------------------------------------------------
# The table.
# ----------------------------------------------------------------------

ADD = Op("add", "+", None, "a + b", ("1.0",), ("1",))
SUB = Op("sub", "-", 2, "a - b", ("1.0", "-1.0"), ("1", "−1"))
NEG = Op("neg", "-", 1, "-a", ("-1.0",), ("−1",))
MUL = Op("mul", "*", 2, "a * b", ("b", "a"), ("b", "a"))
# The domain checks, named, so that each row below fits on a line.
_DIVISOR_NOT_ZERO = Check("b != 0.0", ZeroDivisionError, "division by zero: {a!r} / {b!r}")
_LOG_OF_BASE = Check(
    "a > 0.0 or (a == 0.0 and b > 0.0)",
    ValueError,
    "power: d(a**b)/db = a**b * ln(a) is undefined for base a={a!r} (exponent b={b!r}); "
    "use a number exponent or a positive base",
)
_SLOPE_AT_ZERO_BASE = Check(
    "a > 0.0 or b >= 1.0", ValueError, "power: the derivative of a**b is infinite at a=0.0, b={b!r}"
)
_LOG_POSITIVE = Check("a > 0.0", ValueError, "log of a non-positive value: log({a!r}) is undefined")
_SQRT_REAL = Check("a >= 0.0", ValueError, "sqrt: sqrt({a!r}) is undefined")
_SQRT_SLOPE = Check("a > 0.0", ValueError, "sqrt: sqrt({a!r}) is defined, but its derivative is infinite")

DIV = Op("div", "/", 2, "a / b", ("1.0 / b", "-out / b"), ("1/b", "−out · 1/b"), (_DIVISOR_NOT_ZERO,), steep=True)
POW = Op(
    "pow", "**", 2, "a ** b", ("b * a ** (b - 1.0)", "xlogy(out, a)"), ("b · a**(b − 1)", "out · log(a)"),
    (_LOG_OF_BASE, _SLOPE_AT_ZERO_BASE), steep=True,
)  # fmt: skip
EXP = Op("exp", "exp", 1, "exp(a)", ("out",), ("out",))
LOG = Op("log", "log", 1, "log(a)", ("1.0 / a",), ("1/a",), (_LOG_POSITIVE,), steep=True)
SQRT = Op("sqrt", "sqrt", 1, "sqrt(a)", ("0.5 / out",), ("1/(2·out)",), (_SQRT_REAL, _SQRT_SLOPE))
TANH = Op("tanh", "tanh", 1, "tanh(a)", ("1.0 - out * out",), ("(1 − out**2)",))
SIGMOID = Op("sigmoid", "sigmoid", 1, "sigmoid(a)", ("out * (1.0 - out)",), ("out · (1 − out)",))
RELU = Op("relu", "relu", 1, "relu(a)", ("heaviside(a)",), ("heaviside(a)",))
ABS = Op("abs", "abs", 1, "abs(a)", ("sign(a)",), ("sign(a)",))
_FINITE = Check("a - a == 0.0", ValueError, "{symbol}({a!r}) is undefined: the argument must be finite")
SIN = Op("sin", "sin", 1, "sin(a)", ("cos(a)",), ("cos(a)",), (_FINITE,))
COS = Op("cos", "cos", 1, "cos(a)", ("-sin(a)",), ("−sin(a)",), (_FINITE,))
DETACH = Op("detach", "detach", 0, "a", (), ())  # the result is a new leaf: no operand, no derivative

_POWER_CHECKS = (
    Check(
        "a >= 0.0 or n % 1.0 == 0.0",
        ValueError,
        "power: negative base to a non-integer power, {a!r} ** {n!r}, is not real",
    ),
    Check("a != 0.0 or n >= 0.0", ZeroDivisionError, "power: 0.0 ** {n!r} divides by zero"),
    Check("a != 0.0 or n <= 0.0 or n >= 1.0", ValueError, "power: the derivative of x**{n!r} is infinite at x=0.0"),
)
POWN = Op("pown", "**n", 1, "a ** n", ("n * a ** (n - 1.0)",), ("n · a**(n − 1)",), _POWER_CHECKS, steep=True)

OPS: dict[str, Op] = {
    op.name: op
    for op in (ADD, SUB, NEG, MUL, DIV, POW, POWN, EXP, LOG, SQRT, TANH, SIGMOID, RELU, ABS, SIN, COS, DETACH)
}
FUNCTIONS = tuple(op.name for op in OPS.values() if op.arity in (0, 1) and op.symbol == op.name)
"""The operations written ``f(x)``: the functions of ``--expr`` and the methods of Value (``x.tanh()``)."""
ACTIVATIONS = tuple(
    op.name for op in OPS.values() if op.arity == 1 and op.symbol == op.name and set(op.checks) <= {_FINITE}
)
"""The functions defined at every finite number: what a neuron may apply to its sum."""

_POWERS: dict[float, Op] = {}


def power(n: float) -> Op:
    """The row of ``x ** n`` for one number exponent: symbol ``"**2"``, ``exponent`` 2.0 (made once per n).

    Its code is :data:`POWN`'s with this n written in, ``a ** 0.5`` and
    ``0.5 * a ** (-0.5)``; ``a ** 1.0`` is written ``a`` (it is a, exactly).
    For n = 0 the derivative is the constant 0.0 (x**0 is 1 everywhere, even
    where a**-1 would divide by zero).

    >>> power(0.5).forward, power(0.5).derivatives, power(2.0).derivatives
    ('a ** 0.5', ('0.5 * a ** (-0.5)',), ('2.0 * a',))
    """
    row = _POWERS.get(n)
    if row is None:
        symbol = f"**{number_text(n)}"
        forward = "a * a" if n == 2.0 else f"a ** {literal(n)}"  # x * x: exact, as the engine computes it
        derivative = f"{literal(n)} * a" + ("" if n - 1.0 == 1.0 else f" ** {literal(n - 1.0)}")
        if n == 0.0:
            derivative = "0.0"
        negative_base, divides_by_zero, infinite_slope = POWN.checks
        checks = (
            *([] if n.is_integer() else [negative_base]),  # only the checks that can fail for this n
            *([divides_by_zero] if n < 0.0 else []),
            *([infinite_slope] if 0.0 < n < 1.0 else []),
        )
        steep = not (n == 0.0 or 1.0 <= n <= 2.0)  # n·a**(n-1) is finite wherever a**n is, for these n
        row = Op("pown", symbol, 1, forward, (derivative,), POWN.course, checks, steep, exponent=n)
        if len(_POWERS) < 1024:
            _POWERS[n] = row
    return row


def number_text(x: float) -> str:
    """A number as people write it, exactly: 2.0 -> '2', 0.1 -> '0.1', 1e+20 -> '1e+20'.

    >>> number_text(2.0), number_text(-0.5), number_text(1000001.0)
    ('2', '-0.5', '1000001')
    """
    return str(int(x)) if x.is_integer() and abs(x) < 1e16 else repr(x)


def literal(x: float) -> str:
    """A number as code, exactly (repr round-trips), in parentheses when negative."""
    return f"({x!r})" if str(x).startswith("-") else repr(x)


def _by_name(name: str, exponent: float | None) -> Op:
    return power(exponent) if name == "pown" and exponent is not None else OPS[name]


def substitute(code: str, names: dict[str, str], parenthesise: bool = True) -> str:
    """``code`` with each whole word that is a key of ``names`` replaced: ``"a * b"`` -> ``"(x) * (y)"``.

    Replacements other than plain names and numbers are put in parentheses, so an
    operand never regroups (unless ``parenthesise`` is False: names that are atoms already).

    >>> substitute("b * a ** (b - 1.0)", {"a": "v1", "b": "-2.0"})
    '(-2.0) * v1 ** ((-2.0) - 1.0)'
    """
    wrap = atom if parenthesise else str
    return "".join(wrap(names[word]) if word in names else word for word in words(code))


def atom(text: str) -> str:
    """``text`` in parentheses, unless it is a name or a number already safe to write anywhere.

    >>> atom("v1"), atom("0.5"), atom("(-0.5)"), atom("v1 + v2")
    ('v1', '0.5', '(-0.5)', '(v1 + v2)')
    """
    if text.isidentifier():
        return text
    if text[:1].isdigit() and _is_number(text):  # 0.5, 1e-05
        return text
    if text.startswith("(-") and text.endswith(")") and _is_number(text[1:-1]):  # (-0.5)
        return text
    return f"({text})"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def words(code: str) -> Iterator[str]:
    """The names and numbers of ``code``, and every other character on its own: "a_o1·2" -> a_o1, ·, 2."""
    word = ""
    for ch in code:
        if ch.isalnum() or ch == "_":
            word += ch
            continue
        if word:
            yield word
            word = ""
        yield ch
    if word:
        yield word


__getattr__ = module_aliases("micrograd_lite.ops", {"step": ("micrograd_lite.ops.heaviside", heaviside)})
