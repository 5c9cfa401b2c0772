"""The layering holds: a lower module never imports a higher one; the providers never import each other; the
YAML library (ruamel.yaml) is imported by the loader package alone."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "reconciler"

# Highest first. A module may import only modules of its own layer or below.
LAYERS = [
    {"cli", "__main__"},
    {"engine", "drift", "importer", "doctor", "baseline"},
    {"diff", "scope"},
    {"providers"},
    {"checks"},
    {"sandbox"},
    {"render", "schemas"},
    {"loader"},
    {"observed"},
    {"plan"},
    {"vendor rules"},  # providers.<vendor>.rules: a vendor's own validate rules, which the loader runs
    {"models", "http", "lock", "answers"},
    {"errors", "vendors", "styled", "clock", "heap", "trust"},
]


def _layer(module: str) -> int:
    parts = module.split(".")
    top = "vendor rules" if parts[0] == "providers" and parts[2:3] == ["rules"] else parts[0]
    for index, names in enumerate(LAYERS):
        if top in names:
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


def _third_party(path: Path) -> set[str]:
    """Top-level names of the absolute imports outside the package."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[0] for a in node.names)
    return found


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_the_loader_imports_the_yaml_library(path: Path) -> None:
    in_loader = path.relative_to(PACKAGE).parts[0] == "loader"
    assert in_loader or "ruamel" not in _third_party(path), f"{path.relative_to(PACKAGE)} imports ruamel.yaml"


def test_the_yaml_rule_sees_the_loader() -> None:
    """The rule above is not vacuous: the loader does import ruamel.yaml."""
    assert "ruamel" in _third_party(PACKAGE / "loader" / "yaml_source.py")


# --------------------------------------------------------------------------- no import circle

def _module_names() -> dict[str, Path]:
    """Dotted name (relative to the package; a package is named by its folder) → file."""
    found: dict[str, Path] = {}
    for path in _modules():
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts:
            found[".".join(parts)] = path
    return found


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    """The module `name` is, or the nearest package holding it (`from .x import Name` names a module x)."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in known:
            return candidate
        parts.pop()
    return None


def _targets(path: Path, known: dict[str, Path]) -> set[str]:
    """Every module of the package that `path` imports, anywhere in it (also inside functions or
    TYPE_CHECKING): `from .pkg import mod` counts as an import of pkg.mod, not of pkg."""
    relative = path.relative_to(PACKAGE).with_suffix("")
    package_parts = list(relative.parts[:-1])
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join([*package_parts[: len(package_parts) - (node.level - 1)],
                                 *(node.module.split(".") if node.module else [])])
            elif node.module and node.module.startswith("reconciler."):
                base = node.module.removeprefix("reconciler.")
            else:
                continue
            names.update(f"{base}.{alias.name}".strip(".") for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name.removeprefix("reconciler.") for a in node.names if a.name.startswith("reconciler."))
    return {target for name in names if (target := _resolve(name, known)) is not None}


def import_graph() -> dict[str, set[str]]:
    """Module → the package's modules it imports (itself and the known circle edges left out)."""
    known = _module_names()
    return {name: {t for t in _targets(path, known) if t != name}
            for name, path in known.items()}


def find_circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of `graph` (first module repeated at the end), or None when it is acyclic."""
    done: set[str] = set()
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(node: str) -> list[str] | None:
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target in on_stack:
                return [*stack[stack.index(target):], target]
            if target not in done and (circle := visit(target)) is not None:
                return circle
        stack.pop()
        on_stack.discard(node)
        done.add(node)
        return None

    for start in sorted(graph):
        if start not in done and (circle := visit(start)) is not None:
            return circle
    return None


def test_the_import_graph_has_no_circle() -> None:
    graph = import_graph()
    assert {"cli", "cli.common", "cli.plan_apply", "drift", "render.drift", "baseline"} <= set(graph)
    assert "render.drift" in graph["drift"] and "cli.common" in graph["cli.plan_apply"]
    circle = find_circle(graph)
    assert circle is None, f"import circle: {circle}"


def test_the_circle_finder_finds_circles() -> None:
    assert find_circle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_circle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_cli_is_on_top_and_render_below_drift() -> None:
    graph = import_graph()
    assert not {m for m, targets in graph.items() if not m.startswith("cli") and m != "__main__"
                and any(t == "cli" or t.startswith("cli.") for t in targets)}
    assert not {m for m, targets in graph.items() if m.startswith("render") and "drift" in targets}


# --------------------------------------------------------------------------- public APIs of dependencies only

ROOT = PACKAGE.parent
OWN = {"reconciler", "benchmarks", "scripts", "tests"}
KNOWN_PRIVATE_ATTRIBUTES = {"_content", "_content_consumed", "_original_response", "_basic_auth_str"}
"""Private attributes of requests' and urllib3's objects that a module reaching inside them would use (an
instance's type is unknown to this check, so these names are refused on any object)."""


def _private(name: str) -> bool:
    """`_x` and `__pydantic_x__` are private; other dunders (`__name__`, `__dict__` of own objects) are not."""
    return name.startswith("_") and (not (name.startswith("__") and name.endswith("__"))
                                     or name.startswith("__pydantic"))


def _dependency(module: str) -> bool:
    import sys

    top = module.split(".")[0]
    return top not in OWN and top not in sys.stdlib_module_names


def _checked_files() -> list[Path]:
    return sorted([*_modules(), *(ROOT / "benchmarks").rglob("*.py"), *(ROOT / "scripts").rglob("*.py")])


def private_uses(source: str) -> list[str]:
    """Every private name of a third-party package that `source` imports or reads as an attribute."""
    found: list[str] = []
    bound: set[str] = set()  # local names bound to a dependency's module or object
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and not node.level and node.module and _dependency(node.module):
            if any(_private(part) for part in node.module.split(".")):
                found.append(f"from {node.module} import ...")
            for alias in node.names:
                if _private(alias.name):
                    found.append(f"from {node.module} import {alias.name}")
                bound.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if _dependency(alias.name):
                    if any(_private(part) for part in alias.name.split(".")):
                        found.append(f"import {alias.name}")
                    bound.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and (_private(node.attr) or node.attr in KNOWN_PRIVATE_ATTRIBUTES):
            root: ast.expr = node.value
            while isinstance(root, ast.Attribute):
                root = root.value
            own = isinstance(root, ast.Name) and root.id in ("self", "cls")
            if not own and (node.attr in KNOWN_PRIVATE_ATTRIBUTES or (isinstance(root, ast.Name) and root.id in bound)):
                found.append(f"{ast.unparse(node)} (line {node.lineno})")
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            target = ast.unparse(node.value)
            if target.endswith(".__dict__") and isinstance(node.slice.value, str) and _private(node.slice.value):
                found.append(f"{ast.unparse(node)} (line {node.lineno})")
    return found


@pytest.mark.parametrize("path", _checked_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_private_name_of_a_dependency_is_used(path: Path) -> None:
    assert private_uses(path.read_text(encoding="utf-8")) == [], path.relative_to(ROOT)


@pytest.mark.parametrize("source", [
    "from requests.auth import _basic_auth_str",
    "from pydantic._internal import _model_construction",
    "import _ruamel_yaml",
    "import requests\nrequests.models._x = 1",
    "from pydantic import BaseModel\nBaseModel.__pydantic_decorators__",
    "response._content = b''",
    "from pydantic import BaseModel\nBaseModel.__dict__['__pydantic_fields_set__']",
])
def test_the_private_name_rule_sees_each_kind(source: str) -> None:
    """The rule above is not vacuous."""
    assert private_uses(source)


# --------------------------------------------------------------------------- one provider shape

VENDOR_MODULES = frozenset({"client", "answers", "mapping", "observe", "writes", "provider", "discover", "rules",
                            "doctor"})
"""The modules every vendor package has, under these names: knowing one vendor teaches the other."""


@pytest.mark.parametrize("vendor", ["mettl", "questionmark"])
def test_each_vendor_package_has_the_common_modules(vendor: str) -> None:
    names = {p.stem for p in (PACKAGE / "providers" / vendor).glob("*.py")}
    assert sorted(VENDOR_MODULES - names) == []


def test_the_vendor_packages_are_all_checked() -> None:
    """The rule above is not vacuous: it names every vendor package there is."""
    found = {p.name for p in (PACKAGE / "providers").iterdir() if (p / "__init__.py").exists()}
    assert found == {"mettl", "questionmark"}
