"""Build the static site (``make site``): the playground, the live training page and a stepper page.

Pyodide and viz.js come from ``node_modules`` (``npm ci``, pinned by
package-lock.json); the project's own wheel is built here and loaded into
Pyodide by the worker. The folder is written whole or not at all: built
beside the target, then moved into place.

    python site-src/build.py [--out site]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from micrograd_lite import course
from micrograd_lite.stepper import build_stepper

ROOT = Path(__file__).resolve().parent.parent
SOURCES = Path(__file__).resolve().parent
PAGES = ["index.html", "train.html", "site.css", "playground.js", "train-live.js", "python.js", "worker.mjs"]
PAGES += ["browser.py"]  # fetched by the worker and run in Pyodide, beside the wheel
PYODIDE = ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"]
FIRST_LOAD = ["index.html", "site.css", "playground.js", "python.js", "worker.mjs", "manifest.json", "browser.py",
              "viz/viz.js", *(f"pyodide/{name}" for name in PYODIDE)]  # fmt: skip


def readme_example(readme: str) -> str:
    """The README's first example as a script: each expression whose value the doctest shows is printed."""
    block = re.search(r"## A 15-line example\s+```python\n(.*?)```", readme, re.S)
    if block is None:
        raise SystemExit("README.md has no '## A 15-line example' block")
    lines, script = block.group(1).splitlines(), []
    for i, line in enumerate(lines):
        if not line.startswith(">>> "):
            continue
        code = line[4:]
        shown = i + 1 < len(lines) and lines[i + 1].strip() and not lines[i + 1].startswith(">>>")
        if shown:  # `round(w.grad, 6)   # dy/dw = ...` -> print(round(w.grad, 6))   # dy/dw = ...
            expression, _, comment = code.partition("  #")
            code = f"print({expression.rstrip()})" + (f"  #{comment}" if comment else "")
        script.append(code)
    return "\n".join(script) + "\n"


def build_wheel(into: Path) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", tmp, str(ROOT)], check=True,
                       capture_output=True)  # fmt: skip
        (wheel,) = Path(tmp).glob("micrograd_lite-*.whl")
        shutil.copy2(wheel, into / wheel.name)
        return wheel.name


def build(out: Path) -> dict[str, int]:
    if out.exists() and not (out / "manifest.json").is_file():  # replaced whole: only ever a site this wrote
        raise SystemExit(f"{out} exists and is not a site built here (no manifest.json): choose another --out")
    modules = ROOT / "node_modules"
    if not (modules / "pyodide").is_dir() or not (modules / "@viz-js" / "viz").is_dir():
        raise SystemExit("node_modules is missing pyodide or @viz-js/viz: run `npm ci` first (make site does)")
    staging = Path(tempfile.mkdtemp(prefix=".site-", dir=out.parent))
    try:
        for name in PAGES:
            shutil.copy2(SOURCES / name, staging / name)
        index = staging / "index.html"
        example = readme_example((ROOT / "README.md").read_text(encoding="utf-8"))
        index.write_text(index.read_text(encoding="utf-8").replace("{{example}}", example), encoding="utf-8")
        (staging / "pyodide").mkdir()
        for name in PYODIDE:
            shutil.copy2(modules / "pyodide" / name, staging / "pyodide" / name)
        (staging / "viz").mkdir()
        shutil.copy2(modules / "@viz-js" / "viz" / "dist" / "viz.js", staging / "viz" / "viz.js")
        (staging / "wheels").mkdir()
        wheel = build_wheel(staging / "wheels")
        (staging / "manifest.json").write_text(json.dumps({"wheel": f"wheels/{wheel}"}), encoding="utf-8")
        net = course.build_network()
        stepper = build_stepper(net["E_total"], params=[net[w] for w in course.WEIGHT_NAMES])
        (staging / "stepper.html").write_text(stepper.html("The course network's backward pass, step by step"),
                                              encoding="utf-8")  # fmt: skip
        first = sum((staging / name).stat().st_size for name in [*FIRST_LOAD, f"wheels/{wheel}"])
        total = sum(path.stat().st_size for path in staging.rglob("*") if path.is_file())
        staging.chmod(0o755)
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return {"total": total, "first_load": first}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "site")
    sizes = build(parser.parse_args().out.resolve())
    print(f"site built: {sizes['total'] / 1e6:.1f} MB in all, {sizes['first_load'] / 1e6:.1f} MB on a first visit")


if __name__ == "__main__":
    main()
