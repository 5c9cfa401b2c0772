"""Who may be removed, read from each candidate's `testStatus` row over HTTP. Fail closed: no row, no removal."""

from __future__ import annotations

from typing import Any

from reconciler import engine
from reconciler.models import Candidate, Schedule
from reconciler.sandbox.mettl import MettlApp

from .fixtures import Reconcile

ANA = Candidate(email="ana@example.com", name="Ana Lima")
RAJ = Candidate(email="raj@example.com", name="Raj Patel")
MEI = Candidate(email="mei@example.com", name="Mei Chen")


def schedule(*candidates: Candidate) -> Schedule:
    return Schedule(name="Status Drive", provider="mettl", assessment_id="769688", candidates=candidates)


def live_key(app: MettlApp) -> str:
    found = app.find(769688, "Status Drive")
    assert found is not None
    return str(found["accessKey"])


def removal(reconcile: Reconcile, *keep: Candidate) -> tuple[tuple[str, ...], dict[str, str]]:
    """Plan down to `keep`: (emails removed, protected email → reason)."""
    [change] = reconcile.plan(schedule(*keep)).plan.changes
    return change.candidates.remove, change.candidates.protected_reasons


def test_a_never_started_candidate_is_removed(reconcile: Reconcile, mettl_app: MettlApp) -> None:
    reconcile.apply(schedule(ANA, RAJ, MEI))
    mettl_app.set_status(live_key(mettl_app), "mei@example.com", "Not Started", "Access Expired")
    assert removal(reconcile, ANA) == (("mei@example.com", "raj@example.com"), {})
    reconcile.apply(schedule(ANA))
    assert [c["email"] for c in mettl_app.schedule(live_key(mettl_app))["access"]["candidates"]] == [
        "ana@example.com"]
    assert not reconcile.plan(schedule(ANA)).plan.has_changes


def test_started_and_submitted_candidates_are_kept_with_the_reason(
        reconcile: Reconcile, mettl_app: MettlApp) -> None:
    reconcile.apply(schedule(ANA, RAJ, MEI))
    key = live_key(mettl_app)
    mettl_app.mark_started(key, "raj@example.com")
    mettl_app.mark_submitted(key, "mei@example.com")
    assert removal(reconcile, ANA) == ((), {"mei@example.com": "has submitted", "raj@example.com": "has started"})
    mettl_app.set_status(key, "raj@example.com", "Test Stopped", "Proctor Stopped")
    assert removal(reconcile, ANA)[1]["raj@example.com"] == "has started"


def test_a_candidate_without_a_status_row_is_kept_as_status_unknown(
        reconcile: Reconcile, mettl_app: MettlApp) -> None:
    reconcile.apply(schedule(ANA, RAJ, MEI))
    mettl_app.quirks.missing_rows.append("raj@example.com")
    removed, protected = removal(reconcile, ANA)
    assert removed == ("mei@example.com",)
    assert protected == {"raj@example.com": "status unknown"}
    report = engine.apply_plan(reconcile.plan(schedule(ANA)), {"mettl": reconcile.provider})
    assert not report.failed
    emails = {c["email"] for c in mettl_app.schedule(live_key(mettl_app))["access"]["candidates"]}
    assert emails == {"ana@example.com", "raj@example.com"}


def test_a_row_without_test_status_is_kept_as_status_unknown(reconcile: Reconcile, mettl_app: MettlApp) -> None:
    reconcile.apply(schedule(ANA, RAJ))
    mettl_app.quirks.rows_without_status.append("raj@example.com")
    assert removal(reconcile, ANA) == ((), {"raj@example.com": "status unknown"})


def test_the_email_may_be_only_in_the_registration_fields(reconcile: Reconcile, mettl_app: MettlApp) -> None:
    reconcile.apply(schedule(ANA, RAJ, MEI))
    mettl_app.quirks.email_only_in_registration = True
    mettl_app.mark_started(live_key(mettl_app), "raj@example.com")
    assert removal(reconcile, ANA) == (("mei@example.com",), {"raj@example.com": "has started"})


def test_status_rows_are_paged_by_offset_without_limit(reconcile: Reconcile, mettl_app: MettlApp) -> None:
    many = tuple(Candidate(email=f"p{i:02}@example.com", name=f"P {i}") for i in range(45))
    reconcile.apply(schedule(*many))
    key = live_key(mettl_app)
    mettl_app.mark_started(key, "p44@example.com")  # on the last page
    reconcile.server.reset_calls()
    removed, protected = removal(reconcile, *many[:40])
    assert removed == tuple(f"p{i}@example.com" for i in range(40, 44))
    assert protected == {"p44@example.com": "has started"}
    pages: list[dict[str, Any]] = [c.params for c in reconcile.server.calls if c.path.endswith("/candidates")]
    assert [p.get("offset") for p in pages] == ["0", "20", "40"]
    assert all("limit" not in p for p in pages)


def test_rows_shaped_as_a_public_client_reads_them_allow_removals(
        reconcile: Reconcile, mettl_app: MettlApp) -> None:
    """`registration["Email Address"]` and `testStatus.status` in compact spelling (InProgress, Completed)."""
    reconcile.apply(schedule(ANA, RAJ, MEI))
    key = live_key(mettl_app)
    mettl_app.quirks.row_shape = "public-client"
    mettl_app.mark_started(key, "raj@example.com")
    reconcile.server.reset_calls()
    assert removal(reconcile, ANA) == (("mei@example.com",), {"raj@example.com": "has started"})
    rows = reconcile.provider.client.schedule_candidates(key)
    assert {r["testStatus"]["status"] for r in rows} == {"YetToStart", "InProgress"}
    mettl_app.mark_submitted(key, "mei@example.com")
    assert removal(reconcile, ANA) == ((), {"mei@example.com": "has submitted", "raj@example.com": "has started"})
    reconcile.apply(schedule(ANA, RAJ, MEI))  # nothing to do
    mettl_app.set_status(key, "mei@example.com", "Not Started", "Access Expired")
    reconcile.apply(schedule(ANA))
    assert {c["email"] for c in mettl_app.schedule(key)["access"]["candidates"]} == {
        "ana@example.com", "raj@example.com"}


def test_archive_keeps_a_candidate_and_a_value_outside_the_table_is_shown_raw(
        reconcile: Reconcile, mettl_app: MettlApp) -> None:
    reconcile.apply(schedule(ANA, RAJ, MEI))
    mettl_app.quirks.row_shape = "public-client"
    mettl_app.quirks.raw_statuses.update({"raj@example.com": "Archive", "mei@example.com": "Suspended-Review"})
    removed, protected = removal(reconcile, ANA)
    assert removed == ()
    assert protected == {"raj@example.com": "has submitted",
                         "mei@example.com": 'status unknown: "Suspended-Review" is not a Mettl status'}
    text = reconcile.plan(schedule(ANA)).plan.model_dump_json()
    assert "Suspended-Review" in text


def test_submission_date_is_a_deadline_not_proof_of_a_submission(
        reconcile: Reconcile, mettl_app: MettlApp) -> None:
    """The status decides: a Yet to Start candidate whose submissionDate is set (a deadline) may go; a row
    without a readable status but with a submissionDate stays, and the plan says it may have submitted."""
    reconcile.apply(schedule(ANA, RAJ, MEI))
    key = live_key(mettl_app)
    for email in ("raj@example.com", "mei@example.com"):
        mettl_app.set_deadline(key, email, "Fri, 11 Feb 2022 23:05:57 GMT")
    mettl_app.quirks.rows_without_status.append("raj@example.com")
    removed, protected = removal(reconcile, ANA)
    assert removed == ("mei@example.com",)
    assert protected == {"raj@example.com": "status unknown; submissionDate set (may have submitted)"}
