"""The annotations as a user's script meets them: mypy --strict over code that imports the package.

`make test` runs mypy over the package itself (before pytest); these tests check what that cannot:
that the public API's types are the ones a user gets (a replay's step returns a float, a gradient a
list of Values), and that a wrong call is caught. mypy runs from the project folder, with its
configuration and its cache, so the package is analysed once.
"""

import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

USER_SCRIPT = """
from micrograd_lite import MLP, SGD, Value, grad, hessian, hvp, mse
from micrograd_lite import course
from micrograd_lite.compile import compile_graph
from micrograd_lite.explain import derive

x, w = Value(0.5, "x"), Value(-3.0, "w")
y = (x * w).tanh() + 2 * x - 1.0 / w ** 2
replay = compile_graph(y, inputs=[x], params=[w])
value, d_inputs, d_params = replay([0.5], [-3.0])
reveal_type(value)
reveal_type(replay.step([0.5], 0.1))
reveal_type(replay.param_values)
reveal_type(replay.batch([[0.5, 1.0]], [-3.0])[2])
reveal_type(grad(y, [x, w], create_graph=True))
reveal_type(hessian(y, [x, w]))
reveal_type(hvp(y, [x, w], [1.0, 0.5]))
model = MLP(2, [4, 1], activation="relu", seed=1)
out = model([0.5, -1.0])
reveal_type(out)
loss = mse(out, [1.0])
optimizer = SGD(model.parameters(), lr=0.05)
optimizer.zero_grad(); loss.backward(); optimizer.step()
reveal_type(course.train(0.5, 2)[0])
reveal_type(derive(y, x).text())
"""

EXPECTED = {  # line of USER_SCRIPT -> the type mypy reveals
    11: "float",
    12: "float",
    13: "list[float]",
    14: "tuple[float, ...]",
    15: "list[micrograd_lite.core.engine.Value]",
    16: "list[list[float]]",
    17: "list[float]",
    20: "micrograd_lite.core.engine.Value | list[micrograd_lite.core.engine.Value]",
    24: "dict[str, float]",
    25: "str",
}


def mypy(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "user_script.py"
    script.write_text(textwrap.dedent(source), encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", str(script)],
        cwd=ROOT,  # the project's [tool.mypy] and cache
        capture_output=True,
        text=True,
    )


def test_a_users_script_gets_the_public_apis_types(tmp_path):
    result = mypy(tmp_path, USER_SCRIPT)
    revealed = {
        int(m.group(1)): m.group(2)
        for m in re.finditer(r'user_script\.py:(\d+): note: Revealed type is "([^"]+)"', result.stdout)
    }
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert not errors, result.stdout + result.stderr
    assert revealed == EXPECTED, result.stdout


def test_a_wrong_call_is_caught(tmp_path):
    wrong = """
    from micrograd_lite import Value
    from micrograd_lite.compile import compile_graph

    w = Value("0.15", "w1")
    replay = compile_graph(w * w, params=[w])
    replay.step([], "0.1")
    """
    result = mypy(tmp_path, wrong)
    assert result.returncode == 1, result.stdout + result.stderr
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 2 and all("[arg-type]" in line for line in errors), result.stdout
    assert ":5:" in errors[0] and ":7:" in errors[1], result.stdout
