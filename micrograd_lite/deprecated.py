"""Old names kept for one release after a rename: each use warns, naming the new one.

CHANGELOG.md lists the renames. A module keeps its old names with
:func:`module_aliases` (as its ``__getattr__``), a class an old attribute with a
property that calls :func:`deprecated`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable


def deprecated(old: str, new: str, stacklevel: int = 3) -> None:
    """Warn that ``old`` is deprecated (removed in the next release) in favour of ``new``."""
    warnings.warn(f"{old} is deprecated and will be removed in the next release; use {new}", DeprecationWarning,
                  stacklevel=stacklevel)  # fmt: skip


def module_aliases(module: str, renamed: dict[str, tuple[str, object]]) -> Callable[[str], object]:
    """A module's ``__getattr__`` that serves each old name of ``renamed`` (old -> (new name, object)), warning.

    >>> __getattr__ = module_aliases("m", {"old": ("m.new", 42)})
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     __getattr__("old"), str(caught[0].message)
    (42, 'm.old is deprecated and will be removed in the next release; use m.new')
    """

    def __getattr__(name: str) -> object:
        if name not in renamed:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        new, value = renamed[name]
        deprecated(f"{module}.{name}", new)
        return value

    return __getattr__
