"""The course network handed to the layers below: drawn with its caption, and compiled and checked.

>>> course_caption()
'The course network at epoch 0 (learning rate 0.5): values and ∂E_total/∂value'
>>> replay_check().same
True
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..show.viz import render_graph
from ..transforms.compile import compile_graph
from .network import DEFAULT_LR, INPUTS, TARGETS, WEIGHT_NAMES, WEIGHTS, backpropagated_network, build_network


def course_caption(lr: float | None = None) -> str:
    """What the course network's picture shows: the sheet's first row (at the default learning rate)."""
    lr = DEFAULT_LR if lr is None else lr
    return f"The course network at epoch 0 (learning rate {lr:g}): values and ∂E_total/∂value"


def render_course_network(path: str | os.PathLike[str], **draw_options: object) -> Path:
    """The course network at epoch 0, as the README and ``demo`` show it: top to bottom, constants folded."""
    network = backpropagated_network()
    options = {"rankdir": "TB", "fold_constants": True, "name_intermediates": True, "caption": course_caption()}
    options.update(draw_options)
    return render_graph(network["E_total"], path, params=[network[w] for w in WEIGHT_NAMES], **options)


@dataclass(frozen=True)
class ReplayCheck:
    """The course network compiled (``source``), replayed at the sheet's epoch 0: its ``E_total``, and whether the
    value and the eight gradients equal the eager engine's bit for bit."""

    source: str
    value: float
    same: bool


def replay_check() -> ReplayCheck:
    """Compile the course network and replay it at epoch 0 against ``backward()``."""
    network = build_network()
    inputs = [network[name] for name in (*INPUTS, *TARGETS)]
    params = [network[w] for w in WEIGHT_NAMES]
    compiled = compile_graph(network["E_total"], inputs=inputs, params=params)
    value, _, grads = compiled([*INPUTS.values(), *TARGETS.values()], list(WEIGHTS.values()))
    network["E_total"].backward()
    same = value == network["E_total"].data and list(grads) == [p.grad for p in params]
    return ReplayCheck(compiled.source, value, same)
