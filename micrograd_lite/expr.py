"""Turn an expression such as ``"tanh(x*w + b)"`` into a graph of Values.

The text is parsed with :mod:`ast` and only arithmetic, numbers, the given
variables and the engine's functions are accepted: nothing is ever passed to
``eval`` or ``exec``.

>>> y = parse_expression("tanh(x*w + b)", {"x": 0.5, "w": -3, "b": 2})
>>> round(y.data, 4), y.op
(0.4621, 'tanh')
"""

from __future__ import annotations

import ast
import operator

from .engine import Value
from .errors import ExpressionError
from .ops import FUNCTIONS as METHODS
from .ops import sign, step

# Functions of the table are Value methods (``exp(x)`` is ``x.exp()``); step and
# sign, the derivatives of relu and abs, give constants (no gradient flows through).
CONSTANT_FUNCTIONS = {"step": step, "sign": sign}
FUNCTIONS = (*METHODS, *CONSTANT_FUNCTIONS)
BINARY = {
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


def parse_expression(text: str, variables: dict[str, float]) -> Value:
    """The Value of ``text`` with each variable a labelled leaf (``x`` -> ``Value(.., "x")``)."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        raise ExpressionError(f"invalid expression {text!r}: {error.msg}") from None
    leaves = {name: Value(value, label=name) for name, value in variables.items()}
    out = _build(tree.body, leaves, text)
    return out if isinstance(out, Value) else Value(out)


def _build(node: ast.AST, leaves: dict[str, Value], text: str) -> Value | float:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in leaves:
            known = ", ".join(sorted(leaves)) or "none given"
            raise ExpressionError(f"unknown name {node.id!r} in {text!r} (variables: {known})")
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
        and node.func.id in FUNCTIONS
        and len(node.args) == 1
        and not node.keywords
    ):
        arg = _build(node.args[0], leaves, text)
        arg = arg if isinstance(arg, Value) else Value(arg)
        if node.func.id in CONSTANT_FUNCTIONS:
            return Value(CONSTANT_FUNCTIONS[node.func.id](arg.data))
        return getattr(arg, node.func.id)()
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        raise ExpressionError(
            f"unsupported function {node.func.id!r} in {text!r}; use one of {', '.join(FUNCTIONS)} with one argument"
        )
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        node = node.func  # a method call: report the attribute access
    what = _DESCRIPTIONS.get(type(node), type(node).__name__)
    snippet = ast.get_source_segment(text.strip(), node) or what
    raise ExpressionError(f"{what} is not supported in expressions: {snippet!r}")
