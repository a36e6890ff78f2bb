"""Issue 13's adversarial inputs outside the engine: each case here once crashed, hung or was silently accepted."""

import math
import os
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from micrograd_lite import Value
from micrograd_lite.cli.sheet import DEMO_NEEDS
from micrograd_lite.errors import ExpressionError
from micrograd_lite.expr import MAX_LENGTH, MAX_OPERATIONS, parse_expression
from micrograd_lite.gradcheck import gradcheck
from micrograd_lite.nn import MLP, SGD, Layer, Neuron


def cli(*args, cwd=None, python_options=()):
    """Run the command line as a user would; returns the CompletedProcess."""
    return subprocess.run(
        [sys.executable, *python_options, "-m", "micrograd_lite", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
    )


def assert_one_line_error(result, *words):
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("micrograd-lite: error:"), result.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])


# ----------------------------------------------------------------------
# Expressions: size and depth are checked before parsing (defect 9).
# ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "x" + "**x" * 3000,  # was a MemoryError inside Python's parser
        "x" + "+x" * 2000,  # was "maximum recursion depth exceeded"
        "-" * 3000 + "x",  # unary minus nests as deeply
        "exp(" * 600 + "x" + ")" * 600,
    ],
)
def test_deep_expressions_are_refused_naming_the_limit(text):
    with pytest.raises(ExpressionError, match=f"the limit is {MAX_OPERATIONS}"):
        parse_expression(text, {"x": 1.0})


def test_expressions_up_to_the_limit_are_accepted_and_correct():
    n = MAX_OPERATIONS  # x + x + ... with n operators: n + 1 terms
    y = parse_expression("x" + " + x" * n, {"x": 0.25})
    y.backward()
    assert y.data == 0.25 * (n + 1)
    (x,) = {id(c): c for c in y.children if c.label == "x"}.values()
    assert x.grad == n + 1  # d/dx of (n+1)·x, counted independently of the engine
    tower = parse_expression("x" + "**x" * n, {"x": 1.0})  # right-associative: nests n deep
    assert tower.data == 1.0
    with pytest.raises(ExpressionError, match=f"has {n + 1} operators"):
        parse_expression("x" + " + x" * (n + 1), {"x": 0.25})


def test_long_expressions_are_refused_before_parsing():
    text = "x*" * (MAX_LENGTH // 2) + "x"
    with pytest.raises(ExpressionError, match=f"characters long; the limit is {MAX_LENGTH:,}"):
        parse_expression(text, {"x": 1.0})
    with pytest.raises(ExpressionError, match="characters long") as info:
        parse_expression(" " * MAX_LENGTH + "x", {"x": 1.0})
    assert len(str(info.value)) < 200  # the message never echoes the whole text


@pytest.mark.parametrize(
    "text, words",
    [
        ("", ["empty expression"]),
        ("   ", ["empty expression"]),
        ("x*1e999", ["1e999", "too large"]),  # Python reads it as inf
        ("x*" + "9" * 400, ["too large"]),  # an int no float can hold
        ("x*" + "9" * 5000, ["invalid expression", "4300 digits"]),  # Python's own digit limit
        ("x\0", ["null character"]),
        ("(x", ["invalid expression"]),
        ('"""x', ["invalid expression"]),
        ("(" * 300 + "x" + ")" * 300, ["invalid expression"]),
        ("y" + " + y" * 100, ["unknown name 'y'", "…"]),  # a long text is shortened in the message
    ],
)
def test_odd_texts_give_a_clear_expression_error(text, words):
    with pytest.raises(ExpressionError) as info:
        parse_expression(text, {"x": 1.0})
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 10**400, "1"])
def test_variables_must_be_finite_numbers(value):
    with pytest.raises(ExpressionError, match="must be a finite number"):
        parse_expression("log(x)", {"x": value})


def test_unicode_variable_names_are_read_as_python_reads_them():
    y = parse_expression("ｘ * 2", {"ｘ": 3.0})  # Python's parser reads the fullwidth ｘ as x (NFKC)
    assert y.data == 6.0 and {c.label for c in y.children} >= {"ｘ"}
    assert parse_expression("é * 2", {"e\u0301": 2.0}).data == 4.0  # composed and combining é are one name
    with pytest.raises(ExpressionError, match="same name"):
        parse_expression("x * ｘ", {"x": 2.0, "ｘ": 3.0})  # was silently 9.0, not 6.0


def test_builtin_and_function_names_are_ordinary_variables():
    assert parse_expression("len * 2 + ValueError", {"len": 3.0, "ValueError": 1.0}).data == 7.0
    assert parse_expression("exp(exp)", {"exp": 0.0}).data == 1.0


# ----------------------------------------------------------------------
# nn and gradcheck refuse sizes and steps that compute nothing.
# ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda: Neuron(0), ["nin", "at least 1", "0"]),  # was ZeroDivisionError
        (lambda: Neuron(2.5), ["nin", "2.5"]),
        (lambda: Layer(2, 0), ["nout", "0"]),
        (lambda: MLP(0, [1]), ["MLP", "nin", "0"]),  # was ZeroDivisionError
        (lambda: MLP(2, [0]), ["MLP", "[0]"]),  # returned [] from every call
        (lambda: MLP(2, [3, -1]), ["MLP", "-1"]),
        (lambda: MLP(2, []), ["MLP", "nouts"]),
        (lambda: MLP(2, 1), ["MLP", "nouts"]),
        (lambda: MLP(2, "16"), ["MLP", "nouts"]),
    ],
)
def test_network_sizes_must_be_positive_whole_numbers(make, words):
    with pytest.raises(ValueError) as info:
        make()
    for word in words:
        assert word in str(info.value)


def test_mlp_takes_layer_sizes_from_any_iterable():
    model = MLP(2, (n for n in (3, 1)))  # a generator was consumed by the check, leaving no layers
    assert [len(layer.neurons) for layer in model.layers] == [3, 1]
    assert isinstance(model([0.5, -1.0]), Value)


def test_mlp_takes_numpy_whole_numbers():
    import numpy  # comes with matplotlib (the plots extra)

    assert len(MLP(numpy.int64(2), [numpy.int64(1)]).parameters()) == 3  # sizes such as X.shape[1]


@pytest.mark.parametrize("lr", [math.inf, -math.inf, math.nan, 0.0, -0.1])
def test_sgd_refuses_a_learning_rate_that_is_not_positive_and_finite(lr):
    with pytest.raises(ValueError, match="positive finite"):
        SGD([Value(1.0)], lr)


@pytest.mark.parametrize("lr", ["0.1", None, True])
def test_sgd_refuses_a_learning_rate_that_is_not_a_number(lr):
    with pytest.raises(TypeError, match="SGD: learning rate must be a number"):
        SGD([Value(1.0)], lr)


def test_sgd_refuses_parameters_it_cannot_step():
    with pytest.raises(ValueError, match="no parameters"):
        SGD([], 0.1)
    with pytest.raises(TypeError, match="parameter 1 is a float"):
        SGD([Value(1.0), 2.0], 0.1)  # step() failed later with "'float' object has no attribute 'data'"


def test_sgd_accepts_any_real_number_type():
    from fractions import Fraction

    p = Value(1.0)
    p.grad = 2.0
    SGD([p], Fraction(1, 4)).step()
    assert p.data == 0.5


@pytest.mark.parametrize(
    "options, words",
    [
        ({"eps": 0}, ["eps", "positive"]),  # was a bare ZeroDivisionError
        ({"eps": -1e-6}, ["eps", "positive"]),
        ({"eps": math.nan}, ["eps"]),
        ({"eps": math.inf}, ["eps"]),
        ({"atol": math.nan}, ["atol"]),
        ({"rtol": -1.0}, ["rtol", ">= 0"]),
    ],
)
def test_gradcheck_refuses_bad_steps_and_tolerances(options, words):
    with pytest.raises(ValueError) as info:
        gradcheck(lambda x: x * x, [1.0], **options)
    for word in words:
        assert word in str(info.value)


def test_gradcheck_refuses_inputs_it_cannot_check():
    with pytest.raises(ValueError, match="no inputs"):
        gradcheck(lambda: Value(1.0), [])
    with pytest.raises(ValueError, match="finite"):
        gradcheck(lambda x: x * x, [math.nan])
    with pytest.raises(ValueError, match="too small to move input 0"):
        gradcheck(lambda x: x * x, [1e12], eps=1e-6)  # 1e12 ± 1e-6 is 1e12: the difference would be 0
    with pytest.raises(TypeError, match="must return a Value, got float"):
        gradcheck(lambda x: 2.0, [1.0])


# ----------------------------------------------------------------------
# The command line: one line, exit 2, for every rough edge.
# ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, words",
    [
        (["graph", "--out", "g.svg", "--expr", "-x*2", "x=1"], ["--expr=-x*2"]),
        (["explain", "--expr", "-x", "x=1"], ["--expr=-x"]),
        (["graph", "--out", "g.svg", "--expr", "x*y", "x=1", "y=2", "x=3"], ["x is given twice", "x=1.0", "x=3.0"]),
        (["explain", "--expr", "2*3"], ["no variables", "nothing to differentiate"]),
        (["explain", "--expr", "2*3", "x=1"], ["nothing to differentiate"]),
        (["graph", "--out", "g.svg", "--expr", "log(x)", "x=nan"], ["x = nan", "finite"]),
        (["graph", "--out", "g.svg", "--expr", "log(x)", "x=inf"], ["x = inf", "finite"]),
        (["graph", "--out", "g.svg", "--expr", "x" + "**x" * 3000, "x=1"], ["limit is 500"]),
        (["graph", "--out", "g.svg", "--expr", "x" + "+x" * 2000, "x=1"], ["limit is 500"]),
        (["graph", "--out", "g.svg", "--expr", ""], ["empty expression"]),
        (["graph", "--out", "g.svg", "--expr", "x*ｘ", "x=1", "ｘ=2"], ["same name"]),
        (["graph", "--out", "g.svg", "--expr", "x", "=1"], ["expected NAME=NUMBER"]),
        (["graph", "--out", "g.svg", "--expr", "x*1e308*10", "x=1"], ["expression is inf at x=1.0", "too large"]),
        (["explain", "--expr", "x*y", "x=1e300", "y=1e300"], ["is inf", "too large"]),  # printed "= inf"
    ],
)
def test_rough_edges_are_one_line_errors(args, words, tmp_path):
    result = cli(*args, cwd=tmp_path)
    assert_one_line_error(result, *words)
    assert list(tmp_path.iterdir()) == []


def test_a_variable_named_like_explains_generated_names_stays_itself():
    """explain names long subexpressions n1, n2, ...: a variable called n1 was shadowed by one (a wrong formula)."""
    from micrograd_lite.explain import derive, evaluate

    text = "tanh(exp(x*w + n1*x) + sigmoid(x*w*w + 3*n1)) * n1"
    root = parse_expression(text, {"x": 0.5, "w": 2.0, "n1": 0.3})
    root.backward()
    (n1,) = [leaf for leaf in _leaves(root) if leaf.label == "n1"]
    derivation = derive(root, n1)
    assert derivation.definitions and "n1" not in dict(derivation.definitions)
    formula = evaluate(derivation, root)
    h = 1e-6  # an independent reference: a central difference of the forward value
    shifted = [parse_expression(text, {"x": 0.5, "w": 2.0, "n1": 0.3 + d}).data for d in (h, -h)]
    assert math.isclose(formula, (shifted[0] - shifted[1]) / (2 * h), rel_tol=1e-6)


def _leaves(root):
    from micrograd_lite import leaves

    return leaves(root)


def test_demo_into_an_existing_file_says_so(tmp_path):
    (tmp_path / "out").write_text("mine")
    result = cli("demo", "--out", "out", "--epochs", "2", cwd=tmp_path)
    assert_one_line_error(result, "--out out", "a file of that name exists")  # was "[Errno 17] File exists"
    assert (tmp_path / "out").read_text() == "mine"


def test_errors_about_very_long_names_stay_short(tmp_path):
    name = "y" * 3000
    result = cli("graph", "--out", "g.svg", "--expr", f"{name} + z", f"{name}=1", cwd=tmp_path)
    assert_one_line_error(result, "unknown name 'z'")
    assert len(result.stderr) < 400  # the 3,000-letter name was repeated twice over


def test_a_variable_named_f_is_not_confused_with_the_result(tmp_path):
    result = cli("explain", "--expr", "f*f + x", "f=3", "x=1", "--wrt", "f", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("∂f_1/∂f ="), result.stdout  # was "∂f/∂f = ... = (1 + 1) · f"
    assert "= 6.0  (computed by backward())" in result.stdout


def test_unicode_variables_on_the_command_line(tmp_path):
    result = cli("explain", "--expr", "ｘ*ｙ + ｙ", "ｘ=2", "ｙ=3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # ∂/∂ｘ = ｙ = 3, ∂/∂ｙ = ｘ + 1 = 3
    assert result.stdout.count("= 3.0  (computed by backward())") == 2, result.stdout
    assert "ｘ" in result.stdout and "ｙ" in result.stdout  # the derivations keep the names as typed


def test_an_unexpected_error_is_still_one_line(tmp_path):
    not_a_zip = tmp_path / "mine.xlsx"
    not_a_zip.write_text("not a workbook")
    result = cli("sheet", "--compare", str(not_a_zip))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_message_of_several_lines_is_printed_on_one():
    from micrograd_lite.cli import one_line

    assert one_line(RuntimeError("dot failed:\n  Error: layout\n\n  (code 1)")) == "dot failed: Error: layout (code 1)"
    assert one_line(MemoryError()) == "MemoryError"  # no message: its type


def test_a_closed_pipe_ends_quietly():
    """`micrograd-lite ... | head`: the reader has gone, which is not an error worth a message."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # every write now fails with a broken pipe
    try:
        writer = subprocess.run(
            [sys.executable, "-m", "micrograd_lite", "explain", "--trace"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
        )
    finally:
        os.close(write_end)
    assert writer.returncode == 141 and writer.stderr == "", writer.stderr


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
# No ResourceWarning from any command, under python -X dev.
# ----------------------------------------------------------------------


def test_the_resource_warning_check_can_fail(tmp_path):
    """The same flags do report a file left open, so the test below can see one."""
    code = "f = open(__import__('sys').executable, 'rb'); del f"
    result = subprocess.run(
        [sys.executable, "-X", "dev", "-W", "error::ResourceWarning", "-c", code], capture_output=True, text=True
    )
    assert "ResourceWarning" in result.stderr


def test_no_command_leaves_a_file_or_process_open(tmp_path):
    commands = [
        ["graph", "--out", "g.svg"],
        ["graph", "--out", "g.png", "--expr", "tanh(x*w + b)", "x=1", "w=2", "b=3"],
        ["sheet", "--epochs", "3", "--csv", "s.csv", "--xlsx", "s.xlsx", "--check"],
        ["sheet", "--compare", "s.csv"],
        ["sheet", "--compare", "s.xlsx"],
        ["sweep", "--epochs", "3", "--out", "l.png"],
        ["compile", "--show"],
        ["explain", "--wrt", "w5", "--trace", "--trace-csv", "t.csv", "--trace-md", "t.md", "--html", "t.html"],
        ["explain", "--expr", "x*y", "x=1", "y=2", "--frames", "frames"],
        ["demo", "--out", "out", "--epochs", "3"],
        ["graph", "--out", "g.jpg"],  # and the error paths
        ["sheet", "--compare", "no-such-file.csv"],
    ]
    for args in commands:
        result = cli(*args, cwd=tmp_path, python_options=("-X", "dev", "-W", "error::ResourceWarning"))
        assert "ResourceWarning" not in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr, (args, result.stderr)
        assert result.returncode == (2 if args[-1] in ("g.jpg", "no-such-file.csv") else 0), (args, result.stderr)


# ----------------------------------------------------------------------
# Random texts: a clear error or a Value, never a crash of another kind.
# ----------------------------------------------------------------------

PIECES = [
    "x",
    "y",
    "ｘ",
    "1",
    "0",
    "2.5",
    "1e308",
    "e",
    "+",
    "-",
    "*",
    "/",
    "**",
    "(",
    ")",
    "exp(",
    "log(",
    "sqrt(",
    "tanh(",
    "relu(",
    "abs(",
    ",",
    " ",
    ".",
    "[",
    "]",
    "'",
    "\\n",
    "lambda",
    ":",
    "9" * 20,
]


@given(st.lists(st.sampled_from(PIECES), max_size=2000))
def test_any_text_gives_a_value_or_a_clear_error(pieces):
    text = "".join(pieces)
    try:
        y = parse_expression(text, {"x": 0.5, "y": -2.0})
    except (ValueError, ArithmeticError) as error:  # ExpressionError, a domain error, an overflow
        assert str(error) and len(str(error)) < 500
    else:
        assert isinstance(y, Value)


SHAPES = {
    "chain": lambda n, op: "x" + f"{op}x" * n,
    "unary": lambda n, op: "-" * n + "x",
    "calls": lambda n, op: "tanh(" * n + "x" + ")" * n,
    "parentheses": lambda n, op: "(" * n + "x" + ")" * n,
    "left-nested": lambda n, op: "(" * n + "x" + f"{op}x)" * n,
}


@given(st.sampled_from(sorted(SHAPES)), st.integers(0, 1500), st.sampled_from(["+", "-", "*", "/", "**"]))
def test_deep_texts_of_every_shape_are_parsed_or_refused_by_the_limit(shape, n, op):
    text = SHAPES[shape](n, op)
    try:
        y = parse_expression(text, {"x": 0.5})
    except ExpressionError as error:
        assert "limit" in str(error) or "too many nested parentheses" in str(error), str(error)
        assert n > 100  # nothing this shallow is refused
    except ArithmeticError:
        assert op in ("**", "/")  # 0.5 ** 0.5 ** ...: fine; an underflow to 0 then divided: a clear error
    else:
        assert isinstance(y, Value)
