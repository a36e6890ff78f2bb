"""Adam and AdamW: gradient descent with a running mean and a running size of each gradient.

Plain SGD (:class:`micrograd_lite.nn.SGD`) moves every parameter by
``lr · grad``. Adam keeps, per parameter, two running averages over the steps:

* ``m``, of the gradient (its direction, smoothed: momentum), and
* ``v``, of the squared gradient (its typical size),

and moves by ``lr · m̂ / (√v̂ + eps)``: about ``lr`` per step whatever the
gradient's scale. ``m̂`` and ``v̂`` are the averages corrected for starting at
zero (divided by ``1 - β**t`` after ``t`` steps). AdamW adds *decoupled* weight
decay: before the step, each parameter shrinks by the factor ``1 - lr · λ``,
apart from the gradient. These are PyTorch's formulas (``torch.optim.AdamW``,
``torch.optim.Adam``), in its order of operations; the tests compare them.

>>> from micrograd_lite import Value
>>> w = Value(1.0, "w")
>>> optimizer = AdamW([w], lr=0.1, weight_decay=0.0)
>>> loss = w * w; loss.backward(); optimizer.step()
>>> w.data          # the first step moves by lr · sign(grad), whatever the grad's size
0.9000000005
>>> state = optimizer.state(w)
>>> state.step, state.m, state.v     # m = (1-β1)·g, v = (1-β2)·g² for g = 2
(1, 0.19999999999999996, 0.0040000000000000036)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .engine import Value, zero_grad
from .nn import learning_rate


@dataclass
class ParamState:
    """One parameter's optimizer state, readable between steps (the training page shows it)."""

    step: int = 0
    m: float = 0.0  # running mean of the gradient
    v: float = 0.0  # running mean of the squared gradient
    update: float = 0.0  # how much the last step changed the parameter (new - old)


def _check_number(name: str, x: object, low: float, high: float = math.inf) -> float:
    value = float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else math.nan  # nan: refused below
    if not (math.isfinite(value) and low <= value < high):
        bound = f">= {low:g}" + (f" and < {high:g}" if high != math.inf else "")
        raise ValueError(f"AdamW: {name} must be a finite number {bound}, got {x!r}")
    return value


class AdamW:
    """``AdamW(params, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)``, as ``torch.optim.AdamW``.

    One :meth:`step` does, for each parameter p with gradient g, after t steps::

        p ← p · (1 - lr·weight_decay)             decoupled weight decay
        m ← m + (1 - β1)·(g - m)                  running mean of g
        v ← β2·v + (1 - β2)·g²                    running mean of g²
        p ← p - (lr / (1 - β1**t)) · m / (√v / √(1 - β2**t) + eps)
    """

    def __init__(
        self,
        params: Sequence[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.01,
    ) -> None:
        name = type(self).__name__
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{name}: no parameters to optimize")
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(f"{name}: parameters must be Values; parameter {i} is a {type(p).__name__}")
        if len({id(p) for p in self.params}) != len(self.params):
            raise ValueError(f"{name}: a parameter is listed twice (it would be updated twice per step)")
        self.lr = learning_rate(lr, type(self).__name__)
        if not (isinstance(betas, Sequence) and len(betas) == 2):
            raise ValueError(f"{name}: betas must be a pair (β1, β2), got {betas!r}")
        self.betas = (_check_number("β1", betas[0], 0.0, 1.0), _check_number("β2", betas[1], 0.0, 1.0))
        self.eps = _check_number("eps", eps, 0.0)
        self.weight_decay = _check_number("weight_decay", weight_decay, 0.0)
        self._states = [ParamState() for _ in self.params]

    def state(self, param: Value) -> ParamState:
        """The state of one parameter (its step count, m, v and last update)."""
        for p, state in zip(self.params, self._states):
            if p is param:
                return state
        raise KeyError(f"{param!r} is not a parameter of this optimizer")

    @property
    def states(self) -> list[ParamState]:
        """Every parameter's state, in the order of ``params``."""
        return list(self._states)

    def step(self) -> None:
        lr, eps, decay = self.lr, self.eps, self.weight_decay
        beta1, beta2 = self.betas
        for p in self.params:  # all or nothing: a step never stops half-way
            if not math.isfinite(p.grad):
                raise ValueError(f"{type(self).__name__}: the gradient of {p!r} is not finite; nothing was updated")
        for p, state in zip(self.params, self._states):
            g, before = p.grad, p.data
            state.step += 1
            t = state.step
            p.data = before * (1.0 - lr * decay)
            state.m = state.m + (1.0 - beta1) * (g - state.m)  # torch's lerp(m, g, 1 - β1)
            state.v = state.v * beta2 + (1.0 - beta2) * (g * g)
            step_size = lr / (1.0 - beta1**t)
            denominator = math.sqrt(state.v) / math.sqrt(1.0 - beta2**t) + eps
            p.data = p.data - step_size * (state.m / denominator)
            state.update = p.data - before

    def zero_grad(self) -> None:
        zero_grad(self.params)


class Adam(AdamW):
    """Adam: AdamW without weight decay (``weight_decay=0``), as ``torch.optim.Adam`` with its default."""

    def __init__(
        self, params: Sequence[Value], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay=0.0)
