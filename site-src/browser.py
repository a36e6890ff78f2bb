"""What the site's Web Worker runs in Pyodide: the playground's code, its pictures, and the live training.

Only the package's public modules are used; the pictures are laid out by
``layout`` (DOT text to SVG text), which the worker binds to viz.js, Graphviz
compiled to WebAssembly. Every function returns JSON text for the page.
"""

from __future__ import annotations

import dataclasses
import json
import math
import sys
import traceback

from micrograd_lite import Value, datasets
from micrograd_lite.nn import SGD
from micrograd_lite.optim import AdamW
from micrograd_lite.stepper import build_stepper
from micrograd_lite.training import CompiledLoss, Record, Run, TrainConfig, accuracy, make_model
from micrograd_lite.trainpage import page_html, record_data, summary
from micrograd_lite.viz import dot_source

MAX_HIDDEN = 16  # the probe's graph has ~15 boxes per hidden neuron: beyond this, too large to read or lay out fast


def layout(source: str) -> str:
    """DOT text to SVG text: the worker puts viz.js's ``renderString`` here (Graphviz in WebAssembly)."""
    raise RuntimeError("no layout yet: the site's worker sets it when viz.js has loaded")


namespace: dict[str, object] = {}


# ----------------------------------------------------------------------
# The playground.
# ----------------------------------------------------------------------


def run_code(code: str) -> str:
    """Run the learner's code as a script; its Values, by variable name, for the page to draw or step through."""
    namespace.clear()
    namespace["__name__"] = "__main__"
    try:
        exec(compile(code, "<playground>", "exec"), namespace)
    except BaseException as error:  # the learner's traceback, without this function's frame
        frames = error.__traceback__.tb_next if error.__traceback__ else None
        print("".join(traceback.format_exception(type(error), error, frames)), file=sys.stderr)
        ok = False
    else:
        ok = True
    values = [
        {"name": name, "label": value.label, "data": value.data, "grad": value.grad}
        for name, value in namespace.items()
        if isinstance(value, Value) and not name.startswith("_")
    ]
    return json.dumps({"ok": ok, "values": values}, allow_nan=True)


def value_named(name: str) -> Value:
    value = namespace.get(name)
    if not isinstance(value, Value):
        raise ValueError(f"{name!r} is not a Value left by the code: run it again")
    return value


def draw(name: str) -> str:
    """The graph of one Value, with data and grad, as SVG."""
    return layout(dot_source(value_named(name)))


def step_page(name: str) -> str:
    """The stepper's page for one Value's backward pass (the same page as ``explain --html``)."""
    return build_stepper(value_named(name), layout=layout).html(f"The backward pass of {name}, step by step")


# ----------------------------------------------------------------------
# The training page, live: the engine trains here, a few steps per message.
# ----------------------------------------------------------------------


class Live:
    """One live run: its data set (points can be added and removed), model, optimizer and recorded steps."""

    def __init__(self, data: str, hidden: int, optimizer: str, lr: float) -> None:
        if isinstance(hidden, bool) or not isinstance(hidden, int) or not 1 <= hidden <= MAX_HIDDEN:
            raise ValueError(f"hidden neurons: a whole number from 1 to {MAX_HIDDEN} on this page, got {hidden!r}")
        config = TrainConfig(data=data, hidden=(hidden,), optimizer=optimizer, lr=lr, steps=1, record=1)
        config.check()
        dataset = datasets.load(data, config.n_train, config.n_val, config.n_test, config.seed)
        model, names = make_model(config, len(dataset.classes))
        self.run = Run(config, dataset, model, names)
        self.loss = CompiledLoss(model, len(dataset.classes))
        self.optimizer: AdamW | SGD | None = None
        self.configure(optimizer, lr)
        self.train(1)  # the page shows a recorded step: the first

    def configure(self, optimizer: str, lr: float) -> None:
        """A new optimizer or learning rate; training continues from the current parameters."""
        run = self.run
        config = dataclasses.replace(run.config, optimizer=optimizer, lr=lr)
        config.check()
        if self.optimizer is None or optimizer != run.config.optimizer:  # AdamW starts its running means again
            params = run.model.parameters()
            adamw = optimizer == "adamw"
            self.optimizer = AdamW(params, lr, weight_decay=config.weight_decay) if adamw else SGD(params, lr)
        self.optimizer.lr = lr
        run.config = config

    def train(self, steps: int) -> list[Record]:
        """``steps`` steps of full-batch training, every one recorded; stops at a loss that is not finite."""
        run, params, new, optimizer = self.run, self.run.model.parameters(), [], self.optimizer
        assert optimizer is not None
        for _ in range(steps):
            loss, grads = self.loss(run.dataset.train)
            if not all(map(math.isfinite, (loss, *grads, *(p.data for p in params)))):
                step, lr = len(run.train_loss), run.config.lr
                raise ValueError(f"training diverged at step {step} (lr {lr:g}): the loss is {loss!r}")
            val = self.loss(run.dataset.val, want_grads=False)[0]
            before = [p.data for p in params]
            for p, g in zip(params, grads):
                p.grad = g
            optimizer.step()
            states = optimizer.states if isinstance(optimizer, AdamW) else None
            new.append(Record(len(run.train_loss), before, grads, [s.m for s in states] if states else None,
                              [s.v for s in states] if states else None,
                              [p.data - b for p, b in zip(params, before)], loss, val))  # fmt: skip
            run.train_loss.append(loss)
        run.records.extend(new)
        run.config = dataclasses.replace(run.config, steps=len(run.train_loss))
        run.test_accuracy = accuracy(run.model, run.dataset.test)
        return new

    def status(self) -> dict[str, object]:
        train = self.run.dataset.train
        points = [[x, y, label] for (x, y), label in zip(train.points, train.labels)]
        return {"summary": summary(self.run), "train": points, "steps": len(self.run.train_loss),
                "classes": list(self.run.dataset.classes)}  # fmt: skip


live: Live | None = None


def live_start(data: str, hidden: int, optimizer: str, lr: float) -> str:
    """A new run (a new data set or network: new parameters); the whole training page, as HTML."""
    global live
    live = Live(data, hidden, optimizer, lr)
    return json.dumps({"html": page_html(live.run, "Watch it learn, live", layout), **live.status()})


def live_steps(steps: int, optimizer: str, lr: float) -> str:
    """Train on: the new steps' records and losses, as the page reads them."""
    assert live is not None
    shown = live.run.config.optimizer  # the page's columns (AdamW's m and √v) are the optimizer's
    live.configure(optimizer, lr)
    new = live.train(steps)
    if optimizer != shown:  # the whole page again, its table with the new optimizer's columns
        return json.dumps({"html": page_html(live.run, "Watch it learn, live", layout), **live.status()})
    return json.dumps({"records": [record_data(r) for r in new], "trainLoss": [r.train_loss for r in new],
                       **live.status()}, allow_nan=False)  # fmt: skip


def live_point(x: float, y: float, label: int, remove: bool) -> str:
    """Add a training point of class ``label``, or remove the training point nearest (x, y)."""
    assert live is not None
    train = live.run.dataset.train
    if remove:
        if len(train) > 1:
            distance = [(px - x) ** 2 + (py - y) ** 2 for px, py in train.points]
            nearest = distance.index(min(distance))
            del train.points[nearest], train.labels[nearest]
    else:
        if not 0 <= label < len(live.run.dataset.classes):
            raise ValueError(f"no class {label} in {live.run.config.data}")
        train.points.append((x, y))
        train.labels.append(label)
    return json.dumps(live.status())
