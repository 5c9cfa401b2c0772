"""Candidates → participant IDs: found by login name (one GET each, run concurrently), created if missing
(concurrently too).

Participants are never patched or deleted. A login name held by someone else (another `PrimaryEmail`) makes
the second spelling the candidate's; when both are taken, that candidate fails with a message naming both.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from ...models import Candidate
from . import logins
from .batch import Batch
from .client import QuestionmarkClient
from .mapping import email_of


def resolve(
    client: QuestionmarkClient, candidates: Sequence[Candidate], *, max_workers: int = 8
) -> tuple[dict[str, int], list[str]]:
    """(participant ID by email, one message per candidate that could not be given a login)."""
    if not candidates:
        return {}, []
    names = [logins.login_names(c.email) for c in candidates]
    ids: dict[str, int] = {}
    failures: list[str] = []
    with ThreadPoolExecutor(max(1, min(max_workers, len(candidates)))) as pool:
        found = list(pool.map(lambda pair: client.participants_named(*pair), names))
        creates = Batch(pool)  # the new people at once; a lost answer starts no more
        for candidate, spellings, holders in zip(candidates, names, found, strict=True):
            chosen = _choose(candidate.email, spellings, holders)
            if isinstance(chosen, int):
                ids[candidate.email] = chosen
            elif chosen is not None:
                creates.submit(partial(_create, client, candidate, chosen, ids))
            else:
                taken = ", ".join(f"{login!r} (held by {_holder(login, holders)})" for login in spellings)
                failures.append(f"cannot give {candidate.email} a participant login: both spellings are taken by "
                                f"other people: {taken}")
        creates.join()
    return {c.email: ids[c.email] for c in candidates if c.email in ids}, failures


def _create(client: QuestionmarkClient, candidate: Candidate, login: str, ids: dict[str, int]) -> None:
    ids[candidate.email] = int(client.create_participant(logins.participant_body(candidate, login))["ID"])


def _by_login(holders: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(p.get("Name") or "").casefold(): p for p in holders}


def _choose(email: str, spellings: tuple[str, str], holders: Sequence[dict[str, Any]]) -> int | str | None:
    """The ID of this person's participant, else the free login to create them with, else None."""
    taken = _by_login(holders)
    for login in spellings:
        held = taken.get(login.casefold())
        if held is not None and logins.same_person(held, email) and isinstance(held.get("ID"), int):
            return int(held["ID"])
    return next((login for login in spellings if login.casefold() not in taken), None)


def _holder(login: str, holders: Sequence[dict[str, Any]]) -> str:
    held = _by_login(holders).get(login.casefold())
    return (email_of(held) or "a participant without an email") if held else "?"
