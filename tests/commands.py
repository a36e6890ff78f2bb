"""Running the command line as a user does, and what every failure must look like: one line, exit status 2."""

import subprocess
import sys


def cli(*args, cwd=None, python_options=()):
    """Run the command line as a user would; returns the CompletedProcess."""
    return subprocess.run(
        [sys.executable, *python_options, "-m", "micrograd_lite", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
    )


def assert_one_line_error(result, *words):
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("micrograd-lite: error:"), result.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
