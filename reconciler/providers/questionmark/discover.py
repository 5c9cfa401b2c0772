"""Read Questionmark schedules for `reconciler import`, by group or by assessment.

The provider recognises its schedules by the ownership mark in ExternalID, so only marked schedules can be
imported as they are. A schedule created in the Questionmark UI has no mark: `adopt=True` reads it as if
marked and returns the mark; `write_marks` writes it (one PATCH of ExternalID per schedule, nothing else) once
the imported file has passed its checks, after which the file plans with no changes. A
schedule whose ExternalID is used by something else, or marked for another name, is never touched.
A marked anchor with seats imports as a candidate list; any other group schedule imports in group mode
(no `candidates:`: access is whoever is in the group). With `access: membership`, adopting a group schedule
also writes its roster record (`membership.ROSTER_KEY`, with the marks, once the file has passed its checks):
its group's members import as its candidates, and the tool manages them from then on.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from ...errors import NotFoundError
from ...models import Accommodation, QuestionmarkProviderConfig, ScheduleKey
from ...observed import Observed
from . import mapping
from .client import PROVIDER
from .listing import Classified, Listing, key_of
from .live import SeatsLive, questionmark_live
from .membership import MEMBERSHIP, ROSTER_KEY, has_roster, imported_observed
from .observe import build_observed
from .provider import QuestionmarkProvider

VENDOR_DEFAULTS: dict[str, Any] = {
    "disabled": False,
    "hidden": False,
    "resume_allowed": False,
    "observer_initiated": False,
    "monitoring": QuestionmarkProviderConfig().monitoring,
}
"""What a schedule created without a setting has (JSON view of `questionmark:`): left out on import."""

NOTES = (
    "Questionmark keeps instants, not time zones: windows and other times are written in the zone given "
    "with --time-zone (UTC by default). Any zone plans the same as long as the instants stay the same.",
)


@dataclass
class Found:
    """Importable schedules, and why others in scope were left out."""

    schedules: list[Observed] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    adopted: list[ScheduleKey] = field(default_factory=list)
    marks: list[tuple[int, str]] = field(default_factory=list)
    """(schedule ID, ownership mark) to write to adopt them: nothing is written by `discover`
    (`write_marks`, once the imported file is checked)."""
    rosters: list[tuple[int, int]] = field(default_factory=list)
    """(schedule ID, group ID): roster records to write with the marks (membership mode)."""


def discover(
    provider: QuestionmarkProvider,
    *,
    group: str | None = None,
    assessment_id: str | None = None,
    adopt: bool = False,
    time_zone: str = "UTC",
    managed: Collection[ScheduleKey] = (),
) -> Found:
    """Every top-level schedule of the group (by name) or of the assessment, read like `observe` reads.

    Schedules in `managed` (already in the desired state) are left out and never adopted. With `adopt`,
    unmarked schedules are read as if marked; their marks are returned, not written (`write_marks`).
    """
    client = provider.client
    listing, shard = Listing.of(client.schedules(), provider.shard), provider.shard
    group_id: int | None = None
    if group is not None:
        entity = client.find_group(group)
        if entity is None:
            raise NotFoundError(PROVIDER, f"no group named {group!r}")
        group_id = int(entity["ID"])
    found = Found()
    classified = Classified()
    marks = {str(raw.get("ExternalID")) for raw in listing.tops.values() if mapping.is_owned(raw, shard)}
    # Marked schedules first, so a marked one wins over an unmarked namesake.
    ordered = sorted(listing.tops.items(), key=lambda item: (not mapping.is_owned(item[1], shard), item[0]))
    for schedule_id, raw in ordered:
        in_scope = raw.get("GroupID") == group_id if group_id is not None else (
            str(raw.get("AssessmentID")) == str(assessment_id))
        if not in_scope:
            continue
        key = key_of(raw)
        reason = _unimportable(raw, key, adopt, shard)
        if key in managed:
            reason = "already in the desired state"
        elif key in classified.retired:
            reason = "a second schedule with this name in this assessment; left out"
        elif not reason and not mapping.is_owned(raw, shard) and (
                mapping.external_id(key.assessment_id, key.name, shard) in marks):
            reason = "another schedule already carries its ownership mark; left out"
        if reason:
            found.skipped.append(f"{key} (schedule ID {schedule_id}): {reason}")
            continue
        if not mapping.is_owned(raw, shard):
            mark = mapping.external_id(key.assessment_id, key.name, shard)
            found.marks.append((schedule_id, mark))
            marks.add(mark)
            raw = {**raw, "ExternalID": mark}
            found.adopted.append(key)
        if adopt and not listing.seats_of(raw):  # membership mode: the group becomes the roster (a marked one's too)
            raw = _adopt_roster(provider, raw, found)
        classified.retired[key] = raw  # read as "no desired schedule"
    observed = [_read(provider, raw, key, listing) for key, raw in classified.retired.items()]
    found.schedules = sorted((_importable(o, time_zone, provider) for o in observed), key=lambda o: o.schedule.name)
    return found


def write_marks(provider: QuestionmarkProvider, found: Found) -> None:
    """Adopt: one PATCH of ExternalID per schedule `discover` found unmarked, and the roster record of each
    adopted membership-mode group schedule (one metadata POST), nothing else."""
    for schedule_id, mark in found.marks:
        provider.client.update_schedule(schedule_id, {"ExternalID": mark})
    for schedule_id, group_id in found.rosters:
        provider.client.create_metadata(schedule_id, ROSTER_KEY, str(group_id))


def group_names(provider: QuestionmarkProvider) -> list[str]:
    """The names of every group the account can see, sorted."""
    return sorted(str(g.get("Name")) for g in provider.client.groups())


def _adopt_roster(provider: QuestionmarkProvider, raw: dict[str, Any], found: Found) -> dict[str, Any]:
    """Membership mode: an adopted group schedule's group becomes its roster. The schedule is read as if it
    carried the record (its members are imported as the candidates); the record is written by `write_marks`."""
    group_id = raw.get("GroupID")
    if provider.access != MEMBERSHIP or not isinstance(group_id, int) or has_roster(raw):
        return raw
    found.rosters.append((int(raw["ID"]), group_id))
    record = {"ScheduleID": int(raw["ID"]), "Key": ROSTER_KEY, "Value": str(group_id)}
    return {**raw, "ScheduleMetadata": [*(raw.get("ScheduleMetadata") or []), record]}


def _read(provider: QuestionmarkProvider, raw: dict[str, Any], key: ScheduleKey, listing: Listing) -> Observed:
    """One importable schedule as read; a roster (membership mode, the record present) with its members."""
    group_id = raw.get("GroupID")
    if provider.access == MEMBERSHIP and has_roster(raw) and isinstance(group_id, int):
        try:
            participants = provider.client.group_members(group_id)
        except NotFoundError:
            participants = []
        return imported_observed(raw, key, listing, participants)
    return build_observed(raw, key, None, listing)


def _unimportable(raw: Mapping[str, Any], key: ScheduleKey, adopt: bool, shard: str | None) -> str | None:
    if raw.get("GroupID") is None or raw.get("ParticipantID") is not None:
        return "a schedule for one participant cannot be managed; left out"
    mark = str(raw.get("ExternalID") or "")
    if mapping.is_owned(raw, shard):
        if mark != mapping.external_id(key.assessment_id, key.name, shard):
            return "its ownership mark is for another name (renamed in the Questionmark UI?); left out"
        return None
    if mark:
        return f"its ExternalID {mark!r} belongs to another system; left out (never overwritten)"
    if not adopt:
        return ("not managed by reconciler yet (no ownership mark in ExternalID): re-run with --adopt to "
                "write the mark (one change to ExternalID, nothing else)")
    return None


def _own(accommodation: Accommodation, anchor: Mapping[str, Any]) -> Accommodation | None:
    """The part of a seat's values that differs from the anchor's (what an accommodation must say)."""
    values = {field: value for field, value in accommodation.model_dump().items()
              if value is not None and value != anchor.get(mapping.ACCOMMODATION_PROPS[field])}
    return Accommodation(**values) if values else None


def _importable(observed: Observed, time_zone: str, provider: QuestionmarkProvider) -> Observed:
    """Times shown in `time_zone`; accommodations only where they set something (and, in group mode, for
    members of the group: an exception for anyone else would be refused by the plan)."""
    schedule, live = observed.schedule, questionmark_live(observed)
    view = live.view
    accommodations: dict[str, Accommodation] = {}
    if isinstance(live, SeatsLive):
        for email, accommodation in schedule.accommodations.items():
            own = _own(accommodation, view)
            if own is not None:
                accommodations[email] = own
    elif schedule.accommodations and isinstance(live.group_id, int):
        members = provider.group_members(live.group_id)
        accommodations = {email: a for email, a in schedule.accommodations.items()
                          if email in members and a.model_dump(exclude_none=True)}
    update: dict[str, Any] = {"accommodations": accommodations}
    settings = schedule.questionmark
    if time_zone != "UTC":
        window = mapping.window_from_wire(view, time_zone)
        update["window"] = window
        # The provider reads local times in the window's zone (UTC without a window): write them so.
        settings = mapping.settings_from_wire(view, window.time_zone if window else "UTC")
    if settings is not None and settings.monitoring_type_id is not None:  # by name: IDs are tenant data
        names = {number: name for name, number in provider.client.monitoring_types().items()}
        if settings.monitoring_type_id in names:
            settings = settings.model_copy(update={"monitoring": names[settings.monitoring_type_id],
                                                   "monitoring_type_id": None})
    update["questionmark"] = settings
    return Observed(schedule=schedule.model_copy(update=update), ref=observed.ref,
                    fingerprint=observed.fingerprint, protected=observed.protected, raw=observed.raw, live=live)
