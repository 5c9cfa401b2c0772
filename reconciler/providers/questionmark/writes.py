"""Desired → Questionmark writes: one write per changed object, in a fixed order.

Order: the group (create only), the schedule, participant upserts, exception schedules, metadata.
Idempotent writes (PATCH, Upsert) whose answer was lost do not stop the rest; the lost answer is raised
at the end so the engine re-reads and verifies. A lost answer to a POST stops at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ...errors import AmbiguousWriteError, BadRequestError
from ...models import Candidate, Schedule
from ...plan import ScheduleChange
from ..base import Observed
from . import mapping
from .client import PROVIDER, QuestionmarkClient

T = TypeVar("T")


@dataclass
class ChildPlan:
    """What one participant's exception schedule should end up as."""

    email: str
    disabled: bool
    full_copy: bool  # copy every inherited value (new or re-enabled child)
    overrides: dict[str, Any] = field(default_factory=dict)


class Writer:
    """Turns one change into calls. A fresh Writer per change."""

    def __init__(self, client: QuestionmarkClient) -> None:
        self.client = client
        self.lost: AmbiguousWriteError | None = None

    def _tolerant(self, write: Callable[..., T], *args: Any) -> T | None:
        try:
            return write(*args)
        except AmbiguousWriteError as exc:
            self.lost = self.lost or exc
            return None

    def finish(self) -> None:
        if self.lost is not None:
            raise self.lost

    # ------------------------------------------------------------------ create

    def create(self, desired: Schedule) -> str:
        """Group (found or created), schedule, upserts, exceptions, metadata."""
        group = mapping.group_name(desired)
        found = self.client.find_group(group)
        group_entity, members_raw = found if found else (self.client.create_group(group), [])
        members: dict[str, int] = {}
        for participant in members_raw:
            candidate = mapping.candidate_of(participant)
            if candidate is not None:
                members.setdefault(candidate.email, int(participant["ID"]))
        parent = self.client.create_schedule(mapping.create_body(desired, int(group_entity["ID"])))
        plans: list[ChildPlan] = []
        revoke: set[str] = set()
        if desired.candidates is not None:
            revoke = set(members) - desired.candidate_emails()  # members already in the group, not wanted
            self._upsert(list(desired.candidates), members, group)
            plans.extend(ChildPlan(email, True, True) for email in sorted(revoke))
        for email in sorted(set(desired.accommodations) - revoke):
            plans.append(ChildPlan(email, False, True, mapping.accommodation_overrides(desired, email)))
        self._children(desired, parent, int(group_entity["ID"]), members, {}, plans)
        for key, value in desired.metadata.items():
            self.client.create_metadata(int(parent["ID"]), key, value)
        self.finish()
        return str(parent["ID"])

    def _upsert(self, candidates: list[Candidate], members: dict[str, int], group: str) -> None:
        for candidate in sorted(candidates, key=lambda c: c.email):
            if candidate.email in members:
                continue
            answer = self._tolerant(self.client.upsert_participant, mapping.upsert_body(candidate, group))
            if answer is not None:
                members[candidate.email] = int(answer["ID"])

    # ------------------------------------------------------------------ update

    def update(self, change: ScheduleChange, desired: Schedule, observed: Observed) -> str:
        """One PATCH of the schedule for changed properties, then candidates, exceptions and metadata."""
        extra = observed.extra
        schedule_id = int(extra["schedule_id"])
        paths = [f.path for f in change.fields]
        body = mapping.parent_changes(paths, desired)
        if body:
            self._tolerant(self.client.update_schedule, schedule_id, body)
        parent = {**dict(observed.raw or {}), **body}
        members: dict[str, int] = dict(extra["members"])
        group = str(extra.get("group_name") or mapping.group_name(desired))
        adds = {c.email for c in change.candidates.add}
        self._upsert(list(change.candidates.add), members, group)
        children: Mapping[str, Mapping[str, Any]] = extra["children"]
        inherited_now = {k: v for k, v in mapping.inherited(parent).items() if k in body}
        plans: list[ChildPlan] = []
        touched_accommodations = {
            email for email in desired.accommodations
            if any(p == f"accommodations.{email}" or p.startswith(f"accommodations.{email}.") for p in paths)
        }
        for email in sorted(set(change.candidates.remove) | adds | touched_accommodations | set(children)):
            child = children.get(email)
            overrides = mapping.accommodation_overrides(desired, email)
            if email in change.candidates.remove:
                plans.append(ChildPlan(email, True, child is None))
            elif child is not None and child.get("Disabled") is True:
                if email in adds:
                    plans.append(ChildPlan(email, False, True, overrides))
            elif child is not None:
                wanted = {k: v for k, v in inherited_now.items() if k not in overrides}
                if email in touched_accommodations:
                    wanted.update(overrides)
                plans.append(ChildPlan(email, False, False, wanted))
            elif email in touched_accommodations or (email in adds and overrides):
                plans.append(ChildPlan(email, False, True, overrides))
        self._children(desired, parent, extra.get("group_id"), members, children, plans)
        self._propagate_to_unlisted(observed, inherited_now)
        live_metadata: Mapping[str, str] = extra["metadata"]
        for key, value in desired.metadata.items():
            if key not in live_metadata:
                self.client.create_metadata(schedule_id, key, value)
            elif live_metadata[key] != value:
                raise BadRequestError(PROVIDER, f"metadata {key!r} is write-once; it was not changed")
        self.finish()
        return observed.ref

    def _propagate_to_unlisted(self, observed: Observed, inherited_now: Mapping[str, Any]) -> None:
        """Enabled exceptions of participants we cannot name (e.g. deleted) still follow the parent."""
        if not inherited_now:
            return
        named = {int(c["ID"]) for c in observed.extra["children"].values()}
        for child in observed.extra["all_children"]:
            if int(child["ID"]) in named or child.get("Disabled") is True:
                continue
            body = {k: v for k, v in inherited_now.items() if not mapping.same_value(k, child.get(k), v)}
            if body:
                self._tolerant(self.client.update_schedule, int(child["ID"]), body)

    # ------------------------------------------------------------------ exception schedules

    def _children(
        self,
        desired: Schedule,
        parent: Mapping[str, Any],
        group_id: int | None,
        members: Mapping[str, int],
        children: Mapping[str, Mapping[str, Any]],
        plans: list[ChildPlan],
    ) -> None:
        """POST new exception schedules, PATCH existing ones with only what differs."""
        copied = mapping.inherited(parent)
        for plan in plans:
            child = children.get(plan.email)
            target: dict[str, Any] = dict(copied) if plan.full_copy else {}
            target.update(plan.overrides)
            target["Disabled"] = plan.disabled
            if child is not None:
                body = {k: v for k, v in target.items() if not mapping.same_value(k, child.get(k), v)}
                if body:
                    self._tolerant(self.client.update_schedule, int(child["ID"]), body)
                continue
            participant_id = members.get(plan.email)
            if participant_id is None:
                if self.lost is not None:
                    continue  # its upsert answer was lost: the re-read decides
                raise BadRequestError(
                    PROVIDER, f"{plan.email} is not a member of group {mapping.group_name(desired)!r}; "
                    "an exception schedule needs a participant")
            target = {k: v for k, v in target.items() if v is not None}  # null is the default on create
            body = {
                "ParentScheduleID": int(parent["ID"]),
                "ParticipantID": participant_id,
                "AssessmentID": str(parent.get("AssessmentID") or desired.assessment_id),
                "Name": mapping.child_name(desired.name, plan.email),
                "MonitoringTypeID": parent.get("MonitoringTypeID") or mapping.DEFAULT_MONITORING_TYPE_ID,
                **target,
            }
            if group_id is not None:
                body["GroupID"] = group_id
            self.client.create_schedule(body)

    # ------------------------------------------------------------------ disable

    def disable(self, observed: Observed) -> str:
        """Retire: one PATCH `{"Disabled": true}`; never DELETE."""
        self.client.update_schedule(int(observed.extra["schedule_id"]), {"Disabled": True})
        return observed.ref
