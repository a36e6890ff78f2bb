"""Loss curves of the sheet network for the course's learning rates.

python examples/04_learning_rate_sweep.py        # writes out/examples/sweep.png
"""

from pathlib import Path

from micrograd_lite.plots import plot_loss_curves
from micrograd_lite.sheet import LEARNING_RATES, sweep

out = Path("out/examples")
out.mkdir(parents=True, exist_ok=True)

curves = sweep(LEARNING_RATES, epochs=100)
for lr, losses in curves.items():
    print(f"lr {lr:>6g}: E_total {losses[0]:.5f} -> {losses[-1]:.3g}")
plot_loss_curves(curves, out / "sweep.png", log_scale=True)
print(f"wrote {out / 'sweep.png'}")
