"""The old path of :mod:`micrograd_lite.core.engine`: see micrograd_lite/old_paths.py."""

from .core.engine import *  # noqa: F403
