"""Losses for classifiers: softmax and cross-entropy, built from the engine's own operations.

A classifier's last layer gives one number per class, its *logits* ``z``.
Softmax turns them into probabilities, and cross-entropy is the loss of the
right class ``t``::

    softmax(z)_k = exp(z_k) / Σ_j exp(z_j)
    cross_entropy(z, t) = -log softmax(z)_t = log Σ_j exp(z_j) - z_t

Both go through log-sum-exp with the largest logit ``m`` subtracted first:
``log Σ_j exp(z_j) = m + log Σ_j exp(z_j - m)``, so the loss is
``log Σ_j exp(z_j - m) - (z_t - m)``. Every exponent is then at most 0, so
nothing overflows for logits of ±1000, and the sum is at least 1, so its log
is defined; ``m`` is never added back, so a small loss next to large logits
keeps its digits (as PyTorch's ``log_softmax``). ``m`` is a constant (a leaf labelled ``max``): the
result does not depend on which number is subtracted, so no gradient needs
to flow through it (its own ``grad`` comes out as 1 - Σ softmax, zero up to
rounding).

No new operation is needed: subtraction, exp, a sum and log are all in the
table (:mod:`micrograd_lite.ops`), so ``backward()``, ``draw_dot``,
``explain`` and the compiled replay take these losses as they are.

>>> from micrograd_lite import Value
>>> z = [Value(2.0), Value(1.0), Value(0.1)]
>>> loss = cross_entropy(z, 0)
>>> round(loss.data, 6)
0.41703
>>> loss.backward()
>>> [round(v.grad, 6) for v in z]      # softmax(z) - one_hot(0)
[-0.340999, 0.242433, 0.098566]
>>> cross_entropy([Value(1000.0), Value(-1000.0)], 1).data   # no overflow
2000.0
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

from .engine import Value, sum_values

SHIFT_LABEL = "max"


def _check_logits(logits: Sequence[Value], what: str) -> list[Value]:
    logits = list(logits)
    if not logits:
        raise ValueError(f"{what}: needs at least one logit")
    for i, z in enumerate(logits):
        if not isinstance(z, Value):
            raise TypeError(f"{what}: logits must be Values; logit {i} is a {type(z).__name__}")
    return logits


def largest(logits: Sequence[Value]) -> Value:
    """The constant subtracted before exp: a new leaf holding the largest logit, labelled ``max``."""
    return Value(max(z.data for z in logits), SHIFT_LABEL)




def softmax(logits: Sequence[Value]) -> list[Value]:
    """The probabilities exp(z_k) / Σ_j exp(z_j), computed as exp(z_k - m) / Σ_j exp(z_j - m).

    >>> from micrograd_lite import Value
    >>> [round(p.data, 4) for p in softmax([Value(1.0), Value(1.0), Value(1000.0)])]
    [0.0, 0.0, 1.0]
    """
    logits = _check_logits(logits, "softmax")
    shift = largest(logits)
    exps = [(z - shift).exp() for z in logits]  # each exponent <= 0
    total = sum_values(exps)
    return [e / total for e in exps]


def cross_entropy(logits: Sequence[Value], target: int, shift: Value | None = None) -> Value:
    """-log softmax(logits)[target] = log Σ_j exp(z_j - m) - (z_target - m).

    ``shift`` is the constant ``m``; by default the largest logit (a new leaf,
    see :func:`largest`). Pass a leaf of your own to make it an input of a
    compiled replay (any value gives the same loss; the largest keeps it stable).
    """
    logits = _check_logits(logits, "cross_entropy")
    if isinstance(target, bool) or not isinstance(target, numbers.Integral) or not 0 <= target < len(logits):
        raise ValueError(f"cross_entropy: target must be a class index from 0 to {len(logits) - 1}, got {target!r}")
    if shift is None:
        shift = largest(logits)
    shifted = [z - shift for z in logits]  # each <= 0 when shift is the largest logit
    return sum_values([z.exp() for z in shifted]).log() - shifted[int(target)]
