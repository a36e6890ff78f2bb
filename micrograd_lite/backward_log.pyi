"""The old path of :mod:`micrograd_lite.show.backward_log`: see micrograd_lite/old_paths.py."""

from .show.backward_log import *  # noqa: F403
