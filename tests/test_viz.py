import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from micrograd_lite import Value, topological_order
from micrograd_lite.cli import main
from micrograd_lite.course import WEIGHT_NAMES, build_network
from micrograd_lite.errors import GraphvizFailed, GraphvizNotFound
from micrograd_lite.notation import format_number
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


def fake_failing_dot(folder):
    """A `dot` that fails as a broken install does (plugins not found)."""
    folder.mkdir()
    dot = folder / "dot"
    dot.write_text('#!/bin/sh\necho "Warning: Could not load \\"libgvplugin_core.so.6\\"" >&2\nexit 1\n')
    dot.chmod(0o755)
    return folder


def test_a_failing_dot_is_one_line_naming_graphviz(tmp_path, monkeypatch, capsys):
    """Issue 13, item 10: a broken Graphviz gave a 44-line traceback."""
    monkeypatch.setenv("PATH", f"{fake_failing_dot(tmp_path / 'bin')}{os.pathsep}{os.environ['PATH']}")
    target = tmp_path / "g.svg"
    with pytest.raises(GraphvizFailed, match="Graphviz's dot failed .exit status 1.: Warning: Could not load"):
        render_graph(small_graph(), target)
    assert not target.exists()
    assert set(small_graph()._repr_mimebundle_()) == {"text/plain"}
    assert main(["graph", "--out", str(target)]) == 2
    assert main(["explain", "--wrt", "w1", "--html", str(tmp_path / "t.html")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and "Traceback" not in "".join(err)  # the page's size note, then two one-line errors
    assert all("Graphviz" in line for line in (err[0], err[2]))
    assert not target.exists() and not (tmp_path / "t.html").exists()


def test_fold_constants_writes_them_into_their_op():
    t, a = Value(0.5, "t1"), Value(0.7, "a_o1")
    e = 0.5 * (t - a) ** 2
    folded = draw_dot(e, fold_constants=True).source
    assert has_op(folded, "0.5 *") and "data 0.5 |" in folded  # t1's box, and no box of its own for the 0.5
    assert folded.count("data 0.5 ") == 1
    unfolded = draw_dot(e).source
    assert "{ constant | data 0.5" in unfolded and unfolded.count("data 0.5 ") == 2
    two = Value(2.0) * Value(3.0)
    assert has_op(draw_dot(two, fold_constants=True).source, "2 * 3")


def test_names_and_caption_of_the_course_picture(tmp_path):
    network = build_network()
    network["E_total"].backward()
    source = draw_dot(network["E_total"], name_intermediates=True, caption="epoch 0, lr 0.5").source
    for name in ("w1 · i1", "t1 − a_o1", "(t1 − a_o1)**2"):
        assert f"{{ {name} | data" in source
    assert 'label="epoch 0, lr 0.5"' in source


def test_course_picture_fits_a_readme_column(tmp_path):
    path = tmp_path / "network.svg"
    assert main(["graph", "--out", str(path)]) == 0
    svg = ET.parse(path).getroot()
    width_pt = float(svg.get("width").removesuffix("pt"))
    # shown 880 px wide, 11 pt labels stay at least 10 px tall
    assert 11 * 4 / 3 * min(1, 880 / (width_pt * 4 / 3)) >= 10
    assert "epoch 0 (learning rate 0.5)" in path.read_text()


def test_cli_graph_options(tmp_path):
    folded, drawn = tmp_path / "folded.dot", tmp_path / "drawn.dot"
    assert main(["graph", "--expr", "0.5*x", "x=2", "--out", str(folded), "--caption", "half of x"]) == 0
    assert main(["graph", "--expr", "0.5*x", "x=2", "--out", str(drawn), "--draw-constants", "--rankdir", "TB"]) == 0
    assert has_op(folded.read_text(), "0.5 *") and 'label="half of x"' in folded.read_text()
    assert "{ constant | data 0.5" in drawn.read_text() and "rankdir=TB" in drawn.read_text()
    assert "rankdir=LR" in folded.read_text()  # an expression reads left to right by default


NO_GRAPHVIZ_PACKAGE = "import sys; sys.modules['graphviz'] = None  # as if never installed\n"


def test_dot_text_the_stepper_and_pictures_need_no_graphviz_package(tmp_path):
    """Issue 19: `graph --out x.dot` and the stepper failed without the graphviz package, though DOT is text."""
    script = NO_GRAPHVIZ_PACKAGE + "from micrograd_lite.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    for args in (["graph", "--out", "g.dot"], ["graph", "--out", "g.svg"], ["explain", "--html", "t.html"]):
        result = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, cwd=tmp_path)
        assert result.returncode == 0, (args, result.stderr)
    dot = subprocess.run(["dot", "-Tsvg", str(tmp_path / "g.dot")], capture_output=True)  # the text is valid DOT
    assert dot.returncode == 0 and svg_node_titles(tmp_path / "g.svg")
    assert "<svg" in (tmp_path / "t.html").read_text()
    # draw_dot hands the text to the package's object: without it, the error names the extra
    code = NO_GRAPHVIZ_PACKAGE + "from micrograd_lite import Value, draw_dot\ndraw_dot(Value(1.0, 'x'))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "MissingExtra: draw_dot's graphviz object needs graphviz: pip install -e '" in result.stderr


def test_draw_dot_is_the_graphviz_object_of_the_same_text():
    graphviz = pytest.importorskip("graphviz")
    from micrograd_lite.viz import dot_source

    y = small_graph()
    drawn = draw_dot(y, format="png", rankdir="TB")
    assert isinstance(drawn, graphviz.Source) and drawn.format == "png"
    assert drawn.source == dot_source(y, rankdir="TB")


def test_quotes_and_backslashes_in_labels_make_valid_dot(tmp_path):
    x = Value(1.0, 'say "hi" \\')
    y = x * 2
    y.label = 'a\\"b'
    path = render_graph(y, tmp_path / "q.svg", caption='caption "quoted" \\ end')
    texts = [t.text for t in ET.parse(path).getroot().iter(f"{SVG}text")]
    assert 'say "hi" \\' in texts and 'a\\"b' in texts and 'caption "quoted" \\ end' in texts
