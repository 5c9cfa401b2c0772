"""What every provider offers the engine: read live state into the shared models, and apply one change.

One base class owns the common work (as octoDNS's `BaseProvider.apply` calls each provider's `_apply_*`):
dispatch of a change to the vendor's `_create`, `_update` or `_retire`, the "not read, plan again" rule, call
counting, `close` and the run limit, over the vendor's HTTP clients (`clients`). A vendor writes `observe`,
`observe_one`, `_create`, `_update`, `_retire` and its hooks; the optional hooks are declared here with their
defaults, so the engine calls them on every provider instead of probing for them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from ..models import Schedule, ScheduleKey
from ..observed import ApplyOutcome as ApplyOutcome, Observed as Observed, ObservedWorld as ObservedWorld
from ..plan import Create, Disable, Update, Writing

if TYPE_CHECKING:
    from ..http import HttpClient, RunDeadline

NOT_READ = "the live schedule was not read; plan again"


class VendorClient(Protocol):
    """What the base needs of a vendor's API client: its HTTP client (calls, run limit) and `close`."""

    @property
    def http(self) -> HttpClient: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Written:
    """What a vendor's write did: the live object's reference, and every written value the vendor did not keep."""

    ref: str | None
    problems: Sequence[str] = ()


@dataclass(frozen=True)
class Endpoint:
    """Where a provider lives and how to log in (used to point providers at the sandbox)."""

    base_url: str
    user: str
    secret: str
    qmwise_url: str | None = None
    """Questionmark's QMWISe endpoint when the sandbox provides one (it replaces the configured one)."""


class Provider(ABC):
    """A vendor adapter. Reads may run concurrently; apply is called once per change, concurrently for changes
    whose `resources` do not meet (at most `max_workers` at a time)."""

    name: str
    max_workers: int  # from the settings model (`providers.<vendor>.max_workers`)

    @abstractmethod
    def observe(self, desired: Sequence[Schedule]) -> ObservedWorld:
        """Read the live state relevant to these desired schedules (and find owned/unmanaged ones)."""

    @abstractmethod
    def observe_one(self, key: ScheduleKey, desired: Schedule | None) -> Observed | None:
        """Re-read one schedule (to verify a write whose answer was lost, or a stale plan)."""

    @abstractmethod
    def clients(self) -> Sequence[VendorClient]:
        """The API clients this provider calls through (counted, limited and closed by the base)."""

    def apply(self, change: Writing, observed: Observed | None) -> ApplyOutcome:
        """Make the fewest calls that turn the live object into the desired one: a create, else (the live object
        read) a retirement or an update. The outcome fails with every written value the vendor did not keep."""
        before = self.calls
        if isinstance(change, Create):
            written = self._create(change, observed)
        elif observed is None:
            return ApplyOutcome(change.key, False, message=NOT_READ)
        elif isinstance(change, Disable):
            written = self._retire(change, observed)
        else:
            written = self._update(change, observed)
        return ApplyOutcome(change.key, not written.problems, calls=self.calls - before,
                            message="; ".join(written.problems), ref=written.ref)

    @abstractmethod
    def _create(self, change: Create, observed: Observed | None) -> Written:
        """Create the desired schedule (`observed`: what was read under its key, normally nothing)."""

    @abstractmethod
    def _update(self, change: Update, observed: Observed) -> Written:
        """Turn the live schedule into the desired one."""

    @abstractmethod
    def _retire(self, change: Disable, observed: Observed) -> Written:
        """Retire a live schedule no longer declared (it is kept, closed or disabled, never deleted)."""

    def close(self) -> None:
        """Release pooled connections."""
        for client in self.clients():
            client.close()

    @property
    def calls(self) -> int:
        """HTTP calls made so far."""
        return sum(client.http.stats.total for client in self.clients())

    def limit_run(self, deadline: RunDeadline) -> None:
        """Every later call of this provider ends by `deadline` (the run's, shared by all providers)."""
        for client in self.clients():
            client.http.run_deadline = deadline

    def resources(self, change: Writing, observed: Observed | None) -> frozenset[str]:
        """What this change writes that another change of the plan may also touch: changes sharing one are
        applied one after the other, in plan order. Default: the schedule under its desired and live names."""
        names = {change.key.path}
        if observed is not None:
            names.add(observed.schedule.key.path)
        return frozenset(names)

    def started(self, observed: Observed, emails: frozenset[str]) -> Mapping[str, str]:
        """Those of `emails` who must not be removed from this live schedule, each with the reason
        ("has started", "has submitted", "status unknown"). Fail closed: when in doubt, protect.
        Default: the platform tells nothing, nobody is protected this way."""
        return {}

    def annotate(self, change: Writing, observed: Observed | None) -> Writing:
        """The change with what the provider adds to the plan before review (new accounts apply would create).
        Default: the change as it is."""
        return change

    def access_modes(self, desired: Sequence[Schedule]) -> dict[str, str]:
        """How each of these schedules holds its candidates, by schedule key path, for the plan header (e.g.
        Questionmark's `membership`/`seats`). Default: nothing to say."""
        return {}

    def review(self, change: Writing, observed: Observed | None) -> tuple[str, ...]:
        """Reasons this change cannot be applied through the API (apply refuses, exit 3). Default: none."""
        return ()
