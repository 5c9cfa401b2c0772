"""Candidate status rows of `GET /schedules/{access-key}/candidates`: who may be removed, and why not.

A row comes in one of two shapes (assumption M-06): the seed's graded webhook (top-level `email` and `name`,
`registrationDetails` keyed by field label, `testStatus.overallStatus` / `status` / `detailedStatus` spelled as in
the seed's "OverallStatus and DetailedStatus" table), or the one a public client reads (`registration` keyed by
field label, `testStatus.status` in compact spellings: `InProgress`, `Completed`, `Archive`). Values are matched
ignoring case, spaces and hyphens. There is no top-level `status`.

The status decides (assumption M-18): `submissionDate` is the deadline of a deadline-based assessment as much as
the moment of a submission, never proof of one. Only a candidate who has not begun may go (M-19: Yet to Start,
and Not Started / Access Expired). Fail closed: no row, no readable status, or a value outside the table keeps
the candidate, and the plan says why (with the raw value).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ...models import is_email, normalize_email

UNKNOWN = "status unknown"
STARTED = "has started"
SUBMITTED = "has submitted"
#: Why a row without a readable status but with a `submissionDate` is kept (it may be a submission).
MAY_HAVE_SUBMITTED = "status unknown; submissionDate set (may have submitted)"
STATUS_KEYS = ("overallStatus", "status", "detailedStatus")
EMAIL_KEYS = ("registrationDetails", "registration")
RAW_SHOWN = 60  # at most this many characters of a vendor's unknown value reach the plan

#: Overall status → why it keeps a candidate (None: never begun, may be removed). assumption M-19
OVERALL: dict[str, str | None] = {
    "Yet to Start": None,
    "Not Started": None,
    "In-progress": STARTED,
    "Completed": SUBMITTED,
    "Test Stopped": STARTED,
    "Blocked": STARTED,
    "Disconnected": STARTED,
}
#: Detailed status → its overall status (the seed's table).
DETAILED: dict[str, str] = {
    "Mapped": "Yet to Start", "Invited": "Yet to Start", "Registered": "Yet to Start",
    "Access Expired": "Not Started",
    "Awaiting Resume Permission": "In-progress",
    "Test-taker completed": "Completed", "Time Over": "Completed",
    "Mic Mute Limit exceeded": "Test Stopped", "Browsing Tolerance Limit Exceeded": "Test Stopped",
    "Proctor Stopped": "Test Stopped", "Suspicious Software Detected": "Test Stopped",
    "Multiple Screen Detected": "Test Stopped", "Prohibited Apps Running": "Test Stopped",
    "Screen Capture/Recording Detected": "Test Stopped", "Screen Sharing/Remote Access Detected": "Test Stopped",
    "Authorizer Blocked": "Blocked",
    "Disconnected from Server": "Disconnected", "Test Window Closed": "Disconnected",
    "Awaiting Test-taker Resume": "Disconnected",
}
#: Compact values a public client reads that the seed's table does not spell (M-06). "Archive": an attempt
#: that was archived, so there was one.
COMPACT: dict[str, str] = {"Archive": SUBMITTED}

_FOLD = re.compile(r"[\s\-_]+")


def fold(value: str) -> str:
    """A status value as compared: case, spaces, hyphens and underscores ignored (`In-progress` = `InProgress`)."""
    return _FOLD.sub("", value).casefold()


def _table() -> dict[str, str | None]:
    known: dict[str, str | None] = {fold(k): v for k, v in OVERALL.items()}
    known.update({fold(k): OVERALL[v] for k, v in DETAILED.items()})
    known.update({fold(k): v for k, v in COMPACT.items()})
    return known


#: Every known value, folded → why it keeps a candidate (None: it may go).
KNOWN: dict[str, str | None] = _table()


def is_known(value: str) -> bool:
    return fold(value) in KNOWN


def row_email(row: Mapping[str, Any]) -> str | None:
    """The row's email (normalised): `email`, else a field labelled "…email…" under `registrationDetails` or
    `registration` holding one."""
    top = row.get("email")
    if isinstance(top, str) and is_email(top.strip()):
        return normalize_email(top)
    for key in EMAIL_KEYS:
        details = row.get(key)
        if isinstance(details, Mapping):
            for label, value in details.items():
                if "email" in str(label).lower() and isinstance(value, str) and is_email(value.strip()):
                    return normalize_email(value)
    return None


def status_values(row: Mapping[str, Any]) -> list[str]:
    """The readable values of `testStatus.overallStatus`, `.status` and `.detailedStatus` (stripped)."""
    test_status = row.get("testStatus")
    if not isinstance(test_status, Mapping):
        return []
    values = (test_status.get(key) for key in STATUS_KEYS)
    return [v.strip() for v in values if isinstance(v, str) and v.strip()]


def overall_status(row: Mapping[str, Any]) -> str | None:
    """The first readable status value (`overallStatus`, else `status`, else `detailedStatus`), or None."""
    values = status_values(row)
    return values[0] if values else None


def shown(value: str) -> str:
    """A vendor's value as the plan shows it: quoted, bounded."""
    text = "".join(ch if ch.isprintable() else "?" for ch in value[:RAW_SHOWN])
    text += "…" if len(value) > RAW_SHOWN else ""
    return '"' + text.replace('"', "'") + '"'


def row_reason(row: Mapping[str, Any]) -> str | None:
    """Why the row's candidate stays, None when it may go. Every readable value counts: one outside the table
    or one of a begun test keeps the candidate (`overallStatus` and `status` cannot free what the other keeps)."""
    values = status_values(row)
    if not values:
        return MAY_HAVE_SUBMITTED if row.get("submissionDate") else UNKNOWN  # assumption M-18
    unknown = [v for v in values if not is_known(v)]
    if unknown:
        return f"{UNKNOWN}: {shown(unknown[0])} is not a Mettl status"
    reasons = [KNOWN[fold(v)] for v in values]
    return SUBMITTED if SUBMITTED in reasons else next((r for r in reasons if r), None)


def removal_blockers(rows: Iterable[Mapping[str, Any]], emails: frozenset[str],
                     submitted: Mapping[str, object] | None = None) -> dict[str, str]:
    """Those of `emails` (normalised) who must stay, each with why. Fail closed: no row, or a row whose status
    cannot be read or is not in the vendor's table, keeps the candidate. `submitted`: email → the inline
    `submissionDate` of the schedule read, for the candidates whose row shows none."""
    reasons: dict[str, str | None] = {}  # email → why it stays; None: it may go
    dates = submitted or {}
    for row in rows:
        email = row_email(row) if isinstance(row, Mapping) else None
        if email is None or email not in emails or reasons.get(email) is not None:
            continue  # a second row for a kept candidate never frees it
        if not row.get("submissionDate") and dates.get(email):
            row = {**row, "submissionDate": dates[email]}
        reasons[email] = row_reason(row)
    blockers: dict[str, str] = {}
    for email in sorted(emails):
        reason = reasons[email] if email in reasons else (MAY_HAVE_SUBMITTED if dates.get(email) else UNKNOWN)
        if reason is not None:
            blockers[email] = reason
    return blockers


def seen_values(rows: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """The status values of each row, as read, each once per row (for doctor)."""
    for row in rows:
        if isinstance(row, Mapping):
            yield from dict.fromkeys(status_values(row))
