"""The static site (make site): the engine on Pyodide in a real browser, served on 127.0.0.1 by the test itself.

One browser, one playground page and one live training page for the whole module (Pyodide takes seconds to
load); every request is routed, and any that would leave 127.0.0.1 is refused and fails the run.
"""

import functools
import http.server
import importlib.metadata
import importlib.util
import math
import os
import re
import threading
from pathlib import Path

import pytest

from micrograd_lite.datasets import DATASETS
from micrograd_lite.training import TrainConfig, train

from .test_stepper import CHROMIUM_ARGS, require_browser

ROOT = Path(__file__).resolve().parent.parent
SPEC = importlib.util.spec_from_file_location("site_build", ROOT / "site-src" / "build.py")
site_build = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(site_build)
README_W_GRAD = "0.393224"  # the README's number: dy/dw for y = tanh(x·w + b) at x = 0.5, w = -3, b = 2


def require_node_modules(root: Path = ROOT) -> None:
    """Pyodide and viz.js installed by `npm ci` (make test runs it), or a failure under CI=true, else a skip."""
    missing = [name for name in ("pyodide", "@viz-js/viz") if not (root / "node_modules" / name).is_dir()]
    if missing:
        problem = f"node_modules lacks {', '.join(missing)}: run `npm ci` (make test and make site do)"
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)


def test_missing_npm_packages_fail_under_ci_and_skip_elsewhere(tmp_path, monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="npm ci"):
        require_node_modules(tmp_path)
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        require_node_modules(tmp_path)


def test_the_playground_starts_with_the_readme_example_as_a_script(capsys):
    script = site_build.readme_example((ROOT / "README.md").read_text(encoding="utf-8"))
    assert script.startswith("from micrograd_lite import Value\n") and ">>>" not in script
    exec(compile(script, "<readme>", "exec"), {})
    printed = capsys.readouterr().out.split()
    assert printed[:2] == ["0.462117", README_W_GRAD]


def test_a_build_without_npm_packages_writes_no_site(tmp_path, monkeypatch):
    monkeypatch.setattr(site_build, "ROOT", tmp_path)
    with pytest.raises(SystemExit, match="npm ci"):
        site_build.build(tmp_path / "site")
    assert not (tmp_path / "site").exists()


def test_a_build_never_replaces_a_folder_it_did_not_write(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(SystemExit, match="not a site built here"):
        site_build.build(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"


# ----------------------------------------------------------------------
# The built site, in Chromium.
# ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    require_node_modules()
    out = tmp_path_factory.mktemp("built") / "site"
    sizes = site_build.build(out)
    assert sizes["first_load"] <= sizes["total"]
    return out


@pytest.fixture(scope="module")
def server(site):
    handler = functools.partial(Quiet, directory=str(site))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as httpd:
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{httpd.server_port}/"
        httpd.shutdown()


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def watched(server):
    """A browser whose every request is routed: anything not for the test's server is refused and recorded."""
    require_browser()
    from playwright.sync_api import sync_playwright

    seen = {"outside": [], "served": [], "errors": []}

    def route(route):
        url = route.request.url
        if url.startswith(server) or url.startswith("data:") or url.startswith("blob:"):
            seen["served"].append(url)
            route.continue_()
        else:
            seen["outside"].append(url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        context.route("**/*", route)

        def open_page(name):
            page = context.new_page()
            page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: seen["errors"].append(str(error)))
            page.goto(server + name)
            wait_ready(page)
            return page

        yield open_page, seen
        browser.close()


def wait_ready(page):
    page.wait_for_selector("#status.ready, #status.failed", timeout=90_000)
    assert "ready" in page.get_attribute("#status", "class"), page.inner_text("#status")


@pytest.fixture(scope="module")
def playground(watched):
    return watched[0]("index.html")


@pytest.fixture(scope="module")
def trainer(watched):
    page = watched[0]("train.html")
    settle(page)
    return page


def run_code(page, code=None, limit=10):
    if code is not None:
        page.fill("#code", code)
    page.fill("#limit", str(limit))
    page.click("#run")
    page.wait_for_function("!document.getElementById('run').disabled", timeout=90_000)
    return page.inner_text("#output")


def test_the_playground_runs_the_readme_example_on_the_packages_own_wheel(playground, site):
    version = importlib.metadata.version("micrograd-lite")
    assert [p.name for p in (site / "wheels").iterdir()] == [f"micrograd_lite-{version}-py3-none-any.whl"]
    installed = run_code(playground, "import importlib.metadata, micrograd_lite\n"
                         "print(micrograd_lite.__file__, importlib.metadata.version('micrograd-lite'))")  # fmt: skip
    assert re.fullmatch(rf"/lib/python3\.\d+/site-packages/micrograd_lite/__init__\.py {version}\n", installed)
    playground.fill("#code", site_build.readme_example((ROOT / "README.md").read_text(encoding="utf-8")))
    output = run_code(playground)
    tanh = math.tanh(0.5 * -3.0 + 2.0)
    assert f"{(1 - tanh**2) * 0.5:.6f}" == README_W_GRAD  # the closed form the README quotes
    assert output.split()[:2] == [f"{tanh:.6f}", README_W_GRAD]
    names = playground.eval_on_selector_all("#values tbody tr", "rows => rows.map(r => r.cells[0].textContent)")
    assert names == ["x", "w", "b", "y"]


def test_the_drawn_graph_has_the_examples_labels_and_numbers(playground):
    texts = playground.eval_on_selector_all("#graph svg g.node text", "ts => ts.map(t => t.textContent)")
    for label in ("x", "w", "b", "y", "data -3", "tanh", "*", "+"):
        assert label in texts, (label, texts)
    # after the example's second backward(), w's gradient has accumulated twice: 2 · 0.393224
    assert f"grad {2 * float(README_W_GRAD):.4f}" in texts


def test_the_stepper_steps_through_the_backward_pass(playground):
    playground.click("#values button:has-text('step through') >> nth=3")  # y
    frame = playground.frame_locator("#stepper")
    frame.locator("#where").wait_for()
    assert frame.locator("#where").inner_text() == "turn 0 / 3"
    frame.locator("#next").click()
    assert frame.locator("#where").inner_text() == "turn 1 / 3"
    assert "tanh" in frame.locator("#panel h2").inner_text()
    frame.locator("#last").click()
    done = frame.locator("#panel .done").inner_text()
    assert "∂y/∂w\n= 0.3932" in done or "∂y/∂w\t= 0.3932" in done, done  # one backward pass, from 0


def test_a_python_error_shows_its_traceback(playground):
    output = run_code(playground, "from micrograd_lite import Value\n\nx = Value(0.0, 'x')\ny = x.log()\n")
    assert "Traceback (most recent call last)" in output
    assert 'File "<playground>", line 4' in output
    assert "log(0.0)" in output or "log" in output.splitlines()[-1]
    assert "browser.py" not in output  # the learner's frames only


def test_a_syntax_error_names_its_line(playground):
    output = run_code(playground, "x = 1\ny = (x +\n")
    assert 'File "<playground>", line 2' in output and "SyntaxError" in output


def test_a_graph_too_long_to_step_through_says_so(playground):
    run_code(playground, "from micrograd_lite import Value\nx = Value(1.0, 'x')\ny = x\n"
             "for _ in range(600):\n    y = y * 1.001\n")  # fmt: skip
    playground.click("#values button:has-text('step through') >> nth=1")  # y: 600 steps
    playground.wait_for_function("!document.getElementById('run').disabled")
    assert "600 turns, more than the limit of 500" in playground.inner_text("#output")


def test_endless_printing_is_cut_and_stopped(playground):
    output = run_code(playground, "while True:\n    print('spam ' * 20)\n", limit=2)
    assert output.endswith("over the time limit of 2 s\n")
    assert "more output, not shown" in output and len(output) < 210_000
    wait_ready(playground)


def test_a_runaway_loop_meets_the_time_limit_and_stop_and_python_starts_again(playground):
    output = run_code(playground, "while True:\n    pass\n", limit=1)
    assert "over the time limit of 1 s" in output
    wait_ready(playground)
    playground.fill("#limit", "60")
    playground.click("#run")
    playground.fill("#code", "still typing")  # the page answers while Python runs (in its worker)
    playground.click("#stop")
    assert "Stop pressed" in playground.inner_text("#output")
    wait_ready(playground)
    assert run_code(playground, "print(6 * 7)") == "42\n"


def test_live_training_trains_20_steps_as_the_engine_does(trainer):
    trainer.click("#twenty")
    settle(trainer)
    assert trainer.inner_text("#counts").startswith("step 21 ")
    frame = frame_of(trainer)
    losses = frame.evaluate("trainPage.D.trainLoss")
    assert len(losses) == 21 and losses[-1] < losses[0]
    assert frame.evaluate("trainPage.slider.max") == "20"
    native = train(TrainConfig(data="moons", hidden=(8,), lr=0.05, steps=21)).train_loss
    assert losses == pytest.approx(native, rel=1e-9)  # the same run as `micrograd-lite train`'s engine
    assert "step 20 (21 / 21)" in frame.inner_text("#where")


def frame_of(trainer):
    return next(f for f in trainer.frames if f.parent_frame is not None)


def test_a_click_adds_a_point_and_a_shift_click_removes_it(trainer):
    counts = lambda: trainer.inner_text("#counts")  # noqa: E731
    assert "training set: 300 points" in counts()
    canvas = trainer.frame_locator("#page").locator("#plane canvas")
    box = canvas.bounding_box()
    trainer.select_option("#click", "1")
    canvas.click(position={"x": 20, "y": 20})
    settle(trainer)
    assert "training set: 301 points" in counts()
    frame = frame_of(trainer)
    x, y, label = frame.evaluate("trainPage.D.train[trainPage.D.train.length - 1]")
    x0, x1, y0, y1 = frame.evaluate("trainPage.D.bounds")
    assert label == 1
    assert x == pytest.approx(x0 + 20 / box["width"] * (x1 - x0), abs=1e-6)
    assert y == pytest.approx(y1 - 20 / box["height"] * (y1 - y0), abs=1e-6)
    assert frame.evaluate("trainPage.points.filter(p => p.split === 'train').length") == 301
    canvas.click(position={"x": 20, "y": 20}, modifiers=["Shift"])
    settle(trainer)
    assert "training set: 300 points" in counts()
    assert [x, y, label] not in frame.evaluate("trainPage.D.train")


def test_a_new_learning_rate_continues_from_the_current_parameters(trainer):
    frame = frame_of(trainer)
    last = frame.evaluate("trainPage.D.records[trainPage.D.records.length - 1]")
    trainer.fill("#lr", "0.01")
    trainer.click("#twenty")
    settle(trainer)
    assert trainer.inner_text("#counts").startswith("step 41 ")
    following = frame.evaluate("trainPage.D.records[21]")
    assert following["step"] == 21
    expected = [p + u for p, u in zip(last["p"], last["u"])]  # the update is kept to 6 digits
    assert following["p"] == pytest.approx(expected, rel=1e-4, abs=1e-9)
    assert "lr 0.01" in frame.inner_text("#summary")


@pytest.mark.parametrize(("hidden", "lr", "message"), [
    ("0", "0.05", "hidden neurons: a whole number from 1 to 16"),
    ("8", "1e308", "training diverged at step"),
])  # fmt: skip
def test_bad_settings_are_said_and_the_page_stays_usable(trainer, hidden, lr, message):
    trainer.select_option("#optimizer", "sgd")
    trainer.fill("#lr", lr)
    trainer.fill("#hidden", hidden)
    trainer.click("#new" if hidden == "0" else "#twenty")  # a changed field's new run comes first
    settle(trainer)
    assert message in trainer.inner_text("#status")
    assert "failed" in trainer.get_attribute("#status", "class")
    trainer.select_option("#optimizer", "adamw")
    trainer.fill("#lr", "0.05")
    trainer.fill("#hidden", "8")
    trainer.click("#new")
    settle(trainer)
    assert "ready" in trainer.get_attribute("#status", "class")
    assert trainer.inner_text("#counts").startswith("step 1 ")


def settle(trainer):
    """Wait until every action asked of the live page is done."""
    trainer.wait_for_function("document.body.dataset.busy === '0'", timeout=60_000)


@pytest.mark.parametrize("data", [d for d in DATASETS if d != "moons"])
def test_another_data_set_is_a_new_run_with_its_classes(trainer, data):
    trainer.select_option("#data", data)
    settle(trainer)
    assert trainer.inner_text("#counts").startswith("step 1 ")
    classes = trainer.eval_on_selector_all("#click option", "os => os.map(o => o.value)")
    assert len(classes) == len(train(TrainConfig(data=data, steps=1, n_train=3, n_val=0, n_test=0)).dataset.classes) + 1


def test_no_request_left_127_0_0_1_and_no_console_errors(watched, playground, trainer):
    seen = watched[1]
    assert seen["outside"] == []
    assert any(url.endswith("pyodide.asm.wasm") for url in seen["served"])  # the worker's requests are routed too
    assert any(url.endswith(".whl") for url in seen["served"])
    assert seen["errors"] == []
