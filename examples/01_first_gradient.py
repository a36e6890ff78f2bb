"""Your first gradient: build an expression, call backward(), read the grads.

python examples/01_first_gradient.py
"""

from micrograd_lite import Value

x = Value(0.5, label="x")
w = Value(-3.0, label="w")
b = Value(2.0, label="b")

n = x * w + b  # the graph is recorded as this line runs
n.label = "n"
y = n.tanh()
y.label = "y"

y.backward()  # the chain rule, from y back to x, w and b

print(f"y = tanh(x*w + b) = {y.data:.6f}")
print(f"dy/dn = 1 - y^2          = {n.grad:.6f}")
print(f"dy/dx = (1 - y^2) * w    = {x.grad:.6f}")
print(f"dy/dw = (1 - y^2) * x    = {w.grad:.6f}")
print(f"dy/db = (1 - y^2)        = {b.grad:.6f}")

print("\nEvery node, leaves first:")
for node in [x, w, b, n, y]:
    print(f"  {node!r:45}  op={node.op or '(leaf)'}")
