"""Check ``backward()`` against central finite differences.

>>> report = gradcheck(lambda x, y: (x * y).tanh(), [0.3, -0.7])
>>> report.ok
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .engine import Value


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
    """
    xs = [float(x) for x in inputs]
    leaves = [Value(x) for x in xs]
    f(*leaves).backward()

    def f_at(i: int, x: float) -> float:
        shifted = xs[:i] + [x] + xs[i + 1 :]
        return f(*(Value(v) for v in shifted)).data

    checks = []
    for i, (x, leaf) in enumerate(zip(xs, leaves)):
        numeric = (f_at(i, x + eps) - f_at(i, x - eps)) / (2.0 * eps)
        ok = abs(leaf.grad - numeric) <= atol + rtol * abs(numeric)
        checks.append(InputCheck(i, x, leaf.grad, numeric, ok))
    return GradcheckReport(tuple(checks))
