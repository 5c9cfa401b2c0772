"""The Questionmark provider: reads owned schedules into the shared models, reviews and applies changes.

Choices the vendor documentation leaves open (also in the project docs):
- Ownership is the ExternalID mark; schedules without it are reported as unmanaged and never written.
- A candidate is removed by a disabled exception schedule; the participant and the membership stay.
- Exception schedules copy the parent's values (window and settings except `Disabled`); when those change,
  enabled exceptions get the same PATCH so they never silently differ.
- Metadata is write-once: a changed value blocks the plan, a key removed from the YAML is left alone.
- Removing an accommodation from the YAML leaves its exception schedule as it is.
- `group:` defaults to the schedule's name; changing the group of an existing schedule blocks the plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from ...errors import NotFoundError
from ...models import QuestionmarkProviderConfig, Schedule, ScheduleKey
from ...plan import ScheduleChange
from ..base import ApplyOutcome, Observed, ObservedWorld
from . import mapping
from .client import PROVIDER, QuestionmarkClient
from .observe import Classified, Listing, assemble, classify, outsiders
from .writes import Writer

if TYPE_CHECKING:
    from ..factory import Endpoint

Groups = dict[int, tuple[dict[str, Any], list[dict[str, Any]]]]


class QuestionmarkProvider:
    """Identity is (assessment_id, name), marked in ExternalID; unowned schedules are never touched."""

    name = PROVIDER

    def __init__(self, client: QuestionmarkClient, *, max_workers: int = 8) -> None:
        self.client = client
        self.max_workers = max_workers

    @property
    def calls(self) -> int:
        return self.client.http.stats.total

    def close(self) -> None:
        self.client.close()

    # ------------------------------------------------------------------ reading

    def observe(self, desired: Sequence[Schedule]) -> ObservedWorld:
        """List Schedules once (with metadata), then read the groups of owned ones concurrently."""
        mine = [s for s in desired if s.provider == PROVIDER]
        listing = Listing.of(self.client.schedules())
        return self._complete(classify(listing, mine), listing)

    def observe_one(self, key: ScheduleKey, desired: Schedule | None) -> Observed | None:
        """Re-read one owned schedule (after a lost answer): found by its mark, or by name if retired."""
        listing = Listing.of(self.client.schedules())
        mark = mapping.external_id(key.assessment_id, key.name)
        found = next((raw for _, raw in sorted(listing.parents.items()) if raw.get("ExternalID") == mark), None)
        if found is None:
            found = next((raw for _, raw in sorted(listing.parents.items()) if mapping.is_owned(raw)
                          and (str(raw.get("AssessmentID")), raw.get("Name")) == (key.assessment_id, key.name)),
                         None)
        if found is None:
            return None
        classified = Classified()
        if desired is not None:
            classified.managed[key] = (found, desired)
        else:
            classified.retired[key] = found
        world = self._complete(classified, listing)
        return world.managed.get(key) or world.retired.get(key)

    def _complete(self, classified: Classified, listing: Listing) -> ObservedWorld:
        raws = [raw for raw, _ in classified.managed.values()] + list(classified.retired.values())
        group_ids = sorted({int(raw["GroupID"]) for raw in raws if isinstance(raw.get("GroupID"), int)})
        with ThreadPoolExecutor(self.max_workers) as pool:
            groups: Groups = dict(zip(group_ids, pool.map(self._group, group_ids), strict=True))
            extra_ids = sorted(outsiders(classified, listing, groups))
            read = list(pool.map(self._participant, extra_ids))
        others = {pid: p for pid, p in zip(extra_ids, read, strict=True) if p is not None}
        return assemble(classified, listing, groups, others)

    def _group(self, group_id: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        try:
            return self.client.group(group_id)
        except NotFoundError:
            return {}, []

    def _participant(self, participant_id: int) -> dict[str, Any] | None:
        try:
            return self.client.participant(participant_id)
        except NotFoundError:
            return None

    # ------------------------------------------------------------------ reviewing

    def review(self, change: ScheduleChange, observed: Observed | None) -> tuple[str, ...]:
        """Reasons this change cannot be applied through the API (apply refuses, exit 3)."""
        desired = change.desired
        if desired is None or change.action == "disable":
            return ()
        reasons: list[str] = []
        if not desired.assessment_id.isdigit():
            reasons.append(f"assessment_id {desired.assessment_id!r} is not a Questionmark assessment ID "
                           "(an Int64 number)")
        reasons.extend(mapping.local_time_problems(desired))
        for item in change.fields:
            if item.path == "group":
                reasons.append(
                    f"the group of an existing schedule cannot be changed (live {item.before!r}, wanted "
                    f"{item.after!r}): its candidates and exceptions belong to the old group; remove this "
                    "schedule from the YAML (it is disabled) and add one under a new name")
            elif item.path.startswith("metadata.") and item.before is not None:
                key = item.path[len("metadata."):]
                reasons.append(
                    f"metadata {key!r} is write-once in Questionmark (live {item.before!r}, wanted "
                    f"{item.after!r}): rename the key, or disable this schedule and create a new one")
        reasons.extend(self._accommodation_problems(desired, observed))
        return tuple(reasons)

    @staticmethod
    def _accommodation_problems(desired: Schedule, observed: Observed | None) -> list[str]:
        """An exception schedule for someone who is not a candidate would grant them access."""
        if desired.candidates is not None:
            allowed = set(desired.candidate_emails())
            where = "not in candidates"
        elif observed is not None:
            allowed = set(observed.extra.get("members") or ())
            where = f"not a member of group {observed.schedule.group!r}"
        else:
            return []
        return [f"accommodation for {email}: {where} (an exception schedule would grant access)"
                for email in sorted(set(desired.accommodations) - allowed)]

    # ------------------------------------------------------------------ writing

    def apply(self, change: ScheduleChange, observed: Observed | None) -> ApplyOutcome:
        """Create, update or disable with the fewest calls (see writes.Writer)."""
        before = self.calls
        writer = Writer(self.client)
        if change.action == "disable":
            if observed is None:
                return ApplyOutcome(change.key, False, message="nothing live to disable")
            ref = writer.disable(observed)
        elif change.desired is None:
            return ApplyOutcome(change.key, False, message="a change without a desired schedule")
        elif change.action == "create":
            ref = writer.create(change.desired)
        else:
            if observed is None:
                return ApplyOutcome(change.key, False, message="the live schedule was not read; plan again")
            ref = writer.update(change, change.desired, observed)
        return ApplyOutcome(change.key, True, calls=self.calls - before, ref=ref)


def make_questionmark_provider(
    config: QuestionmarkProviderConfig | None, endpoint: Endpoint
) -> QuestionmarkProvider:
    """The provider for a project's `providers.questionmark` block (or a sandbox endpoint)."""
    timeout = config.timeout if config else 30.0
    workers = config.max_workers if config else 8
    client = QuestionmarkClient(endpoint.base_url, endpoint.user, endpoint.secret, timeout=timeout,
                                pool_size=max(workers, 4))
    return QuestionmarkProvider(client, max_workers=workers)
