"""The old path of :mod:`micrograd_lite.core.losses`: see micrograd_lite/old_paths.py."""

from .core.losses import *  # noqa: F403
