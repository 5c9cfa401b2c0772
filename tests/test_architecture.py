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
    {"plan"},
    {"models", "http", "lock", "answers"},
    {"errors"},
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
        if own.startswith("providers.") and target.startswith("providers."):
            mine, theirs = own.split(".")[1], target.split(".")[1]
            vendors = {"mettl", "questionmark"}
            assert not (mine in vendors and theirs in vendors and mine != theirs), f"{own} imports {target}"
