"""`reconciler import questionmark`: group-based schedules with metadata and accommodations, adoption."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from ruamel.yaml import YAML

from reconciler import cli
from reconciler.loader import load_project
from reconciler.providers.questionmark.mapping import external_id
from reconciler.sandbox.questionmark import QuestionmarkApp

ASSESSMENT = "65433000065433"
CONFIG = """\
providers:
  questionmark:
    username: ${QUESTIONMARK_USERNAME}
    password: ${QUESTIONMARK_PASSWORD}
desired: [desired]
"""


@pytest.fixture(autouse=True)
def _acme_time(at_acme_time: datetime) -> None:
    """The seeded windows (2027) are read at an instant before them, whatever today's date is."""


def utc(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def seed(app: QuestionmarkApp) -> dict[str, int]:
    team = app.add_group("Safety Team")
    people = {
        "ana": app.add_participant("Ana.Lima@Example.com", "Ana.Lima@Example.com", groups=[team],
                                   FirstName="Ana", LastName="Lima"),
        "raj": app.add_participant("raj.patel@example.com", "raj.patel@example.com", groups=[team],
                                   FirstName="Raj", LastName="Patel"),
        "mei": app.add_participant("mei.chen@example.com", "mei.chen@example.com", groups=[team],
                                   FirstName="Mei", LastName="Chen"),
    }
    # Made in the Questionmark UI: no ownership mark. Every writable setting set.
    made = app.add_schedule(
        Name="Safety Certification", AssessmentID=ASSESSMENT, GroupID=team, MonitoringTypeID=2,
        StartFrom=utc(2027, 3, 27, 9), StartTo=utc(2027, 4, 2, 16), Language="en-GB", Hidden=True,
        ResumeAllowed=True, ResumeTo=utc(2027, 4, 3, 12), ReportFrom=utc(2027, 3, 27), ReportTo=utc(2027, 6, 30),
        ReportTemplateName="Coaching Report", ReportedResult="Best", ExtraTime=10, MaxAttempts=2,
        ObserverInitiated=True, TestCenterID=7, RulesOfConductID=3,
    )
    app.add_metadata(made, "Country", "IE")
    app.add_metadata(made, "Cost centre", "CC-42")
    app.add_schedule(Name="Safety Certification [raj]", ParentScheduleID=made, ParticipantID=people["raj"],
                     AssessmentID=ASSESSMENT, MonitoringTypeID=2, ExtraTime=30, MaxAttempts=3)
    app.add_schedule(Name="Safety Certification [mei]", ParentScheduleID=made, ParticipantID=people["mei"],
                     AssessmentID=ASSESSMENT, MonitoringTypeID=2, Disabled=True)  # access revoked
    # Made by reconciler earlier: already marked. A group schedule, and a candidate list (anchor and seats).
    app.add_schedule(Name="Safety Refresher", AssessmentID=ASSESSMENT, GroupID=team, MonitoringTypeID=1,
                     ExternalID=external_id(ASSESSMENT, "Safety Refresher"))
    mark = external_id(ASSESSMENT, "Safety Induction")
    window = {"StartFrom": utc(2027, 5, 3, 8), "StartTo": utc(2027, 5, 3, 17)}
    app.add_schedule(Name="Safety Induction", AssessmentID=ASSESSMENT, GroupID=team, MonitoringTypeID=1,
                     ExternalID=mark, Disabled=True, **window)
    for who, extra in (("ana", {"ExtraTime": 15}), ("raj", {}), ("mei", {"Disabled": True})):
        role = "revoked" if extra.get("Disabled") else "seat"
        app.add_schedule(Name="Safety Induction", AssessmentID=ASSESSMENT, GroupID=team, MonitoringTypeID=1,
                         ParticipantID=people[who], ExternalID=f"{mark}:{role}", **window, **extra)
    # Never touched: another system's ExternalID, and a schedule for one participant.
    app.add_schedule(Name="LMS Sync", AssessmentID=ASSESSMENT, GroupID=team, MonitoringTypeID=1,
                     ExternalID="lms:4711")
    app.add_schedule(Name="Ana Alone", AssessmentID=ASSESSMENT, ParticipantID=people["ana"], MonitoringTypeID=1)
    return {"made": made, **people}


class Project:
    def __init__(self, tmp_path: Path) -> None:
        self.root = tmp_path / "project"
        self.root.mkdir()
        self.config = self.root / "reconciler.yaml"
        self.config.write_text(CONFIG, encoding="utf-8")
        self.sandbox = tmp_path / "sandbox"
        self.sandbox.mkdir()
        app = QuestionmarkApp()
        self.ids = seed(app)
        self.state = self.sandbox / "questionmark.json"
        self.state.write_text(json.dumps(app.dump_state()), encoding="utf-8")

    def run(self, *args: str) -> Result:
        tail = ["--config", str(self.config)]
        if args[0] != "validate":
            tail += ["--sandbox", "--sandbox-dir", str(self.sandbox)]
        env = {"QUESTIONMARK_USERNAME": None, "QUESTIONMARK_PASSWORD": None}
        return CliRunner().invoke(cli.main, [*args, *tail], env=env, catch_exceptions=False)

    def file(self, scope: str) -> Path:
        return self.root / "desired" / f"imported-questionmark-{scope}.yaml"

    def schedules(self, scope: str) -> dict[str, Any]:
        data = YAML(typ="safe", pure=True).load(self.file(scope).read_text(encoding="utf-8"))
        return {s["name"]: s for s in data["schedules"]} | {"_lists": data.get("candidate_lists", {})}


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


def test_marked_schedules_import_and_unmarked_ones_are_named(project: Project) -> None:
    result = project.run("import", "questionmark", "--group", "Safety Team")
    assert result.exit_code == 0, result.output + result.stderr
    assert "2 schedule(s), 2 candidate(s)" in result.stdout
    assert "Safety Certification (schedule ID" in result.stderr and "re-run with --adopt" in result.stderr
    assert "LMS Sync" in result.stderr and "belongs to another system" in result.stderr
    assert "Ana Alone" not in result.stderr  # not in the group
    assert "Safety Induction (schedule ID" not in result.stderr  # its seats belong to it: never listed apart
    assert set(project.schedules("safety-team")) == {"Safety Refresher", "Safety Induction", "_lists"}
    assert project.run("plan", "--detailed-exitcode").exit_code == 0


def test_adopt_then_plan_shows_no_changes(project: Project) -> None:
    result = project.run("import", "questionmark", "--group", "Safety Team", "--adopt")
    assert result.exit_code == 0, result.output + result.stderr
    assert f"adopted Questionmark · {ASSESSMENT} · Safety Certification" in result.stdout
    assert "3 schedule(s), 2 candidate(s)" in result.stdout
    assert "Checked: planning the imported schedules shows no changes." in result.stdout
    stored = json.loads(project.state.read_text(encoding="utf-8"))
    assert "lms:4711" in json.dumps(stored)  # never overwritten

    assert project.run("validate").exit_code == 0
    plan = project.run("plan", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
    assert "No changes." in plan.stdout

    found = project.schedules("safety-team")
    made = found["Safety Certification"]  # made in the UI: group mode, open to the group's members
    assert made["group"] == "Safety Team"
    assert made["window"] == {"start": "2027-03-27T09:00:00", "end": "2027-04-02T16:00:00", "time_zone": "UTC"}
    assert "candidates" not in made
    assert made["accommodations"] == {"raj.patel@example.com": {"extra_time": 30, "max_attempts": 3}}
    assert made["metadata"] == {"Country": "IE", "Cost centre": "CC-42"}
    assert made["questionmark"] == {
        "language": "en-GB", "hidden": True, "resume_allowed": True, "resume_until": "2027-04-03T12:00:00",
        "report_window": {"start": "2027-03-27T00:00:00", "end": "2027-06-30T00:00:00"},
        "report_template": "Coaching Report", "reported_result": "Best", "extra_time": 10, "max_attempts": 2,
        "monitoring": "QSB_WITH_EVENTS", "observer_initiated": True, "test_center_id": 7, "rules_of_conduct_id": 3,
    }
    refresher = found["Safety Refresher"]
    assert "questionmark" not in refresher and "window" not in refresher  # all defaults
    assert "candidates" not in refresher
    induction = found["Safety Induction"]  # a candidate list: its active seats, Mei's is revoked
    assert induction["candidates"] == ["safety-induction"]
    assert induction.get("questionmark") is None, induction
    assert found["_lists"]["safety-induction"] == [
        {"email": "Ana.Lima@Example.com", "name": "Ana Lima"},  # spelled as read
        {"email": "raj.patel@example.com", "name": "Raj Patel"},
    ]
    assert induction["accommodations"] == {"Ana.Lima@Example.com": {"extra_time": 15}}


def test_times_in_a_zone_plan_the_same(project: Project) -> None:
    result = project.run("import", "questionmark", "--assessment", ASSESSMENT, "--adopt",
                         "--time-zone", "Europe/London")
    assert result.exit_code == 0, result.output + result.stderr
    assert "Ana Alone" in result.stderr and "one participant" in result.stderr
    made = project.schedules(ASSESSMENT)["Safety Certification"]
    # 09:00 UTC is 09:00 GMT; 16:00 UTC on 2 April is 17:00 BST (summer time began on 28 March).
    assert made["window"] == {"start": "2027-03-27T09:00:00", "end": "2027-04-02T17:00:00",
                              "time_zone": "Europe/London"}
    assert made["questionmark"]["resume_until"] == "2027-04-03T13:00:00"
    assert "--time-zone Europe/London" in project.file(ASSESSMENT).read_text(encoding="utf-8")
    assert project.run("plan", "--detailed-exitcode").exit_code == 0


def test_group_or_assessment_and_errors(project: Project) -> None:
    both = project.run("import", "questionmark", "--group", "x", "--assessment", "1")
    assert both.exit_code == 1 and "exactly one of" in both.stderr  # usage errors exit 1: 2 means changes
    missing = project.run("import", "questionmark", "--group", "Nobody")
    assert missing.exit_code == 1 and "no group named 'Nobody'" in missing.stderr
    zone = project.run("import", "questionmark", "--group", "Safety Team", "--time-zone", "Mars/Base")
    assert zone.exit_code == 1 and "unknown time zone" in zone.stderr
    legacy = project.run("import", "questionmark", "--group", "Safety Team", "--time-zone", "US/Eastern")
    assert legacy.exit_code == 1 and "legacy zone name: use the IANA city zone America/New_York" in legacy.stderr


def test_already_managed_schedules_are_not_adopted_again(project: Project) -> None:
    assert project.run("import", "questionmark", "--group", "Safety Team", "--adopt").exit_code == 0
    again = project.run("import", "questionmark", "--assessment", ASSESSMENT, "--adopt")
    assert again.exit_code == 0
    assert again.stderr.count("already in the desired state") == 3
    assert "Nothing to import" in again.stdout
    assert len(load_project(project.config, env={}).desired.schedules) == 3
