"""The action installs nothing unpinned: action-requirements.txt pins every dependency of the package (and the
build backend it is built with) to one version with the hashes of its files, and action.yml installs from it
with --require-hashes, then the tool alone with --no-deps. Offline: the package metadata installed here names
the dependencies to cover."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .gha import ACTION, ROOT, load

FILE = ROOT / "action-requirements.txt"


def _pins() -> dict[str, tuple[str, list[str]]]:
    """name → (version, hashes) of every requirement in the file; fails on a line that is not `name==version`."""
    pins: dict[str, tuple[str, list[str]]] = {}
    text = FILE.read_text(encoding="utf-8")
    for block in re.split(r"\n(?=\S)", text):
        lines = [line.split("#", 1)[0].strip() for line in block.splitlines()]
        lines = [line.rstrip("\\").strip() for line in lines if line]
        if not lines:
            continue
        found = re.fullmatch(r"([A-Za-z0-9._-]+)==([\w.+!-]+)", lines[0])
        assert found, f"not pinned as name==version: {lines[0]!r}"
        hashes = [line for line in lines[1:] if line.startswith("--hash=")]
        assert len(hashes) == len(lines) - 1, f"{lines[0]}: only --hash options may follow"
        pins[canonicalize_name(found[1])] = (found[2], hashes)
    return pins


def test_every_requirement_is_pinned_with_sha256_hashes() -> None:
    pins = _pins()
    assert len(pins) >= 10
    for name, (_, hashes) in pins.items():
        assert hashes, f"{name} has no hash"
        assert all(re.fullmatch(r"--hash=sha256:[0-9a-f]{64}", h) for h in hashes), name


def _closure(names: list[Requirement]) -> set[str]:
    """The names of these requirements and of everything they need, as installed here (markers evaluated)."""
    seen: set[str] = set()
    pending = list(names)
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        if name in seen or (requirement.marker is not None and not requirement.marker.evaluate({"extra": ""})):
            continue
        seen.add(name)
        try:
            needs = metadata.requires(requirement.name) or []
        except metadata.PackageNotFoundError:
            continue
        pending += [Requirement(r) for r in needs]
    return seen


def test_the_file_covers_the_packages_dependencies_and_its_build_backend() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    direct = [Requirement(r) for r in project["project"]["dependencies"]]
    build = [Requirement(r) for r in project["build-system"]["requires"]]
    pins = _pins()
    for requirement in [*direct, *build]:
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} is not in action-requirements.txt"
        assert requirement.specifier.contains(pins[name][0], prereleases=True), (
            f"{name}=={pins[name][0]} does not satisfy pyproject.toml's {requirement}")
    missing = _closure(direct) - set(pins)
    assert not missing, f"dependencies not pinned in action-requirements.txt: {sorted(missing)}"


def test_the_action_installs_with_require_hashes_and_the_tool_without_dependencies() -> None:
    install = next(s for s in load(ACTION)["runs"]["steps"] if s.get("id") == "install")["run"]
    joined = install.replace("\\\n", " ")
    commands = [c for c in joined.splitlines() if "pip install" in c]
    assert len(commands) == 2, commands
    hashed, tool = commands
    assert "--require-hashes" in hashed and '-r "$GITHUB_ACTION_PATH/action-requirements.txt"' in hashed
    assert "--no-deps" in tool and '"$source"' in tool
    assert joined.index(hashed) < joined.index(tool)
