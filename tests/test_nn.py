
import math
import random

import pytest

from micrograd_lite import MLP, SGD, Layer, Neuron, Value, gradcheck, half_sum_squared_error, mse


def test_mlp_parameter_count_and_output_shapes():
    model = MLP(2, [16, 16, 1], activation="relu", seed=0)
    assert len(model.parameters()) == 337
    assert isinstance(model([0.1, 0.2]), Value)
    two = MLP(3, [4, 2], seed=1)([1.0, Value(2.0), 3])
    assert isinstance(two, list) and len(two) == 2
    assert isinstance(Layer(3, 1)([1.0, 2.0, 3.0]), Value)
    assert len(Layer(3, 5)([1.0, 2.0, 3.0])) == 5
    assert len(Neuron(4).parameters()) == 5
    assert len(Neuron(4, bias=False).parameters()) == 4


def test_seeded_initialisation_is_deterministic_and_leaves_global_random_alone():
    random.seed(123)
    state = random.getstate()
    a = [p.data for p in MLP(2, [8, 1], seed=7).parameters()]
    b = [p.data for p in MLP(2, [8, 1], seed=7).parameters()]
    c = [p.data for p in MLP(2, [8, 1], seed=8).parameters()]
    assert a == b and a != c
    assert random.getstate() == state


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", None])
def test_activations(activation):
    model = MLP(2, [3, 1], activation=activation, output_activation=activation, seed=0)
    out = model([0.3, -0.2])
    ops = {n.op for n in _nodes(out)}
    assert (activation in ops) if activation else not ops & {"sigmoid", "tanh", "relu"}


def test_bad_arguments():
    with pytest.raises(ValueError, match="activation"):
        MLP(2, [3], activation="softsign")
    with pytest.raises(ValueError, match="expects 2 inputs, got 3"):
        Neuron(2)([1, 2, 3])
    with pytest.raises(ValueError, match="learning rate"):
        SGD([], lr=0)
    with pytest.raises(ValueError, match="2 predictions but 1 targets"):
        mse([Value(1), Value(2)], [1])


def test_losses_match_their_formulas():
    ys, ts = [Value(0.2), Value(0.9)], [0.5, 0.4]
    assert half_sum_squared_error(ys, ts).data == pytest.approx(0.5 * 0.3**2 + 0.5 * 0.5**2)
    assert mse(ys, ts).data == pytest.approx((0.3**2 + 0.5**2) / 2)
    assert half_sum_squared_error(Value(0.2), 0.5).data == pytest.approx(0.045)
    loss = half_sum_squared_error(ys, ts)
    loss.backward()
    assert ys[0].grad == pytest.approx(0.2 - 0.5) and ys[1].grad == pytest.approx(0.9 - 0.4)


def test_mlp_gradients_pass_gradcheck():
    model = MLP(2, [3, 1], activation="tanh", seed=4)
    params = model.parameters()

    def loss(*values):
        for p, v in zip(params, values):
            p.data = v.data
        # rebuild with the given Values as the parameters
        weights = iter(values)
        for layer in model.layers:
            for neuron in layer.neurons:
                neuron.w = [next(weights) for _ in neuron.w]
                neuron.b = next(weights)
        return mse(model([0.5, -1.5]), 0.3)

    assert gradcheck(loss, [p.data for p in params]).ok


def test_training_lowers_the_loss_and_zero_grad_resets():
    points = [(x / 3 - 1, y / 3 - 1) for x in range(7) for y in range(7)]
    data = [([x, y], 1.0 if x > y else -1.0) for x, y in points if x != y]
    model = MLP(2, [8, 1], activation="tanh", output_activation="tanh", seed=2)
    optimizer = SGD(model.parameters(), lr=0.1)

    def epoch_loss():
        return mse([model(x) for x, _ in data], [y for _, y in data])

    first = epoch_loss().data
    for _ in range(40):
        loss = epoch_loss()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert epoch_loss().data < 0.5 * first
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def _nodes(root):
    from micrograd_lite import topological_order

    return topological_order(root)


def test_a_positive_rate_too_small_for_a_float_is_refused():
    # A Fraction below the smallest float was accepted, and the rate came back as 0.0: no step at all.
    from fractions import Fraction

    with pytest.raises(ValueError, match="positive finite number"):
        SGD([Value(1.0)], lr=Fraction(1, 10**400))
    assert SGD([Value(1.0)], lr=Fraction(1, 4)).lr == 0.25


def test_layer_passes_its_options_to_every_neuron():
    layer = Layer(3, 2, activation="relu", bias=False, rng=random.Random(5))
    assert [n.activation for n in layer.neurons] == ["relu", "relu"]
    assert all(n.b is None and len(n.parameters()) == 3 for n in layer.neurons)
    with pytest.raises(TypeError):
        Layer(3, 2, "relu")  # the options are named


# ----------------------------------------------------------------------
# Issue 13's adversarial inputs (were test_hardening.py): each case once crashed, hung or was silently accepted.
# ----------------------------------------------------------------------


# ----------------------------------------------------------------------
# nn and gradcheck refuse sizes and steps that compute nothing.
# ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda: Neuron(0), ["nin", "at least 1", "0"]),  # was ZeroDivisionError
        (lambda: Neuron(2.5), ["nin", "2.5"]),
        (lambda: Layer(2, 0), ["nout", "0"]),
        (lambda: MLP(0, [1]), ["MLP", "nin", "0"]),  # was ZeroDivisionError
        (lambda: MLP(2, [0]), ["MLP", "[0]"]),  # returned [] from every call
        (lambda: MLP(2, [3, -1]), ["MLP", "-1"]),
        (lambda: MLP(2, []), ["MLP", "nouts"]),
        (lambda: MLP(2, 1), ["MLP", "nouts"]),
        (lambda: MLP(2, "16"), ["MLP", "nouts"]),
    ],
)
def test_network_sizes_must_be_positive_whole_numbers(make, words):
    with pytest.raises(ValueError) as info:
        make()
    for word in words:
        assert word in str(info.value)


def test_mlp_takes_layer_sizes_from_any_iterable():
    model = MLP(2, (n for n in (3, 1)))  # a generator was consumed by the check, leaving no layers
    assert [len(layer.neurons) for layer in model.layers] == [3, 1]
    assert isinstance(model([0.5, -1.0]), Value)


def test_mlp_takes_numpy_whole_numbers():
    import numpy  # comes with matplotlib (the plots extra)

    assert len(MLP(numpy.int64(2), [numpy.int64(1)]).parameters()) == 3  # sizes such as X.shape[1]


@pytest.mark.parametrize("lr", [math.inf, -math.inf, math.nan, 0.0, -0.1])
def test_sgd_refuses_a_learning_rate_that_is_not_positive_and_finite(lr):
    with pytest.raises(ValueError, match="positive finite"):
        SGD([Value(1.0)], lr)


@pytest.mark.parametrize("lr", ["0.1", None, True])
def test_sgd_refuses_a_learning_rate_that_is_not_a_number(lr):
    with pytest.raises(TypeError, match="SGD: learning rate must be a number"):
        SGD([Value(1.0)], lr)


def test_sgd_refuses_parameters_it_cannot_step():
    with pytest.raises(ValueError, match="no parameters"):
        SGD([], 0.1)
    with pytest.raises(TypeError, match="parameter 1 is a float"):
        SGD([Value(1.0), 2.0], 0.1)  # step() failed later with "'float' object has no attribute 'data'"


def test_sgd_accepts_any_real_number_type():
    from fractions import Fraction

    p = Value(1.0)
    p.grad = 2.0
    SGD([p], Fraction(1, 4)).step()
    assert p.data == 0.5
