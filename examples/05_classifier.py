"""Train micrograd's two-moons classifier on 10,000 points with the batch replay, and plot its decision boundary.

    python examples/05_classifier.py [--points 10000] [--epochs 100]   # writes out/examples/decision_boundary.png

The network is traced once, on one point: ``hinge = relu(1 - y * score(x1, x2))``.
Its compiled replay then runs over all the points at once with NumPy
(``replay.batch``), one array operation per node of the graph instead of one
Python operation per node per point, and gives the hinge loss of every point
and the gradient of every parameter summed over the points. The rest is
micrograd's training loop: the mean hinge loss plus an L2 term, and gradient
descent with a learning rate that decays from 1.0 to 0.1.

The data set is generated here (no scikit-learn): two half circles with a
little noise, labelled -1 and +1.
"""

import argparse
import io
import math
import random
from pathlib import Path

import numpy as np

from micrograd_lite import MLP, Value
from micrograd_lite.compile import compile_graph
from micrograd_lite.util import optional_import, write_atomically

ALPHA = 1e-4  # the strength of the L2 term, as micrograd's demo


def make_moons(n: int, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two interleaved half circles: the columns x1, x2 and the labels y (-1.0 or +1.0)."""
    rng = random.Random(seed)
    x1, x2, y = [], [], []
    for i in range(n):
        angle = math.pi * rng.random()
        if i % 2 == 0:
            a, b, label = math.cos(angle), math.sin(angle), -1.0
        else:
            a, b, label = 1 - math.cos(angle), 0.5 - math.sin(angle), 1.0
        x1.append(a + rng.gauss(0, noise))
        x2.append(b + rng.gauss(0, noise))
        y.append(label)
    return np.array(x1), np.array(x2), np.array(y)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--out", type=Path, default=Path("out/examples/decision_boundary.png"))
    args = parser.parse_args()
    if args.points < 2 or args.epochs < 1:
        parser.error("--points must be at least 2 and --epochs at least 1")

    x1, x2, y = make_moons(args.points)
    model = MLP(2, [16, 16, 1], activation="relu", seed=1)
    params = model.parameters()

    # Trace the graph of one point, once: a hinge loss on a score.
    p1, p2, label = Value(0.0, "x1"), Value(0.0, "x2"), Value(0.0, "y")
    score = model([p1, p2])
    hinge = compile_graph((1 + -label * score).relu(), inputs=[p1, p2, label], params=params)
    print(f"MLP(2, [16, 16, 1]): {len(params)} parameters, {args.points:,} points")

    weights = [p.data for p in params]
    for epoch in range(args.epochs):
        losses, _, grads = hinge.batch([x1, x2, y], weights)
        data_loss = float(losses.mean())
        loss = data_loss + ALPHA * sum(w * w for w in weights)
        lr = 1.0 - 0.9 * epoch / args.epochs
        weights = [w - lr * (g / args.points + 2 * ALPHA * w) for w, g in zip(weights, grads)]
        if epoch % 10 == 0 or epoch == args.epochs - 1:
            accuracy = float(np.mean(losses < 1.0))  # relu(1 - y * score) < 1 exactly when y * score > 0
            print(f"epoch {epoch:3d}  loss {loss:.4f}  accuracy {accuracy:.1%}")

    for p, w in zip(params, weights):
        p.data = w
    scorer = compile_graph(score, inputs=[p1, p2], params=params)
    plot_decision_boundary(scorer, weights, (x1, x2, y), args.out)


def plot_decision_boundary(scorer, weights, data, path: Path) -> None:
    """The score over a grid (one batch call), its zero line, and the points."""
    plt = optional_import("matplotlib.pyplot", "plots", "the decision-boundary plot")
    x1, x2, y = data
    xs, ys = np.linspace(-1.6, 2.6, 211), np.linspace(-1.1, 1.6, 136)
    grid_x, grid_y = np.meshgrid(xs, ys)
    scores, _, _ = scorer.batch([grid_x.ravel(), grid_y.ravel()], weights)
    grid = scores.reshape(grid_x.shape)
    every = max(1, len(y) // 2000)  # at most ~2,000 dots, or the picture is a blot
    shown = slice(None, None, every)
    fig, ax = plt.subplots(figsize=(7, 4.8), dpi=100)
    try:
        ax.contourf(xs, ys, grid, levels=[-1e300, 0, 1e300], colors=["#f4c7c3", "#c6dbef"], alpha=0.8)
        ax.contour(xs, ys, grid, levels=[0], colors="k", linewidths=1)
        for value, color in ((-1.0, "#d62728"), (1.0, "#1f77b4")):
            chosen = y[shown] == value
            ax.scatter(x1[shown][chosen], x2[shown][chosen], c=color, s=10, edgecolors="k", linewidths=0.3)
        sample = f", 1 in {every} shown" if every > 1 else ""
        ax.set_title(f"MLP(2, [16, 16, 1]) decision boundary\ntrained on {len(y):,} points{sample}", fontsize=11)
        ax.set_xlabel("x1")
        ax.set_ylabel("x2")
        fig.tight_layout()
        png = io.BytesIO()
        fig.savefig(png, format="png")
    finally:
        plt.close(fig)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, png.getvalue())
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
