"""Questionmark Schedule wire form ⇄ the shared models. One table drives both directions and the docs.

Edm.DateTime values are UTC on the wire (sent with `Z`, read with or without it); in the models they are
local wall-clock times in the schedule window's zone (UTC when the schedule has no window).

Ownership marks (ExternalID): `reconciler:v1:<hash>` on the schedule that carries a desired schedule's identity
(the *anchor* of a candidate list, or the group schedule), `<mark>:seat` on a candidate's own schedule and
`<mark>:revoked` on the seat of a candidate taken off the list.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from pydantic import ValidationError

from ...models import (
    Candidate,
    QuestionmarkSettings,
    Schedule,
    Window,
    is_email,
    normalize_email,
    parse_zone,
    to_utc,
)
from ...plan import WINDOW, FieldPath

EXTERNAL_ID_PREFIX = "reconciler:v1:"
SEAT, REVOKED = "seat", "revoked"
MONITORING = ("questionmark", "monitoring")
"""The field path of a schedule's monitoring type by name (resolved through `GET MonitoringTypes`)."""


@dataclass(frozen=True)
class Setting:
    """One `questionmark:` setting: its dotted path under the block and its Schedule property."""

    path: str
    wire: str
    time: bool = False

    @property
    def yaml_path(self) -> str:
        return f"questionmark.{self.path}"


SETTINGS: tuple[Setting, ...] = (
    Setting("language", "Language"),
    Setting("disabled", "Disabled"),
    Setting("hidden", "Hidden"),
    Setting("resume_allowed", "ResumeAllowed"),
    Setting("resume_until", "ResumeTo", time=True),
    Setting("report_window.start", "ReportFrom", time=True),
    Setting("report_window.end", "ReportTo", time=True),
    Setting("report_template", "ReportTemplateName"),
    Setting("reported_result", "ReportedResult"),
    Setting("extra_time", "ExtraTime"),
    Setting("max_attempts", "MaxAttempts"),
    Setting("monitoring_type_id", "MonitoringTypeID"),
    Setting("observer_initiated", "ObserverInitiated"),
    Setting("test_center_id", "TestCenterID"),
    Setting("rules_of_conduct_id", "RulesOfConductID"),
)
TIME_PROPS = frozenset({"StartFrom", "StartTo"} | {s.wire for s in SETTINGS if s.time})
# What an exception schedule copies from its parent so it never silently differs. `Disabled` is not
# inherited: on a child it means "this participant's access is revoked".
INHERITED = ("StartFrom", "StartTo", *(s.wire for s in SETTINGS if s.wire != "Disabled"))
ACCOMMODATION_PROPS = {"extra_time": "ExtraTime", "max_attempts": "MaxAttempts"}


MARK = re.compile(r"reconciler:v1(?:@[a-z0-9][a-z0-9-]{0,15})?:")
"""Any shard's mark prefix: `reconciler:v1:` (no shard) or `reconciler:v1@<shard>:` (at most 63 characters
with a revoked seat's suffix, assumption Q-03)."""


def mark_prefix(shard: str | None = None) -> str:
    """The ownership prefix of a shard (`shard:` in the project file; none: today's marks)."""
    return f"reconciler:v1@{shard}:" if shard else EXTERNAL_ID_PREFIX


def external_id(assessment_id: str, name: str, shard: str | None = None) -> str:
    """The stable ownership mark written into ExternalID of every schedule this tool (this shard) creates."""
    return mark_prefix(shard) + hashlib.sha256(f"{assessment_id}\0{name}".encode()).hexdigest()[:24]


def seat_mark(mark: str, *, revoked: bool = False) -> str:
    """The ExternalID of a candidate's seat under the schedule marked `mark` (46 characters, assumption Q-03)."""
    return f"{mark}:{REVOKED if revoked else SEAT}"


def parse_mark(value: Any) -> tuple[str, str] | None:
    """(mark, role) of an ExternalID this tool wrote: role "" (anchor or group schedule), "seat" or "revoked"."""
    return _parsed_mark(value if isinstance(value, str) else str(value or ""))


@lru_cache(maxsize=1 << 16)  # every seat of a schedule carries the same text
def _parsed_mark(text: str) -> tuple[str, str] | None:
    prefix = MARK.match(text)
    if prefix is None:
        return None
    digest, _, role = text[prefix.end():].partition(":")
    return (prefix.group() + digest, role) if role in ("", SEAT, REVOKED) else None


def is_owned(schedule: Mapping[str, Any], shard: str | None = None) -> bool:
    """A schedule carrying a desired schedule's identity (not a seat) in this shard's namespace."""
    parsed = parse_mark(schedule.get("ExternalID"))
    return parsed is not None and parsed[1] == "" and parsed[0].startswith(mark_prefix(shard))


def zone_of(schedule: Schedule | None) -> str:
    """The zone local times of this schedule are written in."""
    return schedule.window.time_zone if schedule is not None and schedule.window is not None else "UTC"


def group_name(schedule: Schedule) -> str:
    """The group whose members are the candidates: `group:` or, by default, the schedule's name."""
    return schedule.group or schedule.name


# --------------------------------------------------------------------------- instants

_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$")


def parse_utc(value: Any) -> datetime | None:
    """An Edm.DateTime (`…Z`, an offset, or nothing = UTC; up to 7 fractional digits) as aware UTC."""
    if value is None or value == "":
        return None
    match = _DATETIME.match(str(value).strip())
    if not match:
        raise ValueError(f"unreadable Edm.DateTime {value!r}")
    base, fraction, zone = match.groups()
    parsed = datetime.fromisoformat(base)
    if fraction:
        parsed = parsed.replace(microsecond=int(fraction[:6].ljust(6, "0")))
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        parsed -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return parsed.replace(tzinfo=UTC)


def format_utc(value: datetime) -> str:
    """UTC with `Z`, as the service wants it sent."""
    utc = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    return (f"{text}.{utc.microsecond:06d}" if utc.microsecond else text) + "Z"


def to_local(value: datetime, zone: str) -> datetime:
    """A UTC instant as naive wall-clock time in a zone."""
    return value.astimezone(parse_zone(zone)).replace(tzinfo=None)


def same_value(prop: str, live: Any, wanted: Any) -> bool:
    """Wire values compared as the service means them (instants as instants)."""
    if live == wanted and type(live) is type(wanted) and live is not None:
        return True  # the common case: the same text (instants were checked readable when listed)
    if prop in TIME_PROPS:
        try:
            return parse_utc(live) == parse_utc(wanted)
        except ValueError:
            return False
    if prop == "AssessmentID":
        return str(live) == str(wanted)
    return bool(live == wanted) and type(live) is type(wanted)


# --------------------------------------------------------------------------- windows and settings


def window_from_wire(raw: Mapping[str, Any], zone: str) -> Window | None:
    """StartFrom/StartTo as a window shown in `zone` (UTC if the instant is ambiguous there)."""
    start, end = parse_utc(raw.get("StartFrom")), parse_utc(raw.get("StartTo"))
    if start is None or end is None:
        return None
    for shown_in in (zone, "UTC"):
        try:
            return Window.from_utc(start, end, shown_in)
        except ValueError:
            continue
    return None  # StartTo not after StartFrom: not a window the models can hold; a plan will repair it


def window_to_wire(window: Window | None) -> dict[str, Any]:
    if window is None:
        return {"StartFrom": None, "StartTo": None}
    return {"StartFrom": format_utc(window.start_utc), "StartTo": format_utc(window.end_utc)}


def _dig(model: Any, path: str) -> Any:
    for part in path.split("."):
        model = getattr(model, part, None) if model is not None else None
    return model


def settings_to_wire(settings: QuestionmarkSettings | None, zone: str) -> dict[str, Any]:
    """Schedule properties for the managed (non-None) settings; local times become UTC with `Z`."""
    out: dict[str, Any] = {}
    for setting in SETTINGS:
        value = _dig(settings, setting.path)
        if value is None:
            continue
        out[setting.wire] = format_utc(to_utc(value, zone)) if setting.time else value
    return out


def settings_from_wire(raw: Mapping[str, Any], zone: str) -> QuestionmarkSettings:
    """Observed settings; a live value the models cannot hold (e.g. MaxAttempts 0) is left out."""
    data: dict[str, Any] = {}
    for setting in SETTINGS:
        value = raw.get(setting.wire)
        if value is None:
            continue
        if setting.time:
            instant = parse_utc(value)
            value = to_local(instant, zone) if instant else None
        head, _, tail = setting.path.partition(".")
        candidate = {head: {tail: value}} if tail else {head: value}
        try:
            QuestionmarkSettings.model_validate(candidate)
        except ValidationError:
            continue
        if tail:
            data.setdefault(head, {})[tail] = value
        else:
            data[head] = value
    return QuestionmarkSettings.model_validate(data)


def local_time_problems(schedule: Schedule) -> list[str]:
    """Local times in `questionmark:` that do not exist, or happen twice, in the window's zone."""
    zone = zone_of(schedule)
    problems = []
    for setting in SETTINGS:
        value = _dig(schedule.questionmark, setting.path)
        if setting.time and value is not None:
            try:
                to_utc(value, zone)
            except ValueError as exc:
                problems.append(f"{setting.yaml_path}: {exc}")
    return problems


def parent_changes(paths: Iterable[FieldPath], desired: Schedule) -> dict[str, Any]:
    """The PATCH body for a parent: only the properties behind the changed field paths."""
    paths = list(paths)
    body: dict[str, Any] = {}
    if WINDOW in paths:
        body.update(window_to_wire(desired.window))
    wanted = settings_to_wire(desired.questionmark, zone_of(desired))
    for setting in SETTINGS:
        target = ("questionmark", *setting.path.split("."))
        touched = any(p[:len(target)] == target or target[:len(p)] == p for p in paths)
        if touched and setting.wire in wanted:
            body[setting.wire] = wanted[setting.wire]
    return body


def create_body(desired: Schedule, group_id: int, shard: str | None, monitoring_id: int) -> dict[str, Any]:
    """POST Schedules: identity, ownership mark, group, window and every managed setting. `monitoring_id`:
    the MonitoringTypeID (NOT NULL on create), resolved by name unless the schedule sets the ID."""
    body: dict[str, Any] = {
        "Name": desired.name,
        "ExternalID": external_id(desired.assessment_id, desired.name, shard),
        "AssessmentID": str(desired.assessment_id),
        "GroupID": group_id,
        "MonitoringTypeID": monitoring_id,
    }
    if desired.window is not None:
        body.update(window_to_wire(desired.window))
    body.update(settings_to_wire(desired.questionmark, zone_of(desired)))
    return body


def inherited(parent: Mapping[str, Any]) -> dict[str, Any]:
    """The values an exception schedule copies from its parent (times re-sent with `Z`)."""
    out: dict[str, Any] = {}
    for prop in INHERITED:
        if prop not in parent:
            continue  # an older tenant without the property
        value = parent[prop]
        if prop in TIME_PROPS and value is not None:
            instant = parse_utc(value)
            value = format_utc(instant) if instant else None
        out[prop] = value
    return out


def accommodation_overrides(desired: Schedule, email: str) -> dict[str, Any]:
    """ExtraTime/MaxAttempts that the candidate's accommodation sets (the rest is inherited)."""
    accommodation = desired.accommodations.get(email)
    if accommodation is None:
        return {}
    out: dict[str, Any] = {}
    for field, prop in ACCOMMODATION_PROPS.items():
        value = getattr(accommodation, field)
        if value is not None:
            out[prop] = value
    return out


# --------------------------------------------------------------------------- participants


def email_of(participant: Mapping[str, Any] | None, known: Container[str] = ()) -> str | None:
    """A participant's email: `PrimaryEmail`, else (when that is empty) the login `Name` if it is an email.
    `known`: normalised emails already checked (the desired state's), taken without checking them again."""
    if not participant:
        return None
    value = participant.get("PrimaryEmail")
    if type(value) is str and value in known and value.isascii():
        return value  # already normalised (stripped, lower-case ASCII): what the checks below return
    if not str(value or "").strip():
        value = participant.get("Name")
    email = normalize_email(str(value or ""))
    return email if email in known or is_email(email) else None


def candidate_of(participant: Mapping[str, Any] | None) -> Candidate | None:
    """A participant as a candidate (name from FirstName/LastName, else the email); None without an email
    (membership mode imports a roster's members as candidates)."""
    email = email_of(participant)
    if email is None or participant is None:
        return None
    return Candidate.read(email, name_of(participant, email))


def name_of(participant: Mapping[str, Any], email: str) -> str:
    """A participant's name as a candidate's: FirstName LastName, else the email."""
    full = " ".join(str(participant.get(k) or "").strip() for k in ("FirstName", "LastName")).strip()
    return full or email


def members_by_email(participants: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Participant IDs by email (the first participant of an email wins; those without one are left out)."""
    members: dict[str, int] = {}
    for participant in participants:
        email = email_of(participant)
        if email is not None and isinstance(participant.get("ID"), int):
            members.setdefault(email, int(participant["ID"]))
    return members


def child_name(parent_name: str, email: str) -> str:
    """The Name of a group schedule's exception schedule for one member."""
    return f"{parent_name} [{email}]"


def mapping_table() -> list[tuple[str, str]]:
    """(YAML path, Questionmark property) rows for the docs."""
    rows = [
        ("name", "Name (+ ExternalID = reconciler:v1:<sha256(assessment_id NUL name)[:24]>, the anchor's mark)"),
        ("previous_names (renamed: adopted under an old name's mark)",
         "one PATCH of Name + ExternalID (the new name's mark) on the anchor and on each seat; exception "
         "schedules get their new Name"),
        ("assessment_id", "AssessmentID (Edm.Int64, sent as a JSON string)"),
        ("window.start / end / time_zone", "StartFrom / StartTo (UTC)"),
        ("group (default: the schedule name)", "GroupID (found by Name, created if missing)"),
        ("candidates (access: membership)", "the members of the group: one group schedule; added with QMWISe "
                                            "AddGroupParticipantList, removed with DeleteGroupParticipantList; "
                                            "ScheduleMetadata reconciler:roster = GroupID records the group as ours"),
        ("candidates (access: seats)", "one seat per candidate: a schedule with ParticipantID, ExternalID "
                                       "<mark>:seat; removal = Disabled + <mark>:revoked; the anchor stays Disabled"),
        ("candidates omitted", "group mode: the group schedule itself, open to the group's members"),
        ("accommodations.<email>.extra_time / max_attempts",
         "the seat's ExtraTime / MaxAttempts (group mode: an exception schedule's)"),
        ("metadata.<key>", "ScheduleMetadata Key/Value on the anchor and every seat (write-once)"),
    ]
    rows.append(("questionmark.monitoring", "MonitoringTypeID of the type with this Name in GET MonitoringTypes "
                 "(unset on create: providers.questionmark.monitoring, UNMONITORED)"))
    notes = {"MonitoringTypeID": " (required on create: resolved from questionmark.monitoring when not set)",
             "Disabled": " (list mode: on the seats; the anchor is always disabled)"}
    rows.extend((s.yaml_path, s.wire + (" (UTC)" if s.time else "") + notes.get(s.wire, "")) for s in SETTINGS)
    return rows


def mapping_markdown() -> str:
    """The YAML → Questionmark table for docs/questionmark-mapping.md."""
    lines = ["| YAML (schedule entry) | Questionmark Schedule property |", "|---|---|"]
    lines += [f"| `{yaml_path}` | {wire} |" for yaml_path, wire in mapping_table()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - `python -m reconciler.providers.questionmark.mapping`
    print(mapping_markdown(), end="")
