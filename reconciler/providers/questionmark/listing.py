"""One listing of every live schedule, sorted into what this tool owns and what it must leave alone.

The Schedules feed cannot filter on ExternalID, so ownership is decided here from the marks (see `mapping`):
a desired schedule's *anchor* (list mode) or group schedule carries the mark itself, a candidate's *seat*
carries `<mark>:seat` / `<mark>:revoked`, a group schedule's exception schedules hang off it by
`ParentScheduleID`. Everything unmarked in an assessment in use is reported as unmanaged, never written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...models import Schedule, ScheduleKey
from ...models.identity import live_name
from ...plan import UnmanagedSchedule
from . import mapping
from .client import PROVIDER


@dataclass
class Listing:
    """Every live (not soft-deleted) schedule: top-level ones by ID, seats by mark, exceptions by parent ID."""

    tops: dict[int, dict[str, Any]] = field(default_factory=dict)
    seats: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    children: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    shard: str | None = None
    """Whose marks are owned here (the project's `shard:`; None: the unsharded marks)."""

    @classmethod
    def of(cls, schedules: Iterable[dict[str, Any]], shard: str | None = None) -> Listing:
        listing = cls(shard=shard)
        listing.add(schedules)
        return listing.done()

    def add(self, schedules: Iterable[dict[str, Any]]) -> None:
        """Sort one page (or any batch) of the listing in as it arrives."""
        tops, seats, children = self.tops, self.seats, self.children
        for schedule in schedules:
            if schedule.get("IsDeleted") is True or not isinstance(schedule.get("ID"), int):  # assumption Q-08
                continue
            parent_id = schedule.get("ParentScheduleID")
            marked = mapping.parse_mark(schedule.get("ExternalID"))
            if marked and marked[1] == mapping.REVOKED and parent_id is None and schedule.get("ParticipantID") is None:
                continue  # a duplicate that stood down (client.create_schedule): disabled, no one's, never shown
            if parent_id is not None:
                children.setdefault(int(parent_id), []).append(schedule)
            elif marked and marked[1] and isinstance(schedule.get("ParticipantID"), int):
                seats.setdefault(marked[0], []).append(schedule)
            else:
                tops[schedule["ID"]] = schedule

    def done(self) -> Listing:
        """Seats and exceptions in ID order, whatever order the pages came in."""
        for group in (*self.children.values(), *self.seats.values()):
            group.sort(key=_by_id)
        return self

    def seats_of(self, raw: dict[str, Any], desired: Schedule | None = None) -> list[dict[str, Any]]:
        """The anchor's seats; for a desired schedule also those under the marks of its names (a rename cut
        short re-marks some seats before the anchor)."""
        marked = mapping.parse_mark(raw.get("ExternalID"))
        marks = ({marked[0]} if marked else set()) | (set(marks_of(desired, self.shard)) if desired else set())
        found = {int(seat["ID"]): seat for mark in marks for seat in self.seats.get(mark, [])}
        return [found[i] for i in sorted(found)]

    def children_of(self, raw: dict[str, Any]) -> list[dict[str, Any]]:
        return self.children.get(int(raw["ID"]), [])


@dataclass
class Classified:
    """Owned anchors matched to desired schedules, owned ones gone from desired state, and the rest."""

    managed: dict[ScheduleKey, tuple[dict[str, Any], Schedule]] = field(default_factory=dict)
    retired: dict[ScheduleKey, dict[str, Any]] = field(default_factory=dict)
    unmanaged: list[UnmanagedSchedule] = field(default_factory=list)


def _by_id(schedule: dict[str, Any]) -> int:
    return int(schedule["ID"])


def marks_of(schedule: Schedule, shard: str | None = None) -> list[str]:
    """The marks of a desired schedule's name and previous names."""
    return [mapping.external_id(schedule.assessment_id, n, shard) for n in (schedule.name, *schedule.previous_names)]


def key_of(raw: dict[str, Any]) -> ScheduleKey:
    return ScheduleKey(PROVIDER, str(raw.get("AssessmentID")), str(raw.get("Name") or ""))


def desired_marks(listing: Listing, desired: Sequence[Schedule]) -> dict[str, Schedule]:
    """The mark each desired schedule is found by: its name's, or a previous name's when only that is live
    (the schedule is then adopted and renamed). Both live is an error (`live_name`)."""
    shard = listing.shard
    owned = {str(raw.get("ExternalID")) for raw in listing.tops.values() if mapping.is_owned(raw, shard)}
    by_mark: dict[str, Schedule] = {}
    for schedule in desired:

        def is_live(name: str, schedule: Schedule = schedule) -> bool:
            return mapping.external_id(schedule.assessment_id, name, shard) in owned

        name = live_name(schedule, is_live) or schedule.name
        by_mark[mapping.external_id(schedule.assessment_id, name, shard)] = schedule
    return by_mark


def classify(listing: Listing, desired: Sequence[Schedule]) -> Classified:
    """Ownership by this shard's mark; unowned top-level schedules of the assessments in use are reported
    (another shard's are that shard's: neither retired nor reported here)."""
    by_mark, shard = desired_marks(listing, desired), listing.shard
    assessments = {s.assessment_id for s in desired}
    keys = {s.key for s in desired}
    result = Classified()
    for schedule_id in sorted(listing.tops):
        raw = listing.tops[schedule_id]
        key = key_of(raw)
        owned = mapping.is_owned(raw, shard)
        if not owned and _anchor_mark(raw):
            continue  # another shard's: neither retired nor reported here
        wanted = by_mark.get(str(raw.get("ExternalID"))) if owned else None
        if wanted is not None and wanted.key not in result.managed:
            result.managed[wanted.key] = (raw, wanted)
            continue
        if owned and wanted is None and key not in keys and key not in result.retired:
            result.retired[key] = raw
            continue
        if key.assessment_id in assessments:  # unowned, or a duplicate of an owned one: reported, never touched
            result.unmanaged.append(UnmanagedSchedule(
                provider=PROVIDER, assessment_id=key.assessment_id, name=key.name, ref=str(schedule_id)))
    anchored = {str(raw.get("ExternalID")) for raw in listing.tops.values()}
    anchored |= {mark for s in desired for mark in marks_of(s, shard)}  # seats re-marked by a rename cut short
    mine = mapping.mark_prefix(shard)
    for mark in sorted(m for m in set(listing.seats) - anchored if m.startswith(mine)):  # anchor deleted by hand
        for seat in listing.seats[mark]:
            key = key_of(seat)
            if key.assessment_id in assessments and seat.get("Disabled") is not True:
                result.unmanaged.append(UnmanagedSchedule(
                    provider=PROVIDER, assessment_id=key.assessment_id, name=key.name, ref=str(seat["ID"])))
    return result


def _anchor_mark(raw: dict[str, Any]) -> bool:
    """Carries some shard's (or the unsharded) ownership mark of a desired schedule."""
    parsed = mapping.parse_mark(raw.get("ExternalID"))
    return parsed is not None and parsed[1] == ""


def find_owned(listing: Listing, key: ScheduleKey) -> dict[str, Any] | None:
    """The owned schedule of a key: by its mark, else (a retired one) by assessment and name."""
    shard = listing.shard
    mark = mapping.external_id(key.assessment_id, key.name, shard)
    ordered = [listing.tops[i] for i in sorted(listing.tops)]
    found = next((raw for raw in ordered if raw.get("ExternalID") == mark), None)
    return found or next((raw for raw in ordered if mapping.is_owned(raw, shard) and key_of(raw) == key), None)
