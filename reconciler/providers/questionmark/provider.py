"""The Questionmark provider: reads owned schedules into the shared models, reviews and applies changes.

Choices the vendor documentation leaves open (also in docs/questionmark-mapping.md):
- Ownership is the ExternalID mark; schedules without it are reported as unmanaged and never written.
- A candidate list in membership mode (`access: membership`, see `membership`) is the group schedule's group:
  members are added and removed through QMWISe. In seats mode (list mode) it is an always-disabled *anchor*
  schedule for the group plus one *seat* per candidate (a schedule with their ParticipantID); removal disables
  the seat and marks it revoked, and group membership is never changed.
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
from dataclasses import replace
from typing import Any

from ...errors import ConfigError, NotFoundError, Position, Problem, ProviderError
from ...models import QuestionmarkProviderConfig, Schedule, ScheduleKey
from ...observed import Observed, ObservedWorld
from ...plan import GROUP, INVITATION_ONLY, METADATA, Create, Disable, NewParticipants, Update, Writing
from ..base import Endpoint, Provider, Written
from . import mapping, people
from .client import DEFAULTS, PROVIDER, QuestionmarkClient
from .listing import Classified, Listing, classify, find_owned
from .live import MembershipLive, SeatsLive, questionmark_live
from .membership import (
    MEMBERSHIP,
    SEATS,
    MembershipWriter,
    build_membership_observed,
    has_roster,
    mode_of,
    review_problems,
)
from .observe import build_observed
from .qmwise import QmwiseClient
from .reading import read_listing
from .writes import Writer

STARTED, UNKNOWN = "has started", "status unknown"
PLAN_LOOKUPS = 500
"""Added candidates a plan looks up (to list the new participants) in one run; past it they are counted."""

class QuestionmarkProvider(Provider):
    """Identity is (assessment_id, name), marked in ExternalID; unowned schedules are never touched."""

    name = PROVIDER

    def __init__(
        self, client: QuestionmarkClient, *, max_workers: int = DEFAULTS.max_workers, shard: str | None = None,
        config: QuestionmarkProviderConfig | None = None, qmwise: QmwiseClient | None = None, access: str = SEATS,
    ) -> None:
        if access == MEMBERSHIP and qmwise is None:
            raise ValueError("membership access needs a QMWISe client (providers.questionmark.qmwise_url)")
        self.client = client
        self.config = config or QuestionmarkProviderConfig()
        self._lookups = 0
        self.qmwise = qmwise
        self.access = access
        self._seats_kept: set[ScheduleKey] = set()  # membership access: live seats-mode schedules keep seats
        self.shard = shard
        self.max_workers = max_workers
        self._write_pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def clients(self) -> tuple[QuestionmarkClient] | tuple[QuestionmarkClient, QmwiseClient]:
        return (self.client,) if self.qmwise is None else (self.client, self.qmwise)

    def access_modes(self, desired: Sequence[Schedule]) -> dict[str, str]:
        """How each of these Questionmark schedules holds its candidates: membership, seats or group."""
        return {s.key.path: SEATS if s.key in self._seats_kept else mode_of(s, self.access)
                for s in desired if s.provider == PROVIDER}

    def _membership(self, wanted: Schedule | None) -> bool:
        return self.access == MEMBERSHIP and wanted is not None and wanted.candidates is not None

    def close(self) -> None:
        with self._pool_lock:
            pool, self._write_pool = self._write_pool, None
        if pool is not None:
            pool.shutdown()
        super().close()

    def write_pool(self) -> ThreadPoolExecutor:
        """The threads every change's seat and exception writes share (the client caps what is in flight)."""
        with self._pool_lock:
            if self._write_pool is None:
                self._write_pool = ThreadPoolExecutor(max(1, self.max_workers), thread_name_prefix="questionmark-write")
            return self._write_pool

    def observe(self, desired: Sequence[Schedule]) -> ObservedWorld:
        """List Schedules once (its pages + 1 for `$count`, read concurrently); read group members for
        group-mode accommodations and, in membership mode, each candidate list's roster."""
        listing = read_listing(self.client, self.max_workers, self.shard)
        return self._world(classify(listing, [s for s in desired if s.provider == PROVIDER]), listing)

    def _world(self, classified: Classified, listing: Listing) -> ObservedWorld:
        """The classified listing as the shared model; retired schedules only while something is still live."""
        pairs = [(raw, wanted) for raw, wanted in classified.managed.values()]
        members, rosters = self._members(pairs), self._rosters(pairs, listing)
        world = ObservedWorld(unmanaged=list(classified.unmanaged))
        for key, (raw, wanted) in classified.managed.items():
            world.managed[key] = self._named(self._observed(raw, key, wanted, listing, members, rosters), wanted)
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
        pairs = [(raw, desired)] if desired is not None else []
        return self._named(self._observed(raw, key, desired, listing, self._members(pairs),
                                          self._rosters(pairs, listing)), desired)

    def _named(self, observed: Observed, desired: Schedule | None) -> Observed:
        """The live monitoring type shown by Name where the desired schedule names it (one read of
        MonitoringTypes per run, only then)."""
        wanted = desired.questionmark if desired is not None else None
        live = observed.schedule.questionmark
        if wanted is None or wanted.monitoring is None or live is None or live.monitoring_type_id is None:
            return observed
        name = self.client.monitoring_names().get(live.monitoring_type_id, f"#{live.monitoring_type_id}")
        schedule = observed.schedule.model_copy(update={"questionmark": live.model_copy(update={"monitoring": name})})
        return replace(observed, schedule=schedule)

    def _observed(
        self, raw: dict[str, Any], key: ScheduleKey, desired: Schedule | None, listing: Listing,
        members: Mapping[Any, dict[str, int]], rosters: Mapping[int, list[dict[str, Any]]],
    ) -> Observed:
        group_id = raw.get("GroupID")
        if desired is not None and self._membership(desired) and isinstance(group_id, int):
            if not listing.seats_of(raw, desired):
                return build_membership_observed(raw, key, desired, listing, rosters.get(group_id, []))
            self._seats_kept.add(desired.key)  # a live seats-mode schedule keeps its seats
        return build_observed(raw, key, desired, listing, members.get(group_id))

    def _rosters(self, pairs: Sequence[tuple[dict[str, Any], Schedule]],
                 listing: Listing) -> dict[int, list[dict[str, Any]]]:
        """Membership mode: every participant of each schedule's group (`Groups(id)/Participants`, followed
        page by page; the groups read concurrently), but for live seats-mode schedules. A deleted group has
        none."""
        ids = sorted({int(raw["GroupID"]) for raw, wanted in pairs if self._membership(wanted)
                      and isinstance(raw.get("GroupID"), int) and not listing.seats_of(raw, wanted)})

        def read(group_id: int) -> list[dict[str, Any]]:
            try:
                return self.client.group_members(group_id)
            except NotFoundError:
                return []

        with ThreadPoolExecutor(max(1, min(self.max_workers, len(ids)))) as pool:
            return dict(zip(ids, pool.map(read, ids), strict=True))

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
        """Candidates about to lose their seat (or membership) who have attempts on it (read per seat, or per
        group schedule and exception schedule; fail closed)."""
        if isinstance(observed.live, MembershipLive):
            return self._started_members(observed.live, emails)
        live = questionmark_live(observed)
        held = live.seats if isinstance(live, SeatsLive) else {}
        seats = [(email, int(seat["ID"])) for email in sorted(emails) for seat in held.get(email, ())]

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

    def _started_members(self, live: MembershipLive, emails: frozenset[str]) -> Mapping[str, str]:
        """Members about to be removed with any Attempt through the group schedule or its exceptions, or through
        another group schedule of the same group (or its exceptions): leaving the group ends access to all."""
        schedules = {live.schedule_id, *(int(c["ID"]) for c in live.children.values())}
        try:
            if isinstance(live.group_id, int):
                schedules |= {int(s["ID"]) for s in self.client.group_schedules(live.group_id)
                              if s.get("ParticipantID") is None or s.get("ParentScheduleID") is not None}
            with ThreadPoolExecutor(max(1, min(self.max_workers, len(schedules)))) as pool:
                attempts = [a for found in pool.map(self.client.attempts, sorted(schedules)) for a in found]
        except ProviderError:
            return dict.fromkeys(sorted(emails), UNKNOWN)
        started = {int(a["ParticipantID"]) for a in attempts}
        return {email: STARTED for email in sorted(emails) if live.member_ids.get(email) in started}

    def annotate(self, change: Writing, observed: Observed | None) -> Writing:
        """The new participants apply would create for this change's added candidates (looked up by login, then
        by PrimaryEmail, as apply does; at most PLAN_LOOKUPS a run), and how they will sign in. A candidate
        that matches two participants, or cannot be given a login, blocks the change."""
        if isinstance(change, Disable) or not change.candidates.add:
            return change
        live = observed.live if observed is not None else None
        revoked = live.revoked if isinstance(live, SeatsLive) else {}
        adds = [c for c in change.candidates.add if c.email not in revoked]
        with self._pool_lock:
            budget = max(0, min(len(adds), PLAN_LOOKUPS - self._lookups))
            self._lookups += budget
        matches = people.lookup(self.client, adds[:budget], max_workers=self.max_workers,
                                scan_limit=self.config.max_participants_scanned)
        new = tuple(c.email for c, m in zip(adds, matches, strict=False) if isinstance(m, people.New))
        refused = tuple(m.reason for m in matches if isinstance(m, people.Refused))
        unchecked = len(adds) - budget
        if not (new or unchecked or refused):
            return change
        participants = NewParticipants(emails=new, sign_in=self.config.sign_in.describe(), unchecked=unchecked)
        return change.model_copy(update={"participants": participants if new or unchecked else None,
                                         "blocked": (*change.blocked, *refused)})

    def review(self, change: Writing, observed: Observed | None) -> tuple[str, ...]:
        """Reasons this change cannot be applied through the API (apply refuses, exit 3)."""
        if isinstance(change, Disable):
            return ()
        desired = change.desired
        reasons: list[str] = []
        reasons.extend(self._monitoring_problems(change))
        if self._membership(desired):
            reasons.extend(review_problems(desired, observed))
        else:
            if desired.candidates is not None and observed is not None and has_roster(observed.raw):
                reasons.append("this schedule holds its candidates as the members of its group (membership mode); "
                               "providers.questionmark.access is seats: switching an existing schedule is not done "
                               "in place — set access: membership, or retire it and declare it under a new name")
            reasons.extend(self._dedicated_group(change, observed))
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

    def _monitoring_problems(self, change: Create | Update) -> list[str]:
        """A monitoring type named in the YAML (or the default of a create) that the tenant does not have."""
        settings = change.desired.questionmark
        if settings is not None and settings.monitoring_type_id is not None:
            return []
        named = settings.monitoring if settings is not None else None
        if named is None and not isinstance(change, Create):
            return []
        if isinstance(change, Update) and not any(f.path == mapping.MONITORING for f in change.fields):
            return []
        name = named or self.config.monitoring
        types = self.client.monitoring_types()
        if name in types:
            return []
        where = "questionmark.monitoring" if named else "providers.questionmark.monitoring (the default)"
        return [f"{where} {name!r} is not a monitoring type of this tenant (assumption Q-20); GET MonitoringTypes "
                f"lists: {', '.join(sorted(types)) or 'none'}"]

    def _dedicated_group(self, change: Create | Update, observed: Observed | None) -> list[str]:
        """Seats mode: the roster group must be the tool's own, with no members (the tool never adds any). One
        read of the group's first member page, for a create or an update that adds candidates."""
        desired = change.desired
        if desired.candidates is None or (isinstance(change, Update) and not change.candidates.add):
            return []
        name = mapping.group_name(desired)
        if isinstance(change, Update) and observed is not None and observed.live is not None:
            group_id = questionmark_live(observed).group_id
        else:
            found = self.client.find_group(name)
            group_id = found.get("ID") if found else None
        if not isinstance(group_id, int):
            return []
        try:
            members, more = self.client.page(f"Groups({group_id})/Participants")
        except NotFoundError:
            return []
        if not members:
            return []
        count = f"{len(members)}{'+' if more else ''}"
        return [f"group {name!r} has {count} member(s) this tool did not put there: a candidate list in seats mode "
                "needs a group of its own (each seat carries the group's ID; members would be reported with the "
                "exam, and a tenant reading a seat as 'participant AND member' would mix the two, Q-02) — give "
                "the schedule its own `group:`, or use membership mode (set providers.questionmark.qmwise_url), "
                "where the group's members are the candidates"]

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

    def resources(self, change: Writing, observed: Observed | None) -> frozenset[str]:
        """Also the group (found or created by name) and the participants of added candidates (found or created
        by login): two changes that could both create one of them are applied one after the other."""
        names = set(super().resources(change, observed))
        if isinstance(change, (Create, Update)):
            names.add(f"group:{mapping.group_name(change.desired)}")
            names.update(f"login:{login.casefold()}"
                         for c in change.candidates.add for login in people.spellings_of(c))
            names.update(f"email:{c.email}" for c in change.candidates.add)
        return frozenset(names)

    def _writer(self, change: Writing, observed: Observed | None) -> Writer:
        """Who writes this change (see writes.Writer): through QMWISe for a membership-mode list, else OData."""
        options: dict[str, Any] = {"max_workers": self.max_workers, "shard": self.shard, "pool": self.write_pool()}
        membership = isinstance(observed.live, MembershipLive) if observed is not None else (
            isinstance(change, Create) and self._membership(change.desired))
        if self.qmwise is not None and membership and not isinstance(change, Disable):
            return MembershipWriter(self.client, self.qmwise, **options)
        return Writer(self.client, config=self.config, **options)

    def _create(self, change: Create, observed: Observed | None) -> Written:
        return Written(self._writer(change, observed).create(change.desired))

    def _update(self, change: Update, observed: Observed) -> Written:
        return Written(self._writer(change, observed).update(change, change.desired, observed))

    def _retire(self, change: Disable, observed: Observed) -> Written:
        return Written(self._writer(change, observed).disable(observed))


def make_questionmark_provider(
    config: QuestionmarkProviderConfig | None, endpoint: Endpoint, *, shard: str | None = None
) -> QuestionmarkProvider:
    """The provider for a project's `providers.questionmark` block (or a sandbox endpoint); without one, the
    settings model's defaults."""
    config = config or QuestionmarkProviderConfig()
    workers = config.max_workers
    client = QuestionmarkClient(endpoint.base_url, endpoint.user, endpoint.secret, timeout=config.timeout,
                                pool_size=max(workers, 4), max_in_flight=workers)
    access = config.access_mode
    qmwise: QmwiseClient | None = None
    url = endpoint.qmwise_url or config.qmwise_url  # the sandbox's replaces the configured
    if access == MEMBERSHIP:
        if url is None:
            raise ConfigError([Problem(Position("reconciler.yaml"), "providers.questionmark.qmwise_url",
                                       "access: membership needs the tenant's QMWISe URL")])
        user = config.qmwise_username or endpoint.user
        secret = config.qmwise_password.get_secret_value() if config.qmwise_password else endpoint.secret
        if endpoint.qmwise_url:  # the sandbox: its own login
            user, secret = endpoint.user, endpoint.secret
        qmwise = QmwiseClient(url, user, secret, timeout=config.timeout, batch=config.qmwise_batch,
                              max_in_flight=workers)
    return QuestionmarkProvider(client, max_workers=workers, shard=shard, config=config, qmwise=qmwise,
                                access=access)
