"""What a run of the course may ask for, checked before any work: one line saying why it cannot fit."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from ..errors import CLIError
from ..util import is_stream
from .csvfile import BYTES_PER_ROW

WORKBOOK_MAX_EPOCHS = 100_000  # the workbook is built in memory
SWEEP_MAX_POINTS = 2_000_000  # about 64 MB of floats held for the figure


def check_sheet_size(epochs: int, csv: str | None, xlsx: str | None) -> None:
    """Refuse a sheet whose files cannot fit: the workbook's epochs, the CSV's disk space."""
    if xlsx and epochs > WORKBOOK_MAX_EPOCHS:
        raise CLIError(
            f"--xlsx holds at most {WORKBOOK_MAX_EPOCHS} epochs (the workbook is built in memory), "
            f"not {epochs}; --csv streams any number"
        )
    if csv and not is_stream(csv):  # --csv /dev/stdout takes no disk space
        folder = Path(csv).resolve().parent
        needed, free = epochs * BYTES_PER_ROW, shutil.disk_usage(folder).free
        if needed > free:
            raise CLIError(
                f"--epochs {epochs}: the CSV can take up to {needed / 1e9:.3g} GB and {folder} "
                f"has {free / 1e9:.3g} GB free"
            )


def check_sweep_size(lrs: Sequence[float], epochs: int) -> None:
    """Refuse a sweep whose figure holds more points than ``SWEEP_MAX_POINTS``."""
    if epochs * len(lrs) > SWEEP_MAX_POINTS:
        raise CLIError(
            f"sweep plots every epoch: {len(lrs)} learning rates x {epochs} epochs is more than "
            f"{SWEEP_MAX_POINTS} points; use fewer --epochs (or `sheet --csv` for one long run)"
        )
