"""The old path of :mod:`micrograd_lite.transforms.gradcheck`: see micrograd_lite/old_paths.py."""

from .transforms.gradcheck import *  # noqa: F403
