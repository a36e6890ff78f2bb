"""The old path of :mod:`micrograd_lite.transforms.compile`: see micrograd_lite/old_paths.py."""

from .transforms.compile import *  # noqa: F403
