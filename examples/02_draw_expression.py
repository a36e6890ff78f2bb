"""Draw an expression's graph with every value and gradient (needs Graphviz's dot program).

    python examples/02_draw_expression.py            # writes out/examples/expression.svg and .png

The same from the shell:
    micrograd-lite graph --expr "tanh(x*w + b)" x=0.5 w=-3 b=2 --out g.png

Options of render_graph/draw_dot: rankdir="TB" (top to bottom), fold_constants=True
(a constant written into its operation), name_intermediates=True, caption="...".
"""

from pathlib import Path

from micrograd_lite import Value
from micrograd_lite.viz import render_graph

out = Path("out/examples")
out.mkdir(parents=True, exist_ok=True)

a = Value(2.0, label="a")
b = Value(-3.0, label="b")
c = Value(10.0, label="c")
e = a * b
e.label = "e"
d = e + c
d.label = "d"
f = Value(-2.0, label="f")
L = d * f
L.label = "L"
L.backward()

caption = "L = (a·b + c)·f after L.backward()"
for suffix in ("svg", "png"):
    path = render_graph(L, out / f"expression.{suffix}", params=[a, b, c, f], caption=caption)
    print(f"wrote {path}")
print("dL/da =", a.grad, "  (= f * b)")
