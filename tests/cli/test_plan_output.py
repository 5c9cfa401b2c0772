"""What plan shows (no terminal): force/blocked at the top and counted, compact lists and --full, names on
removals, the checksum line, protected-only schedules in sync, one way of naming a schedule."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import Cli, Project, no_traceback, set_java_cohort

JAVA = "Mettl · 769688 · Java Hiring Drive"


def _plan(run: Cli, acme: Project, *extra: str | Path) -> str:
    result = run("plan", *extra, *acme.args())
    assert result.exit_code == 0, result.output
    return result.stdout


def _apply(run: Cli, acme: Project, *extra: str) -> None:
    result = run("apply", "--auto-approve", *extra, *acme.args())
    assert result.exit_code == 0, result.output


def test_large_candidate_changes_are_compact_unless_full(run: Cli, acme: Project) -> None:
    set_java_cohort(acme, 30)  # 27 to add, old.applicant removed, early.bird protected: 29 lines
    added = [f"person.{n:02d}@example.com" for n in range(27)]

    compact = _plan(run, acme)
    assert "    candidates: 27 to add, 1 to remove, 1 protected (the first 5 of each shown; --full shows all)" \
        in compact
    assert [e for e in added if e in compact] == added[:5]
    assert "    + … and 22 more to add" in compact
    assert "    - old.applicant@example.com (Old Applicant)" in compact

    full = _plan(run, acme, "--full")
    assert all(f"    + {e} (Person {e[7:9]})" in full for e in added)
    assert "more to add" not in full and "    candidates:" not in full

    markdown = _plan(run, acme, "--format", "markdown", "--show-pii")
    assert "- Add (27): " in markdown and ", … and 22 more" in markdown and added[5] not in markdown
    assert "`reconciler plan --full` shows all" in markdown
    assert all(e in _plan(run, acme, "--format", "markdown", "--show-pii", "--full") for e in added)

    document = json.loads(_plan(run, acme, "--format", "json"))
    java = next(c for c in document["changes"] if c["name"] == "Java Hiring Drive")
    assert [c["email"] for c in java["candidates"]["add"]] == added  # JSON is always complete


def test_needs_force_is_listed_at_the_top_and_counted(run: Cli, acme: Project) -> None:
    set_java_cohort(acme, 12)
    _apply(run, acme)
    set_java_cohort(acme, 8)  # removes 4 of 13

    result = run("plan", "--detailed-exitcode", *acme.args())
    assert result.exit_code == 2, result.output
    lines = result.stdout.splitlines()
    assert lines[:3] == ["Needs --force:",
                         f"    ! {JAVA}: removes 4 of 13 candidates (31% > 25% limit)", ""]
    assert lines[-2].startswith("Plan: 0 to create, 1 to update, 0 to disable, 1 needs --force. Candidates: ")
    assert "    - person.05@example.com (Person 05)" in lines  # the live name beside the email


def test_removals_show_the_live_name_on_both_vendors(run: Cli, acme: Project) -> None:
    _apply(run, acme)
    path = acme.root / "desired" / "questionmark.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "    - {email: aiko.tanaka@example.com, name: Aiko Tanaka}\n", ""), encoding="utf-8")
    set_java_cohort(acme, 3)  # mei.chen stays; tom.okafor goes

    text = _plan(run, acme)
    assert "    - tom.okafor@example.com (Tom Okafor)" in text
    assert "    - aiko.tanaka@example.com (Aiko Tanaka)" in text
    markdown = _plan(run, acme, "--format", "markdown")
    assert "Tom Okafor" not in markdown and "Aiko Tanaka" not in markdown  # names are PII: masked as emails


def test_the_checksum_line_is_the_saved_plans(run: Cli, acme: Project, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    text = _plan(run, acme, "--out", plan_file)
    last = text.splitlines()[-1]
    checksum = json.loads(plan_file.read_text(encoding="utf-8"))["checksum"]
    assert last == f"Plan checksum: {checksum}"
    _apply(run, acme, "--expect-checksum", last.removeprefix("Plan checksum: "))


def test_protected_only_is_in_sync_and_a_no_op(run: Cli, acme: Project) -> None:
    _apply(run, acme)  # early.bird (submitted) stays live though the desired state drops her

    result = run("plan", "--detailed-exitcode", *acme.args())
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert f"= {JAVA}: 1 protected candidate kept — early.bird@example.com (has submitted)\n" in text
    assert "update" not in text
    assert "No changes. The platforms match the desired state." in text and "4 schedule(s) in sync" in text

    document = json.loads(_plan(run, acme, "--format", "json"))
    assert document["format_version"] == "2.0" and document["has_changes"] is False
    assert document["summary"]["in_sync"] == 4 and document["summary"]["update"] == 0
    assert document["fingerprints"] == {}
    [java] = document["changes"]
    assert java == {
        "action": "no-op", "provider": "mettl", "assessment_id": "769688", "name": "Java Hiring Drive",
        "ref": java["ref"], "candidates": {"protected": ["early.bird@example.com"], "existing": 5,
                                           "protected_reasons": {"early.bird@example.com": "has submitted"}},
    }


def test_a_saved_plan_of_another_format_is_refused(run: Cli, acme: Project, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    _plan(run, acme, "--out", plan_file)
    document = json.loads(plan_file.read_text(encoding="utf-8"))
    plan_file.write_text(json.dumps({**document, "format_version": "1.0"}), encoding="utf-8")
    before = acme.state_file.read_bytes()

    result = run("apply", "--plan", plan_file, "--auto-approve", *acme.args())

    assert result.exit_code == 1
    no_traceback(result)
    assert "a plan in format 1.0, this reconciler reads 2.0" in result.stderr
    assert acme.state_file.read_bytes() == before


def test_one_name_for_a_schedule_everywhere(run: Cli, acme: Project) -> None:
    text = _plan(run, acme)
    assert f"~ update {JAVA} [" in text
    assert "    ? Mettl · 769688 · Legacy Campus Link [" in text  # unmanaged
    applied = run("apply", "--auto-approve", *acme.args())
    assert f"✓ {JAVA}\n" in applied.stdout
    drift = run("drift", *acme.args())
    assert f"  = {JAVA}: early.bird@example.com" in drift.stdout  # drift's protected note
