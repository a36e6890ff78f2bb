"""The batch printer: a recorded program (:mod:`.ir`) written as Python over NumPy arrays.

``batch(inputs, params)`` runs the replay's statements once for a whole chunk
of points, each input a column of numbers, each name an array. What changes
from the scalar code, for the same numbers point by point:

* the table's code is made right for arrays (:func:`micrograd_lite.ops.for_arrays`:
  ``a ** b`` is ``power(a, b)``, the C library's ``pow``), and a domain check
  ``c1 and c2`` is ``every(c1 & c2)``, true when it holds at every point;
* a gradient adds up as ``d = d + t``, never ``d += t``, which would write
  into an array that another name may share;
* a param's gradient that is one product, read by nothing else, is summed over
  the points as it is made: ``product_sum(x, g)``, one ``np.dot`` without an
  array in between (the order of the additions is BLAS's, see docs/performance.md);
* each array is deleted after the last statement that reads it, so that few
  are alive at once (a network has thousands; kept to the end they fill memory
  and push each other out of the processor's cache);
* no fallback and no final check: a domain error returns None, and ``check``
  is returned for the caller, which redoes a failing chunk point by point.
"""

from __future__ import annotations

from ...core.ops import atom, for_arrays
from .ir import Gradient, Operation, Program, Statement, plus_zero
from .python import checked_code, comment, total, tuple_of, unpack


def batch_source(program: Program) -> str:
    """``def batch(inputs, params)`` -> value, input gradients, param gradients (per point or summed), check."""
    lines = ["def batch(inputs, params):"]  # the caller has checked the counts
    lines += unpack(program)
    lines += [f"    # {name} is {label}" for name, label in program.labels]
    summed = summed_as_made(program)
    code = [line(statement, statement in summed) for statement in program.statements]
    code.append(f"check = {total(checked_code(program.checked, for_arrays))}")
    reads = [statement.reads() for statement in program.statements] + [program.checked_reads()]
    returned = {program.result, *program.input_grads, *program.param_grads}
    lines.append("    try:")
    for text, freed in zip(code, freed_after(reads, {s.target for s in program.statements} - returned)):
        lines.append(f"        {text}")
        if freed:
            lines.append(f"        del {', '.join(freed)}")
    lines.append("    except (ArithmeticError, ValueError, TypeError):")
    lines.append("        return None")
    input_grads = tuple_of(map(plus_zero, program.input_grads)) if program.inputs else "()"
    param_grads = tuple_of(program.param_grads) if program.params else "()"  # the caller sums them, from 0.0
    lines.append(f"    return {program.result}, {input_grads}, {param_grads}, check")
    return "\n".join(lines) + "\n"


def line(statement: Statement, summed: bool) -> str:
    """One statement over arrays; an operation's domain check follows it."""
    if isinstance(statement, Operation):
        text = f"{statement.target} = {statement.forward(for_arrays)}{comment(statement)}"
        if statement.op.checks:
            text += f"\n        if not every({' & '.join(statement.holds(for_arrays))}):\n            return None"
        return text
    if not isinstance(statement, Gradient):
        return str(statement)
    if summed:  # a param's gradient, summed over the points as it is made
        return f"{statement.target} = product_sum({atom(statement.local.code(for_arrays))}, {statement.upstream})"
    before = "" if statement.previous is None else f"{statement.previous} + "
    return f"{statement.target} = {before}{statement.term(for_arrays)}"


def summed_as_made(program: Program) -> set[Statement]:
    """The gradients ``product_sum`` may sum over the points: a param's, one product, that no statement reads.

    Not a name that is an input's gradient too (that one is returned point by
    point), nor one read on the way (the reader would get the sum).
    """
    assigned: dict[str, list[Statement]] = {}
    for statement in program.statements:
        assigned.setdefault(statement.target, []).append(statement)
    read = set().union(*(statement.reads() for statement in program.statements))
    summed: set[Statement] = set()
    for name in set(program.param_grads) - set(program.input_grads) - read:
        statements = assigned.get(name, [])
        gradient = statements[0] if len(statements) == 1 else None
        if isinstance(gradient, Gradient) and gradient.previous is None and gradient.is_product():
            summed.add(gradient)
    return summed


def freed_after(reads: list[set[str]], made: set[str]) -> list[list[str]]:
    """For each statement, the names to delete after it: those it reads last (never read: after the last)."""
    last_read = {}
    for i, names in enumerate(reads):
        for name in names:
            last_read[name] = i
    freed: list[list[str]] = [[] for _ in reads]
    for name in made:
        freed[last_read.get(name, len(reads) - 1)].append(name)
    return [sorted(names) for names in freed]
