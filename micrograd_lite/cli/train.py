"""The ``train`` command: a classifier on two moons or yin-yang, its loss as it goes, its page and CSV."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

from ..errors import CLIError
from ..util import write_atomically
from .terminal import check_outputs, progress

T = TypeVar("T")


def cmd_train(args: argparse.Namespace) -> None:
    """Train a classifier on moons or yin-yang; the loss every few steps, the test accuracy, the page, the CSV."""
    from ..transforms.training import TrainConfig, train

    config = TrainConfig(data=args.data, hidden=tuple(args.hidden), optimizer=args.optimizer, lr=args.lr,
                         steps=args.steps, seed=args.seed, record=args.record)  # fmt: skip
    config.check()
    if not (math.isfinite(args.max_mb) and args.max_mb >= 0):
        raise CLIError(f"--max-mb must be a number of megabytes >= 0 (0: no limit), got {args.max_mb:g}")
    check_outputs([path for path in (args.html, args.csv) if path])
    if args.html:
        from ..core.datasets import DATASETS
        from ..show.trainpage import check_size
        from ..show.viz import pipe

        pipe("digraph {}", "svg")  # the page's graphs need Graphviz's dot: a missing one is said before training
        size = check_size(config, len(DATASETS[args.data][0]), None if args.max_mb == 0 else int(args.max_mb * 1e6))
        print(f"the page will be about {size / 1e6:.1f} MB ({min(config.record, config.steps)} recorded steps)")
    bar = sys.stderr.isatty()

    def report(step: int, train_loss: float, val_loss: float) -> None:
        if bar:
            sys.stderr.write("\r\033[K")  # clear the progress bar's line; it is drawn again on the next step
        print(f"step {step:>{len(str(args.steps))}}: train loss {train_loss:.4g}, validation loss {val_loss:.4g}")

    def steps_bar(items: Iterable[T], total: int, what: str) -> Iterator[T]:
        return progress(items, total, what, minimum=1)

    run = train(config, progress=steps_bar, report=report, report_every=max(1, args.steps // 10))
    print(f"test accuracy {run.test_accuracy:.2%} ({len(run.dataset.test)} points), {run.seconds:.1f} s of training")
    if args.csv:
        write_atomically(args.csv, run.csv().encode())
        print(f"wrote {args.csv}")
    if args.html:
        from ..show.trainpage import page_html

        page = page_html(run).encode()
        write_atomically(args.html, page)
        print(f"wrote {args.html} ({len(run.records)} recorded steps, {len(page) / 1e6:.1f} MB)")
