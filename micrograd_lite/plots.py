"""Loss curves with matplotlib (needs the ``plots`` extra)."""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence

from .util import optional_import, write_atomically

FIGSIZE = (8.0, 5.0)  # inches
DPI = 100  # so a PNG is 800 x 500 pixels


def _pyplot():
    matplotlib = optional_import("matplotlib", "plots", "plotting")
    matplotlib.use("Agg")  # files only: no window, works without a display
    import matplotlib.pyplot as plt

    return plt


def plot_loss_curves(
    curves: Mapping[float, Sequence[float]],
    path: str | os.PathLike,
    log_scale: bool = False,
    title: str = "E_total against epoch for each learning rate",
) -> None:
    """One line of E_total per learning rate, written (whole) to ``path`` (.png, .svg, .pdf)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=FIGSIZE, dpi=DPI)
    try:
        for lr, losses in curves.items():
            ax.plot(range(len(losses)), losses, label=f"lr = {lr:g}", linewidth=1.8)
        ax.set_xlabel("epoch")
        ax.set_ylabel("E_total" + (" (log scale)" if log_scale else ""))
        if log_scale:
            ax.set_yscale("log")
        ax.set_title(title)
        ax.grid(True, alpha=0.3)
        ax.legend(title="learning rate", fontsize=9)
        fig.tight_layout()
        out = io.BytesIO()
        suffix = os.path.splitext(str(path))[1].lstrip(".").lower() or "png"
        fig.savefig(out, format=suffix, dpi=DPI)
    finally:
        plt.close(fig)
    write_atomically(path, out.getvalue())
