"""Live Mettl schedules → the shared model: list each assessment, read each schedule that may be ours in full.

Identity is (assessment_id, name); a schedule carrying this project's `sourceApp` and no longer declared is
retired (assumption M-13), another shard's is neither retired nor reported, the others are unmanaged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ...errors import MalformedResponseError
from ...models import Schedule, ScheduleKey
from ...models.identity import live_name
from ...observed import Observed, ObservedWorld
from ...plan import UnmanagedSchedule, fingerprint_bytes
from . import mapping
from .client import PROVIDER, MettlClient
from .live import MettlLive
from .retire import is_closed, retirement
from .roster import read_roster


@dataclass(frozen=True)
class Reader:
    """One read of the live state, with the provider's settings of the moment."""

    client: MettlClient
    max_workers: int
    source_app: str
    family: str  # the project's sourceApp without a shard: `<family>/<shard>` siblings
    now: Callable[[], datetime]  # when a window counts as ended

    def world(self, desired: Sequence[Schedule]) -> ObservedWorld:
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
            adopted = _adopted(mine, listings)
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
            reads = pool.map(lambda item: self.read(item[1].assessment_id, item[2], wanted.get(item[0])), to_read)
            for (key, live, access_key), observed in zip(to_read, reads, strict=True):
                if live in adopted:
                    world.managed[key] = observed
                elif (observed.raw or {}).get("sourceApp") != self.source_app:
                    if not self._sibling((observed.raw or {}).get("sourceApp")):
                        world.unmanaged.append(_unmanaged(live, access_key))
                elif not observed.live.disabled:
                    world.retired[live] = observed
        return world

    def one(self, key: ScheduleKey, desired: Schedule | None) -> Observed | None:
        """Re-read one schedule by its name (None: not there)."""
        for summary in self.client.assessment_schedules(key.assessment_id):
            if summary.get("name") == key.name:
                return self.read(key.assessment_id, str(summary.get("accessKey") or ""), desired)
        return None

    def _sibling(self, source_app: object) -> bool:
        """Another shard's schedule (sourceApp `<family>` or `<family>/<other shard>`): neither retired nor
        reported here. assumption M-13."""
        return source_app != self.source_app and (
            source_app == self.family or str(source_app).startswith(self.family + "/"))

    def _list(self, assessment_id: str) -> list[dict[str, Any]]:
        return list(self.client.assessment_schedules(assessment_id))

    def read(self, assessment_id: str, access_key: str, desired: Schedule | None = None) -> Observed:
        """GET one schedule by its access key, as observed state."""
        if not access_key:
            raise MalformedResponseError(PROVIDER, "a listed schedule has no accessKey")
        raw, content = self.client.schedule_answer(access_key)
        return observed_of(assessment_id, raw, fingerprint_bytes(content), desired, self.now())


def observed_of(assessment_id: str, raw: dict[str, Any], printed: str, desired: Schedule | None,
                now: datetime) -> Observed:
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
        live=MettlLive(spellings=roster.spellings, disabled=is_closed(schedule.window, now),
                       retirement=retirement(schedule.window),
                       noted={e: f"submissionDate {d}" for e, d in roster.submitted.items()}),
        candidates=roster.live,
    )


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


def _may_be_ours(summary: Mapping[str, Any], source_app: str) -> bool:
    """A listed schedule that may carry this project's sourceApp (read it in full to know, unless the
    listing already shows another one). assumption M-13: that sourceApp marks the schedules this project made."""
    return "sourceApp" not in summary or summary.get("sourceApp") == source_app


def _unmanaged(key: ScheduleKey, access_key: str) -> UnmanagedSchedule:
    return UnmanagedSchedule(provider=PROVIDER, assessment_id=key.assessment_id, name=key.name, ref=access_key)
