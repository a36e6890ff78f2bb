"""The old path of :mod:`micrograd_lite.core.ops`: see micrograd_lite/old_paths.py."""

from .core.ops import *  # noqa: F403
