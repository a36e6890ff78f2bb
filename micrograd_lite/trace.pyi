"""The old path of :mod:`micrograd_lite.show.trace`: see micrograd_lite/old_paths.py."""

from .show.trace import *  # noqa: F403
