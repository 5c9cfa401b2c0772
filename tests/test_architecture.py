"""The layering holds: a lower module never imports a higher one; the providers never import each other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "reconciler"

# Highest first. A module may import only modules of its own layer or below.
LAYERS = [
    {"cli", "cli_gitops", "__main__"},
    {"engine", "drift", "importer", "doctor"},
    {"diff"},
    {"providers"},
    {"sandbox"},
    {"render", "schemas"},
    {"loader"},
    {"observed"},
    {"plan"},
    {"models", "http", "lock"},
    {"errors", "vendors"},
]


def _layer(module: str) -> int:
    top = module.split(".")[0]
    for index, names in enumerate(LAYERS):
        if top in names or any(top.startswith(n + "_") for n in names):
            return index
    raise AssertionError(f"module {module} is in no layer; add it to LAYERS")


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py"))


def _imports(path: Path) -> set[str]:
    relative = path.relative_to(PACKAGE).with_suffix("")
    package_parts = list(relative.parts[:-1])
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package_parts[: len(package_parts) - (node.level - 1)]
            target = ".".join([*base, *(node.module.split(".") if node.module else [])])
            if node.module is None:
                found.update(".".join([*base, alias.name]) for alias in node.names)
            else:
                found.add(target)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("reconciler."):
            found.add(node.module.removeprefix("reconciler."))
        elif isinstance(node, ast.Import):
            found.update(a.name.removeprefix("reconciler.") for a in node.names if a.name.startswith("reconciler."))
    return {f for f in found if f}


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_respects_layers(path: Path) -> None:
    own = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
    if own.endswith("__init__"):
        own = own.rsplit(".", 1)[0] if "." in own else "__init__"
        if own == "__init__":
            return
    for target in _imports(path):
        assert _layer(target) >= _layer(own), f"{own} (layer {_layer(own)}) imports higher {target}"
        assert not (own == "diff" and target.startswith("providers")), f"diff imports {target}"
        if own.startswith("providers.") and target.startswith("providers."):
            mine, theirs = own.split(".")[1], target.split(".")[1]
            vendors = {"mettl", "questionmark"}
            assert not (mine in vendors and theirs in vendors and mine != theirs), f"{own} imports {target}"


def _module_name(path: Path) -> str:
    name = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
    return name.removesuffix(".__init__") if name != "__init__" else ""


def _graph() -> dict[str, set[str]]:
    """Module → the package modules it imports (a `from package import name` counts as the package)."""
    modules = {_module_name(p) for p in _modules()}
    graph: dict[str, set[str]] = {}
    for path in _modules():
        found = set()
        for target in _imports(path):
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target:
                found.add(target)
        graph[_module_name(path)] = found - {_module_name(path)}
    return graph


# Left to the other parts of issue 8: the cli modules become a cli/ package, the sandbox becomes packages.
# Nothing else may circle; remove an entry when its circle is gone.
KNOWN_CIRCLES = {frozenset({"cli", "cli_gitops"}), frozenset({"cli", "cli_doctor"}),
                 frozenset({"sandbox.base", "sandbox.quirks"})}


def test_no_import_circle() -> None:
    graph = _graph()
    circles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if nxt.startswith(f"{node}.") or node.startswith(f"{nxt}."):
                continue  # a package and its own modules
            if state.get(nxt) == 1:
                circles.append([*trail[trail.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    unexpected = [c for c in circles if frozenset(c) not in KNOWN_CIRCLES]
    assert not unexpected, f"import circles: {unexpected}"
