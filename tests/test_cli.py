"""The command line: outputs, and every error on one line with exit status 2."""

import math
import os
import subprocess
import sys

import pytest

from micrograd_lite import __version__
from micrograd_lite.cli import main
from micrograd_lite.expr import parse_expression
from tests.commands import assert_one_line_error, cli


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


# ----------------------------------------------------------------------
# Issue 13's adversarial inputs (were test_hardening.py): each case once crashed, hung or was silently accepted.
# ----------------------------------------------------------------------


# ----------------------------------------------------------------------
# The command line: one line, exit 2, for every rough edge.
# ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, words",
    [
        (["graph", "--out", "g.svg", "--expr", "-x*2", "x=1"], ["--expr=-x*2"]),
        (["explain", "--expr", "-x", "x=1"], ["--expr=-x"]),
        (["graph", "--out", "g.svg", "--expr", "x*y", "x=1", "y=2", "x=3"], ["x is given twice", "x=1.0", "x=3.0"]),
        (["explain", "--expr", "2*3"], ["no variables", "nothing to differentiate"]),
        (["explain", "--expr", "2*3", "x=1"], ["nothing to differentiate"]),
        (["graph", "--out", "g.svg", "--expr", "log(x)", "x=nan"], ["x = nan", "finite"]),
        (["graph", "--out", "g.svg", "--expr", "log(x)", "x=inf"], ["x = inf", "finite"]),
        (["graph", "--out", "g.svg", "--expr", "x" + "**x" * 3000, "x=1"], ["limit is 500"]),
        (["graph", "--out", "g.svg", "--expr", "x" + "+x" * 2000, "x=1"], ["limit is 500"]),
        (["graph", "--out", "g.svg", "--expr", ""], ["empty expression"]),
        (["graph", "--out", "g.svg", "--expr", "x*ｘ", "x=1", "ｘ=2"], ["same name"]),
        (["graph", "--out", "g.svg", "--expr", "x", "=1"], ["expected NAME=NUMBER"]),
        (["graph", "--out", "g.svg", "--expr", "x*1e308*10", "x=1"], ["expression is inf at x=1.0", "too large"]),
        (["explain", "--expr", "x*y", "x=1e300", "y=1e300"], ["is inf", "too large"]),  # printed "= inf"
    ],
)
def test_rough_edges_are_one_line_errors(args, words, tmp_path):
    result = cli(*args, cwd=tmp_path)
    assert_one_line_error(result, *words)
    assert list(tmp_path.iterdir()) == []


def test_a_variable_named_like_explains_generated_names_stays_itself():
    """explain names long subexpressions n1, n2, ...: a variable called n1 was shadowed by one (a wrong formula)."""
    from micrograd_lite.explain import derive, evaluate

    text = "tanh(exp(x*w + n1*x) + sigmoid(x*w*w + 3*n1)) * n1"
    root = parse_expression(text, {"x": 0.5, "w": 2.0, "n1": 0.3})
    root.backward()
    (n1,) = [leaf for leaf in _leaves(root) if leaf.label == "n1"]
    derivation = derive(root, n1)
    assert derivation.definitions and "n1" not in dict(derivation.definitions)
    formula = evaluate(derivation, root)
    h = 1e-6  # an independent reference: a central difference of the forward value
    shifted = [parse_expression(text, {"x": 0.5, "w": 2.0, "n1": 0.3 + d}).data for d in (h, -h)]
    assert math.isclose(formula, (shifted[0] - shifted[1]) / (2 * h), rel_tol=1e-6)


def _leaves(root):
    from micrograd_lite import leaves

    return leaves(root)


def test_errors_about_very_long_names_stay_short(tmp_path):
    name = "y" * 3000
    result = cli("graph", "--out", "g.svg", "--expr", f"{name} + z", f"{name}=1", cwd=tmp_path)
    assert_one_line_error(result, "unknown name 'z'")
    assert len(result.stderr) < 400  # the 3,000-letter name was repeated twice over


def test_a_variable_named_f_is_not_confused_with_the_result(tmp_path):
    result = cli("explain", "--expr", "f*f + x", "f=3", "x=1", "--wrt", "f", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("∂f_1/∂f ="), result.stdout  # was "∂f/∂f = ... = (1 + 1) · f"
    assert "= 6.0  (computed by backward())" in result.stdout


def test_unicode_variables_on_the_command_line(tmp_path):
    result = cli("explain", "--expr", "ｘ*ｙ + ｙ", "ｘ=2", "ｙ=3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # ∂/∂ｘ = ｙ = 3, ∂/∂ｙ = ｘ + 1 = 3
    assert result.stdout.count("= 3.0  (computed by backward())") == 2, result.stdout
    assert "ｘ" in result.stdout and "ｙ" in result.stdout  # the derivations keep the names as typed


def test_an_unexpected_error_is_still_one_line(tmp_path):
    not_a_zip = tmp_path / "mine.xlsx"
    not_a_zip.write_text("not a workbook")
    result = cli("sheet", "--compare", str(not_a_zip))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_message_of_several_lines_is_printed_on_one():
    from micrograd_lite.cli import one_line

    assert one_line(RuntimeError("dot failed:\n  Error: layout\n\n  (code 1)")) == "dot failed: Error: layout (code 1)"
    assert one_line(MemoryError()) == "MemoryError"  # no message: its type


def test_a_closed_pipe_ends_quietly():
    """`micrograd-lite ... | head`: the reader has gone, which is not an error worth a message."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # every write now fails with a broken pipe
    try:
        writer = subprocess.run(
            [sys.executable, "-m", "micrograd_lite", "explain", "--trace"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
        )
    finally:
        os.close(write_end)
    assert writer.returncode == 141 and writer.stderr == "", writer.stderr


# ----------------------------------------------------------------------
# No ResourceWarning from any command, under python -X dev.
# ----------------------------------------------------------------------


def test_the_resource_warning_check_can_fail(tmp_path):
    """The same flags do report a file left open, so the test below can see one."""
    code = "f = open(__import__('sys').executable, 'rb'); del f"
    result = subprocess.run(
        [sys.executable, "-X", "dev", "-W", "error::ResourceWarning", "-c", code], capture_output=True, text=True
    )
    assert "ResourceWarning" in result.stderr


def test_no_command_leaves_a_file_or_process_open(tmp_path):
    commands = [
        ["graph", "--out", "g.svg"],
        ["graph", "--out", "g.png", "--expr", "tanh(x*w + b)", "x=1", "w=2", "b=3"],
        ["sheet", "--epochs", "3", "--csv", "s.csv", "--xlsx", "s.xlsx", "--check"],
        ["sheet", "--compare", "s.csv"],
        ["sheet", "--compare", "s.xlsx"],
        ["sweep", "--epochs", "3", "--out", "l.png"],
        ["compile", "--show"],
        ["explain", "--wrt", "w5", "--trace", "--trace-csv", "t.csv", "--trace-md", "t.md", "--html", "t.html"],
        ["explain", "--expr", "x*y", "x=1", "y=2", "--frames", "frames"],
        ["demo", "--out", "out", "--epochs", "3"],
        ["graph", "--out", "g.jpg"],  # and the error paths
        ["sheet", "--compare", "no-such-file.csv"],
    ]
    for args in commands:
        result = cli(*args, cwd=tmp_path, python_options=("-X", "dev", "-W", "error::ResourceWarning"))
        assert "ResourceWarning" not in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr, (args, result.stderr)
        assert result.returncode == (2 if args[-1] in ("g.jpg", "no-such-file.csv") else 0), (args, result.stderr)


# ----------------------------------------------------------------------
# What an adversarial pass over issues 11-15 found (were test_adversarial.py), one test per defect.
# ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["demo", "--epochs", "2", "--out="],  # wrote every demo file into the current folder
        ["graph", "--out="],
        ["explain", "--expr", "x*2", "x=1", "--trace-csv="],  # these four exited 0 having written nothing
        ["explain", "--expr", "x*2", "x=1", "--trace-md="],
        ["explain", "--expr", "x*2", "x=1", "--html="],
        ["explain", "--expr", "x*2", "x=1", "--frames="],
        ["hessian", "--expr", "x*x", "x=1", "--csv="],  # printed "wrote ''"
    ],
    ids=lambda args: args[0] + " " + args[-1],
)
def test_an_empty_output_name_is_refused_by_every_command(args, tmp_path):
    result = cli(*args, cwd=tmp_path)
    assert_one_line_error(result, "output file name is empty")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args",
    [["graph", "--out", "g.svg", "--precision", "1000"], ["hessian", "--digits", "18"]],
    ids=["graph", "hessian"],
)
def test_more_digits_than_a_float_holds_are_refused(args, tmp_path):
    """--precision 1000 drew w5 as 0.40000000000000002220446049250313080847263336181640625: binary noise, not data."""
    result = cli(*args, cwd=tmp_path)
    assert_one_line_error(result, "at most 17", "a float holds 17 significant digits")
    assert list(tmp_path.iterdir()) == []
