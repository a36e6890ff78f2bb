"""Loss curves with matplotlib (needs the ``plots`` extra).

The default figure shows the exercise's lesson: E_total on a log scale, so
the small learning rates (0.8, 1 and 2 differ by orders of magnitude after
100 epochs) are told apart, and the rates whose loss did not fall over the run
(lr = 1000 jumps to 0.25 and stays there) on a linear panel of their own instead
of squashing the rest. Which rates those are is read from the curves themselves:
lr = 10, 20 and 50 reach 0 in 100 epochs, and stay with the others.
``layout="linear"`` draws the classic single linear panel.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from types import ModuleType

from ..util import optional_import, write_atomically

FIGSIZE = (8.0, 5.0)  # inches
FIGURE_FORMATS = ("png", "svg", "pdf")
DPI = 100  # so a PNG is 800 x 500 pixels
FALLING_TITLE = "E_total falls"
NOT_FALLING_TITLE = "E_total did not fall:\nit ends at or above its start"
LAYOUTS = ("log", "linear")


def _pyplot() -> ModuleType:
    matplotlib = optional_import("matplotlib", "plots", "plotting")
    matplotlib.use("Agg")  # files only: no window, works without a display
    import matplotlib.pyplot as plt

    return plt


def format_of(path: str | os.PathLike[str]) -> str:
    """The figure format a file name asks for by its extension; ValueError naming those accepted otherwise.

    >>> format_of("loss.SVG")
    'svg'
    """
    extension = os.path.splitext(str(path))[1]
    if extension.lstrip(".").lower() not in FIGURE_FORMATS:
        accepted = ", ".join("." + name for name in FIGURE_FORMATS)
        problem = f"extension {extension!r}" if extension else "no extension"
        raise ValueError(f"{path}: {problem}; a figure file's name ends in {accepted}")
    return extension.lstrip(".").lower()


def did_not_fall(losses: Sequence[float]) -> bool:
    """True when a run's loss ends at or above where it started (or is not a number): the rate does not converge.

    >>> did_not_fall([0.014, 0.25, 0.25]), did_not_fall([0.014, 0.05, 1e-8]), did_not_fall([0.014])
    (True, False, False)
    """
    return len(losses) > 1 and not losses[-1] < losses[0]


def plot_loss_curves(
    curves: Mapping[float, Sequence[float]],
    path: str | os.PathLike[str],
    layout: str = "log",
    title: str = "E_total against epoch for each learning rate",
) -> None:
    """One line of E_total per learning rate, written (whole) to ``path`` (.png, .svg, .pdf).

    ``layout="log"``: a log-scale panel, plus a linear one for the rates whose
    loss did not fall (:func:`did_not_fall`) if there are any; ``"linear"``: one linear panel.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
    figure_format = format_of(path)
    plt = _pyplot()
    stuck = {lr: losses for lr, losses in curves.items() if layout == "log" and did_not_fall(losses)}
    small = {lr: losses for lr, losses in curves.items() if lr not in stuck}
    panels = [(small, FALLING_TITLE if stuck else "")] * bool(small) + [(stuck, NOT_FALLING_TITLE)] * bool(stuck)
    ratios = [3, 1.4][: len(panels)] if len(panels) == 2 else [1]
    fig, axes = plt.subplots(1, len(panels), figsize=FIGSIZE, dpi=DPI, width_ratios=ratios, squeeze=False)
    try:
        colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        colour_of = {lr: colours[k % len(colours)] for k, lr in enumerate(curves)}
        for ax, (panel, subtitle) in zip(axes[0], panels):
            for lr, losses in panel.items():
                ax.plot(range(len(losses)), losses, label=f"lr = {lr:g}", linewidth=1.8, color=colour_of[lr])
            ax.set_xlabel("epoch")
            logarithmic = layout == "log" and panel is small  # a plateau that did not fall reads best on a linear scale
            if logarithmic:
                ax.set_yscale("log")
            ax.grid(True, alpha=0.3, which="both" if logarithmic else "major")
            ax.legend(fontsize=8, loc="best")
            if subtitle:
                ax.set_title(subtitle, fontsize=9)
        axes[0][0].set_ylabel("E_total" + (" (log scale)" if axes[0][0].get_yscale() == "log" else ""))
        fig.suptitle(title)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format=figure_format, dpi=DPI)
    finally:
        plt.close(fig)
    write_atomically(path, out.getvalue())
