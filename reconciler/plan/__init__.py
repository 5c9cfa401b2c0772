"""Plan value types: changes, their deterministic order, one serialisation behind JSON and the checksum.

A change is one of `Create | Update | Disable | NoOp` (discriminated by `action`): a create has no live
object (no ref, no fingerprint, no live window), a disable has no desired state and adds nobody, a no-op
writes nothing. What one change can derive from another field (the desired window, the window's field
change) is stored once and computed for the JSON, which keeps the shape of format 2.0.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, computed_field, field_serializer, model_validator

from ..models import Candidate, Frozen, Schedule, ScheduleKey, Window
from .paths import (
    ACCOMMODATIONS as ACCOMMODATIONS,
    DISABLED as DISABLED,
    GROUP as GROUP,
    INVITATION_ONLY as INVITATION_ONLY,
    METADATA as METADATA,
    NAME as NAME,
    WINDOW as WINDOW,
    WINDOW_END as WINDOW_END,
    FieldChange as FieldChange,
    FieldPath as FieldPath,
    dotted as dotted,
    parse_path as parse_path,
)

FORMAT_VERSION = "2.0"
"""2.0: a schedule whose only difference is protected candidates is `"action": "no-op"` (counted in sync,
left out of the checksum); removals carry the live names. See docs/plan-json.md."""

Action = Literal["create", "update", "disable", "no-op"]


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


class NewParticipants(Frozen):
    """Added candidates the platform does not know yet, who become new accounts, and how they will sign in
    (Questionmark: participants created by apply). Shown only when someone is new."""

    emails: tuple[str, ...] = ()
    sign_in: str = Field(default="", description="How a new participant will sign in (e.g. `welcome email`).")
    unchecked: int = Field(default=0, description="Added candidates not looked up while planning (past a bound).")


def window_view(window: Window | None) -> dict[str, str] | None:
    """A window as the JSON plan shows it in a `window` field change: local, zone and UTC instants."""
    if window is None:
        return None
    return {
        "start": window.start.isoformat(),
        "end": window.end.isoformat(),
        "time_zone": window.time_zone,
        "start_utc": window.start_utc.isoformat().replace("+00:00", "Z"),
        "end_utc": window.end_utc.isoformat().replace("+00:00", "Z"),
    }


def windows_differ(before: Window | None, after: Window | None) -> bool:
    """Whether a window change is needed: compared as UTC instants, so zone spellings never differ."""
    return (after is None and before is not None) or (after is not None and not after.same_instants(before))


class _Change(Frozen):
    """What every change has: the schedule it is about, and why it may not (or only with --force) be applied."""

    provider: str
    assessment_id: str
    name: str

    _ABSENT: ClassVar[frozenset[str]] = frozenset()
    """Keys the JSON shows as null (or empty) because this kind of change cannot have them."""

    @model_validator(mode="before")
    @classmethod
    def _drop_derived(cls, data: Any) -> Any:
        """A change read back from JSON: the keys computed from others are not input."""
        if isinstance(data, dict):
            data = cls._stored(data)
            for key in cls._ABSENT & data.keys():
                if data[key] not in (None, [], ()):
                    raise ValueError(f"a change of this action has no {key}")
            return {k: v for k, v in data.items() if k not in cls.model_computed_fields}
        return data

    @classmethod
    def _stored(cls, data: dict[str, Any]) -> dict[str, Any]:
        """The input as stored (a subclass maps a derived key onto what it is derived from)."""
        return data

    @property
    def key(self) -> ScheduleKey:
        return ScheduleKey(self.provider, self.assessment_id, self.name)

    def sort_key(self) -> tuple[str, str, str]:
        return (self.provider, self.assessment_id, self.name)

    @property
    def window_changed(self) -> bool:
        """Whether this change sets, moves or clears the window of a live schedule (its `window` field)."""
        return False

    def document(self) -> dict[str, Any]:
        """The JSON of this change."""
        return self.model_dump(mode="json")


class _Writes(_Change):
    """A change apply makes: it may be blocked, or need --force."""

    blocked: tuple[str, ...] = Field(default=(), description="Why this change cannot be applied at all.")
    needs_force: tuple[str, ...] = Field(default=(), description="Safety rules this change breaks.")
    participants: NewParticipants | None = Field(
        default=None, exclude=True, description="New accounts apply creates (in the JSON only when some).")

    def document(self) -> dict[str, Any]:
        """The JSON of this change; `participants` only when the provider planned new accounts."""
        data = super().document()
        if self.participants is not None:
            data["participants"] = self.participants.model_dump(mode="json")
        return data

    @property
    def actionable(self) -> bool:
        return True


class Create(_Writes):
    """A schedule that is not live yet: made from its desired state."""

    action: Literal["create"] = "create"
    _ABSENT = frozenset({"ref", "fields", "fingerprint", "window_before"})
    candidates: CandidateChanges = Field(default_factory=CandidateChanges)
    desired: Schedule

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ref(self) -> None:
        """A create has no live object yet."""
        return None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def fields(self) -> tuple[FieldChange, ...]:
        """A create writes the whole desired state, listed in `desired`."""
        return ()

    @computed_field  # type: ignore[prop-decorator]
    @property
    def fingerprint(self) -> None:
        return None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def window_before(self) -> None:
        return None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def window_after(self) -> Window | None:
        return self.desired.window



class Update(_Writes):
    """A live schedule whose settings, window or candidates differ from its desired state."""

    action: Literal["update"] = "update"
    ref: str = Field(description="The vendor's id of the live object (access key, ID).")
    settings: tuple[FieldChange, ...] = Field(default=(), exclude=True, description="Changed settings but the window.")
    candidates: CandidateChanges = Field(default_factory=CandidateChanges)
    fingerprint: str | None = Field(default=None, description="Hash of the live object when planned.")
    desired: Schedule
    window_before: Window | None = Field(default=None, description="The live window.")

    @classmethod
    def _stored(cls, data: dict[str, Any]) -> dict[str, Any]:
        """`fields` (JSON, or given by hand) are the settings; its `window` entry is derived from the windows."""
        if "fields" not in data:
            return data
        derived = (WINDOW, dotted(WINDOW))
        settings = [f for f in data["fields"] if (f.get("path") if isinstance(f, dict) else f.path) not in derived]
        return {**{k: v for k, v in data.items() if k != "fields"}, "settings": settings}

    @computed_field  # type: ignore[prop-decorator]
    @property
    def window_after(self) -> Window | None:
        """The desired window."""
        return self.desired.window

    @property
    def window_changed(self) -> bool:
        return windows_differ(self.window_before, self.desired.window)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def fields(self) -> tuple[FieldChange, ...]:
        """The changed settings with the window change (if any), in path order."""
        if not self.window_changed:
            return self.settings
        window = FieldChange(path=WINDOW, before=window_view(self.window_before), after=window_view(self.window_after))
        return tuple(sorted((*self.settings, window), key=lambda f: f.text))

    @property
    def actionable(self) -> bool:
        """False for an update with nothing to write."""
        return bool(self.fields) or bool(self.candidates)


class Disable(_Writes):
    """An owned schedule gone from desired state (prune on): made unavailable, never deleted."""

    action: Literal["disable"] = "disable"
    _ABSENT = frozenset({"desired", "window_after"})
    ref: str = Field(description="The vendor's id of the live object (access key, ID).")
    fields: tuple[FieldChange, ...] = Field(default=(), description="How the schedule is retired.")
    candidates: CandidateChanges = Field(default_factory=CandidateChanges)
    fingerprint: str | None = Field(default=None, description="Hash of the live object when planned.")
    window_before: Window | None = Field(default=None, description="The live window.")

    @model_validator(mode="after")
    def _nobody_moves(self) -> Disable:
        if self.candidates or self.candidates.protected:
            raise ValueError("a disable adds, removes or protects no candidate")
        return self

    @computed_field  # type: ignore[prop-decorator]
    @property
    def desired(self) -> None:
        """A retired schedule has no desired state."""
        return None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def window_after(self) -> None:
        return None



class NoOp(_Change):
    """In sync but for candidates the desired state drops and live data protects: nothing is written."""

    action: Literal["no-op"] = "no-op"
    ref: str
    candidates: CandidateChanges = Field(default_factory=CandidateChanges)

    @field_serializer("candidates")
    def _protected_only(self, candidates: CandidateChanges) -> dict[str, Any]:
        return candidates.model_dump(mode="json", include={"protected", "protected_reasons", "existing"})

    @property
    def actionable(self) -> bool:
        return False

    @property
    def blocked(self) -> tuple[str, ...]:
        return ()

    @property
    def fields(self) -> tuple[FieldChange, ...]:
        return ()

    @property
    def needs_force(self) -> tuple[str, ...]:
        return ()

    @property
    def desired(self) -> None:
        return None

    @property
    def fingerprint(self) -> None:
        return None

    @property
    def window_before(self) -> None:
        return None

    @property
    def window_after(self) -> None:
        return None


Writing = Create | Update | Disable
"""A change apply makes."""
ScheduleChange = Writing | NoOp
"""Any change; `action` tells which."""
AnyChange = Annotated[ScheduleChange, Field(discriminator="action")]


class UnmanagedSchedule(Frozen):
    """A live schedule no desired file mentions; reported, never touched."""

    provider: str
    assessment_id: str
    name: str
    ref: str | None = None


class Plan(Frozen):
    """The full plan: ordered changes, unmanaged objects, and the fingerprints of what it read."""

    format_version: str = FORMAT_VERSION
    changes: tuple[AnyChange, ...] = ()
    unmanaged: tuple[UnmanagedSchedule, ...] = ()
    undeclared: tuple[UnmanagedSchedule, ...] = Field(
        default=(), description="Live schedules this project made that no desired file declares any more, left "
        "alone because prune is off (with prune they are retired: `disable` changes).")
    in_sync: int = 0
    scope: str = Field(default="", description="The run's scope (`--select`, `--provider`, `--assessment`); "
                       "empty: the whole project. apply --plan refuses a plan made with another scope.")
    fingerprints: dict[str, str] = Field(
        default_factory=dict, description="Schedule key → fingerprint of every live object the plan touches."
    )
    access: dict[str, str] = Field(
        default_factory=dict, description="Schedule key → how its candidates reach the platform (Questionmark: "
        "`membership` = the group's members, `seats` = one schedule per candidate, `group` = no candidate list).")

    @classmethod
    def build(
        cls,
        changes: Iterable[ScheduleChange],
        unmanaged: Iterable[UnmanagedSchedule] = (),
        in_sync: int = 0,
        undeclared: Iterable[UnmanagedSchedule] = (),
    ) -> Plan:
        ordered = tuple(sorted(changes, key=lambda c: c.sort_key()))
        fingerprints = {c.key.path: c.fingerprint for c in ordered if c.fingerprint and c.actionable}
        return cls(
            changes=ordered,
            unmanaged=tuple(sorted(unmanaged, key=lambda u: (u.provider, u.assessment_id, u.name))),
            undeclared=tuple(sorted(undeclared, key=lambda u: (u.provider, u.assessment_id, u.name))),
            in_sync=in_sync,
            fingerprints=fingerprints,
        )

    def access_line(self) -> str:
        """`Questionmark access: membership 3, group 1` — the plan header's count of schedules per mode."""
        if not self.access:
            return ""
        counts: dict[str, int] = {}
        for mode in self.access.values():
            counts[mode] = counts.get(mode, 0) + 1
        return "Questionmark access: " + ", ".join(f"{mode} {n}" for mode, n in sorted(counts.items()))

    @property
    def has_changes(self) -> bool:
        return any(c.actionable for c in self.changes)

    @property
    def actionable(self) -> tuple[Writing, ...]:
        return tuple(c for c in self.changes if not isinstance(c, NoOp) and c.actionable)

    def data(self) -> dict[str, Any]:
        """The one serialisation behind the JSON output, plan files and the checksum (secrets masked)."""
        data = self.model_dump(mode="json", exclude={"format_version", "changes"})
        if not data["scope"]:
            del data["scope"]  # a whole-project plan reads as before scopes existed
        if not data["access"]:
            del data["access"]  # likewise a plan without Questionmark schedules
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


def fingerprint_bytes(content: bytes) -> str:
    """A short hash of a vendor's answer as it came: no re-serialising of what was parsed from it."""
    return hashlib.sha256(content).hexdigest()[:16]
