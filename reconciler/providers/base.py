"""What every provider offers the engine: read live state into the shared models, and apply one change."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

from ..models import Schedule, ScheduleKey
from ..observed import ApplyOutcome as ApplyOutcome
from ..observed import Observed as Observed
from ..observed import ObservedWorld as ObservedWorld
from ..plan import Writing


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
