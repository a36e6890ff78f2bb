"""The example notebooks run top to bottom, and show what they promise (graphs, the stepper)."""

import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")  # the dev extra brings nbformat, nbclient and ipykernel
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "examples").glob("*.ipynb"))


def run_notebook(path: Path, cwd: Path):
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3")
    client.execute(cwd=str(cwd))
    return notebook


def outputs(notebook, mime: str) -> list[str]:
    return [
        output["data"][mime]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if mime in output.get("data", {})
    ]


def test_there_are_the_four_notebooks():
    names = [p.name for p in NOTEBOOKS]
    assert names == ["01_first_gradient.ipynb", "03_course_sheet.ipynb", "06_stepper.ipynb", "07_training.ipynb"]
    for path in NOTEBOOKS:  # committed without outputs: the tests make them
        assert all(not cell.get("outputs") for cell in nbformat.read(path, as_version=4).cells)


def test_first_gradient_shows_graphs_before_and_after_backward(tmp_path):
    notebook = run_notebook(ROOT / "examples" / "01_first_gradient.ipynb", tmp_path)
    graphs = outputs(notebook, "image/svg+xml")
    assert len(graphs) == 3
    assert ">grad 0<" in graphs[0] and ">grad &#45;2.359<" not in graphs[0]
    assert ">grad &#45;2.359<" in graphs[1]  # dy/dx = (1 − y²)·w after backward
    assert "0.5 *" in graphs[2] and "E = ½(t − a)²" in graphs[2] and ">grad 0.25<" in graphs[2]  # ∂E/∂a = a − t


def test_course_sheet_shows_the_network_and_the_formula(tmp_path):
    notebook = run_notebook(ROOT / "examples" / "03_course_sheet.ipynb", tmp_path)
    (network,) = outputs(notebook, "image/svg+xml")
    assert "epoch 0 (learning rate 0.5)" in network and ">a_h1<" in network
    text = "".join(o.get("text", "") for cell in notebook.cells for o in cell.get("outputs", []))
    assert "epoch 0:  E_total = 0.014181378" in text and "(a_o1 − t1) · a_o1 · (1 − a_o1) · a_h1" in text


def test_stepper_is_shown_inline(tmp_path):
    notebook = run_notebook(ROOT / "examples" / "06_stepper.ipynb", tmp_path)
    (page,) = outputs(notebook, "text/html")
    assert page.startswith("<iframe srcdoc=") and "trace-data" in page and "&lt;svg" in page
    assert "| 1 | E_total | + | 1.0 | E1 |" in outputs(notebook, "text/markdown")[0]


def test_training_trains_and_shows_the_page_inline(tmp_path):
    notebook = run_notebook(ROOT / "examples" / "07_training.ipynb", tmp_path)
    (page,) = outputs(notebook, "text/html")
    assert page.startswith("<iframe srcdoc=") and "Watch it learn" in page and "&lt;svg" in page
    text = "".join(o.get("text", "") for cell in notebook.cells for o in cell.get("outputs", []))
    loss = re.search(r"training loss ([\d.]+) -> ([\d.]+), test accuracy ([\d.]+)%", text)
    assert loss and float(loss[2]) < float(loss[1]) / 3 and float(loss[3]) > 90
    assert "[-0.0474, 0.0474]" in text  # softmax(2, -1) - (1, 0) = (-e^-3/(1+e^-3), e^-3/(1+e^-3))
    (graph,) = outputs(notebook, "image/svg+xml")
    assert ">max<" in graph and ">loss<" in graph and "exp" in graph
