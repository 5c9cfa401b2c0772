"""Apply, then plan again: no changes and no writes, for every supported property, created or updated."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from reconciler.models import Accommodation, QuestionmarkSettings, ReportWindow, Schedule, Window
from reconciler.sandbox.questionmark import QuestionmarkApp

from .conftest import Reconcile, phases, qm_schedule

# Europe/London leaves summer time on 2026-10-25: the window starts in BST and ends in GMT.
ACROSS_DST = Window(start="2026-10-24T09:00:00", end="2026-10-26T17:00:00", time_zone="Europe/London")

SETTINGS: dict[str, Any] = {
    "language": "en-GB",
    "disabled": True,
    "hidden": True,
    "resume_allowed": True,
    "resume_until": datetime(2026, 10, 27, 12, 0),
    "report_window": ReportWindow(start=datetime(2026, 10, 24, 9, 30), end=datetime(2026, 11, 30, 18, 0)),
    "report_template": "Coaching Report",
    "reported_result": "Best",
    "extra_time": 15,
    "max_attempts": 3,
    "monitoring_type_id": 2,
    "monitoring": "QSB_WITH_EVENTS",  # the emulator's type 2, found by Name
    "observer_initiated": True,
    "test_center_id": 7,
    "rules_of_conduct_id": 4,
}
WIRE: dict[str, dict[str, Any]] = {
    "language": {"Language": "en-GB"},
    "disabled": {"Disabled": True},
    "hidden": {"Hidden": True},
    "resume_allowed": {"ResumeAllowed": True},
    "resume_until": {"ResumeTo": "2026-10-27T12:00:00Z"},
    "report_window": {"ReportFrom": "2026-10-24T08:30:00Z", "ReportTo": "2026-11-30T18:00:00Z"},
    "report_template": {"ReportTemplateName": "Coaching Report"},
    "reported_result": {"ReportedResult": "Best"},
    "extra_time": {"ExtraTime": 15},
    "max_attempts": {"MaxAttempts": 3},
    "monitoring_type_id": {"MonitoringTypeID": 2},
    "monitoring": {"MonitoringTypeID": 2},
    "observer_initiated": {"ObserverInitiated": True},
    "test_center_id": {"TestCenterID": 7},
    "rules_of_conduct_id": {"RulesOfConductID": 4},
}


def with_setting(name: str) -> Schedule:
    return qm_schedule(window=ACROSS_DST, questionmark=QuestionmarkSettings(**{name: SETTINGS[name]}))


def assert_converged(reconcile: Reconcile, *desired: Schedule) -> None:
    reconcile.server.reset_calls()
    run = reconcile.plan(*desired)
    assert not run.plan.has_changes, [(c.action, c.fields) for c in run.plan.changes]
    assert reconcile.server.writes() == []


def test_every_setting_is_covered() -> None:
    assert set(SETTINGS) == set(QuestionmarkSettings.model_fields) == set(WIRE)


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_setting_on_create_converges(reconcile: Reconcile, name: str) -> None:
    reconcile.apply(with_setting(name))
    anchor = reconcile.write_calls()[1].json
    seat = next(c.json for c in reconcile.write_calls() if c.json and "ParticipantID" in c.json)
    assert {k: seat[k] for k in WIRE[name]} == WIRE[name]
    always = {"disabled": {"Disabled": True}, "hidden": {"Hidden": True}}  # the anchor is always disabled, hidden
    expected = always.get(name, WIRE[name])
    assert {k: anchor[k] for k in WIRE[name]} == expected
    assert_converged(reconcile, with_setting(name))


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_setting_on_update_patches_the_anchor_and_each_seat_and_converges(reconcile: Reconcile, name: str) -> None:
    reconcile.apply(qm_schedule(window=ACROSS_DST))
    reconcile.server.reset_calls()
    reconcile.apply(with_setting(name))
    seats = [f"Schedules({s['ID']})" for s in reconcile.seats().values()]
    anchor = [] if name in ("disabled", "hidden") else [f"Schedules({reconcile.anchor()['ID']})"]
    assert phases([path for _, path in reconcile.writes()], len(anchor)) == phases(anchor + seats, len(anchor))
    assert all(c.method == "PATCH" and c.json == WIRE[name] for c in reconcile.write_calls())
    assert_converged(reconcile, with_setting(name))


@pytest.mark.parametrize("window", [
    ACROSS_DST,
    Window(start="2027-03-27T23:30:00", end="2027-03-28T03:00:00", time_zone="Europe/London"),
    Window(start="2026-12-01T09:00:00", end="2026-12-01T11:00:00", time_zone="UTC+05:30"),
    Window(start="2026-12-01T09:00:00", end="2026-12-01T11:00:00", time_zone="America/New_York"),
], ids=["london-autumn", "london-spring-gap", "fixed-offset", "new-york"])
def test_window_converges(reconcile: Reconcile, window: Window) -> None:
    reconcile.apply(qm_schedule(window=window))
    assert_converged(reconcile, qm_schedule(window=window))


def test_dst_window_is_sent_as_utc_instants(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule(window=ACROSS_DST))
    parent = reconcile.write_calls()[1].json
    assert (parent["StartFrom"], parent["StartTo"]) == ("2026-10-24T08:00:00Z", "2026-10-26T17:00:00Z")


def test_same_instants_in_another_zone_are_in_sync(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule(window=ACROSS_DST))
    utc = Window(start="2026-10-24T08:00:00", end="2026-10-26T17:00:00", time_zone="UTC")
    assert_converged(reconcile, qm_schedule(window=utc))


def test_metadata_and_accommodations_converge(reconcile: Reconcile) -> None:
    desired = qm_schedule(
        window=ACROSS_DST,
        metadata={"Country": "%Participant.Primary_Country%", "O'Brien": "it's"},
        accommodations={"ana@example.com": Accommodation(extra_time=30, max_attempts=2),
                        "raj@example.com": Accommodation(extra_time=-5)},
        questionmark=QuestionmarkSettings(max_attempts=1, extra_time=10),
    )
    reconcile.apply(desired)
    assert_converged(reconcile, desired)


def test_everything_at_once_converges(reconcile: Reconcile) -> None:
    every = {k: v for k, v in SETTINGS.items() if k != "monitoring"}  # not with monitoring_type_id
    desired = qm_schedule(window=ACROSS_DST, questionmark=QuestionmarkSettings(**every),
                          metadata={"k": "v"}, accommodations={"ana@example.com": Accommodation(extra_time=5)})
    reconcile.apply(desired)
    assert_converged(reconcile, desired)


def test_quoted_group_name_and_no_window_converge(reconcile: Reconcile) -> None:
    desired = qm_schedule(window=None, group="O'Brien's Team",
                          questionmark=QuestionmarkSettings(resume_until=datetime(2027, 1, 1, 9, 0)))
    reconcile.apply(desired)
    assert reconcile.write_calls()[1].json["ResumeTo"] == "2027-01-01T09:00:00Z"
    assert_converged(reconcile, desired)


def test_group_lookup_doubles_quotes(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule(group="O'Brien's Team"))
    lookup = next(c for c in reconcile.server.calls if c.path.endswith("/Groups") and c.method == "GET")
    assert lookup.params["$filter"] == "Name eq 'O''Brien''s Team'"


@pytest.mark.parametrize("qm_app", [QuestionmarkApp(legacy_tenant=True)], ids=["legacy-tenant"])
def test_legacy_tenant_without_newer_properties(reconcile: Reconcile) -> None:
    desired = qm_schedule(questionmark=QuestionmarkSettings(max_attempts=2),
                          accommodations={"ana@example.com": Accommodation(extra_time=5)})
    reconcile.apply(desired)
    assert "RulesOfConductID" not in reconcile.anchor()
    assert_converged(reconcile, desired)
