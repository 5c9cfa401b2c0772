"""Candidates of the Mettl emulator: how they are stored, their test status, and the status rows it serves.

Statuses come from the seed's "OverallStatus and DetailedStatus" table. A row of
`GET /schedules/{access-key}/candidates` has exactly the shape of the seed's graded webhook: top-level `email`
and `name`, `registrationDetails` keyed by field label, and `testStatus` {status, overallStatus, detailedStatus,
startTime, endTime, completionMode, result}; no top-level `status`.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field
from typing import Any

#: (overall status, detailed status) pairs of the seed's table.
STATUSES: frozenset[tuple[str, str]] = frozenset({
    ("Yet to Start", "Mapped"), ("Yet to Start", "Invited"), ("Yet to Start", "Registered"),
    ("Not Started", "Access Expired"),
    ("In-progress", "In-progress"), ("In-progress", "Awaiting Resume Permission"),
    ("Completed", "Test-taker completed"), ("Completed", "Time Over"),
    ("Test Stopped", "Mic Mute Limit exceeded"), ("Test Stopped", "Browsing Tolerance Limit Exceeded"),
    ("Test Stopped", "Proctor Stopped"), ("Test Stopped", "Suspicious Software Detected"),
    ("Test Stopped", "Multiple Screen Detected"), ("Test Stopped", "Prohibited Apps Running"),
    ("Test Stopped", "Screen Capture/Recording Detected"),
    ("Test Stopped", "Screen Sharing/Remote Access Detected"),
    ("Blocked", "Authorizer Blocked"),
    ("Disconnected", "Disconnected from Server"), ("Disconnected", "Test Window Closed"),
    ("Disconnected", "Awaiting Test-taker Resume"),
})
#: Overall statuses after which a test has begun (startTime is set).
_BEGUN = frozenset({"In-progress", "Completed", "Test Stopped", "Disconnected"})
#: The label of the email registration field, as in the seed's webhook (assumption M-06).
EMAIL_LABEL = "Email Address"
NAME_LABEL = "First Name"


@dataclass
class AccountQuirks:
    """How this account departs from the plain documented behaviour; tests and demos switch these on to meet
    such an account. All off by default; kept with the world's state.

    - `limits`: an account-level maximum Mettl applies silently to a numeric setting, e.g.
      `{"webProctoring.count": 5}`: a create or edit asking for more succeeds and keeps the maximum.
    - `missing_rows`: emails whose status row `/candidates` leaves out.
    - `rows_without_status`: emails whose status row comes without `testStatus`.
    - `email_only_in_registration`: rows carry the email only in `registrationDetails`.
    - `row_shape`: "webhook" (the seed's graded webhook) or "public-client": the rows a public client reads,
      the email and name only under `registration`, `testStatus.status` alone in compact spelling
      (`InProgress`, `Completed`, …) beside `result`, `endTime`, `completionMode`, `lastResponseTime`.
    - `raw_statuses`: email → a value served as that candidate's status (e.g. "Archive", or one outside the
      seed's table) in place of the stored one.
    """

    limits: dict[str, int] = field(default_factory=dict)
    missing_rows: list[str] = field(default_factory=list)
    rows_without_status: list[str] = field(default_factory=list)
    email_only_in_registration: bool = False
    row_shape: str = "webhook"
    raw_statuses: dict[str, str] = field(default_factory=dict)

    def dump(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def load(cls, data: dict[str, Any] | None) -> AccountQuirks:
        return cls(**(data or {}))


def new_candidate(item: dict[str, Any], invited: bool) -> dict[str, Any]:
    """A stored candidate just added to a schedule: Yet to Start (Invited when an email went out)."""
    return {"name": item["name"], "email": item["email"], "registrationDetails": dict(item["registrationDetails"]),
            "submissionDate": None, "testStatus": dict(_INVITED if invited else _MAPPED)}


def _status(overall: str, detail: str, started: str | None, ended: str | None) -> dict[str, Any]:
    return {"status": overall, "overallStatus": overall, "detailedStatus": detail, "startTime": started,
            "endTime": ended, "completionMode": "Completed" if overall == "Completed" else None, "result": None}


_INVITED = _status("Yet to Start", "Invited", None, None)  # copied into each new candidate
_MAPPED = _status("Yet to Start", "Mapped", None, None)


def set_status(candidate: dict[str, Any], overall: str, detail: str, when: str) -> None:
    """Move a stored candidate to a status of the seed's table; Completed also sets submissionDate."""
    if (overall, detail) not in STATUSES:
        raise ValueError(f"not a status of Mettl's table: {overall} / {detail}")
    old = candidate["testStatus"]
    started = (old.get("startTime") or when) if overall in _BEGUN else None
    ended = when if overall in ("Completed", "Test Stopped") else None
    candidate["testStatus"] = _status(overall, detail, started, ended)
    candidate["submissionDate"] = when if overall == "Completed" else None


def status_row(candidate: dict[str, Any], quirks: AccountQuirks) -> dict[str, Any] | None:
    """The candidate's row in `/schedules/{access-key}/candidates` (None: left out by a quirk).

    assumption M-06: the row has the graded webhook's shape (the email at `email` and under "Email Address"), or
    with `row_shape` "public-client" the one a public client reads (the email only under `registration`).
    """
    email = candidate["email"]
    if email.lower() in {e.lower() for e in quirks.missing_rows}:
        return None
    raw = {e.lower(): v for e, v in quirks.raw_statuses.items()}.get(email.lower())
    if quirks.row_shape == "public-client":
        row = _public_client_row(candidate, raw)
    else:
        row = _webhook_row(candidate, raw)
        if quirks.email_only_in_registration:
            del row["email"]
    if email.lower() in {e.lower() for e in quirks.rows_without_status}:
        del row["testStatus"]
    return row


def compact(overall: str) -> str:
    """An overall status in the compact spelling a public client reads: `In-progress` → `InProgress`.
    assumption M-06 (seen for InProgress and Completed; the other spellings are inferred the same way)."""
    return "".join(word[:1].upper() + word[1:] for word in overall.replace("-", " ").split())


def _public_client_row(candidate: dict[str, Any], raw: str | None) -> dict[str, Any]:
    stored = candidate["testStatus"]
    return {  # assumption M-06: the shape kananjoshi/mettl reads
        "registration": {EMAIL_LABEL: candidate["email"], NAME_LABEL: candidate["name"],
                         **candidate["registrationDetails"]},
        "testStatus": {"status": raw or compact(stored["overallStatus"]), "result": stored["result"],
                       "endTime": stored["endTime"], "completionMode": stored["completionMode"],
                       "lastResponseTime": stored["endTime"] or stored["startTime"]},
    }


def _webhook_row(candidate: dict[str, Any], raw: str | None) -> dict[str, Any]:
    email = candidate["email"]
    row: dict[str, Any] = {  # assumption M-06
        "email": email,
        "name": candidate["name"],
        "registrationDetails": {EMAIL_LABEL: email, NAME_LABEL: candidate["name"],
                                **candidate["registrationDetails"]},
        "testStatus": copy.deepcopy(candidate["testStatus"]),
    }
    if raw is not None:
        row["testStatus"].update(status=raw, overallStatus=raw, detailedStatus=raw)
    return row


def apply_limits(schedule: dict[str, Any], limits: dict[str, int]) -> None:
    """Lower every numeric setting over an account limit to that limit (silently, like an account policy)."""
    for path, most in limits.items():
        *parents, leaf = path.split(".")
        node: Any = schedule
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict) and isinstance(node.get(leaf), int) and node[leaf] > most:
            node[leaf] = most
