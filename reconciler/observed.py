"""What the providers read and did, as plain values: the diff and the engine use them without knowing a vendor."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .models import Schedule, ScheduleKey
from .plan import FieldChange, UnmanagedSchedule


@dataclass(frozen=True, kw_only=True)
class Live:
    """What only the vendor knows about a live schedule; each provider extends it with its own state."""

    disabled: bool = False  # already unavailable (retired): nothing left to retire
    retirement: FieldChange | None = None  # how the plan shows its retirement; None: by disabling it
    noted: Mapping[str, str] = field(default_factory=dict)
    """email → what the vendor's read says of a candidate that protects nobody by itself (import shows it;
    `Provider.started` decides who stays)."""


@dataclass(frozen=True, slots=True)
class LiveCandidates:
    """A live candidate list kept as the diff needs it (a plan reads hundreds of thousands): the normalised
    emails, and the live name of each one the desired state does not list (the only ones it can remove)."""

    emails: frozenset[str]
    names: Mapping[str, str]  # email → live name; at least every email the desired state does not list


@dataclass(frozen=True)
class Observed:
    """A live schedule, mapped into the same model as desired state, plus what only the vendor knows.

    `candidates`, when a provider keeps the live list that way, is the live candidate list; `schedule.candidates`
    is then empty (or None: open for all) and says only whether the schedule is invitation-only.
    """

    schedule: Schedule
    ref: str
    fingerprint: str
    protected: Mapping[str, str] = field(default_factory=dict)  # email → why it is never removed
    raw: Any = None
    live: Live = field(default_factory=Live)
    candidates: LiveCandidates | None = None

    def candidate_emails(self) -> frozenset[str]:
        """The normalised emails of the live candidates."""
        return self.candidates.emails if self.candidates is not None else self.schedule.candidate_emails()

    def live_names(self, emails: Iterable[str]) -> dict[str, str]:
        """The live name of each of `emails` the platform holds (sorted by email)."""
        if self.candidates is not None:
            names = self.candidates.names
            return {email: names[email] for email in sorted(emails) if email in names}
        wanted = set(emails)
        return dict(sorted((c.email, c.name) for c in self.schedule.candidates or () if c.email in wanted))


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
