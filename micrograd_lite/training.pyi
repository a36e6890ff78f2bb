"""The old path of :mod:`micrograd_lite.transforms.training`: see micrograd_lite/old_paths.py."""

from .transforms.training import *  # noqa: F403
