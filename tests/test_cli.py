"""The command line: outputs, and every error on one line with exit status 2."""

import subprocess
import sys

import pytest

from micrograd_lite import __version__
from micrograd_lite.cli import main


def run(*args):
    return subprocess.run([sys.executable, "-m", "micrograd_lite", *args], capture_output=True, text=True)


def test_version_and_help():
    assert run("--version").stdout.strip() == f"micrograd-lite {__version__}"
    out = run("--help").stdout
    for command in ("demo", "graph", "sheet", "sweep"):
        assert command in out


@pytest.mark.parametrize(
    "args, words",
    [
        (["sheet", "--lr", "abc"], ["--lr", "not a number: 'abc'"]),
        (["sheet", "--epochs", "-3"], ["--epochs", "at least 1"]),
        (["sheet", "--lr", "0"], ["positive"]),
        (["sheet", "--csv", "/nonexistent-dir/x.csv"], ["no directory"]),
        (["sweep", "--lrs", "0.1", "x", "--out", "l.png"], ["not a number"]),
        (["sweep", "--out", "/nonexistent-dir/l.png"], ["no directory"]),
        (["graph", "--expr", "x.__class__", "x=1", "--out", "g.svg"], ["attribute access"]),
        (["graph", "--expr", "__import__('os')", "--out", "g.svg"], ["unsupported function"]),
        (["graph", "--expr", "(lambda: x)()", "x=1", "--out", "g.svg"], ["not supported"]),
        (["graph", "--expr", "x + y", "x=1", "--out", "g.svg"], ["unknown name 'y'"]),
        (["graph", "--expr", "log(x)", "x=0", "--out", "g.svg"], ["log", "0.0"]),
        (["graph", "--expr", "x", "x=abc", "--out", "g.svg"], ["not a number"]),
        (["graph", "--out", "g.jpg"], ["unsupported file type"]),
        (["graph", "--out", "/nonexistent-dir/g.svg"], ["No such file"]),
        (["nosuchcommand"], ["invalid choice"]),
    ],
)
def test_errors_are_one_line_exit_2_and_write_nothing(args, words, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "micrograd_lite", *args], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("micrograd-lite: error:"), result.stderr
    for word in words:
        assert word in lines[0]
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_graph_of_an_expression(tmp_path):
    out = tmp_path / "g.png"
    assert main(["graph", "--expr", "tanh(x*w + b)", "x=0.5", "w=-3", "b=2", "--out", str(out)]) == 0
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_graph_of_the_seed_network_names_every_node(tmp_path):
    out = tmp_path / "network.svg"
    assert main(["graph", "--out", str(out), "--rankdir", "TB"]) == 0
    text = out.read_text()
    for name in ("i1", "i2", "t1", "w1", "w8", "h1", "a_h1", "h2", "a_h2", "o1", "a_o1", "o2", "a_o2", "E1", "E_total"):
        assert f">{name}<" in text, name
    assert "0.01418" in text  # E_total at epoch 0
