"""The old path of :mod:`micrograd_lite.show.stepper`: see micrograd_lite/old_paths.py."""

from .show.stepper import *  # noqa: F403
