"""Desired → Questionmark writes, one change at a time, with only the calls that differ.

List mode: the anchor (always disabled), then one seat per candidate (a schedule for that participant,
re-activated rather than re-created), metadata on every holder. Group mode: the group schedule and an
exception schedule per accommodation. PATCHes whose answer was lost do not stop the rest (the engine
re-reads at the end); a lost answer to a POST stops at once. Nothing is ever deleted.

The calls for different seats (or exception schedules) are independent and run concurrently on the
provider's write pool (see batch.Batch); the calls for one seat stay in order (its PATCH or POST, then its
metadata). Barriers keep the orders the rest relies on: the anchor (or group schedule) is created or
patched before any seat, a participant exists before its seat, a group schedule's exceptions are disabled
before it gets seats.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
from typing import Any, TypeVar

from ...errors import AmbiguousWriteError, BadRequestError
from ...models import Candidate, QuestionmarkProviderConfig, Schedule
from ...observed import Observed
from ...plan import ACCOMMODATIONS, NAME, FieldPath, Update
from . import mapping, people
from .batch import Batch
from .client import DEFAULTS, PROVIDER, QuestionmarkClient
from .live import GroupLive, MembershipLive, SeatsLive, questionmark_live
from .observe import metadata_of

T = TypeVar("T")


def differing(target: Mapping[str, Any], live: Mapping[str, Any]) -> dict[str, Any]:
    """The part of `target` the live entity does not already have."""
    return {k: v for k, v in target.items() if not mapping.same_value(k, live.get(k), v)}


def touched_accommodations(desired: Schedule, paths: Iterable[FieldPath]) -> set[str]:
    """The accommodated emails whose accommodation changed."""
    touched = {p[1] for p in paths if len(p) > 1 and p[0] == ACCOMMODATIONS}
    return {email for email in desired.accommodations if email in touched}


def rename_bodies(desired: Schedule, observed: Observed, shard: str | None = None) -> dict[int, dict[str, Any]]:
    """A rename: the new Name and the new name's mark on the anchor (or group schedule) and on every seat,
    active or revoked; exception schedules get their new Name. Only what differs, by schedule ID."""
    mark = mapping.external_id(desired.assessment_id, desired.name, shard)
    raw = observed.raw or {}
    bodies = {int(raw["ID"]): differing({"Name": desired.name, "ExternalID": mark}, raw)}
    for holder in questionmark_live(observed).holders:
        role = (mapping.parse_mark(holder.get("ExternalID")) or ("", ""))[1]
        email = mapping.email_of(holder.get("Participant"))
        if holder.get("ParentScheduleID") is not None and email is not None:
            target = {"Name": mapping.child_name(desired.name, email)}
        elif role in (mapping.SEAT, mapping.REVOKED):
            target = {"Name": desired.name, "ExternalID": mapping.seat_mark(mark, revoked=role == mapping.REVOKED)}
        else:
            continue
        bodies[int(holder["ID"])] = differing(target, holder)
    return {schedule_id: body for schedule_id, body in bodies.items() if body}


def _disabled(desired: Schedule) -> bool:
    return bool(desired.questionmark and desired.questionmark.disabled)


def _hidden(desired: Schedule) -> bool:
    """A seat's Hidden: the desired one (the anchor is always hidden, so never inherited from it)."""
    return bool(desired.questionmark and desired.questionmark.hidden)


ANCHOR = {"Disabled": True, "Hidden": True}
"""An anchor (and a revoked seat) is disabled and hidden: nobody starts it, nobody sees it in the portal."""


class Writer:
    """Turns one change into calls. A fresh Writer per change."""

    def __init__(
        self, client: QuestionmarkClient, *, max_workers: int = DEFAULTS.max_workers, shard: str | None = None,
        pool: Executor | None = None, config: QuestionmarkProviderConfig | None = None,
    ) -> None:
        self.client = client
        self.config = config or QuestionmarkProviderConfig()
        self.shard = shard
        self.max_workers = max_workers
        self.batch = Batch(pool)
        self.lost: AmbiguousWriteError | None = None
        self.failures: list[str] = []
        self.pending: dict[int, dict[str, Any]] = {}  # schedule ID → properties its next PATCH also carries
        self._lock = threading.Lock()

    @contextmanager
    def _settled(self) -> Iterator[None]:
        """However the change ends, none of its calls is still running when it does."""
        try:
            yield
        finally:
            self.batch.settle()

    def _tolerant(self, write: Callable[..., T], *args: Any) -> T | None:
        try:
            return write(*args)
        except AmbiguousWriteError as exc:
            with self._lock:
                self.lost = self.lost or exc
            return None

    def _body(self, schedule_id: int, body: Mapping[str, Any]) -> dict[str, Any]:
        """The PATCH body, carrying also what is pending for that schedule (the explicit body wins)."""
        return {**self.pending.pop(schedule_id, {}), **body}

    def _send(self, schedule_id: int, body: Mapping[str, Any], metadata: Sequence[tuple[str, str]] = ()) -> None:
        """One schedule's calls, in order: its PATCH (if any), then the metadata it lacks."""
        if body:
            self._tolerant(self.client.update_schedule, schedule_id, body)
        for key, value in metadata:
            self.client.create_metadata(schedule_id, key, value)

    def _patch(self, schedule_id: int, body: Mapping[str, Any], metadata: Sequence[tuple[str, str]] = ()) -> None:
        """Submit one schedule's PATCH (with what is pending for it) and metadata."""
        body = self._body(schedule_id, body)
        if body or metadata:
            self.batch.submit(lambda: self._send(schedule_id, body, metadata))

    def _create(self, body: Mapping[str, Any], metadata: Sequence[tuple[str, str]] = ()) -> None:
        """Submit one POST of a seat or exception schedule, then its metadata."""
        def call() -> None:
            created = self.client.create_schedule(body)
            self._send(int(created["ID"]), {}, metadata)
        self.batch.submit(call)

    def finish(self, ref: str) -> str:
        for schedule_id in sorted(self.pending):
            self._patch(schedule_id, {})
        self.batch.join()
        if self.failures:
            raise BadRequestError(PROVIDER, "; ".join(self.failures))
        if self.lost is not None:
            raise self.lost
        return ref

    def _metadata(self, schedule_id: int, wanted: Mapping[str, str], live: Mapping[str, str]) -> list[tuple[str, str]]:
        """The keys a holder lacks, to POST; a different value is never overwritten (write-once)."""
        for key, value in wanted.items():
            if key in live and live[key] != value:
                self.failures.append(f"metadata {key!r} of schedule {schedule_id} is write-once; it was not changed")
        return [(key, value) for key, value in wanted.items() if key not in live]

    # ------------------------------------------------------------------ create

    def create(self, desired: Schedule) -> str:
        """The group (found or created), the anchor or group schedule, its metadata, seats or exceptions."""
        with self._settled():
            name = mapping.group_name(desired)
            group_id = int((self.client.find_group(name) or self.client.create_group(name))["ID"])
            body = mapping.create_body(desired, group_id, self.shard, self.monitoring_id(desired))
            if desired.candidates is None:
                parent = self.client.create_schedule(body)
                self._patch(int(parent["ID"]), {}, self._metadata(int(parent["ID"]), desired.metadata, {}))
                self._exceptions(desired, parent, {}, [], members=self._members(desired, group_id))
                return self.finish(str(parent["ID"]))
            anchor = self.client.create_schedule({**body, **ANCHOR})
            self._patch(int(anchor["ID"]), {}, self._metadata(int(anchor["ID"]), desired.metadata, {}))
            self._seat(desired, anchor, list(desired.candidates), {})
            return self.finish(str(anchor["ID"]))

    def parent_changes(self, change: Update, desired: Schedule,
                       observed: Observed) -> tuple[list[FieldPath], dict[str, Any]]:
        """The change's field paths and the properties its parent schedule's PATCH sets (a rename also queues the
        new name and mark of every schedule of the exam)."""
        paths = [f.path for f in change.fields]
        if NAME in paths:
            self.pending = rename_bodies(desired, observed, self.shard)
        wanted = mapping.parent_changes(paths, desired)
        if mapping.MONITORING in paths:
            wanted["MonitoringTypeID"] = self.monitoring_id(desired)
        return paths, wanted

    def monitoring_id(self, desired: Schedule) -> int:
        """The MonitoringTypeID a new schedule gets: its `monitoring_type_id`, else the ID of its `monitoring`
        name (or of providers.questionmark.monitoring) in `GET MonitoringTypes` (assumption Q-20)."""
        settings = desired.questionmark
        if settings is not None and settings.monitoring_type_id is not None:
            return settings.monitoring_type_id
        name = settings.monitoring if settings is not None and settings.monitoring else self.config.monitoring
        return self.client.monitoring_type_id(name)

    def _members(self, desired: Schedule, group_id: int) -> dict[str, int]:
        """The group's members by email, read only when accommodations need them."""
        if not desired.accommodations:
            return {}
        return mapping.members_by_email(self.client.group_members(group_id))

    # ------------------------------------------------------------------ seats (list mode)

    def _seat(
        self, desired: Schedule, anchor: Mapping[str, Any], adds: Sequence[Candidate],
        revoked: Mapping[str, Sequence[Mapping[str, Any]]],
    ) -> None:
        """Seats for added candidates: a revoked seat is re-activated (one PATCH), else one is created."""
        mark = mapping.external_id(desired.assessment_id, desired.name, self.shard)
        template = mapping.inherited(anchor)

        def target(email: str) -> dict[str, Any]:
            overrides = mapping.accommodation_overrides(desired, email)
            return {**template, **overrides, "Disabled": _disabled(desired), "Hidden": _hidden(desired),
                    "ExternalID": mapping.seat_mark(mark)}

        for candidate in (c for c in adds if c.email in revoked):
            seat = revoked[candidate.email][0]
            self._patch(int(seat["ID"]), differing(target(candidate.email), seat),
                        self._metadata(int(seat["ID"]), desired.metadata, metadata_of(seat)))
        new = sorted((c for c in adds if c.email not in revoked), key=lambda c: c.email)
        ids, failures = people.resolve(self.client, new, max_workers=self.max_workers, sign_in=self.config.sign_in,
                                       scan_limit=self.config.max_participants_scanned)
        self.failures.extend(failures)
        for candidate in new:
            if candidate.email not in ids:
                continue
            body = {"Name": desired.name, "AssessmentID": str(desired.assessment_id), "GroupID": anchor.get("GroupID"),
                    "ParticipantID": ids[candidate.email],
                    **{k: v for k, v in target(candidate.email).items() if v is not None}}
            if "MonitoringTypeID" not in body:
                body["MonitoringTypeID"] = self.monitoring_id(desired)
            self._create(body, list(desired.metadata.items()))  # assumption Q-02: for this participant only

    # ------------------------------------------------------------------ update

    def update(self, change: Update, desired: Schedule, observed: Observed) -> str:
        """PATCH what differs on the anchor or group schedule and on each seat or exception; add the rest."""
        with self._settled():
            return self._update(change, desired, observed)

    def _update(self, change: Update, desired: Schedule, observed: Observed) -> str:
        state = questionmark_live(observed)
        paths, wanted = self.parent_changes(change, desired, observed)
        live = dict(observed.raw or {})
        schedule_id = state.schedule_id
        listed = desired.candidates is not None
        body = differing({**wanted, **ANCHOR} if listed else wanted, live)
        after = {**live, **body}
        self._patch(schedule_id, body, self._metadata(schedule_id, desired.metadata,
                                                      state.metadata.get(schedule_id, {})))
        self.batch.join()  # the anchor (or group schedule) before its seats and exceptions
        if not listed:
            children, enabled = (state.children, state.enabled_children) if isinstance(state, GroupLive) else ({}, ())
            self._exceptions(desired, after, children, paths, members=state.members or {},
                             wanted=wanted, enabled=enabled)
        elif isinstance(state, GroupLive) and not isinstance(state, MembershipLive):
            # a group schedule becomes the anchor of a candidate list
            for child in state.enabled_children:
                self._patch(int(child["ID"]), {"Disabled": True})
            self.batch.join()
            self._seat(desired, after, list(change.candidates.add), {})
        else:
            self._update_seats(change, desired, observed, wanted, paths)
            self._seat(desired, after, list(change.candidates.add),
                       state.revoked if isinstance(state, SeatsLive) else {})
        return self.finish(observed.ref)

    def _update_seats(
        self, change: Update, desired: Schedule, observed: Observed, wanted: Mapping[str, Any],
        paths: Sequence[FieldPath],
    ) -> None:
        """Revoke the seats of removed candidates; give every other active seat what changed."""
        mark = mapping.external_id(desired.assessment_id, desired.name, self.shard)
        removed = set(change.candidates.remove)
        touched = touched_accommodations(desired, paths)
        live = questionmark_live(observed)
        for seat in live.active_seats if isinstance(live, SeatsLive) else ():
            email = mapping.email_of(seat.get("Participant"))
            if email in removed:
                self._patch(int(seat["ID"]), {**ANCHOR, "ExternalID": mapping.seat_mark(mark, revoked=True)})
                continue
            overrides = mapping.accommodation_overrides(desired, email) if email else {}
            target = {k: v for k, v in wanted.items() if k not in overrides}
            if email in touched:
                target.update(overrides)
            self._patch(int(seat["ID"]), differing(target, seat),
                        self._metadata(int(seat["ID"]), desired.metadata, metadata_of(seat)))

    # ------------------------------------------------------------------ exception schedules (group mode)

    def _exceptions(
        self, desired: Schedule, parent: Mapping[str, Any], children: Mapping[str, Mapping[str, Any]],
        paths: Sequence[FieldPath], *, members: Mapping[str, int], wanted: Mapping[str, Any] | None = None,
        enabled: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        """Exception schedules: what the parent changed reaches enabled ones; accommodations are created,
        re-enabled or patched."""
        template = mapping.inherited(parent)
        touched = touched_accommodations(desired, paths)
        accommodated = {int(c["ID"]) for e, c in children.items() if e in desired.accommodations}
        for other in enabled:
            if int(other["ID"]) not in accommodated:
                self._patch(int(other["ID"]), differing({k: v for k, v in (wanted or {}).items() if k != "Disabled"},
                                                        other))
        for email in sorted(desired.accommodations):
            overrides = mapping.accommodation_overrides(desired, email)
            child = children.get(email)
            if child is not None and child.get("Disabled") is True:
                self._patch(int(child["ID"]), differing({**template, **overrides, "Disabled": False}, child))
            elif child is not None:
                target = {k: v for k, v in (wanted or {}).items() if k != "Disabled" and k not in overrides}
                self._patch(int(child["ID"]), differing({**target, **(overrides if email in touched else {})}, child))
            elif email not in members:
                self.failures.append(f"{email} is not a member of group {mapping.group_name(desired)!r}; an "
                                     "exception schedule needs a member")
            else:
                body = {"ParentScheduleID": int(parent["ID"]), "ParticipantID": members[email],
                        "AssessmentID": str(desired.assessment_id), "GroupID": parent.get("GroupID"),
                        "Name": mapping.child_name(desired.name, email),
                        **{k: v for k, v in {**template, **overrides}.items() if v is not None}, "Disabled": False}
                if "MonitoringTypeID" not in body:
                    body["MonitoringTypeID"] = self.monitoring_id(desired)
                self._create(body)  # assumption Q-06: evaluated instead of the parent

    # ------------------------------------------------------------------ disable

    def disable(self, observed: Observed) -> str:
        """Retire: the schedule, every active seat and every enabled exception get `Disabled: true`."""
        with self._settled():
            raw = observed.raw or {}
            live = questionmark_live(observed)
            held = live.active_seats if isinstance(live, SeatsLive) else live.enabled_children
            for schedule in [raw, *held]:
                if schedule.get("Disabled") is not True:
                    self._patch(int(schedule["ID"]), {"Disabled": True})
                if schedule is raw:
                    self.batch.join()  # the schedule itself first
            return self.finish(observed.ref)
