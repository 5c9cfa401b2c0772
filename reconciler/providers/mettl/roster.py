"""A live Mettl schedule's candidate list, read in one pass: what the plan needs of it, nothing more."""

from __future__ import annotations

import operator
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ...models import Candidate, normalize_email
from ...models.base import checked_email
from ...observed import LiveCandidates


@dataclass(frozen=True, slots=True)
class Roster:
    """`live`: the candidate list as the diff needs it, None unless the schedule is ByInvitation. `spellings`:
    normalised email → the spelling Mettl holds, only where the two differ (a removal must name it so).
    `submitted`: email → its inline `submissionDate`, where one is set: a deadline or a submission, never proof
    of one (assumption M-18); the status rows decide who stays, this only explains a row without a status."""

    live: LiveCandidates | None
    spellings: dict[str, str]
    submitted: dict[str, str]


def read_roster(raw: dict[str, Any], desired: Iterable[str] = ()) -> Roster:
    """Every listed candidate normalised once. `desired`: the normalised emails the desired state lists; a live
    email equal to one of them is that (already validated) string, and its name is not kept (the plan never
    removes it). Any other email is checked: ValueError/KeyError/TypeError on a candidate that is not one."""
    access = raw.get("access") or {}
    invited = access.get("type") == "ByInvitation"
    items = access.get("candidates") or ()
    quick = _as_desired(items, desired)
    if quick is not None:
        live = LiveCandidates(quick, {}) if invited else None
        dated = any(map(operator.methodcaller("get", "submissionDate"), items))
        return Roster(live, {}, {c["email"]: str(c["submissionDate"]) for c in items if c.get("submissionDate")}
                      if dated else {})
    known = {email: email for email in desired}
    emails: list[str] = []
    names: dict[str, str] = {}
    spellings: dict[str, str] = {}
    submitted: dict[str, str] = {}
    for item in items:
        held = item["email"]
        if not isinstance(held, str):
            raise TypeError(f"not a candidate email: {held!r}")
        email = known.get(normalize_email(held))
        if email is None:
            email = checked_email(held) if invited else normalize_email(held)
            names[email] = _name(item.get("name"), held)
        emails.append(email)
        if email != held:
            spellings[email] = held
        if item.get("submissionDate"):
            submitted[email] = str(item["submissionDate"])
    live = LiveCandidates(frozenset(emails), names) if invited else None
    return Roster(live, spellings, submitted)


def _as_desired(items: Iterable[dict[str, Any]], desired: Iterable[str]) -> frozenset[str] | None:
    """`desired` itself (its strings, not copies) when the emails of `items` are exactly those, each ASCII and
    spelt as desired (normalising it would leave it as it is): the usual unchanged list, read by C-level
    loops. None otherwise (read one by one)."""
    held = list(map(operator.itemgetter("email"), items))
    if not (set(map(type, held)) <= {str} and "".join(held).isascii()):
        return None
    wanted = desired if isinstance(desired, frozenset) else frozenset(desired)
    return wanted if wanted == frozenset(held) else None


def full_candidates(raw: dict[str, Any]) -> tuple[Candidate, ...] | None:
    """Every listed candidate as the shared model (for import), None unless the schedule is ByInvitation."""
    access = raw.get("access") or {}
    if access.get("type") != "ByInvitation":
        return None
    return tuple(Candidate.read(c["email"], _name(c.get("name"), c["email"])) for c in access.get("candidates") or ())


def _name(name: object, email: str) -> str:
    if name is not None and not isinstance(name, str):
        raise TypeError(f"not a candidate name: {name!r}")
    return name or email
