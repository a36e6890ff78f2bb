"""The package as pip installs it: built by `python -m build`, checked by `twine check`, typed, licensed."""

import email
import importlib.metadata
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import micrograd_lite

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """The wheel and the sdist, built from this tree, and everything the build printed."""
    out = tmp_path_factory.mktemp("dist")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # its own warning: not ours
    result = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return wheel, sdist, result.stdout + result.stderr


def test_the_build_warns_of_nothing(dist):
    # It warned of the deprecated `project.license` table and of templates/ missing from the packages.
    *_, printed = dist
    assert "warning" not in printed.lower(), [line for line in printed.splitlines() if "warn" in line.lower()]


def test_twine_check_passes_both_files_without_a_warning(dist):
    wheel, sdist, _ = dist
    result = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("PASSED") == 2 and "WARNING" not in result.stdout + result.stderr


def test_the_wheel_holds_the_type_marker_the_page_and_the_licence(dist):
    wheel, _, _ = dist
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = email.message_from_bytes(archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))))
        licence = archive.read(next(n for n in names if n.endswith(".dist-info/licenses/LICENSE"))).decode()
    assert "micrograd_lite/py.typed" in names and "micrograd_lite/show/templates/stepper.html" in names
    assert "micrograd_lite/show/templates/train.html" in names
    layers = ("core/engine.py", "transforms/compile/ir.py", "show/viz.py", "course/check.py", "cli/__init__.py")
    assert {f"micrograd_lite/{path}" for path in layers} <= set(names)
    assert "micrograd_lite/engine.pyi" in names  # an old import path's stub (micrograd_lite/old_paths.py)
    assert licence.startswith("MIT License") and metadata["License-Expression"] == "MIT"
    assert metadata["Version"] == micrograd_lite.__version__
    assert "Typing :: Typed" in metadata.get_all("Classifier")
    assert {url.split(",")[0] for url in metadata.get_all("Project-URL")} >= {"Source", "Documentation", "Changelog"}
    assert {"demo", "notebooks", "graphviz"} <= set(metadata.get_all("Provides-Extra"))


def test_the_sdist_ships_no_half_test_suite(dist):
    # It shipped tests/test_*.py without conftest.py, helpers.py or the fixtures they need.
    _, sdist, _ = dist
    with tarfile.open(sdist) as archive:
        names = [name.split("/", 1)[1] for name in archive.getnames() if "/" in name]
    assert not [name for name in names if name.startswith("tests/")]
    assert {"LICENSE", "README.md", "pyproject.toml", "micrograd_lite/py.typed"} <= set(names)


def test_the_installed_version_is_the_one_the_package_reports():
    assert importlib.metadata.version("micrograd-lite") == micrograd_lite.__version__


def extra_closure(extra: str) -> set[str]:
    """The distributions an extra of pyproject.toml brings in, with everything they require in turn."""
    tomllib = pytest.importorskip("tomllib")
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    wanted, seen = [Requirement(spec) for spec in extras[extra]], set()
    while wanted:
        requirement = wanted.pop()
        name = canonicalize_name(requirement.name)
        if name == "micrograd-lite":  # one of our own extras
            wanted += [Requirement(spec) for inner in requirement.extras for spec in extras[inner]]
            continue
        if name in seen:
            continue
        seen.add(name)
        for spec in importlib.metadata.requires(name) or []:
            inner = Requirement(spec)
            if inner.marker is None or inner.marker.evaluate({"extra": ""}):
                wanted.append(inner)
    return seen


ONLY = """
import importlib.abc, importlib.metadata, sys
from packaging.utils import canonicalize_name
allowed = set(sys.argv[1].split(","))
owners = importlib.metadata.packages_distributions()
class Only(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top in sys.stdlib_module_names or top == "micrograd_lite" or top.startswith("_"):
            return None
        if not {canonicalize_name(d) for d in owners.get(top, [])} & allowed:
            raise ModuleNotFoundError(f"No module named {name!r} (not in the demo extra)")
sys.meta_path.insert(0, Only())
sys.argv[1:] = sys.argv[2:]
from micrograd_lite.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_the_demo_runs_on_its_extra_alone(tmp_path):
    """Issue 19: make demo installed the whole development stack (62 packages, 512 MB) for a 2-second demo."""
    allowed = extra_closure("demo")
    assert {"matplotlib", "xlsxwriter"} <= allowed and not {"pytest", "graphviz", "python-calamine"} & allowed
    result = subprocess.run(
        [sys.executable, "-c", ONLY, ",".join(allowed), "demo", "--out", "out", "--epochs", "3"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert {p.name for p in (tmp_path / "out").iterdir()} >= {"sheet.xlsx", "loss_curves.png", "network.png"}
    # and make demo installs that extra, not the dev stack
    makefile = (ROOT / "Makefile").read_text()
    assert "demo: graphviz $(VENV)/demo-installed\n" in makefile
    recipe = makefile.split("$(VENV)/demo-installed: pyproject.toml\n")[1].split("\n\n")[0]
    assert 'pip install --quiet -e ".[demo]"' in recipe and "dev" not in recipe


def test_the_blocker_blocks(tmp_path):
    """The demo above needs what the extra brings: with matplotlib left out, it fails."""
    allowed = extra_closure("demo") - {"matplotlib"}
    result = subprocess.run(
        [sys.executable, "-c", ONLY, ",".join(allowed), "demo", "--out", "out"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 2 and "No module named 'matplotlib' (not in the demo extra)" in result.stderr


def test_the_readme_says_where_the_quick_start_installs():
    """Issue 19: after make demo, `micrograd-lite` was "command not found": the README never said to activate .venv."""
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quick start")[1].split("\n## ")[0]
    block = quick.split("```sh\n")[1].split("```")[0]
    assert [line.split("#")[0].strip() for line in block.strip().splitlines()] == ["make demo", "make test"]
    after = quick.split("```", 2)[2]
    assert "source .venv/bin/activate" in after and ".venv/bin/micrograd-lite" in after
    assert "VENV   := .venv" in (ROOT / "Makefile").read_text()  # where the README says it is
    assert (Path(sys.executable).parent / "micrograd-lite").exists()  # and the command is there
    notebooks = readme.split("## Examples")[1].split("\n## ")[0]
    assert "pip install -e '.[notebooks]'" in notebooks and "jupyter lab examples/" in notebooks
