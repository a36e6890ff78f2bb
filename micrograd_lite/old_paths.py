"""The import paths from before the layered tree (0.1.0), kept: ``micrograd_lite.engine`` *is* ``.core.engine``.

``MOVED`` says where each module went. :class:`OldPaths`, first on ``sys.meta_path`` from the
moment the package's ``__init__`` imports this module, answers an old name with the moved module itself (not a
copy): ``import micrograd_lite.engine as e``, ``from micrograd_lite.viz import draw_dot`` and
``monkeypatch.setattr(micrograd_lite.engine, ...)`` all reach the one real module, and so does
a moved package's submodule (``micrograd_lite.compile.ir``). For type checkers each old path is
a stub, ``micrograd_lite/<old>.pyi``, written by :func:`stub_source` (tests/test_layers.py
checks them). No file takes an old ``.py`` path, so git follows each module to its new place.

An old path named as a function the package exports (``gradcheck``) is imported by the
package's ``__init__`` before that function: importing a module the first time sets the
package's attribute.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType

MOVED = {
    "ops": "core.ops",
    "engine": "core.engine",
    "nn": "core.nn",
    "losses": "core.losses",
    "optim": "core.optim",
    "datasets": "core.datasets",
    "expr": "core.expr",
    "compile": "transforms.compile",
    "higher": "transforms.higher",
    "gradcheck": "transforms.gradcheck",
    "training": "transforms.training",
    "notation": "show.notation",
    "explain": "show.explain",
    "backward_log": "show.backward_log",
    "viz": "show.viz",
    "stepper": "show.stepper",
    "trainpage": "show.trainpage",
    "trace": "show.trace",
}


def new_name(name: str) -> str | None:
    """Where the module ``name`` lives now (``micrograd_lite.compile.ir`` -> ``...transforms.compile.ir``), or None."""
    package, _, rest = name.partition(".")
    first, dot, tail = rest.partition(".")
    if package != "micrograd_lite" or first not in MOVED:
        return None
    return f"micrograd_lite.{MOVED[first]}{dot}{tail}"


def stub_source(old: str) -> str:
    """The text of ``micrograd_lite/<old>.pyi``: the names of ``MOVED[old]``, for type checkers."""
    return (
        f'"""The old path of :mod:`micrograd_lite.{MOVED[old]}`: see micrograd_lite/old_paths.py."""\n\n'
        f"from .{MOVED[old]} import *  # noqa: F403\n"
    )


class OldPaths(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """The finder and loader of the old names: each loads as the moved module itself."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        return None if new_name(fullname) is None else importlib.util.spec_from_loader(fullname, self)

    def __init__(self) -> None:
        self.specs: dict[str, importlib.machinery.ModuleSpec | None] = {}  # each moved module's own, by its name

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = importlib.import_module(str(new_name(spec.name)))
        self.specs[module.__name__] = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the module ran under its new name. Give it back the spec the import system replaced."""
        module.__spec__ = self.specs[module.__name__]


# First, before the path finder, which would load a moved package's submodule a second time under its old name.
sys.meta_path.insert(0, OldPaths())
