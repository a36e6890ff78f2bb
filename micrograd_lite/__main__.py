"""``python -m micrograd_lite`` is the ``micrograd-lite`` command."""

import sys

from .cli import main

sys.exit(main())
