"""The old path of :mod:`micrograd_lite.core.nn`: see micrograd_lite/old_paths.py."""

from .core.nn import *  # noqa: F403
