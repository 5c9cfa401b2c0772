"""A live Mettl schedule's candidate list, read in one pass: what the plan needs of it, nothing more."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...models import Candidate, normalize_email


@dataclass(frozen=True, slots=True)
class Roster:
    """`candidates`: None unless the schedule is ByInvitation. `spellings`: normalised email → the spelling
    Mettl holds, only where the two differ (a removal must name it so). `protected`: email → why it is never
    removed (submitted)."""

    candidates: tuple[Candidate, ...] | None
    spellings: dict[str, str]
    protected: dict[str, str]


def read_roster(raw: dict[str, Any]) -> Roster:
    """Every listed candidate normalised once. ValueError/KeyError/TypeError on a candidate that is not one."""
    access = raw.get("access") or {}
    invited = access.get("type") == "ByInvitation"
    candidates: list[Candidate] = []
    spellings: dict[str, str] = {}
    protected: dict[str, str] = {}
    for item in access.get("candidates") or ():
        held = item["email"]
        if invited:
            candidate = Candidate.read(held, item.get("name") or held)
            candidates.append(candidate)
            email = candidate.email
        else:
            email = normalize_email(str(held))
        if email != held:
            spellings[email] = str(held)
        if item.get("submissionDate"):
            protected[email] = "has submitted"
    return Roster(tuple(candidates) if invited else None, spellings, protected)
