"""The examples run, and the docs' generated tables are current."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
QUICK = {"05_classifier.py": ["--epochs", "3", "--points", "20"]}


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(script, tmp_path):
    result = subprocess.run(
        [sys.executable, str(script), *QUICK.get(script.name, [])],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    for line in result.stdout.splitlines():
        if line.startswith("wrote "):
            assert (tmp_path / line.split(" ", 1)[1]).stat().st_size > 0


def test_there_are_examples_for_each_topic():
    names = " ".join(p.name for p in EXAMPLES)
    for topic in ("gradient", "draw", "sheet", "sweep", "classifier"):
        assert topic in names


def test_docs_generated_tables_are_current():
    result = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "build.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_docs_pictures_exist_and_are_referenced():
    text = (ROOT / "docs" / "sheet.md").read_text() + (ROOT / "README.md").read_text()
    for image in ("network.svg", "loss_curves.png", "loss_curves_linear.png"):
        assert (ROOT / "docs" / "images" / image).stat().st_size > 0
        assert f"images/{image}" in text


def test_readme_python_blocks_run_as_written(tmp_path):
    # A learner copy-pastes them: the replay and picture snippets once used a `loss` and `model`
    # defined nowhere, and failed with NameError.
    readme = (ROOT / "README.md").read_text()
    blocks = [block.split("```", 1)[0] for block in readme.split("```python\n")[1:]]
    code = "\n".join(block for block in blocks if ">>>" not in block)  # doctests run on their own
    assert "compile_graph" in code and "render_graph" in code
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "graph.svg").stat().st_size > 0


def test_the_performance_page_is_written_for_a_reader_and_its_history_is_in_the_changelog():
    """Issue 19: docs/performance.md read as a development log ("Issue 12", "Targets of issue 6")."""
    import re

    text = (ROOT / "docs" / "performance.md").read_text()
    assert not re.findall(r"\b[Ii]ssues? \d+", text)
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    wanted = ["## In short", "## How it is measured", "## What each design choice buys", "## Where the limits are"]
    assert [h for h in headings if h in wanted] == wanted and headings[0] == wanted[0]
    for marker in ("results", "training results"):  # where the benchmarks write their tables
        assert text.count(f"<!-- {marker} -->") == 1 and text.count(f"<!-- end {marker} -->") == 1
    assert "| workload | 5026093 | now | now / before |" in text and "| workload | a8fd29f |" in text
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "](../CHANGELOG.md)" in text and "**Issue 6, " in changelog and "**Issue 12, " in changelog
