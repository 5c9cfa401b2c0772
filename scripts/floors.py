"""The declared floor of every dependency in pyproject.toml, as pip constraints (`name==floor`, one a line):
the runtime dependencies and the test extra, but for the linters (they check the code, the suite does not run
on them; tests/test_quality.py runs them at their newest).

    python scripts/floors.py            # print the constraints
    python scripts/floors.py --check    # exit 1 unless every installed dependency is at its floor
"""

from __future__ import annotations

import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.version import Version

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
LINTERS = frozenset({"mypy", "ruff", "zizmor", "types-requests", "types-defusedxml"})
FLOOR = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*(?:[^;]*?)>=\s*([0-9][A-Za-z0-9.]*)")


def floors(path: Path = PYPROJECT) -> dict[str, str]:
    """Distribution name → its declared floor, for the dependencies and the test extra."""
    project = tomllib.loads(path.read_text(encoding="utf-8"))["project"]
    found: dict[str, str] = {}
    for requirement in [*project["dependencies"], *project["optional-dependencies"]["test"]]:
        match = FLOOR.match(requirement)
        if match is None:
            raise SystemExit(f"pyproject.toml: {requirement!r} declares no floor (>=)")
        if match[1] not in LINTERS:
            found[match[1]] = match[2]
    return found


def main(argv: list[str]) -> int:
    wanted = floors()
    if "--check" not in argv:
        print("\n".join(f"{name}=={version}" for name, version in wanted.items()))
        return 0
    wrong = [f"{name} {metadata.version(name)} (floor {version})" for name, version in wanted.items()
             if Version(metadata.version(name)) != Version(version)]
    if wrong:
        print("not at the floor: " + ", ".join(wrong), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
