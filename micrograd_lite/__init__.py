"""micrograd_lite: a small, readable, fast scalar autodiff engine.

>>> from micrograd_lite import Value
>>> x = Value(3.0, "x")
>>> y = x * x + 2 * x
>>> y.backward()
>>> x.grad          # dy/dx = 2x + 2
8.0
"""

from . import old_paths  # noqa: F401  first: micrograd_lite.engine is micrograd_lite.core.engine, and so on

# isort: split
from . import gradcheck as _old_path  # noqa: F401  before the function below, which keeps the name (old_paths.py)
from .core.engine import Value, leaves, sum_values, topological_order, zero_grad
from .core.losses import cross_entropy, softmax
from .core.nn import MLP, SGD, Layer, Module, Neuron, half_sum_squared_error, mse
from .core.optim import Adam, AdamW
from .errors import GraphvizNotFound
from .show.viz import draw_dot, render_graph  # graphviz itself is imported on first draw
from .transforms.gradcheck import GradcheckReport, gradcheck
from .transforms.higher import grad, hessian, hvp
from .version import __version__

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
