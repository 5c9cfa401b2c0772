"""What every provider offers the engine: read live state into the shared models, and apply one change."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ..models import Schedule, ScheduleKey
from ..plan import UnmanagedSchedule, Writing


@dataclass(frozen=True)
class Observed:
    """A live schedule, mapped into the same model as desired state, plus what only the vendor knows."""

    schedule: Schedule
    ref: str
    fingerprint: str
    protected: Mapping[str, str] = field(default_factory=dict)  # email → why it is never removed
    raw: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ObservedWorld:
    """Everything a provider read for one plan."""

    managed: dict[ScheduleKey, Observed] = field(default_factory=dict)
    retired: dict[ScheduleKey, Observed] = field(default_factory=dict)  # owned, gone from desired state
    unmanaged: list[UnmanagedSchedule] = field(default_factory=list)


@dataclass(frozen=True)
class ApplyOutcome:
    """What one applied change did."""

    key: ScheduleKey
    ok: bool
    calls: int = 0
    message: str = ""
    ref: str | None = None


class Provider(Protocol):
    """A vendor adapter. Reads may run concurrently; apply is called once per change."""

    name: str

    def observe(self, desired: Sequence[Schedule]) -> ObservedWorld:
        """Read the live state relevant to these desired schedules (and find owned/unmanaged ones)."""
        ...

    def observe_one(self, key: ScheduleKey, desired: Schedule | None) -> Observed | None:
        """Re-read one schedule (to verify a write whose answer was lost, or a stale plan)."""
        ...

    def apply(self, change: Writing, observed: Observed | None) -> ApplyOutcome:
        """Make the fewest calls that turn the live object into the desired one."""
        ...

    def close(self) -> None:
        """Release pooled connections."""
        ...

    @property
    def calls(self) -> int:
        """HTTP calls made so far."""
        ...


@runtime_checkable
class KnowsStartedCandidates(Protocol):
    """A provider that can tell which candidates have begun a test (they are then never removed)."""

    def started(self, observed: Observed, emails: frozenset[str]) -> Mapping[str, str]:
        """Those of `emails` who must not be removed from this live schedule, each with the reason
        ("has started", "has submitted", "status unknown"). Fail closed: when in doubt, protect."""
        ...
