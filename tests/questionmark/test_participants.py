"""Participants, logins, scale, started candidates and scheduling permission, against the emulator."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from reconciler import engine
from reconciler.errors import UnsafePlanError
from reconciler.models import Candidate
from reconciler.providers.questionmark.logins import is_legal, login_names
from reconciler.sandbox.base import SandboxRequest, SandboxResponse
from reconciler.sandbox.questionmark import QuestionmarkApp
from reconciler.sandbox.questionmark.odata import ODataError

from .conftest import ANA, RAJ, Reconcile, qm_schedule

REPO = Path(__file__).resolve().parents[2]


def _accepted(email: str) -> bool:
    try:
        Candidate(email=email, name="x")
    except ValueError:
        return False
    return True


ODD_EMAILS = [
    pytest.param("sean.o'brien@example.com", marks=pytest.mark.skipif(
        not _accepted("sean.o'brien@example.com"), reason="needs the standards-based email validation (wip-mettl)")),
    "tom&jerry@example.com",
]


def test_login_names_are_legal_stable_and_distinct() -> None:
    first, second = login_names("ana@example.com")
    assert first == "ana@example.com" and second.startswith("ana@example.com~") and len(second) == 15 + 9
    odd = login_names("sean.o'brien@example.com")
    assert odd[0].startswith("sean.o_brien@example.com~") and odd[0] != odd[1]
    assert odd == login_names("sean.o'brien@example.com")
    long_email = "a" * 250 + "@example.com"
    assert all(is_legal(name) for name in (*first, *second, *odd, *login_names(long_email)))
    assert len(login_names(long_email)[0]) == 200


@pytest.mark.parametrize("email", ODD_EMAILS)
def test_an_email_that_is_no_legal_login_gets_one_and_keeps_its_address(reconcile: Reconcile, email: str) -> None:
    person = Candidate(email=email, name="Sean O'Brien")
    reconcile.apply(qm_schedule(candidates=(person,)))
    (created,) = [c.json for c in reconcile.write_calls() if c.path.endswith("/Participants")]
    login = login_names(email)[0]
    assert created == {"Name": login, "FirstName": "Sean", "LastName": "O'Brien", "PrimaryEmail": email}
    assert is_legal(login) and login != email
    assert list(reconcile.seats()) == [email]
    reconcile.server.reset_calls()
    assert not reconcile.plan(qm_schedule(candidates=(person,))).plan.has_changes


def test_a_login_held_by_someone_else_makes_the_second_spelling_theirs(reconcile: Reconcile) -> None:
    other = reconcile.app.add_participant("ana@example.com", "someone.else@example.com")
    reconcile.apply(qm_schedule())
    ana = reconcile.seats()["ana@example.com"]
    assert ana["ParticipantID"] != other
    assert reconcile.app.participant(ana["ParticipantID"])["Name"] == login_names("ana@example.com")[1]
    assert reconcile.app.participant(other)["PrimaryEmail"] == "someone.else@example.com"  # never patched
    assert not reconcile.plan(qm_schedule()).plan.has_changes


def test_a_participant_under_the_second_spelling_is_reused(reconcile: Reconcile) -> None:
    reconcile.app.add_participant("ana@example.com", "someone.else@example.com")
    mine = reconcile.app.add_participant(login_names("ana@example.com")[1], "ana@example.com")
    reconcile.apply(qm_schedule(candidates=(ANA,)))
    assert ("POST", "Participants") not in reconcile.writes()
    assert reconcile.seats()["ana@example.com"]["ParticipantID"] == mine


def test_both_spellings_taken_fails_that_change_naming_both(reconcile: Reconcile) -> None:
    first, second = login_names("ana@example.com")
    reconcile.app.add_participant(first, "x@example.com")
    reconcile.app.add_participant(second, "y@example.com")
    (reason,) = reconcile.plan(qm_schedule()).plan.changes[0].blocked  # known while planning: apply refuses it
    assert f"{first!r} (held by x@example.com)" in reason
    assert f"{second!r} (held by y@example.com)" in reason
    with pytest.raises(UnsafePlanError):
        reconcile.apply(qm_schedule())
    assert reconcile.seats() == {}


def test_150_candidates_plan_clean_after_apply_in_the_fewest_reads(reconcile: Reconcile) -> None:
    for i in range(60):
        reconcile.app.add_schedule(Name=f"Hand {i}", AssessmentID=1, ParticipantID=None,
                                   GroupID=reconcile.app.add_group(f"Hand {i}"), MonitoringTypeID=1)
    people = tuple(Candidate(email=f"p{i:03d}@example.com", name=f"Person {i}") for i in range(150))
    desired = qm_schedule(candidates=people, metadata={"Cohort": "big"})
    reconcile.apply(desired)
    assert len(reconcile.seats()) == 150
    reconcile.server.reset_calls()
    run = reconcile.plan(desired)
    assert not run.plan.has_changes and run.plan.in_sync == 1
    listing = [q for path, q in reconcile.reads()]
    assert len(listing) == math.ceil((60 + 1 + 150) / 100) + 1 == 4  # the pages and Schedules/$count
    assert [path for path, _ in reconcile.reads()] == ["Schedules", "Schedules/$count", "Schedules", "Schedules"]
    assert sorted(q.get("$skip", "0") for q in listing if q) == ["0", "100", "200"]
    assert all("$skiptoken" not in q for q in listing)  # pages by the documented $skip, not the links
    removed = desired.model_copy(update={"candidates": people[:100]})
    run = reconcile.plan(removed)
    assert len(run.plan.changes[0].candidates.remove) == 50
    assert run.plan.changes[0].needs_force  # 50 of 150 is over the 25 % limit


def test_a_removed_candidate_who_started_is_protected(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule())
    raj = reconcile.seats()["raj@example.com"]
    reconcile.app.add_attempt(raj["ID"], raj["ParticipantID"])
    reconcile.server.reset_calls()
    run = reconcile.plan(qm_schedule(candidates=(ANA,)))
    change = run.plan.changes[0]
    assert change.candidates.protected == ("raj@example.com",) and change.candidates.remove == ()
    assert change.candidates.protected_reasons == {"raj@example.com": "has started"}
    assert [q["$filter"] for path, q in reconcile.reads() if path == "Attempts"] == [f"ScheduleID eq {raj['ID']}"]
    engine.apply_plan(run, reconcile.providers)
    assert reconcile.server.writes() == [] and reconcile.seats()["raj@example.com"]["Disabled"] is False


def test_no_attempts_are_read_when_nobody_is_removed(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule())
    reconcile.server.reset_calls()
    reconcile.plan(qm_schedule(candidates=(ANA, RAJ)))
    assert not [path for path, _ in reconcile.reads() if path == "Attempts"]


class AttemptsDown(QuestionmarkApp):
    """A tenant whose Attempts feed refuses the service account."""

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        if "/Attempts" in request.path:
            return SandboxResponse(403, ODataError(403, "no access to attempts").body())
        return super().handle(request)


@pytest.mark.parametrize("qm_app", [AttemptsDown()], ids=["attempts-down"])
def test_attempts_read_failing_protects_with_status_unknown(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule())
    run = reconcile.plan(qm_schedule(candidates=(ANA,)))
    assert run.plan.changes[0].candidates.protected_reasons == {"raj@example.com": "status unknown"}
    assert not run.plan.has_changes


def test_scheduling_without_permission_names_the_assessment(reconcile: Reconcile) -> None:
    reconcile.app.add_assessment("92761000092761", "Sample Test")
    run = reconcile.plan(qm_schedule(assessment_id="92761000092761"))
    (outcome,) = engine.apply_plan(run, reconcile.providers).failed
    assert outcome.message.startswith("questionmark: HTTP 403 not allowed to schedule assessment 92761000092761")
    assert "only administrators who own a group associated with that assessment may schedule it" in outcome.message
    assert "\n" not in outcome.message and reconcile.app.schedules() == []


def test_participants_upsert_is_gone_everywhere() -> None:
    sources = [*REPO.joinpath("reconciler").rglob("*.py"), REPO / "README.md", *REPO.joinpath("docs").glob("*.md"),
               *REPO.joinpath("examples").rglob("*.y*ml")]
    found = [str(p.relative_to(REPO)) for p in sources
             if "Participants/Upsert" in (text := p.read_text(encoding="utf-8")) or "ReplaceExistingGroups" in text]
    assert found == []


class NoOrFilter(QuestionmarkApp):
    """A tenant that refuses `or` in filters (assumption Q-10 broken): only the documented `Name eq` works."""

    def __init__(self) -> None:
        super().__init__()
        self.refused = 0

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        if "/Participants" in request.path and " or " in request.query.get("$filter", ""):
            self.refused += 1
            return SandboxResponse(400, ODataError(400, "'or' is not supported in $filter").body())
        return super().handle(request)


@pytest.mark.parametrize("qm_app", [NoOrFilter()], ids=["no-or-filter"])
def test_a_tenant_refusing_or_filters_gets_one_lookup_per_login(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule())
    assert sorted(reconcile.seats()) == ["ana@example.com", "raj@example.com"]
    assert isinstance(reconcile.app, NoOrFilter)
    assert 1 <= reconcile.app.refused <= 2  # each concurrent look-up tries `or` at most once, then never again
    assert not reconcile.plan(qm_schedule()).plan.has_changes
