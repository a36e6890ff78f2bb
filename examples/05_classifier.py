"""Train a small MLP to separate two interleaved moons, and plot its decision boundary.

    python examples/05_classifier.py [--epochs 100]   # writes out/examples/decision_boundary.png

The data set is generated here in pure Python (no scikit-learn): two half circles,
with a little noise, labelled -1 and +1.
"""

import argparse
import math
import random
from pathlib import Path

from micrograd_lite import MLP, SGD, mse


def make_moons(n: int, noise: float = 0.1, seed: int = 0):
    rng = random.Random(seed)
    points, labels = [], []
    for i in range(n):
        angle = math.pi * rng.random()
        if i % 2 == 0:
            x, y, label = math.cos(angle), math.sin(angle), -1.0
        else:
            x, y, label = 1 - math.cos(angle), 0.5 - math.sin(angle), 1.0
        points.append([x + rng.gauss(0, noise), y + rng.gauss(0, noise)])
        labels.append(label)
    return points, labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--points", type=int, default=80)
    args = parser.parse_args()

    points, labels = make_moons(args.points)
    model = MLP(2, [16, 16, 1], activation="tanh", output_activation="tanh", seed=1)
    optimizer = SGD(model.parameters(), lr=0.3)
    print(f"MLP(2, [16, 16, 1]): {len(model.parameters())} parameters, {len(points)} points")

    for epoch in range(args.epochs):
        predictions = [model(p) for p in points]
        loss = mse(predictions, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if epoch % 10 == 0 or epoch == args.epochs - 1:
            accuracy = sum((p.data > 0) == (t > 0) for p, t in zip(predictions, labels)) / len(labels)
            print(f"epoch {epoch:3d}  loss {loss.data:.4f}  accuracy {accuracy:.0%}")

    plot_decision_boundary(model, points, labels, Path("out/examples/decision_boundary.png"))


def plot_decision_boundary(model, points, labels, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    xs = [x / 20 for x in range(-30, 61)]
    ys = [y / 20 for y in range(-20, 31)]
    grid = [[model([x, y]).data for x in xs] for y in ys]
    fig, ax = plt.subplots(figsize=(6, 4.5), dpi=100)
    ax.contourf(xs, ys, grid, levels=[-10, 0, 10], colors=["#f4c7c3", "#c6dbef"], alpha=0.8)
    ax.contour(xs, ys, grid, levels=[0], colors="k", linewidths=1)
    for label, color in ((-1.0, "#d62728"), (1.0, "#1f77b4")):
        chosen = [p for p, t in zip(points, labels) if t == label]
        ax.scatter([p[0] for p in chosen], [p[1] for p in chosen], c=color, s=18, edgecolors="k", linewidths=0.4)
    ax.set_title("MLP(2, [16, 16, 1]) decision boundary")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
