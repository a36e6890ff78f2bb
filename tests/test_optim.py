"""AdamW and Adam against closed forms and against torch.optim.AdamW (float64, 100 steps)."""

import math
import random

import pytest

from micrograd_lite import Adam, AdamW, Value

from .test_losses import torch_or_skip


def test_a_constant_gradient_moves_every_step_by_lr():
    # With g constant, m̂ = g and v̂ = g² exactly (the bias correction undoes the zero start): each step
    # moves by lr · g / (|g| + eps), whatever t is.
    for g in (3.0, -0.02, 1e-3):
        w = Value(5.0)
        optimizer = Adam([w], lr=0.1)
        for t in range(1, 31):
            w.grad = g
            before = w.data
            optimizer.step()
            assert before - w.data == pytest.approx(0.1 * g / (abs(g) + 1e-8), rel=1e-9)
            state = optimizer.state(w)
            assert state.step == t
            assert state.m == pytest.approx(g * (1 - 0.9**t), rel=1e-12)
            assert state.v == pytest.approx(g * g * (1 - 0.999**t), rel=1e-12)
            assert state.update == w.data - before


def test_weight_decay_is_decoupled_from_the_gradient():
    # No gradient: only the decay acts, p_t = p_0 · (1 - lr·λ)^t (Adam with L2 in the loss would not move).
    w = Value(2.0)
    optimizer = AdamW([w], lr=0.01, weight_decay=0.5)
    for _ in range(50):
        w.grad = 0.0
        optimizer.step()
    assert w.data == pytest.approx(2.0 * (1 - 0.005) ** 50, rel=1e-13)


def test_the_state_is_readable_per_parameter_and_bad_settings_are_named():
    a, b = Value(1.0), Value(2.0)
    optimizer = AdamW([a, b], lr=0.1)
    assert optimizer.state(b).step == 0 and len(optimizer.states) == 2
    with pytest.raises(KeyError):
        optimizer.state(Value(3.0))
    for kwargs, message in [
        ({"lr": 0.0}, "AdamW: learning rate"),
        ({"lr": math.nan}, "AdamW: learning rate"),
        ({"lr": math.inf}, "finite"),
        ({"betas": (0.9, 1.0)}, "β2"),
        ({"betas": (0.9,)}, "pair"),
        ({"eps": -1.0}, "eps"),
        ({"weight_decay": -0.1}, "weight_decay"),
    ]:
        with pytest.raises(ValueError, match=message):
            AdamW([a], **kwargs)
    with pytest.raises(TypeError, match="learning rate must be a number"):  # the one rule SGD and sgd_step follow
        AdamW([a], lr=True)
    with pytest.raises(ValueError, match="twice"):
        AdamW([a, a])
    with pytest.raises(TypeError, match="parameter 0 is a float"):
        AdamW([1.0])
    a.grad, b.grad = 1.0, math.nan
    with pytest.raises(ValueError, match="not finite; nothing was updated"):
        optimizer.step()
    assert (a.data, optimizer.state(a).step) == (1.0, 0)  # all or nothing


@pytest.mark.parametrize("weight_decay", [0.01, 0.0, 0.3])
def test_a_hundred_steps_equal_torch_adamw_in_float64(weight_decay):
    torch = torch_or_skip()
    rng = random.Random(11)
    start = [rng.uniform(-2, 2) for _ in range(6)]
    targets = [rng.uniform(-1, 1) for _ in range(6)]
    mine = [Value(x) for x in start]
    optimizer = AdamW(mine, lr=0.05, betas=(0.8, 0.99), eps=1e-8, weight_decay=weight_decay)
    theirs = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    reference = torch.optim.AdamW([theirs], lr=0.05, betas=(0.8, 0.99), eps=1e-8, weight_decay=weight_decay,
                                  foreach=False)  # fmt: skip
    target_tensor = torch.tensor(targets, dtype=torch.float64)
    for _ in range(100):
        # a loss with curvature and sign changes: Σ (p - t)² · (1 + p²) / 2, by hand below
        optimizer.zero_grad()
        loss = sum(((p - t) ** 2 * (1 + p * p) * 0.5 for p, t in zip(mine, targets)), Value(0.0))
        loss.backward()
        optimizer.step()
        reference.zero_grad()
        ((theirs - target_tensor) ** 2 * (1 + theirs * theirs) * 0.5).sum().backward()
        reference.step()
    assert [p.data for p in mine] == pytest.approx(theirs.tolist(), rel=1e-12, abs=1e-15)
    state = reference.state[theirs]
    assert [optimizer.state(p).m for p in mine] == pytest.approx(state["exp_avg"].tolist(), rel=1e-12, abs=1e-15)
    assert [optimizer.state(p).v for p in mine] == pytest.approx(state["exp_avg_sq"].tolist(), rel=1e-12, abs=1e-18)
    assert optimizer.state(mine[0]).step == int(state["step"]) == 100
