"""A Mettl change as calls: one create or one edit per schedule, split only past the batch size."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ...errors import MalformedResponseError
from ...models import Candidate, Schedule
from ...observed import Observed
from ...plan import CandidateChanges, Update
from ..base import Written
from . import mapping
from .client import PROVIDER, MettlClient
from .live import mettl_live
from .retire import closing_sc
from .verify import unkept


def create(client: MettlClient, desired: Schedule, *, batch: int, source_app: str) -> Written:
    """One create; a candidate list over the batch size goes on in follow-up edits.

    Returns the access key and every written value Mettl did not keep.
    """
    candidates = list(desired.candidates or ())
    first, rest = candidates[:batch], candidates[batch:]
    source_app = (desired.mettl.source_app if desired.mettl else None) or source_app
    sc = mapping.schedule_to_sc(desired, first, source_app=source_app)
    created = client.create_schedule(desired.assessment_id, sc)
    access_key = str(created.get("accessKey") or "")
    if not access_key:
        raise MalformedResponseError(PROVIDER, "create answered without an accessKey")
    problems = unkept(sc, created)
    for chunk in _chunks(rest, batch):
        sc = {"access": {**mapping.access_to_sc(desired),
                         "candidates": {"add": [mapping.candidate_to_sc(c) for c in chunk]}}}
        problems += unkept(sc, client.edit_schedule(access_key, sc))
    return Written(access_key, problems)


def retire(client: MettlClient, observed: Observed, now: datetime) -> Written:
    """Retire: one edit that ends the window now (see retire.py)."""
    option = (observed.raw or {}).get("scheduleWindow", {}).get("fixedAccessOption")
    sc = closing_sc(observed.schedule.window, option, now)
    return Written(observed.ref, unkept(sc, client.edit_schedule(observed.ref, sc)))


def update(client: MettlClient, change: Update, observed: Observed, *, batch: int) -> Written:
    """One edit per schedule, unless the candidate delta is over the batch size."""
    spellings = mettl_live(observed).spellings
    problems: list[str] = []
    for index, part in enumerate(_split(change.candidates, batch)):
        sc = mapping.edit_sc(() if index else change.fields, part, change.desired, observed.raw or {}, spellings)
        problems += unkept(sc, client.edit_schedule(observed.ref, sc))
    return Written(observed.ref, problems)


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
