"""Doctor's identity and access checks (Q-02, Q-20, Q-22, Q-26): each passes on the faithful emulator and fails
on its quirk; `--probe-access` sends exactly the documented read-only action and tells the readings of Q-02
apart. The windows are relative to the clock doctor and the emulator share (now)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from reconciler.checks.probe import Probe, ReadOnlyHttp, WriteRefused, read_only_post
from reconciler.http import HttpClient
from reconciler.providers.questionmark.mapping import external_id, seat_mark
from reconciler.sandbox.questionmark import QuestionmarkApp

from .conftest import Tenant, TenantFactory, questionmark_world

ASSESSMENT = "65433000065433"
SEAT, MEMBER, GROUP = ("questionmark access probe: seat", "questionmark access probe: member without a seat",
                       "questionmark access probe: group schedule")


def _probe_world() -> QuestionmarkApp:
    """A seat (its group with one other member, as an administrator sets it up for the probe) and a
    membership-mode group schedule, all open now."""
    app = questionmark_world()
    now = datetime.now(UTC)
    window = {"StartFrom": now - timedelta(days=1), "StartTo": now + timedelta(days=1)}
    seats_group = app.add_group("Probe Seats")
    seated = app.add_participant("probe.seated@example.com", "probe.seated@example.com")
    app.add_participant("probe.member@example.com", "probe.member@example.com", groups=[seats_group])
    mark = external_id(ASSESSMENT, "Probe Seats")
    app.add_schedule(Name="Probe Seats", AssessmentID=ASSESSMENT, GroupID=seats_group, MonitoringTypeID=1,
                     ExternalID=mark, Disabled=True, Hidden=True, **window)
    app.add_schedule(Name="Probe Seats", AssessmentID=ASSESSMENT, GroupID=seats_group, ParticipantID=seated,
                     MonitoringTypeID=1, ExternalID=seat_mark(mark), **window)
    roster = app.add_group("Probe Roster")
    app.add_participant("probe.roster@example.com", "probe.roster@example.com", groups=[roster])
    app.add_schedule(Name="Probe Roster", AssessmentID=ASSESSMENT, GroupID=roster, MonitoringTypeID=1,
                     ExternalID=external_id(ASSESSMENT, "Probe Roster"), **window)
    return app


def _actions_only(live: Tenant) -> None:
    writes = live.writes()
    assert writes and all(c.method == "POST" and c.path.endswith("/ActionableSchedules") for c in writes)
    assert all(c.json == {} for c in writes)


def test_the_probe_passes_on_the_reading_the_tool_assumes(tenant: TenantFactory) -> None:
    live = tenant(["questionmark"], apps={"questionmark": _probe_world()})
    result, rows = live.rows("--probe-access")
    assert [rows[name]["status"] for name in (SEAT, MEMBER, GROUP)] == ["pass", "pass", "pass"], rows
    assert "'start'" in rows[SEAT]["detail"]
    _actions_only(live)
    assert result.exit_code == 0, result.stdout


@pytest.mark.parametrize(("quirk", "broken"), [("Q-02", SEAT), ("Q-02-or", MEMBER)], ids=["and", "or"])
def test_the_probe_tells_the_readings_apart(tenant: TenantFactory, quirk: str, broken: str) -> None:
    live = tenant(["questionmark"], apps={"questionmark": _probe_world()}, quirks={"questionmark": [quirk]})
    result, rows = live.rows("--probe-access")
    assert rows[broken]["status"] == "fail" and rows[broken]["assumption"] == "Q-02"
    assert "membership mode" in rows[broken]["fix"]
    others = {SEAT, MEMBER} - {broken}
    assert [rows[name]["status"] for name in others] == ["pass"]
    assert rows[GROUP]["status"] == "pass"
    assert result.exit_code == 1
    _actions_only(live)


def test_without_the_flag_nothing_is_posted_and_doctor_says_how(tenant: TenantFactory) -> None:
    live = tenant(["questionmark"], apps={"questionmark": _probe_world()})
    _, rows = live.rows()
    assert rows["questionmark access probe"]["status"] == "manual"
    assert "--probe-access" in rows["questionmark access probe"]["detail"]
    assert SEAT not in rows and live.writes() == []


def test_only_the_documented_read_only_action_may_be_posted() -> None:
    base = "https://qm.example/deliveryodata/1/Participants(5)"
    assert read_only_post("POST", f"{base}/ActionableSchedules", {"json": {}})
    assert not read_only_post("POST", f"{base}/SendWelcomeEmail", {"json": {}})
    assert not read_only_post("POST", f"{base}/ActionableSchedules", {"json": {"ScheduleID": 1}})
    assert not read_only_post("POST", f"{base}/ActionableSchedules?x=1", {"json": {}})
    assert not read_only_post("PATCH", f"{base}/ActionableSchedules", {"json": {}})
    assert not read_only_post("POST", "https://qm.example/deliveryodata/1/Schedules", {"json": {}})
    http = ReadOnlyHttp(HttpClient("questionmark", timeout=1.0), Probe("questionmark"))
    with pytest.raises(WriteRefused, match=r"refused POST .*/SendWelcomeEmail"):
        http.request("POST", f"{base}/SendWelcomeEmail", json={})


@pytest.mark.parametrize(("quirk", "check"), [("Q-20", "questionmark monitoring types"),
                                              ("Q-26", "questionmark PrimaryEmail lookup")])
def test_identity_checks_fail_on_their_quirk(tenant: TenantFactory, quirk: str, check: str) -> None:
    broken = tenant(["questionmark"], quirks={"questionmark": [quirk]})  # passing without: test_doctor
    result, rows = broken.rows()
    assert rows[check]["status"] == "fail" and rows[check]["assumption"] == quirk and rows[check]["fix"]
    assert result.exit_code == 1


def test_logins_that_are_not_emails_fail_only_without_the_email_lookup(tenant: TenantFactory) -> None:
    live = tenant(["questionmark"], quirks={"questionmark": ["Q-22"]})
    _, rows = live.rows()
    assert rows["questionmark login rule"]["status"] == "pass"
    assert "looked up by PrimaryEmail" in rows["questionmark login rule"]["detail"]
    text = live.config.read_text(encoding="utf-8")
    live.config.write_text(text.replace("  questionmark:\n", "  questionmark:\n    max_participants_scanned: 0\n"),
                           encoding="utf-8")
    result, rows = live.rows()
    assert rows["questionmark login rule"]["status"] == "fail", rows["questionmark login rule"]
    assert "second account" in rows["questionmark login rule"]["detail"]
    assert result.exit_code == 1
