"""The command line's argument types: each refuses a bad value in one line that names it."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def positive_float(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (math.isfinite(x) and x > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return x


def tolerance(largest: float, why: str) -> Callable[[str], float]:
    """An argument type: a number from 0 to ``largest``; beyond it, ``why`` says what it would let through."""

    def parse(text: str) -> float:
        try:
            x = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not (0 <= x <= largest):
            raise argparse.ArgumentTypeError(f"must be from 0 to {largest:g} ({why}), got {text!r}")
        return x

    return parse


def positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text!r}")
    return n


def significant_digits(text: str) -> int:
    """1 to 17: beyond 17 digits a float's decimal expansion shows binary noise (0.4 as 0.400000000000000022…)."""
    n = positive_int(text)
    if n > 17:
        raise argparse.ArgumentTypeError(f"at most 17 (a float holds 17 significant digits), got {text!r}")
    return n


def output_path(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("an output file name is empty")
    return text


def assignment(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    if not sep or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"expected NAME=NUMBER, got {text!r}")
    try:
        return name, float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{name}: not a number: {value!r}") from None
