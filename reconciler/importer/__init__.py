"""Turn live schedules (a Discovery) into a readable desired-state YAML file that plans with no changes.

Everything the mapping modules read back is written, except settings equal to the vendor's defaults
(unless asked to keep them) and write-only secrets (named in a comment instead). Candidates go to one
`candidate_lists:` entry per schedule, emails spelled as the vendor returned them.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import ReconcilerError
from ..loader.yaml_write import CommentedMap, CommentedSeq, dump_document, read_plain
from ..models import PROVIDER_TITLES, Schedule, ScheduleKey, is_email, normalize_email
from ..observed import Observed
from .discovery import Discovery

SCHEMA_FILE = "desired-state.schema.json"

_KEY_ORDER = ("name", "provider", "assessment_id", "window", "group", "candidates", "accommodations",
              "metadata", "mettl", "questionmark")
_FLOW_MAX_KEYS = 4
_BLOCK_SECTIONS = frozenset({"mettl", "questionmark", "metadata", "accommodations"})
_MISSING = object()
_EMPTY_DEFAULTS = frozenset({"previous_names"})
"""Fields whose empty list is the default: left out (`candidates: []` is not: it manages an empty list)."""


class ImportExistsError(ReconcilerError):
    """The target file exists and --force was not given."""


@dataclass
class ImportResult:
    """The YAML text and what went into it."""

    text: str
    schedules: list[Schedule] = field(default_factory=list)
    skipped: list[ScheduleKey] = field(default_factory=list)
    candidates: int = 0
    archived: list[ScheduleKey] = field(default_factory=list)
    """Schedules whose window is over: written `archived: true` (kept as they are, validate accepts them)."""


def slug(text: str) -> str:
    """`Java Hiring Drive (2026)` → `java-hiring-drive-2026`."""
    value = re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKC", text).lower()).strip("-")
    return value or "schedule"


def file_name(provider: str, scope: str) -> str:
    return f"imported-{provider}-{slug(scope)}.yaml"


def schema_modeline(out_file: Path, schemas_dir: Path) -> str:
    """The yaml-language-server modeline pointing at the desired-state schema, relative to the file."""
    target = os.path.relpath(schemas_dir / SCHEMA_FILE, out_file.parent)
    return f"yaml-language-server: $schema={Path(target).as_posix()}"


def spellings(raw: Any) -> dict[str, str]:
    """Normalised email → the spelling the vendor returned, for every email-looking string in `raw` that is
    not already written in its normalised form."""
    found: dict[str, str] = {}

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(key)
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)
        elif isinstance(value, str) and "@" in value and is_email(value.strip()) \
                and normalize_email(value) != value.strip():
            found.setdefault(normalize_email(value), value.strip())  # the first spelling that is not plain

    walk(raw)
    return found


def build(
    discovery: Discovery,
    *,
    modeline: str,
    command: str,
    keep_defaults: bool = False,
    managed: Collection[ScheduleKey] = (),
    taken_lists: Collection[str] = (),
    now: datetime | None = None,
) -> ImportResult:
    """The YAML document for a discovery; schedules already in `managed` are skipped. A schedule whose window
    ended before `now` is written `archived: true` (validate refuses a window that is over otherwise)."""
    result = ImportResult(text="")
    lists = CommentedMap()
    schedules = CommentedSeq()
    used = set(taken_lists)
    for item in discovery.schedules:
        if item.schedule.key in managed:
            result.skipped.append(item.schedule.key)
            continue
        respell = spellings((item.raw, vars(item.live)))
        list_name = _unique(slug(item.schedule.name), used)
        entry = schedule_entry(item, discovery.defaults, keep_defaults=keep_defaults, list_name=list_name,
                               respell=respell)
        window = item.schedule.window
        if now is not None and window is not None and window.end_utc <= now:
            entry["archived"] = True
            result.archived.append(item.schedule.key)
        if item.schedule.candidates:
            used.add(list_name)
            lists[list_name] = _candidate_list(item, respell)
            result.candidates += len(item.schedule.candidates)
        schedules.append(entry)
        schedules.yaml_set_comment_before_after_key(len(schedules) - 1, before=_ref_comment(item), indent=2)
        result.schedules.append(item.schedule)
    root = CommentedMap()
    if lists:
        root["candidate_lists"] = lists
    root["schedules"] = schedules
    root.yaml_set_start_comment("\n".join([modeline, *_header(discovery, command, keep_defaults)]))
    result.text = dump_document(root)
    return result


def schedule_entry(
    item: Observed,
    defaults: Mapping[str, Any],
    *,
    keep_defaults: bool,
    list_name: str,
    respell: Mapping[str, str],
) -> CommentedMap:
    """One `schedules:` entry: the model's JSON view, defaults and empty sections dropped."""
    schedule = item.schedule
    data = schedule.model_dump(mode="json", exclude_none=True, exclude={"candidates"})
    vendor = schedule.provider
    block = data.get(vendor)
    if isinstance(block, dict):
        block = {k: v for k, v in block.items() if keep_defaults or defaults.get(k, _MISSING) != v}
        data[vendor] = block
    if schedule.candidates is not None:
        data["candidates"] = [list_name] if schedule.candidates else []
    _respell_emails(data, respell)
    data = {k: v for k, v in data.items() if v not in ({}, None) and not (k in _EMPTY_DEFAULTS and v == [])}
    ordered = {k: data[k] for k in _KEY_ORDER if k in data}
    ordered.update({k: v for k, v in data.items() if k not in ordered})
    return CommentedMap((k, _node(v, top=k in _BLOCK_SECTIONS)) for k, v in _escaped(ordered).items())


def _respell_emails(data: dict[str, Any], respell: Mapping[str, str]) -> None:
    """Emails (compared normalised) back in the vendor's spelling; other strings are compared as written."""
    if isinstance(data.get("accommodations"), dict):
        data["accommodations"] = {respell.get(k, k): v for k, v in data["accommodations"].items()}
    grades = (data.get("mettl") or {}).get("test_grade_notification") or {}
    if isinstance(grades.get("recipients"), list):
        grades["recipients"] = [respell.get(r, r) for r in grades["recipients"]]


def _candidate_list(item: Observed, respell: Mapping[str, str]) -> CommentedSeq:
    seq = CommentedSeq()
    for candidate in sorted(item.schedule.candidates or (), key=lambda c: c.email):
        entry = CommentedMap([("email", respell.get(candidate.email, candidate.email)),
                              ("name", candidate.name)])
        if candidate.fields:
            entry["fields"] = dict(candidate.fields)
        entry.fa.set_flow_style()
        seq.append(_escaped(entry))
        if candidate.email in item.protected:
            seq.yaml_add_eol_comment(f"{item.protected[candidate.email]}: protected from removal", len(seq) - 1)
        elif candidate.email in item.live.noted:
            seq.yaml_add_eol_comment(item.live.noted[candidate.email], len(seq) - 1)
    return seq


def _ref_comment(item: Observed) -> str:
    label = {"mettl": "access key", "questionmark": "schedule ID"}.get(item.schedule.provider, "ref")
    return f"{PROVIDER_TITLES.get(item.schedule.provider, item.schedule.provider)} {label} {item.ref}"


def _header(discovery: Discovery, command: str, keep_defaults: bool) -> list[str]:
    title = PROVIDER_TITLES.get(discovery.provider, discovery.provider)
    lines = [
        f"Imported from {title} ({discovery.scope}) by `{command}`.",
        "Planned right away, this file shows no changes. Edit it, then `reconciler plan`.",
    ]
    if not keep_defaults:
        lines.append(f"Settings equal to {title}'s defaults are left out (not managed); "
                     "re-import with --keep-defaults to pin them.")
    for note in discovery.notes:
        lines.extend(_wrap(note))
    return lines


def _wrap(text: str, width: int = 110) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    return [*lines, current] if current else lines


def _unique(name: str, used: set[str]) -> str:
    candidate, index = name, 2
    while candidate in used:
        candidate, index = f"{name}-{index}", index + 1
    return candidate


def _escaped(value: Any) -> Any:
    """`${` in a value would be read as a variable: write it as `$${`."""
    if isinstance(value, CommentedMap):
        for key in list(value):
            value[key] = _escaped(value[key])
        return value
    if isinstance(value, dict):
        return {k: _escaped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escaped(v) for v in value]
    if isinstance(value, str):
        return value.replace("${", "$${")
    return value


def _node(value: Any, *, top: bool = False) -> Any:
    """Plain data → ruamel nodes: small flat mappings and scalar lists in flow style, the rest as blocks."""
    if isinstance(value, dict):
        node = CommentedMap((k, _node(v)) for k, v in value.items())
        flat = all(not isinstance(v, dict | list) or _is_flow(v) for v in value.values())
        if not top and flat and len(value) <= _FLOW_MAX_KEYS:
            node.fa.set_flow_style()
        return node
    if isinstance(value, list):
        seq = CommentedSeq(_node(v) for v in value)
        if all(not isinstance(v, dict | list) for v in value):
            seq.fa.set_flow_style()
        return seq
    return value


def _is_flow(value: Any) -> bool:
    if isinstance(value, list):
        return all(not isinstance(v, dict | list) for v in value)
    return isinstance(value, dict) and len(value) <= _FLOW_MAX_KEYS and not any(
        isinstance(v, dict | list) for v in value.values())


def write(path: Path, text: str, *, force: bool) -> None:
    """Write the file; refuse to replace an existing one without force."""
    if path.exists() and not force:
        raise ImportExistsError(f"{path} exists: re-run with --force to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def list_names(files: Iterable[Path], *, exclude: Path | None = None) -> set[str]:
    """The candidate list names the given desired files define (to avoid clashes)."""
    names: set[str] = set()
    for path in files:
        if exclude is not None and path.resolve() == exclude.resolve():
            continue
        try:
            data = read_plain(path.read_text(encoding="utf-8-sig"))
        except Exception:  # the loader already validated these files; be lenient here
            continue
        lists = data.get("candidate_lists") if isinstance(data, dict) else None
        if isinstance(lists, dict):
            names.update(str(k) for k in lists)
    return names
