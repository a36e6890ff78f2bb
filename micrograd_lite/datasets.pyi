"""The old path of :mod:`micrograd_lite.core.datasets`: see micrograd_lite/old_paths.py."""

from .core.datasets import *  # noqa: F403
