"""Checks that only desired state gets, at validate: what a scheduler expects of a schedule written by hand.

Observed schedules are read as the vendors hold them, so these rules live here and not in the models:
names without stray spaces, assessment ids each vendor can take, IANA city zones, and windows that are
not over (unless the schedule says `archived: true`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from importlib import resources

import reconciler.providers.mettl.rules as mettl
import reconciler.providers.questionmark.rules as questionmark

from ..models import ScheduleDoc, ScheduleKey
from ..vendors import VendorRules
from .yaml_source import Loc

VENDOR_RULES: dict[str, VendorRules] = {"mettl": mettl, "questionmark": questionmark}
"""Each vendor's own rules (its package's `rules` module)."""
_FIXED = re.compile(r"^UTC([+-]\d{2}:\d{2})?$")
_UTC_LINKS = {"Etc/UTC", "Etc/GMT"}
_POSIX_STYLE = {  # the region each POSIX-style name is usually meant for (EST itself has no summer time)
    "EST5EDT": "America/New_York", "CST6CDT": "America/Chicago", "MST7MDT": "America/Denver",
    "PST8PDT": "America/Los_Angeles", "MST": "America/Phoenix", "HST": "Pacific/Honolulu",
}


def schedule_problems(schedule: ScheduleDoc, now: datetime | None) -> list[tuple[Loc, str]]:
    """(field path relative to the schedule, message) for each rule the schedule breaks.

    now: windows that ended before it are errors; None skips that check (a past snapshot, e.g. a baseline).
    """
    found: list[tuple[Loc, str]] = []
    if schedule.name != schedule.name.strip():
        found.append((("name",), f"leading or trailing spaces in {_short(schedule.name)}: write "
                                 f"{_short(schedule.name.strip())}"))
    problem = assessment_id_problem(schedule.provider, schedule.assessment_id)
    if problem:
        found.append((("assessment_id",), problem))
    window = schedule.window
    if window is not None:
        problem = legacy_zone_problem(window.time_zone)
        if problem:
            found.append((("window", "time_zone"), problem))
        if now is not None and not schedule.archived and window.end_utc <= now:
            found.append((("window",), f"the window is over (it ended {window.end.isoformat()} {window.time_zone}): "
                                       "move it, or mark the schedule archived: true to keep it as written"))
    return found


def previous_name_problems(schedules: Sequence[ScheduleDoc]) -> list[tuple[int, str]]:
    """(index, message) for each previous name that is another declared schedule's name, or that two
    schedules both claim, in the same provider and assessment: a rename must name one live schedule."""
    declared = {s.key: i for i, s in enumerate(schedules)}
    claimed: dict[ScheduleKey, int] = {}
    found: list[tuple[int, str]] = []
    for index, schedule in enumerate(schedules):
        for old in schedule.previous_names:
            key = ScheduleKey(schedule.provider, schedule.assessment_id, old)
            if old != old.strip():
                found.append((index, f"leading or trailing spaces in previous name {_short(old)}"))
            if key in declared and declared[key] != index:
                found.append((index, f"previous name {_short(old)} is the name of another declared schedule "
                                     f"in assessment {schedule.assessment_id}"))
            elif key in claimed and claimed[key] != index:
                found.append((index, f"previous name {_short(old)} is also a previous name of "
                                     f"{_short(schedules[claimed[key]].name)}"))
            claimed.setdefault(key, index)
    return found


def assessment_id_problem(provider: str, assessment_id: str) -> str | None:
    """An assessment id is a number without leading zeros, and one the vendor takes (its `rules` module)."""
    rules = VENDOR_RULES[provider]
    if re.fullmatch(r"[1-9][0-9]*", assessment_id):
        return rules.assessment_number_problem(int(assessment_id))
    if re.fullmatch(r"0[0-9]*", assessment_id):
        return "an assessment id is a number without leading zeros"
    return f"{_short(assessment_id)} is not an assessment id: {rules.ASSESSMENT_ID}"


def legacy_zone_problem(zone: str) -> str | None:
    """A message for a zone name kept only for compatibility (EST, PST8PDT, US/Eastern, Asia/Calcutta…)."""
    cities = _city_zones()
    if _FIXED.match(zone) or not cities or zone in cities:
        return None
    target = _links().get(zone)
    if target in _UTC_LINKS:
        return f"{zone!r} is a legacy zone name: write UTC (or a fixed offset such as UTC+05:30)"
    if target in cities and "/" in zone:
        return f"{zone!r} is a legacy zone name: use the IANA city zone {target}"
    example = _POSIX_STYLE.get(zone, "America/New_York")
    return f"{zone!r} is a legacy zone name: use an IANA city zone such as {example} (or UTC+05:30)"


@lru_cache(maxsize=1)
def _city_zones() -> frozenset[str]:
    """The zones of zone.tab: one or more per country, named after a city."""
    lines = _tzdata_lines("zone.tab")
    return frozenset(line.split("\t")[2] for line in lines if line and not line.startswith("#"))


@lru_cache(maxsize=1)
def _links() -> dict[str, str]:
    """Link name → target, from tzdata.zi (`L America/New_York US/Eastern`)."""
    return {parts[2]: parts[1] for parts in (line.split() for line in _tzdata_lines("tzdata.zi"))
            if len(parts) == 3 and parts[0] == "L"}


def _tzdata_lines(name: str) -> list[str]:
    try:
        return (resources.files("tzdata.zoneinfo") / name).read_text(encoding="utf-8").splitlines()
    except (ModuleNotFoundError, OSError):  # no tzdata package: the check is skipped
        return []


def _short(text: str, limit: int = 60) -> str:
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "…"
