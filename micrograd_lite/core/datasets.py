"""Two-dimensional data sets to train classifiers on: two moons and yin-yang, seeded and pure Python.

Each is drawn from its own ``random.Random(seed)``, and only ``+ - * /``
touch the random numbers (no ``sin``, ``log`` or ``sqrt``, whose last bits
depend on the platform's C library): the same seed gives the same points,
bit for bit, on every platform. The classes take turns (point i is of class
``i mod classes``), so every split is balanced, and the splits are consecutive
runs of one sequence: asking for more test points leaves the training points
as they were.

>>> data = load("yinyang", n_train=6, n_val=3, n_test=3, seed=1)
>>> data.classes, data.train.labels
(('yang', 'yin', 'dot'), [0, 1, 2, 0, 1, 2])
>>> load("yinyang", n_train=6, seed=1).train == data.train
True
"""

from __future__ import annotations

import numbers
import random
from collections.abc import Callable
from dataclasses import dataclass

Point = tuple[float, float]


@dataclass(frozen=True)
class Split:
    """Points and their class indices."""

    points: list[Point]
    labels: list[int]

    def __len__(self) -> int:
        return len(self.points)


@dataclass(frozen=True)
class Dataset:
    name: str
    classes: tuple[str, ...]
    train: Split
    val: Split
    test: Split


def normal(rng: random.Random) -> float:
    """An approximately standard normal number: the sum of 12 uniform numbers, minus 6 (mean 0, variance 1).

    Only additions: the same on every platform, unlike ``rng.gauss`` (which takes log, sqrt and cos).
    """
    return sum((rng.random() for _ in range(12)), -6.0)


def moon_point(rng: random.Random, label: int, noise: float) -> Point:
    """A point of two moons (scikit-learn's ``make_moons``, centred), of class ``label`` (0: upper, 1: lower).

    The upper moon is the half circle x² + y² = 1, y ≥ 0; the lower one the same
    half circle turned over and moved by (1, 0.5). A point on the half circle
    is (-2s/(1+s²), (1-s²)/(1+s²)) for s uniform in [-1, 1] (the rational
    parametrisation, no trigonometry). Then ``noise`` times a normal number
    is added to each coordinate, and the whole is moved by (-0.5, -0.25) so
    the two moons are centred on the origin.
    """
    s = rng.uniform(-1.0, 1.0)
    across, up = -2.0 * s / (1.0 + s * s), (1.0 - s * s) / (1.0 + s * s)
    x, y = (across, up) if label == 0 else (1.0 - across, 0.5 - up)
    return x + noise * normal(rng) - 0.5, y + noise * normal(rng) - 0.25


def yinyang_class(x: float, y: float) -> int:
    """The class of a point of the unit disc: 0 yang, 1 yin, 2 the two dots.

    The yin-yang data set of Kriener, Göltz and Petrovici (2021), centred on
    the origin with radius 1: the dots are the discs of radius 0.2 around
    (±0.5, 0); yin is the upper half outside the circle of radius 0.5 around
    (0.5, 0), plus the ring from 0.2 to 0.5 around (-0.5, 0); yang is the rest.
    Distances are compared squared (no sqrt).
    """
    right = (x - 0.5) ** 2 + y * y
    left = (x + 0.5) ** 2 + y * y
    if right < 0.04 or left < 0.04:
        return 2
    return 1 if left <= 0.25 or (y > 0.0 and right > 0.25) else 0


def yinyang_point(rng: random.Random, label: int, noise: float = 0.0) -> Point:
    """A point of the unit disc of class ``label`` (see :func:`yinyang_class`), uniform over that class's area.

    Drawn uniformly in the square [-1, 1]², again until it falls in the disc
    and in the class (rejection sampling, as the original). ``noise`` is unused:
    the classes touch without overlapping.
    """
    while True:
        x, y = rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)
        if x * x + y * y <= 1.0 and yinyang_class(x, y) == label:
            return x, y


DATASETS: dict[str, tuple[tuple[str, ...], Callable[[random.Random, int, float], Point], float]] = {
    "moons": (("upper", "lower"), moon_point, 0.1),
    "yinyang": (("yang", "yin", "dot"), yinyang_point, 0.0),
}
"""name -> (class names, how to draw one point of a class, the default noise)."""


def load(
    name: str, n_train: int = 300, n_val: int = 100, n_test: int = 300, seed: int = 0, noise: float | None = None
) -> Dataset:
    """The data set ``name`` ("moons" or "yinyang"): ``n_train + n_val + n_test`` points from ``Random(seed)``.

    ``noise`` (moons only; default 0.1) is the standard deviation added to each coordinate.
    """
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}: choose one of {', '.join(DATASETS)}")
    for what, n in (("n_train", n_train), ("n_val", n_val), ("n_test", n_test)):
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
            raise ValueError(f"{what} must be a whole number >= 0, got {n!r}")
    if n_train < 1:
        raise ValueError(f"n_train must be at least 1, got {n_train!r}")
    classes, draw, default_noise = DATASETS[name]
    noise = default_noise if noise is None else noise
    if not (isinstance(noise, numbers.Real) and 0.0 <= noise <= 10.0):
        raise ValueError(f"noise must be a number from 0 to 10, got {noise!r}")
    rng = random.Random(seed)
    labels = [i % len(classes) for i in range(n_train + n_val + n_test)]
    points = [draw(rng, label, float(noise)) for label in labels]

    def split(start: int, stop: int) -> Split:
        return Split(points[start:stop], labels[start:stop])

    return Dataset(
        name, classes, split(0, n_train), split(n_train, n_train + n_val), split(n_train + n_val, len(labels))
    )
