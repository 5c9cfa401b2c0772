"""Load reconciler.yaml and the desired-state files into models, reporting every mistake at file:line.

Files are found and read by `inputs` (inside the project folder, bounded, `${VAR}` only in secret
fields). Each section (a schedule, a candidate list, a suppression) is validated on its own so positions
stay exact; then the files are merged and checked together (duplicates, references, configured
providers). All problems are collected and raised at once as one ConfigError, secrets scrubbed.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import ValidationError

from ..errors import ConfigError, Position, Problem, scrub
from ..models import (
    Candidate,
    CsvList,
    DesiredFile,
    DesiredState,
    ProjectConfig,
    Schedule,
    ScheduleBase,
    ScheduleDoc,
    ScheduleKey,
    Suppression,
    normalize_email,
)
from ..trust import TRUSTED_KEYS
from .csv_lists import ListEntries, read_csv_list
from .inputs import Inputs, display_path
from .rules import previous_name_problems, schedule_problems
from .trusted import TrustedSettings
from .validation import describe, suggest, validate, validate_candidate, validation_problems
from .yaml_source import Loc, SourceDoc, format_loc, interpolate

__all__ = ["LoadedProject", "interpolate", "load_project", "read_trusted"]


@dataclass(frozen=True)
class LoadedProject:
    """A project file with its desired state, merged, resolved and validated."""

    path: Path
    project: ProjectConfig
    desired: DesiredState
    files: tuple[Path, ...]
    positions: Mapping[ScheduleKey, Position]
    missing_env: Mapping[str, tuple[str, Position]]
    secrets: frozenset[str] = frozenset()
    """Every value read from the environment (and of every variable the project may read): to scrub."""
    setting_positions: Mapping[str, Position] = field(default_factory=dict)
    """Where each provider setting in force is written (`providers.mettl.base_url` → file:line)."""
    untrusted_changes: tuple[str, ...] = ()
    """The trusted settings (`trust.TRUSTED_KEYS`) this project file sets otherwise than the trusted file: the
    run uses the trusted file's values."""
    trusted_path: Path | None = None


def load_project(
    path: str | Path, env: Mapping[str, str] | None = None, *, now: datetime | None = None,
    pending: Mapping[Path, str] | None = None, trusted: str | Path | None = None,
) -> LoadedProject:
    """Load a project; raises ConfigError listing every problem found in every file.

    now: a schedule window that ended before it is an error unless the schedule is `archived: true`;
    None skips that check (for a past snapshot of the desired state, such as a drift baseline).
    pending: desired files not written yet (path → text), loaded as if they were (where `desired:` names them).
    trusted: the trusted project file; its providers, safety, secrets, prune and limits replace the project
    file's (which may come from a pull request), and `untrusted_changes` names those the project file changes.
    """
    project_path = Path(path).absolute()
    environment = os.environ if env is None else env
    settings = read_trusted(Path(trusted).absolute(), environment) if trusted is not None else None
    unwritten = {p.parent.resolve() / p.name: text.encode("utf-8") for p, text in (pending or {}).items()}
    inputs = Inputs(environment, project_path, pending=unwritten, trusted=settings)
    loaded = _Loader(inputs, now).run(project_path)
    if settings is None:
        return loaded
    return dataclasses.replace(loaded, trusted_path=Path(trusted or "").absolute())


def _details(candidate: Candidate) -> str:
    """`name 'Ana Lima'` (and its fields): what two entries of one person must agree on."""
    fields = f", fields {dict(candidate.fields)}" if candidate.fields else ""
    return f"name {candidate.name!r}{fields}"


def read_trusted(path: Path, env: Mapping[str, str]) -> TrustedSettings:
    """The trusted project file's settings (its desired files are not read); ConfigError at its file:line."""
    loader = _Loader(Inputs(env, path), None, path)
    doc, missing = loader.inputs.project_doc()
    project = loader.project(doc) if doc is not None else None
    if doc is None or project is None or loader.problems or loader.unresolved:
        raise loader.error(loader.problems)
    return TrustedSettings(display_path(path), project,
                           MappingProxyType({format_loc(loc): found for loc, found in missing.items()}),
                           loader.inputs.secrets(), MappingProxyType(_setting_positions(doc)))


def _setting_positions(doc: SourceDoc) -> dict[str, Position]:
    """file:line of every `providers.<name>.<key>` written in a project file."""
    found: dict[str, Position] = {}
    providers = doc.data.get("providers") if isinstance(doc.data, dict) else None
    for name, section in (providers or {}).items() if isinstance(providers, dict) else ():
        for key in section if isinstance(section, dict) else ():
            loc: Loc = ("providers", name, key)
            found[format_loc(loc)] = doc.position(loc)
    return found


def _source(source: str | Loc) -> str:
    """`list 'ops-team'` or `entry candidates[3]`: where a candidate of a schedule came from."""
    return f"list {source!r}" if isinstance(source, str) else f"entry {format_loc(source)}"


@dataclass
class _CandidateList:
    name: str
    position: Position
    candidates: list[Candidate]
    complete: bool
    entries: ListEntries | None = None

    def where(self, email: str) -> Position:
        """Where the list names this email (worked out only when a problem needs it)."""
        if self.entries is not None:
            for at, candidate in enumerate(self.entries.candidates):
                if candidate.email == email:
                    return self.entries.position(at)
        return self.position


@dataclass
class _ScheduleDef:
    doc: SourceDoc
    loc: Loc
    schedule: ScheduleDoc
    refs: list[tuple[str | Candidate, Loc]]
    complete: bool

    @property
    def position(self) -> Position:
        return self.doc.position(self.loc)


@dataclass
class _Loader:
    inputs: Inputs
    now: datetime | None
    path: Path = Path("reconciler.yaml")
    problems: list[Problem] = field(default_factory=list)
    unreadable: bool = False
    files: list[Path] = field(default_factory=list)
    lists: dict[str, _CandidateList] = field(default_factory=dict)
    schedules: list[_ScheduleDef] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)
    lists_unknown: bool = False
    """A `candidate_lists:` could not be read as a mapping: a name it may define is not reported missing."""
    default_zone: str | None = None
    """The project's `time_zone:`, for windows that name none."""

    @property
    def unresolved(self) -> list[Problem]:
        """Problems of reading: files refused or unparsable, variables that could not be read."""
        return self.inputs.problems

    def run(self, project_path: Path) -> LoadedProject:
        self.path = project_path
        doc, missing = self.inputs.project_doc()
        if doc is None:
            raise self.error([])
        project = self.project(doc)
        trusted = self.inputs.trusted
        changed: tuple[str, ...] = ()
        if trusted is not None and project is not None:
            changed = tuple(k for k in TRUSTED_KEYS if getattr(project, k) != getattr(trusted.project, k))
            project = project.model_copy(update={k: getattr(trusted.project, k) for k in TRUSTED_KEYS})
        self.default_zone = project.time_zone if project is not None else None
        for desired, loc in self.inputs.desired_files(doc):
            self.desired_file(desired, doc, loc)
        schedules, positions = self.resolve(project)
        if self.problems or self.unresolved or project is None:
            raise self.error([p for p in self.problems if not self.follows_unresolved(p)])
        return LoadedProject(
            path=project_path,
            project=project,
            desired=DesiredState(schedules=tuple(schedules), suppressions=tuple(self.suppressions),
                                 prune=project.pruned_providers()),
            files=tuple(self.files),
            positions=MappingProxyType(positions),
            missing_env=trusted.missing_env if trusted is not None else MappingProxyType(
                {format_loc(loc): found for loc, found in missing.items()}),
            secrets=self.inputs.secrets(),
            setting_positions=trusted.positions if trusted is not None else MappingProxyType(_setting_positions(doc)),
            untrusted_changes=changed,
        )

    def error(self, problems: list[Problem]) -> ConfigError:
        """Every problem, with any value read from the environment scrubbed from its message."""
        secrets = self.inputs.secrets()
        return ConfigError([dataclasses.replace(p, message=scrub(p.message, secrets))
                            for p in self.unresolved + problems])

    def follows_unresolved(self, problem: Problem) -> bool:
        """Whether problem is only a consequence of a value left empty by an unset variable."""
        for cause in self.unresolved:
            if cause.path and cause.position.file == problem.position.file:
                path = problem.path
                if path == cause.path or path.startswith((cause.path + ".", cause.path + "[")):
                    return True
        return False

    # ------------------------------------------------------------------ the project file

    def project(self, doc: SourceDoc) -> ProjectConfig | None:
        data = {} if doc.data is None else doc.data
        if not isinstance(data, dict):
            self.problems.append(
                doc.problem((), f"expected a mapping (providers, desired, safety), got {describe(data)}")
            )
            return None
        return validate(ProjectConfig, data, doc, (), self.problems)

    # ------------------------------------------------------------------ one desired-state file

    def desired_file(self, path: Path, named_by: SourceDoc, loc: Loc) -> None:
        self.files.append(path)
        doc = self.inputs.desired_doc(path, named_by, loc)
        self.unreadable = self.unreadable or doc is None
        if doc is None or doc.data is None:
            return
        if not isinstance(doc.data, dict):
            self.lists_unknown = True
            known = ", ".join(DesiredFile.model_fields)
            self.problems.append(doc.problem((), f"expected a mapping with {known}, got {describe(doc.data)}"))
            return
        known_keys = list(DesiredFile.model_fields)
        for key in doc.data:
            if key not in known_keys:
                self.problems.append(doc.problem((key,), f"unknown top-level key {key!r}" + suggest(key, known_keys)))
        self.candidate_lists(doc)
        for index, item in enumerate(self.section(doc, "schedules", list)):
            self.schedule(doc, ("schedules", index), item)
        for index, item in enumerate(self.section(doc, "suppressions", list)):
            suppression = validate(Suppression, item, doc, ("suppressions", index), self.problems)
            if suppression is not None:
                self.suppressions.append(suppression)

    def section(self, doc: SourceDoc, key: str, kind: type[list[Any]] | type[dict[str, Any]]) -> Any:
        value = doc.data.get(key)
        if value is None:
            return kind()
        if not isinstance(value, kind):
            want = "a list" if kind is list else "a mapping"
            self.problems.append(doc.problem((key,), f"expected {want}, got {describe(value)}"))
            return kind()
        return value

    def candidate_lists(self, doc: SourceDoc) -> None:
        written = doc.data.get("candidate_lists")
        self.lists_unknown = self.lists_unknown or (written is not None and not isinstance(written, dict))
        for name, value in self.section(doc, "candidate_lists", dict).items():
            loc: Loc = ("candidate_lists", name)
            position = doc.position(loc)
            if name in self.lists:
                first = self.lists[name].position
                self.problems.append(doc.problem(loc, f"candidate list {name!r} is already defined at {first}"))
                continue
            entries = ListEntries(loc, doc)
            complete = True
            if isinstance(value, list):
                indexes: list[int] = []
                for index, item in enumerate(value):
                    candidate = validate_candidate(item, doc, (*loc, index), self.problems)
                    if candidate is None:
                        complete = False
                    else:
                        entries.candidates.append(candidate)
                        indexes.append(index)
                entries.indexes = indexes
            elif isinstance(value, dict):
                csv_list = validate(CsvList, value, doc, loc, self.problems)
                if csv_list is None:
                    complete = False
                else:
                    entries, problems = self.csv_list(doc, loc, csv_list.csv)
                    if problems and not entries.candidates and problems[0].position.line is None:
                        # the CSV file itself cannot be read: point at the `csv:` in the YAML
                        problems = [
                            Problem(
                                doc.position((*loc, "csv")),
                                format_loc((*loc, "csv")),
                                f"{p.message} ({p.position.file})",
                            )
                            for p in problems
                        ]
                    self.problems += problems
                    complete = not problems
            else:
                self.problems.append(
                    doc.problem(loc, f"expected a list of candidates or {{csv: file}}, got {describe(value)}")
                )
                complete = False
            self.lists[name] = _CandidateList(name, position, self.unique_entries(entries), complete, entries)

    def csv_list(self, doc: SourceDoc, loc: Loc, written: str) -> tuple[ListEntries, list[Problem]]:
        found = self.inputs.csv_bytes(doc, (*loc, "csv"), written)
        if isinstance(found, Problem):
            return ListEntries(loc), [found]
        path, data = found
        return read_csv_list(data, path, display_path(path), loc, self.inputs.limits.max_csv_rows)

    def unique_entries(self, entries: ListEntries) -> list[Candidate]:
        """Report an email listed twice in one list; keep the first."""
        if len({candidate.email for candidate in entries.candidates}) == len(entries.candidates):
            return entries.candidates
        first: dict[str, int] = {}
        unique: list[Candidate] = []
        for at, candidate in enumerate(entries.candidates):
            seen = first.setdefault(candidate.email, at)
            if seen == at:
                unique.append(candidate)
                continue
            self.problems.append(
                Problem(
                    entries.position(at),
                    entries.path(at),
                    f"duplicate email {candidate.email} (also on line {entries.position(seen).line})",
                )
            )
        return unique

    def schedule(self, doc: SourceDoc, loc: Loc, item: Any) -> None:
        if not isinstance(item, dict):
            self.problems.append(doc.problem(loc, f"expected a schedule (a mapping), got {describe(item)}"))
            return
        body = {k: v for k, v in item.items() if k != "candidates"}
        window = body.get("window")
        if isinstance(window, dict) and window.get("time_zone") is None:
            if self.default_zone is None:
                self.problems.append(doc.problem(
                    (*loc, "window"), "the window has no time_zone: write one (an IANA zone such as "
                    f"Asia/Kolkata, or UTC), or set a default time_zone: in {self.path.name}"))
            body["window"] = {**window, "time_zone": self.default_zone or "UTC"}  # the rest is still checked
        schedule = validate(ScheduleDoc, body, doc, loc, self.problems)
        for rel, message in schedule_problems(schedule, self.now) if schedule is not None else ():
            self.problems.append(doc.problem((*loc, *rel), message))
        raw = item.get("candidates")
        refs: list[tuple[str | Candidate, Loc]] = []
        complete = True
        if raw is not None and not isinstance(raw, list):
            self.problems.append(doc.problem((*loc, "candidates"), f"expected a list, got {describe(raw)}"))
            complete = False
        for index, entry in enumerate(raw or []):
            entry_loc = (*loc, "candidates", index)
            if isinstance(entry, str):
                refs.append((entry, entry_loc))
            elif isinstance(entry, dict):
                candidate = validate_candidate(entry, doc, entry_loc, self.problems)
                complete = complete and candidate is not None
                if candidate is not None:
                    refs.append((candidate, entry_loc))
            else:
                self.problems.append(
                    doc.problem(entry_loc, f"expected a list name or {{email, name}}, got {describe(entry)}")
                )
                complete = False
        if schedule is not None:
            if raw is not None:
                schedule = schedule.model_copy(update={"candidates": [ref for ref, _ in refs]})
            self.schedules.append(_ScheduleDef(doc, loc, schedule, refs, complete))

    # ------------------------------------------------------------------ across files

    def resolve(self, project: ProjectConfig | None) -> tuple[list[Schedule], dict[ScheduleKey, Position]]:
        """Check schedules against each other, the lists and the project; build the resolved ones."""
        positions: dict[ScheduleKey, Position] = {}
        resolved: list[Schedule] = []
        for definition in self.schedules:
            doc, loc, schedule = definition.doc, definition.loc, definition.schedule
            key = schedule.key
            if key in positions:
                self.problems.append(doc.problem(loc, f"duplicate schedule {key} (also defined at {positions[key]})"))
                continue
            positions[key] = definition.position
            if project is not None and getattr(project.providers, schedule.provider) is None:
                self.problems.append(
                    doc.problem(
                        (*loc, "provider"),
                        f"provider {schedule.provider!r} is not configured under providers: in "
                        + (f"the trusted project file {self.inputs.trusted.display}" if self.inputs.trusted
                           else self.path.name),
                    )
                )
            ok, candidates = self.expand(definition)
            if not ok:
                continue
            fields = {name: getattr(schedule, name) for name in ScheduleBase.model_fields}
            try:
                built = Schedule.model_validate({**fields, "candidates": None})
            except ValidationError as exc:
                self.problems += validation_problems(exc, doc, loc, Schedule)
                continue
            # the candidates are checked already (and their emails unique: `expand`): not validated again
            resolved.append(built if candidates is None else built.model_copy(update={"candidates": candidates}))
        for index, message in previous_name_problems([d.schedule for d in self.schedules]):
            definition = self.schedules[index]
            self.problems.append(definition.doc.problem((*definition.loc, "previous_names"), message))
        self.check_shared_rosters(resolved, project)
        return resolved, positions

    def check_shared_rosters(self, resolved: list[Schedule], project: ProjectConfig | None) -> None:
        """Questionmark membership mode: the candidates of a schedule are its group's members, so two schedules
        with one group must list the same candidates."""
        config = project.providers.questionmark if project is not None else None
        if config is None or config.access_mode != "membership":
            return
        first: dict[str, tuple[Schedule, Position]] = {}
        where = {d.schedule.key: d for d in self.schedules}
        for schedule in resolved:
            if schedule.provider != "questionmark" or schedule.candidates is None:
                continue
            definition = where[schedule.key]
            group = schedule.group or schedule.name
            seen = first.setdefault(group.casefold(), (schedule, definition.position))
            other, position = seen
            if other is not schedule and other.candidate_emails() != schedule.candidate_emails():
                self.problems.append(definition.doc.problem(
                    (*definition.loc, "candidates"),
                    f"{schedule.key} and {other.key} (at {position}) share the Questionmark group {group!r} but list "
                    "different candidates: in membership mode the candidates are the group's members, so they must "
                    "be the same (or give each schedule its own group:)"))

    def expand(self, definition: _ScheduleDef) -> tuple[bool, tuple[Candidate, ...] | None]:
        """Whether the candidates resolve, and the schedule's candidates with lists expanded (None: not managed)."""
        doc, loc = definition.doc, definition.loc
        if definition.schedule.candidates is None:
            return definition.complete, None
        complete = definition.complete
        sources: dict[str, tuple[str | Loc, Candidate]] = {}
        """Where each email came from (a list's name, or the loc of an inline entry), and as what."""
        candidates: list[Candidate] = []
        used: set[str] = set()
        for ref, ref_loc in definition.refs:
            if isinstance(ref, str):
                found = self.lists.get(ref)
                if found is None:
                    if not (self.unreadable or self.lists_unknown):  # else it may be in what could not be read
                        self.problems.append(
                            doc.problem(ref_loc, f"no candidate list named {ref!r}" + suggest(ref, sorted(self.lists)))
                        )
                    complete = False
                    continue
                if ref in used:
                    self.problems.append(doc.problem(ref_loc, f"candidate list {ref!r} is named twice"))
                    continue
                used.add(ref)
                complete = complete and found.complete
                batch: list[Candidate] = found.candidates
                source: str | Loc = ref
            else:
                batch, source = [ref], ref_loc[len(loc) :]
            if len(definition.refs) == 1:  # one list (its emails unique already) or one entry: nothing to compare
                candidates += batch
                continue
            for candidate in batch:
                first, seen = sources.setdefault(candidate.email, (source, candidate))
                if first is source:
                    candidates.append(candidate)
                elif (seen.name, seen.fields) != (candidate.name, candidate.fields):
                    here = self.where(doc, loc, source, candidate.email)
                    self.problems.append(
                        Problem(
                            here,
                            format_loc((*loc, "candidates")),
                            f"candidate {candidate.email} is listed twice with different details: "
                            f"{_details(seen)} in {_source(first)} ({self.where(doc, loc, first, candidate.email)}), "
                            f"{_details(candidate)} in {_source(source)} ({here})",
                        )
                    )
                    complete = False
                # the same person with the same details in two lists (cohorts overlap): listed once
        if complete:
            self.check_accommodations(definition, candidates)
        return complete, tuple(candidates)

    def where(self, doc: SourceDoc, loc: Loc, source: str | Loc, email: str) -> Position:
        """The file:line naming an email of a schedule: its row in a list, or its inline entry."""
        if isinstance(source, str):
            found = self.lists.get(source)
            return found.where(email) if found is not None else doc.position(loc)
        return doc.position((*loc, *source))

    def check_accommodations(self, definition: _ScheduleDef, candidates: list[Candidate]) -> None:
        """Every accommodation must be for one of the schedule's candidates."""
        doc, loc = definition.doc, definition.loc
        raw = doc.value_at((*loc, "accommodations")) or {}
        emails = frozenset(candidate.email for candidate in candidates) if raw else frozenset()
        for written in raw:
            if normalize_email(written) not in emails:
                self.problems.append(
                    doc.problem((*loc, "accommodations", written), f"{written} is not a candidate of this schedule")
                )
