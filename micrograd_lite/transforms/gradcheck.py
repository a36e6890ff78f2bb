"""Check ``backward()`` against central finite differences.

>>> report = gradcheck(lambda x, y: (x * y).tanh(), [0.3, -0.7])
>>> report.ok
True
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..core.engine import Value


@dataclass(frozen=True)
class InputCheck:
    """One input's analytic (backward) and numeric (finite-difference) gradient."""

    index: int
    value: float
    analytic: float
    numeric: float
    ok: bool

    @property
    def error(self) -> float:
        return abs(self.analytic - self.numeric)


@dataclass(frozen=True)
class GradcheckReport:
    checks: tuple[InputCheck, ...]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def __bool__(self) -> bool:
        return self.ok

    @property
    def worst(self) -> InputCheck:
        return max(self.checks, key=lambda c: c.error)

    def __str__(self) -> str:
        lines = [f"gradcheck: {'ok' if self.ok else 'MISMATCH'}"]
        for c in self.checks:
            flag = "" if c.ok else "   <-- disagrees"
            lines.append(
                f"  input {c.index} = {c.value!r}: backward {c.analytic!r}, "
                f"finite difference {c.numeric!r}, |diff| {c.error:.3g}{flag}"
            )
        return "\n".join(lines)


def gradcheck(
    f: Callable[..., Value],
    inputs: Sequence[float],
    eps: float = 1e-6,
    atol: float = 1e-6,
    rtol: float = 1e-4,
) -> GradcheckReport:
    """Compare d f(*inputs) / d input_i from ``backward()`` with a central difference.

    ``f`` takes one Value per input and returns a Value. Input ``i`` passes
    when ``|analytic - numeric| <= atol + rtol * |numeric|``. The central
    difference ``(f(x+eps) - f(x-eps)) / (2 eps)`` is independent of the
    engine's derivative rules: it only uses forward values.

    >>> gradcheck(lambda x: x * x, [1.0], eps=0)
    Traceback (most recent call last):
    ...
    ValueError: gradcheck: eps must be a positive finite number, got 0
    """
    _check_tolerances(eps, atol, rtol)
    xs = [float(x) for x in inputs]
    if not xs:
        raise ValueError("gradcheck: no inputs to check")
    for i, x in enumerate(xs):
        if not math.isfinite(x):
            raise ValueError(f"gradcheck: input {i} is {x!r}; a finite difference needs finite inputs")
        if x - eps == x + eps:
            raise ValueError(f"gradcheck: eps {eps!r} is too small to move input {i} = {x!r}: try a larger eps")
    leaves = [Value(x) for x in xs]
    out = f(*leaves)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__}")
    out.backward()

    def f_at(i: int, x: float) -> float:
        shifted = xs[:i] + [x] + xs[i + 1 :]
        return f(*(Value(v) for v in shifted)).data

    checks = []
    for i, (x, leaf) in enumerate(zip(xs, leaves)):
        numeric = (f_at(i, x + eps) - f_at(i, x - eps)) / (2.0 * eps)
        ok = abs(leaf.grad - numeric) <= atol + rtol * abs(numeric)
        checks.append(InputCheck(i, x, leaf.grad, numeric, ok))
    return GradcheckReport(tuple(checks))


def _check_tolerances(eps: float, atol: float, rtol: float) -> None:
    """eps > 0 (a step of 0 divides by zero), atol and rtol >= 0; all finite (nan would pass or fail everything)."""
    if not (_is_finite_number(eps) and eps > 0):
        raise ValueError(f"gradcheck: eps must be a positive finite number, got {eps!r}")
    for name, tolerance in (("atol", atol), ("rtol", rtol)):
        if not (_is_finite_number(tolerance) and tolerance >= 0):
            raise ValueError(f"gradcheck: {name} must be a finite number >= 0, got {tolerance!r}")


def _is_finite_number(x: object) -> bool:
    return isinstance(x, numbers.Real) and math.isfinite(x)
