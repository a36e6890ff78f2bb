"""The old path of :mod:`micrograd_lite.core.expr`: see micrograd_lite/old_paths.py."""

from .core.expr import *  # noqa: F403
