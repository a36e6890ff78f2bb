"""The old path of :mod:`micrograd_lite.core.optim`: see micrograd_lite/old_paths.py."""

from .core.optim import *  # noqa: F403
