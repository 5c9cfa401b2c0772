"""The Mettl status vocabulary: the seed's overall and detailed statuses and the compact spellings public
clients read, matched ignoring case, spaces and hyphens; anything else keeps the candidate."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.providers.mettl.status import (
    DETAILED,
    MAY_HAVE_SUBMITTED,
    OVERALL,
    UNKNOWN,
    removal_blockers,
    row_email,
    row_reason,
)


def row(**test_status: Any) -> dict[str, Any]:
    return {"email": "ana@example.com", "testStatus": test_status}


@pytest.mark.parametrize(("value", "reason"), [
    ("Yet to Start", None), ("YetToStart", None), ("yet-to-start", None), ("Not Started", None),
    ("NotStarted", None), ("Access Expired", None), ("Invited", None), ("Mapped", None), ("Registered", None),
    ("In-progress", "has started"), ("InProgress", "has started"), ("IN PROGRESS", "has started"),
    ("Awaiting Resume Permission", "has started"), ("Completed", "has submitted"), ("Time Over", "has submitted"),
    ("Test-taker completed", "has submitted"), ("Archive", "has submitted"), ("Test Stopped", "has started"),
    ("Proctor Stopped", "has started"), ("Blocked", "has started"), ("Disconnected", "has started"),
    ("Test Window Closed", "has started"),
])
def test_known_values_decide(value: str, reason: str | None) -> None:
    assert row_reason(row(status=value)) == reason


def test_every_status_of_the_seed_table_is_known() -> None:
    for value in (*OVERALL, *DETAILED):
        assert not (row_reason(row(status=value)) or "").startswith(UNKNOWN), value


def test_a_value_outside_the_table_keeps_the_candidate_and_shows_the_raw_value() -> None:
    assert row_reason(row(status="Expired")) == 'status unknown: "Expired" is not a Mettl status'
    long = row_reason(row(status="x" * 500))
    assert long is not None and len(long) < 120


def test_both_fields_count_and_one_that_keeps_wins() -> None:
    assert row_reason(row(overallStatus="Yet to Start", status="InProgress")) == "has started"
    assert row_reason(row(overallStatus="Not Started", status="Weird")) is not None
    assert row_reason(row(overallStatus="Completed", status="In-progress")) == "has submitted"


def test_no_readable_status_is_kept_and_a_submission_date_says_why() -> None:
    assert row_reason({"email": "a@example.com"}) == UNKNOWN
    assert row_reason({"email": "a@example.com", "testStatus": {"status": " "}}) == UNKNOWN
    assert row_reason({"email": "a@example.com", "submissionDate": "Fri, 11 Feb 2022"}) == MAY_HAVE_SUBMITTED


def test_a_readable_status_decides_whatever_the_submission_date() -> None:
    assert row_reason({**row(overallStatus="Yet to Start"), "submissionDate": "Fri, 11 Feb 2022"}) is None


def test_the_inline_submission_date_explains_a_missing_row() -> None:
    emails = frozenset({"ana@example.com", "raj@example.com"})
    rows = [{"email": "ana@example.com"}]
    assert removal_blockers(rows, emails, {"ana@example.com": "x", "raj@example.com": "x"}) == dict.fromkeys(
        sorted(emails), MAY_HAVE_SUBMITTED)
    assert removal_blockers(rows, emails) == dict.fromkeys(sorted(emails), UNKNOWN)


@pytest.mark.parametrize("data", [
    {"email": "Ana@Example.com"},
    {"registrationDetails": {"Email Address": "ana@example.com"}},
    {"registration": {"Email Address": "ana@example.com", "First Name": "Ana"}},
])
def test_the_email_is_read_in_every_shape(data: dict[str, Any]) -> None:
    assert row_email(data) == "ana@example.com"


def test_a_raw_value_cannot_break_the_plan_line() -> None:
    reason = row_reason(row(status='Odd\n"value"\x1b[31m'))
    assert reason == 'status unknown: "Odd?\'value\'?[31m" is not a Mettl status'
