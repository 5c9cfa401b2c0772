"""`reconciler drift` end to end: a real git repository, the `reconciler-applied` tag, the embedded sandbox."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from reconciler import cli

CONFIG = """\
providers:
  mettl:
    public_key: ${METTL_PUBLIC_KEY}
    private_key: ${METTL_PRIVATE_KEY}
desired: [desired]
"""

EXAMS = """\
schedules:
  - name: Ops Drill
    provider: mettl
    assessment_id: 769700
    window: {{start: "2030-03-30T09:00:00", end: "2030-04-02T17:00:00", time_zone: Europe/London}}
    candidates:
      - {{email: ana@example.com, name: Ana Lima}}
      - {{email: raj@example.com, name: Raj Patel}}{extra}
    mettl:
      web_proctoring: {{enabled: true, count: {count}}}
{suppressions}"""


class Repo:
    """A project in a fresh git repository, with its sandbox world outside the repository."""

    def __init__(self, tmp_path: Path) -> None:
        self.root = tmp_path / "repo"
        self.sandbox = tmp_path / "sandbox"
        (self.root / "desired").mkdir(parents=True)
        (self.root / "reconciler.yaml").write_text(CONFIG, encoding="utf-8")
        self.write_exams()
        self.git("init", "-q", "-b", "main")

    def write_exams(self, count: int = 5, extra: str = "", suppressions: str = "") -> None:
        text = EXAMS.format(count=count, extra=extra, suppressions=suppressions)
        (self.root / "desired" / "exams.yaml").write_text(text, encoding="utf-8")

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false",
             *args], cwd=self.root, capture_output=True, text=True, check=True)
        return done.stdout

    def commit(self, message: str) -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)

    def run(self, *args: str, env: Mapping[str, str | None] | None = None) -> Result:
        argv = [*args, "--config", str(self.root / "reconciler.yaml"), "--sandbox", "--sandbox-dir",
                str(self.sandbox)]
        clean: dict[str, str | None] = {"METTL_PUBLIC_KEY": None, "METTL_PRIVATE_KEY": None,
                                        "RECONCILER_PII_KEY": None}
        return CliRunner().invoke(cli.main, argv, env={**clean, **(env or {})}, catch_exceptions=False)

    def edit_live(self, name: str, **window: str) -> None:
        """A hand edit in the vendor UI: the emulator's saved world changed directly."""
        path = self.sandbox / "mettl.json"
        state: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        for schedule in state["schedules"]:
            if schedule["name"] == name:
                schedule["scheduleWindow"].update(window)
        path.write_text(json.dumps(state), encoding="utf-8")


@pytest.fixture
def repo(tmp_path: Path, at_acme_time: datetime) -> Repo:
    """Applied and tagged; the test runs at a fixed instant before the windows (2030), whatever today's date."""
    project = Repo(tmp_path)
    project.commit("first schedules")
    project.git("tag", "reconciler-applied")
    applied = project.run("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output + applied.stderr
    return project


def test_in_sync_right_after_apply(repo: Repo) -> None:
    result = repo.run("drift")
    assert result.exit_code == 0, result.output
    assert "Baseline (last applied): reconciler-applied (" in result.stdout
    assert result.stdout.rstrip().splitlines()[-1].startswith("In sync.")


def test_drift_and_unapplied_config_from_git(repo: Repo) -> None:
    repo.edit_live("Ops Drill", endsOnDate="Wed, 03 Apr 2030")
    repo.write_exams(count=7)  # changed on main, never applied

    result = repo.run("drift", "--format", "json")

    assert result.exit_code == 2, result.output + result.stderr
    document = json.loads(result.stdout)
    found = {i["path"]: i for i in document["items"]}
    assert set(found) == {"window", "mettl.web_proctoring.count"}
    assert found["window"]["kind"] == "drift"
    assert found["window"]["live"]["end"] == "2030-04-03T17:00:00"
    assert found["window"]["baseline"]["end"] == found["window"]["desired"]["end"] == "2030-04-02T17:00:00"
    count = found["mettl.web_proctoring.count"]
    assert (count["kind"], count["live"], count["desired"], count["baseline"]) == ("unapplied", 5, 7, 5)
    assert document["baseline"]["available"] is True

    text = repo.run("drift")
    assert text.exit_code == 2
    assert "Drift: changed on the platform by hand" in text.stdout
    assert "mettl.web_proctoring.count: live 5, desired 7 (last applied: 5)" in text.stdout


def test_baseline_follows_the_tag(repo: Repo) -> None:
    repo.write_exams(count=7)
    repo.commit("more proctoring")
    assert repo.run("drift").exit_code == 2  # committed but not applied: still unapplied
    assert repo.run("apply", "--auto-approve").exit_code == 0
    repo.git("tag", "-f", "reconciler-applied")
    assert repo.run("drift").exit_code == 0


def test_explicit_baseline_and_a_missing_one(repo: Repo) -> None:
    repo.write_exams(count=7)
    repo.commit("more proctoring")
    repo.edit_live("Ops Drill", endsOnDate="Wed, 03 Apr 2030")
    head = json.loads(repo.run("drift", "--format", "json", "--baseline", "HEAD").stdout)
    # Against HEAD (as if HEAD were applied) both differences count as drift.
    assert sorted(i["kind"] for i in head["items"]) == ["drift", "drift"]

    missing = repo.run("drift", "--baseline", "no-such-ref")
    assert missing.exit_code == 1
    assert "no-such-ref: no such commit" in missing.stderr


def test_without_the_tag_items_are_unclassified(repo: Repo) -> None:
    repo.git("tag", "-d", "reconciler-applied")
    repo.write_exams(count=7)
    result = repo.run("drift")
    assert result.exit_code == 2
    assert "Unclassified" in result.stdout and "git tag -f reconciler-applied" in result.stdout


def test_suppressions_from_the_desired_files(repo: Repo) -> None:
    repo.edit_live("Ops Drill", endsOnDate="Wed, 03 Apr 2030")
    active = """suppressions:
  - {schedule: Ops Drill, paths: [window], owner: ops-team, reason: vendor outage, expires: 2999-01-01}
"""
    repo.write_exams(suppressions=active)
    result = repo.run("drift")
    assert result.exit_code == 0, result.stdout
    assert "Suppressed (known drift):" in result.stdout and "by ops-team until 2999-01-01" in result.stdout

    expired = active.replace("2999-01-01", "2020-01-01")
    repo.write_exams(suppressions=expired)
    result = repo.run("drift")
    assert result.exit_code == 2
    assert "suppression for Ops Drill (window) by ops-team expired on 2020-01-01" in result.stdout
    assert "Drift: changed on the platform by hand" in result.stdout


def test_markdown_masks_emails_unless_asked(repo: Repo) -> None:
    repo.write_exams(extra="\n      - {email: mei@example.com, name: Mei Chen}")
    masked = repo.run("drift", "--format", "markdown", env={"RECONCILER_PII_KEY": "k"})
    assert masked.exit_code == 2
    assert masked.stdout.startswith("<!-- reconciler-drift -->")
    assert "mei@example.com" not in masked.stdout and "cand-" in masked.stdout
    shown = repo.run("drift", "--format", "markdown", "--show-pii")
    assert "mei@example.com" in shown.stdout
