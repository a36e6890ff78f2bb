"""A tiny neural-network layer on top of :class:`~micrograd_lite.engine.Value`.

>>> model = MLP(2, [16, 16, 1], activation="relu", seed=0)
>>> len(model.parameters())
337
>>> optimizer = SGD(model.parameters(), lr=0.05)
>>> loss = mse([model([0.5, -1.0])], [1.0])
>>> optimizer.zero_grad(); loss.backward(); optimizer.step()
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Iterable, Sequence
from typing import Optional, Union

from .engine import Operand, Value, sum_values, zero_grad
from .ops import ACTIVATIONS as _FUNCTIONS_OF_ANY_NUMBER

Activation = Optional[str]  # noqa: UP045 (a runtime alias, Python 3.10)
ACTIVATIONS = (*_FUNCTIONS_OF_ANY_NUMBER, None)  # from the table of operations
Predictions = Union[Value, Sequence[Value]]  # noqa: UP007 (a runtime alias, Python 3.10)
Targets = Union[Operand, Sequence[Operand]]  # noqa: UP007


def _check_activation(name: Activation) -> None:
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {name!r}")


def _check_count(what: str, n: object) -> None:
    """``n`` must be a whole number >= 1: a layer of 0 neurons or a neuron of 0 inputs computes nothing."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"{what} must be a whole number of at least 1, got {n!r}")


class Module:
    """Anything with parameters: a neuron, a layer, a network."""

    def parameters(self) -> list[Value]:
        return []

    def zero_grad(self) -> None:
        zero_grad(self.parameters())


class Neuron(Module):
    """``activation(w · x + b)`` for an input vector ``x``."""

    def __init__(
        self,
        nin: int,
        activation: Activation = "tanh",
        bias: bool = True,
        rng: random.Random | None = None,
    ) -> None:
        _check_count("Neuron: the number of inputs nin", nin)
        _check_activation(activation)
        rng = rng or random.Random(0)
        scale = 1.0 / math.sqrt(nin)  # keeps w · x of order 1 whatever nin is
        self.w = [Value(rng.uniform(-scale, scale)) for _ in range(nin)]
        self.b = Value(0.0) if bias else None
        self.activation = activation

    def __call__(self, x: Sequence[Operand]) -> Value:
        if len(x) != len(self.w):
            raise ValueError(f"Neuron expects {len(self.w)} inputs, got {len(x)}")
        terms = [wi * xi for wi, xi in zip(self.w, x)]
        if self.b is not None:
            terms.append(self.b)
        total = sum_values(terms)
        if self.activation is None:
            return total
        activated: Value = getattr(total, self.activation)()  # the method of that name: tanh, relu, ...
        return activated

    def parameters(self) -> list[Value]:
        return self.w + ([self.b] if self.b is not None else [])

    def __repr__(self) -> str:
        return f"Neuron({len(self.w)}, activation={self.activation!r})"


class Layer(Module):
    """``nout`` neurons that all see the same inputs."""

    def __init__(
        self,
        nin: int,
        nout: int,
        *,
        activation: Activation = "tanh",
        bias: bool = True,
        rng: random.Random | None = None,
    ) -> None:
        _check_count("Layer: the number of neurons nout", nout)
        self.neurons = [Neuron(nin, activation, bias, rng) for _ in range(nout)]

    def __call__(self, x: Sequence[Operand]) -> Value | list[Value]:
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer([{', '.join(map(repr, self.neurons))}])"


class MLP(Module):
    """A multi-layer perceptron: ``MLP(2, [16, 16, 1])`` maps 2 inputs to 1 output.

    ``activation`` is used by the hidden layers and ``output_activation`` by
    the last one. Weights are drawn from a private ``random.Random(seed)``:
    the same seed gives the same network, and the global random state is
    left alone.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: Activation = "tanh",
        output_activation: Activation = None,
        bias: bool = True,
        seed: int | None = 0,
    ) -> None:
        _check_count("MLP: the number of inputs nin", nin)
        sizes_given = nouts
        nouts = list(nouts) if isinstance(nouts, Iterable) and not isinstance(nouts, str) else []
        if not nouts:
            raise ValueError(f"MLP: nouts must be a list of layer sizes such as [16, 1], got {sizes_given!r}")
        for size in nouts:
            _check_count(f"MLP: every layer size in nouts {nouts}", size)
        _check_activation(activation)
        _check_activation(output_activation)
        rng = random.Random(seed)
        sizes = [nin, *nouts]
        self.layers = [
            Layer(
                sizes[i],
                sizes[i + 1],
                activation=activation if i < len(nouts) - 1 else output_activation,
                bias=bias,
                rng=rng,
            )
            for i in range(len(nouts))
        ]

    def __call__(self, x: Sequence[Operand]) -> Value | list[Value]:
        for layer in self.layers:
            out = layer(x)  # the last layer's output is the network's: a Value, or a list for several outputs
            x = [out] if isinstance(out, Value) else out
        return out

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP([{', '.join(map(repr, self.layers))}])"


def _pairs(predictions: Predictions, targets: Targets) -> list[tuple[Value, Operand]]:
    if isinstance(predictions, Value) or not isinstance(predictions, Sequence):
        predictions = [predictions]
    if isinstance(targets, Value) or not isinstance(targets, Sequence):
        targets = [targets]
    if len(predictions) != len(targets):
        raise ValueError(f"{len(predictions)} predictions but {len(targets)} targets")
    if not predictions:
        raise ValueError("a loss needs at least one prediction")
    return list(zip(predictions, targets))


def half_sum_squared_error(predictions: Predictions, targets: Targets) -> Value:
    """The course's loss: Σ ½·(t − y)², whose derivative is simply (y − t)."""
    return sum_values([0.5 * (t - y) ** 2 for y, t in _pairs(predictions, targets)])


def mse(predictions: Predictions, targets: Targets) -> Value:
    """Mean squared error: (1/n)·Σ (t − y)²."""
    pairs = _pairs(predictions, targets)
    return sum_values([(t - y) ** 2 for y, t in pairs]) / len(pairs)


def learning_rate(lr: object, caller: str) -> float:
    """The one rule for a learning rate, for ``SGD`` and ``replay.step``: a positive finite number, not a bool.

    >>> learning_rate(1, "SGD")
    1.0
    >>> learning_rate(0.0, "SGD")
    Traceback (most recent call last):
    ...
    ValueError: SGD: learning rate must be a positive finite number, got 0.0
    """
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real):
        raise TypeError(f"{caller}: learning rate must be a number, got {type(lr).__name__}: {lr!r:.40}")
    if not (math.isfinite(lr) and float(lr) > 0.0):  # nan fails every comparison; a rate too small for a float too
        raise ValueError(f"{caller}: learning rate must be a positive finite number, got {lr!r}")
    return float(lr)


class SGD:
    """Plain gradient descent: ``p ← p − lr · ∂loss/∂p`` for every parameter."""

    def __init__(self, params: Sequence[Value], lr: float) -> None:
        self.lr = learning_rate(lr, "SGD")
        self.params = list(params)
        if not self.params:
            raise ValueError("SGD: no parameters to optimize")
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(f"SGD: parameters must be Values; parameter {i} is a {type(p).__name__}")

    def step(self) -> None:
        lr = self.lr
        for p in self.params:
            p.data -= lr * p.grad

    def zero_grad(self) -> None:
        zero_grad(self.params)
