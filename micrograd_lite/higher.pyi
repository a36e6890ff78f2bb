"""The old path of :mod:`micrograd_lite.transforms.higher`: see micrograd_lite/old_paths.py."""

from .transforms.higher import *  # noqa: F403
