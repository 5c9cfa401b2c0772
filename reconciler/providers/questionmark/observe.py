"""Live Questionmark schedules → the shared model, in list mode (anchor + seats) or group mode.

List mode: candidates are the people with an active seat (`<mark>:seat`); window and settings are the
anchor's, except where an active seat differs (drift on a seat shows in the plan and is repaired);
`disabled` is the seats' state, and an anchor found enabled shows as `disabled: null` so the plan disables
it again. Metadata is what the anchor and every active seat share. Group mode: the group schedule itself,
accommodations from its enabled exception schedules.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import orjson
from pydantic import ValidationError

from ...errors import MalformedResponseError
from ...models import Accommodation, Candidate, Schedule, ScheduleKey
from ...observed import LiveCandidates, Observed
from . import mapping
from .client import PROVIDER
from .listing import Listing
from .live import GroupLive, QuestionmarkState, SeatsLive

_ID = itemgetter("ID")


@dataclass
class Seats:
    """An anchor's seats by person: active and revoked, and active seats whose person is unknown. `names`:
    the live name of each active person, but for those in `known` (the desired state lists them: the plan
    never removes them, so never names them)."""

    active: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    revoked: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    unnamed: list[dict[str, Any]] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, seats: Sequence[dict[str, Any]], known: frozenset[str] = frozenset()) -> Seats:
        result = cls()
        active, revoked, names = result.active, result.revoked, result.names
        for seat in seats:
            participant = seat.get("Participant")
            email = mapping.email_of(participant, known)
            seated = (mapping.parse_mark(seat.get("ExternalID")) or ("", ""))[1] == mapping.SEAT
            if email is None:
                if seated:
                    result.unnamed.append(seat)
                continue
            (active if seated else revoked).setdefault(email, []).append(seat)
            if seated and email not in known and email not in names and participant is not None:
                names[email] = mapping.name_of(participant, email)
        return result

    def all_active(self) -> list[dict[str, Any]]:
        return sorted([s for seats in self.active.values() for s in seats] + self.unnamed, key=_ID)


def metadata_of(raw: Mapping[str, Any]) -> dict[str, str]:
    """A schedule's metadata (the first value of a key, by ID, when a key was posted twice)."""
    items = raw.get("ScheduleMetadata")
    out: dict[str, str] = {}
    if not items:
        return out
    for item in sorted(items, key=lambda m: int(m.get("ID") or 0)):
        key, value = item.get("Key"), item.get("Value")
        if isinstance(key, str) and key not in out:
            out[key] = "" if value is None else str(value)
    return out


def shared_metadata(each: Sequence[Mapping[str, str]]) -> dict[str, str]:
    """Keys every holder's metadata has: their value, or the differing values joined by ` | ` (shown, then
    blocked)."""
    if all(m == each[0] for m in each):
        return dict(sorted(each[0].items())) if each else {}
    out: dict[str, str] = {}
    for key in sorted({k for m in each for k in m}):
        values = [m.get(key) for m in each]
        if all(v is not None for v in values):
            out[key] = " | ".join(sorted({str(v) for v in values}))
    return out


def is_list_mode(raw: Mapping[str, Any], seats: Sequence[Any], desired: Schedule | None) -> bool:
    """Seats make an anchor; a disabled schedule without seats is whatever the desired state says."""
    if seats:
        return True
    return raw.get("Disabled") is True and desired is not None and desired.candidates is not None


def _wanted_disabled(desired: Schedule | None) -> bool | None:
    return desired.questionmark.disabled if desired is not None and desired.questionmark else None


def anchor_view(raw: Mapping[str, Any], seats: Seats, desired: Schedule | None) -> dict[str, Any]:
    """The anchor's properties as the model reads them: a seat that differs shows through (ExtraTime and
    MaxAttempts only where no accommodation explains it); `Disabled` as described above."""
    view = dict(raw)
    everyone: list[tuple[str | None, dict[str, Any]]] = [(email, s) for email, group in seats.active.items()
                                                         for s in group]
    everyone += [(None, s) for s in seats.unnamed]
    personal = set(mapping.ACCOMMODATION_PROPS.values())
    props = [prop for prop in mapping.INHERITED if (desired is not None or prop not in personal) and prop != "Hidden"]
    # without a desired state a seat's own ExtraTime/MaxAttempts is its accommodation
    wire = tuple(map(raw.get, props))
    kinds = tuple(map(type, wire))
    differing = [(email, seat) for email, seat in everyone  # a seat equal to the anchor in all of them shows nothing
              if (values := tuple(map(seat.get, props))) != wire or tuple(map(type, values)) != kinds]
    accommodated = desired.accommodations if desired is not None else {}
    none: dict[str, Any] = {}
    overridden = [mapping.accommodation_overrides(desired, email) if desired and email in accommodated else none
                  for email, _ in differing]
    for prop in props:
        anchor = raw.get(prop)
        kind = type(anchor)
        for (_, seat), overrides in zip(differing, overridden, strict=True):
            value = seat.get(prop)
            if value is anchor or (value == anchor and type(value) is kind) or prop in overrides or (
                    mapping.same_value(prop, value, anchor)):
                continue  # the same object (None, True, False) or text, explained, or the same instant
            view[prop] = value
            break
    view["Hidden"] = _seats_hidden(raw, [seat for _, seat in everyone], desired)
    wanted = _wanted_disabled(desired)
    states = {seat.get("Disabled") is True for _, seat in everyone}
    if raw.get("Disabled") is not True:
        view["Disabled"] = None  # open to the whole group: never as desired
    elif len(states) == 1:
        view["Disabled"] = states.pop()
    else:  # mixed: show the state the plan must change; no seats: nothing to change
        view["Disabled"] = (not wanted if states else wanted) if wanted is not None else not states
    return view


def _seats_hidden(raw: Mapping[str, Any], seats: Sequence[Mapping[str, Any]], desired: Schedule | None) -> Any:
    """`hidden` of a candidate list is its seats' (the anchor is always hidden): their one value; mixed, the
    value the plan must change; no seats, the desired value (nothing to change) or the anchor's."""
    wanted = desired.questionmark.hidden if desired is not None and desired.questionmark else None
    states = {seat.get("Hidden") for seat in seats}
    if len(states) == 1:
        return states.pop()
    if states:
        return (not wanted) if wanted is not None else True
    return wanted if wanted is not None else raw.get("Hidden")


def _accommodation(schedule: Mapping[str, Any]) -> Accommodation:
    attempts = schedule.get("MaxAttempts")
    return Accommodation(extra_time=schedule.get("ExtraTime"),
                         max_attempts=attempts if isinstance(attempts, int) and attempts >= 1 else None)


def build_observed(
    raw: dict[str, Any], key: ScheduleKey, desired: Schedule | None, listing: Listing,
    members: Mapping[str, int] | None = None,
) -> Observed:
    """One owned schedule as the shared model. `members`: the group's participants by email, when read."""
    zone = mapping.zone_of(desired)
    seats_raw, children = listing.seats_of(raw, desired), listing.children_of(raw)
    known = desired.candidate_emails() if desired is not None and desired.candidates is not None else frozenset()
    seats = Seats.of(seats_raw, known)
    metadata_by_id = {int(h["ID"]): metadata_of(h) for h in [raw, *seats_raw, *children]}
    live_candidates: LiveCandidates | None = None
    group: dict[str, Any] = raw["Group"] if isinstance(raw.get("Group"), dict) else {}
    state: QuestionmarkState
    if is_list_mode(raw, seats_raw, desired):
        active = seats.all_active()
        view = anchor_view(raw, seats, desired)
        candidates: tuple[Candidate, ...] | None = ()  # the live list is `live_candidates`
        if desired is None:  # nothing to diff against (import, retirement): every candidate in full
            candidates = tuple(Candidate.read(email, seats.names[email]) for email in sorted(seats.active))
        else:
            live_candidates = LiveCandidates(frozenset(seats.active), seats.names)
        accommodated = seats.active if desired is None else {  # the diff compares the desired ones only
            email: group for email, group in seats.active.items() if email in desired.accommodations}
        accommodations = {email: _accommodation(group_seats[0]) for email, group_seats in accommodated.items()}
        metadata = shared_metadata([metadata_by_id[int(h["ID"])] for h in [raw, *active]])
        off = raw.get("Disabled") is True and all(s.get("Disabled") is True for s in active)
        state = SeatsLive(disabled=off, view=view, metadata=metadata_by_id, seats=seats.active,
                          revoked=seats.revoked, active_seats=active, **_common(raw, members, seats_raw, children))
    else:
        enabled = [c for c in children if c.get("Disabled") is not True]
        by_email: dict[str, dict[str, Any]] = {}
        for child in children:
            email = mapping.email_of(child.get("Participant"))
            if email is not None:
                by_email.setdefault(email, child)
        view, candidates, metadata = dict(raw), None, metadata_of(raw)
        accommodations = {e: _accommodation(c) for e, c in by_email.items() if c.get("Disabled") is not True}
        off = raw.get("Disabled") is True and not enabled
        state = GroupLive(disabled=off, view=view, metadata=metadata_by_id, children=by_email,
                          enabled_children=enabled, **_common(raw, members, seats_raw, children))
    try:
        schedule = Schedule(
            name=str(raw.get("Name") or key.name), provider=PROVIDER, assessment_id=key.assessment_id,
            window=mapping.window_from_wire(view, zone),
            group=str(group["Name"]) if group.get("Name") is not None else None,
            candidates=candidates, accommodations=accommodations, metadata=metadata,
            questionmark=mapping.settings_from_wire(view, zone),
        )
    except (ValidationError, ValueError, TypeError) as exc:
        raise MalformedResponseError(PROVIDER, f"cannot read schedule {raw.get('ID')}: {exc}") from None
    if view.get("Disabled") is None and schedule.questionmark is not None:  # the model reads "not said" as false
        unset = schedule.questionmark.model_copy(update={"disabled": None})
        schedule = schedule.model_copy(update={"questionmark": unset})
    return Observed(schedule=schedule, ref=str(raw["ID"]), fingerprint=fingerprint(raw, seats_raw, children), raw=raw,
                    live=state, candidates=live_candidates)


def _common(raw: Mapping[str, Any], members: Mapping[str, int] | None, seats: Sequence[dict[str, Any]],
            children: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """What the state of every access mode holds: the schedule, its group (and members, when read), and every
    seat and exception schedule, active or not."""
    return {"schedule_id": int(raw["ID"]), "group_id": raw.get("GroupID"), "members": members,
            "holders": [*seats, *children]}


def fingerprint(raw: Mapping[str, Any], seats: Sequence[Mapping[str, Any]],
                children: Sequence[Mapping[str, Any]]) -> str:
    """A short hash of the schedule, its seats and exceptions as read: any change to one of them changes it.
    Canonical JSON (orjson, keys sorted), so the same answer hashes alike on every Python version and
    platform (a saved plan made on one applies on another)."""
    try:
        data = orjson.dumps((raw, seats, children), option=orjson.OPT_SORT_KEYS)
    except TypeError:  # an integer past 64 bits (an answer parsed by the slow path): the standard library's JSON
        data = json.dumps((raw, seats, children), sort_keys=True, separators=(",", ":")).encode()
    return hashlib.blake2b(data, digest_size=8).hexdigest()
