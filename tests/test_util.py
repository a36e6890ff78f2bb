"""The workbook and the figure: read back, sizes, and nothing half-written."""

import shutil
import struct
import subprocess

import pytest

from micrograd_lite import sheet as course
from micrograd_lite.plots import plot_loss_curves
from micrograd_lite.util import check_writable, write_atomically
from micrograd_lite.workbook import read_workbook_rows, write_workbook

ROWS = course.train(0.5, 30)


def test_workbook_reads_back_with_inputs_block_formulas_table_and_chart(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    path = write_workbook(tmp_path / "sheet.xlsx", ROWS, 0.5)
    table = read_workbook_rows(path)
    block = {r[0]: r[1] for r in table[:25] if r and r[0] and len(r) > 1}
    assert block["learning rate"] == 0.5 and block["i1"] == 0.05 and block["initial w8"] == 0.55
    text = "\n".join(str(c) for r in table for c in r if c)
    assert "∂E_total/∂w5 = (a_o1 - t1) * a_o1*(1 - a_o1) * a_h1" in text
    assert course.read_sheet(path) == [{c: float(r[c]) for c in course.COLUMNS} for r in ROWS]
    ws = openpyxl.load_workbook(path).active
    assert len(ws._charts) == 1


def test_workbook_opens_in_libreoffice_headless(tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (the read-back test above still runs)")
    path = write_workbook(tmp_path / "sheet.xlsx", ROWS, 0.5)
    subprocess.run(
        [soffice, "--headless", "--convert-to", "csv", "--outdir", str(tmp_path), str(path)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    assert "E_total" in (tmp_path / "sheet.csv").read_text()


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_loss_figure_is_a_png_of_the_expected_size(tmp_path):
    curves = course.sweep(course.LEARNING_RATES, 20)
    plot_loss_curves(curves, tmp_path / "loss.png")
    plot_loss_curves(curves, tmp_path / "loss_log.png", log_scale=True)
    assert png_size(tmp_path / "loss.png") == (800, 500)
    assert png_size(tmp_path / "loss_log.png") == (800, 500)
    assert (tmp_path / "loss.png").read_bytes() != (tmp_path / "loss_log.png").read_bytes()


def test_write_atomically_leaves_nothing_on_failure(tmp_path):
    class Boom(bytes):
        pass

    target = tmp_path / "x.bin"
    write_atomically(target, b"first")
    with pytest.raises(TypeError):
        write_atomically(target, "not bytes")  # fails while writing
    assert target.read_bytes() == b"first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.bin"]


def test_check_writable(tmp_path):
    check_writable([tmp_path / "ok.csv"])
    with pytest.raises(FileNotFoundError, match="no directory"):
        check_writable([tmp_path / "missing" / "x.csv"])
    with pytest.raises(IsADirectoryError):
        check_writable([tmp_path])
