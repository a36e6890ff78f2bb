"""Second derivatives: the course network's Hessian, Newton's method against gradient descent, d²tanh/dx².

    python examples/06_second_derivatives.py [--out out/examples] [--steps 12]

Prints the 8x8 Hessian of E_total at the sheet's starting weights and E_total per
step of both methods, and writes into --out:

    hessian.png       the Hessian as a heat map
    newton.png        E_total per step: damped Newton against gradient descent
    d2tanh.svg/.png   the graph of d²tanh/dx², built by grad(create_graph=True)

Needs the plots and numpy extras (matplotlib, numpy) and Graphviz's dot program.
"""

import argparse
import io
from pathlib import Path

import matplotlib
import numpy as np  # eigenvalues and the linear solve of Newton's step

from micrograd_lite import Value, course, grad, hessian
from micrograd_lite.util import write_atomically
from micrograd_lite.viz import render_graph

matplotlib.use("Agg")  # files only: no window
import matplotlib.colors as colors  # noqa: E402 (after choosing the backend)
import matplotlib.pyplot as plt  # noqa: E402

NAMES = course.WEIGHT_NAMES
GD_RATES = (0.5, 2.0)  # the sheet's default learning rate, and a bold one
SHIFT = 1e-3  # the smallest eigenvalue the damped Hessian may have, relative to the largest


def e_total(weights):
    return course.build_network(dict(zip(NAMES, weights)))["E_total"]


def gradient_and_hessian(weights):
    """E_total, its gradient and its Hessian at these weights, all from grad()."""
    network = course.build_network(dict(zip(NAMES, weights)))
    E, w = network["E_total"], [network[name] for name in NAMES]
    return E.data, [d.data for d in grad(E, w)], hessian(E, w)


def gradient_descent(weights, lr, steps):
    """E_total before each step of w <- w - lr·∇E (the sheet's update)."""
    losses = []
    for _ in range(steps):
        E, g, _ = gradient_and_hessian(weights)
        losses.append(E)
        weights = [w - lr * d for w, d in zip(weights, g)]
    return losses


def damped_newton(weights, steps):
    """E_total before each step of w <- w - (H + s·I)⁻¹ ∇E, and the shift s of each step.

    Newton's step solves H·d = -∇E. At the sheet's weights H is singular (i2 = 2·i1,
    so the rows of w1 and w2 are proportional) and not positive definite (two negative
    eigenvalues): the plain step does not exist, and where it does it may climb. The
    shift s lifts every eigenvalue to at least SHIFT times the largest (Levenberg-
    Marquardt), so d goes downhill; the step is halved until E_total decreases.
    """
    losses, shifts = [], []
    for _ in range(steps):
        E, g, H = gradient_and_hessian(weights)
        losses.append(E)
        eigenvalues = np.linalg.eigvalsh(H)
        shift = max(0.0, SHIFT * max(abs(eigenvalues)) - eigenvalues[0])
        shifts.append(shift)
        step = np.linalg.solve(np.array(H) + shift * np.eye(len(H)), -np.array(g))
        t = 1.0
        while e_total([w + t * d for w, d in zip(weights, step)]).data > E and t > 1e-12:
            t /= 2
        weights = [w + t * d for w, d in zip(weights, step)]
    return losses, shifts


def print_matrix(matrix, names):
    print("      " + "".join(f"{name:>10}" for name in names))
    for name, row in zip(names, matrix):
        print(f"{name:>6}" + "".join(f"{x:10.3g}" for x in row))


def plot_hessian(matrix, names, path):
    fig, ax = plt.subplots(figsize=(7.5, 6.2), dpi=100)
    scale = max(abs(x) for row in matrix for x in row)
    norm = colors.SymLogNorm(linthresh=1e-6, vmin=-scale, vmax=scale)  # entries span 1e-6 .. 1e-2
    image = ax.imshow(matrix, cmap="RdBu_r", norm=norm)
    for i, row in enumerate(matrix):
        for j, x in enumerate(row):
            dark_cell = abs(norm(x) - 0.5) > 0.4  # the deepest reds and blues: black text would vanish
            ax.text(j, i, f"{x:.2g}", ha="center", va="center", fontsize=7.5, color="white" if dark_cell else "black")
    ax.set_xticks(range(len(names)), names)
    ax.set_yticks(range(len(names)), names)
    ax.set_title("Hessian of E_total at the sheet's starting weights\n∂²E_total / ∂(row) ∂(column), symlog colours")
    fig.colorbar(image, ax=ax, shrink=0.8)
    save(fig, path)


def plot_losses(curves, path):
    fig, ax = plt.subplots(figsize=(8.0, 5.0), dpi=100)
    for label, losses in curves.items():
        shown = [(step, E) for step, E in enumerate(losses) if E > 0.0]  # log scale: 0.0 cannot be drawn
        ax.plot(*zip(*shown), marker="o", markersize=3.5, label=label)
        if len(shown) < len(losses):
            last_step, last_E = shown[-1]
            note = f"E_total = 0.0 exactly from step {last_step + 1}"
            ax.annotate(note, (last_step, last_E), xytext=(10, 0), textcoords="offset points", va="center")
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("E_total (log scale)")
    ax.set_title("E_total per step from the sheet's starting weights")
    ax.grid(True, alpha=0.3)
    ax.legend()
    save(fig, path)


def save(fig, path):
    out = io.BytesIO()
    fig.tight_layout()
    fig.savefig(out, format="png")
    plt.close(fig)
    write_atomically(path, out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out/examples", help="folder for the pictures")
    parser.add_argument("--steps", type=int, default=12, help="steps of each method")
    args = parser.parse_args()
    if args.steps < 1:
        parser.error(f"--steps must be at least 1, got {args.steps}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = list(course.WEIGHTS.values())
    E, _, H = gradient_and_hessian(start)
    print(f"The Hessian of E_total = {E:.6g} at the sheet's starting weights:")
    print_matrix(H, NAMES)
    eigenvalues = np.linalg.eigvalsh(H)
    rounding = 1e-12 * max(abs(eigenvalues))  # below this an eigenvalue is 0 up to rounding
    print("eigenvalues:", " ".join(f"{x:.3g}" if abs(x) > rounding else "0" for x in eigenvalues))
    print(f"smallest {eigenvalues[0]:.3g} < 0: not positive definite, so Newton's step is damped\n")
    plot_hessian(H, NAMES, out / "hessian.png")

    curves = {f"gradient descent, lr = {lr:g}": gradient_descent(start, lr, args.steps) for lr in GD_RATES}
    newton, shifts = damped_newton(start, args.steps)
    curves["damped Newton"] = newton
    print("step " + "".join(f"{label:>28}" for label in curves) + "   Newton's shift s")
    for step in range(args.steps):
        print(f"{step:4d} " + "".join(f"{losses[step]:28.6g}" for losses in curves.values()) + f"{shifts[step]:18.3g}")
    plot_losses(curves, out / "newton.png")

    x = Value(0.5, "x")
    y = x.tanh()
    y.label = "y"
    (dy_dx,) = grad(y, [x], create_graph=True)  # 1 - y·y, a graph built on y
    dy_dx.label = "dy_dx"
    (d2y_dx2,) = grad(dy_dx, [x], create_graph=True)  # -2·y·(1 - y·y), built on both
    d2y_dx2.label = "d2y_dx2"
    print(f"\nAt x = 0.5: dy/dx = {dy_dx.data:.6g} = 1 - tanh², d²y/dx² = {d2y_dx2.data:.6g} = -2·tanh·(1 - tanh²)")
    for suffix in ("svg", "png"):
        picture = out / f"d2tanh.{suffix}"
        render_graph(d2y_dx2, picture, show_grad=False, rankdir="LR", fold_constants=True, name_intermediates=True)
    for name in ("hessian.png", "newton.png", "d2tanh.svg", "d2tanh.png"):
        print(f"wrote {out / name}")


if __name__ == "__main__":
    main()
