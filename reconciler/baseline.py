"""The baseline of drift: the desired state as it was last applied, read from git.

Git is the memory of what was applied: the apply workflow moves the tag `reconciler-applied` to each
applied commit; `find_baseline` extracts the project file and its desired entries at that commit (or at
`drift --baseline REF`) into a temporary folder and loads them there.
"""

from __future__ import annotations

import io
import os
import posixpath
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError, ReconcilerError
from .loader import load_project
from .loader.yaml_write import read_plain
from .models import DesiredState

APPLIED_TAG = "reconciler-applied"


def applied_tag(shard: str | None = None) -> str:
    """The tag the apply workflow moves: `reconciler-applied`, or `reconciler-applied-<shard>` for a shard."""
    return f"{APPLIED_TAG}-{shard}" if shard else APPLIED_TAG


class BaselineError(ReconcilerError):
    """The baseline ref cannot be found or its desired state cannot be loaded."""


@dataclass(frozen=True)
class Baseline:
    """The desired state at a commit, and how the report names that commit (`ref (sha12)`)."""

    label: str
    desired: DesiredState


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False)


def _repo_root(folder: Path) -> Path | None:
    try:
        done = _git(folder, "rev-parse", "--show-toplevel")
    except OSError:  # git is not installed
        return None
    return Path(done.stdout.decode().strip()) if done.returncode == 0 else None


def find_baseline(config_path: Path, ref: str | None, shard: str | None = None) -> Baseline | None:
    """The desired state at `ref` (default: the shard's applied tag, if it exists); None when there is none."""
    config = config_path.absolute()
    root = _repo_root(config.parent)
    if root is None:
        if ref is not None:
            raise BaselineError(f"--baseline {ref}: {config.parent} is not in a git repository")
        return None
    wanted = ref or applied_tag(shard)
    found = _git(root, "rev-parse", "--verify", "--quiet", f"{wanted}^{{commit}}")
    if found.returncode != 0:
        if ref is not None:
            raise BaselineError(f"--baseline {ref}: no such commit, branch or tag in {root}")
        return None
    commit = found.stdout.decode().strip()
    label = f"{wanted} ({commit[:12]})"
    try:
        return Baseline(label, _desired_at(root, config, commit, label))
    except ConfigError as exc:
        raise BaselineError(f"baseline {label}: cannot load the desired state as it was there:\n{exc}") from None


def _desired_at(root: Path, config: Path, commit: str, label: str) -> DesiredState:
    """Extract the project file and its desired entries at `commit` into a temp dir and load them there."""
    rel = Path(os.path.relpath(config.resolve(), root.resolve())).as_posix()
    shown = _git(root, "show", f"{commit}:{rel}")
    if shown.returncode != 0:
        raise BaselineError(f"baseline {label}: {rel} does not exist in that commit")
    entries = desired_entries(shown.stdout.decode("utf-8-sig"))
    folder = posixpath.dirname(rel)
    paths = [rel] + [posixpath.normpath(posixpath.join(folder, e)) for e in entries]
    present = [p for p in dict.fromkeys(paths)
               if not p.startswith("../") and _git(root, "cat-file", "-e", f"{commit}:{p}").returncode == 0]
    archive = _git(root, "archive", "--format=tar", commit, "--", *present)
    if archive.returncode != 0:
        raise BaselineError(f"baseline {label}: git archive failed: {archive.stderr.decode().strip()}")
    with tempfile.TemporaryDirectory(prefix="reconciler-baseline-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(tmp, filter="data")
        return load_project(Path(tmp) / rel).desired


def desired_entries(project_text: str) -> list[str]:
    """The `desired:` entries of a project file's text (default `desired`), read leniently."""
    try:
        data = read_plain(project_text)
    except Exception:  # a broken file: the loader reports it properly
        return ["desired"]
    raw = data.get("desired", ["desired"]) if isinstance(data, dict) else ["desired"]
    return [str(e) for e in raw] if isinstance(raw, list) and raw else ["desired"]
