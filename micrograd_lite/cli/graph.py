"""The commands about one graph: ``graph`` draws it, ``explain`` derives and logs its gradients, ``compile`` replays
the course network, ``hessian`` takes its second derivatives."""

from __future__ import annotations

import argparse
import itertools
import math
import sys
from collections.abc import Container, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .. import course
from ..errors import CLIError
from ..show.notation import format_number
from ..util import csv_text, write_atomically
from .terminal import check_outputs, print_table

if TYPE_CHECKING:
    from ..core.engine import Value


def draw_options(args: argparse.Namespace) -> dict[str, object]:
    """``draw_dot``'s options from the command line (those not given keep draw_dot's defaults)."""
    options = {
        "rankdir": args.rankdir,
        "show_grad": not args.no_grad,
        "precision": args.precision,
        "max_nodes": args.max_nodes,
        "fold_constants": not args.draw_constants,
        "name_intermediates": True,
        "caption": args.caption,
    }
    return {name: value for name, value in options.items() if value is not None}


def chosen_graph(args: argparse.Namespace) -> tuple[Value, dict[str, Value], Sequence[Value]]:
    """``(root, named nodes, params)`` after backward: ``--expr`` with its NAME=VALUE leaves, or the course network."""
    if args.expr is None:
        if args.variables:
            raise CLIError("NAME=VALUE assignments need --expr")
        network = course.backpropagated_network()
        return network["E_total"], network, [network[w] for w in course.WEIGHT_NAMES]
    from ..core.engine import leaves
    from ..core.expr import parse_expression

    values = variable_values(args.variables)
    root = parse_expression(args.expr, values)
    check_finite(root, values)
    root.backward()  # a derivative too large for a float raises the engine's OverflowError, saying where
    named = {leaf.label: leaf for leaf in leaves(root) if leaf.label}
    return root, named, ()


def check_finite(root: Value, values: dict[str, float]) -> None:
    """Finite inputs can still overflow (``x*1e308*10``): refuse an infinite value, before its derivatives."""
    if not math.isfinite(root.data):
        at = " ".join(f"{name}={value!r}" for name, value in values.items())
        raise CLIError(f"the expression is {root.data!r} at {at}: too large for a float")


def unused_name(name: str, taken: Container[str]) -> str:
    """``name``, or ``name_1``, ``name_2``, ... : the first that is not in ``taken`` (f*f names its result f_1)."""
    candidates = itertools.chain([name], (f"{name}_{k}" for k in itertools.count(1)))
    return next(candidate for candidate in candidates if candidate not in taken)


def variable_values(assignments: Sequence[tuple[str, float]]) -> dict[str, float]:
    """The NAME=VALUE arguments as a dict; a name given twice is an error, not silently the last one."""
    values: dict[str, float] = {}
    for name, value in assignments:
        if name in values:
            raise CLIError(f"{name} is given twice ({name}={values[name]!r} and {name}={value!r}): give it once")
        values[name] = value
    return values


def cmd_graph(args: argparse.Namespace) -> None:
    from ..show.viz import render_graph

    if args.expr is None and not args.variables:
        path = course.render_course_network(args.out, **draw_options(args))
    else:
        root, _, params = chosen_graph(args)
        path = render_graph(root, args.out, params=params, **draw_options(args))
    print(f"wrote {path}")


def cmd_compile(args: argparse.Namespace) -> None:
    replay = course.replay_check()
    if args.show:
        print(replay.source, end="")
    print(
        f"# replay at the sheet's epoch 0: E_total = {replay.value!r}; "
        f"equal to the eager engine bit for bit: {replay.same}"
    )


def cmd_explain(args: argparse.Namespace) -> None:
    from ..show import explain

    root, named, params = chosen_graph(args)
    root.label = root.label or unused_name("f", named)  # an expression's result, named for the derivations
    default_wrt = list(course.WEIGHT_NAMES) if args.expr is None else list(named)
    if not default_wrt:
        raise CLIError(f"--expr {args.expr!r} has no variables: nothing to differentiate (e.g. --expr 'x*3' x=2)")
    check_outputs([p for p in (args.html, args.log_csv, args.log_md) if p])
    if args.frames or args.html:  # before any work: a page too large is refused, a large one announced
        from ..show.stepper import check_size

        turns, size = check_size(root, args.max_turns)
        announce = f"the backward pass has {turns_text(turns)}; the page will be about {size / 1000:,.0f} KB"
        print(announce, file=sys.stderr)
    for name in args.wrt or default_wrt:
        if name not in named:
            raise CLIError(f"--wrt {name}: no such variable (choose from {', '.join(default_wrt)})")
        derivation = explain.derive(root, named[name])
        print(derivation.latex() if args.latex else derivation.text())
        print(f"{'':4}= {named[name].grad!r}  (computed by backward())\n")
    if args.log or args.log_csv or args.log_md or args.frames or args.html:
        write_backward_log(args, root, params)


def write_backward_log(args: argparse.Namespace, root: Value, params: Sequence[Value]) -> None:
    """The backward pass turn by turn: a table, CSV, Markdown, SVG frames, the stepper page."""
    from ..show import backward_log

    if args.frames or args.html:
        from ..show.stepper import build_stepper

        stepper = build_stepper(root, params=params, max_turns=args.max_turns)
        rows = stepper.log
    else:
        rows = backward_log.log_backward(root)
    if args.log:
        print_table(backward_log.LOG_COLUMNS, backward_log.log_rows(rows, digits=6))
    if args.log_csv:
        write_atomically(args.log_csv, backward_log.log_csv(rows).encode())
        print(f"wrote {args.log_csv}")
    if args.log_md:
        write_atomically(args.log_md, backward_log.log_markdown(rows).encode())
        print(f"wrote {args.log_md}")
    if args.frames:
        folder = Path(args.frames)
        folder.mkdir(parents=True, exist_ok=True)
        frames = stepper.frames()
        for i, svg in enumerate(frames, start=1):
            write_atomically(folder / f"turn_{i:03d}.svg", svg.encode())
        print(f"wrote {len(frames)} frames to {folder}/")
    if args.html:
        page = stepper.html().encode()
        write_atomically(args.html, page)
        print(f"wrote {args.html} ({turns_text(len(stepper.turns))}, {len(page) / 1000:,.0f} KB)")


def turns_text(count: int) -> str:
    return f"{count:,} turn" + ("" if count == 1 else "s")


def cmd_hessian(args: argparse.Namespace) -> None:
    """The matrix of second derivatives: of E_total by w1..w8 at epoch 0, or of --expr by its variables."""
    from ..transforms.higher import hessian

    check_outputs([args.csv] if args.csv else [])
    root, named, params = chosen_graph(args)
    wrt = list(params) if args.expr is None else list(named.values())
    if not wrt:
        raise CLIError("--expr: the expression has no variables to differentiate by (give NAME=VALUE)")
    names = [v.label for v in wrt]
    matrix = hessian(root, wrt)  # an infinite f'' (5e307·x³ at 1) raises the engine's OverflowError, saying where
    what = "E_total at the sheet's starting weights" if args.expr is None else args.expr
    print(f"Hessian of {what}: row i, column j is d²/d(row i) d(column j)")
    cells = [[name, *(format_number(x, args.digits) for x in row)] for name, row in zip(names, matrix)]
    print_table(["", *names], cells)
    if args.csv:
        rows = ([name, *map(repr, row)] for name, row in zip(names, matrix))  # full precision
        write_atomically(args.csv, csv_text(["", *names], rows).encode())
        print(f"wrote {args.csv}")
