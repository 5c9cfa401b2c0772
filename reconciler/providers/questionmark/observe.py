"""Live Questionmark schedules → the shared model: ownership, children, group members, metadata.

A schedule this tool owns carries `ExternalID = reconciler:v1:…`; it is found by listing Schedules (the
feed cannot filter on ExternalID). Its candidates are the group's members minus those whose exception
schedule is disabled (revoked); its accommodations come from its exception schedules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ...errors import MalformedResponseError
from ...models import Accommodation, Candidate, Schedule, ScheduleKey
from ...plan import UnmanagedSchedule, fingerprint
from ..base import Observed, ObservedWorld
from . import mapping
from .client import PROVIDER


@dataclass
class Listing:
    """Every live (not soft-deleted) schedule: top-level ones by ID and children by parent ID."""

    parents: dict[int, dict[str, Any]] = field(default_factory=dict)
    children: dict[int, list[dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def of(cls, schedules: Iterable[dict[str, Any]]) -> Listing:
        listing = cls()
        for schedule in schedules:
            if schedule.get("IsDeleted") is True or not isinstance(schedule.get("ID"), int):
                continue
            parent_id = schedule.get("ParentScheduleID")
            if parent_id is None:
                listing.parents[schedule["ID"]] = schedule
            else:
                listing.children.setdefault(int(parent_id), []).append(schedule)
        for children in listing.children.values():
            children.sort(key=lambda c: int(c["ID"]))
        return listing


@dataclass
class Classified:
    """Owned parents matched to desired schedules, owned ones gone from desired state, and the rest."""

    managed: dict[ScheduleKey, tuple[dict[str, Any], Schedule]] = field(default_factory=dict)
    retired: dict[ScheduleKey, dict[str, Any]] = field(default_factory=dict)
    unmanaged: list[UnmanagedSchedule] = field(default_factory=list)


def classify(listing: Listing, desired: Sequence[Schedule]) -> Classified:
    """Ownership by ExternalID; unowned top-level schedules of the assessments in use are reported."""
    by_mark = {mapping.external_id(s.assessment_id, s.name): s for s in desired}
    assessments = {s.assessment_id for s in desired}
    keys = {s.key for s in desired}
    result = Classified()
    for schedule_id in sorted(listing.parents):
        raw = listing.parents[schedule_id]
        assessment_id, name = str(raw.get("AssessmentID")), str(raw.get("Name") or "")
        mark = str(raw.get("ExternalID") or "")
        wanted = by_mark.get(mark)
        if wanted is not None and wanted.key not in result.managed:
            result.managed[wanted.key] = (raw, wanted)
            continue
        key = ScheduleKey(PROVIDER, assessment_id, name)
        if mapping.is_owned(raw) and wanted is None and key not in keys:
            if raw.get("Disabled") is not True and key not in result.retired:
                result.retired[key] = raw
            continue
        if assessment_id in assessments:  # unowned, or a duplicate of an owned one: reported, never touched
            result.unmanaged.append(UnmanagedSchedule(
                provider=PROVIDER, assessment_id=assessment_id, name=name, ref=str(schedule_id)))
    return result


def child_index(
    children: Sequence[Mapping[str, Any]], emails: Mapping[int, str]
) -> dict[str, dict[str, Any]]:
    """The exception schedule of each participant, by email (the lowest ID when there are several)."""
    out: dict[str, dict[str, Any]] = {}
    for child in children:
        email = emails.get(child.get("ParticipantID") or -1)
        if email is not None and email not in out:
            out[email] = dict(child)
    return out


def _metadata(raw: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in sorted(raw.get("ScheduleMetadata") or (), key=lambda m: int(m.get("ID") or 0)):
        key, value = item.get("Key"), item.get("Value")
        if isinstance(key, str) and key not in out:
            out[key] = "" if value is None else str(value)
    return out


def build_observed(
    raw: dict[str, Any],
    key: ScheduleKey,
    desired: Schedule | None,
    children: Sequence[dict[str, Any]],
    group: Mapping[str, Any] | None,
    members: Sequence[Mapping[str, Any]],
    others: Mapping[int, Mapping[str, Any]],
) -> Observed:
    """One owned schedule as the shared model. `others`: participants with a child but not in the group."""
    zone = mapping.zone_of(desired)
    member_ids: dict[str, int] = {}
    people: dict[str, Candidate] = {}
    for participant in members:
        candidate = mapping.candidate_of(participant)
        if candidate is not None and candidate.email not in member_ids:
            member_ids[candidate.email] = int(participant["ID"])
            people[candidate.email] = candidate
    emails = {pid: email for email, pid in member_ids.items()}
    for pid, participant in others.items():
        outsider = mapping.candidate_of(participant)
        if outsider is not None:
            emails.setdefault(pid, outsider.email)
    by_email = child_index(children, emails)
    revoked = {email for email, child in by_email.items() if child.get("Disabled") is True}
    candidates: tuple[Candidate, ...] | None = tuple(
        people[email] for email in sorted(people) if email not in revoked)
    if desired is not None and desired.candidates is None:
        candidates = None
    accommodations = {
        email: Accommodation(
            extra_time=child.get("ExtraTime"),
            max_attempts=child["MaxAttempts"] if (child.get("MaxAttempts") or 0) >= 1 else None,
        )
        for email, child in by_email.items()
    }
    metadata = _metadata(raw)
    try:
        schedule = Schedule(
            name=key.name, provider=PROVIDER, assessment_id=key.assessment_id,
            window=mapping.window_from_wire(raw, zone),
            group=str(group.get("Name")) if group and group.get("Name") is not None else None,
            candidates=candidates, accommodations=accommodations, metadata=metadata,
            questionmark=mapping.settings_from_wire(raw, zone),
        )
    except (ValidationError, ValueError, TypeError) as exc:
        raise MalformedResponseError(PROVIDER, f"cannot read schedule {raw.get('ID')}: {exc}") from None
    printed = fingerprint({
        "schedule": raw, "children": list(children),
        "members": sorted((int(p["ID"]), str(p.get("Name"))) for p in members),
    })
    extra: dict[str, Any] = {
        "schedule_id": int(raw["ID"]),
        "group_id": raw.get("GroupID"),
        "group_name": schedule.group,
        "members": member_ids,
        "children": by_email,
        "all_children": [dict(c) for c in children],
        "metadata": metadata,
        "disabled": raw.get("Disabled") is True,
    }
    return Observed(schedule=schedule, ref=str(raw["ID"]), fingerprint=printed, raw=raw, extra=extra)


def assemble(
    classified: Classified,
    listing: Listing,
    groups: Mapping[int, tuple[dict[str, Any], list[dict[str, Any]]]],
    others: Mapping[int, Mapping[str, Any]],
) -> ObservedWorld:
    """The world from the classified listing, the group reads and the extra participant reads."""
    world = ObservedWorld(unmanaged=list(classified.unmanaged))
    items: list[tuple[ScheduleKey, dict[str, Any], Schedule | None, bool]] = [
        (key, raw, wanted, True) for key, (raw, wanted) in classified.managed.items()
    ] + [(key, raw, None, False) for key, raw in classified.retired.items()]
    for key, raw, wanted, managed in items:
        group, members = groups.get(raw.get("GroupID") or -1, ({}, []))
        children = listing.children.get(int(raw["ID"]), [])
        mine = {int(c["ParticipantID"]): others[int(c["ParticipantID"])] for c in children
                if isinstance(c.get("ParticipantID"), int) and int(c["ParticipantID"]) in others}
        observed = build_observed(raw, key, wanted, children, group or None, members, mine)
        (world.managed if managed else world.retired)[key] = observed
    return world


def outsiders(
    classified: Classified, listing: Listing, groups: Mapping[int, tuple[dict[str, Any], list[dict[str, Any]]]]
) -> set[int]:
    """Participants with an exception schedule who are not members of the schedule's group."""
    wanted: set[int] = set()
    raws = [raw for raw, _ in classified.managed.values()] + list(classified.retired.values())
    for raw in raws:
        members = {int(p["ID"]) for p in groups.get(raw.get("GroupID") or -1, ({}, []))[1]}
        for child in listing.children.get(int(raw["ID"]), []):
            pid = child.get("ParticipantID")
            if isinstance(pid, int) and pid not in members:
                wanted.add(pid)
    return wanted
