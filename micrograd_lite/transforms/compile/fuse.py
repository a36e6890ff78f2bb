"""Fusion: a layer's scalar products found on the IR and printed as one matrix product.

A layer written one scalar at a time -- ``sum(w[j][i] * x[i] for i) + b[j]``
for every neuron j, then an activation -- is, over a chunk of points, the
matrix product ``W @ X`` (X: one row per input, one column per point). This
pass finds such layers on the recorded statements (:mod:`.ir`) and
:func:`fused_batch_source` prints them as NumPy matrix code, forward and
backward; every statement that is not part of a layer is printed as the
per-node batch (:mod:`.arrays`) prints it.

A *layer* is a set of rows over the same inputs X. A row is a sum (one ``+``
node of many operands, as ``sum_values`` makes, or a chain of ``+``, as a loop
makes) of products ``w * x`` -- one per input of X, each weight a param or a
constant read by nothing else, each product read by nothing but its sum --
and at most one more term that is the same at every point (a bias). If every
row's sum is read only by the same activation (any one-operand row of the
ops table), the activation is part of the layer. Its backward, given the
gradients G of its outputs::

    DS = local(S) * G        # the activation's derivative, element by element
    dW = DS @ X.T            # the weights' gradients, summed over the points
    dX = W.T @ DS            # the inputs' gradients, point by point
    dB = DS summed over the points

Nothing is fused that would change what is computed: a product or a weight
read twice (a node used by two groups, a weight shared across layers), an
input of X whose gradient also comes from elsewhere, or a layer whose
outputs' gradients are not complete where its backward would run. Those keep
the per-node code.

Exactness: a matrix product adds in its own order (and may fuse a multiply
and an add), so a fused row differs from the engine's left-to-right sum by at
most n·ε·Σ|terms| (n terms, ε = 2**-52); everything else is computed as the
per-node batch computes it. A program with no layer is printed by
:func:`micrograd_lite.compile.arrays.batch_source`, unchanged.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field

from ...core.ops import ACTIVATIONS, ADD, MUL, atom, for_arrays
from .arrays import line, summed_as_made
from .ir import Constant, Gradient, Local, Operation, Program, Statement, number, plus_zero
from .python import total, tuple_of

ReadOnce = Callable[[str, Operation], bool]
"""Whether a name is read by that statement alone (and is not returned)."""
ParamGrads = dict[str, tuple[str, set[str]]]
"""Param gradients summed over a chunk: {where among the params: (code, names it reads)}."""


@dataclass
class Layer:
    """Rows ``outputs[j] = activation(sum_i weights[j][i] * inputs[i] + biases[j])`` found on the statements."""

    number: int  # 1, 2, ...: the names W1, X1, S1, ... of its code
    inputs: tuple[str, ...]
    weights: list[list[str]]
    biases: list[str | None]
    sums: list[str]  # each row's sum node
    activation: Operation | None  # the first row's activation statement, when the layer has one
    outputs: list[str]  # each row's output: its activation's target, or its sum
    nodes: dict[int, int] = field(default_factory=dict)  # id of each statement the layer replaces: its row
    output_grads: list[str] = field(default_factory=list)  # each output's gradient, complete: its name
    backward_at: int = -1  # its backward runs before the program's statement of this index (-1: no backward)

    def names(self, letter: str) -> str:
        return f"{letter}{self.number}"


def find_layers(program: Program) -> list[Layer]:
    """The layers of ``program`` that can be fused without changing what is computed (possibly none)."""
    statements = program.statements
    producer = {s.target: s for s in statements if isinstance(s, Operation)}
    readers: dict[str, list[Operation]] = {}
    for statement in statements:
        if isinstance(statement, Operation):
            for name in statement.reads():
                readers.setdefault(name, []).append(statement)
    returned = {program.result, *program.input_grads, *program.param_grads}
    leaves = {*program.params, *(s.target for s in statements if isinstance(s, Constant))}
    varying = set(program.inputs)
    for statement in statements:
        if isinstance(statement, Operation) and statement.reads() & varying:
            varying.add(statement.target)

    def read_once_by(name: str, reader: Operation) -> bool:
        return name not in returned and [id(r) for r in readers.get(name, [])] == [id(reader)]

    rows: dict[tuple[object, ...], list[tuple[Operation, dict[str, str], str | None, set[int]]]] = {}
    absorbed: set[int] = set()  # chains of + already part of a larger row
    for statement in reversed(statements):  # the top of a + chain first
        if not (isinstance(statement, Operation) and statement.op is ADD) or id(statement) in absorbed:
            continue
        found = _row(statement, producer, read_once_by, varying, leaves, set(program.params))
        if found is None:
            continue
        by_input, bias, nodes = found
        absorbed |= nodes
        rows.setdefault((*sorted(by_input), bias is None), []).append((statement, by_input, bias, nodes))

    layers: list[Layer] = []
    position = {id(s): i for i, s in enumerate(statements)}  # of each statement, by id
    for members in rows.values():
        members.sort(key=lambda member: position[id(member[0])])
        order = tuple(members[0][1])  # the inputs in the first row's order
        activation = _activation([m[0] for m in members], readers, read_once_by)
        layer = Layer(
            number=len(layers) + 1,
            inputs=order,
            weights=[[by_input[x] for x in order] for _, by_input, _, _ in members],
            biases=[bias for _, _, bias, _ in members],
            sums=[m[0].target for m in members],
            activation=activation[0] if activation else None,
            outputs=[a.target for a in activation] if activation else [m[0].target for m in members],
        )
        for j, (_, _, _, nodes) in enumerate(members):
            layer.nodes.update(dict.fromkeys(nodes, j))
        layer.nodes.update({id(a): j for j, a in enumerate(activation or [])})
        layers.append(layer)
    layers.sort(key=lambda layer: min(position[node] for node in layer.nodes))  # W1 is the first layer
    for i, layer in enumerate(layers):
        layer.number = i + 1
    return _with_backward(program, layers, readers)


def _row(
    top: Operation,
    producer: dict[str, Operation],
    read_once_by: ReadOnce,
    varying: set[str],
    leaves: set[str],
    params: set[str],
) -> tuple[dict[str, str], str | None, set[int]] | None:
    """``top``'s terms as {input: weight} and a bias, flattening a chain of ``+``; None if it is no row."""
    terms: list[tuple[str, Operation]] = []  # each term, and the + node that reads it
    nodes = {id(top)}
    stack = [top]
    while stack:
        adding = stack.pop()
        for operand in adding.operands:
            inner = producer.get(operand)
            if inner is not None and inner.op is ADD and read_once_by(operand, adding):
                nodes.add(id(inner))
                stack.append(inner)
            else:
                terms.append((operand, adding))
    by_input: dict[str, str] = {}
    others: list[tuple[str, Operation]] = []
    for term, adding in terms:
        product = producer.get(term)
        pair = _weight_and_input(product, varying, leaves) if product is not None and product.op is MUL else None
        if (
            product is None
            or pair is None
            or pair[1] in by_input
            or not read_once_by(term, adding)
            or (pair[0] in params and not read_once_by(pair[0], product))
        ):
            others.append((term, adding))
            continue
        by_input[pair[1]] = pair[0]
        nodes.add(id(product))
    if len(by_input) < 2 or len(others) > 1:
        return None
    bias = others[0][0] if others else None
    if bias is not None and (
        bias in varying
        or not (bias.isidentifier() or number(bias) is not None)
        or (bias in params and not read_once_by(bias, others[0][1]))
    ):
        return None
    return by_input, bias, nodes


def _weight_and_input(product: Operation, varying: set[str], leaves: set[str]) -> tuple[str, str] | None:
    """(weight, input) of a product of a leaf that is the same at every point and a name that varies."""
    a, b = product.operands
    if a in leaves and b in varying:
        return a, b
    if b in leaves and a in varying:
        return b, a
    return None


def _activation(
    sums: list[Operation], readers: dict[str, list[Operation]], read_once_by: ReadOnce
) -> list[Operation] | None:
    """The activation statements of the rows, when every sum is read only by the same activation."""
    found = []
    for s in sums:
        after = readers.get(s.target, [])
        if len(after) != 1 or not read_once_by(s.target, after[0]):
            return None
        found.append(after[0])
    if found[0].op.name not in ACTIVATIONS or any(a.op is not found[0].op for a in found):
        return None
    return found


def _with_backward(program: Program, layers: list[Layer], readers: dict[str, list[Operation]]) -> list[Layer]:
    """The layers whose backward can run as one piece; the others are dropped (their statements stay per node)."""
    layers = [layer for layer in layers if _backward_fits(program, layer, readers)]
    while True:
        dropped = _place_backwards(program, layers)
        if dropped is None:
            break
        layers = [layer for layer in layers if layer is not dropped]
    for i, layer in enumerate(layers):
        layer.number = i + 1
    return layers


def _backward_fits(program: Program, layer: Layer, readers: dict[str, list[Operation]]) -> bool:
    """Whether ``layer``'s backward can replace its statements: each output's gradient is known, by a name
    or a number, and each input of X needs no gradient or is read by this layer's products alone."""
    statements = program.statements
    # an output's gradient: the upstream of its activation's statement, or of any of its row's (a sum's
    # derivative is 1.0, so its products' statements read the sum's gradient itself)
    activations = {id(s) for s in statements if isinstance(s, Operation) and s.target in layer.outputs}
    grads: dict[str, str] = {}
    for statement in statements:
        node = id(statement.local.node) if isinstance(statement, Gradient) else None
        if isinstance(statement, Gradient) and node in layer.nodes:
            if layer.activation is None or node in activations:
                grads[layer.outputs[layer.nodes[node]]] = statement.upstream
    targets = {s.target for s in statements if isinstance(s, Gradient)}
    for x in layer.inputs:
        if f"d_{x}" in targets and any(id(r) not in layer.nodes for r in readers.get(x, [])):
            return False
    if not any(isinstance(s, Gradient) and id(s.local.node) in layer.nodes for s in statements):
        layer.backward_at, layer.output_grads = -1, []  # no gradient flows through it
        return True
    if set(grads) != set(layer.outputs) or not all(g.isidentifier() or number(g) is not None for g in grads.values()):
        return False
    layer.output_grads = [grads[o] for o in layer.outputs]
    return True


def _place_backwards(program: Program, layers: list[Layer]) -> Layer | None:
    """Where each layer's backward runs (``backward_at``: before that statement); a layer that fits nowhere.

    After every statement that writes its outputs' gradients (and after the layers that do), and before
    any statement that reads the gradients it gives its inputs.
    """
    statements = program.statements
    node_layer = {node: layer for layer in layers for node in layer.nodes}
    per_node = [
        (i, s) for i, s in enumerate(statements) if isinstance(s, Gradient) and id(s.local.node) not in node_layer
    ]
    writer = {f"d_{x}": layer for layer in layers if layer.output_grads for x in layer.inputs}
    placed = [layer for layer in layers if layer.output_grads]
    for layer in placed:
        layer.backward_at = 0
    for _ in range(len(placed) + 1):  # each round settles at least one more layer
        for layer in placed:
            wanted = set(layer.output_grads)
            at = max([i + 1 for i, s in per_node if s.target in wanted], default=0)
            at = max([at, *(writer[name].backward_at for name in wanted if name in writer)])
            layer.backward_at = at
    for layer in placed:
        wanted = set(layer.output_grads)
        before = [writer[name] for name in wanted if name in writer]
        if any(other is layer or other.backward_at > layer.backward_at or _deeper(layer, other) for other in before):
            return layer
        gives = {f"d_{x}" for x in layer.inputs}
        if any(i < layer.backward_at and s.reads() & gives for i, s in per_node):
            return layer
    return None


def _deeper(layer: Layer, other: Layer) -> bool:
    """Whether ``layer`` runs after ``other`` in the forward pass (so its backward must come first)."""
    return layer.number > other.number


# ----------------------------------------------------------------------
# The printer
# ----------------------------------------------------------------------


@dataclass
class _Unit:
    """A piece of the generated code: its lines, the names it reads and makes, and where it goes."""

    lines: list[str]
    reads: set[str]
    makes: set[str]
    at: int
    views: tuple[list[str], str] | None = None  # the unit names the rows of a block: (names, block)


def fused_batch_source(program: Program, layers: list[Layer]) -> str:
    """``def batch(inputs, params)`` as :func:`.arrays.batch_source` prints it, each layer a matrix product.

    It returns the param gradients already summed over the chunk's points, as
    one array in the order of the params. The lines before ``def batch`` say
    where each layer's weights and biases are among the params (``W1_AT``).
    """
    node_layer = {node: layer for layer in layers for node in layer.nodes}
    position = {name: i for i, name in enumerate(program.params)}
    rows: dict[str, tuple[str, int]] = {}  # a name that is a row of a block: (block, row); a block: (itself, -rows)
    summed = summed_as_made(program)
    forward: list[_Unit] = []
    for index, statement in enumerate(program.statements):
        if isinstance(statement, Gradient) or id(statement) in node_layer:
            continue
        forward.append(_Unit(_statement_lines(statement, summed), statement.reads(), {statement.target}, index))
    for layer in layers:
        last = max(i for i, s in enumerate(program.statements) if id(s) in layer.nodes)
        forward += _forward(layer, rows, position, last)
    units = _in_dependency_order(forward)
    param_grads = _param_grads(program, layers)
    deepest_first = sorted(layers, key=lambda layer: -layer.number)
    for index in range(len(program.statements) + 1):  # a layer's backward may come after the last statement
        units += [
            unit
            for layer in deepest_first
            if layer.backward_at == index and layer.output_grads
            for unit in _backward(layer, rows, param_grads, index)
        ]
        edge = program.statements[index] if index < len(program.statements) else None
        if isinstance(edge, Gradient) and id(edge.local.node) not in node_layer:
            units.append(_Unit(_statement_lines(edge, summed), edge.reads(), {edge.target}, index))
    check_code, check_reads = _checked(program, layers, node_layer)
    units.append(_Unit([f"check = {total(check_code)}"], check_reads, {"check"}, -1))
    grads_code = [f"grads = empty({len(program.params)})"]
    grads_code += [f"grads[{where}] = {code}" for where, (code, _) in param_grads.items()]
    units.append(_Unit(grads_code, set().union(*(reads for _, reads in param_grads.values())), {"grads"}, -1))
    returned = {program.result, *program.input_grads, "grads", "check"}
    units = _needed_views(units, returned)

    read = returned.union(*(unit.reads for unit in units))
    made = set().union(*(u.makes for u in units)) - returned
    lines = [f"{name}_AT = array({places!r})" for name, places in _places(layers, position)]
    lines.append("def batch(inputs, params):")
    lines.append(f"    {tuple_of(program.inputs)} = inputs")
    unpacked = [name if name in read else "_" for name in program.params]
    if set(unpacked) != {"_"}:
        lines.append(f"    {tuple_of(unpacked)} = params")
    lines += [f"    # {name} is {label}" for name, label in program.labels]
    lines.append("    count = len(inputs[0])")
    if "P" in read:
        lines.append("    P = array(params)")
    lines.append("    try:")
    for unit, freed in zip(units, _freed(units, made)):
        lines += [f"        {line}" for unit_line in unit.lines for line in unit_line.split("\n")]
        if freed:
            lines.append(f"        del {', '.join(freed)}")
    lines.append("    except (ArithmeticError, ValueError, TypeError):")
    lines.append("        return None")
    input_grads = tuple_of(map(plus_zero, program.input_grads))
    lines.append(f"    return {program.result}, {input_grads}, grads, check")
    return "\n".join(lines) + "\n"


def _freed(units: list[_Unit], made: set[str]) -> list[list[str]]:
    """For each unit, the names to delete after it: those it reads last, or makes and nothing reads."""
    last: dict[str, int] = {}
    for i, unit in enumerate(units):
        last.update({name: i for name in unit.makes if name not in last})
        last.update(dict.fromkeys(unit.reads, i))
    freed: list[list[str]] = [[] for _ in units]
    for name in made:
        freed[last[name]].append(name)
    return [sorted(names) for names in freed]


def _places(layers: list[Layer], params: dict[str, int]) -> list[tuple[str, object]]:
    """(name, positions among the params) of the weights (``W1_AT``) and biases (``B1_AT``) of each layer."""
    places: list[tuple[str, object]] = []
    for layer in layers:
        positions = _positions(layer, params)
        if positions is not None:
            places.append((f"{layer.names('W')}", positions[0]))
            if layer.biases[0] is not None:
                places.append((f"{layer.names('B')}", positions[1]))
    return places


def _needed_views(units: list[_Unit], returned: set[str]) -> list[_Unit]:
    """The units, with a name for each row of a block only where something reads that name."""
    read = returned.union(*(unit.reads for unit in units))
    kept = []
    for unit in units:
        if unit.views is None:
            kept.append(unit)
            continue
        names, block = unit.views
        needed = [name for name in names if name in read]
        if len(needed) == len(names):
            kept.append(unit)
        elif needed:
            lines = [f"{name} = {block}[{names.index(name)}]" for name in needed]
            kept.append(_Unit(lines, unit.reads, set(needed), unit.at))
    return kept


def _statement_lines(statement: Statement, summed: set[Statement]) -> list[str]:
    """The per-node batch's own line for a statement outside the layers, one string per line."""
    return line(statement, statement in summed).replace("\n        ", "\n").split("\n")


def _in_dependency_order(units: list[_Unit]) -> list[_Unit]:
    """The forward units sorted so that each comes after what it reads, else in the program's order."""
    maker = {name: i for i, unit in enumerate(units) for name in unit.makes}
    waiting = [sum(1 for name in unit.reads if name in maker) for unit in units]
    readers: dict[int, list[int]] = {}
    for i, unit in enumerate(units):
        for name in unit.reads:
            if name in maker:
                readers.setdefault(maker[name], []).append(i)
    ready = [(unit.at, i) for i, unit in enumerate(units) if not waiting[i]]
    heapq.heapify(ready)
    ordered = []
    while ready:
        _, i = heapq.heappop(ready)
        ordered.append(units[i])
        for j in readers.get(i, []):
            waiting[j] -= 1
            if not waiting[j]:
                heapq.heappush(ready, (units[j].at, j))
    return ordered


def _block(names: list[str] | tuple[str, ...], rows: dict[str, tuple[str, int]]) -> tuple[str, set[str]]:
    """Code for the matrix whose rows are ``names``: a block already made, some of its rows, or a stack."""
    places = [rows.get(name) for name in names]
    blocks = {place[0] for place in places if place}
    if all(places) and len(blocks) == 1:
        block = blocks.pop()
        indices = [place[1] for place in places if place]
        if indices == list(range(len(indices))) and rows[block][1] == -len(indices):
            return block, {block}
        return f"{block}[{indices!r}]", {block}
    rows_code = (name if name.isidentifier() else f"full(count, {name})" for name in names)  # a number: each point's
    return f"stack({tuple_of(rows_code)})", {name for name in names if name.isidentifier()}


def _views(names: list[str], block: str, rows: dict[str, tuple[str, int]], at: int) -> _Unit:
    """A name for each row of ``block`` (kept only for the names read afterwards: see :func:`_needed_views`)."""
    rows[block] = (block, -len(names))  # a block's own entry: its number of rows
    for j, name in enumerate(names):
        rows[name] = (block, j)
    return _Unit([f"{tuple_of(names)} = {block}"], {block}, set(names), at, views=(names, block))


def _positions(layer: Layer, params: dict[str, int]) -> tuple[list[list[int]], list[int]] | None:
    """Where the layer's weights and biases are among the params, when they all are params."""
    names = [*(w for row in layer.weights for w in row), *(b for b in layer.biases if b is not None)]
    if not all(name in params for name in names):
        return None
    return [[params[w] for w in row] for row in layer.weights], [params[b] for b in layer.biases if b is not None]


def _forward(layer: Layer, rows: dict[str, tuple[str, int]], params: dict[str, int], at: int) -> list[_Unit]:
    """``S = W @ X + B``, the activation over the block, and a name for each row."""
    W, X, S, A, B = (layer.names(letter) for letter in "WXSAB")
    x_code, reads = _block(layer.inputs, rows)
    positions = _positions(layer, params)
    if positions is not None:  # taken from the params at once, where the module's first lines say
        lines = [f"{W} = P[{W}_AT]"]
        reads.add("P")
    else:
        lines = [f"{W} = array(({', '.join(tuple_of(row) for row in layer.weights)},))"]
        reads |= {w for row in layer.weights for w in row if w.isidentifier()}
    lines.append(f"{X} = {x_code}")
    sums = f"{W} @ {X}"
    if layer.biases[0] is not None:
        biases = [b for b in layer.biases if b is not None]
        lines.append(f"{B} = P[{B}_AT]" if positions is not None else f"{B} = array({tuple_of(biases)})")
        reads |= {b for b in biases if b.isidentifier() and positions is None}
        sums += f" + {B}[:, None]"
    lines.append(f"{S} = {sums}  # {_listed(layer.sums)}")
    block = S
    if layer.activation is not None:
        op = Operation(A, layer.activation.op, (S,))
        lines.append(f"{A} = {op.forward(for_arrays)}  # {_listed(layer.outputs)}")
        if op.op.checks:
            lines.append(f"if not every({' & '.join(op.holds(for_arrays))}):\n    return None")
        block = A
    made = {W, X, S, block} | ({B} if layer.biases[0] is not None else set())
    return [_Unit(lines, reads, made, at), _views(layer.outputs, block, rows, at)]


def _listed(names: list[str]) -> str:
    """Names for a comment: all of them, or the first and last of many."""
    return ", ".join(names) if len(names) <= 4 else f"{names[0]}, {names[1]}, ..., {names[-1]}"


def _param_grads(program: Program, layers: list[Layer]) -> ParamGrads:
    """Each param's gradient summed over the chunk's points: {index code: (code, names read)}."""
    position = {name: i for i, name in enumerate(program.params)}
    fused: set[str] = set()
    grads: ParamGrads = {}
    for layer in layers:
        if not layer.output_grads:
            continue
        dW, dB = layer.names("dW"), layer.names("dB")
        if _positions(layer, position) is not None:
            grads[f"{layer.names('W')}_AT"] = (dW, {dW})
            if layer.biases[0] is not None:
                grads[f"{layer.names('B')}_AT"] = (dB, {dB})
            fused |= {*(w for row in layer.weights for w in row), *(b for b in layer.biases if b is not None)}
            continue
        weights = [
            (position[w], j, i) for j, row in enumerate(layer.weights) for i, w in enumerate(row) if w in position
        ]
        if weights:
            flat = [j * len(layer.inputs) + i for _, j, i in weights]
            grads[_index([p for p, _, _ in weights])] = (f"{dW}.ravel()[{flat!r}]", {dW})
        biases = [(position[b], j) for j, b in enumerate(layer.biases) if b in position]
        if biases:
            grads[_index([p for p, _ in biases])] = (f"{dB}[{[j for _, j in biases]!r}]", {dB})
        fused |= {*(w for row in layer.weights for w in row), *(b for b in layer.biases if b is not None)}
    for i, (name, grad) in enumerate(zip(program.params, program.param_grads)):
        if name not in fused:
            grads[str(i)] = (f"point_sum({grad}, count)", {grad} if grad.isidentifier() else set())
    return grads


def _index(positions: list[int]) -> str:
    """Positions in the params as an index: a slice where they follow each other, else a list."""
    if positions == list(range(positions[0], positions[0] + len(positions))):
        return f"{positions[0]}:{positions[0] + len(positions)}"
    return repr(positions)


def _backward(layer: Layer, rows: dict[str, tuple[str, int]], param_grads: ParamGrads, at: int) -> list[_Unit]:
    """The layer's backward: DS, dW = DS @ X.T, dB, dX = W.T @ DS, and a name for each input's gradient."""
    W, X, S, A, G, DS, dW, dX, dB = (layer.names(n) for n in ("W", "X", "S", "A", "G", "DS", "dW", "dX", "dB"))
    g_code, reads = _block(layer.output_grads, rows)
    lines = [f"{G} = {g_code}"]
    if layer.activation is not None:
        local = Local(Operation(A, layer.activation.op, (S,)), 0)
        lines.append(f"{DS} = {atom(local.code(for_arrays))} * {G}")
        reads |= local.reads()
    else:
        lines.append(f"{DS} = {G}")
    reads |= {W, X}
    made = {G, DS, dX}
    used = {name for _, names in param_grads.values() for name in names}
    if dW in used:
        lines.append(f"{dW} = {DS} @ {X}.T  # summed over the points")
        made.add(dW)
    if dB in used:
        lines.append(f"{dB} = add.reduce({DS}, 1)")
        made.add(dB)
    lines.append(f"{dX} = {W}.T @ {DS}")
    return [_Unit(lines, reads, made, at), _views([f"d_{x}" for x in layer.inputs], dX, rows, at)]


def _checked(program: Program, layers: list[Layer], node_layer: dict[int, Layer]) -> tuple[list[str], set[str]]:
    """What the fused code checks, and the names it reads: the per-node check's, a block for a layer's sums."""
    blocks = {name: layer.names("S") for layer in layers if layer.activation is not None for name in layer.sums}
    code: list[str] = []
    reads: set[str] = set()
    param_grads = set(program.param_grads) - set(program.input_grads)
    for c in program.checked:
        if isinstance(c, Local):
            if id(c.node) not in node_layer:
                code.append(atom(c.code(for_arrays)))
                reads |= c.reads()
        elif c in blocks:  # relu may hide a nan of the sums: the points' sums over the block show it
            if blocks[c] not in reads:
                code.append(f"add.reduce({blocks[c]}, 0)")
                reads.add(blocks[c])
        elif c not in param_grads:  # the param gradients are checked as sums, by the caller
            code.append(c)
            reads |= {c} if c.isidentifier() else set()
    return code, reads
