"""Loss curves of the sheet network for the course's learning rates.

python examples/04_learning_rate_sweep.py        # writes out/examples/sweep.png and sweep_linear.png
"""

from pathlib import Path

from micrograd_lite import course

out = Path("out/examples")
out.mkdir(parents=True, exist_ok=True)

curves = course.sweep(course.LEARNING_RATES, epochs=100)
for lr, losses in curves.items():
    print(f"lr {lr:>6g}: E_total {losses[0]:.5f} -> {losses[-1]:.3g}")
course.plot_loss_curves(curves, out / "sweep.png")  # log scale; lr = 1000 on a panel of its own
course.plot_loss_curves(curves, out / "sweep_linear.png", layout="linear")
print(f"wrote {out / 'sweep.png'}")
print(f"wrote {out / 'sweep_linear.png'}")
