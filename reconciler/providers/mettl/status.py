"""Candidate status rows of `GET /schedules/{access-key}/candidates`: who may be removed, and why not.

A row (assumption M-06, the shape of the seed's graded webhook) has top-level `email` and `name`,
`registrationDetails` keyed by field label, and a `testStatus` object whose `overallStatus` / `status` take the
values of the seed's "OverallStatus and DetailedStatus" table. There is no top-level `status`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ...models import is_email, normalize_email

#: Overall statuses of a candidate who has not begun: only they may be removed.
REMOVABLE = frozenset({"Yet to Start", "Not Started"})
#: The other overall statuses of the seed's table, and the reason each keeps a candidate.
KEPT = {
    "Completed": "has submitted",
    "In-progress": "has started",
    "Test Stopped": "has started",
    "Blocked": "has started",
    "Disconnected": "has started",
}
UNKNOWN = "status unknown"


def row_email(row: Mapping[str, Any]) -> str | None:
    """The row's email (normalised): `email`, else a registration field labelled "…email…" holding one."""
    top = row.get("email")
    if isinstance(top, str) and is_email(top.strip()):
        return normalize_email(top)
    details = row.get("registrationDetails")
    if isinstance(details, Mapping):
        for label, value in details.items():
            if "email" in str(label).lower() and isinstance(value, str) and is_email(value.strip()):
                return normalize_email(value)
    return None


def overall_status(row: Mapping[str, Any]) -> str | None:
    """`testStatus.overallStatus`, else `testStatus.status`; None when neither is a readable string."""
    test_status = row.get("testStatus")
    if not isinstance(test_status, Mapping):
        return None
    for key in ("overallStatus", "status"):
        value = test_status.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def removal_blockers(rows: Iterable[Mapping[str, Any]], emails: frozenset[str]) -> dict[str, str]:
    """Those of `emails` (normalised) who must stay, each with why. Fail closed: no row, or a row whose
    status cannot be read or is not in the vendor's table, keeps the candidate as "status unknown"."""
    reasons: dict[str, str | None] = {}  # email → why it stays; None: it may go
    for row in rows:
        email = row_email(row) if isinstance(row, Mapping) else None
        if email is None or email not in emails or reasons.get(email) is not None:
            continue  # a second row for a kept candidate never frees it
        reasons[email] = _reason(row)
    blockers: dict[str, str] = {}
    for email in sorted(emails):
        reason = reasons.get(email, UNKNOWN)  # a stored None (may go) is kept
        if reason is not None:
            blockers[email] = reason
    return blockers


def _reason(row: Mapping[str, Any]) -> str | None:
    if row.get("submissionDate"):
        return "has submitted"
    status = overall_status(row)
    if status in REMOVABLE:
        return None
    return KEPT.get(status or "", UNKNOWN)
