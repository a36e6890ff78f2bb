"""The data sets: their definitions, checked independently; seeded, balanced, the same on every platform."""

import hashlib
import math
import random

import pytest

from micrograd_lite import datasets


def yinyang_by_the_paper(x, y):
    """Kriener et al.'s which_class, in their coordinates (r_big 0.5, r_small 0.1, centre (0.5, 0.5)), with sqrt."""
    x, y = (x + 1) / 2, (y + 1) / 2
    r_big, r_small = 0.5, 0.1
    d_right = math.sqrt((x - 1.5 * r_big) ** 2 + (y - r_big) ** 2)
    d_left = math.sqrt((x - 0.5 * r_big) ** 2 + (y - r_big) ** 2)
    if d_right < r_small or d_left < r_small:
        return 2
    criterion1 = d_right <= r_small
    criterion2 = r_small < d_left <= 0.5 * r_big
    criterion3 = y > r_big and d_right > 0.5 * r_big
    return int(criterion1 or criterion2 or criterion3)


def test_yinyang_classes_are_the_papers():
    rng = random.Random(5)
    for _ in range(20_000):
        x, y = rng.uniform(-1, 1), rng.uniform(-1, 1)
        if x * x + y * y <= 1:
            assert datasets.yinyang_class(x, y) == yinyang_by_the_paper(x, y), (x, y)


def test_yinyang_points_lie_in_the_disc_in_their_class_and_balanced():
    data = datasets.load("yinyang", n_train=300, n_val=30, n_test=60, seed=2)
    for split in (data.train, data.val, data.test):
        for (x, y), label in zip(split.points, split.labels):
            assert x * x + y * y <= 1 and yinyang_by_the_paper(x, y) == label
        assert [split.labels.count(k) for k in range(3)] == [len(split) // 3] * 3


def test_moons_without_noise_lie_on_their_half_circles():
    data = datasets.load("moons", n_train=200, n_val=0, n_test=0, noise=0.0, seed=4)
    for (x, y), label in zip(data.train.points, data.train.labels):
        x, y = x + 0.5, y + 0.25  # back to scikit-learn's place
        if label == 0:
            assert x * x + y * y == pytest.approx(1.0) and y >= 0
        else:
            assert (x - 1) ** 2 + (y - 0.5) ** 2 == pytest.approx(1.0) and y <= 0.5
    noisy = datasets.load("moons", n_train=2000, n_val=0, n_test=0, noise=0.1, seed=4)
    upper = [p for p, k in zip(noisy.train.points, noisy.train.labels) if k == 0]
    distances = [math.hypot(x + 0.5, y + 0.25) - 1 for x, y in upper]
    mean = sum(distances) / len(distances)
    spread = math.sqrt(sum((d - mean) ** 2 for d in distances) / len(distances))
    assert 0.07 < spread < 0.13  # the noise's standard deviation, 0.1, seen across the circle


def test_the_same_seed_gives_the_same_points_and_splits_are_runs_of_one_sequence():
    a = datasets.load("moons", n_train=50, n_val=20, n_test=20, seed=9)
    b = datasets.load("moons", n_train=50, n_val=20, n_test=40, seed=9)
    assert a.train == b.train and a.val == b.val and a.test.points == b.test.points[:20]
    assert datasets.load("moons", n_train=50, seed=10).train != a.train
    assert datasets.normal(random.Random(0)) == datasets.normal(random.Random(0))


def test_the_default_points_are_these_bits():
    # Only + - * / touch the random numbers: these digests hold on every platform (Mersenne Twister is specified).
    def digest(name):
        data = datasets.load(name, seed=0)
        text = repr([data.train, data.val, data.test])
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    assert {name: digest(name) for name in datasets.DATASETS} == DIGESTS


DIGESTS = {"moons": "de2c68bfe7bacafc", "yinyang": "274e4b887e57e14e"}  # recorded on Linux x86-64, CPython 3.11


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="unknown data set 'spiral'"):
        datasets.load("spiral")
    with pytest.raises(ValueError, match="n_train must be at least 1"):
        datasets.load("moons", n_train=0)
    with pytest.raises(ValueError, match="n_val"):
        datasets.load("moons", n_val=-1)
    with pytest.raises(ValueError, match="noise"):
        datasets.load("moons", noise=math.nan)
