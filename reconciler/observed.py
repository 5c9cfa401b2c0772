"""What the providers read and did, as plain values: the diff and the engine use them without knowing a vendor."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .models import Schedule, ScheduleKey
from .plan import FieldChange, UnmanagedSchedule


@dataclass(frozen=True, kw_only=True)
class Live:
    """What only the vendor knows about a live schedule; each provider extends it with its own state."""

    disabled: bool = False  # already unavailable (retired): nothing left to retire
    retirement: FieldChange | None = None  # how the plan shows its retirement; None: by disabling it


@dataclass(frozen=True)
class Observed:
    """A live schedule, mapped into the same model as desired state, plus what only the vendor knows."""

    schedule: Schedule
    ref: str
    fingerprint: str
    protected: Mapping[str, str] = field(default_factory=dict)  # email → why it is never removed
    raw: Any = None
    live: Live = field(default_factory=Live)


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
