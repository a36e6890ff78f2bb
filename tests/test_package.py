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
    assert "micrograd_lite/py.typed" in names and "micrograd_lite/templates/stepper.html" in names
    assert "micrograd_lite/course/check.py" in names
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
