"""The backward trace adds up; the stepper page keeps one layout, and works in a real browser."""

import json
import math
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given

from micrograd_lite import Value, course
from micrograd_lite.backward_log import count_turns, log_backward, log_csv, log_markdown
from micrograd_lite.cli import main
from micrograd_lite.expr import parse_expression
from micrograd_lite.stepper import build_stepper, grad_text

from .test_properties import inputs, programs, run

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SVG = "{http://www.w3.org/2000/svg}"
HUNDRED_TERMS = " + ".join(f"x*{i}" for i in range(1, 101))


def course_stepper():
    net = course.build_network()
    return net, build_stepper(net["E_total"], params=[net[w] for w in course.WEIGHT_NAMES])


# ----------------------------------------------------------------------
# The trace.
# ----------------------------------------------------------------------


@given(programs, inputs)
def test_trace_products_sum_to_the_final_gradients(program, xs):
    leaves = [Value(x) for x in xs]
    root = run(program, leaves)
    steps = log_backward(root)
    traced = [leaf.grad for leaf in leaves]
    sums = [sum(s.product for s in steps if s.child_ref is leaf) for leaf in leaves]
    for leaf in leaves:
        leaf.grad = 0.0
    root.backward()
    expected = [leaf.grad for leaf in leaves]
    assert traced == expected
    for total, g in zip(sums, expected):
        assert math.isclose(total, g, rel_tol=1e-9, abs_tol=1e-12)
    for s in steps:
        assert s.product == s.local * s.upstream


def test_trace_tables():
    net = course.build_network()
    steps = log_backward(net["E_total"])
    assert log_csv(steps).splitlines()[0].startswith("turn,node,op")
    md = log_markdown(steps)
    assert md.count("\n") == len(steps) + 2 and "| 1 | E_total | + | 1.0 | E1 |" in md
    assert len({s.turn for s in steps}) == count_turns(net["E_total"]) == 23


def test_the_table_numbers_steps_as_the_page_and_the_frames_do():
    # The table said a_o1's turn was step 11 while the page and frame step_012.svg said 12.
    net = course.build_network()
    steps = log_backward(net["E_total"])
    assert sorted({s.turn for s in steps}) == list(range(1, 24))
    assert {s.turn for s in steps if s.node == "a_o1"} == {12}
    stepper = build_stepper(course.build_network()["E_total"])  # its turn 12 (1-based) is a_o1's
    assert stepper.turns[12 - 1].title == "a_o1 = sigmoid(o1)"


# ----------------------------------------------------------------------
# The stepper's data: one layout, small per-step changes, full names.
# ----------------------------------------------------------------------


def test_replaying_the_changes_gives_backwards_gradients():
    net, stepper = course_stepper()
    shown = dict(stepper.initial)
    for turn in stepper.turns:
        for node_id, before, after in ([s.child_id, s.previous_text, s.grad_text] for s in turn.sends):
            assert shown[node_id] == before  # each change starts where the last one left off
            shown[node_id] = after
    fresh = course.build_network()
    fresh["E_total"].backward()  # an independent pass: the engine's own backward
    for name in (*course.WEIGHT_NAMES, "a_h1", "o1", "a_o2", "E1"):
        node_id = next(s.child_id for t in stepper.turns for s in t.sends if s.formula.startswith(f"∂E_total/∂{name} "))
        assert shown[node_id] == grad_text(fresh[name].grad)


def test_every_step_names_the_output_and_constants_are_folded():
    _, stepper = course_stepper()
    sends = [s for turn in stepper.turns for s in turn.sends]
    assert all(s.formula.startswith("∂E_total/∂") for s in sends) and not any("∂/∂" in s.formula for s in sends)
    formulas = "\n".join(s.formula + " | " + s.local_rule for s in sends)
    assert "∂E_total/∂o1 = ∂E_total/∂a_o1 · ∂a_o1/∂o1 = " in formulas
    assert "∂a_o1/∂o1 = a_o1 · (1 − a_o1)" in formulas
    assert "∂E_total/∂a_h1 += ∂E_total/∂(w5 · a_h1) · ∂(w5 · a_h1)/∂a_h1" in formulas  # a_h1 feeds o1 and o2
    assert not any(s.formula.startswith("∂E_total/∂0.5 ") for s in sends)  # the ½ of ½(t − a)² sends nothing
    assert "0.5 *" in stepper.svg and ">constant<" not in stepper.svg  # it is written into its op instead


def test_one_picture_holds_every_id_the_steps_change():
    _, stepper = course_stepper()
    ids = {g.get("id") for g in ET.fromstring(stepper.svg).iter(f"{SVG}g")}
    for turn in stepper.turns:
        assert turn.node_id in ids
        for send in turn.sends:
            assert {send.child_id, send.edge_id} <= ids


def test_boxes_are_laid_out_for_their_widest_gradient():
    x = Value(1e-7, "x")
    y = x * 3.0 + x * -3.0
    y.label = "y"
    stepper = build_stepper(y)
    assert "grad &#45;3<" in stepper.svg  # the widest text it shows, not the final 0
    assert x.grad == 0.0  # and the grads are the backward pass's again afterwards


def test_frames_share_one_layout():
    _, stepper = course_stepper()
    frames = stepper.frames()
    assert len(frames) == len(stepper.turns) == 23
    pictures = [ET.fromstring(frame) for frame in frames]
    sizes = {(svg.get("width"), svg.get("height"), svg.get("viewBox")) for svg in pictures}
    assert len(sizes) == 1
    assert 'stroke="red"' in frames[0] and frames[0] != frames[1]
    for turn, svg in zip(stepper.turns, pictures):  # each frame outlines its own turn's node, and only it
        outlined = [g.get("id") for g in svg.iter(f"{SVG}g") if g.find(f"{SVG}polygon[@stroke-width='3']") is not None]
        assert outlined == [turn.node_id]
    root_box = f".//{SVG}g[@id='{stepper.root_id}']/{SVG}polygon"  # outlined at the first turn, then as drawn
    assert pictures[1].find(root_box).attrib == ET.fromstring(stepper.svg).find(root_box).attrib


def test_the_page_is_self_contained_and_its_data_parses():
    _, stepper = course_stepper()
    page = stepper.html()
    assert page.count("<svg") == 1 and "src=" not in page and "http://" not in page.split("<svg")[0]
    data = json.loads(re.search(r'id="trace-data">(.*?)</script>', page, re.S).group(1))
    assert len(data["turns"]) == 23
    assert all(len(t["changes"]) <= 2 for t in data["turns"])  # a step carries what changes, not a picture


def test_a_label_cannot_break_the_page():
    a = Value(2.0, "</script><b>{{svg}}")
    b = Value(3.0, "ｂ")
    y = a * b
    y.label = "len"
    page = build_stepper(y).html()
    assert "<b>{{svg}}" not in page and page.count("<svg") == 1
    json.loads(re.search(r'id="trace-data">(.*?)</script>', page, re.S).group(1))


def test_a_hundred_term_expression_makes_a_small_page_quickly(tmp_path):
    """Issue 13, item 13: this had not finished after 14 minutes (Graphviz's layout); it takes under a second."""
    out = tmp_path / "trace.html"
    cmd = [sys.executable, "-m", "micrograd_lite", "explain", "--expr", HUNDRED_TERMS, "x=2", "--wrt", "x"]
    result = subprocess.run([*cmd, "--html", str(out)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "199 turns" in result.stderr and "KB" in result.stderr
    assert out.stat().st_size < 1_000_000


def test_a_page_past_the_limit_is_refused_before_any_work(tmp_path, capsys):
    out = tmp_path / "trace.html"
    args = ["explain", "--expr", HUNDRED_TERMS, "x=2", "--html", str(out), "--max-turns", "150"]
    assert main(args) == 2
    err = capsys.readouterr()
    assert "199 turns, more than the limit of 150" in err.err and "--max-turns 199" in err.err
    assert err.out == "" and not out.exists()


def test_max_steps_still_sets_the_limit_of_turns(tmp_path, capsys):
    """--max-steps, the option's name in 0.1.0, is kept for one release (CHANGELOG): the same limit."""
    out = tmp_path / "trace.html"
    assert main(["explain", "--expr", HUNDRED_TERMS, "x=2", "--html", str(out), "--max-steps", "150"]) == 2
    assert "199 turns, more than the limit of 150" in capsys.readouterr().err and not out.exists()


def test_the_old_names_of_the_limit_warn_and_still_work():
    import micrograd_lite.stepper as stepper_module

    with pytest.warns(DeprecationWarning, match="DEFAULT_MAX_TURNS"):
        assert stepper_module.DEFAULT_MAX_STEPS == stepper_module.DEFAULT_MAX_TURNS == 500
    with pytest.warns(DeprecationWarning, match="max_turns"), pytest.raises(ValueError, match="limit of 1:"):
        build_stepper((Value(2.0, "x") * 3 + 1).tanh(), max_steps=1)


def test_cli_writes_page_frames_and_tables(tmp_path, capsys):
    html_path, csv_path = tmp_path / "t.html", tmp_path / "t.csv"
    args = ["explain", "--expr", "tanh(x*w + b)", "x=0.5", "w=-3", "b=2", "--wrt", "x", "--trace"]
    args += ["--html", str(html_path), "--trace-csv", str(csv_path), "--frames", str(tmp_path / "frames")]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "upstream ∂/∂node" in out and f"wrote {html_path} (3 turns" in out
    assert html_path.read_text().count("<svg") == 1
    assert len(list((tmp_path / "frames").glob("turn_*.svg"))) == 3
    assert re.search(r"^1,f,tanh,1.0,", csv_path.read_text(), re.M)  # turn 1, as on the page and in turn_001.svg


# ----------------------------------------------------------------------
# In a real browser (Chromium, driven by Playwright).
# ----------------------------------------------------------------------


def require_browser(chromium: str = CHROMIUM) -> None:
    """Chromium and Playwright, or a failure under CI=true (the page's script must be tested), else a skip."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problem = "playwright is not installed: pip install -e '.[dev]'"
    else:
        problem = None if Path(chromium).exists() else f"{chromium} is missing: make setup installs it (apt-get)"
    if problem and os.environ.get("CI"):
        pytest.fail(problem)
    if problem:
        pytest.skip(problem)


def test_a_missing_browser_fails_under_ci_and_skips_elsewhere(tmp_path, monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="missing"):
        require_browser(str(tmp_path / "no-chromium"))
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        require_browser(str(tmp_path / "no-chromium"))


@pytest.fixture(scope="module")
def browser():
    """The system Chromium, launched by Playwright (which cannot download a browser of its own here)."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page_of(browser, tmp_path):
    """Open a stepper page (at 1400×900 unless told); the test fails on any console error."""
    errors = []
    pages = []

    def open_page(stepper, size=(1400, 900)):
        path = tmp_path / "stepper.html"
        path.write_text(stepper.html(), encoding="utf-8")
        page = open_watched(browser, path, size, errors)
        pages.append(page)
        return page

    yield open_page
    for page in pages:
        page.close()
    assert errors == []


def open_watched(browser, path, size, errors, route=None):
    """A new page of ``size`` showing the file ``path``; console errors and uncaught exceptions go to ``errors``."""
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    if route is not None:
        page.route("**/*", route)
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri())
    return page


def step_shown(page) -> int:
    return int(re.match(r"turn (\d+) / \d+", page.inner_text("#where")).group(1))


FOCUSABLE = ["body", "#first", "#prev", "#next", "#last", "#slider", "#zoom-in", "#fit", "#view", "#panel"]


@pytest.mark.parametrize("focused", FOCUSABLE)
def test_one_key_press_is_one_step_whatever_has_focus(page_of, focused):
    _, stepper = course_stepper()
    page = page_of(stepper)
    page.evaluate("go(3)")
    if focused == "body":
        page.evaluate("document.activeElement.blur()")
    elif focused in ("#view", "#panel"):
        page.click(focused)
    else:
        page.focus(focused)
    page.keyboard.press("ArrowRight")
    assert step_shown(page) == 4
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert step_shown(page) == 2
    page.keyboard.press("End")
    assert step_shown(page) == len(stepper.turns)
    page.keyboard.press("ArrowRight")  # past the end: stays
    assert step_shown(page) == len(stepper.turns)
    page.keyboard.press("Home")
    assert step_shown(page) == 0


def test_the_picture_stays_put_and_labels_are_readable(page_of):
    net, stepper = course_stepper()
    page = page_of(stepper)
    measure = """() => {
        const svg = document.querySelector('#view svg').getBoundingClientRect();
        const texts = Array.from(document.querySelectorAll('#view svg text')).map(t => t.getBoundingClientRect());
        const v = document.querySelector('#view');
        return {width: svg.width, height: svg.height,
                left: svg.left + v.scrollLeft, top: svg.top + v.scrollTop,
                smallest: Math.min(...texts.map(r => r.height)),
                grads: Array.from(document.querySelectorAll('#view svg g.node')).map(
                    g => Array.from(g.querySelectorAll('text')).pop().textContent)};
    }"""
    seen = []
    for step in range(len(stepper.turns) + 1):
        page.evaluate(f"go({step})")
        seen.append(page.evaluate(measure))
    assert len({(s["width"], s["height"], s["left"], s["top"]) for s in seen}) == 1
    assert min(s["smallest"] for s in seen) >= 10  # px, at 1400×900 and the default zoom
    assert seen[0]["grads"] != seen[-1]["grads"]
    net["E_total"].backward()
    assert f"grad {net['w1'].grad:.4g}" in seen[-1]["grads"] and "grad 0" in seen[0]["grads"]


def test_the_panel_writes_the_chain_rule_in_full_names(page_of):
    _, stepper = course_stepper()
    page = page_of(stepper)
    assert "Before the backward pass" in page.inner_text("#panel")
    step = next(i for i, t in enumerate(stepper.turns, 1) if t.title == "a_o1 = sigmoid(o1)")
    page.evaluate(f"go({step})")
    text = page.inner_text("#panel")
    assert "∂E_total/∂o1 = ∂E_total/∂a_o1 · ∂a_o1/∂o1 = " in text and "∂/∂" not in text
    assert page.evaluate("document.querySelector('.node.current') !== null")
    assert page.evaluate("document.querySelectorAll('.edge.hot').length") == 1


def test_zoom_buttons_wheel_and_drag(page_of):
    _, stepper = course_stepper()
    page = page_of(stepper)
    width = lambda: page.evaluate("document.querySelector('#view svg').getBoundingClientRect().width")  # noqa: E731
    start = width()
    page.click("#zoom-in")
    assert width() == pytest.approx(start * 1.25, rel=1e-3)
    page.click("#zoom-out")
    page.click("#fit")
    fitted = page.evaluate("""() => { const s = document.querySelector('#view svg').getBoundingClientRect(),
        v = document.querySelector('#view').getBoundingClientRect();
        return s.width <= v.width + 1 && s.height <= v.height + 1; }""")
    assert fitted
    page.click("#actual")
    page.mouse.move(400, 500)
    page.mouse.wheel(0, -300)
    assert width() > start
    before = page.evaluate("document.querySelector('#view').scrollTop")
    page.mouse.down()
    page.mouse.move(400, 300)
    page.mouse.up()
    assert page.evaluate("document.querySelector('#view').scrollTop") == before + 200


def test_the_hundred_term_page_steps_in_the_browser(page_of):
    root = parse_expression(HUNDRED_TERMS, {"x": 2.0})
    stepper = build_stepper(root)
    page = page_of(stepper)
    for step in (1, 60, 150, 198):  # x's 100 parents are far apart: the turn's node is brought into view anyway
        page.evaluate(f"go({step})")
        assert page.evaluate(LAYOUT)["nodeInView"], step
    page.keyboard.press("End")
    assert step_shown(page) == 199
    assert page.evaluate("Array.from(document.querySelectorAll('g.node text')).some(t => t.textContent == 'grad 5050')")


def test_odd_labels_render_and_step(page_of):
    a, b = Value(2.0, "</script><i>x"), Value(3.0, "ｂ")
    y = (a * b).tanh()
    y.label = "len"
    page = page_of(build_stepper(y))
    page.keyboard.press("ArrowRight")
    assert "∂len/∂" in page.inner_text("#panel")
    page.keyboard.press("End")  # the summary writes the labels as text too
    done = page.inner_text("#panel").split("Backward pass done")[1]
    assert re.search(r"∂len/∂</script><i>x\s+= ", done) and re.search(r"∂len/∂ｂ\s+= ", done)


def test_stepper_screenshots_are_in_the_docs():
    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text()
    for name in ("stepper_start.png", "stepper_step.png"):
        assert (root / "docs" / "images" / name).read_bytes().startswith(b"\x89PNG")
        assert f"docs/images/{name}" in readme


def test_a_single_value_makes_a_working_page_and_a_constant_expression_is_refused(page_of, tmp_path, capsys):
    page = page_of(build_stepper(Value(1.0, "x")))
    assert step_shown(page) == 0 and "Nothing to step through" in page.inner_text("#panel")
    page.keyboard.press("ArrowRight")
    assert step_shown(page) == 0
    assert main(["explain", "--expr", "2*3", "--html", str(tmp_path / "c.html")]) == 2  # no variable: nothing to step
    assert "nothing to differentiate" in capsys.readouterr().err
    assert not (tmp_path / "c.html").exists()


def test_every_name_the_panel_uses_is_written_in_the_picture():
    """A long unlabelled result is called n1 in the panel: its box says n1 too (found attacking the page)."""
    root = parse_expression(" + ".join(f"x*{i}" for i in range(1, 12)), {"x": 2.0})
    stepper = build_stepper(root)
    texts = {t.text for t in ET.fromstring(stepper.svg).iter(f"{SVG}text")}
    named = [turn.title.split(" = ")[0] for turn in stepper.turns]
    assert "n1" in named and all(name.strip("()") in {t.strip("()") for t in texts} for name in named)


LAYOUT = """() => {
    const rect = s => document.querySelector(s).getBoundingClientRect();
    const inside = (a, b) => a.left >= b.left - 1 && a.right <= b.right + 1
        && a.top >= b.top - 1 && a.bottom <= b.bottom + 1;
    const nav = rect('nav'), button = rect('#first'), view = rect('#view');
    const turn = turns[current - 1], node = document.getElementById(turn ? turn.node : data.root);
    const mini = document.querySelector('#minimap'), picture = rect('#mini-picture');
    const frame = rect('#minimap .frame'), here = rect('#minimap .here');
    return {
        rows: nav.height / button.height,
        navInside: Array.from(document.querySelectorAll('nav button, nav input, nav span')).every(
            e => e.getBoundingClientRect().right <= innerWidth),
        pageFits: document.documentElement.scrollWidth <= innerWidth
            && document.documentElement.scrollHeight <= innerHeight,
        viewInside: inside(view, {left: 0, top: 0, right: innerWidth, bottom: innerHeight}),
        viewShare: view.height / innerHeight,
        nodeInView: inside(node.getBoundingClientRect(), view),
        smallest: Math.min(...Array.from(node.querySelectorAll('text')).map(t => t.getBoundingClientRect().height)),
        overview: !mini.hidden,
        frameShare: frame.height / picture.height,
        shownShare: document.querySelector('#view').clientHeight / rect('#view svg').height,
        frameAtBottom: Math.abs(frame.bottom - picture.bottom) < 2,
        frameAtTop: Math.abs(frame.top - picture.top) < 2,
        hereInFrame: inside({left: (here.left + here.right) / 2, right: (here.left + here.right) / 2,
            top: (here.top + here.bottom) / 2, bottom: (here.top + here.bottom) / 2}, frame),  // its centre
        scrollTop: document.querySelector('#view').scrollTop,
    };
}"""


@pytest.mark.parametrize("size", [(1400, 900), (800, 600)])
def test_the_page_opens_on_the_output_with_an_overview_of_the_whole(page_of, size):
    """Issue 19: it opened at 1:1 on the bottom half with nothing showing there was more; at 800×600 the toolbar
    wrapped and the graph clipped."""
    _, stepper = course_stepper()
    page = page_of(stepper, size)
    seen = page.evaluate(LAYOUT)
    assert seen["rows"] < 1.6 and seen["navInside"] and seen["pageFits"] and seen["viewInside"]
    assert seen["viewShare"] > 0.75  # the graph has most of the window
    assert seen["nodeInView"] and seen["smallest"] >= 10  # the output, readable
    # the overview shows the view is the bottom part of a taller picture, and the output in it
    assert seen["overview"] and seen["frameAtBottom"] and not seen["frameAtTop"] and seen["hereInFrame"]
    assert seen["frameShare"] == pytest.approx(seen["shownShare"], abs=0.02) and seen["frameShare"] < 0.8
    for step in range(1, len(stepper.turns) + 1):  # every turn's node is in view, and in the frame
        page.evaluate(f"go({step})")
        seen = page.evaluate(LAYOUT)
        assert seen["nodeInView"] and seen["hereInFrame"], step
    # a click on the overview's top brings the top into view
    box = page.locator("#mini-picture").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + 2)
    seen = page.evaluate(LAYOUT)
    assert seen["scrollTop"] == 0 and seen["frameAtTop"] and seen["pageFits"]
    page.keyboard.press("0")  # the whole picture fits: nothing more to show, no overview
    assert not page.evaluate(LAYOUT)["overview"]


def test_the_last_step_ends_with_the_backward_pass_done(page_of):
    net, stepper = course_stepper()
    page = page_of(stepper)
    page.keyboard.press("End")
    page.keyboard.press("ArrowLeft")
    assert "Backward pass done" not in page.inner_text("#panel")
    page.keyboard.press("ArrowRight")
    text = page.inner_text("#panel")
    assert text.startswith(stepper.turns[-1].title)  # the last turn, then the summary
    assert "Backward pass done" in text and "23 turns: every gradient is complete" in text
    shown = dict(re.findall(r"∂E_total/∂(\w+)\s*=\s*(\S+)", text.split("Backward pass done")[1]))
    assert list(shown)[:8] == list(course.WEIGHT_NAMES)  # the parameters first, in their order
    assert set(shown) == {*course.WEIGHT_NAMES, *course.INPUTS, *course.TARGETS}
    leaves = {**course.WEIGHTS, **course.INPUTS, **course.TARGETS}
    for name, value in shown.items():  # against central finite differences, not backward()
        h = 1e-6
        plus, minus = ({**leaves, name: leaves[name] + d} for d in (h, -h))
        difference = (_loss(plus) - _loss(minus)) / (2 * h)
        assert float(value) == pytest.approx(difference, rel=1e-3, abs=1e-9), name


def _loss(values) -> float:
    """E_total at these leaf values: a forward pass only."""
    split = [{k: values[k] for k in names} for names in (course.WEIGHTS, course.INPUTS, course.TARGETS)]
    return course.build_network(*split)["E_total"].data
