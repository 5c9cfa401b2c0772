"""Copy an example folder as a fresh clone has it: only the files git tracks (the README's "Try it" leaves
`examples/acme/.reconciler-sandbox/` behind; a copy must not pick it up)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

# Left behind by running the examples in place; skipped when the folder is not a git checkout (an sdist).
UNTRACKED = (".reconciler-sandbox", ".reconciler-apply.lock*", "*.plan", "plan*.json", "__pycache__")


def tracked_files(folder: Path) -> list[Path] | None:
    """The files git tracks under `folder`, relative to it; None outside a git checkout."""
    try:
        done = subprocess.run(["git", "ls-files", "-z", "--", "."], cwd=folder, capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return [Path(name) for name in done.stdout.decode().split("\0") if name]


def copy_example(source: Path, target: Path) -> Path:
    """`source` copied to `target` (created), tracked files only; returns `target`."""
    files = tracked_files(source)
    if not files:
        shutil.copytree(source, target, ignore=shutil.ignore_patterns(*UNTRACKED))
        return target
    for relative in files:
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / relative, target / relative)
    return target
