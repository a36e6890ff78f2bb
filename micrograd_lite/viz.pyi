"""The old path of :mod:`micrograd_lite.show.viz`: see micrograd_lite/old_paths.py."""

from .show.viz import *  # noqa: F403
