"""The scalar printer: a recorded program (:mod:`.ir`) written as Python over floats.

Two functions come from one program: ``replay(inputs, params)``, which returns
the value and the gradients, and ``sgd_step(inputs, lr)``, which also updates
the params (kept in the list ``param_values``) as ``SGD.step`` does. Both hand
a domain error, or a number that is not a finite float, to the eager engine
(``run_eagerly``, ``step_eagerly``), which raises its own error or gives its
own numbers.
"""

from __future__ import annotations

from collections.abc import Iterable

from ...core.ops import atom, inline
from .ir import Constant, Form, Gradient, Local, Operation, Program, as_written, plus_zero


def replay_source(program: Program) -> str:
    """``def replay(inputs=(), params=())``: the value, the inputs' gradients and the params'."""
    inputs, params = program.inputs, program.params
    lines = ["def replay(inputs=(), params=()):"]
    if inputs or params:  # unpacking checks the counts; the message says what was expected
        lines += refuse_dicts("inputs", "params")
        lines.append("    try:")
        lines += ["    " + line for line in unpack(program)]
        lines.append("    except ValueError:")
        expected = f"compiled graph takes {len(inputs)} inputs and {len(params)} params"
        lines.append(f'        raise ValueError(f"{expected}, got {{len(inputs)}} and {{len(params)}}") from None')
    fallback = "run_eagerly(inputs, params)"
    lines += body(program, fallback)
    lines += finite_or(fallback)
    grads = (tuple_of(map(plus_zero, group)) for group in (program.input_grads, program.param_grads))
    lines.append(f"    return {program.result}, {', '.join(grads)}")
    return "\n".join(lines) + "\n"


def sgd_step_source(program: Program) -> str:
    """``def sgd_step(inputs=(), lr=0.0)``: forward, backward and ``p - lr * dp``; returns the value before.

    It checks the learning rate, unpacks the inputs (checking their count, and
    that each is a float: anything else goes to the engine, which converts or
    refuses it) and the param values; its check also sees the inputs (it refuses nan and inf).
    """
    inputs = program.inputs
    lines = [
        "def sgd_step(inputs=(), lr=0.0):",
        "    if type(lr) is not float or not 0.0 < lr < inf:  # a usual lr skips the call to the rule",
        '        lr = learning_rate(lr, "sgd_step")',
    ]
    if inputs:
        lines += refuse_dicts("inputs")
        lines += ["    try:", f"        {tuple_of(inputs)} = inputs", "    except ValueError:"]
        expected = f"compiled graph takes {len(inputs)} inputs"
        lines.append(f'        raise ValueError(f"{expected}, got {{len(inputs)}}") from None')
        not_floats = " or ".join(f"type({name}) is not float" for name in inputs)
        lines += [f"    if {not_floats}:", "        return step_eagerly(inputs, lr)"]
    lines.append(f"    {tuple_of(program.params)} = param_values")
    # SGD.step's arithmetic; a bad lr fails here too, and the fallback names it
    updated = (f"{p} - lr * {plus_zero(grad)}" for p, grad in zip(program.params, program.param_grads))
    fallback = "step_eagerly(inputs, lr)"
    lines += body(program, fallback, also_checked=inputs, last=f"updated = {tuple_of(updated)}")
    lines += finite_or(fallback)
    lines += ["    param_values[:] = updated", f"    return {program.result}"]
    return "\n".join(lines) + "\n"


def body(program: Program, fallback: str, also_checked: Iterable[str] = (), last: str = "") -> list[str]:
    """The ``try`` that computes: one line per statement, the domain checks, and ``check``."""
    lines = [f"    # {name} is {label}" for name, label in program.labels]
    lines += ["    try:", "        # forward: one line per node"]
    for statement in program.statements:
        if isinstance(statement, Constant):
            lines.append(f"        {statement}")
        elif isinstance(statement, Operation):
            lines.append(f"        {statement.target} = {statement.forward(inline)}" + comment(statement))
            if statement.op.checks:  # outside the domain the engine raises its own error
                lines.append(f"        if not {atom(' and '.join(statement.holds()))}:")
                lines.append(f"            return {fallback}")
    lines.append(f"        # backward: d{program.result}/d(node), the chain rule from the result back to the leaves")
    for statement in program.statements:
        if isinstance(statement, Gradient):
            lines.append(f"        {accumulate(statement, statement.term(inline))}")
    checked = [*checked_code(program.checked, as_written), *(n for n in also_checked if n not in program.checked)]
    lines.append(f"        check = {total(checked)}")
    lines += [f"        {last}"] if last else []
    lines.append("    except (ArithmeticError, ValueError, TypeError):  # a domain error: the engine says which")
    lines.append(f"        return {fallback}")
    return lines


def accumulate(gradient: Gradient, term: str) -> str:
    """The line that adds ``term`` to the gradient's target: the first term, ``+=``, or onto another's."""
    if gradient.previous is None:
        return f"{gradient.target} = {term}"
    if gradient.previous == gradient.target:
        return f"{gradient.target} += {term}"
    return f"{gradient.target} = {gradient.previous} + {term}"


def finite_or(fallback: str) -> list[str]:
    return [
        "    if type(check) is not float or check - check != 0.0:  # not a float, or inf or nan on the way",
        f"        return {fallback}",
    ]


def comment(operation: Operation) -> str:
    return f"  # {operation.comment}" if operation.comment else ""


def checked_code(checked: Iterable[str | Local], form: Form) -> list[str]:
    """What must be finite, as code: names, and steep local derivatives as whole expressions."""
    return [atom(c.code(form)) if isinstance(c, Local) else c for c in checked]


def total(terms: list[str]) -> str:
    """The sum of ``terms``: a chain of ``+``, or ``sum()`` of a tuple when long (no deep nesting)."""
    return " + ".join(terms) if len(terms) <= 32 else f"sum(({', '.join(terms)},))"


def refuse_dicts(*groups: str) -> list[str]:
    """Generated lines refusing a dict where a sequence of numbers belongs: unpacking it would take its keys."""
    test = " or ".join(f"isinstance({group}, dict)" for group in groups)
    message = f"compiled graph: {' and '.join(groups)} are sequences of numbers, in the order given to compile_graph"
    return [f"    if {test}:", f'        raise TypeError("{message}, not dicts")']


def unpack(program: Program) -> list[str]:
    """The lines that unpack the inputs and params into their names."""
    groups = ((program.inputs, "inputs"), (program.params, "params"))
    return [f"    {tuple_of(names)} = {group}" for names, group in groups if names]


def tuple_of(names: Iterable[str]) -> str:
    names = list(names)
    return f"({names[0]},)" if len(names) == 1 else f"({', '.join(names)})"
