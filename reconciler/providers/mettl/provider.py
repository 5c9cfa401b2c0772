"""The Mettl provider: reads schedules into the shared models, applies a change with the fewest calls."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from ...errors import MalformedResponseError
from ...models import Candidate, MettlProviderConfig, Schedule, ScheduleKey
from ...models_identity import live_name
from ...observed import Observed, ObservedWorld
from ...plan import CandidateChanges, Create, Disable, UnmanagedSchedule, Update, fingerprint_bytes
from ..base import Endpoint, Provider, Written
from . import mapping
from .client import PROVIDER, MettlClient
from .live import MettlLive, mettl_live
from .retire import closing_sc, is_closed, retirement
from .roster import read_roster
from .status import removal_blockers
from .verify import unkept


class MettlProvider(Provider):
    """Identity is (assessment_id, name); a schedule no longer declared is retired only when it carries this
    project's sourceApp (and prune is on); the others are reported, never touched."""

    name = PROVIDER

    def __init__(
        self,
        client: MettlClient,
        *,
        max_workers: int = 8,
        max_candidates_per_edit: int = 2000,
        source_app: str = "reconciler",
        family: str | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client = client
        self.max_workers = max_workers
        self.batch = max_candidates_per_edit
        self.source_app = source_app
        self.family = family or source_app  # the project's sourceApp without a shard: `<family>/<shard>` siblings
        self.now = now  # when a window counts as ended, and when a retirement closes it

    def clients(self) -> tuple[MettlClient]:
        return (self.client,)

    def observe(self, desired: Sequence[Schedule]) -> ObservedWorld:
        """List every assessment the desired state names, then read each managed schedule in full.

        A desired schedule is the live one under its name, else under a previous name (adopted, then renamed).
        Of the others, those carrying this project's `sourceApp` are no longer declared (`retired`, unless their
        window has ended: already retired); the rest are unmanaged.
        """
        mine = [s for s in desired if s.provider == PROVIDER]
        assessments = sorted({s.assessment_id for s in mine})
        world = ObservedWorld()
        with ThreadPoolExecutor(self.max_workers) as pool:
            listings = dict(zip(assessments, pool.map(self._list, assessments), strict=True))
            adopted = self._adopted(mine, listings)
            to_read: list[tuple[ScheduleKey, ScheduleKey, str]] = []  # (desired key, live key, access key)
            for assessment_id, summaries in listings.items():
                for summary in summaries:
                    live = ScheduleKey(PROVIDER, assessment_id, str(summary.get("name")))
                    access_key = str(summary.get("accessKey") or "")
                    if live in adopted or _may_be_ours(summary, self.source_app):
                        to_read.append((adopted.get(live, live), live, access_key))
                    elif not self._sibling(summary.get("sourceApp")):
                        world.unmanaged.append(_unmanaged(live, access_key))
            wanted = {s.key: s for s in mine}
            reads = pool.map(lambda item: self._read(item[1].assessment_id, item[2], wanted.get(item[0])), to_read)
            for (key, live, access_key), observed in zip(to_read, reads, strict=True):
                if live in adopted:
                    world.managed[key] = observed
                elif (observed.raw or {}).get("sourceApp") != self.source_app:
                    if not self._sibling((observed.raw or {}).get("sourceApp")):
                        world.unmanaged.append(_unmanaged(live, access_key))
                elif not observed.live.disabled:
                    world.retired[live] = observed
        return world

    def _sibling(self, source_app: object) -> bool:
        """Another shard's schedule (sourceApp `<family>` or `<family>/<other shard>`): neither retired nor
        reported here. assumption M-13."""
        return source_app != self.source_app and (
            source_app == self.family or str(source_app).startswith(self.family + "/"))

    @staticmethod
    def _adopted(desired: Sequence[Schedule], listings: Mapping[str, Sequence[dict[str, Any]]]
                 ) -> dict[ScheduleKey, ScheduleKey]:
        """Live key → desired key, for every desired schedule found live under its name or a previous one."""
        adopted: dict[ScheduleKey, ScheduleKey] = {}
        listed = {assessment_id: {str(summary.get("name")) for summary in summaries}
                  for assessment_id, summaries in listings.items()}
        for schedule in desired:
            name = live_name(schedule, listed[schedule.assessment_id].__contains__)
            if name is not None:
                adopted[ScheduleKey(PROVIDER, schedule.assessment_id, name)] = schedule.key
        return adopted

    def _list(self, assessment_id: str) -> list[dict[str, Any]]:
        return list(self.client.assessment_schedules(assessment_id))

    def _read(self, assessment_id: str, access_key: str, desired: Schedule | None = None) -> Observed:
        if not access_key:
            raise MalformedResponseError(PROVIDER, "a listed schedule has no accessKey")
        raw, content = self.client.schedule_answer(access_key)
        return self.observed_of(assessment_id, raw, fingerprint_bytes(content), desired)

    def observed_of(self, assessment_id: str, raw: dict[str, Any], printed: str,
                    desired: Schedule | None = None) -> Observed:
        """A read schedule (`raw`: its checked answer) as observed state; its candidates kept as the diff needs
        them (`desired`: the schedule it is compared with). `printed`: the fingerprint of the answer's bytes
        (one GET per schedule: a change shows in them). assumption M-14."""
        try:
            roster = read_roster(raw, desired.candidate_emails() if desired else ())
            schedule = mapping.schedule_from_sc(raw, assessment_id, lean=True)
        except (KeyError, ValueError, TypeError) as exc:
            raise MalformedResponseError(
                PROVIDER, f"cannot read schedule {raw.get('accessKey')!r}: {exc}") from None
        settings_only = {k: v for k, v in raw.items() if k != "access"}  # apply never needs the candidate list
        return Observed(
            schedule=schedule,
            ref=str(raw.get("accessKey")),
            fingerprint=printed,
            raw=settings_only,
            live=MettlLive(spellings=roster.spellings, disabled=is_closed(schedule.window, self.now()),
                           retirement=retirement(schedule.window),
                           noted={e: f"submissionDate {d}" for e, d in roster.submitted.items()}),
            candidates=roster.live,
        )

    def started(self, observed: Observed, emails: frozenset[str]) -> dict[str, str]:
        """Those of `emails` who may not be removed, with why: read from each candidate's `testStatus`.

        Fail closed: a candidate without a readable status row is kept ("status unknown"; with an inline
        `submissionDate`, "may have submitted": assumption M-18).
        """
        return removal_blockers(self.client.schedule_candidates(observed.ref), emails, observed.live.noted)

    def observe_one(self, key: ScheduleKey, desired: Schedule | None) -> Observed | None:
        for summary in self.client.assessment_schedules(key.assessment_id):
            if summary.get("name") == key.name:
                return self._read(key.assessment_id, str(summary.get("accessKey") or ""), desired)
        return None

    def _create(self, change: Create, observed: Observed | None) -> Written:
        """One create; a candidate list over the batch size goes on in follow-up edits.

        Returns the access key and every written value Mettl did not keep.
        """
        desired = change.desired
        candidates = list(desired.candidates or ())
        first, rest = candidates[: self.batch], candidates[self.batch :]
        source_app = (desired.mettl.source_app if desired.mettl else None) or self.source_app
        sc = mapping.schedule_to_sc(desired, first, source_app=source_app)
        created = self.client.create_schedule(desired.assessment_id, sc)
        access_key = str(created.get("accessKey") or "")
        if not access_key:
            raise MalformedResponseError(PROVIDER, "create answered without an accessKey")
        problems = unkept(sc, created)
        for chunk in _chunks(rest, self.batch):
            sc = {"access": {**mapping.access_to_sc(desired),
                             "candidates": {"add": [mapping.candidate_to_sc(c) for c in chunk]}}}
            problems += unkept(sc, self.client.edit_schedule(access_key, sc))
        return Written(access_key, problems)

    def _retire(self, change: Disable, observed: Observed) -> Written:
        """Retire: one edit that ends the window now (see retire.py)."""
        option = (observed.raw or {}).get("scheduleWindow", {}).get("fixedAccessOption")
        sc = closing_sc(observed.schedule.window, option, self.now())
        return Written(observed.ref, unkept(sc, self.client.edit_schedule(observed.ref, sc)))

    def _update(self, change: Update, observed: Observed) -> Written:
        """One edit per schedule, unless the candidate delta is over the batch size."""
        desired = change.desired
        spellings = mettl_live(observed).spellings
        problems: list[str] = []
        for index, part in enumerate(_split(change.candidates, self.batch)):
            sc = mapping.edit_sc(() if index else change.fields, part, desired, observed.raw or {}, spellings)
            problems += unkept(sc, self.client.edit_schedule(observed.ref, sc))
        return Written(observed.ref, problems)


def _may_be_ours(summary: Mapping[str, Any], source_app: str) -> bool:
    """A listed schedule that may carry this project's sourceApp (read it in full to know, unless the
    listing already shows another one). assumption M-13: that sourceApp marks the schedules this project made."""
    return "sourceApp" not in summary or summary.get("sourceApp") == source_app


def _unmanaged(key: ScheduleKey, access_key: str) -> UnmanagedSchedule:
    return UnmanagedSchedule(provider=PROVIDER, assessment_id=key.assessment_id, name=key.name, ref=access_key)


def _chunks(items: Sequence[Candidate], size: int) -> list[Sequence[Candidate]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _split(candidates: CandidateChanges, size: int) -> list[CandidateChanges]:
    """Split adds and removes so no edit carries more than `size` candidates."""
    work: list[tuple[str, Any]] = [("add", c) for c in candidates.add] + [("remove", e) for e in candidates.remove]
    if len(work) <= size:
        return [candidates]
    parts = []
    for i in range(0, len(work), size):
        chunk = work[i : i + size]
        parts.append(CandidateChanges(
            add=tuple(c for kind, c in chunk if kind == "add"),
            remove=tuple(e for kind, e in chunk if kind == "remove"),
        ))
    return parts


def make_mettl_provider(
    config: MettlProviderConfig | None, endpoint: Endpoint, *, shard: str | None = None
) -> MettlProvider:
    """The provider for a project's `providers.mettl` block (or a sandbox endpoint); without one, the
    settings model's defaults."""
    config = config or MettlProviderConfig()
    workers = config.max_workers
    client = MettlClient(endpoint.base_url, endpoint.user, endpoint.secret, version=config.api_version,
                         timeout=config.timeout, pool_size=max(workers, 4))
    source_app = config.source_app
    own = f"{source_app}/{shard}" if shard else source_app  # assumption M-13: a shard's own sourceApp
    return MettlProvider(client, max_workers=workers, max_candidates_per_edit=config.max_candidates_per_edit,
                         source_app=own, family=source_app)
