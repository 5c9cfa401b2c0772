"""The Questionmark provider: reads owned schedules into the shared models, reviews and applies changes.

Choices the vendor documentation leaves open (also in docs/questionmark-mapping.md):
- Ownership is the ExternalID mark; schedules without it are reported as unmanaged and never written.
- A candidate list (list mode) is an always-disabled *anchor* schedule for the group plus one *seat* per
  candidate (a schedule with their ParticipantID); removal disables the seat and marks it revoked. Group
  membership is never changed (the Delivery OData API documents no way to).
- Without `candidates:` (group mode) the group schedule is open to the group; accommodations are exception
  schedules for members.
- Metadata is write-once: a changed value blocks the plan, a key removed from the YAML is left alone.
- A rename (`previous_names`) re-marks: Name and the new name's mark in one PATCH per schedule and seat.
- An owned schedule no longer declared is disabled only with `prune`; otherwise it is reported.
- `group:` defaults to the schedule's name; changing the group, or turning a list into group access, blocks.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ...errors import NotFoundError, ProviderError
from ...http import RunDeadline
from ...models import QuestionmarkProviderConfig, Schedule, ScheduleKey
from ...observed import ApplyOutcome, Observed, ObservedWorld
from ...plan import GROUP, INVITATION_ONLY, METADATA, Create, Disable, Update, Writing
from ..base import Endpoint, Provider
from . import logins, mapping
from .client import PROVIDER, QuestionmarkClient
from .listing import Classified, Listing, classify, find_owned
from .live import questionmark_live
from .observe import build_observed
from .reading import read_listing
from .writes import Writer

STARTED, UNKNOWN = "has started", "status unknown"


class QuestionmarkProvider(Provider):
    """Identity is (assessment_id, name), marked in ExternalID; unowned schedules are never touched."""

    name = PROVIDER

    def __init__(self, client: QuestionmarkClient, *, max_workers: int = 8, shard: str | None = None) -> None:
        self.client = client
        self.shard = shard
        self.max_workers = max_workers
        self._write_pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    @property
    def calls(self) -> int:
        return self.client.http.stats.total

    def close(self) -> None:
        with self._pool_lock:
            pool, self._write_pool = self._write_pool, None
        if pool is not None:
            pool.shutdown()
        self.client.close()

    def write_pool(self) -> ThreadPoolExecutor:
        """The threads every change's seat and exception writes share (the client caps what is in flight)."""
        with self._pool_lock:
            if self._write_pool is None:
                self._write_pool = ThreadPoolExecutor(max(1, self.max_workers), thread_name_prefix="questionmark-write")
            return self._write_pool

    def limit_run(self, deadline: RunDeadline) -> None:
        self.client.http.run_deadline = deadline

    # ------------------------------------------------------------------ reading

    def observe(self, desired: Sequence[Schedule]) -> ObservedWorld:
        """List Schedules once (its pages + 1 for `$count`, read concurrently); read group members only for
        group-mode accommodations."""
        listing = read_listing(self.client, self.max_workers, self.shard)
        return self._world(classify(listing, [s for s in desired if s.provider == PROVIDER]), listing)

    def _world(self, classified: Classified, listing: Listing) -> ObservedWorld:
        """The classified listing as the shared model; retired schedules only while something is still live."""
        members = self._members([(raw, wanted) for raw, wanted in classified.managed.values()])
        world = ObservedWorld(unmanaged=list(classified.unmanaged))
        for key, (raw, wanted) in classified.managed.items():
            world.managed[key] = build_observed(raw, key, wanted, listing, members.get(raw.get("GroupID")))
        for key, raw in classified.retired.items():
            observed = build_observed(raw, key, None, listing)
            if not observed.live.disabled:
                world.retired[key] = observed
        return world

    def observe_one(self, key: ScheduleKey, desired: Schedule | None) -> Observed | None:
        """Re-read one owned schedule (after a lost answer): found by its mark, or by name if retired."""
        listing = read_listing(self.client, self.max_workers, self.shard)
        raw = find_owned(listing, key)
        if raw is None:
            return None
        members = self._members([(raw, desired)] if desired is not None else [])
        return build_observed(raw, key, desired, listing, members.get(raw.get("GroupID")))

    def _members(self, pairs: Sequence[tuple[dict[str, Any], Schedule]]) -> dict[Any, dict[str, int]]:
        """Members by email of the groups whose group-mode schedules want accommodations (read concurrently)."""
        ids = sorted({int(raw["GroupID"]) for raw, wanted in pairs if wanted.candidates is None
                      and wanted.accommodations and isinstance(raw.get("GroupID"), int)})
        with ThreadPoolExecutor(max(1, min(self.max_workers, len(ids)))) as pool:
            return dict(zip(ids, pool.map(self.group_members, ids), strict=True))

    def group_members(self, group_id: int) -> dict[str, int]:
        """The group's participants by email (a deleted group has none)."""
        try:
            return mapping.members_by_email(self.client.group_members(group_id))
        except NotFoundError:
            return {}

    def started(self, observed: Observed, emails: frozenset[str]) -> Mapping[str, str]:
        """Candidates about to lose their seat who have attempts on it (read per seat, fail closed)."""
        seats = [(email, int(seat["ID"])) for email in sorted(emails)
                 for seat in questionmark_live(observed).seats.get(email, ())]

        def attempted(item: tuple[str, int]) -> bool | None:
            try:
                return bool(self.client.attempts(item[1]))
            except ProviderError:
                return None

        with ThreadPoolExecutor(max(1, min(self.max_workers, len(seats)))) as pool:
            answers = list(pool.map(attempted, seats))
        result: dict[str, str] = {}
        for (email, _), answer in zip(seats, answers, strict=True):
            if answer is not False and result.get(email) != STARTED:
                result[email] = STARTED if answer else UNKNOWN
        return result

    # ------------------------------------------------------------------ reviewing

    def review(self, change: Writing, observed: Observed | None) -> tuple[str, ...]:
        """Reasons this change cannot be applied through the API (apply refuses, exit 3)."""
        if isinstance(change, Disable):
            return ()
        desired = change.desired
        reasons: list[str] = []
        if not desired.assessment_id.isdigit():
            reasons.append(f"assessment_id {desired.assessment_id!r} is not a Questionmark assessment ID "
                           "(an Int64 number)")
        reasons.extend(mapping.local_time_problems(desired))
        for item in change.fields:
            if item.path == GROUP:
                reasons.append(
                    f"the group of an existing schedule cannot be changed (live {item.before!r}, wanted "
                    f"{item.after!r}): its seats and results belong to the old group; remove this schedule from "
                    "the YAML (it is disabled) and add one under a new name")
            elif item.path == INVITATION_ONLY and item.before is True:
                reasons.append(
                    "a schedule with a candidate list cannot be opened to its whole group: remove it from the YAML "
                    "(its seats are disabled) and add a schedule without candidates under a new name")
            elif item.path[0] == METADATA and item.before is not None:
                key = item.path[1]
                reasons.append(
                    f"metadata {key!r} is write-once in Questionmark (live {item.before!r}, wanted "
                    f"{item.after!r}): rename the key, or disable this schedule and create a new one")
        reasons.extend(self._accommodation_problems(desired, observed))
        return tuple(reasons)

    @staticmethod
    def _accommodation_problems(desired: Schedule, observed: Observed | None) -> list[str]:
        """A seat or exception schedule for someone who is not a candidate (or member) would grant access."""
        if desired.candidates is not None:
            allowed, where, what = set(desired.candidate_emails()), "not in candidates", "a seat"
        elif observed is not None and (members := questionmark_live(observed).members) is not None:
            allowed = set(members)
            where, what = f"not a member of group {observed.schedule.group!r}", "an exception schedule"
        else:
            return []
        return [f"accommodation for {email}: {where} ({what} would grant access)"
                for email in sorted(set(desired.accommodations) - allowed)]

    # ------------------------------------------------------------------ writing

    def resources(self, change: Writing, observed: Observed | None) -> frozenset[str]:
        """Also the group (found or created by name) and the participants of added candidates (found or created
        by login): two changes that could both create one of them are applied one after the other."""
        names = set(super().resources(change, observed))
        if isinstance(change, (Create, Update)):
            names.add(f"group:{mapping.group_name(change.desired)}")
            names.update(f"login:{login.casefold()}"
                         for c in change.candidates.add for login in logins.login_names(c.email))
        return frozenset(names)

    def apply(self, change: Writing, observed: Observed | None) -> ApplyOutcome:
        """Create, update or disable with the fewest calls (see writes.Writer)."""
        before = self.calls
        writer = Writer(self.client, max_workers=self.max_workers, shard=self.shard, pool=self.write_pool())
        if isinstance(change, Create):
            ref = writer.create(change.desired)
        elif observed is None:
            return ApplyOutcome(change.key, False, message="the live schedule was not read; plan again")
        elif isinstance(change, Disable):
            ref = writer.disable(observed)
        else:
            ref = writer.update(change, change.desired, observed)
        return ApplyOutcome(change.key, True, calls=self.calls - before, ref=ref)


def make_questionmark_provider(
    config: QuestionmarkProviderConfig | None, endpoint: Endpoint, *, shard: str | None = None
) -> QuestionmarkProvider:
    """The provider for a project's `providers.questionmark` block (or a sandbox endpoint); without one, the
    settings model's defaults."""
    config = config or QuestionmarkProviderConfig()
    workers = config.max_workers
    client = QuestionmarkClient(endpoint.base_url, endpoint.user, endpoint.secret, timeout=config.timeout,
                                pool_size=max(workers, 4), max_in_flight=workers)
    return QuestionmarkProvider(client, max_workers=workers, shard=shard)
