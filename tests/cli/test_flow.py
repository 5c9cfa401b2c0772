"""plan / apply against the embedded sandbox (a copy of examples/acme): exit codes, refusals, saved plans."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reconciler.providers.mettl.client import MettlClient
from reconciler.sandbox.launch import start_vendor

from .conftest import Cli, Project, calls, no_traceback, set_java_cohort

JAVA = "Mettl · 769688 · Java Hiring Drive"


def _apply(run: Cli, acme: Project, *extra: str | Path) -> None:
    result = run("apply", "--auto-approve", *extra, *acme.args())
    assert result.exit_code == 0, result.output


def _live_schedule(acme: Project, name: str) -> dict[str, Any]:
    state = json.loads(acme.state_file.read_text(encoding="utf-8"))
    return next(s for s in state["schedules"] if s["name"] == name)


def test_newcomer_flow_plan_apply_plan(run: Cli, acme: Project) -> None:
    first = run("plan", "--detailed-exitcode", *acme.args())
    assert first.exit_code == 2, first.output
    assert "Java Hiring Drive" in first.stdout
    plan_calls = calls(first.stderr)

    applied = run("apply", "--auto-approve", *acme.args())
    assert applied.exit_code == 0, applied.output
    assert "Apply: " in applied.stdout and " 0 failed." in applied.stdout
    assert "✗" not in applied.stdout
    apply_calls = calls(applied.stdout)

    again = run("plan", "--detailed-exitcode", *acme.args())
    assert again.exit_code == 0, again.output
    assert "No changes" in again.stdout
    replan_calls = calls(again.stderr)

    print(f"HTTP calls: plan {plan_calls}, apply {apply_calls}, plan {replan_calls}")
    assert plan_calls["mettl"] <= 5, plan_calls
    assert apply_calls["mettl"] <= plan_calls["mettl"] + 4, apply_calls   # 3 writes + the plan's reads
    assert replan_calls["mettl"] <= 6, replan_calls


def test_apply_without_a_terminal_or_auto_approve_refuses(run: Cli, acme: Project) -> None:
    assert run("plan", *acme.args()).exit_code == 0  # seeds the sandbox world
    before = acme.state_file.read_bytes()

    result = run("apply", *acme.args(), input="y\n")

    assert result.exit_code == 1
    no_traceback(result)
    assert "Java Hiring Drive" in result.stdout  # the plan is shown
    assert "--auto-approve" in result.stderr
    assert acme.state_file.read_bytes() == before


def test_removing_too_many_candidates_is_refused_unless_forced(run: Cli, acme: Project) -> None:
    set_java_cohort(acme, 12)
    _apply(run, acme)
    assert len(_live_schedule(acme, "Java Hiring Drive")["access"]["candidates"]) == 13  # + early.bird
    set_java_cohort(acme, 8)  # removes 4 of 13: over the 25% limit
    before = acme.state_file.read_bytes()

    refused = run("apply", "--auto-approve", *acme.args())

    assert refused.exit_code == 3, refused.output
    no_traceback(refused)
    assert "refused as unsafe" in refused.stderr and "Java Hiring Drive" in refused.stderr
    assert acme.state_file.read_bytes() == before

    planned = run("plan", "--detailed-exitcode", *acme.args())
    assert planned.exit_code == 2 and "needs --force" in planned.stdout

    _apply(run, acme, "--force")
    live = _live_schedule(acme, "Java Hiring Drive")["access"]["candidates"]
    assert len(live) == 9  # 8 + early.bird (protected: submitted)


def _move_java_window(acme: Project) -> None:
    """Someone edits the live schedule through the vendor API after the plan was made."""
    key = _live_schedule(acme, "Java Hiring Drive")["accessKey"]
    with start_vendor("mettl", state_dir=acme.sandbox_dir) as sandbox:  # loads and saves the world
        client = MettlClient(sandbox.url, sandbox.user, sandbox.secret)
        try:
            client.edit_schedule(key, {"scheduleType": "Fixed", "scheduleWindow": {
                "fixedAccessOption": "ExactTime",
                "startsOnDate": "Tue, 01 Dec 2026", "startsOnTime": "09:00:00",
                "endsOnDate": "Thu, 03 Dec 2026", "endsOnTime": "18:00:00",
                "locationTimeZone": "Asia/Kolkata"}})
        finally:
            client.close()


def test_a_saved_plan_applies_when_nothing_moved(run: Cli, acme: Project, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    assert run("plan", "--out", plan_file, *acme.args()).exit_code == 0
    _apply(run, acme, "--plan", plan_file)
    assert run("plan", "--detailed-exitcode", *acme.args()).exit_code == 0


def test_a_stale_saved_plan_is_refused_naming_what_moved(run: Cli, acme: Project, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    saved = run("plan", "--out", plan_file, *acme.args())
    assert saved.exit_code == 0 and "Saved plan" in saved.stderr
    _move_java_window(acme)
    assert _live_schedule(acme, "Java Hiring Drive")["scheduleWindow"]["endsOnDate"] == "Thu, 03 Dec 2026"
    before = acme.state_file.read_bytes()

    result = run("apply", "--plan", plan_file, "--auto-approve", *acme.args())

    assert result.exit_code == 4  # the plan changed since it was reviewed
    no_traceback(result)
    assert "stale" in result.stderr and "nothing was applied" in result.stderr
    assert f"{JAVA} changed on the platform" in result.stderr
    assert "Apply:" not in result.stdout
    assert acme.state_file.read_bytes() == before


def test_a_hand_edited_saved_plan_is_refused(run: Cli, acme: Project, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    assert run("plan", "--out", plan_file, *acme.args()).exit_code == 0
    document = json.loads(plan_file.read_text(encoding="utf-8"))
    document["in_sync"] += 1
    plan_file.write_text(json.dumps(document), encoding="utf-8")
    before = acme.state_file.read_bytes()

    result = run("apply", "--plan", plan_file, "--auto-approve", *acme.args())

    assert result.exit_code == 1
    no_traceback(result)
    assert "checksum does not match" in result.stderr
    assert acme.state_file.read_bytes() == before


def test_a_saved_plan_that_is_not_a_plan_is_one_clean_line(run: Cli, acme: Project, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps({"checksum": "0" * 64, "changes": [{"action": "explode"}]}), encoding="utf-8")
    result = run("apply", "--plan", plan_file, "--auto-approve", *acme.args())
    assert result.exit_code == 1
    no_traceback(result)
    assert len(result.stderr.splitlines()) == 1 and "not a valid reconciler plan file" in result.stderr


def test_expect_checksum_applies_only_the_reviewed_plan(run: Cli, acme: Project) -> None:
    planned = run("plan", "--format", "json", *acme.args())
    checksum = json.loads(planned.stdout)["checksum"]
    before = acme.state_file.read_bytes()

    wrong = run("apply", "--auto-approve", "--expect-checksum", "0123456789abcdef", *acme.args())
    assert wrong.exit_code == 4
    no_traceback(wrong)
    assert "0123456789ab" in wrong.stderr and checksum[:12] in wrong.stderr
    assert "Plan: " in wrong.stderr  # one-line summary of the fresh plan
    assert acme.state_file.read_bytes() == before

    short = run("apply", "--auto-approve", "--expect-checksum", checksum[:8], *acme.args())
    assert short.exit_code == 1 and "at least 12 hex" in short.stderr
    assert acme.state_file.read_bytes() == before

    right = run("apply", "--auto-approve", "--expect-checksum", checksum[:12].upper(), *acme.args())
    assert right.exit_code == 0, right.output
    assert "Apply: " in right.stdout
    assert acme.state_file.read_bytes() != before


def test_expect_checksum_full_length(run: Cli, acme: Project, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    assert run("plan", "--out", plan_file, *acme.args()).exit_code == 0
    checksum = json.loads(plan_file.read_text(encoding="utf-8"))["checksum"]
    _apply(run, acme, "--plan", plan_file, "--expect-checksum", checksum)


def test_a_value_mettl_does_not_keep_fails_apply_every_time(run: Cli, acme: Project) -> None:
    assert run("plan", *acme.args()).exit_code == 0  # seeds the sandbox world
    state = json.loads(acme.state_file.read_text(encoding="utf-8"))
    state["quirks"]["limits"] = {"webProctoring.count": 5}  # this account keeps at most 5
    acme.state_file.write_text(json.dumps(state), encoding="utf-8")

    for _ in range(2):
        result = run("apply", "--auto-approve", *acme.args())
        assert result.exit_code == 1, result.output
        no_traceback(result)
        assert f"✗ {JAVA} — webProctoring.count: sent 10, Mettl kept 5" in result.stdout
        assert "1 change(s) failed" in result.stderr
    assert _live_schedule(acme, "Java Hiring Drive")["webProctoring"]["count"] == 5


def test_terraform_habits_plan_out_then_apply_planfile(run: Cli, acme: Project, tmp_path: Path) -> None:
    plan_file = tmp_path / "tfplan"
    saved = run("plan", "-out", plan_file, "-detailed-exitcode", *acme.args())
    assert saved.exit_code == 2, saved.output  # changes, as terraform's -detailed-exitcode says
    assert plan_file.is_file() and "Saved plan" in saved.stderr
    applied = run("apply", plan_file, *acme.args())  # no --auto-approve, no terminal: the saved plan is the approval
    assert applied.exit_code == 0, applied.output
    assert "Do you want to apply" not in applied.stderr and "Apply: " in applied.stdout
    assert run("plan", "--detailed-exitcode", *acme.args()).exit_code == 0


def test_apply_without_a_saved_plan_still_asks(run: Cli, acme: Project, tmp_path: Path) -> None:
    refused = run("apply", *acme.args())
    assert refused.exit_code == 1 and "re-run with --auto-approve" in refused.stderr
    other = tmp_path / "other.json"
    assert run("plan", "--out", other, *acme.args()).exit_code == 0
    both = run("apply", other, "--plan", tmp_path / "third.json", *acme.args())
    assert both.exit_code == 1 and "two saved plans given" in both.stderr
