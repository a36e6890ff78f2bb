"""The training page: one offline HTML file that shows a recorded run, step by step.

For each recorded step the page shows the plane (data points, decision regions,
optionally the first layer's zero-level lines), the loss curves, the table of
parameters (value, gradient, AdamW's m and √v, the update) and the
computational graph of one probe point, forward and backward.

What is recorded, and what the page computes: a run records the parameters
at each recorded step (full precision), with their gradients, optimiser state
and updates. The page computes the rest from the parameters with the graph
the engine built: each graph (one per class: the loss subtracts the target's
logit) is exported node by node in topological order -- its operation, its
operands -- and the page's script runs forward and backward in that order,
with the engine's local derivatives, exactly as ``backward()`` accumulates.
That is what lets any data point be the probe (clicking it), at any step,
for the price of the parameters alone; recording every point's graph would
take 300 points × 122 nodes × 2 numbers per step, about 200 MB for 200 steps.
The same forward pass over a grid gives the decision regions. The page's
numbers are the engine's: the tests compare them, digit for digit as shown
(JavaScript's ``Math.exp``, ``Math.tanh`` and ``Math.log`` may differ from
Python's ``math`` in the last bit, well below the digits shown).

The graph is laid out once per class by Graphviz, each box wide enough for
the widest number it can show: nothing moves when the numbers change.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Callable
from importlib import resources

from ..core.engine import Value, topological_order
from ..core.losses import cross_entropy
from ..core.ops import Op
from ..transforms.training import Record, Run, TrainConfig, logits_of, make_model, neuron_names, point_inputs
from .notation import format_number
from .viz import dot_source, pipe

PAGE_OPS = ("add", "sub", "mul", "tanh", "exp", "log")
"""The operations whose forward value and local derivatives the page's script computes (as the engine does)."""
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")
WIDEST = -8.888e-18  # the widest number a box shows at 4 digits ("-8.888e-18"): its layout width
FIXED_BYTES = 40_000  # the template, the script and the data set's points
BYTES_PER_GRAPH_NODE = 340  # measured: a box of the laid-out picture (SVG) and its entry in the node list
BYTES_PER_GRAPH_EDGE = 911  # measured: an arrow of the picture (an operand of an operation)
BYTES_PER_RECORDED_PARAM = 75  # measured: a parameter's value, gradient, m, √v and update at one step
BYTES_PER_STEP = 21  # the training loss of every step
DEFAULT_MAX_BYTES = 8_000_000


def estimate_bytes(config: TrainConfig, classes: int) -> int:
    """The page's size, known before training: the pictures, the recorded parameters, the loss curve."""
    model, _ = make_model(config, classes)
    order = topological_order(cross_entropy(logits_of(model, point_inputs((0.0, 0.0))), 0))  # a probe's graph
    picture = len(order) * BYTES_PER_GRAPH_NODE + sum(len(node.children) for node in order) * BYTES_PER_GRAPH_EDGE
    recorded = min(config.record, config.steps) * len(model.parameters()) * BYTES_PER_RECORDED_PARAM
    return FIXED_BYTES + classes * picture + recorded + config.steps * BYTES_PER_STEP


def check_size(config: TrainConfig, classes: int, max_bytes: int | None = DEFAULT_MAX_BYTES) -> int:
    """The estimated size; a ValueError (one line) when it is over ``max_bytes`` (``None``: no limit)."""
    size = estimate_bytes(config, classes)
    if max_bytes is not None and size > max_bytes:
        raise ValueError(
            f"the page would be about {size / 1e6:.1f} MB, over the limit of {max_bytes / 1e6:.1f} MB: "
            "record fewer steps (--record), use a smaller network, or raise the limit (--max-mb)"
        )
    return size


def probe_graph(run: Run, label: int) -> tuple[Value, list[Value]]:
    """The graph of one point's loss for class ``label``, with the run's model, its neurons named."""
    names = neuron_names(run.config.hidden, len(run.dataset.classes))
    loss = cross_entropy(logits_of(run.model, point_inputs((0.0, 0.0)), names), label)
    loss.label = "loss"
    return loss, topological_order(loss)


def export_graph(run: Run, label: int, layout: Callable[[str], str] | None = None) -> dict[str, object]:
    """One class's graph for the page: its picture, and its nodes as [kind, …] in topological order.

    ``layout``: DOT text to SVG text instead of Graphviz's ``dot`` program (in a browser: viz.js).
    """
    root, order = probe_graph(run, label)
    params = run.model.parameters()
    param_at = {id(p): i for i, p in enumerate(params)}
    position = {id(node): i for i, node in enumerate(order)}
    nodes: list[list[object]] = []
    for node in order:
        if node.children:
            name = node.op.name if isinstance(node.op, Op) else node.op
            if name not in PAGE_OPS:
                raise ValueError(f"the training page cannot compute the operation {name!r}")
            nodes.append([name, [position[id(c)] for c in node.children]])
        elif id(node) in param_at:
            nodes.append(["param", param_at[id(node)]])
        elif node.label in ("x1", "x2"):
            nodes.append(["input", int(node.label[1]) - 1])
        elif node.label == "max":
            nodes.append(["max"])
        else:
            raise ValueError(f"the training page found an unexpected leaf {node!r} in the probe graph")
    logits = [position[id(z)] for z in order if z.label.startswith("z") and z.children]
    saved = [(node, node.data, node.grad) for node in order]
    for node in order:  # lay out every box for the widest number it can show
        node.data = node.grad = WIDEST
    try:
        source = dot_source(root, params=params, rankdir="LR", max_nodes=None, fold_constants=True,
                            name_intermediates=True, graph_attr={"ranksep": "0.3", "nodesep": "0.12"})  # fmt: skip
    finally:
        for node, data, grad in saved:
            node.data, node.grad = data, grad
    svg = layout(source) if layout else pipe(source, "svg").decode()
    return {"svg": svg[svg.index("<svg") :], "nodes": nodes, "logits": logits, "root": position[id(root)]}


def _short(xs: list[float] | None) -> list[float] | None:
    """Numbers the page only shows (to 4 digits): kept to 6, a third of the bytes of a full repr."""
    return None if xs is None else [float(format_number(x, 6)) for x in xs]


def record_data(r: Record) -> dict[str, object]:
    """One recorded step as the page reads it (the live page sends these as it trains)."""
    return {"step": r.step, "p": r.params, "g": _short(r.grads), "m": _short(r.m),
            "v": _short(None if r.v is None else [v**0.5 for v in r.v]), "u": _short(r.updates),
            "tl": r.train_loss, "vl": None if math.isnan(r.val_loss) else r.val_loss}  # fmt: skip


def page_data(run: Run, layout: Callable[[str], str] | None = None) -> dict[str, object]:
    data = run.dataset
    everything = data.train.points + data.val.points
    xs, ys = [p[0] for p in everything], [p[1] for p in everything]
    centre = ((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2)
    half = max(max(xs) - min(xs), max(ys) - min(ys)) / 2 * 1.12
    first = run.model.layers[0].neurons
    params = run.model.parameters()
    index = {id(p): i for i, p in enumerate(params)}
    return {
        "classes": list(data.classes),
        "colours": list(COLOURS[: len(data.classes)]),
        "train": [[x, y, label] for (x, y), label in zip(data.train.points, data.train.labels)],
        "val": [[x, y, label] for (x, y), label in zip(data.val.points, data.val.labels)],
        "bounds": [centre[0] - half, centre[0] + half, centre[1] - half, centre[1] + half],
        "names": run.names,
        "firstLayer": [[index[id(w)] for w in n.w] + [index[id(n.b)]] for n in first],
        "firstNames": neuron_names(run.config.hidden, len(data.classes))[0],
        "trainLoss": run.train_loss,
        "records": [record_data(r) for r in run.records],
        "graphs": [export_graph(run, label, layout) for label in range(len(data.classes))],
        "optimizer": run.config.optimizer,
        "summary": summary(run),
    }


def summary(run: Run) -> str:
    c = run.config
    layers = "-".join(str(n) for n in (2, *c.hidden, len(run.dataset.classes)))
    return (
        f"{c.data}, MLP {layers} (tanh), {c.optimizer} lr {c.lr:g}, {c.steps} steps, seed {c.seed}; "
        f"test accuracy {run.test_accuracy:.2%} ({len(run.dataset.test)} points)"
    )


def page_html(run: Run, title: str = "Watch it learn", layout: Callable[[str], str] | None = None) -> str:
    """The self-contained page (no network requests: the data, the pictures and the script are inside)."""
    template = resources.files("micrograd_lite.show").joinpath("templates/train.html").read_text(encoding="utf-8")
    payload = json.dumps(page_data(run, layout), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    payload = payload.replace("</", "<\\/")  # cannot close the script
    values = {"title": html.escape(title), "summary": html.escape(summary(run)), "data": payload}
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], template)  # one pass: inserted text stays as is


class TrainPage:
    """The page of a run: ``.html()`` the file's text; Jupyter shows it inline, in a frame of its own."""

    def __init__(self, run: Run, title: str = "Watch it learn") -> None:
        self.run, self.title = run, title

    def html(self) -> str:
        return page_html(self.run, self.title)

    def _repr_html_(self) -> str:
        page = html.escape(self.html(), quote=True)
        return f'<iframe srcdoc="{page}" style="width:100%;height:760px;border:1px solid #ccc"></iframe>'
