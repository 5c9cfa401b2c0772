"""Candidates → participant IDs: found, never duplicated; created (concurrently) only when nobody has them.

Lookup order, per candidate:
1. an explicit `questionmark_login` (YAML field or CSV column): the participant with that login name, whoever
   it is (the user said so); created with that login when missing;
2. otherwise the login equal to their email, then its legal spelling (`logins.login_names`), when the
   participant holding it has this email;
3. otherwise, for tenants whose logins are not emails (`jsmith`, an employee number, an SSO id), the
   participant whose `PrimaryEmail` is theirs, from the Participants feed read once per run and only when a
   candidate is not found by name (`client.participants_by_email`, bounded by
   `providers.questionmark.max_participants_scanned`; assumption Q-26).

A candidate matching two participants is an error naming both IDs. Nobody is created whose PrimaryEmail
already belongs to a participant; when the feed was longer than the bound nobody unknown is created at all
(give them `questionmark_login`). A lost answer to a create is settled by reading the login back: found, it
is ours (the login was free a moment before); not found, nothing was made. New participants then get what
`providers.questionmark.sign_in` says: an SsoId equal to the email and/or the welcome email.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

from ...errors import AmbiguousWriteError, ProviderError
from ...models import Candidate, QuestionmarkProviderConfig
from ...models.project import QuestionmarkSignIn
from . import logins
from .batch import Batch
from .client import DEFAULTS, QuestionmarkClient
from .mapping import email_of

DEFAULT_SCAN = QuestionmarkProviderConfig().max_participants_scanned


@dataclass(frozen=True)
class Found:
    participant_id: int


@dataclass(frozen=True)
class New:
    login: str


@dataclass(frozen=True)
class Refused:
    reason: str


Match = Found | New | Refused


def spellings_of(candidate: Candidate) -> tuple[str, ...]:
    """The login names a candidate is looked up by: their explicit login alone, else both email spellings."""
    if candidate.questionmark_login:
        return (candidate.questionmark_login,)
    return logins.login_names(candidate.email)


def match(client: QuestionmarkClient, candidate: Candidate, holders: Sequence[dict[str, Any]],
          scan_limit: int = DEFAULT_SCAN) -> Match:
    """Who this candidate is on the tenant (`holders`: the participants holding one of their spellings)."""
    taken = _by_login(holders)
    explicit = candidate.questionmark_login
    if explicit:
        held = taken.get(explicit.casefold())
        if held is not None and isinstance(held.get("ID"), int):
            if email_of({"PrimaryEmail": held.get("PrimaryEmail")}) != candidate.email:
                return Refused(f"{candidate.email}: questionmark_login {explicit!r} is participant {held['ID']}, whose "
                               f"PrimaryEmail is {held.get('PrimaryEmail') or 'empty'}: set it to {candidate.email} in "
                               "Questionmark (the tool reads a seat's candidate from it), or correct "
                               "questionmark_login")
            return Found(int(held["ID"]))
        return _new_or_refused(client, candidate, (explicit,), taken, scan_limit)
    mine = [int(p["ID"]) for login in logins.login_names(candidate.email)
            if (p := taken.get(login.casefold())) is not None and logins.same_person(p, candidate.email)
            and isinstance(p.get("ID"), int)]
    if len(mine) > 1:
        return Refused(_twice(candidate, mine, "by login name"))
    if mine:
        return Found(mine[0])
    return _new_or_refused(client, candidate, logins.login_names(candidate.email), taken, scan_limit)


def _new_or_refused(client: QuestionmarkClient, candidate: Candidate, spellings: Sequence[str],
                    taken: dict[str, dict[str, Any]], scan_limit: int) -> Match:
    """Not found by name: found by PrimaryEmail (one read of the feed per run), else a free login to create."""
    if scan_limit > 0:
        index = client.participants_by_email(scan_limit)
        owners = sorted(set(index.ids.get(candidate.email, ())))
        if len(owners) > 1:
            return Refused(_twice(candidate, owners, "by PrimaryEmail"))
        if owners and candidate.questionmark_login:
            return Refused(f"{candidate.email}: questionmark_login {candidate.questionmark_login!r} does not exist, "
                           f"and participant {owners[0]} already has this email: correct questionmark_login (a "
                           "second account would split their results)")
        if owners:
            return Found(owners[0])
        if not index.complete:
            return Refused(f"{candidate.email}: not found by login name, and the Participants feed has more than "
                           f"{index.read} participants (providers.questionmark.max_participants_scanned), so "
                           "whether one already has this email is unknown; not created: give the candidate "
                           "questionmark_login, or raise the setting")
    free = next((login for login in spellings if login.casefold() not in taken), None)
    if free is not None:
        return New(free)
    held = ", ".join(f"{login!r} (held by {_holder(taken, login)})" for login in spellings)
    return Refused(f"cannot give {candidate.email} a participant login: taken by other people: {held}")


def _twice(candidate: Candidate, ids: Sequence[int], how: str) -> str:
    return (f"{candidate.email} matches two participants {how}: IDs {ids[0]} and {ids[1]}; keep one (or set the "
            "candidate's questionmark_login to the right login) so their results are not split")


def lookup(client: QuestionmarkClient, candidates: Sequence[Candidate], *,
           max_workers: int = DEFAULTS.max_workers,
           scan_limit: int = DEFAULT_SCAN) -> list[Match]:
    """Each candidate's match, read concurrently (one login lookup each; the feed at most once)."""
    if not candidates:
        return []
    with ThreadPoolExecutor(max(1, min(max_workers, len(candidates)))) as pool:
        found = list(pool.map(lambda c: client.participants_named(*spellings_of(c)), candidates))
        return list(pool.map(lambda pair: match(client, pair[0], pair[1], scan_limit),
                             zip(candidates, found, strict=True)))


def resolve(
    client: QuestionmarkClient, candidates: Sequence[Candidate], *, max_workers: int = DEFAULTS.max_workers,
    sign_in: QuestionmarkSignIn | None = None, scan_limit: int = DEFAULT_SCAN,
) -> tuple[dict[str, int], list[str]]:
    """(participant ID by email, one message per candidate that was not found or created)."""
    if not candidates:
        return {}, []
    matches = lookup(client, candidates, max_workers=max_workers, scan_limit=scan_limit)
    ids: dict[str, int] = {}
    failures: list[str] = []
    with ThreadPoolExecutor(max(1, min(max_workers, len(candidates)))) as pool:
        creates = Batch(pool)  # the new people at once; a lost answer starts no more
        for candidate, found in zip(candidates, matches, strict=True):
            if isinstance(found, Found):
                ids[candidate.email] = found.participant_id
            elif isinstance(found, New):
                creates.submit(partial(_create, client, candidate, found.login, ids, failures,
                                       sign_in or QuestionmarkSignIn()))
            else:
                failures.append(found.reason)
        creates.join()
    return {c.email: ids[c.email] for c in candidates if c.email in ids}, failures


def _create(client: QuestionmarkClient, candidate: Candidate, login: str, ids: dict[str, int],
            failures: list[str], sign_in: QuestionmarkSignIn) -> None:
    body = logins.participant_body(candidate, login)
    if sign_in.sso_id == "email":
        body["SsoId"] = candidate.email
    try:
        participant_id = int(client.create_participant(body)["ID"])
    except AmbiguousWriteError:
        again = [p for p in client.participants_named(login)
                 if str(p.get("Name") or "").casefold() == login.casefold() and isinstance(p.get("ID"), int)]
        if not again:
            raise  # nothing was made: the next run creates them
        participant_id = int(again[0]["ID"])  # it landed: the login was free a moment ago, so it is ours
    ids[candidate.email] = participant_id
    if sign_in.welcome_email:
        try:
            client.send_welcome_email(participant_id)
        except ProviderError as exc:
            failures.append(f"participant {participant_id} ({candidate.email}) was created, but its welcome email "
                            f"was not sent ({exc}): send it from Questionmark (Participants → Send welcome email)")


def _by_login(holders: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(p.get("Name") or "").casefold(): p for p in holders}


def _holder(taken: dict[str, dict[str, Any]], login: str) -> str:
    held = taken.get(login.casefold())
    return (email_of(held) or "a participant without an email") if held else "?"
