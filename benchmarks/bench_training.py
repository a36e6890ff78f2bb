"""Compiled training against its peers: a fused SGD step, and one SGD step over N points.

    python benchmarks/bench_training.py            # full run (a few minutes: micrograd at 10,000 points)
    python benchmarks/bench_training.py --quick    # seconds: CI runs this so the script cannot rot
    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_training.py --write docs/performance.md   # as make bench-training

1. The course network, 1000 epochs of gradient descent: the hand-derived
   closed form, the compiled replay called once per epoch (the caller does
   the update), and ``replay.sgd_step`` (forward, backward and update in one
   generated function). Trace and compile are inside the timing.
2. micrograd's two-moons classifier, MLP(2, [16, 16, 1]) with relu, its hinge
   loss ``relu(1 - y * score)`` averaged over N points plus an L2 term, and one
   SGD step, in five implementations that start from the same weights and must
   agree on the loss: micrograd, our eager engine, our compiled replay called
   once per point, the batch replay over NumPy arrays, and PyTorch with batched
   tensors (``torch.nn.Linear``, float64, one thread) when torch is installed.
   Building the models and tracing the sample graph happen before the timing.
3. Time per point of the batch replay (and PyTorch) from 1,000 to 100,000 points.

Ratios between implementations measured in the same run are the result;
absolute times on a shared machine are noise.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from bench import (
    INITIAL,
    interleaved,
    mg_engine,
    mg_nn,
    sheet_closed_form,
    sheet_compiled,
    sheet_graph,
    start_report,
    table,
    torch,
    write_report,
)

from micrograd_lite import MLP, Value
from micrograd_lite.compile import compile_graph
from micrograd_lite.engine import sum_values

ALPHA = 1e-4  # micrograd's L2 strength
LR = 0.5
SLOW = 3.0  # seconds: an implementation slower than this on one run is not repeated


# ----------------------------------------------------------------------
# 1. The course network through replay.sgd_step.
# ----------------------------------------------------------------------


def sheet_step(epochs: int, lr: float = 0.5) -> float:
    """``replay.sgd_step``: forward, backward and update in one generated function, weights kept inside."""
    E_total, ws = sheet_graph(Value, Value.sigmoid, INITIAL)
    step = compile_graph(E_total, params=ws).sgd_step
    for _ in range(epochs):
        loss = step((), lr)
    return loss


# ----------------------------------------------------------------------
# 2. One SGD step of the two-moons classifier on N points.
# ----------------------------------------------------------------------


def dataset(n: int, seed: int = 0) -> tuple[list[list[float]], list[float]]:
    """n points in [-1, 1]^2, labelled +1 or -1 by quadrant (the timing does not depend on the shape)."""
    rng = random.Random(seed)
    points = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(n)]
    return points, [1.0 if x * y > 0 else -1.0 for x, y in points]


class Classifier:
    """The same starting weights, handed to every implementation."""

    def __init__(self, points, labels):
        self.points, self.labels, self.n = points, labels, len(points)
        self.model = MLP(2, [16, 16, 1], activation="relu", seed=0)
        self.params = self.model.parameters()
        self.initial = [p.data for p in self.params]
        columns = [[p[0] for p in points], [p[1] for p in points], labels]
        x1, x2, y = Value(0.0, "x1"), Value(0.0, "x2"), Value(0.0, "y")
        self.replay = compile_graph((1 + -y * self.model([x1, x2])).relu(), inputs=[x1, x2, y], params=self.params)
        self.arrays = [np.array(c) for c in columns]
        for fuse in (True, False):  # generates the batch code once, before the timing
            self.replay.batch(self.arrays, self.initial, fuse=fuse)
        if mg_nn:
            self.mg_model = mg_nn.MLP(2, [16, 16, 1])  # relu hidden layers, a linear output, as ours
            self.mg_params = self.mg_model.parameters()
        if torch:
            self.torch_model, self.torch_x, self.torch_y = torch_classifier(self.model, points, labels)

    def update(self, values, data_grads, data_loss):
        """micrograd's step on plain floats: the mean hinge loss's gradients plus the L2 term's."""
        reg = ALPHA * sum(p * p for p in values)
        new = [p - LR * (g / self.n + 2 * ALPHA * p) for p, g in zip(values, data_grads)]
        return data_loss / self.n + reg, new

    def engine_step(self, params, model, make) -> float:
        """The code of micrograd's demo, for micrograd and for our eager engine alike."""
        for p, v in zip(params, self.initial):
            p.data = v
        scores = [model([make(a), make(b)]) for a, b in self.points]
        losses = [(1 + -y * s).relu() for y, s in zip(self.labels, scores)]
        total = SUM(losses) * (1.0 / self.n) + ALPHA * SUM([p * p for p in params])
        for p in params:
            p.grad = 0.0
        total.backward()
        for p in params:
            p.data -= LR * p.grad
        return total.data

    def lite(self) -> float:
        return self.engine_step(self.params, self.model, float)

    def micrograd(self) -> float:
        """micrograd's backward sorts recursively, and sum(losses) is a chain as long as the points."""
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, 4 * self.n + 10_000))
        try:
            return self.engine_step(self.mg_params, self.mg_model, mg_engine.Value)
        finally:
            sys.setrecursionlimit(limit)

    def per_point(self) -> float:
        values, total, grads = self.initial, 0.0, [0.0] * len(self.initial)
        for (a, b), y in zip(self.points, self.labels):
            loss, _, g = self.replay((a, b, y), values)
            total += loss
            grads = [s + d for s, d in zip(grads, g)]
        return self.update(values, grads, total)[0]

    def batch(self, fuse: bool = True) -> float:
        losses, _, grads = self.replay.batch(self.arrays, self.initial, fuse=fuse)
        return self.update(self.initial, grads, float(losses.sum()))[0]

    def batch_per_node(self) -> float:
        """The batch replay as it was before issue 22: one NumPy call per scalar node (``fuse=False``)."""
        return self.batch(fuse=False)

    def torch(self) -> float:
        model, params = self.torch_model, list(self.torch_model.parameters())
        with torch.no_grad():
            for p, v in zip(params, self.torch_initial):
                p.copy_(v)
        scores = model(self.torch_x).squeeze(1)
        total = torch.relu(1 - self.torch_y * scores).mean() + ALPHA * sum((p * p).sum() for p in params)
        model.zero_grad()
        total.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
        return total.item()


def SUM(terms):
    """micrograd's ``sum`` for micrograd's Values, our n-ary sum for ours: each engine's own idiom."""
    return sum_values(terms) if isinstance(terms[0], Value) else sum(terms)


def torch_classifier(model: MLP, points, labels):
    """``nn.Sequential`` of ``nn.Linear`` layers holding our model's weights, and the data as tensors."""
    torch.set_num_threads(1)
    layers = []
    for i, layer in enumerate(model.layers):
        linear = torch.nn.Linear(len(layer.neurons[0].w), len(layer.neurons), dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64))
            linear.bias.copy_(torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64))
        layers += [linear] if i == len(model.layers) - 1 else [linear, torch.nn.ReLU()]
    sequential = torch.nn.Sequential(*layers)
    tensors = torch.tensor(points, dtype=torch.float64), torch.tensor(labels, dtype=torch.float64)
    return sequential, *tensors


def timed(implementations: dict, repeats: int) -> tuple[dict, dict]:
    """Median seconds and last result of each; one that takes over SLOW seconds runs once."""
    times: dict = {name: [] for name in implementations}
    results = {}
    for repeat in range(repeats):
        for name, fn in implementations.items():
            if repeat and times[name][0] > SLOW:
                continue
            gc.collect()
            t0 = time.perf_counter()
            results[name] = fn()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(ts) for name, ts in times.items()}, results


def classifier_step(sizes: list[int], repeats: int, say) -> dict:
    """The table of one SGD step at each size; returns {(implementation, n): seconds}."""
    measured = {}
    rows = []
    for n in sizes:
        c = Classifier(*dataset(n))
        if torch:
            c.torch_initial = [p.detach().clone() for p in c.torch_model.parameters()]
        implementations = {
            "micrograd": c.micrograd if mg_nn else None,
            "micrograd_lite eager": c.lite,
            "compiled, a call per point": c.per_point,
            "batch replay, per node (before fusion)": c.batch_per_node,
            "batch replay, fused (NumPy)": c.batch,
            "PyTorch batched (nn.Linear)": c.torch if torch else None,
        }
        if mg_nn:  # micrograd starts from our weights
            for p, v in zip(c.mg_params, c.initial):
                p.data = v
        for warm in (c.batch_per_node, c.batch, c.torch if torch else None):  # a first call pays for the
            if warm:  # allocator's and the caches' first touch of arrays this size: done before the timing
                warm()
        times, losses = timed({k: f for k, f in implementations.items() if f}, repeats)
        reference = losses["micrograd_lite eager"]
        for name, t in times.items():
            measured[name, n] = t
            base = times.get("micrograd")
            agree = abs(losses[name] - reference) <= 1e-9 * abs(reference)
            rows.append(
                [f"{n:,}", name, f"{t * 1e3:.2f} ms", f"{t / n * 1e6:.2f}", f"{base / t:,.0f}x" if base else "-"]
                + [f"{losses[name]:.12f}" + ("" if agree else " DISAGREES")]
            )
    say(table(["points", "implementation", "time", "µs per point", "speed vs micrograd", "loss"], rows))
    return measured


def flatness(sizes: list[int], repeats: int, say) -> dict:
    """Time per point of the batch replay and PyTorch as N grows."""
    measured, rows = {}, []
    for n in sizes:
        c = Classifier(*dataset(n))
        implementations = {
            "batch replay, per node (before fusion)": c.batch_per_node,
            "batch replay, fused (NumPy)": c.batch,
        }
        if torch:
            c.torch_initial = [p.detach().clone() for p in c.torch_model.parameters()]
            implementations["PyTorch batched (nn.Linear)"] = c.torch
        for warm in implementations.values():  # as above: the first touch of arrays this size, untimed
            warm()
        times, _ = timed(implementations, repeats)
        for name, t in times.items():
            measured[name, n] = t
            rows.append([f"{n:,}", name, f"{t * 1e3:.2f} ms", f"{t / n * 1e6:.3f}"])
    say(table(["points", "implementation", "time", "µs per point"], rows))
    return measured


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repeat (seconds)")
    parser.add_argument("--write", metavar="FILE", help="also write the report (Markdown) to FILE")
    args = parser.parse_args(argv)
    quick = args.quick
    epochs, repeats = (50, 1) if quick else (1000, 5)
    sizes = [20, 100] if quick else [100, 1_000, 10_000]
    flat_sizes = [1_000, 4_000] if quick else [1_000, 10_000, 100_000]
    say, report = start_report("benchmarks/bench_training.py")
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "unset")
    load = " ".join(f"{one:.2f}" for one in os.getloadavg())
    say(f"NumPy {np.__version__}, OPENBLAS_NUM_THREADS={threads} (PyTorch: one thread)")
    say(f"Load average at the start: {load} (2 cores, shared)")

    say(f"\n### The course network, {epochs} epochs at lr 0.5, trace and compile included (median of {repeats})\n")
    sheet = {
        "closed form (no autodiff)": lambda: sheet_closed_form(epochs),
        "replay, a call per epoch, update by the caller": lambda: sheet_compiled(Value.sigmoid, epochs),
        "replay.sgd_step (fused forward, backward, update)": lambda: sheet_step(epochs),
    }
    times, finals = interleaved(sheet, repeats)
    closed = times["closed form (no autodiff)"]
    rows = [[name, f"{t * 1e3:.2f} ms", f"{t / closed:.2f}x", repr(finals[name])] for name, t in times.items()]
    say(table(["implementation", "time", "time vs closed form", "final E_total"], rows))

    say(f"\n### One SGD step of MLP(2, [16, 16, 1]) relu, hinge loss + L2 (median of {repeats})\n")
    steps = classifier_step(sizes, repeats, say)
    say(f"\n### Time per point as the batch grows (median of {repeats})\n")
    flat = flatness(flat_sizes, repeats, say)

    say("\n### Targets\n")
    n = sizes[-1]
    batch, step = steps["batch replay, fused (NumPy)", n], times["replay.sgd_step (fused forward, backward, update)"]
    rows = [["replay.sgd_step within 1.5× of the closed form", f"{step / closed:.2f}x"]]
    if mg_nn:
        rows.append([f"batch ≥ 1,000× micrograd at {n:,} points", f"{steps['micrograd', n] / batch:,.0f}x"])
    before = steps["batch replay, per node (before fusion)", n]
    rows.append([f"batch ≥ 3× the per-node batch at {n:,} points", f"{before / batch:.1f}x"])
    if torch:
        torch_time = steps["PyTorch batched (nn.Linear)", n]
        rows.append([f"batch per point ≤ PyTorch's at {n:,} points (PyTorch / batch ≥ 1)", f"{torch_time / batch:.2f}"])
    per_point = [flat["batch replay, fused (NumPy)", m] / m for m in flat_sizes]
    spread = max(per_point) / min(per_point) - 1
    rows.append([f"batch time per point flat ±30%, {flat_sizes[0]:,} to {flat_sizes[-1]:,} points", f"+{spread:.0%}"])
    say(table(["target", "measured"], rows))
    say(f"\nLoad average at the end: {' '.join(f'{load:.2f}' for load in os.getloadavg())} (2 cores, shared)")

    if args.write:
        write_report(Path(args.write), "\n".join(report), marker="training results")
        print(f"\nwrote {args.write}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
