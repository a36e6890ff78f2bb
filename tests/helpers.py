"""Independent references for the tests: finite differences, nothing from the engine's rules."""

import math


def central_difference(f, x, eps=1e-6):
    """d f / dx at x from forward values only."""
    return (f(x + eps) - f(x - eps)) / (2 * eps)


def close(a, b, rtol=1e-6, atol=1e-9):
    return math.isclose(a, b, rel_tol=rtol, abs_tol=atol)
