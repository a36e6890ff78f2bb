"""The old path of :mod:`micrograd_lite.show.notation`: see micrograd_lite/old_paths.py."""

from .show.notation import *  # noqa: F403
