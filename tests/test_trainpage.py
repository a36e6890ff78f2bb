"""The training page in a real browser (Playwright, system Chromium): offline, steady, and the engine's numbers."""

import math

import pytest

from micrograd_lite.engine import topological_order
from micrograd_lite.notation import format_number
from micrograd_lite.training import probabilities
from micrograd_lite.trainpage import TrainPage, page_data

from .test_stepper import (
    browser,  # noqa: F401 (the fixture: the system Chromium, or a skip/CI failure)
    open_watched,
)

SIZES = [(1400, 900), (1000, 700)]


@pytest.fixture(scope="module")
def page_file(default_run, tmp_path_factory):
    path = tmp_path_factory.mktemp("train") / "train.html"
    path.write_text(TrainPage(default_run).html(), encoding="utf-8")
    return path


@pytest.fixture
def open_page(browser, page_file):  # noqa: F811 (browser: the fixture imported above)
    """Open the default run's page; the test fails on a console error or on any request that leaves the file."""
    errors, requests, pages = [], [], []

    def route(route):
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            requests.append(url)
            route.abort()

    def opened(size=(1400, 900)):
        page = open_watched(browser, page_file, size, errors, route)
        pages.append(page)
        return page

    yield opened
    for page in pages:
        page.close()
    assert errors == [] and requests == []


def current(page) -> int:
    return page.evaluate("current")


def engine_numbers(run, record, point, label):
    """data and grad of every node of the probe's graph, by the eager engine, at the record's parameters."""
    from micrograd_lite.losses import cross_entropy
    from micrograd_lite.training import logits_of, neuron_names, point_inputs

    params = run.model.parameters()
    saved = [p.data for p in params]
    for p, value in zip(params, record.params):
        p.data, p.grad = value, 0.0
    try:
        names = neuron_names(run.config.hidden, len(run.dataset.classes))
        loss = cross_entropy(logits_of(run.model, point_inputs(point), names), label)
        loss.label = "loss"
        loss.backward()
        order = topological_order(loss)
        return [node.data for node in order], [node.grad for node in order]
    finally:
        for p, value in zip(params, saved):
            p.data, p.grad = value, 0.0


@pytest.mark.parametrize("size", SIZES)
def test_the_page_opens_offline_without_errors_and_play_advances(open_page, size):
    page = open_page(size)
    assert current(page) == 0
    page.select_option("#speed", "40")
    page.click("#play")
    page.wait_for_function("current >= 3", timeout=5000)
    page.click("#play")  # pause
    stopped = current(page)
    page.wait_for_timeout(300)
    assert current(page) == stopped
    assert page.evaluate("document.documentElement.scrollHeight <= innerHeight + 1")  # no page scrolling


FOCUSABLE = ["body", "#first", "#prev", "#play", "#next", "#last", "#slider", "#speed", "#lines", "#view"]


def test_one_key_press_is_one_step_whatever_has_focus(open_page):
    page = open_page()
    last = page.evaluate("records.length - 1")
    for focused in FOCUSABLE:
        page.evaluate("go(5)")
        if focused == "body":
            page.evaluate("document.activeElement.blur()")
        elif focused == "#view":
            page.click(focused)
        else:
            page.focus(focused)
        page.keyboard.press("ArrowRight")
        assert current(page) == 6, focused
        page.keyboard.press("ArrowLeft")
        page.keyboard.press("ArrowLeft")
        assert current(page) == 4, focused
        page.keyboard.press("End")
        page.keyboard.press("ArrowRight")  # past the end: stays
        assert current(page) == last, focused
        page.keyboard.press("Home")
        assert current(page) == 0, focused
        assert page.evaluate("timer") is None, focused  # no key started playing
        page.keyboard.press(" ")  # space plays and pauses, once, whatever has focus
        assert page.evaluate("timer") is not None, focused
        page.keyboard.press(" ")
        assert page.evaluate("timer") is None, focused


def test_clicking_a_point_makes_it_the_probe_with_the_engines_numbers(open_page, default_run):
    page = open_page()
    step = 57
    page.evaluate(f"go({step})")
    record = default_run.records[step]
    data = page_data(default_run)
    first_label = data["train"][0][2]
    chosen = next(i for i, p in enumerate(data["train"]) if p[2] != first_label and i > 10)
    box = page.locator("#plane canvas").bounding_box()
    x0, x1, y0, y1 = data["bounds"]
    x, y, label = data["train"][chosen]
    before = page.inner_text("#probe")
    page.mouse.click(box["x"] + (x - x0) / (x1 - x0) * box["width"], box["y"] + (y1 - y) / (y1 - y0) * box["height"])
    assert page.evaluate("[probe.index, probe.split]") == [chosen, "train"]
    assert page.inner_text("#probe") != before
    shown = page.evaluate(
        """() => graphs[probe.label].texts.map(pair => pair ? [pair[0].textContent, pair[1].textContent] : null)"""
    )
    visible = page.evaluate("graphs.map(g => !g.holder.hidden)")
    assert visible == [k == label for k in range(len(visible))]
    values, grads = engine_numbers(default_run, record, (x, y), label)
    assert len(shown) == len(values)
    for text, value, grad in zip(shown, values, grads):
        if text is not None:  # folded constants have no box of their own
            assert text == [f"data {format_number(value)}", f"grad {format_number(grad)}"]
    full = page.evaluate("probeNumbers")
    exact = sum(a == b for a, b in zip(full["data"] + full["grad"], values + grads))
    assert full["data"] == pytest.approx(values, rel=1e-13, abs=1e-300)
    assert full["grad"] == pytest.approx(grads, rel=1e-12, abs=1e-16)
    assert exact >= 0.95 * 2 * len(values)  # JavaScript's exp/tanh/log may differ in a last bit, rarely
    # the plane's regions come from the same numbers: class probabilities at a few places
    params = default_run.model.parameters()
    saved = [p.data for p in params]
    for p, value in zip(params, record.params):
        p.data = value
    try:
        for point in [(0.0, 0.0), (0.5, 0.1), (-0.7, -0.3)]:
            in_page = page.evaluate(f"probabilities(records[{step}].p, [{point[0]}, {point[1]}])")
            assert in_page == pytest.approx(probabilities(default_run.model, point), rel=1e-12, abs=1e-15)
    finally:
        for p, value in zip(params, saved):
            p.data = value


@pytest.mark.parametrize("size", SIZES)
def test_panels_keep_their_size_and_place_and_labels_are_readable(open_page, size):
    page = open_page(size)
    measure = """() => {
        const rect = s => {
            const r = document.querySelector(s).getBoundingClientRect();
            return [r.x, r.y, r.width, r.height];
        };
        const svg = graphs[probe.label].holder.querySelector('svg');
        const texts = Array.from(svg.querySelectorAll('text')).map(t => t.getBoundingClientRect().height);
        const fonts = Array.from(document.querySelectorAll('td, th, button, label, h2, #probe, #where, .legend'))
            .map(e => parseFloat(getComputedStyle(e).fontSize));
        return {panels: ['#plane canvas', '#losses canvas', '#view', '#tablebox'].map(rect),
                svg: [svg.getBoundingClientRect().width, svg.getBoundingClientRect().height],
                smallest: Math.min(...texts), font: Math.min(...fonts)};
    }"""
    first = page.evaluate(measure)
    assert first["smallest"] >= 10 and first["font"] >= 10
    for panel in first["panels"]:
        assert panel[2] > 150 and panel[3] > 120  # every panel has room
    for step in (1, 80, 199):
        page.evaluate(f"go({step})")
        assert page.evaluate(measure) == first
    for a in range(4):  # the panels do not overlap
        for b in range(a + 1, 4):
            ax, ay, aw, ah = first["panels"][a]
            bx, by, bw, bh = first["panels"][b]
            assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay


def test_the_first_layers_lines_toggle(open_page):
    page = open_page()
    blank = page.evaluate("document.querySelector('#plane canvas').toDataURL()")
    page.check("#lines")
    assert page.evaluate("document.querySelector('#plane canvas').toDataURL()") != blank
    page.uncheck("#lines")
    assert page.evaluate("document.querySelector('#plane canvas').toDataURL()") == blank


def test_the_table_shows_each_parameters_state(open_page, default_run):
    page = open_page()
    page.evaluate("go(10)")
    record = default_run.records[10]
    headers = page.eval_on_selector_all("#head th", "cells => cells.map(c => c.textContent)")
    assert headers == ["parameter", "value", "grad", "m", "√v", "update"]
    first_row = page.eval_on_selector_all("#rows tr:first-child td", "cells => cells.map(c => c.textContent)")
    expected = [record.params[0], record.grads[0], record.m[0], math.sqrt(record.v[0]), record.updates[0]]
    assert first_row == [default_run.names[0], *[format_number(x) for x in expected]]
