"""The old path of :mod:`micrograd_lite.show.trainpage`: see micrograd_lite/old_paths.py."""

from .show.trainpage import *  # noqa: F403
