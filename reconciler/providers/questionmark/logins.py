"""Participant login names (`Participant.Name`) for candidates, and the POST body that creates them.

`model/g_participant.rst`: a login name is unique, at most 200 characters and contains none of
`" ' & \\ / , | £ < > : #`. A valid email such as `sean.o'brien@example.com` is therefore not always a legal
login: such an email gets a stable legal spelling (illegal characters replaced, a short hash of the email
appended). Every candidate has two deterministic spellings; the second is used when another person already
holds the first. The real address is always kept in `PrimaryEmail`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from ...models import Candidate
from .mapping import email_of

MAX_LOGIN = 200
ILLEGAL = "\"'&\\/,|£<>:#"


def is_legal(login: str) -> bool:
    return 0 < len(login) <= MAX_LOGIN and not any(c in ILLEGAL for c in login)


def _hashed(email: str, digits: int) -> str:
    digest = hashlib.sha256(email.encode()).hexdigest()[:digits]
    cleaned = "".join("_" if c in ILLEGAL else c for c in email)
    return f"{cleaned[: MAX_LOGIN - digits - 1]}~{digest}"


def login_names(email: str) -> tuple[str, str]:
    """The first and second login spelling for a (normalised) email, both legal and stable."""
    if is_legal(email):
        return email, _hashed(email, 8)
    return _hashed(email, 8), _hashed(email, 16)


def same_person(participant: Mapping[str, Any], email: str) -> bool:
    """Whether a participant found by login name is this candidate (their email is this one)."""
    return email_of(participant) == email


def participant_body(candidate: Candidate, login: str) -> dict[str, Any]:
    """`POST Participants`: the login name, the person's names and their real address."""
    first, _, last = candidate.name.strip().partition(" ")
    body: dict[str, Any] = {"Name": login, "FirstName": first, "PrimaryEmail": candidate.email}
    if last.strip():
        body["LastName"] = last.strip()
    return body
