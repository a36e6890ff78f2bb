"""Train a small classifier on a two-dimensional data set, and record the run for the training page.

The model is an :class:`~micrograd_lite.nn.MLP` with tanh hidden layers and
one output (a logit) per class; the loss is the mean
:func:`~micrograd_lite.losses.cross_entropy` over the whole training split
(full batch); the optimiser :class:`~micrograd_lite.optim.AdamW` or
:class:`~micrograd_lite.nn.SGD`.

Each step runs forward and backward through the compiled replay
(:mod:`micrograd_lite.compile`): the graph of one point's loss is traced
once per class, and replayed for every point with the point's coordinates
as its inputs. What differs from eager training is the constant subtracted
inside log-sum-exp: the replay keeps, per point, the largest logit of the
first step (an input of the replay, so that all points share one compiled
function), where the eager engine takes the largest logit of each step.
Log-sum-exp is the same for any constant, so the two runs agree up to
rounding (tested). Should the logits move ~700 away from their kept constants (exp
overflows, or underflows to a log of 0), the constants are taken again from the current logits.

>>> run = train(TrainConfig(data="moons", steps=3, n_train=20, n_val=10, n_test=10))
>>> len(run.train_loss), [r.step for r in run.records]
(3, [0, 1, 2])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from ..core import datasets
from ..core.engine import Value, sum_values
from ..core.losses import cross_entropy, largest, softmax
from ..core.nn import MLP, SGD
from ..core.optim import AdamW
from ..util import csv_text, no_progress
from .compile import compile_graph

OPTIMIZERS = ("adamw", "sgd")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a run; the same config gives the same run, bit for bit."""

    data: str = "yinyang"
    hidden: tuple[int, ...] = (8,)
    optimizer: str = "adamw"
    lr: float = 0.05
    weight_decay: float = 1e-4
    steps: int = 1000
    seed: int = 0
    n_train: int = 300
    n_val: int = 100
    n_test: int = 300
    record: int = 200  # how many steps the page shows (evenly spaced, the first and the last among them)
    compiled: bool = True

    def check(self) -> None:
        if self.data not in datasets.DATASETS:
            raise ValueError(f"unknown data set {self.data!r}: choose one of {', '.join(datasets.DATASETS)}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}: choose one of {', '.join(OPTIMIZERS)}")
        if not self.hidden or any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in self.hidden):
            raise ValueError(f"hidden must be one or more layer sizes of at least 1, got {self.hidden!r}")
        for name in ("steps", "record", "n_train"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number of at least 1, got {value!r}")
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a positive finite number, got {self.lr!r}")


@dataclass(frozen=True)
class Record:
    """One recorded step: the parameters it starts from, their gradient, and what the optimiser did with it."""

    step: int
    params: list[float]  # before the update
    grads: list[float]  # of the mean training loss at those params
    m: list[float] | None  # AdamW's running means after the update (None for SGD)
    v: list[float] | None  # AdamW's running means of squared gradients after the update
    updates: list[float]  # new value - old value
    train_loss: float
    val_loss: float


@dataclass
class Run:
    config: TrainConfig
    dataset: datasets.Dataset
    model: MLP
    names: list[str]  # each parameter's label, in the order of model.parameters()
    train_loss: list[float] = field(default_factory=list)  # at every step, before its update
    records: list[Record] = field(default_factory=list)
    test_accuracy: float = math.nan
    seconds: float = 0.0

    def csv(self) -> str:
        """The loss history: step, training loss, validation loss (recorded steps only)."""
        val = {r.step: r.val_loss for r in self.records}
        rows = ([step, repr(loss), repr(val[step]) if step in val else ""] for step, loss in enumerate(self.train_loss))
        return csv_text(["step", "train_loss", "val_loss"], rows)


# ----------------------------------------------------------------------
# The model, with names a learner can read in the graph.
# ----------------------------------------------------------------------


def make_model(config: TrainConfig, classes: int) -> tuple[MLP, list[str]]:
    """The MLP 2 → hidden… → classes, its parameters labelled: ``h3.w1`` is hidden neuron 3's weight of input 1."""
    model = MLP(2, [*config.hidden, classes], activation="tanh", output_activation=None, seed=config.seed)
    for layer, names in zip(model.layers, neuron_names(config.hidden, classes)):
        for neuron, name in zip(layer.neurons, names):
            for i, w in enumerate(neuron.w, start=1):
                w.label = f"{name}.w{i}"
            if neuron.b is not None:
                neuron.b.label = f"{name}.b"
    return model, [p.label for p in model.parameters()]


def neuron_names(hidden: Sequence[int], classes: int) -> list[list[str]]:
    """Per layer, its neurons' names: h1…h8 for one hidden layer (h1_1… for several), then logits z1…zK."""
    prefixes = ["h"] if len(hidden) == 1 else [f"h{layer}_" for layer in range(1, len(hidden) + 1)]
    return [[f"{prefix}{j}" for j in range(1, n + 1)] for prefix, n in zip(prefixes, hidden)] + [
        [f"z{k}" for k in range(1, classes + 1)]
    ]


def logits_of(model: MLP, x: Sequence[Value], names: list[list[str]] | None = None) -> list[Value]:
    """The network's logits for input Values ``x``; with ``names``, every neuron's output labelled (h3, z1)."""
    for i, layer in enumerate(model.layers):
        x = [neuron(x) for neuron in layer.neurons]
        if names is not None:
            for value, name in zip(x, names[i]):
                value.label = name
    return list(x)


def point_inputs(point: datasets.Point) -> list[Value]:
    return [Value(point[0], "x1"), Value(point[1], "x2")]


def point_loss(model: MLP, point: datasets.Point, label: int, names: list[list[str]] | None = None) -> Value:
    """The cross-entropy of one point, as the eager engine computes it (the page's probe graph)."""
    return cross_entropy(logits_of(model, point_inputs(point), names), label)


def probabilities(model: MLP, point: datasets.Point) -> list[float]:
    return [p.data for p in softmax(logits_of(model, point_inputs(point)))]


def accuracy(model: MLP, split: datasets.Split) -> float:
    """The fraction of ``split`` whose largest logit is its class (nan for an empty split)."""
    if not len(split):
        return math.nan
    right = 0
    for point, label in zip(split.points, split.labels):
        logits = [z.data for z in logits_of(model, point_inputs(point))]
        right += logits.index(max(logits)) == label
    return right / len(split)


# ----------------------------------------------------------------------
# The loss and its gradient: compiled, or eager.
# ----------------------------------------------------------------------


class CompiledLoss:
    """The mean cross-entropy of a split and its gradient, through one compiled replay per class."""

    def __init__(self, model: MLP, classes: int) -> None:
        self.params = model.parameters()
        self.replays = []
        for label in range(classes):
            x = point_inputs((0.0, 0.0))
            shift = Value(0.0, "max")
            loss = cross_entropy(logits_of(model, x), label, shift)
            self.replays.append(compile_graph(loss, inputs=[*x, shift], params=self.params))
        self.model = model
        self.shifts: dict[datasets.Point, float] = {}

    def __call__(self, split: datasets.Split, want_grads: bool = True) -> tuple[float, list[float]]:
        try:
            return self._mean(split, want_grads)
        except (OverflowError, ValueError):  # a kept shift is ~700 off the logits now: exp overflowed, or all
            # underflowed to 0 and log(0) failed. Shift by the current largest logits, as the eager engine does.
            self.shifts.clear()
            return self._mean(split, want_grads)

    def _mean(self, split: datasets.Split, want_grads: bool) -> tuple[float, list[float]]:
        values = [p.data for p in self.params]
        total, grads = 0.0, [0.0] * len(values)
        for point, label in zip(split.points, split.labels):
            shift = self.shifts.get(point)
            if shift is None:  # the point's largest logit, the first time it is seen
                shift = self.shifts[point] = largest(logits_of(self.model, point_inputs(point))).data
            value, _, point_grads = self.replays[label]([point[0], point[1], shift], values)
            total += value
            if want_grads:
                grads = [g + d for g, d in zip(grads, point_grads)]
        n = len(split)
        return total / n, [g / n for g in grads]


def eager_loss(model: MLP, split: datasets.Split, want_grads: bool = True) -> tuple[float, list[float]]:
    """The same on the eager engine: one graph of the whole split, and ``backward()``."""
    loss = sum_values([point_loss(model, p, label) for p, label in zip(split.points, split.labels)]) / len(split)
    params = model.parameters()
    if want_grads:
        for p in params:
            p.grad = 0.0
        loss.backward()
    return loss.data, [p.grad for p in params]


# ----------------------------------------------------------------------
# The run.
# ----------------------------------------------------------------------


def recorded_steps(steps: int, record: int) -> list[int]:
    """``record`` steps spread evenly over ``range(steps)``, the first and the last among them.

    >>> recorded_steps(1000, 5), recorded_steps(3, 200)
    ([0, 250, 500, 749, 999], [0, 1, 2])
    """
    if record >= steps:
        return list(range(steps))
    if record == 1:
        return [steps - 1]
    return sorted({round(i * (steps - 1) / (record - 1)) for i in range(record)})


def train(
    config: TrainConfig = TrainConfig(),
    progress: Callable[[Iterable[int], int, str], Iterable[int]] = no_progress,
    report: Callable[[int, float, float], None] | None = None,
    report_every: int = 0,
) -> Run:
    """Train as ``config`` says; ``report(step, train_loss, val_loss)`` every ``report_every`` steps and at the end."""
    import time

    config.check()
    started = time.perf_counter()
    data = datasets.load(config.data, config.n_train, config.n_val, config.n_test, config.seed)
    model, names = make_model(config, len(data.classes))
    params = model.parameters()
    if config.optimizer == "adamw":
        optimizer: AdamW | SGD = AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    else:
        optimizer = SGD(params, lr=config.lr)
    if config.compiled:
        loss_and_grads: Callable[..., tuple[float, list[float]]] = CompiledLoss(model, len(data.classes))
    else:
        loss_and_grads = lambda split, want_grads=True: eager_loss(model, split, want_grads)  # noqa: E731
    run = Run(config, data, model, names)
    recorded = set(recorded_steps(config.steps, config.record))
    last = config.steps - 1
    for step in progress(range(config.steps), config.steps, "steps"):
        reporting = report is not None and report_every and (step % report_every == 0 or step == last)
        try:
            loss, grads = loss_and_grads(data.train)
            if not all(map(math.isfinite, (loss, *grads, *(p.data for p in params)))):
                raise ValueError(f"the loss is {loss!r}, or a parameter or gradient is not finite")
            if step in recorded or reporting:  # at the same parameters as the training loss
                val_loss = loss_and_grads(data.val, want_grads=False)[0] if len(data.val) else math.nan
            before = [p.data for p in params]
            for p, g in zip(params, grads):
                p.grad = g
            optimizer.step()
        except (OverflowError, ValueError) as error:
            raise ValueError(f"training diverged at step {step} (lr {config.lr:g}): {error}") from None
        run.train_loss.append(loss)
        if reporting and report is not None:
            report(step, loss, val_loss)
        if step in recorded:
            states = optimizer.states if isinstance(optimizer, AdamW) else None
            run.records.append(
                Record(
                    step,
                    before,
                    grads,
                    [s.m for s in states] if states else None,
                    [s.v for s in states] if states else None,
                    [p.data - b for p, b in zip(params, before)],
                    loss,
                    val_loss,
                )
            )
    run.test_accuracy = accuracy(model, data.test)
    run.seconds = time.perf_counter() - started
    return run
