"""Plan and apply against the Mettl emulator over real sockets: calls, payloads, convergence, safety."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reconciler import engine
from reconciler.errors import TransientError, UnsafePlanError
from reconciler.http import RetryPolicy
from reconciler.models import Candidate, DesiredState, MettlSettings, Schedule, WebProctoring, Window
from reconciler.sandbox.mettl import MettlApp

from .fixtures import Reconcile

ANA = Candidate(email="ana@example.com", name="Ana Lima")
RAJ = Candidate(email="raj@example.com", name="Raj Patel", fields={"Date of birth": "Sep 16 1998"})
MEI = Candidate(email="mei@example.com", name="Mei Chen")
WINDOW = Window(start="2026-12-01T09:00:00", end="2026-12-05T18:00:00", time_zone="Asia/Kolkata")


def schedule(**overrides: Any) -> Schedule:
    base: dict[str, Any] = {
        "name": "Java Hiring Drive", "provider": "mettl", "assessment_id": "769688",
        "window": WINDOW, "candidates": (ANA, RAJ),
        "mettl": MettlSettings(web_proctoring=WebProctoring(enabled=True, count=10, show_remaining_counts=True)),
    }
    return Schedule(**(base | overrides))


def sc_of(call: Any) -> dict[str, Any]:
    return json.loads(call.params["sc"])  # type: ignore[no-any-return]


def test_create_sends_one_call_with_the_full_sc(reconcile: Reconcile) -> None:
    reconcile.apply(schedule())
    writes = reconcile.server.writes()
    assert [(w.method, w.path) for w in writes] == [("POST", "/v2/assessments/769688/schedules")]
    sc = sc_of(writes[0])
    assert sc["name"] == "Java Hiring Drive"
    assert sc["access"]["type"] == "ByInvitation"
    assert sc["access"]["candidates"] == [
        {"name": "Ana Lima", "email": "ana@example.com"},
        {"name": "Raj Patel", "email": "raj@example.com", "Date of birth": "Sep 16 1998"},
    ]
    assert sc["scheduleType"] == "Fixed"
    assert sc["scheduleWindow"] == {
        "startsOnDate": "Tue, 01 Dec 2026", "startsOnTime": "09:00:00",
        "endsOnDate": "Sat, 05 Dec 2026", "endsOnTime": "18:00:00", "locationTimeZone": "Asia/Kolkata",
    }
    assert sc["webProctoring"] == {"enabled": True, "count": 10, "showRemainingCounts": True}


def test_open_schedule_is_always_on_and_open_for_all(reconcile: Reconcile) -> None:
    reconcile.apply(Schedule(name="Open Practice", provider="mettl", assessment_id="769688"))
    sc = sc_of(reconcile.server.writes()[0])
    assert sc["access"] == {"type": "OpenForAll"}
    assert sc["scheduleType"] == "AlwaysOn"
    assert "scheduleWindow" not in sc


def test_minimal_edit_carries_only_what_changed(reconcile: Reconcile) -> None:
    reconcile.apply(schedule())
    reconcile.server.reset_calls()
    changed = schedule(
        candidates=(ANA, MEI),
        mettl=MettlSettings(web_proctoring=WebProctoring(enabled=True, count=3, show_remaining_counts=True)),
    )
    run = reconcile.plan(changed)
    [change] = run.plan.changes
    assert [f.text for f in change.fields] == ["mettl.web_proctoring.count"]
    engine.apply_plan(run, {"mettl": reconcile.provider}, force=True)
    writes = reconcile.server.writes()
    assert len(writes) == 1 and writes[0].path.endswith("/edit")
    assert sc_of(writes[0]) == {
        "access": {"type": "ByInvitation", "candidates": {
            "add": [{"name": "Mei Chen", "email": "mei@example.com"}], "remove": ["raj@example.com"]}},
        "webProctoring": {"enabled": True, "count": 3, "showRemainingCounts": True},
    }


def test_window_move_sends_only_the_window(reconcile: Reconcile) -> None:
    reconcile.apply(schedule())
    reconcile.server.reset_calls()
    moved = Window(start="2026-12-02T09:00:00", end="2026-12-06T18:00:00", time_zone="Asia/Kolkata")
    reconcile.apply(schedule(window=moved))
    [write] = reconcile.server.writes()
    assert set(sc_of(write)) == {"scheduleType", "scheduleWindow"}
    assert sc_of(write)["scheduleWindow"]["startsOnDate"] == "Wed, 02 Dec 2026"


def test_replan_after_apply_is_empty_and_reads_only(reconcile: Reconcile) -> None:
    reconcile.apply(schedule())
    reconcile.server.reset_calls()
    run = reconcile.plan(schedule())
    assert not run.plan.has_changes
    assert reconcile.server.writes() == []


def test_unmanaged_schedule_is_reported_and_never_touched(reconcile: Reconcile, mettl_app: MettlApp) -> None:
    key = mettl_app.add_schedule(769688, {"name": "Legacy", "sourceApp": "Mettl Dashboard",
                                          "access": {"type": "OpenForAll"}, "scheduleType": "AlwaysOn"})
    before = mettl_app.schedule(key)
    run = reconcile.plan(schedule())
    assert [u.name for u in run.plan.unmanaged] == ["Legacy"]
    engine.apply_plan(run, {"mettl": reconcile.provider})
    assert all(key not in w.path for w in reconcile.server.writes())
    assert mettl_app.schedule(key) == before


def test_submitted_candidate_is_protected(reconcile: Reconcile, mettl_app: MettlApp) -> None:
    reconcile.apply(schedule(candidates=(ANA, RAJ, MEI)))
    found = mettl_app.find(769688, "Java Hiring Drive")
    assert found is not None
    mettl_app.mark_submitted(found["accessKey"], "raj@example.com")
    reconcile.server.reset_calls()
    run = reconcile.plan(schedule(candidates=(ANA, MEI)))
    [change] = run.plan.changes
    assert change.candidates.protected == ("raj@example.com",)
    assert change.candidates.remove == ()
    assert not run.plan.has_changes
    engine.apply_plan(run, {"mettl": reconcile.provider})
    assert reconcile.server.writes() == []
    emails = {c["email"] for c in mettl_app.schedule(found["accessKey"])["access"]["candidates"]}
    assert "raj@example.com" in emails


def test_email_case_is_not_a_change(reconcile: Reconcile) -> None:
    reconcile.apply(schedule())
    upper = Candidate(email="ANA@Example.COM", name="Ana Lima")
    assert not reconcile.plan(schedule(candidates=(upper, RAJ))).plan.has_changes


def test_mass_removal_needs_force(reconcile: Reconcile) -> None:
    many = tuple(Candidate(email=f"c{i}@example.com", name=f"C {i}") for i in range(12))
    reconcile.apply(schedule(candidates=many))
    reconcile.server.reset_calls()
    run = reconcile.plan(schedule(candidates=many[:6]))
    [change] = run.plan.changes
    assert change.needs_force and "removes 6 of 12" in change.needs_force[0]
    with pytest.raises(UnsafePlanError):
        engine.apply_plan(run, {"mettl": reconcile.provider})
    assert reconcile.server.writes() == []
    engine.apply_plan(run, {"mettl": reconcile.provider}, force=True)
    assert len(reconcile.server.writes()) == 1


def test_candidate_batches_split_only_past_the_limit(make_provider: Any, mettl_server: Any) -> None:
    reconcile = Reconcile(make_provider(max_candidates_per_edit=2), mettl_server)
    five = tuple(Candidate(email=f"p{i}@example.com", name=f"P {i}") for i in range(5))
    reconcile.apply(schedule(candidates=five))
    writes = mettl_server.writes()
    assert [w.path.rsplit("/", 1)[-1] for w in writes] == ["schedules", "edit", "edit"]
    assert sum(len(sc_of(w)["access"]["candidates"] if "add" not in sc_of(w)["access"]["candidates"]
                   else sc_of(w)["access"]["candidates"]["add"]) for w in writes) == 5
    assert not reconcile.plan(schedule(candidates=five)).plan.has_changes


def test_lost_answer_on_edit_is_verified_by_rereading(reconcile: Reconcile) -> None:
    reconcile.apply(schedule())
    reconcile.server.faults.fail_next("lost_answer", "POST")
    run = reconcile.plan(schedule(candidates=(ANA, RAJ, MEI)))
    report = engine.apply_plan(run, {"mettl": reconcile.provider})
    [outcome] = report.outcomes
    assert outcome.ok and "verified" in outcome.message
    assert not reconcile.plan(schedule(candidates=(ANA, RAJ, MEI))).plan.has_changes


def test_dropped_write_is_resent_once_a_re_read_shows_it_did_not_land(reconcile: Reconcile) -> None:
    reconcile.apply(schedule())
    reconcile.server.faults.fail_next("drop", "POST")
    run = reconcile.plan(schedule(candidates=(ANA, RAJ, MEI)))
    report = engine.apply_plan(run, {"mettl": reconcile.provider})
    assert not report.failed and "resumed 1 time(s) after re-reading" in report.outcomes[0].message
    assert len(reconcile.server.writes()) == 2  # the create, then the resent edit (the dropped one never arrived)
    assert not reconcile.plan(schedule(candidates=(ANA, RAJ, MEI))).plan.has_changes


def test_transient_read_failures_are_retried(reconcile: Reconcile) -> None:
    reconcile.server.faults.fail_next("error", "GET", count=2)
    run = reconcile.plan(schedule())
    assert [c.action for c in run.plan.changes] == ["create"]
    assert reconcile.provider.client.http.stats.retries == 2


def test_an_e503_is_read_from_the_mettl_envelope_and_retried(reconcile: Reconcile) -> None:
    client = reconcile.provider.client
    client.http.retry = RetryPolicy(attempts=2, base_delay=0.01)
    reconcile.server.faults.fail_next("error", "GET", count=2, path="/account$")
    with pytest.raises(TransientError) as refused:
        client.account()
    assert refused.value.code == "E503" and refused.value.status == 503
    assert "Service unavailable" in str(refused.value)
    reconcile.server.faults.fail_next("error", "GET", path="/account$")
    assert client.account()["status"] == "SUCCESS"
    assert client.http.stats.retries == 2


def test_started_candidate_is_protected_too(reconcile: Reconcile, mettl_app: MettlApp) -> None:
    reconcile.apply(schedule(candidates=(ANA, RAJ, MEI)))
    found = mettl_app.find(769688, "Java Hiring Drive")
    assert found is not None
    mettl_app.mark_started(found["accessKey"], "mei@example.com")
    run = reconcile.plan(schedule(candidates=(ANA,)))
    [change] = run.plan.changes
    assert change.candidates.protected == ("mei@example.com",)
    assert change.candidates.remove == ("raj@example.com",)


def test_statuses_are_read_only_when_someone_would_be_removed(reconcile: Reconcile) -> None:
    reconcile.apply(schedule())
    reconcile.server.reset_calls()
    reconcile.plan(schedule(candidates=(ANA, RAJ, MEI)))
    assert not any(c.path.endswith("/candidates") for c in reconcile.server.calls)


def test_write_only_secret_is_sent_on_create_and_resent_on_request(reconcile: Reconcile, mettl_app: MettlApp) -> None:
    with_secret = schedule(mettl=MettlSettings(test_notification_basic_auth_header="c2VjcmV0OnZhbHVl"))
    reconcile.apply(with_secret)
    found = mettl_app.find(769688, "Java Hiring Drive")
    assert found is not None and found["testNotificationBasicAuthHeader"] == "c2VjcmV0OnZhbHVl"
    rotated = schedule(mettl=MettlSettings(test_notification_basic_auth_header="bmV3OnNlY3JldA=="))
    assert not reconcile.plan(rotated).plan.has_changes  # cannot be read back, so no perpetual diff
    reconcile.server.reset_calls()
    run = engine.make_plan(DesiredState(schedules=(rotated,)), {"mettl": reconcile.provider}, resend_secrets=True)
    [change] = run.plan.changes
    assert [(f.text, f.after) for f in change.fields] == [
        ("mettl.test_notification_basic_auth_header", "(sensitive)")]
    assert "bmV3OnNlY3JldA==" not in run.plan.model_dump_json()
    engine.apply_plan(run, {"mettl": reconcile.provider})
    [write] = reconcile.server.writes()
    assert sc_of(write) == {"testNotificationBasicAuthHeader": "bmV3OnNlY3JldA=="}
    assert mettl_app.schedule(found["accessKey"])["testNotificationBasicAuthHeader"] == "bmV3OnNlY3JldA=="


def test_refused_write_is_resent(reconcile: Reconcile) -> None:
    reconcile.server.faults.fail_next("error", "POST")  # 503: turned away before anything happened
    report = reconcile.apply(schedule())
    assert report.outcomes[0].ok
    assert reconcile.provider.client.http.stats.retries == 1
    assert len(reconcile.server.writes()) == 1


def test_rate_limited_reads_back_off_and_succeed(reconcile: Reconcile) -> None:
    reconcile.server.faults.fail_next("rate_limit", "GET", count=3)
    assert [c.action for c in reconcile.plan(schedule()).plan.changes] == ["create"]
    assert reconcile.provider.client.http.stats.retries == 3
