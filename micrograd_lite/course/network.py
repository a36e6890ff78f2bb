"""The course's backpropagation spreadsheet, computed by the engine.

A 2-2-2 sigmoid network with no biases, named as in the sheet::

    h1 = w1·i1 + w2·i2        a_h1 = σ(h1)        o1 = w5·a_h1 + w6·a_h2      a_o1 = σ(o1)
    h2 = w3·i1 + w4·i2        a_h2 = σ(h2)        o2 = w7·a_h1 + w8·a_h2      a_o2 = σ(o2)
    E1 = ½·(t1 − a_o1)²       E2 = ½·(t2 − a_o2)²  E_total = E1 + E2

trained by plain gradient descent, ``w ← w − lr·∂E_total/∂w``.

>>> rows = train(lr=0.5, epochs=2)
>>> round(rows[0]["E_total"], 10)
0.0141813779
>>> rows[1]["w1"] == rows[0]["w1"] - 0.5 * rows[0]["dE_dw1"]
True

Reading a learner's file, checking it and writing files live in the
sibling modules (``read``, ``check``, ``csvfile``, ``workbook``, ``plots``);
this one knows only the network.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TypedDict

from ..core.engine import Value
from ..util import Progress, no_progress

INPUTS = {"i1": 0.05, "i2": 0.1}
TARGETS = {"t1": 0.5, "t2": 0.5}
WEIGHTS = {"w1": 0.15, "w2": 0.2, "w3": 0.25, "w4": 0.3, "w5": 0.4, "w6": 0.45, "w7": 0.5, "w8": 0.55}
WEIGHT_NAMES = tuple(WEIGHTS)
FORWARD_NAMES = ("h1", "a_h1", "h2", "a_h2", "o1", "a_o1", "o2", "a_o2", "E1", "E2", "E_total")
GRADIENT_NAMES = tuple(f"dE_d{w}" for w in WEIGHT_NAMES)
COLUMNS = ("epoch", *TARGETS, *INPUTS, *WEIGHT_NAMES, *FORWARD_NAMES, *GRADIENT_NAMES)
LEARNING_RATES = (0.1, 0.2, 0.5, 0.8, 1.0, 2.0, 1000.0)
DEFAULT_LR = 0.5  # the sheet's own learning rate

# The forward pass and the seeds' hand-derived gradients as spreadsheet formulas over the column names:
# the live workbook states them as text and computes every cell with them.
FORWARD_FORMULAS = {
    "h1": "w1*i1 + w2*i2",
    "a_h1": "1/(1 + EXP(-h1))",
    "h2": "w3*i1 + w4*i2",
    "a_h2": "1/(1 + EXP(-h2))",
    "o1": "w5*a_h1 + w6*a_h2",
    "a_o1": "1/(1 + EXP(-o1))",
    "o2": "w7*a_h1 + w8*a_h2",
    "a_o2": "1/(1 + EXP(-o2))",
    "E1": "0.5*(t1 - a_o1)^2",
    "E2": "0.5*(t2 - a_o2)^2",
    "E_total": "E1 + E2",
}
GRADIENT_FORMULAS = {
    "dE_dw1": "((a_o1 - t1)*a_o1*(1 - a_o1)*w5 + (a_o2 - t2)*a_o2*(1 - a_o2)*w7) * a_h1*(1 - a_h1) * i1",
    "dE_dw2": "((a_o1 - t1)*a_o1*(1 - a_o1)*w5 + (a_o2 - t2)*a_o2*(1 - a_o2)*w7) * a_h1*(1 - a_h1) * i2",
    "dE_dw3": "((a_o1 - t1)*a_o1*(1 - a_o1)*w6 + (a_o2 - t2)*a_o2*(1 - a_o2)*w8) * a_h2*(1 - a_h2) * i1",
    "dE_dw4": "((a_o1 - t1)*a_o1*(1 - a_o1)*w6 + (a_o2 - t2)*a_o2*(1 - a_o2)*w8) * a_h2*(1 - a_h2) * i2",
    "dE_dw5": "(a_o1 - t1) * a_o1*(1 - a_o1) * a_h1",
    "dE_dw6": "(a_o1 - t1) * a_o1*(1 - a_o1) * a_h2",
    "dE_dw7": "(a_o2 - t2) * a_o2*(1 - a_o2) * a_h1",
    "dE_dw8": "(a_o2 - t2) * a_o2*(1 - a_o2) * a_h2",
}


def build_network(
    weights: Mapping[str, float] = WEIGHTS,
    inputs: Mapping[str, float] = INPUTS,
    targets: Mapping[str, float] = TARGETS,
) -> dict[str, Value]:
    """The forward pass as a graph of Values, every sheet quantity labelled by its name."""
    v = {name: Value(x, label=name) for name, x in {**inputs, **targets, **weights}.items()}

    def name(label: str, value: Value) -> Value:
        value.label = label
        v[label] = value
        return value

    i1, i2, t1, t2 = v["i1"], v["i2"], v["t1"], v["t2"]
    w1, w2, w3, w4, w5, w6, w7, w8 = (v[w] for w in WEIGHT_NAMES)
    a_h1 = name("a_h1", name("h1", w1 * i1 + w2 * i2).sigmoid())
    a_h2 = name("a_h2", name("h2", w3 * i1 + w4 * i2).sigmoid())
    a_o1 = name("a_o1", name("o1", w5 * a_h1 + w6 * a_h2).sigmoid())
    a_o2 = name("a_o2", name("o2", w7 * a_h1 + w8 * a_h2).sigmoid())
    E1 = name("E1", 0.5 * (t1 - a_o1) ** 2)
    E2 = name("E2", 0.5 * (t2 - a_o2) ** 2)
    name("E_total", E1 + E2)
    return v


def backpropagated_network(
    weights: Mapping[str, float] = WEIGHTS,
    inputs: Mapping[str, float] = INPUTS,
    targets: Mapping[str, float] = TARGETS,
) -> dict[str, Value]:
    """The network after one forward and one backward pass: every grad is ∂E_total/∂node."""
    network = build_network(weights, inputs, targets)
    network["E_total"].backward()
    return network


def sheet_row(epoch: int, network: dict[str, Value]) -> dict[str, float]:
    """One row of the sheet from a network whose E_total has been backpropagated."""
    row: dict[str, float] = {"epoch": epoch}
    for column in COLUMNS[1:]:
        if column.startswith("dE_d"):
            row[column] = network[column[4:]].grad
        else:
            row[column] = network[column].data
    return row


def iter_rows(
    lr: float,
    epochs: int,
    weights: Mapping[str, float] = WEIGHTS,
    inputs: Mapping[str, float] = INPUTS,
    targets: Mapping[str, float] = TARGETS,
) -> Iterator[dict[str, float]]:
    """The sheet's rows one at a time, so a long run never holds them all in memory.

    The arguments are checked at once, before the first row is asked for.

    >>> next(iter_rows(0.5, 10**9))["w8"]
    0.55
    """
    _check_lr_epochs(lr, epochs)
    return _training(lr, epochs, dict(weights), inputs, targets)


def _training(
    lr: float, epochs: int, weights: dict[str, float], inputs: Mapping[str, float], targets: Mapping[str, float]
) -> Iterator[dict[str, float]]:
    for epoch in range(epochs):
        network = backpropagated_network(weights, inputs, targets)
        yield sheet_row(epoch, network)
        for w in WEIGHT_NAMES:
            weights[w] -= lr * network[w].grad


def train(lr: float, epochs: int, **network: Mapping[str, float]) -> list[dict[str, float]]:
    """``epochs`` rows of the sheet: weights before the update, forward values, gradients.

    ``network`` may give ``weights``, ``inputs`` and ``targets``, as for :func:`iter_rows`.
    """
    return list(iter_rows(lr, epochs, **network))


def sweep(
    lrs: Sequence[float] = LEARNING_RATES,
    epochs: int = 100,
    progress: Progress = no_progress,
    **network: Mapping[str, float],
) -> dict[float, list[float]]:
    """E_total per epoch for every learning rate; ``progress(rows, epochs, what)`` may show each run going."""
    return {
        lr: [row["E_total"] for row in progress(iter_rows(lr, epochs, **network), epochs, f"epochs at lr {lr:g}")]
        for lr in lrs
    }


def _check_lr_epochs(lr: float, epochs: int) -> None:
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"learning rate must be a positive number, got {lr!r}")
    if not (isinstance(epochs, int) and epochs >= 1):
        raise ValueError(f"epochs must be a positive whole number, got {epochs!r}")


# ----------------------------------------------------------------------
# The hand derivation, evaluated: how a learner checks a sheet.
# ----------------------------------------------------------------------


ACTIVATION_OF = {"h1": "a_h1", "h2": "a_h2"}
WEIGHTS_OUT_OF = {"h1": ("w5", "w7"), "h2": ("w6", "w8")}  # the weights from h1 (h2) into o1 and o2


class FormulaChoices(TypedDict, total=False):
    """Keyword arguments of :func:`closed_form_gradients`, by name: the slips of ``course.check.SLIPS``."""

    sigma_prime_of: Mapping[str, str]
    weights_back_to: Mapping[str, tuple[str, str]]
    output_activation_of: Mapping[str, str]
    output_sigma_prime: bool
    hidden_sigma_prime: bool
    output_error: Callable[[float, float], float]
    bracketed_sum: bool


def closed_form_gradients(
    row: Mapping[str, float],
    *,
    sigma_prime_of: Mapping[str, str] = ACTIVATION_OF,
    weights_back_to: Mapping[str, tuple[str, str]] = WEIGHTS_OUT_OF,
    output_activation_of: Mapping[str, str] = ACTIVATION_OF,
    output_sigma_prime: bool = True,
    hidden_sigma_prime: bool = True,
    output_error: Callable[[float, float], float] = lambda a_o, t: a_o - t,
    bracketed_sum: bool = True,
) -> dict[str, float]:
    """The seeds' formulas for ∂E_total/∂w1..w8, from one row's forward values.

    The keyword arguments are the places where a hand derivation can slip
    (``course.check`` recomputes a learner's sheet with each slip); their
    defaults are the right formulas.

    >>> g = closed_form_gradients({"t1": 0.5, "t2": 0.5, "i1": 1.0, "i2": 2.0, "a_h1": 0.5, "a_h2": 0.5,
    ...     "a_o1": 0.75, "a_o2": 0.5, "w5": 1.0, "w6": 1.0, "w7": 1.0, "w8": 1.0})
    >>> g["dE_dw5"], g["dE_dw1"], g["dE_dw2"]
    (0.0234375, 0.01171875, 0.0234375)
    """
    t1, t2, i1, i2 = row["t1"], row["t2"], row["i1"], row["i2"]
    a_o1, a_o2 = row["a_o1"], row["a_o2"]
    delta_o1 = output_error(a_o1, t1) * (a_o1 * (1 - a_o1) if output_sigma_prime else 1)  # ∂E_total/∂o1
    delta_o2 = output_error(a_o2, t2) * (a_o2 * (1 - a_o2) if output_sigma_prime else 1)  # ∂E_total/∂o2
    gradients = {}
    for hidden, (w_first, w_second) in (("h1", ("w1", "w2")), ("h2", ("w3", "w4"))):
        to_o1, to_o2 = weights_back_to[hidden]
        a = row[sigma_prime_of[hidden]]
        sigma_prime = a * (1 - a) if hidden_sigma_prime else 1
        for w, i in ((w_first, i1), (w_second, i2)):
            if bracketed_sum:  # ∂E_total/∂a_h: two paths, added, then times σ' and the input
                gradients["dE_d" + w] = (delta_o1 * row[to_o1] + delta_o2 * row[to_o2]) * sigma_prime * i
            else:  # without the brackets only the second path is multiplied
                gradients["dE_d" + w] = delta_o1 * row[to_o1] + delta_o2 * row[to_o2] * sigma_prime * i
    a_h1, a_h2 = row[output_activation_of["h1"]], row[output_activation_of["h2"]]
    gradients.update(
        {"dE_dw5": delta_o1 * a_h1, "dE_dw6": delta_o1 * a_h2, "dE_dw7": delta_o2 * a_h1, "dE_dw8": delta_o2 * a_h2}
    )
    return dict(sorted(gradients.items()))


@dataclass(frozen=True)
class FormulaGap:
    """Where the hand-derived formulas and ``backward()`` differ most."""

    error: float
    column: str
    epoch: int


def largest_formula_disagreement(rows: Sequence[Mapping[str, float]]) -> FormulaGap:
    """Where the closed-form formulas and ``backward()`` differ most over all rows."""
    return max(
        (
            FormulaGap(abs(row[column] - expected), column, int(row["epoch"]))
            for row in rows
            for column, expected in closed_form_gradients(row).items()
        ),
        key=lambda gap: gap.error,
    )


def track_formula_gap(rows: Iterable[dict[str, float]], worst: list[FormulaGap]) -> Iterator[dict[str, float]]:
    """Pass ``rows`` through, keeping in ``worst[0]`` the largest formula-vs-backward gap seen so far."""
    for row in rows:
        gap = largest_formula_disagreement([row])
        if not worst or gap.error > worst[0].error:
            worst[:] = [gap]
        yield row
