"""Compiled replay: record a graph once, then re-run forward and backward as plain Python.

The eager engine builds a new graph of Value objects on every forward pass.
When the *shape* of the computation does not change (the same network, new
numbers), that work can be done once: :func:`compile_graph` records the graph
as a list of statements (:mod:`.ir`: one per node forward, one per edge
backward, each an operation of the table :mod:`micrograd_lite.ops`), and
printers write them as code -- :mod:`.python` the replay and the SGD step over
floats, much like the course's own list of steps, which the comments show in
the graph's labels; :mod:`.arrays` the batch over NumPy arrays. The code is
compiled once per graph structure (and cached), and called with new leaf values.

>>> from micrograd_lite import Value
>>> x, w = Value(0.5, "x"), Value(-3.0, "w")
>>> y = (x * w).tanh()
>>> replay = compile_graph(y, inputs=[x], params=[w])
>>> value, (d_x,), (d_w,) = replay([0.5], [-3.0])
>>> y.backward(); (value, d_x, d_w) == (y.data, x.grad, w.grad)
True

The replay equals the eager engine bit for bit, sign of zero included, and
fails as it does: when a step meets a domain error (``log`` of a negative
number, a division by zero, an overflow) or a result that is not a finite
float, the replay runs the same graph on the eager engine, which raises the
engine's own error -- or, where the engine gives ``inf`` or ``nan`` too,
returns the same numbers. Pass floats, as the engine stores them: a result
that is not a float (all-int inputs) takes the slower, exact path, but ints
mixed with floats are computed as Python ints, which may differ from the
engine in the sign of a zero (``-0`` is ``0``) and past 2**53.

What recording cannot capture: Python control flow on ``.data``. ``if x.data > 0:``
or a loop whose length depends on a value runs once, while the graph is built,
and the compiled code always takes the branch that was taken then. ``relu`` and
``abs`` are fine: their branch is part of the operation, not of your code.
A leaf that is not an input or a param is a constant, written into the code;
so is a ``detach()``-ed value, which has no history to replay.

Words: *record* is what compile does to a graph (the backward pass written
out turn by turn is the backward log, :mod:`micrograd_lite.backward_log`), and
the replay's training step is ``sgd_step`` (an optimiser's step is ``step()``).
"""

from __future__ import annotations

import math
import operator
import types
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from types import CodeType
from typing import TYPE_CHECKING, Any, NoReturn, Optional, Protocol, Union, cast

from ...core.engine import Value, sum_values, topological_order, value_list
from ...core.nn import learning_rate
from ...core.ops import NAMESPACE, OPS, numpy_namespace, row
from ...util import optional_import
from .arrays import batch_source
from .fuse import find_layers, fused_batch_source
from .ir import Program, record
from .python import replay_source, sgd_step_source

if TYPE_CHECKING:  # NumPy is optional: only the batch replay needs it
    from numpy.typing import ArrayLike

    from ...core.ops import Array

    BatchResult = tuple[Array, tuple[Array, ...], tuple[float, ...]]  # values, input gradients, param gradients
    # One chunk's numbers: values, input gradients (an array per input), param gradients (per param, an array
    # or one number for every point), and the check (None when the replay did the chunk point by point).
    Chunk = tuple[Array, Iterable[Array], Iterable[Union[Array, float]], Optional[Array]]  # noqa: UP007, UP045

__all__ = ["BATCH_CHUNK", "CACHE_SIZE", "Batch", "Replay", "SgdStep", "compile_graph"]

Gradients = tuple[float, ...]
Result = tuple[float, Gradients, Gradients]  # value, input gradients, param gradients
# A node of a graph's structure: its op's name and exponent, its children's positions (a leaf: None for an
# input or a param, a constant's repr), its label.
Node = tuple[str, Optional[float], Union[tuple[int, ...], str, None], str]  # noqa: UP007, UP045 (runtime aliases)
Structure = tuple[tuple[Node, ...], int, tuple[int, ...], tuple[int, ...]]  # nodes, root's, inputs', params' positions


class SgdStep(Protocol):
    """``replay.sgd_step(inputs, lr) -> value``: forward, backward and the update of the params, in one call."""

    def __call__(self, inputs: Sequence[float] = (), lr: float = 0.0) -> float: ...


class Replay(Protocol):
    """What :func:`compile_graph` returns: ``replay(inputs, params) -> (value, input_grads, param_grads)``."""

    source: str  # the generated code
    param_values: list[float]  # the params as sgd_step updates them
    sgd_step: SgdStep
    step: SgdStep  # the old name of sgd_step, deprecated
    write_back: Callable[[], None]  # param_values into the params' Values
    batch: Batch
    batch_source: Callable[..., str]  # batch_source(fuse=True): the batch's code, each layer a matrix product

    def __call__(self, inputs: Sequence[float] = (), params: Sequence[float] = ()) -> Result: ...


class Batch(Protocol):
    """``replay.batch(input_columns, params, fuse=True) -> (values, input_grads, param_grads)``: see :func:`_batch`."""

    def __call__(
        self, input_columns: Sequence[ArrayLike], params: Sequence[float], *, fuse: bool = True
    ) -> BatchResult: ...


class _Function(Protocol):
    """A function that generated code defines, with its source."""

    __code__: types.CodeType
    __globals__: dict[str, Any]  # what exec gave it
    __name__: str
    __defaults__: tuple[object, ...] | None
    source: str

    def __call__(self, *args: Any) -> Any: ...


CACHE_SIZE = 256
BATCH_CHUNK = 2048
"""Points per pass of the batch code: its arrays stay small and memory stays bounded, whatever N."""
_BINARY: dict[str, Callable[[Value, Value], Value]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
}


@dataclass
class _Compiled:
    """What one graph structure compiles to: made once, shared by every recording of that structure."""

    structure: Structure
    program: Program
    replay: _Function
    sgd_step: CodeType | None  # None without params: nothing to update
    sgd_step_source: str
    batch: dict[bool, _Function] = field(default_factory=dict)  # fused or not: made on first use (it needs NumPy)


_CACHE: dict[Structure, _Compiled] = {}  # graph structure -> its compiled code, the oldest first


def compile_graph(root: Value, inputs: Sequence[Value] = (), params: Sequence[Value] = ()) -> Replay:
    """Record ``root``'s graph as a function ``replay(inputs, params) -> (value, input_grads, param_grads)``.

    The gradients are those of one call alone (nothing accumulates), in the
    order of ``inputs`` and ``params``; ``replay.source`` is the generated code.

    ``inputs`` and ``params`` are leaves whose values change between calls;
    every other leaf is a constant, written into the code. Gradients are
    computed for inputs and params (both), and only along paths that reach them.

    The replay also trains. ``replay.sgd_step(inputs, lr)`` runs forward,
    backward and the update ``p - lr * dp`` in one generated function and
    returns the output from before the update; the params' values live in
    ``replay.param_values`` until ``replay.write_back()`` copies them into the
    Values (``replay.step`` is its old name, deprecated). ``replay.batch(input_columns, params)``
    runs the same statements over N points with NumPy (see :func:`_batch`).

    >>> w = Value(2.0, "w")
    >>> replay = compile_graph((w - 5.0) ** 2, params=[w])
    >>> replay.sgd_step((), 0.25), replay.param_values   # d/dw = 2(w - 5) = -6
    (9.0, [3.5])
    >>> replay.write_back(); w.data
    3.5
    >>> x = Value(0.0, "x")
    >>> values, (d_x,), (d_w,) = compile_graph(x * w, inputs=[x], params=[w]).batch([[1.0, 2.0, 3.0]], [0.5])
    >>> values.tolist(), d_x.tolist(), d_w    # d_w summed over the three points
    ([0.5, 1.0, 1.5], [0.5, 0.5, 0.5], 6.0)
    """
    if not isinstance(root, Value):
        raise TypeError(f"compile_graph: root must be a Value, got {type(root).__name__}: {root!r:.40}")
    inputs, params = value_list(inputs, "compile_graph"), value_list(params, "compile_graph", "params")
    _refuse_repeats(inputs, params)
    order = topological_order(root)
    in_graph = {id(n) for n in order}
    for leaf in inputs + params:
        if leaf.children:
            raise ValueError(f"compile: inputs and params must be leaves, but {leaf!r} is the result of {leaf.op!r}")
    unused = [v for v in inputs + params if id(v) not in in_graph]  # their gradient is 0.0
    order += unused
    key = _structure(order, root, inputs, params)
    if key not in _CACHE:
        if len(_CACHE) >= CACHE_SIZE:
            del _CACHE[next(iter(_CACHE))]  # forget the oldest
        _CACHE[key] = _compile(key, record(root, order, inputs, params))
    return _bind(_CACHE[key], inputs, params)


def _compile(structure: Structure, program: Program) -> _Compiled:
    """The replay and the SGD step of a program, compiled (the batch waits for its first call)."""

    def run_eagerly(inputs: Sequence[float], params: Sequence[float]) -> Result:
        return _run_eagerly(structure, inputs, params)

    source = replay_source(program)
    namespace: dict[str, Any] = dict(NAMESPACE, run_eagerly=run_eagerly)  # what the generated code sees
    exec(compile(source, "<micrograd_lite.compile>", "exec"), namespace)  # our own source, never user text
    replay: _Function = namespace["replay"]
    replay.source = source
    step_source = sgd_step_source(program) if program.params else ""
    step = compile(step_source, "<micrograd_lite.compile sgd_step>", "exec") if program.params else None
    return _Compiled(structure, program, replay, step, step_source)


def _refuse_repeats(inputs: list[Value], params: list[Value]) -> None:
    """Each leaf may be given once: as two params it would be updated twice, as input and param both ways."""
    seen: dict[int, str] = {}
    for group, values in (("inputs", inputs), ("params", params)):
        for i, v in enumerate(values):
            where = f"{group}[{i}]"
            if id(v) in seen:
                twice = f"{v!r} is given twice, as {seen[id(v)]} and {where}"
                raise ValueError(f"compile_graph: {twice}; give each leaf once")
            seen[id(v)] = where


def _structure(order: list[Value], root: Value, inputs: list[Value], params: list[Value]) -> Structure:
    """What the generated code depends on: ops, wiring, labels, constants and which leaves vary.

    Two recordings with the same structure (the same network, other numbers in
    its inputs and params) share one compiled function. It is also all the eager
    engine needs to build the same graph again (see :func:`_run_eagerly`).
    """
    position = {id(node): i for i, node in enumerate(order)}
    variables = {id(v) for v in inputs + params}
    nodes = tuple(
        (row(node.op).name, row(node.op).exponent, tuple(position[id(c)] for c in node.children), node.label)
        if node.children
        else ("", None, None if id(node) in variables else repr(node.data), node.label)
        for node in order
    )
    return nodes, position[id(root)], tuple(position[id(v)] for v in inputs), tuple(position[id(v)] for v in params)


def _run_eagerly(structure: Structure, inputs: Sequence[float], params: Sequence[float]) -> Result:
    """The replay's answer computed by the eager engine: its exact numbers, or its exact error."""
    nodes, root_at, input_at, param_at = structure
    given = dict(zip(input_at + param_at, [*inputs, *params]))
    values: list[Value] = []
    for i, (name, exponent, wiring, label) in enumerate(nodes):
        if not isinstance(wiring, tuple):  # a leaf (no op name): a variable, or a constant written as its repr
            values.append(Value(given[i] if wiring is None else float(wiring), label))
        else:
            values.append(_apply(name, exponent, [values[c] for c in wiring]))
    root = values[root_at]
    root.backward()
    return root.data, tuple(values[i].grad for i in input_at), tuple(values[i].grad for i in param_at)


def _apply(name: str, exponent: float | None, operands: list[Value]) -> Value:
    """Operation ``name`` done by the eager engine: its method, or its operator."""
    op = OPS[name]
    if exponent is not None:  # pown, the only op with an exponent
        return operands[0] ** exponent
    if op.arity is None:
        return sum_values(operands)
    if op.arity == 2:
        return _BINARY[op.symbol](*operands)
    if name == "neg":
        return -operands[0]
    result: Value = getattr(operands[0], name)()  # the method of that name: tanh, exp, ...
    return result


def _bind(compiled: _Compiled, inputs: list[Value], params: list[Value]) -> Replay:
    """The replay handed out for one recording: the shared compiled code, with training state of its own.

    ``param_values`` (a list, updated in place by ``sgd_step``) starts from the
    params' values; two recordings of the same structure share code, never state.
    """
    shared = compiled.replay
    function = types.FunctionType(shared.__code__, shared.__globals__, shared.__name__, shared.__defaults__)
    replay = cast(Replay, function)  # its attributes are set below
    replay.source = shared.source
    replay.param_values = values = [p.data for p in params]
    run_eagerly: Callable[[Sequence[float], Sequence[float]], Result] = shared.__globals__["run_eagerly"]

    def step_eagerly(inputs: Sequence[float], lr: float) -> float:
        """The engine's step where the fast code met a domain error, a non-finite number or an input not a float."""
        lr = learning_rate(lr, "sgd_step")
        inputs = _finite_numbers(inputs, "sgd_step: input")
        value, _, grads = run_eagerly(inputs, values)  # raises the engine's error: the values stay as they were
        values[:] = [v - lr * g for v, g in zip(values, grads)]
        return value

    if compiled.sgd_step is not None:
        namespace: dict[str, Any] = dict(NAMESPACE, param_values=values, step_eagerly=step_eagerly)
        namespace["learning_rate"] = learning_rate
        exec(compiled.sgd_step, namespace)
        sgd_step: SgdStep = namespace["sgd_step"]
        namespace["sgd_step"].source = compiled.sgd_step_source
    else:
        sgd_step = _no_params

    def step(inputs: Sequence[float] = (), lr: float = 0.0) -> float:
        """Deprecated: the old name of ``replay.sgd_step``, for one release."""
        warnings.warn(
            "replay.step is deprecated, use replay.sgd_step (the same SGD step, renamed: 'step' had several meanings)",
            DeprecationWarning,
            stacklevel=2,
        )
        return sgd_step(inputs, lr)

    def write_back() -> None:
        """Copy ``param_values`` into the parameter Values (``p.data``)."""
        for p, v in zip(params, values):
            p.data = v

    def batch(input_columns: Sequence[ArrayLike], params: Sequence[float], *, fuse: bool = True) -> BatchResult:
        """See :func:`_batch`; ``fuse=False`` runs every node on its own, as the scalar replay does."""
        return _batch(replay, _batch_function(compiled, fuse), input_columns, params, len(inputs), len(values))

    def batch_source(fuse: bool = True) -> str:
        """The code ``batch`` runs (NumPy needed): where the graph has layers, their matrix products, ``W1 @ X1``."""
        return _batch_function(compiled, fuse).source

    replay.sgd_step, replay.step, replay.write_back, replay.batch = sgd_step, step, write_back, batch
    replay.batch_source = batch_source
    return replay


def _no_params(inputs: Sequence[float] = (), lr: float = 0.0) -> NoReturn:
    raise ValueError("sgd_step: this graph was compiled without params, so there is nothing to update")


def _batch_function(compiled: _Compiled, fuse: bool = True) -> _Function:
    """The batch code of a graph structure: its statements over NumPy arrays (printed once, on first use).

    Fused, each layer found on the statements is one matrix product (:mod:`.fuse`); a graph without
    one, or ``fuse=False``, gets one line per node (:mod:`.arrays`).
    """
    if fuse in compiled.batch:
        return compiled.batch[fuse]
    np = optional_import("numpy", "numpy", "the batch replay")
    if not compiled.program.inputs:
        raise ValueError("batch: the graph was compiled without inputs, so there is nothing to vary per point")
    layers = find_layers(compiled.program) if fuse else []
    source = fused_batch_source(compiled.program, layers) if layers else batch_source(compiled.program)
    namespace: dict[str, Any] = dict(numpy_namespace(np), every=np.all, point_sum=_point_sum(np))
    namespace.update(array=np.array, stack=np.stack, empty=np.empty, full=np.full, add=np.add)
    exec(compile(source, "<micrograd_lite.compile batch>", "exec"), namespace)  # our own source
    batch: _Function = namespace["batch"]
    batch.source = source
    compiled.batch[fuse] = batch
    return batch


def _batch(
    replay: Replay,
    generated: _Function,
    input_columns: Sequence[ArrayLike],
    params: Sequence[float],
    n_inputs: int,
    n_params: int,
) -> BatchResult:
    """``replay.batch(input_columns, params) -> (values, input_grads, param_grads)`` over N points.

    ``input_columns`` holds one array (or sequence) of N numbers per input;
    ``values`` is the N results, ``input_grads`` one array of N per input,
    ``param_grads`` one float per param, summed over the points. Point by point
    the numbers are the replay's (see docs/performance.md for the last bits of
    exp, log and tanh). The points go through in chunks of
    :data:`BATCH_CHUNK`; a chunk that meets a domain error or a number that is
    not finite is done again point by point by the replay, so an error is the
    engine's own, prefixed with the index of the first point that fails.
    """
    np = optional_import("numpy", "numpy", "the batch replay")
    columns = _columns(np, input_columns, n_inputs)
    params = _floats(params, n_params)
    n = len(columns[0])
    values = np.empty(n)
    input_grads = tuple(np.empty(n) for _ in columns)
    param_grads = np.zeros(n_params)  # each param's sum, chunk after chunk, from 0.0
    for start in range(0, n, BATCH_CHUNK):
        stop = min(start + BATCH_CHUNK, n)
        # Where Python raises (exp(1000), 10.0 ** 400) NumPy gives inf, which a relu could hide: so an
        # overflow, a division by zero or a nan made on the way stops the chunk, as does a result that is
        # not finite (a nan or inf among the inputs); the replay then does it point by point.
        with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
            try:
                result = generated([column[start:stop] for column in columns], params)
                sums = np.zeros(0) if result is None else _sums(np, result[2], stop - start)
            except FloatingPointError:
                result = None
        if result is None or not (np.isfinite(result[3]).all() and np.isfinite(sums).all()):
            result = _point_by_point(np, replay, columns, params, start, stop)
            sums = _sums(np, result[2], stop - start)
        values[start:stop] = result[0]
        for whole, part in zip(input_grads, result[1]):
            whole[start:stop] = part
        param_grads = param_grads + sums
    return values, input_grads, tuple(param_grads.tolist())


def _sums(np: types.ModuleType, grads: Iterable[Array | float] | Array, count: int) -> Array:
    """Each param's gradients summed over the points of a chunk (the fused code returns them summed)."""
    if isinstance(grads, np.ndarray) and grads.ndim == 1:  # the fused code's: one sum per param
        return cast("Array", grads)
    point_sum = _point_sum(np)
    return cast("Array", np.array([float(point_sum(g, count)) for g in grads], dtype=np.float64))


def _point_sum(np: types.ModuleType) -> Callable[[Array | float, int], Array]:
    """A gradient summed over ``count`` points: an array's sum, or one number (the same at every point) count times."""
    add = np.add.reduce  # what ndarray.sum() calls, without its overhead: twice as fast on 337 params

    def point_sum(g: Array | float, count: int) -> Array:
        return cast("Array", add(g if isinstance(g, np.ndarray) and g.ndim else np.full(count, g)))

    return point_sum


def _columns(np: types.ModuleType, input_columns: Sequence[ArrayLike], count: int) -> list[Array]:
    """The input columns as 1-D float arrays of one length, or a ValueError saying what is wrong."""
    if isinstance(input_columns, (str, bytes, dict)) or not hasattr(input_columns, "__len__"):
        raise ValueError(f"batch: input_columns must be a list of {count} columns, got {input_columns!r:.40}")
    if len(input_columns) != count:
        raise ValueError(f"batch: the graph takes {count} input columns, got {len(input_columns)}")
    columns: list[Array] = []
    for i, column in enumerate(input_columns):
        try:
            array = np.asarray(column)
        except (TypeError, ValueError) as error:
            raise ValueError(f"batch: input column {i} is not a column of numbers ({error})") from None
        if array.dtype.kind not in "iuf":  # None or a string would become nan or fail later; bools are no floats
            raise ValueError(f"batch: input column {i} is not a column of numbers (it holds {array.dtype})")
        array = array.astype(np.float64, copy=False)
        bad = np.flatnonzero(~np.isfinite(array)) if array.ndim == 1 and not np.isfinite(array).all() else []
        if len(bad):
            first = f"input column {i}, point {bad[0]} is {float(array[bad[0]])!r}"
            raise ValueError(f"batch: {first}: a finite number is needed")
        if array.ndim != 1:
            raise ValueError(f"batch: input column {i} must be one-dimensional, got shape {array.shape}")
        if len(array) != len(columns[0] if columns else array):
            raise ValueError(f"batch: input column {i} has {len(array)} points, column 0 has {len(columns[0])}")
        columns.append(array)
    return columns


def _floats(params: Sequence[float], count: int) -> list[float]:
    if not hasattr(params, "__len__") or isinstance(params, dict):
        raise ValueError(f"batch: params must be a list of {count} numbers, got {params!r:.40}")
    if len(params) != count:
        raise ValueError(f"batch: the graph takes {count} params, got {len(params)}")
    return _finite_numbers(params, "batch: param")


def _finite_numbers(values: Iterable[float], what: str) -> list[float]:
    """``values`` as Python floats, or an error naming the first that is not a finite number (a bool is not one)."""
    if isinstance(values, (dict, str, bytes)):
        raise ValueError(f"{what}s must be a sequence of numbers, got {type(values).__name__}")
    given = list(values)
    if all(type(x) is float for x in given) and 0.0 * sum(given) == 0.0:  # the usual case, at C speed: all finite
        return given
    floats: list[float] = []
    for i, x in enumerate(given):
        if isinstance(x, (bool, str, bytes, Value)) or not hasattr(type(x), "__float__"):
            raise ValueError(f"{what} {i} must be a number, got {type(x).__name__}: {x!r:.40}")
        floats.append(float(x))
        if not math.isfinite(floats[-1]):
            raise ValueError(f"{what} {i} is {floats[-1]!r}: a finite number is needed")
    return floats


def _point_by_point(
    np: types.ModuleType, replay: Replay, columns: list[Array], params: list[float], start: int, stop: int
) -> Chunk:
    """Points start..stop-1 through the scalar replay: its numbers, or its error naming the point."""
    values: list[float] = []
    input_grads: list[Gradients] = []
    param_grads: list[Gradients] = []
    for i in range(start, stop):
        try:
            value, d_inputs, d_params = replay([float(column[i]) for column in columns], params)
        except (ArithmeticError, ValueError) as error:
            raise type(error)(f"batch point {i}: {error}") from None
        values.append(value)
        input_grads.append(d_inputs)
        param_grads.append(d_params)
    as_columns = (np.array(list(zip(*rows)) or np.empty((0, stop - start))) for rows in (input_grads, param_grads))
    return np.array(values), *as_columns, None
