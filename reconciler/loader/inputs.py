"""The input of one project: its files found, read within bounds, parsed, with `${VAR}` read where allowed.

Problems of reading (a path refused, a file too large, YAML that cannot be parsed, a variable that may not
be read) are collected in `problems`; a file that cannot be read is reported where it is named (the
`desired:` entry, the `csv:` value) so every message carries a file:line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from ..errors import Position, Problem
from ..models import DesiredFile, LimitsConfig, ProjectConfig
from .env import EnvReader, conventional_names
from .files import Refused, YamlWalk, read_bytes, real_path, resolve_inside, too_large
from .trusted import TrustedSettings
from .yaml_source import Loc, SourceDoc, read_yaml

_STRINGS: TypeAdapter[list[str]] = TypeAdapter(list[str])


@dataclass
class Inputs:
    """Reads the files of the project at project_path (absolute)."""

    env: Mapping[str, str]
    project_path: Path
    problems: list[Problem] = field(default_factory=list)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    reads: int = 0
    reader: EnvReader | None = None
    pending: Mapping[Path, bytes] = field(default_factory=dict)
    """Desired files not written yet (real path → content): read as if they were on disk (import checks a
    file before writing it)."""
    trusted: TrustedSettings | None = None
    """The trusted project file's settings: its `secrets` list and `limits` rule this run (see `trust`)."""

    @property
    def root(self) -> Path:
        """The folder of reconciler.yaml (real path): every file read lies inside it."""
        return self.project_path.parent.resolve()

    def secrets(self) -> frozenset[str]:
        """Every value read from the environment, and the values of every variable the project may read."""
        if self.reader is None:
            return frozenset()
        return frozenset(self.reader.secrets | self.reader.listed_values(conventional_names(ProjectConfig)))

    # ------------------------------------------------------------------ the project file

    def project_doc(self) -> tuple[SourceDoc | None, dict[Loc, tuple[str, Position]]]:
        """reconciler.yaml parsed, credentials read (an unset one is returned as missing, not a problem)."""
        display = display_path(self.project_path)
        try:
            data = read_bytes(real_path(self.project_path), self.limits.max_file_bytes)
        except Refused as exc:
            reason = f"cannot read file: {exc.reason}" if exc.missing else f"the file {exc.reason}"
            self.problems.append(Problem(Position(display), "", reason))
            return None, {}
        doc = self._parse(data, self.project_path, display)
        if doc is None:
            return None, {}
        listed = doc.data.get("secrets") if isinstance(doc.data, dict) else None
        names = frozenset(n for n in listed if isinstance(n, str)) if isinstance(listed, list) else frozenset()
        self.reader = EnvReader(self.env, names, self.project_path.name)
        problems, missing = self.reader.expand(doc, ProjectConfig, lenient=True)
        self.problems += problems
        self.limits = _limits(doc.data)
        if self.trusted is not None:  # desired files read only what the trusted file lists, within its limits
            read = self.reader.secrets | set(self.trusted.secret_values)
            self.reader = EnvReader(self.env, frozenset(self.trusted.project.secrets),
                                    f"the trusted project file {self.trusted.display}", read)
            self.limits = self.trusted.project.limits
        return doc, missing

    def desired_files(self, doc: SourceDoc) -> list[tuple[Path, Loc]]:
        """Every desired file named by `desired:` (real paths; folders walked, sorted), with the entry that
        names it; no repeats, never the project file itself."""
        raw = doc.data.get("desired", ["desired"]) if isinstance(doc.data, dict) else None
        try:
            entries = _STRINGS.validate_python(raw)
        except ValidationError:
            return []  # reported when validating the project file
        walk = YamlWalk(self.root, self.limits.max_files)
        found: list[tuple[Path, Loc]] = []
        for index, entry in enumerate(entries):
            loc: Loc = ("desired", index)
            try:
                target = resolve_inside(self.root, self.root, entry)
            except Refused as exc:
                reason = f"no such file or folder: {entry}" if exc.missing else f"{entry!r} {exc.reason}"
                self.problems.append(doc.problem(loc, reason))
                continue
            if not target.is_dir():
                found.append((target, loc))
                continue
            files, refused = len(walk.files), len(walk.refused)
            walk.walk(target)
            found += [(path, loc) for path in walk.files[files:]]
            found += [(path, loc) for path in sorted(self.pending)
                      if path.is_relative_to(target) and path not in walk.files]
            self.problems += [doc.problem(loc, f"{display_path(path)} {why}") for path, why in walk.refused[refused:]]
        seen = {self.project_path.resolve()}  # `desired: [.]` must not read the project file as desired state
        unique = []
        for path, loc in found:
            if path not in seen:
                seen.add(path)
                unique.append((path, loc))
        return unique

    # ------------------------------------------------------------------ desired-state files

    def desired_doc(self, path: Path, named_by: SourceDoc, loc: Loc) -> SourceDoc | None:
        """A desired-state file parsed and its secret fields read; None (and a problem) when it cannot be."""
        data = self.read(path, named_by, loc, "")
        if data is None:
            return None
        doc = self._parse(data, path, display_path(path))
        if doc is None or self.reader is None:
            return None
        problems, _ = self.reader.expand(doc, DesiredFile, lenient=False)
        self.problems += problems
        return doc

    def csv_bytes(self, doc: SourceDoc, loc: Loc, written: str) -> tuple[Path, bytes] | Problem:
        """The real path and content of the CSV file a `csv:` value names, or the problem at that value."""
        try:
            path = resolve_inside(self.root, doc.path.parent, written)
        except Refused as exc:
            if exc.missing:
                shown = display_path(doc.path.parent / written)
                return doc.problem(loc, f"cannot read CSV file: {exc.reason} ({shown})")
            return doc.problem(loc, f"CSV file {written!r} {exc.reason}")
        problems: list[Problem] = []
        data = self.read(path, doc, loc, "CSV file ", problems)
        return (path, data) if data is not None else problems[0]

    def read(self, path: Path, named_by: SourceDoc, loc: Loc, kind: str,
             problems: list[Problem] | None = None) -> bytes | None:
        """The bytes of a file to read, within the file count and size limits; else a problem at loc."""
        into = self.problems if problems is None else problems
        self.reads += 1
        if self.reads > self.limits.max_files:
            into.append(named_by.problem(loc, f"more than {self.limits.max_files} files to read "
                                              "(limits.max_files in reconciler.yaml)"))
            return None
        pending = self.pending.get(path)
        if pending is not None:
            if len(pending) <= self.limits.max_file_bytes:
                return pending
            reason = too_large(len(pending), self.limits.max_file_bytes)
            into.append(named_by.problem(loc, f"{kind}{display_path(path)} {reason}"))
            return None
        try:
            return read_bytes(path, self.limits.max_file_bytes)
        except Refused as exc:
            into.append(named_by.problem(loc, f"{kind}{display_path(path)} {exc.reason}"))
            return None

    def _parse(self, data: bytes, path: Path, display: str) -> SourceDoc | None:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            message = f"not UTF-8 text (bad byte at offset {exc.start})"
            self.problems.append(Problem(Position(display, line), "", message))
            return None
        doc, problems = read_yaml(text, path, display)
        self.problems += problems
        return doc


def _limits(data: Any) -> LimitsConfig:
    """The limits the project file sets (the defaults where it sets none or invalid ones: reported later)."""
    raw = data.get("limits") if isinstance(data, dict) else None
    try:
        return LimitsConfig.model_validate(raw or {})
    except ValidationError:
        return LimitsConfig()


def display_path(path: Path) -> str:
    """The path relative to the current directory when it is under it, else as given."""
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
