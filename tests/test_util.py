"""Files: nothing half-written, symlinks and permissions kept, short temporary names; the loss figure."""

import os
import struct

import pytest

from micrograd_lite import course
from micrograd_lite.util import check_writable, write_atomically


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_loss_figures_log_with_a_panel_for_huge_rates_and_linear(tmp_path):
    pytest.importorskip("matplotlib")
    curves = course.sweep(course.LEARNING_RATES, 20)
    course.plot_loss_curves(curves, tmp_path / "loss.png")
    course.plot_loss_curves(curves, tmp_path / "loss_linear.png", layout="linear")
    assert png_size(tmp_path / "loss.png") == png_size(tmp_path / "loss_linear.png") == (800, 500)
    assert (tmp_path / "loss.png").read_bytes() != (tmp_path / "loss_linear.png").read_bytes()
    svg = tmp_path / "loss.svg"
    course.plot_loss_curves(curves, svg)
    text = svg.read_text()
    assert "E_total did not fall:" in text and "it ends at or above its start" in text  # lr = 1000's own panel
    with pytest.raises(ValueError, match="layout must be one of log, linear"):
        course.plot_loss_curves(curves, tmp_path / "x.png", layout="loglog")


def test_write_atomically_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "x.bin"
    write_atomically(target, b"first")
    with pytest.raises(TypeError):
        write_atomically(target, "not bytes")  # fails while writing
    assert target.read_bytes() == b"first"

    def chunks():
        yield b"half"
        raise KeyboardInterrupt  # an interrupted stream of rows

    with pytest.raises(KeyboardInterrupt):
        write_atomically(target, chunks())
    assert target.read_bytes() == b"first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.bin"]


def test_write_atomically_keeps_a_symlink_and_the_mode(tmp_path):
    real = tmp_path / "real.csv"
    real.write_bytes(b"old")
    os.chmod(real, 0o600)
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    write_atomically(link, b"new")
    assert link.is_symlink() and real.read_bytes() == b"new"
    assert oct(os.stat(real).st_mode & 0o777) == oct(0o600)


def test_write_atomically_new_file_follows_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        write_atomically(tmp_path / "new.csv", b"x")
    finally:
        os.umask(old)
    assert oct(os.stat(tmp_path / "new.csv").st_mode & 0o777) == oct(0o640)


def test_a_long_valid_name_works_and_errors_never_show_the_temporary_name(tmp_path):
    name = "e" * 251 + ".csv"  # 255 bytes: the longest name the file system allows
    write_atomically(tmp_path / name, b"ok")
    assert (tmp_path / name).read_bytes() == b"ok"
    with pytest.raises(OSError) as error:
        write_atomically(tmp_path / "missing" / name, b"x")
    assert str(error.value) == f"cannot write {tmp_path / 'missing' / name}: No such file or directory"
    (tmp_path / "folder").mkdir()
    with pytest.raises(OSError) as error:  # fails at the rename, after the temporary file was written
        write_atomically(tmp_path / "folder", b"x")
    assert str(error.value) == f"cannot write {tmp_path / 'folder'}: Is a directory"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, "folder"])


def test_check_writable(tmp_path):
    check_writable([tmp_path / "ok.csv"])
    with pytest.raises(FileNotFoundError, match="no directory"):
        check_writable([tmp_path / "missing" / "x.csv"])
    with pytest.raises(IsADirectoryError):
        check_writable([tmp_path])
    with pytest.raises(ValueError, match="empty"):
        check_writable([""])


def test_the_panel_of_rates_that_do_not_converge_is_decided_by_the_run(tmp_path):
    """Issue 19: a constant sent lr >= 10 there, but 10, 20 and 50 reach E_total = 0 in 100 epochs."""
    pytest.importorskip("matplotlib")
    from micrograd_lite.course.plots import did_not_fall

    curves = course.sweep([0.5, 10, 20, 50, 100, 1000], 100)
    assert [lr for lr, losses in curves.items() if did_not_fall(losses)] == [1000]
    assert curves[1000][-1] >= curves[1000][0] and all(curves[lr][-1] < 1e-6 for lr in (10, 20, 50))
    course.plot_loss_curves(curves, tmp_path / "loss.svg")
    text = (tmp_path / "loss.svg").read_text()
    assert "E_total did not fall:" in text and "E_total falls" in text
    # a rate whose loss rises, at any size, goes there; when every loss falls there is one panel and no titles
    course.plot_loss_curves({0.01: [0.3, 0.2], 0.02: [0.3, 0.4]}, tmp_path / "rising.svg")
    assert "E_total did not fall:" in (tmp_path / "rising.svg").read_text()
    course.plot_loss_curves({5000.0: [0.3, 0.2]}, tmp_path / "falling.svg")
    assert "did not fall" not in (tmp_path / "falling.svg").read_text()
    assert "E_total falls" not in (tmp_path / "falling.svg").read_text()


def test_install_hints_name_the_clone_from_a_clone_and_the_published_name_elsewhere(tmp_path, monkeypatch):
    """Issue 19: the hints named `micrograd-lite[graphviz]`, a name not on the package index, to users of a clone."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    from micrograd_lite.util import install_command

    clone = Path(__file__).resolve().parent.parent
    monkeypatch.chdir(clone)
    assert install_command("graphviz") == "pip install -e '.[graphviz]'"
    monkeypatch.chdir(tmp_path)
    assert install_command("plots,spreadsheets") == f"pip install -e '{clone}[plots,spreadsheets]'"
    # installed as from a wheel: the package alone in site-packages, no pyproject.toml beside it
    site = tmp_path / "site-packages"
    shutil.copytree(clone / "micrograd_lite", site / "micrograd_lite")
    code = "import sys; sys.modules['matplotlib'] = None\nfrom micrograd_lite.course.plots import _pyplot\n_pyplot()"
    env = dict(os.environ, PYTHONPATH=str(site))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert "site-packages" in result.stderr  # the copy ran, not the clone
    assert result.stderr.strip().endswith("plotting needs matplotlib: pip install 'micrograd-lite[plots]'")


# ----------------------------------------------------------------------
# What an adversarial pass over issues 11-15 found (were test_adversarial.py), one test per defect.
# ----------------------------------------------------------------------


def test_an_output_that_is_a_fifo_or_device_is_written_in_place_not_replaced(tmp_path):
    """The atomic rename replaced a FIFO (and, run as root, /dev/null itself) with a regular file."""
    import os
    import stat
    import threading

    from micrograd_lite.util import check_writable, write_atomically

    fifo = tmp_path / "out.csv"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    check_writable([fifo])
    write_atomically(fifo, (chunk for chunk in [b"epoch,", b"E_total\n"]))
    reader.join(timeout=10)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and received == [b"epoch,E_total\n"]
    assert list(tmp_path.iterdir()) == [fifo]
