"""micrograd_lite against its peers, interleaved in one process run.

    python benchmarks/bench.py                 # full run (a few minutes)
    python benchmarks/bench.py --quick         # seconds: CI runs this so the script cannot rot
    python benchmarks/bench.py --write docs/performance.md

Peers: Karpathy's micrograd (``pip install micrograd==0.1.0``), hand-derived
closed-form Python for the sheet network (no autodiff: the pure-Python limit),
and PyTorch 0-dim float64 tensors when torch is installed. Every repeat runs
every implementation in turn; the printed figures are medians over repeats and
ratios between implementations, which hold on a noisy machine where absolute
times do not. The garbage collector stays on, as users run it.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import os
import platform
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
import types
from collections.abc import Callable
from functools import partial
from pathlib import Path

from micrograd_lite import MLP, Value, course, engine
from micrograd_lite.compile import compile_graph
from micrograd_lite.ops import sigmoid
from micrograd_lite.util import write_atomically

try:
    import micrograd.engine as mg_engine
    import micrograd.nn as mg_nn
except ImportError:
    mg_engine = mg_nn = None
try:
    import torch
except ImportError:
    torch = None

INITIAL = [*course.WEIGHTS.values()]
I1, I2, T1, T2 = course.INPUTS["i1"], course.INPUTS["i2"], course.TARGETS["t1"], course.TARGETS["t2"]


# ----------------------------------------------------------------------
# Workload 1: the sheet network, gradient descent at lr 0.5.
# ----------------------------------------------------------------------


def sheet_graph(V, activation, weights):
    """The sheet network written once, for any engine: (E_total, the eight weight leaves)."""
    w1, w2, w3, w4, w5, w6, w7, w8 = ws = [V(w) for w in weights]
    i1, i2, t1, t2 = V(I1), V(I2), V(T1), V(T2)
    a_h1, a_h2 = activation(w1 * i1 + w2 * i2), activation(w3 * i1 + w4 * i2)
    a_o1, a_o2 = activation(w5 * a_h1 + w6 * a_h2), activation(w7 * a_h1 + w8 * a_h2)
    E_total = 0.5 * (t1 - a_o1) ** 2 + 0.5 * (t2 - a_o2) ** 2
    return E_total, ws


def sheet_eager(V, activation, epochs, lr=0.5):
    """Gradient descent, the graph built anew every epoch (identical code for every engine)."""
    weights = list(INITIAL)
    for _ in range(epochs):
        E_total, ws = sheet_graph(V, activation, weights)
        E_total.backward()
        weights = [w.data - lr * w.grad for w in ws]
    return float(E_total.data)


def sheet_compiled(activation, epochs, lr=0.5):
    """Traced once, replayed every epoch (the trace and compile are included in the time)."""
    E_total, ws = sheet_graph(Value, activation, INITIAL)
    replay = compile_graph(E_total, params=ws)
    weights = INITIAL
    for _ in range(epochs):
        loss, _, grads = replay((), weights)
        weights = [w - lr * g for w, g in zip(weights, grads)]
    return loss


def sheet_closed_form(epochs, lr=0.5):
    """The seeds' formulas, by hand: no graph at all (the pure-Python limit)."""
    w1, w2, w3, w4, w5, w6, w7, w8 = INITIAL
    for _ in range(epochs):
        a_h1, a_h2 = sigmoid(w1 * I1 + w2 * I2), sigmoid(w3 * I1 + w4 * I2)
        a_o1, a_o2 = sigmoid(w5 * a_h1 + w6 * a_h2), sigmoid(w7 * a_h1 + w8 * a_h2)
        loss = 0.5 * (T1 - a_o1) ** 2 + 0.5 * (T2 - a_o2) ** 2
        d1, d2 = (a_o1 - T1) * a_o1 * (1 - a_o1), (a_o2 - T2) * a_o2 * (1 - a_o2)
        dh1, dh2 = (d1 * w5 + d2 * w7) * a_h1 * (1 - a_h1), (d1 * w6 + d2 * w8) * a_h2 * (1 - a_h2)
        w1, w2, w3, w4 = w1 - lr * dh1 * I1, w2 - lr * dh1 * I2, w3 - lr * dh2 * I1, w4 - lr * dh2 * I2
        w5, w6, w7, w8 = w5 - lr * d1 * a_h1, w6 - lr * d1 * a_h2, w7 - lr * d2 * a_h1, w8 - lr * d2 * a_h2
    return loss


def torch_scalar(x):
    """A PyTorch 0-dim float64 tensor that records gradients: torch's counterpart of a Value."""
    return torch.tensor(float(x), dtype=torch.float64, requires_grad=True)


# ----------------------------------------------------------------------
# Workload 2: MLP(2, [16, 16, 1]) with relu, forward + backward over 100 points.
# ----------------------------------------------------------------------

rng = random.Random(0)
POINTS = [([rng.uniform(-1, 1), rng.uniform(-1, 1)], rng.choice([-1.0, 1.0])) for _ in range(100)]


def mlp_lite():
    model = MLP(2, [16, 16, 1], activation="relu", seed=0)
    loss = sum((model(x) - y) ** 2 for x, y in POINTS)
    loss.backward()
    return loss.data


def mlp_compiled():
    """One sample graph traced (its compiled code is cached after the first run), replayed per point."""
    model = MLP(2, [16, 16, 1], activation="relu", seed=0)
    x1, x2, y = Value(0.0, "x1"), Value(0.0, "x2"), Value(0.0, "y")
    replay = compile_graph((model([x1, x2]) - y) ** 2, inputs=[x1, x2, y], params=model.parameters())
    params = [p.data for p in model.parameters()]
    total, grads = 0.0, [0.0] * len(params)
    for (a, b), target in POINTS:
        loss, _, g = replay((a, b, target), params)
        total += loss
        grads = [s + d for s, d in zip(grads, g)]
    return total


def mlp_torch():
    """The same MLP shape from 0-dim tensors, each neuron sum(w * x) + b as in micrograd."""
    rng = random.Random(0)
    sizes = [2, 16, 16, 1]
    layers = [
        [([torch_scalar(rng.uniform(-1, 1)) for _ in range(n_in)], torch_scalar(0.0)) for _ in range(n_out)]
        for n_in, n_out in zip(sizes, sizes[1:])
    ]
    loss = 0.0
    for x, y in POINTS:
        for depth, layer in enumerate(layers, 1):
            x = [sum((w * xi for w, xi in zip(ws, x)), b) for ws, b in layer]
            x = x if depth == len(layers) else [torch.relu(v) for v in x]
        loss = loss + (x[0] - y) ** 2
    loss.backward()
    return loss.item()


def mlp_micrograd():
    model = mg_nn.MLP(2, [16, 16, 1])
    loss = sum((model([mg_engine.Value(a) for a in x]) - y) ** 2 for x, y in POINTS)
    loss.backward()
    return loss.data


# ----------------------------------------------------------------------
# Workload 3: chains of n nodes, and bytes per node.
# ----------------------------------------------------------------------


def chain(V, n):
    c = V(1.0000001)
    v = V(0.5)
    for _ in range(n):
        v = v * c
    return v


def time_chain(V, n):
    """(forward seconds per node, backward seconds per node or the error's name)."""
    gc.collect()
    t0 = time.perf_counter()
    v = chain(V, n)
    t1 = time.perf_counter()
    try:
        v.backward()
        backward = (time.perf_counter() - t1) / n
    except RecursionError:
        backward = "RecursionError"
    del v
    return (t1 - t0) / n, backward


def bytes_per_node(V, n=100_000):
    gc.collect()
    tracemalloc.start()
    v = chain(V, n)
    used, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del v
    return used / n


# ----------------------------------------------------------------------
# Workload 4: this engine against itself at an earlier commit (the speed floor).
# ----------------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent


def engine_at(revision: str) -> types.ModuleType:
    """The engine as it was at ``revision``, loaded as a module of its own.

    It lives in the package (micrograd_lite/core/engine.py; micrograd_lite/engine.py before the layered tree), so
    its relative imports (``from .ops import ...``) load this checkout's modules.
    """
    for package in ("micrograd_lite.core", "micrograd_lite"):
        path = f"{package.replace('.', '/')}/engine.py"
        shown = subprocess.run(["git", "show", f"{revision}:{path}"], cwd=ROOT, capture_output=True, text=True)
        if shown.returncode == 0:
            break
    else:
        raise SystemExit(f"no engine at {revision}: {shown.stderr.strip()}")
    source = shown.stdout
    module = types.ModuleType(f"micrograd_lite.engine_at_{revision}")
    module.__package__ = package
    sys.modules[module.__name__] = module  # dataclasses and typing look modules up by name
    exec(compile(source, f"engine.py@{revision}", "exec"), module.__dict__)
    return module


def mlp_step(engine_module):
    """MLP(2, [16, 16, 1]) relu over the points, written once for any engine module (as nn.MLP computes it)."""
    V, sum_values = engine_module.Value, engine_module.sum_values
    model = MLP(2, [16, 16, 1], activation="relu", seed=0)
    layers = [[([V(w.data) for w in n.w], V(n.b.data)) for n in layer.neurons] for layer in model.layers]
    loss = 0.0
    for x, y in POINTS:
        for depth, layer in enumerate(layers, 1):
            x = [sum_values([*(w * xi for w, xi in zip(ws, x)), b]) for ws, b in layer]
            x = x if depth == len(layers) else [v.relu() for v in x]
        loss = loss + (x[0] - y) ** 2
    loss.backward()
    return loss.data


# ----------------------------------------------------------------------
# Running and reporting.
# ----------------------------------------------------------------------


def interleaved(implementations: dict, repeats: int):
    """Median seconds of each implementation, running them in turn on every repeat."""
    times = {name: [] for name in implementations}
    results = {}
    for _ in range(repeats):
        for name, fn in implementations.items():
            gc.collect()  # nobody pays for the previous implementation's garbage (micrograd's cycles)
            t0 = time.perf_counter()
            results[name] = fn()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(ts) for name, ts in times.items()}, results


def ratio_table(times: dict, finals: dict, base: str | None) -> str:
    """Median time of each implementation, its speed relative to ``base``, and its final loss."""
    closed = next((t for name, t in times.items() if name.startswith("closed form")), None)
    rows = []
    for name, t in times.items():
        row = [name, f"{t * 1e3:.1f} ms"]
        row += [f"{times[base] / t:.1f}x"] if base else []
        row += [f"{t / closed:.2f}x"] if closed else []
        rows.append(row + [repr(finals[name])])
    headers = ["implementation", "time"] + ([f"speed vs {base}"] if base else [])
    headers += ["time vs closed form"] if closed else []
    return table(headers + ["final E_total"], rows)


def table(headers, rows) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def start_report(script: str) -> tuple[Callable[[str], None], list[str]]:
    """Freeze the imports out of the collector's sight, print the machine and the peers.

    Returns ``say`` (print a line and keep it) and the list of kept lines.
    """
    gc.collect()
    gc.freeze()
    report: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        report.append(text)

    say(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()},")
    say(f"date {datetime.date.today()}, command `python {' '.join([script, *sys.argv[1:]])}`")
    torch_version = torch.__version__ if torch else "not installed"
    say(f"Peers: micrograd {'installed' if mg_engine else 'NOT installed'}, torch {torch_version}")
    return say, report


def write_report(path: Path, results: str, marker: str = "results") -> None:
    """Put the results between the ``marker`` comments of ``path`` (hand-written text around them stays).

    A file without those markers gets them, with the results, at its end.
    """
    begin, end = f"<!-- {marker} -->", f"<!-- end {marker} -->"
    text = path.read_text() if path.exists() else ""
    if begin not in text:
        text += f"\n{begin}\n{end}\n"
    head, _, rest = text.partition(begin)
    _, _, tail = rest.partition(end)
    write_atomically(path, f"{head}{begin}\n{results}\n{end}{tail}".encode())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="micrograd_lite benchmarks")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repeat (seconds)")
    parser.add_argument("--write", metavar="FILE", help="also write the report (Markdown) to FILE")
    parser.add_argument("--baseline", metavar="REV", help="also compare the engine with engine.py at git revision REV")
    args = parser.parse_args(argv)
    quick = args.quick
    epochs = 50 if quick else 1000
    repeats = 1 if quick else 5
    chain_sizes = [10**3, 10**4] if quick else [10**3, 10**4, 10**5, 10**6]
    # The modules imported so far (torch alone brings 150,000 objects) move out of the collector's
    # sight: otherwise every full collection re-walks them, and each engine pays for torch's import.
    say, report = start_report("benchmarks/bench.py")

    # 1. the sheet network, sigmoid (micrograd 0.1.0 has no exp, so it sits this one out)
    sheet_impls = {"closed form (no autodiff)": lambda: sheet_closed_form(epochs)}
    sheet_impls["micrograd_lite eager"] = lambda: sheet_eager(Value, Value.sigmoid, epochs)
    sheet_impls["micrograd_lite compiled"] = lambda: sheet_compiled(Value.sigmoid, epochs)
    if torch:
        sheet_impls["torch float64 scalars"] = lambda: sheet_eager(torch_scalar, torch.sigmoid, epochs)
    say(f"\n## The sheet network (sigmoid), {epochs} epochs of gradient descent at lr 0.5 (median of {repeats})\n")
    say(ratio_table(*interleaved(sheet_impls, repeats), base=None))

    # 1b. the same network with relu, the activation micrograd has: the same code in both engines
    relu_impls = {"micrograd_lite eager": lambda: sheet_eager(Value, Value.relu, epochs)}
    relu_impls["micrograd_lite compiled"] = lambda: sheet_compiled(Value.relu, epochs)
    if torch:
        relu_impls["torch float64 scalars"] = lambda: sheet_eager(torch_scalar, torch.relu, epochs)
    if mg_engine:
        relu_impls["micrograd"] = lambda: sheet_eager(mg_engine.Value, mg_engine.Value.relu, epochs)
    say(f"\n## The sheet network with relu (micrograd has no exp), {epochs} epochs (median of {repeats})\n")
    say(ratio_table(*interleaved(relu_impls, repeats), base="micrograd" if mg_engine else None))

    # 2. the MLP step
    mlp_impls = {"micrograd_lite eager": mlp_lite, "micrograd_lite compiled (replay per point)": mlp_compiled}
    if torch:
        mlp_impls["torch float64 scalars"] = mlp_torch
    if mg_nn:
        mlp_impls["micrograd"] = mlp_micrograd
    times, _ = interleaved(mlp_impls, repeats)
    say(f"\n## MLP(2, [16, 16, 1]) relu, forward + backward over {len(POINTS)} points (median of {repeats})\n")
    base = times.get("micrograd")
    rows = [[n, f"{t * 1e3:.1f} ms", f"{base / t:.1f}x" if base else "-"] for n, t in times.items()]
    say(table(["implementation", "time", "speed vs micrograd"], rows))
    say("(every run builds its model and traces its sample graph; the generated code is cached by graph structure)")

    # 3. chains
    say("\n## Chains of n multiplications: time per node (ns)\n")
    peers = {"micrograd_lite": Value}
    if mg_engine:
        peers["micrograd"] = mg_engine.Value
    if torch:
        peers["torch float64 scalars"] = torch_scalar
    rows = []
    for n in chain_sizes:
        for name, V in peers.items():
            runs = [time_chain(V, n) for _ in range(min(repeats, 3) if n >= 10**6 else repeats)]
            forward = statistics.median(f for f, _ in runs)
            backward = runs[0][1] if isinstance(runs[0][1], str) else statistics.median(b for _, b in runs)
            shown = f"{backward * 1e9:.0f}" if isinstance(backward, float) else f"fails: {backward}"
            rows.append([f"{n:,}", name, f"{forward * 1e9:.0f}", shown])
            gc.collect()
    say(table(["n", "engine", "forward ns/node", "backward ns/node"], rows))

    # 4. memory
    n = 10**4 if quick else 10**5
    say(f"\n## Bytes per node, a chain of {n:,} (tracemalloc)\n")
    # tracemalloc sees only Python's allocator: torch's tensors live in C++ memory, so torch sits out
    used = {name: bytes_per_node(V, n) for name, V in peers.items() if V is not torch_scalar}
    say(table(["engine", "bytes per node"], [[name, f"{b:.0f}"] for name, b in used.items()]))
    if mg_engine:
        say(f"\nmicrograd_lite uses {used['micrograd_lite'] / used['micrograd']:.2f} of micrograd's bytes per node.")

    # 5. the speed floor: this engine against an earlier one, in the same run
    if args.baseline:
        old = engine_at(args.baseline)
        say(f"\n## This engine against engine.py at {args.baseline} (median of {repeats})\n")
        rows = []
        for workload, run_with in (
            (f"sheet eager, {epochs} epochs", lambda module: sheet_eager(module.Value, module.Value.sigmoid, epochs)),
            (f"MLP step, {len(POINTS)} points", mlp_step),
        ):
            times, _ = interleaved({"now": partial(run_with, engine), "before": partial(run_with, old)}, repeats)
            rows.append([workload, f"{times['before'] * 1e3:.1f} ms", f"{times['now'] * 1e3:.1f} ms"])
            rows[-1].append(f"{times['now'] / times['before']:.3f}")
        for size in (10**3, n):  # backward alone, where the gradient check runs: the MLP's graph size, and large
            runs = {"now": [], "before": []}
            for _ in range(repeats):
                for name, module in (("now", engine), ("before", old)):
                    runs[name].append(time_chain(module.Value, size)[1])
            before, now = (statistics.median(runs[name]) for name in ("before", "now"))
            rows.append([f"backward of a chain of {size:,}, ns/node", f"{before * 1e9:.0f}", f"{now * 1e9:.0f}"])
            rows[-1].append(f"{now / before:.3f}")
        before, now = bytes_per_node(old.Value, n), bytes_per_node(Value, n)
        rows.append([f"bytes per node, chain of {n:,}", f"{before:.0f}", f"{now:.0f}", f"{now / before:.3f}"])
        say(table(["workload", args.baseline, "now", "now / before"], rows))

    if args.write:
        write_report(Path(args.write), "\n".join(report))
        print(f"\nwrote {args.write}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
