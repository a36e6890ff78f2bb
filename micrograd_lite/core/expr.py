"""Turn an expression such as ``"tanh(x*w + b)"`` into a graph of Values.

The text is parsed with :mod:`ast` and only arithmetic, numbers, the given
variables and the engine's functions are accepted: nothing is ever passed to
``eval`` or ``exec``. Its size is checked before parsing (at most
:data:`MAX_LENGTH` characters and :data:`MAX_OPERATIONS` operators and
parentheses, which bounds how deeply it can nest), so a huge or deeply nested
text is refused at once instead of exhausting memory or the recursion limit.

>>> y = parse_expression("tanh(x*w + b)", {"x": 0.5, "w": -3, "b": 2})
>>> round(y.data, 4), y.op.symbol
(0.4621, 'tanh')
"""

from __future__ import annotations

import ast
import io
import numbers
import operator
import sys
import tokenize
import unicodedata
from collections.abc import Callable

from ..deprecated import deprecated
from ..errors import ExpressionError
from .engine import Value
from .ops import FUNCTIONS as METHODS
from .ops import heaviside, sign

MAX_LENGTH = 10_000  # characters
MAX_OPERATIONS = 500  # operators and opening parentheses: no parse tree nests deeper than this
_LARGEST_FLOAT = sys.float_info.max



def _step(x: float) -> float:
    """``step(x)``, the name of 0.1.0: heaviside(x), with a DeprecationWarning."""
    deprecated("step(x) in an expression", "heaviside(x)", stacklevel=2)
    return heaviside(x)


# Functions of the table are Value methods (``exp(x)`` is ``x.exp()``); heaviside
# and sign, the derivatives of relu and abs, give constants (no gradient flows through).
CONSTANT_FUNCTIONS = {"heaviside": heaviside, "sign": sign}
FUNCTIONS = (*METHODS, *CONSTANT_FUNCTIONS)
RENAMED_FUNCTIONS: dict[str, Callable[[float], float]] = {"step": _step}  # read for one release; errors offer the new
BINARY: dict[type[ast.operator], Callable[[Value | float, Value | float], Value]] = {  # one side a Value
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}

_DESCRIPTIONS = {
    ast.Attribute: "attribute access",
    ast.Lambda: "lambda",
    ast.Subscript: "subscripting",
    ast.Compare: "comparison",
    ast.BoolOp: "and/or",
    ast.Constant: "a non-number constant",
    ast.IfExp: "if-else",
    ast.Call: "this call",
}


def parse_expression(text: str, variables: dict[str, float], *, generated: bool = False) -> Value:
    """The Value of ``text`` with each variable a labelled leaf (``x`` -> ``Value(.., "x")``).

    Variables must be finite numbers; a name is read as Python reads it (NFKC),
    so ``ｘ`` (fullwidth) and ``x`` are one name and cannot both be given.
    ``generated=True`` is for text this package wrote itself (a derivation
    from :mod:`~micrograd_lite.explain`): it skips the size limits, which are
    for what people type.

    >>> parse_expression("x" + " + x" * 600, {"x": 1.0})
    Traceback (most recent call last):
    ...
    micrograd_lite.errors.ExpressionError: expression has 600 operators and parentheses; the limit is 500
    """
    if not generated:
        check_size(text)
    leaves = _leaves(variables)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError) as error:  # ValueError: an int of over 4,300 digits
        reason = error.msg if isinstance(error, SyntaxError) else str(error).partition(":")[0]
        raise ExpressionError(f"invalid expression {_shown(text)}: {reason}") from None
    out = _build(tree.body, leaves, text)
    return out if isinstance(out, Value) else Value(out)


def check_size(text: str) -> None:
    """Refuse, before any parsing, a text longer than MAX_LENGTH or with more than MAX_OPERATIONS operations.

    Every level of nesting in the parse tree needs an operator or a
    parenthesis, so counting them (a linear scan of the tokens) bounds the
    depth that Python's parser and :func:`_build` will recurse to.
    """
    if not text.strip():
        raise ExpressionError("empty expression")
    if "\0" in text:
        raise ExpressionError("expression contains a null character")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression is {len(text):,} characters long; the limit is {MAX_LENGTH:,}")
    operations = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(text.strip()).readline):
            operations += token.type == tokenize.OP and token.string not in ")],"
    except (tokenize.TokenError, SyntaxError) as error:  # an unclosed bracket or string
        message = error.args[0] if error.args else "cannot be read"
        raise ExpressionError(f"invalid expression {_shown(text)}: {message}") from None
    if operations > MAX_OPERATIONS:
        raise ExpressionError(f"expression has {operations:,} operators and parentheses; the limit is {MAX_OPERATIONS}")


def _leaves(variables: dict[str, float]) -> dict[str, Value]:
    """One labelled leaf per variable, keyed by the name as Python's parser spells it (NFKC)."""
    leaves: dict[str, Value] = {}
    for name, value in variables.items():
        if not name.isidentifier():
            raise ExpressionError(f"variable name {name!r} is not a name (letters, digits, _)")
        if not (isinstance(value, numbers.Real) and abs(value) <= _LARGEST_FLOAT):  # False for nan too
            raise ExpressionError(f"variable {name} = {str(value)[:40]}: must be a finite number")
        key = unicodedata.normalize("NFKC", name)
        if key in leaves:
            raise ExpressionError(
                f"variables {leaves[key].label!r} and {name!r} are the same name to Python's parser (both read {key!r})"
            )
        leaves[key] = Value(float(value), label=name)
    return leaves


def _shown(text: str, limit: int = 60) -> str:
    """``text`` quoted for an error message, shortened if long."""
    text = text.strip()
    return repr(text) if len(text) <= limit else repr(text[: limit - 1] + "…")


def _build(node: ast.AST, leaves: dict[str, Value], text: str) -> Value | float:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and type(node.value) is not bool:
        if abs(node.value) > _LARGEST_FLOAT:  # 1e999 is read as inf; a longer int would not fit a float
            raise ExpressionError(f"number {_shown(ast.get_source_segment(text.strip(), node) or '')} is too large")
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in leaves:
            known = ", ".join(sorted(leaf.label for leaf in leaves.values())) or "none given"
            raise ExpressionError(f"unknown name {_shown(node.id)} in {_shown(text)} (variables: {known[:200]})")
        return leaves[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in BINARY:
        left, right = _build(node.left, leaves, text), _build(node.right, leaves, text)
        if not isinstance(left, Value) and not isinstance(right, Value):
            left = Value(left)  # keep 2*3 in the graph as well
        return BINARY[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = _build(node.operand, leaves, text)  # a Value or a signed number
        return -operand if isinstance(node.op, ast.USub) else operand
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and (node.func.id in FUNCTIONS or node.func.id in RENAMED_FUNCTIONS)
        and len(node.args) == 1
        and not node.keywords
    ):
        arg = _build(node.args[0], leaves, text)
        arg = arg if isinstance(arg, Value) else Value(arg)
        constant = CONSTANT_FUNCTIONS.get(node.func.id) or RENAMED_FUNCTIONS.get(node.func.id)
        if constant is not None:
            return Value(constant(arg.data))
        result: Value = getattr(arg, node.func.id)()  # the method of that name: tanh, exp, ...
        return result
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        raise ExpressionError(
            f"unsupported function {node.func.id!r} in {_shown(text)}; "
            f"use one of {', '.join(FUNCTIONS)} with one argument"
        )
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        node = node.func  # a method call: report the attribute access
    what = _DESCRIPTIONS.get(type(node), type(node).__name__)
    snippet = ast.get_source_segment(text.strip(), node) or what
    raise ExpressionError(f"{what} is not supported in expressions: {snippet!r}")
