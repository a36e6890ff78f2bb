"""The old path of :mod:`micrograd_lite.show.explain`: see micrograd_lite/old_paths.py."""

from .show.explain import *  # noqa: F403
