"""Regenerate every figure and table in docs/ from the project itself.

    python docs/build.py           # rewrite docs/images/* and the generated parts of docs/*.md
    python docs/build.py --check   # exit 1 if a generated table in docs/*.md is out of date

Generated parts of a Markdown page sit between ``<!-- generated: NAME -->``
and ``<!-- end generated -->``; everything else is written by hand.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from micrograd_lite import course
from micrograd_lite.course import render_course_network

DOCS = Path(__file__).resolve().parent
IMAGES = DOCS / "images"
MARKER = re.compile(r"(<!-- generated: (\S+) -->\n).*?(<!-- end generated -->)", re.S)


def markdown_table(rows, columns, digits=6) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---:|" * len(columns)]
    for row in rows:
        cells = [f"{row[c]:d}" if c == "epoch" else f"{row[c]:.{digits}g}" for c in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def generated_blocks() -> dict[str, str]:
    """The text of every generated block, by name."""
    rows = course.train(0.5, 100)
    curves = course.sweep(course.LEARNING_RATES, 100)
    forward = ("epoch", "w1", "w5", "h1", "a_h1", "o1", "a_o1", "a_o2", "E_total")
    gradients = ("epoch", *course.GRADIENT_NAMES)
    worst = course.largest_formula_disagreement(rows)
    finals = ["| learning rate | E_total after 100 epochs |", "|---:|---:|"]
    finals += [f"| {lr:g} | {losses[-1]:.6g} |" for lr, losses in curves.items()]
    return {
        "forward-table": markdown_table(rows[:6], forward),
        "gradient-table": markdown_table(rows[:6], gradients, digits=5),
        "formula-check": (
            f"Over all {len(rows)} rows and 8 gradients, the largest difference between the hand-derived "
            f"formulas and `backward()` is **{worst.error:.3g}** ({worst.column}, epoch {worst.epoch})."
        ),
        "final-losses": "\n".join(finals),
    }


def fill(text: str, blocks: dict[str, str]) -> str:
    return MARKER.sub(lambda m: m.group(1) + blocks[m.group(2)] + "\n" + m.group(3), text)


def build_images() -> list[Path]:
    IMAGES.mkdir(exist_ok=True)
    written = [render_course_network(IMAGES / "network.svg"), render_course_network(IMAGES / "network.png")]
    written += build_stepper_screenshots()
    written += build_training_screenshots()
    curves = course.sweep(course.LEARNING_RATES, 100)
    for name, layout in (("loss_curves.png", "log"), ("loss_curves_linear.png", "linear")):
        course.plot_loss_curves(curves, IMAGES / name, layout=layout)
        written.append(IMAGES / name)
    return written


def build_stepper_screenshots() -> list[Path]:
    """The stepper page as a learner sees it at 1400×900: before the pass, and mid-way (a_o1's turn)."""
    from micrograd_lite.stepper import build_stepper

    network = course.build_network()
    stepper = build_stepper(network["E_total"], params=[network[w] for w in course.WEIGHT_NAMES])
    turn = next(i for i, t in enumerate(stepper.turns, 1) if t.title == "a_o1 = sigmoid(o1)")
    return screenshots(stepper.html(), {"stepper_start.png": "go(0)", "stepper_step.png": f"go({turn})"})


def build_training_screenshots() -> list[Path]:
    """The training page of the default run: at 1400×900 mid-run, and at 1000×700 with a dot as the probe."""
    from micrograd_lite.training import TrainConfig, train
    from micrograd_lite.trainpage import TrainPage

    run = train(TrainConfig())
    dot = next(i for i, label in enumerate(run.dataset.train.labels) if label == 2)
    shots = {
        "train_page.png": "go(60)",
        "train_page_small.png": f"probe = points[{dot}]; document.querySelector('#lines').checked = true; go(199)",
    }
    written = screenshots(TrainPage(run).html(), shots, sizes={"train_page_small.png": (1000, 700)})
    from PIL import Image  # matplotlib's dependency: 256 colours make the screenshots a third of the bytes

    for path in written:
        Image.open(path).convert("RGB").quantize(256).save(path, optimize=True)
    return written


def screenshots(page_html: str, shots: dict[str, str], sizes: dict[str, tuple[int, int]] | None = None) -> list[Path]:
    """Open a page in Chromium and save one screenshot per script of ``shots`` (at 1400×900 unless ``sizes`` says)."""
    from playwright.sync_api import sync_playwright

    page_path = IMAGES / "page.html"  # removed again below: the screenshots are what the docs show
    page_path.write_text(page_html, encoding="utf-8")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            for name, script in shots.items():
                width, height = (sizes or {}).get(name, (1400, 900))
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(page_path.as_uri())
                page.evaluate(script)
                page.screenshot(path=str(IMAGES / name))
            browser.close()
    finally:
        page_path.unlink()
    return [IMAGES / name for name in shots]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the generated tables are current")
    args = parser.parse_args(argv)
    blocks = generated_blocks()
    stale = []
    for page in sorted(DOCS.glob("*.md")):
        text = page.read_text()
        new = fill(text, blocks)
        if new != text:
            stale.append(page)
            if not args.check:
                page.write_text(new)
    if args.check:
        for page in stale:
            print(f"{page} is out of date: run python docs/build.py")
        return 1 if stale else 0
    for path in [*build_images(), *stale]:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
