"""The course commands: sheet (streamed, bounded, checked), sheet --compare, sweep and demo."""

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from micrograd_lite import course
from micrograd_lite.cli import main
from micrograd_lite.cli.sheet import DEMO_NEEDS
from micrograd_lite.cli.terminal import progress
from tests.commands import assert_one_line_error, cli

ERROR = "micrograd-lite: error:"


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "micrograd_lite", *args], capture_output=True, text=True, cwd=cwd)


def test_sheet_prints_a_table_and_writes_csv_and_xlsx(tmp_path, capsys):
    csv_path, xlsx_path = tmp_path / "s.csv", tmp_path / "s.xlsx"
    args = ["sheet", "--lr", "2", "--epochs", "12", "--csv", str(csv_path), "--xlsx", str(xlsx_path), "--check"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "E_total" in out and "largest disagreement" in out
    expected = [{c: float(r[c]) for c in course.COLUMNS} for r in course.train(2.0, 12)]
    assert [t.rows for t in course.read_tables(csv_path)] == [expected]
    assert [t.rows for t in course.read_tables(xlsx_path)] == [expected]


def test_the_table_fits_80_columns_and_never_cuts_a_number_short(capsys):
    assert main(["sheet", "--epochs", "30"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= 80
    row = next(line for line in lines if line.split()[0] == "0")
    assert "0.014181" in row and "…" not in row  # E_total at epoch 0, to 5 significant digits


def test_a_long_run_prints_a_bounded_table_and_streams_its_csv(tmp_path, capsys):
    path = tmp_path / "long.csv"
    assert main(["sheet", "--epochs", "3000", "--csv", str(path)]) == 0
    out = capsys.readouterr().out
    assert len(out.splitlines()) < 30 and "(2980 rows not shown: --csv writes every row)" in out
    assert " 2999 " in out
    (table,) = course.read_tables(path)
    assert len(table.rows) == 3000 and table.rows[-1]["epoch"] == 2999


def test_progress_bar_only_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal, pipe = Terminal(), io.StringIO()
    assert list(progress(range(20_000), 20_000, "epochs", stream=terminal)) == list(range(20_000))
    assert list(progress(range(20_000), 20_000, "epochs", stream=pipe)) == list(range(20_000))
    assert "10000/20000 epochs" in terminal.getvalue() and pipe.getvalue() == ""


@pytest.mark.parametrize(
    "args, words",
    [
        (["sheet", "--epochs", "10000000", "--xlsx", "s.xlsx"], ["at most 100000 epochs", "--csv streams"]),
        (["sheet", "--epochs", "100000000000000", "--csv", "s.csv"], ["GB free"]),
        (["sweep", "--epochs", "10000000"], ["more than 2000000 points"]),
        (["sheet", "--csv", ""], ["--csv", "empty"]),
        (["sheet", "--xlsx", " "], ["--xlsx", "empty"]),
        (["sweep", "--out", ""], ["--out", "empty"]),
        (["sheet", "--compare", "x.csv", "--csv", "y.csv"], ["writes nothing", "--csv"]),
        (["sheet", "--compare", "missing.xlsx"], ["missing.xlsx: no such file"]),
        (["sheet", "--compare", "missing.csv"], ["missing.csv: no such file"]),
    ],
)
def test_refusals_are_one_line_exit_2_before_any_work(args, words, tmp_path):
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(ERROR), result.stderr
    assert all(word in lines[0] for word in words), lines[0]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", ["text", "empty", "zip"])
def test_compare_on_files_that_are_not_workbooks(kind, tmp_path):
    path = tmp_path / "mine.xlsx"
    if kind == "text":
        path.write_text("epoch,t1\n0,0.5\n")
    elif kind == "zip":
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("a.txt", "hello")
    else:
        path.write_bytes(b"")
    result = run("sheet", "--compare", str(path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"{ERROR} {path}: ")


def test_compare_a_csv_with_a_short_row_and_one_that_is_not_utf8(tmp_path):
    path = tmp_path / "mine.csv"
    course.write_csv(path, course.train(0.5, 4))
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines[:2], lines[2][:40], *lines[3:]]) + "\n")
    result = run("sheet", "--compare", str(path))
    assert result.returncode == 2 and f"{path}: row 3 has no number for " in result.stderr
    path.write_bytes("epoch,t1\nété,1\n".encode("cp1252"))
    result = run("sheet", "--compare", str(path))
    assert result.returncode == 2 and f"{path}: not UTF-8 text" in result.stderr


def test_compare_exit_status_is_like_diff(tmp_path, capsys):
    path = tmp_path / "mine.csv"
    rows = course.train(0.5, 3)
    course.write_csv(path, rows)
    assert main(["sheet", "--compare", str(path)]) == 0
    assert "mine.csv: all 3 rows agree with the engine (η = 0.5 from the first update" in capsys.readouterr().out
    rows[1]["a_o2"] += 1e-5
    course.write_csv(path, rows)
    assert main(["sheet", "--compare", str(path)]) == 1
    out = capsys.readouterr().out
    assert "first wrong row: row 3 (step 1)" in out and "a_o2 (U3): yours " in out


def test_compare_help_states_the_tolerance():
    out = run("sheet", "--help").stdout
    assert "10 significant digits" in out and "1e-07 relative" in out and "exit status 0" in out


def test_sweep_writes_the_figure_and_prints_final_losses(tmp_path, capsys):
    out = tmp_path / "loss.png"
    assert main(["sweep", "--lrs", "0.1", "2", "1000", "--epochs", "20", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "1000" in printed and "0.249997" in printed
    assert out.read_bytes()[:4] == b"\x89PNG"
    assert main(["sweep", "--epochs", "5", "--linear", "--out", str(tmp_path / "lin.svg")]) == 0


def test_demo_writes_every_file_and_says_where(tmp_path):
    result = run("demo", "--out", str(tmp_path / "out"), "--epochs", "20")
    assert result.returncode == 0, result.stderr
    expected = ["sheet.csv", "sheet.xlsx", "loss_curves.png", "loss_curves_linear.png", "network.svg", "network.png"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(expected)
    for name in expected:
        assert name in result.stdout
    assert all(r.agrees for r in course.check_file(tmp_path / "out" / "sheet.xlsx"))


def test_a_plain_install_runs_sheet_csv_and_compares_a_csv(tmp_path):
    """No extras at all (no rich, xlsxwriter, python-calamine, matplotlib): the CSV side still works."""
    blocked = ["rich", "xlsxwriter", "python_calamine", "matplotlib", "openpyxl", "graphviz"]
    script = (
        "import sys\n"
        f"for name in {blocked!r}: sys.modules[name] = None  # as if never installed\n"
        "from micrograd_lite.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    plain = [sys.executable, "-c", script]
    result = subprocess.run(
        [*plain, "sheet", "--epochs", "5", "--csv", "s.csv"], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "E_total" in result.stdout and (tmp_path / "s.csv").stat().st_size > 0
    result = subprocess.run([*plain, "sheet", "--compare", "s.csv"], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0 and "all 5 rows agree" in result.stdout, result.stderr
    result = subprocess.run([*plain, "sheet", "--xlsx", "s.xlsx"], capture_output=True, text=True, cwd=tmp_path)
    clone = Path(__file__).resolve().parent.parent  # run from a clone, the hint installs the clone
    assert result.returncode == 2 and f"pip install -e '{clone}[spreadsheets]'" in result.stderr
    assert not (tmp_path / "s.xlsx").exists()


def test_an_interrupted_long_run_leaves_no_file_and_no_temporary_file(tmp_path):
    import signal
    import time

    process = subprocess.Popen(
        [sys.executable, "-m", "micrograd_lite", "sheet", "--epochs", "5000000", "--csv", "long.csv"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not any(tmp_path.iterdir()) and time.monotonic() < deadline:  # wait until rows are being written
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130 and err.strip() == "micrograd-lite: interrupted"
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------
# Issue 13's adversarial inputs (were test_hardening.py): each case once crashed, hung or was silently accepted.
# ----------------------------------------------------------------------


def test_demo_into_an_existing_file_says_so(tmp_path):
    (tmp_path / "out").write_text("mine")
    result = cli("demo", "--out", "out", "--epochs", "2", cwd=tmp_path)
    assert_one_line_error(result, "--out out", "a file of that name exists")  # was "[Errno 17] File exists"
    assert (tmp_path / "out").read_text() == "mine"


# ----------------------------------------------------------------------
# demo on a plain install names every missing extra at once (defect 11).
# ----------------------------------------------------------------------

BLOCK_IMPORTS = """
import sys
for name in sys.argv[1].split(","):
    sys.modules[name] = None  # `import name` now fails as if it were not installed
from micrograd_lite.cli import main
sys.exit(main(sys.argv[2:]))
"""


def run_demo_without(modules, tmp_path, path=None):
    env = dict(os.environ, PATH=os.environ["PATH"] if path is None else path)
    return subprocess.run(
        [sys.executable, "-c", BLOCK_IMPORTS, ",".join(modules), "demo", "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env=env,
    )


def test_demo_names_every_missing_extra_and_dot_at_once_before_any_work(tmp_path):
    result = run_demo_without([module for module, _ in DEMO_NEEDS], tmp_path, path=str(tmp_path))  # no dot on PATH
    # from this clone the hint installs the clone; its pictures need the dot program, not the graphviz package
    assert_one_line_error(result, "matplotlib, xlsxwriter not installed: pip install -e '.[plots,spreadsheets]'", "dot")
    assert result.stdout == ""  # no work done
    assert not (tmp_path / "out").exists()  # and no empty folder left behind


def test_demo_names_only_what_is_missing(tmp_path):
    result = run_demo_without(["xlsxwriter"], tmp_path)
    assert_one_line_error(result, "xlsxwriter not installed: pip install -e '.[spreadsheets]'")
    assert "matplotlib" not in result.stderr and "dot" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_demo_needs_match_the_modules_own_imports(tmp_path):
    """DEMO_NEEDS restates what plots, viz and workbook import: blocking each must fail there with the same extra."""
    getters = {
        "matplotlib": "micrograd_lite.course.plots._pyplot",
        "xlsxwriter": "micrograd_lite.course.workbook.require_xlsxwriter",
    }
    assert set(getters) == {module for module, _ in DEMO_NEEDS}
    for module, extra in DEMO_NEEDS:
        owner, getter = getters[module].rsplit(".", 1)
        code = f"import sys; sys.modules[{module!r}] = None\nimport {owner} as owner\nowner.{getter}()"
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert f"pip install -e '.[{extra}]'" in result.stderr, (module, result.stderr)


# ----------------------------------------------------------------------
# What an adversarial pass over issues 11-15 found (were test_adversarial.py), one test per defect.
# ----------------------------------------------------------------------


def test_the_sheet_can_be_written_to_standard_output(tmp_path):
    """`--csv /dev/stdout` failed: the free-space check and the temporary file looked for the folder /proc/N/fd."""
    import subprocess
    import sys

    command = [sys.executable, "-m", "micrograd_lite", "sheet", "--epochs", "2", "--csv", "/dev/stdout"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "epoch,t1,t2,i1,i2,w1" in result.stdout and "\n1,0.5,0.5,0.05,0.1," in result.stdout


@pytest.mark.parametrize("name", ["sheet.xls", "sheet.ods", "sheet"])
def test_the_workbook_is_refused_under_a_name_that_says_another_format(name, tmp_path):
    """--xlsx sheet.xls wrote an .xlsx under an .xls name: Excel warns that the format and extension differ."""
    result = cli("sheet", "--epochs", "2", "--xlsx", name, cwd=tmp_path)
    assert_one_line_error(result, f"--xlsx {name}", "name it sheet.xlsx")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["l", "x.xyz", "loss.png.", "loss.jpg"])
def test_sweep_refuses_a_figure_name_it_cannot_write_before_training(name, tmp_path, monkeypatch, capsys):
    """--out l wrote a PNG named l; --out x.xyz trained every learning rate and only then failed."""
    from micrograd_lite import cli as command_line
    from micrograd_lite import course

    def no_training(*args, **kwargs):
        raise AssertionError("trained before the name was checked")

    monkeypatch.setattr(course, "iter_rows", no_training)
    monkeypatch.chdir(tmp_path)
    assert command_line.main(["sweep", "--epochs", "5", "--out", name]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"micrograd-lite: error: {name}: ") and error.count("\n") == 1, error
    assert "a figure file's name ends in .png, .svg, .pdf" in error
    assert list(tmp_path.iterdir()) == []


def test_a_long_csv_shows_progress_on_a_terminal_while_it_is_read_and_checked(tmp_path, monkeypatch, capsys):
    """A 99,999-row CSV took 6 s with no sign of life; the bar is the one `sheet --epochs` shows, then cleared."""
    import io
    import sys

    from micrograd_lite import cli as command_line
    from micrograd_lite import course

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    course.write_csv(tmp_path / "long.csv", course.train(0.5, 10_000))
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert command_line.main(["sheet", "--compare", str(tmp_path / "long.csv")]) == 0
    shown = terminal.getvalue()
    assert "0/10000 rows read of " in shown and "9950/10000 rows checked of " in shown, shown[-300:]
    assert shown.endswith("\r") and shown.rsplit("\r", 2)[1].strip() == ""  # the last bar is erased
    assert "all 10000 rows agree" in capsys.readouterr().out
