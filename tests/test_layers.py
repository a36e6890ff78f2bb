"""The package's layers: no import cycle and no upward import, read from the source (the AST), not by running it."""

import ast
import importlib
import sys
from pathlib import Path

import pytest

import micrograd_lite
from micrograd_lite.old_paths import MOVED, stub_source

PACKAGE = Path(micrograd_lite.__file__).resolve().parent

# The layer order, lowest first: a module may import from its own layer and those before it, never after.
# A name is a top-level module or subpackage of micrograd_lite.
LAYERS = (
    ("errors", "util", "deprecated", "old_paths", "version"),  # the plumbing every layer uses
    ("core",),
    ("transforms",),
    ("show",),
    ("course",),
    ("cli",),
    ("__init__", "__main__"),  # the package's face: its re-exports
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int:
    parts = module.split(".")
    key = "__init__" if len(parts) == 1 else parts[1]
    return next(i for i, names in enumerate(LAYERS) if key in names)


def is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imports_of(path: Path) -> set[str]:
    """Every module of the package that ``path`` imports, at any depth of its code (functions, TYPE_CHECKING too)."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                stem = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*stem, *([node.module] if node.module else [])])
            for alias in node.names:  # `from . import explain` imports the module explain
                found.add(f"{base}.{alias.name}" if is_module(f"{base}.{alias.name}") else base)
    return {name for name in found if name.split(".")[0] == "micrograd_lite" and name != module}


GRAPH = {module_name(path): imports_of(path) for path in sorted(PACKAGE.rglob("*.py"))}  # (old paths' stubs: .pyi)


def test_every_module_has_a_layer():
    unplaced = [module for module in GRAPH if not any(module.split(".")[1:2] == [n] for names in LAYERS for n in names)]
    assert unplaced == ["micrograd_lite"]  # the package itself: its __init__, the top layer


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_no_module_imports_a_layer_above_its_own(module):
    upward = sorted(target for target in GRAPH[module] if layer_of(target) > layer_of(module))
    assert not upward, f"{module} (layer {layer_of(module)}) imports {upward}"


def test_the_import_graph_has_no_cycle():
    state: dict[str, str] = {}  # "open" while its imports are walked, then "done"

    def walk(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(GRAPH.get(module, ())):
            if state.get(target) == "open":
                pytest.fail("import cycle: " + " -> ".join([*path[path.index(target) :], target]))
            if target not in state:
                walk(target, [*path, target])
        state[module] = "done"

    for module in sorted(GRAPH):
        if module not in state:
            walk(module, [module])


def test_the_checks_can_fail():
    """An upward edge and a cycle are seen (a check that sees nothing would pass either way)."""
    assert layer_of("micrograd_lite.core.engine") < layer_of("micrograd_lite.show.viz")
    assert "micrograd_lite.core.ops" in GRAPH["micrograd_lite.core.engine"]
    assert "micrograd_lite.show.explain" in GRAPH["micrograd_lite.cli.graph"]  # `from ..show import explain`


@pytest.mark.parametrize("old", sorted(MOVED))
def test_an_old_path_is_the_moved_module_itself(old):
    assert (PACKAGE / f"{old}.pyi").read_text(encoding="utf-8") == stub_source(old)
    assert not (PACKAGE / f"{old}.py").exists()
    moved = importlib.import_module(f"micrograd_lite.{MOVED[old]}")
    assert importlib.import_module(f"micrograd_lite.{old}") is moved
    if old != "gradcheck":  # micrograd_lite.gradcheck is the function, as in 0.1.0 (micrograd_lite/old_paths.py)
        assert getattr(micrograd_lite, old) is moved


def test_a_moved_package_brings_its_submodules():
    """``micrograd_lite.compile.ir`` is the one IR module: not a second copy with classes of its own."""
    import micrograd_lite.compile.ir as old
    import micrograd_lite.transforms.compile.ir as new

    assert old is new and sys.modules["micrograd_lite.compile.ir"] is new
