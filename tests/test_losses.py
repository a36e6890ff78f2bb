"""softmax and cross_entropy against closed forms, finite differences and PyTorch; through compile and explain."""

import math
import os
import random
import sys

import pytest

from micrograd_lite import Value, cross_entropy, softmax
from micrograd_lite.compile import compile_graph
from micrograd_lite.explain import derive, evaluate
from micrograd_lite.viz import dot_source


def closed_form_softmax(z):
    """exp(z_k) / Σ exp(z_j), with math.fsum and the largest subtracted (an independent computation)."""
    m = max(z)
    e = [math.exp(x - m) for x in z]
    s = math.fsum(e)
    return [x / s for x in e]


def torch_or_skip():
    """PyTorch, or a skip with its reason; under CI=true a missing torch fails (`make test` installs it)."""
    try:
        import torch
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("torch is not installed: make test installs torch==2.13.0+cpu")
        pytest.skip("torch is not installed (make test installs torch==2.13.0+cpu): no comparison with PyTorch")
    return torch


LOGITS = [[2.0, 1.0, 0.1], [-3.5, 0.0, 4.25, 1.5], [0.3], [1e-3, -1e-3], [7.0, 7.0, 7.0]]


@pytest.mark.parametrize("z", LOGITS)
def test_value_and_gradient_are_the_closed_forms(z):
    for target in range(len(z)):
        logits = [Value(x) for x in z]
        loss = cross_entropy(logits, target)
        p = closed_form_softmax(z)
        assert loss.data == pytest.approx(-math.log(p[target]), rel=1e-13, abs=1e-15)
        loss.backward()
        for k, v in enumerate(logits):  # d/dz_k = p_k - [k == target]
            assert v.grad == pytest.approx(p[k] - (k == target), rel=1e-12, abs=1e-15)
        assert [s.data for s in softmax([Value(x) for x in z])] == pytest.approx(p, rel=1e-13)


def test_gradients_by_finite_differences():
    rng = random.Random(3)
    for _ in range(20):
        z = [rng.uniform(-5, 5) for _ in range(rng.randint(2, 5))]
        target = rng.randrange(len(z))
        logits = [Value(x) for x in z]
        cross_entropy(logits, target).backward()
        for k in range(len(z)):
            h = 1e-6
            up = [x + h * (j == k) for j, x in enumerate(z)]
            down = [x - h * (j == k) for j, x in enumerate(z)]
            loss_up, loss_down = (-math.log(closed_form_softmax(zs)[target]) for zs in (up, down))
            numeric = (loss_up - loss_down) / (2 * h)
            assert logits[k].grad == pytest.approx(numeric, abs=1e-8)
        # softmax's Jacobian, one output at a time: dp_i/dz_k = p_i (δ_ik - p_k)
        i = rng.randrange(len(z))
        logits = [Value(x) for x in z]
        softmax(logits)[i].backward()
        p = closed_form_softmax(z)
        for k in range(len(z)):
            assert logits[k].grad == pytest.approx(p[i] * ((i == k) - p[k]), rel=1e-10, abs=1e-14)


def test_huge_logits_neither_overflow_nor_lose_the_answer():
    logits = [Value(1000.0), Value(-1000.0), Value(999.0)]
    loss = cross_entropy(logits, 2)
    assert loss.data == pytest.approx(1.0 + math.log1p(math.exp(-1.0)), rel=1e-14)
    loss.backward()
    assert [v.grad for v in logits] == pytest.approx([1 / (1 + math.exp(-1)), 0.0, 1 / (1 + math.e) - 1], rel=1e-14)
    assert cross_entropy([Value(-1000.0), Value(1000.0)], 0).data == 2000.0
    probabilities = [p.data for p in softmax([Value(-1000.0), Value(1000.0)])]
    assert probabilities == [0.0, 1.0]


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="target must be a class index from 0 to 1"):
        cross_entropy([Value(1.0), Value(2.0)], 2)
    with pytest.raises(ValueError, match="target"):
        cross_entropy([Value(1.0), Value(2.0)], True)
    with pytest.raises(ValueError, match="at least one logit"):
        softmax([])
    with pytest.raises(TypeError, match="logit 1 is a float"):
        cross_entropy([Value(1.0), 2.0], 0)


def test_a_cross_entropy_graph_compiles_replays_bit_exact_draws_and_explains():
    w = [Value(0.3, "w1"), Value(-0.7, "w2"), Value(1.1, "w3")]
    x = Value(0.5, "x")
    logits = [(wi * x).tanh() * 3.0 for wi in w]
    loss = cross_entropy(logits, 1)
    loss.label = "loss"
    replay = compile_graph(loss, inputs=[x], params=w)
    for x_value, w_values in [(0.5, [0.3, -0.7, 1.1]), (-2.0, [1.5, 0.25, -0.125])]:
        # the eager engine on the same graph (the same constant max), at new numbers
        x.data = x_value
        for p, value in zip(w, w_values):
            p.data, p.grad = value, 0.0
        x.grad = 0.0
        rebuilt = [(wi * x).tanh() * 3.0 for wi in w]
        shift = Value(max(z.data for z in logits), "max")  # the traced constant, as the replay keeps it
        eager = cross_entropy(rebuilt, 1, shift=Value(shift.data, "max"))
        eager.backward()
        value, (d_x,), d_w = replay([x_value], w_values)
        assert (value, d_x, list(d_w)) == (eager.data, x.grad, [p.grad for p in w])
        assert math.copysign(1, d_x) == math.copysign(1, x.grad)
    for p in w:  # the chain rule written out, evaluated from its own text, gives backward's gradient
        p.grad = 0.0
    loss = cross_entropy([(wi * x).tanh() * 3.0 for wi in w], 1)
    loss.backward()
    derivation = derive(loss, w[0])
    assert "exp" in derivation.text() and "max" in derivation.text()
    assert evaluate(derivation, loss) == pytest.approx(w[0].grad, rel=1e-12)
    assert "max" in dot_source(loss)


def test_equal_to_pytorch_in_float64():
    torch = torch_or_skip()
    rng = random.Random(7)
    for _ in range(25):
        z = [rng.uniform(-30, 30) for _ in range(rng.randint(2, 6))]
        target = rng.randrange(len(z))
        logits = [Value(x) for x in z]
        loss = cross_entropy(logits, target)
        loss.backward()
        zt = torch.tensor([z], dtype=torch.float64, requires_grad=True)
        expected = torch.nn.functional.cross_entropy(zt, torch.tensor([target]))
        expected.backward()
        assert loss.data == pytest.approx(expected.item(), rel=1e-12, abs=1e-300)
        for mine, theirs in zip(logits, zt.grad[0].tolist()):
            assert mine.grad == pytest.approx(theirs, rel=1e-12, abs=1e-15)
        probabilities = [p.data for p in softmax([Value(x) for x in z])]
        assert probabilities == pytest.approx(torch.softmax(zt.detach()[0], 0).tolist(), rel=1e-12, abs=1e-300)


def test_a_missing_torch_fails_under_ci_and_skips_elsewhere(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="torch is not installed"):
        torch_or_skip()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="make test installs"):
        torch_or_skip()
