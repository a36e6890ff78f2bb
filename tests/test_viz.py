import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from micrograd_lite import Value, topological_order
from micrograd_lite.course import WEIGHT_NAMES, build_network
from micrograd_lite.errors import GraphvizNotFound
from micrograd_lite.util import format_number
from micrograd_lite.viz import draw_dot, render_graph

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG = "{http://www.w3.org/2000/svg}"


def small_graph():
    x, w, b = Value(0.5, "x"), Value(-3.0, "w"), Value(2.0, "b")
    y = (x * w + b).tanh()
    y.label = "y"
    y.backward()
    return y


def has_op(source, op):
    """An operation node labelled ``op`` (graphviz quotes a label only when it must)."""
    return re.search(rf'_op \[label=("{re.escape(op)}"|{re.escape(op)}) ', source) is not None


def svg_node_titles(path):
    root = ET.parse(path).getroot()
    return [g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g") if g.get("class") == "node"]


def test_dot_source_holds_every_value_and_gradient():
    y = small_graph()
    source = draw_dot(y).source
    for node in topological_order(y):
        assert f"data {format_number(node.data)}" in source
        assert f"grad {format_number(node.grad)}" in source
    for op in ("*", "+", "tanh"):
        assert has_op(source, op)
    assert "{ x | data 0.5 | grad" in source


def test_options_precision_rankdir_hide_grad_and_styles():
    y = small_graph()
    assert "data 0.4621" in draw_dot(y).source
    assert "data 0.46211716" in draw_dot(y, precision=8).source
    assert "rankdir=TB" in draw_dot(y, rankdir="TB").source
    assert "grad" not in draw_dot(y, show_grad=False).source
    w = y.children[0].children[0].children[1]
    source = draw_dot(y, params=[w]).source
    assert "#c9e7ff" in source and "#ffe08a" in source and "#e6f5d0" in source
    with pytest.raises(ValueError, match="rankdir"):
        draw_dot(y, rankdir="XY")


def test_power_ops_are_named_as_written():
    x = Value(2.0, "x")
    source = draw_dot(x**2 + (x**0.5).exp() + x.sigmoid()).source
    for op in ("**2", "**0.5", "exp", "sigmoid"):
        assert has_op(source, op)


def test_node_limit_fails_with_a_clear_message():
    node = Value(1.0)
    for _ in range(50):
        node = node * 1.0
    with pytest.raises(ValueError, match="101 values, more than max_nodes=20"):
        draw_dot(node, max_nodes=20)
    assert draw_dot(node, max_nodes=None)


def test_real_render_gives_valid_svg_with_one_node_per_value_and_op(tmp_path):
    network = build_network()
    network["E_total"].backward()
    root = network["E_total"]
    order = topological_order(root)
    n_ops = sum(1 for n in order if n.children)
    path = render_graph(root, tmp_path / "network.svg", params=[network[w] for w in WEIGHT_NAMES])
    titles = svg_node_titles(path)
    assert len(titles) == len(order) + n_ops
    text = path.read_text()
    for name in ("i1", "w1", "h1", "a_h1", "o1", "a_o1", "E1", "E_total"):
        assert f">{name}<" in text


def test_png_and_pdf_render(tmp_path):
    png = render_graph(small_graph(), tmp_path / "g.png")
    assert png.read_bytes().startswith(PNG_SIGNATURE)
    pdf = render_graph(small_graph(), tmp_path / "g.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    dot = render_graph(small_graph(), tmp_path / "g.dot")
    assert dot.read_text().startswith("digraph")
    with pytest.raises(ValueError, match="unsupported file type '.jpg'"):
        render_graph(small_graph(), tmp_path / "g.jpg")
    assert not (tmp_path / "g.jpg").exists()


def test_a_graph_of_thousands_of_nodes_renders(tmp_path):
    xs = [Value(i / 700, f"x{i}") for i in range(700)]
    total = xs[0]
    for x in xs[1:]:
        total = total + x.tanh()  # 700 leaves + 699 tanh + 699 adds
    total.backward()
    n_values = len(topological_order(total))
    assert n_values >= 2000
    path = render_graph(total, tmp_path / "big.svg", rankdir="TB")
    assert len(svg_node_titles(path)) == n_values + 2 * 699


def test_missing_dot_says_how_to_install_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    target = tmp_path / "g.svg"
    with pytest.raises(GraphvizNotFound) as info:
        render_graph(small_graph(), target)
    message = str(info.value)
    assert "apt-get install graphviz" in message and "brew install graphviz" in message and "conda" in message
    assert ".source" in message
    assert not target.exists() and os.listdir(tmp_path) == []
    # the DOT source needs no dot program
    assert render_graph(small_graph(), tmp_path / "g.dot").exists()


def test_jupyter_display_is_svg_and_lazy():
    bundle = small_graph()._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith(("<?xml", "<svg"))
    assert bundle["text/plain"].startswith("Value(")
    # importing the engine does not import graphviz
    code = "import sys, micrograd_lite; micrograd_lite.Value(1.0) + 2; print('graphviz' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


def test_jupyter_display_falls_back_to_text_without_dot(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert set(small_graph()._repr_mimebundle_()) == {"text/plain"}


def test_record_labels_are_escaped():
    v = Value(1.0, "a|b{c}")
    source = draw_dot(v * 2).source
    assert re.search(r"a\\\|b\\\{c\\\}", source)
