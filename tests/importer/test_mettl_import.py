"""`reconciler import mettl`: every supported setting read back, and planning the file shows no changes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from click.testing import CliRunner, Result
from ruamel.yaml import YAML

from reconciler import cli, engine
from reconciler.importer import spellings
from reconciler.importer.discovery import Discovery
from reconciler.loader import load_project
from reconciler.models import DesiredState
from reconciler.providers.mettl import discover
from reconciler.providers.mettl.provider import MettlProvider
from reconciler.sandbox.mettl import MettlApp

ASSESSMENT = 769700
CONFIG = """\
providers:
  mettl:
    public_key: ${METTL_PUBLIC_KEY}
    private_key: ${METTL_PRIVATE_KEY}
desired: [desired]
"""
HOOKS = "https://hooks.example.com/mettl"
# The seeded windows (1 Dec 2026, 27 Mar 2027) are read at this instant, whatever today's date is.
FROZEN_NOW = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)

FULL: dict[str, Any] = {
    "name": "Ops On-call Certification",
    "sourceApp": "hr-portal",
    "access": {
        "type": "ByInvitation", "sendEmail": True, "isCandidateCrfPrefilled": True,
        "candidates": [
            {"name": "Ana Lima", "email": "Ana.Lima@Example.com"},
            {"name": "Raj Patel", "email": "raj.patel@example.com", "Date of birth": "Sep 16 1998"},
            {"name": "Mei Chen", "email": "mei.chen@example.com"},
        ],
    },
    "scheduleType": "Fixed",
    "scheduleWindow": {  # crosses the change to summer time in London
        "fixedAccessOption": "SlotWise", "startsOnDate": "Sat, 27 Mar 2027", "startsOnTime": "09:00:00",
        "endsOnDate": "Fri, 02 Apr 2027", "endsOnTime": "17:00:00", "locationTimeZone": "Europe/London",
    },
    "webProctoring": {"enabled": True, "count": 7, "showRemainingCounts": True},
    "visualProctoring": {"mode": "PHOTO", "options": {"candidateScreenCapture": True,
                                                       "candidateAuthorization": True}},
    "secureBrowser": {"enabled": True},
    "protected": "OtpOnEmail",
    "testStartNotificationUrl": f"{HOOKS}/started",
    "testFinishNotificationUrl": f"{HOOKS}/finished",
    "testGradedNotificationUrl": f"{HOOKS}/graded",
    "testResumeEnabledForExpiredTestURL": f"{HOOKS}/resumed",
    "testNotificationBasicAuthHeader": "Basic c2VjcmV0OnNlY3JldA==",
    "testGradeNotification": {"enabled": True, "recipients": ["Hiring@Example.com", "audit@example.com"]},
    "ipAccessRestriction": {"enabled": True, "type": "RANGE", "ranges": [
        {"start": "10.20.0.1", "end": "10.20.0.254"}, {"start": "192.168.1.10", "end": "192.168.1.20"}]},
}
OFFSET: dict[str, Any] = {
    "name": "Bangalore Walk-in",
    "sourceApp": "reconciler",  # made by this tool: not imported (creates send it anyway)
    "access": {"type": "OpenForAll"},
    "scheduleType": "Fixed",
    "scheduleWindow": {"startsOnDate": "Tue, 01 Dec 2026", "startsOnTime": "09:30:00",
                       "endsOnDate": "Tue, 01 Dec 2026", "endsOnTime": "18:00:00", "timeZone": "UTC+05:30"},
    "ipAccessRestriction": {"enabled": True, "type": "SINGLE", "ip": "203.0.113.7"},
}
OPEN: dict[str, Any] = {"name": "Practice ${LEVEL}", "sourceApp": "reconciler", "access": {"type": "OpenForAll"},
                        "scheduleType": "AlwaysOn"}
EMPTY: dict[str, Any] = {"name": "Invite Later", "sourceApp": "reconciler", "access": {"type": "ByInvitation"},
                         "scheduleType": "AlwaysOn"}


def seed(app: MettlApp) -> None:
    app.add_assessment(ASSESSMENT, "Ops Certification")
    app.add_assessment(769688, "Java Developer Assessment")
    for sc in (FULL, OFFSET, OPEN, EMPTY):
        key = app.add_schedule(ASSESSMENT, sc)
        if sc is FULL:
            app.mark_submitted(key, "raj.patel@example.com")
    app.add_schedule(769688, {"name": "Elsewhere", "sourceApp": "reconciler", "access": {"type": "OpenForAll"},
                              "scheduleType": "AlwaysOn"})


class Project:
    """A project folder (no desired files yet) and the embedded sandbox's world, seeded above."""

    def __init__(self, tmp_path: Path) -> None:
        self.root = tmp_path / "project"
        self.root.mkdir()
        self.config = self.root / "reconciler.yaml"
        self.config.write_text(CONFIG, encoding="utf-8")
        self.sandbox = tmp_path / "sandbox"
        self.sandbox.mkdir()
        app = MettlApp()
        seed(app)
        (self.sandbox / "mettl.json").write_text(json.dumps(app.dump_state()), encoding="utf-8")

    def run(self, *args: str) -> Result:
        argv = [*args, "--config", str(self.config), "--sandbox", "--sandbox-dir", str(self.sandbox)]
        if args[0] in ("validate",):
            argv = [*args, "--config", str(self.config)]
        env = {"METTL_PUBLIC_KEY": None, "METTL_PRIVATE_KEY": None}
        return CliRunner().invoke(cli.main, argv, env=env, catch_exceptions=False)

    @property
    def imported(self) -> Path:
        return self.root / "desired" / f"imported-mettl-{ASSESSMENT}.yaml"


@pytest.fixture(autouse=True)
def _frozen_clock() -> Any:
    with time_machine.travel(FROZEN_NOW, tick=True):
        yield


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


def _yaml(path: Path) -> Any:
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


def test_import_then_plan_shows_no_changes(project: Project) -> None:
    result = project.run("import", "mettl", "--assessment", str(ASSESSMENT))
    assert result.exit_code == 0, result.output + result.stderr
    assert "4 schedule(s), 3 candidate(s)" in result.stdout
    assert "Checked: planning the imported schedules shows no changes." in result.stdout

    assert project.run("validate").exit_code == 0
    plan = project.run("plan", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
    assert "No changes." in plan.stdout
    loaded = load_project(project.config, env={})
    assert len(loaded.desired.schedules) == 4
    text = project.imported.read_text(encoding="utf-8")
    assert "previous_names" not in text  # no empty defaults
    assert text.count("source_app") == 1  # hr-portal's only: the project's own is the default


def test_every_setting_is_written(project: Project) -> None:
    assert project.run("import", "mettl", "--assessment", str(ASSESSMENT)).exit_code == 0
    text = project.imported.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../schemas/desired-state.schema.json\n")
    assert "test_notification_basic_auth_header is write-only" in text
    assert "Basic c2VjcmV0" not in text
    data = _yaml(project.imported)
    by_name = {s["name"]: s for s in data["schedules"]}
    assert set(by_name) == {"Ops On-call Certification", "Bangalore Walk-in", "Practice $${LEVEL}", "Invite Later"}

    full = by_name["Ops On-call Certification"]
    assert full["assessment_id"] == str(ASSESSMENT)
    assert full["window"] == {"start": "2027-03-27T09:00:00", "end": "2027-04-02T17:00:00",
                              "time_zone": "Europe/London"}
    assert full["candidates"] == ["ops-on-call-certification"]
    assert full["mettl"] == {
        "source_app": "hr-portal",
        "access": {"send_email": True, "is_candidate_crf_prefilled": True},
        "fixed_access_option": "SlotWise",
        "web_proctoring": {"enabled": True, "count": 7, "show_remaining_counts": True},
        "visual_proctoring": {"mode": "PHOTO", "options": {"candidate_screen_capture": True,
                                                           "candidate_authorization": True}},
        "secure_browser": {"enabled": True},
        "protected": "OtpOnEmail",
        "test_start_notification_url": f"{HOOKS}/started",
        "test_finish_notification_url": f"{HOOKS}/finished",
        "test_graded_notification_url": f"{HOOKS}/graded",
        "test_resume_enabled_for_expired_test_url": f"{HOOKS}/resumed",
        "test_grade_notification": {"enabled": True, "recipients": ["Hiring@Example.com", "audit@example.com"]},
        "ip_access_restriction": {"enabled": True, "type": "RANGE", "ranges": [
            {"start": "10.20.0.1", "end": "10.20.0.254"}, {"start": "192.168.1.10", "end": "192.168.1.20"}]},
    }
    assert data["candidate_lists"]["ops-on-call-certification"] == [
        {"email": "Ana.Lima@Example.com", "name": "Ana Lima"},  # spelled as read
        {"email": "mei.chen@example.com", "name": "Mei Chen"},
        {"email": "raj.patel@example.com", "name": "Raj Patel"},
    ]
    assert "raj.patel@example.com, name: Raj Patel}  # submissionDate " in text

    offset = by_name["Bangalore Walk-in"]
    assert offset["window"]["time_zone"] == "UTC+05:30"  # the live spelling
    assert "candidates" not in offset  # OpenForAll
    assert offset["mettl"] == {"ip_access_restriction": {"enabled": True, "type": "SINGLE", "ip": "203.0.113.7"}}

    practice = by_name["Practice $${LEVEL}"]  # `${` escaped so it is not read as a variable
    assert "window" not in practice and "candidates" not in practice and "mettl" not in practice
    assert by_name["Invite Later"]["candidates"] == []  # ByInvitation, nobody yet
    names = {s.name for s in load_project(project.config, env={}).desired.schedules}
    assert "Practice ${LEVEL}" in names


def test_keep_defaults_pins_every_setting(project: Project) -> None:
    result = project.run("import", "mettl", "--assessment", str(ASSESSMENT), "--keep-defaults")
    assert result.exit_code == 0, result.output + result.stderr
    by_name = {s["name"]: s for s in _yaml(project.imported)["schedules"]}
    assert by_name["Invite Later"]["mettl"]["secure_browser"] == {"enabled": False}
    assert by_name["Invite Later"]["mettl"]["protected"] == "NotEnabled"
    assert project.run("plan", "--detailed-exitcode").exit_code == 0


def test_refuses_to_overwrite_and_skips_managed_schedules(project: Project) -> None:
    assert project.run("import", "mettl", "--assessment", str(ASSESSMENT)).exit_code == 0
    again = project.run("import", "mettl", "--assessment", str(ASSESSMENT))
    assert again.exit_code == 1
    assert "exists: re-run with --force" in again.stderr
    forced = project.run("import", "mettl", "--assessment", str(ASSESSMENT), "--force")
    assert forced.exit_code == 0, forced.stderr
    assert "4 schedule(s)" in forced.stdout

    other = project.root / "elsewhere"
    into_other = project.run("import", "mettl", "--assessment", str(ASSESSMENT), "--out", str(other))
    assert into_other.exit_code == 0
    assert into_other.stderr.count("already in the desired state") == 4
    assert "Nothing to import" in into_other.stdout
    assert not other.exists() or not any(other.iterdir())


def test_out_folder_outside_desired_is_named(project: Project) -> None:
    other = project.root / "drafts"
    result = project.run("import", "mettl", "--assessment", str(ASSESSMENT), "--out", str(other))
    assert result.exit_code == 0, result.stderr
    written = other / f"imported-mettl-{ASSESSMENT}.yaml"
    assert written.exists()
    assert "not under any desired: entry" in result.stderr
    assert _yaml(written)["schedules"]
    assert written.read_text(encoding="utf-8").startswith(
        "# yaml-language-server: $schema=../schemas/desired-state.schema.json")


def test_unknown_assessment_is_an_error(project: Project) -> None:
    result = project.run("import", "mettl", "--assessment", "1")
    assert result.exit_code == 1
    assert "not found" in result.stderr


def test_discover_reads_concurrently_and_keeps_spellings(
        provider: MettlProvider, mettl_app: MettlApp, reconcile: Any) -> None:
    for sc in (FULL, OFFSET):
        mettl_app.add_schedule(ASSESSMENT, sc)
    found = discover.discover_assessment(provider, str(ASSESSMENT))
    assert [o.schedule.name for o in found] == ["Bangalore Walk-in", "Ops On-call Certification"]
    full = found[1]
    assert spellings(full.raw)["ana.lima@example.com"] == "Ana.Lima@Example.com"
    assert full.schedule.mettl is not None and full.schedule.mettl.test_notification_basic_auth_header is None
    run = engine.make_plan(DesiredState(schedules=tuple(o.schedule for o in found)), {"mettl": provider})
    assert not run.plan.has_changes
    assert Discovery("mettl", "x", found).schedules == found
