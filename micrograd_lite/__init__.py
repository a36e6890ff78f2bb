"""micrograd_lite: a small, readable, fast scalar autodiff engine.

>>> from micrograd_lite import Value
>>> x = Value(3.0, "x")
>>> y = x * x + 2 * x
>>> y.backward()
>>> x.grad          # dy/dx = 2x + 2
8.0
"""

from .engine import Value, leaves, sum_values, topological_order, zero_grad
from .errors import GraphvizNotFound
from .gradcheck import GradcheckReport, gradcheck
from .higher import grad, hessian, hvp
from .losses import cross_entropy, softmax
from .nn import MLP, SGD, Layer, Module, Neuron, half_sum_squared_error, mse
from .optim import Adam, AdamW
from .viz import draw_dot, render_graph  # graphviz itself is imported on first draw

__version__ = "0.1.0"

__all__ = [
    "Value",
    "sum_values",
    "topological_order",
    "leaves",
    "zero_grad",
    "gradcheck",
    "GradcheckReport",
    "grad",
    "hessian",
    "hvp",
    "Module",
    "Neuron",
    "Layer",
    "MLP",
    "SGD",
    "half_sum_squared_error",
    "mse",
    "softmax",
    "cross_entropy",
    "Adam",
    "AdamW",
    "draw_dot",
    "render_graph",
    "GraphvizNotFound",
    "__version__",
]
