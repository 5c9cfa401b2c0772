"""Plan value types: changes, their deterministic order, one serialisation behind JSON and the checksum."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import Field

from .models import Candidate, Frozen, Schedule, ScheduleKey, Window

FORMAT_VERSION = "2.0"
"""2.0: a schedule whose only difference is protected candidates is `"action": "no-op"` (counted in sync,
left out of the checksum); removals carry the live names. See docs/plan-json.md."""

Action = Literal["create", "update", "disable", "no-op"]


class FieldChange(Frozen):
    """One field that differs: dotted path, before (live) and after (desired)."""

    path: str
    before: Any = None
    after: Any = None
    sensitive: bool = False


class CandidateChanges(Frozen):
    """Who is added, removed, and who would be removed but is protected by live data."""

    add: tuple[Candidate, ...] = ()
    remove: tuple[str, ...] = ()
    protected: tuple[str, ...] = ()
    protected_reasons: dict[str, str] = Field(
        default_factory=dict, description="Why each protected candidate is kept (has started, status unknown, …).")
    existing: int = Field(default=0, description="How many candidates the live schedule has now.")
    remove_names: dict[str, str] = Field(
        default_factory=dict, description="The live name of each removed candidate, where the platform has one.")

    def __bool__(self) -> bool:
        return bool(self.add or self.remove)


class ScheduleChange(Frozen):
    """What apply will do to one schedule."""

    action: Action = Field(description="no-op: only protected candidates differ; nothing is written (in sync).")
    provider: str
    assessment_id: str
    name: str
    ref: str | None = Field(default=None, description="The vendor's id of the live object (access key, ID).")
    fields: tuple[FieldChange, ...] = ()
    candidates: CandidateChanges = Field(default_factory=CandidateChanges)
    fingerprint: str | None = Field(default=None, description="Hash of the live object when planned.")
    desired: Schedule | None = None
    window_before: Window | None = None
    window_after: Window | None = None
    blocked: tuple[str, ...] = Field(default=(), description="Why this change cannot be applied at all.")
    needs_force: tuple[str, ...] = Field(default=(), description="Safety rules this change breaks.")

    @property
    def key(self) -> ScheduleKey:
        return ScheduleKey(self.provider, self.assessment_id, self.name)

    @property
    def actionable(self) -> bool:
        """False for a no-op (only protected candidates differ) or an update with nothing to write."""
        if self.action == "no-op":
            return False
        return self.action != "update" or bool(self.fields) or bool(self.candidates)

    def document(self) -> dict[str, Any]:
        """The JSON of this change; a no-op has its own short shape (who is protected, and why)."""
        return self.model_dump(mode="json", include=_NO_OP_SHAPE if self.action == "no-op" else None)

    def field(self, path: str) -> FieldChange | None:
        return next((f for f in self.fields if f.path == path), None)

    def sort_key(self) -> tuple[str, str, str]:
        return (self.provider, self.assessment_id, self.name)


class UnmanagedSchedule(Frozen):
    """A live schedule no desired file mentions; reported, never touched."""

    provider: str
    assessment_id: str
    name: str
    ref: str | None = None


class Plan(Frozen):
    """The full plan: ordered changes, unmanaged objects, and the fingerprints of what it read."""

    format_version: str = FORMAT_VERSION
    changes: tuple[ScheduleChange, ...] = ()
    unmanaged: tuple[UnmanagedSchedule, ...] = ()
    undeclared: tuple[UnmanagedSchedule, ...] = Field(
        default=(), description="Live schedules this project made that no desired file declares any more, left "
        "alone because prune is off (with prune they are retired: `disable` changes).")
    in_sync: int = 0
    fingerprints: dict[str, str] = Field(
        default_factory=dict, description="Schedule key → fingerprint of every live object the plan touches."
    )

    @classmethod
    def build(
        cls,
        changes: Iterable[ScheduleChange],
        unmanaged: Iterable[UnmanagedSchedule] = (),
        in_sync: int = 0,
        undeclared: Iterable[UnmanagedSchedule] = (),
    ) -> Plan:
        ordered = tuple(sorted(changes, key=ScheduleChange.sort_key))
        fingerprints = {c.key.path: c.fingerprint for c in ordered if c.fingerprint and c.actionable}
        return cls(
            changes=ordered,
            unmanaged=tuple(sorted(unmanaged, key=lambda u: (u.provider, u.assessment_id, u.name))),
            undeclared=tuple(sorted(undeclared, key=lambda u: (u.provider, u.assessment_id, u.name))),
            in_sync=in_sync,
            fingerprints=fingerprints,
        )

    @property
    def has_changes(self) -> bool:
        return any(c.actionable for c in self.changes)

    @property
    def actionable(self) -> tuple[ScheduleChange, ...]:
        return tuple(c for c in self.changes if c.actionable)

    def data(self) -> dict[str, Any]:
        """The one serialisation behind the JSON output, plan files and the checksum (secrets masked)."""
        data = self.model_dump(mode="json", exclude={"format_version", "changes"})
        data["changes"] = [change.document() for change in self.changes]
        return data

    @property
    def checksum(self) -> str:
        """SHA-256 of the plan without its no-op entries: they write nothing, so two plans that would apply
        the same writes have the same checksum whether or not protected candidates are reported."""
        data = self.data()
        data["changes"] = [doc for doc in data["changes"] if doc["action"] != "no-op"]
        canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def counts(self) -> dict[str, int]:
        """Schedules per action, candidates, and the changes that need --force or are blocked."""
        result = {"create": 0, "update": 0, "disable": 0, "add": 0, "remove": 0, "protected": 0,
                  "needs_force": 0, "blocked": 0}
        for change in self.changes:
            if change.actionable:
                result[change.action] = result.get(change.action, 0) + 1
                result["needs_force"] += bool(change.needs_force)
                result["blocked"] += bool(change.blocked)
            result["add"] += len(change.candidates.add)
            result["remove"] += len(change.candidates.remove)
            result["protected"] += len(change.candidates.protected)
        return result


_NO_OP_SHAPE: dict[str, Any] = {
    "action": True, "provider": True, "assessment_id": True, "name": True, "ref": True,
    "candidates": {"protected": True, "protected_reasons": True, "existing": True},
}
"""The keys of a no-op in the JSON plan: nothing is written, so no fields, desired state or fingerprint."""


def fingerprint(raw: Any) -> str:
    """A stable short hash of a live object's raw representation."""
    canonical = json.dumps(raw, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
