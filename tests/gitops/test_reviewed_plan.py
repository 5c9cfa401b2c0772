"""The reviewed plan is the applied plan: plan.yml records the plan's checksum as the commit status
`reconciler/plan` on the pull request's head; apply.yml finds the merged pull request, reads that status and
applies with --expect-checksum. The github-script steps run here with node against a recording fake API.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .gha import ScriptRun, run_bash, run_script, step, template

OWNER = {"owner": "acme", "repo": "schedules"}
HEAD, MERGE = "a" * 40, "b" * 40
CHECKSUM = "0123456789abcdef" * 4
MARKER = "<!-- reconciler-plan -->"
BOT = {"login": "github-actions[bot]", "type": "Bot"}


def _context(event: str = "push", **extra: Any) -> dict[str, Any]:
    return {"repo": OWNER, "serverUrl": "https://github.example", "runId": 7, "eventName": event, "sha": MERGE,
            "issue": {"number": 12}, "payload": {"pull_request": {"head": {"sha": HEAD}}}, **extra}


# --------------------------------------------------------------------------- plan.yml: comment and status


def _record(tmp_path: Path, result: str, checksum: str = "", markdown: str | None = None,
            comments: list[dict[str, Any]] | None = None) -> ScriptRun:
    found = step(template("plan"), "plan", "Comment the plan and record its checksum")
    path = tmp_path / "plan.md"
    if markdown is not None:
        path.write_text(markdown, encoding="utf-8")
    env = {"RUN": "plan", "RESULT": result, "CHECKSUM": checksum,
           "MARKDOWN": str(path) if markdown is not None else ""}
    return run_script(found, tmp_path, context=_context("pull_request"), env=env,
                      responses={"issues.listComments": comments or []})


def test_a_plan_is_commented_and_its_checksum_recorded_on_the_head_commit(tmp_path: Path) -> None:
    done = _record(tmp_path, "changes", CHECKSUM, f"{MARKER}\n## Reconciler plan\n\n**Plan: 1 to create**\n")
    [status] = done.called("repos.createCommitStatus")
    assert status == {**OWNER, "sha": HEAD, "context": "reconciler/plan", "state": "success",
                      "description": f"checksum {CHECKSUM}", "target_url": "https://github.example/acme/schedules/"
                      "actions/runs/7"}
    assert len(status["description"]) <= 140  # GitHub's limit for a status description
    [comment] = done.called("issues.createComment")
    assert comment["issue_number"] == 12 and comment["body"].startswith(MARKER)
    assert "**Plan: 1 to create**" in comment["body"] and f"`{CHECKSUM[:12]}`" in comment["body"]
    assert not done.called("issues.updateComment") and not done.failures


def test_the_sticky_comment_is_updated_and_a_persons_comment_left_alone(tmp_path: Path) -> None:
    comments = [{"id": 1, "user": {"type": "User"}, "body": f"{MARKER} quoting the bot"},
                {"id": 2, "user": BOT, "body": f"{MARKER}\nold plan"}]
    done = _record(tmp_path, "no-changes", CHECKSUM, f"{MARKER}\n## Reconciler plan\n\nNo changes.\n", comments)
    [update] = done.called("issues.updateComment")
    assert update["comment_id"] == 2 and "No changes." in update["body"]
    assert not done.called("issues.createComment")


@pytest.mark.parametrize(("result", "markdown", "shown"), [
    ("invalid", "### reconciler plan: the desired state is invalid\n\n````text\nerror: desired/x.yaml:3: …\n````\n",
     "desired/x.yaml:3"),
    ("error", None, "The plan failed (error)"),
    ("", None, "The plan failed (no result)"),
])
def test_a_failed_plan_records_a_failure_without_checksum(tmp_path: Path, result: str, markdown: str | None,
                                                          shown: str) -> None:
    done = _record(tmp_path, result, "", markdown)
    [status] = done.called("repos.createCommitStatus")
    assert status["state"] == "failure" and "checksum" not in status["description"]
    [comment] = done.called("issues.createComment")
    assert comment["body"].startswith(MARKER) and shown in comment["body"]
    assert "nothing will be applied" in comment["body"]


# --------------------------------------------------------------------------- apply.yml: find the reviewed plan


PLAN_RUN = {"id": 7, "path": ".github/workflows/plan.yml", "event": "pull_request", "head_sha": HEAD,
            "repository": {"full_name": "acme/schedules"}}
"""The plan workflow's own run for the pull request's head, as GET /actions/runs/7 answers."""
RUN_URL = "https://github.example/acme/schedules/actions/runs/7"


def _find(tmp_path: Path, *, prs: list[dict[str, Any]] | None = None, statuses: list[dict[str, Any]] | None = None,
          event: str = "push", by_hand: str = "", run: dict[str, Any] | None = None) -> ScriptRun:
    found = step(template("apply"), "apply", "reviewed")
    responses = {"repos.listPullRequestsAssociatedWithCommit": prs or [],
                 "repos.listCommitStatusesForRef": statuses or [],
                 "actions.getWorkflowRun": PLAN_RUN if run is None else run}
    return run_script(found, tmp_path, context=_context(event), env={"BY_HAND": by_hand}, responses=responses)


MERGED = {"number": 12, "merged_at": "2026-11-20T10:00:00Z", "merge_commit_sha": MERGE, "head": {"sha": HEAD}}


def _status(state: str = "success", description: str = f"checksum {CHECKSUM}", creator: dict[str, str] = BOT,
            context: str = "reconciler/plan", target_url: str = RUN_URL) -> dict[str, Any]:
    return {"context": context, "state": state, "description": description, "creator": creator,
            "target_url": target_url}


def test_the_merged_pull_requests_reviewed_checksum_is_applied(tmp_path: Path) -> None:
    other = {"number": 3, "merged_at": None, "merge_commit_sha": "c" * 40, "head": {"sha": "d" * 40}}
    done = _find(tmp_path, prs=[other, MERGED], statuses=[_status(context="ci"), _status()])
    assert done.outputs == {"command": "apply", "checksum": CHECKSUM} and not done.failures
    [lookup] = done.called("repos.listCommitStatusesForRef")
    assert lookup["ref"] == HEAD  # the status of the pull request's last commit, not of the merge
    assert done.called("actions.getWorkflowRun") == [{**OWNER, "run_id": 7}]  # the run that set it, checked


# --------------------------------------------------------------------------- apply.yml: the status's origin


@pytest.mark.parametrize(("run", "why"), [
    ({**PLAN_RUN, "path": ".github/workflows/forge.yml"}, "set by .github/workflows/forge.yml, not "
                                                          ".github/workflows/plan.yml"),
    ({**PLAN_RUN, "path": ".github/workflows/plan.yml.bak"}, "not .github/workflows/plan.yml"),
    ({**PLAN_RUN, "event": "workflow_dispatch"}, "set by a workflow_dispatch run, not a pull_request run"),
    ({**PLAN_RUN, "event": "pull_request_target"}, "set by a pull_request_target run"),
    ({**PLAN_RUN, "event": "push"}, "set by a push run"),
    ({**PLAN_RUN, "head_sha": "e" * 40}, "set by a run for another commit (eeeeeeeeeeee)"),
    ({**PLAN_RUN, "repository": {"full_name": "mallory/schedules"}}, "a run of another repository"),
    ({}, "set by an unknown workflow"),
])
def test_a_status_not_set_by_the_plan_workflows_own_run_for_that_commit_applies_nothing(
        tmp_path: Path, run: dict[str, Any], why: str) -> None:
    """Any workflow with `statuses: write` can set reconciler/plan as github-actions[bot]: only the plan
    workflow's own pull_request run for the pull request's head commit counts."""
    done = _find(tmp_path, prs=[MERGED], statuses=[_status()], run=run)
    assert "command" not in done.outputs and "checksum" not in done.outputs
    assert len(done.failures) == 1 and why in done.failures[0], done.failures


def test_the_run_path_may_carry_its_ref(tmp_path: Path) -> None:
    run = {**PLAN_RUN, "path": ".github/workflows/plan.yml@refs/pull/12/merge"}
    assert _find(tmp_path, prs=[MERGED], statuses=[_status()], run=run).outputs["checksum"] == CHECKSUM


@pytest.mark.parametrize("target_url", [
    "", "https://evil.example/acme/schedules/actions/runs/7", "https://github.example/mallory/x/actions/runs/7",
    f"{RUN_URL}/attempts/1", "https://github.example/acme/schedules/actions/runs/7?x=1",
])
def test_a_status_naming_no_run_of_this_repository_applies_nothing(tmp_path: Path, target_url: str) -> None:
    done = _find(tmp_path, prs=[MERGED], statuses=[_status(target_url=target_url)])
    assert "checksum" not in done.outputs and "names no workflow run of this repository" in done.failures[0]
    assert not done.called("actions.getWorkflowRun")


def test_a_newer_forged_status_shadows_the_genuine_one_and_nothing_is_applied(tmp_path: Path) -> None:
    """Fail closed: the newest reconciler/plan status counts; a forged one on top is refused, not skipped."""
    forged = _status(target_url="https://github.example/acme/schedules/actions/runs/8")
    done = _find(tmp_path, prs=[MERGED], statuses=[forged, _status()],
                 run={**PLAN_RUN, "id": 8, "path": ".github/workflows/forge.yml"})
    assert "checksum" not in done.outputs and done.called("actions.getWorkflowRun") == [{**OWNER, "run_id": 8}]


@pytest.mark.parametrize(("prs", "statuses", "why"), [
    ([], [], "is not the merge of a pull request"),
    ([{**MERGED, "merge_commit_sha": "c" * 40}], [_status()], "is not the merge of a pull request"),
    ([MERGED], [], "has no reconciler/plan status"),
    ([MERGED], [_status(creator={"login": "mallory", "type": "User"})], "was not set by GitHub Actions"),
    ([MERGED], [_status("failure", "no plan (error)"), _status()], "plan of pull request #12 failed"),
    ([MERGED], [_status(description="checksum 0123")], "no checksum"),
])
def test_no_reviewed_plan_applies_nothing(tmp_path: Path, prs: list[dict[str, Any]],
                                          statuses: list[dict[str, Any]], why: str) -> None:
    done = _find(tmp_path, prs=prs, statuses=statuses)
    assert "checksum" not in done.outputs and "command" not in done.outputs
    assert len(done.failures) == 1 and "no reviewed plan" in done.failures[0]
    assert why in done.summary + done.failures[0]
    assert "run this workflow by hand" in done.summary


@pytest.mark.parametrize(("given", "outputs"), [
    ("", {"command": "plan", "checksum": ""}),
    (" 0123456789ABCDEF ", {"command": "apply", "checksum": "0123456789abcdef"}),
    (CHECKSUM, {"command": "apply", "checksum": CHECKSUM}),
])
def test_by_hand_plan_first_then_apply_that_checksum(tmp_path: Path, given: str, outputs: dict[str, str]) -> None:
    done = _find(tmp_path, event="workflow_dispatch", by_hand=given)
    assert done.outputs == outputs and not done.failures
    assert not done.calls  # no API call: the person gives the checksum


def test_by_hand_a_malformed_checksum_is_refused(tmp_path: Path) -> None:
    done = _find(tmp_path, event="workflow_dispatch", by_hand="0123; rm -rf /")
    assert done.failures and not done.outputs


def test_round_trip_the_recorded_status_is_what_apply_reads(tmp_path: Path) -> None:
    recorded = _record(tmp_path, "changes", CHECKSUM, f"{MARKER}\nplan\n").called("repos.createCommitStatus")[0]
    status = {"context": recorded["context"], "state": recorded["state"], "description": recorded["description"],
              "creator": BOT, "target_url": recorded["target_url"]}
    assert _find(tmp_path, prs=[MERGED], statuses=[status]).outputs["checksum"] == CHECKSUM


def test_planned_by_hand_the_summary_says_how_to_apply(tmp_path: Path) -> None:
    found = step(template("apply"), "apply", "Say how to apply this plan")
    assert "steps.reviewed.outputs.command == 'plan'" in found["if"]
    code, output, _ = run_bash(found["run"], tmp_path, {"CHECKSUM": CHECKSUM})
    assert code == 0 and CHECKSUM in (tmp_path / "step_summary").read_text() and CHECKSUM in output


# --------------------------------------------------------------------------- the tag and the drift issue


@pytest.mark.parametrize("exists", [True, False])
def test_the_applied_tag_moves_or_is_created(tmp_path: Path, exists: bool) -> None:
    found = step(template("apply"), "tag", "Move the reconciler-applied tag to the applied commit")
    errors = {} if exists else {"git.updateRef": {"status": 422}}
    done = run_script(found, tmp_path, context=_context(), errors=errors)
    assert done.called("git.updateRef") == [{**OWNER, "sha": MERGE, "ref": "tags/reconciler-applied", "force": True}]
    assert done.called("git.createRef") == ([] if exists else [{**OWNER, "sha": MERGE,
                                                                "ref": "refs/tags/reconciler-applied"}])


def test_drift_opens_one_issue_and_closes_it_when_back_in_sync(tmp_path: Path) -> None:
    found = step(template("drift"), "drift", "Open, update or close the drift issue")
    report = tmp_path / "drift.md"
    report.write_text("## Drift\n\n1 schedule changed by hand\n", encoding="utf-8")
    opened = run_script(found, tmp_path, context=_context("schedule"), env={"DRIFT_RESULT": "drift",
                        "MARKDOWN": str(report)}, errors={"issues.getLabel": {"status": 404}})
    [issue] = opened.called("issues.create")
    assert issue["labels"] == ["reconciler-drift"] and "1 schedule changed by hand" in issue["body"]
    assert opened.called("issues.createLabel")
    closed = run_script(found, tmp_path, context=_context("schedule"), env={"DRIFT_RESULT": "in-sync",
                        "MARKDOWN": str(report)}, responses={"issues.listForRepo": [{"number": 5}]})
    # the fake answers both searches (drift issues, failing-check issues) with #5: closed for each
    assert [c["labels"] for c in closed.called("issues.listForRepo")] == ["reconciler-drift-failing",
                                                                          "reconciler-drift"]
    assert closed.called("issues.update")[-1] == {**OWNER, "issue_number": 5, "state": "closed",
                                                  "state_reason": "completed"}
    assert not closed.called("issues.create")


@pytest.mark.parametrize("result", ["error", "invalid", "input-error", ""])
def test_a_failing_drift_check_opens_one_issue_saying_so(tmp_path: Path, result: str) -> None:
    found = step(template("drift"), "drift", "Open, update or close the drift issue")
    assert found["if"] == "${{ !cancelled() }}"  # also after the drift step failed
    summary = tmp_path / "summary.md"
    summary.write_text("### reconciler drift\n\n⛔ Drift failed (exit code 1).\n\nerror: questionmark: 401\n")
    done = run_script(found, tmp_path, context=_context("schedule"),
                      env={"DRIFT_RESULT": result, "MARKDOWN": str(summary)},
                      errors={"issues.getLabel": {"status": 404}})
    [issue] = done.called("issues.create")
    assert issue["title"] == "Drift check failing" and issue["labels"] == ["reconciler-drift-failing"]
    assert "error: questionmark: 401" in issue["body"] and "actions/runs/7" in issue["body"]
    assert not done.called("issues.update")  # nothing closed: the drift issue (if any) stays as it was


def test_a_failing_check_updates_its_open_issue(tmp_path: Path) -> None:
    found = step(template("drift"), "drift", "Open, update or close the drift issue")
    done = run_script(found, tmp_path, context=_context("schedule"), env={"DRIFT_RESULT": "error", "MARKDOWN": ""},
                      responses={"issues.listForRepo": [{"number": 9, "body": "old error\n<sub>Last checked x"}]})
    [update] = done.called("issues.update")
    assert update["issue_number"] == 9 and "The drift check failed (error)" in update["body"]
    assert not done.called("issues.create") and len(done.called("issues.createComment")) == 1


@pytest.mark.parametrize("result", ["drift", "error"])
def test_an_issue_body_stays_under_githubs_limit_with_a_link_to_the_run(tmp_path: Path, result: str) -> None:
    found = step(template("drift"), "drift", "Open, update or close the drift issue")
    report = tmp_path / "drift.md"
    report.write_text("## Drift\n\n" + "| schedule | field |\n" * 20_000, encoding="utf-8")  # 400,000 characters
    done = run_script(found, tmp_path, context=_context("schedule"), env={"DRIFT_RESULT": result,
                      "MARKDOWN": str(report)})
    [issue] = done.called("issues.create")
    assert len(issue["body"]) < 65_536
    assert "… cut: the full report is in [the run](https://github.example/acme/schedules/actions/runs/7)" in (
        issue["body"])


# --------------------------------------------------------------------------- the sharded template's gate


@pytest.mark.parametrize(("command", "checksums", "code", "wanted"), [
    ("apply", f"west=ffffffffffff east={CHECKSUM.upper()}", 0, CHECKSUM),
    ("apply", f"west={CHECKSUM},east={CHECKSUM[:12]}", 0, CHECKSUM[:12]),
    ("apply", f"west={CHECKSUM}", 1, None),
    ("apply", "east=not-hex;rm", 1, None),
    ("apply", "east=*", 1, None),
    ("plan", f"east={CHECKSUM}", 0, ""),
])
def test_a_shard_is_applied_only_with_its_reviewed_checksum(
    tmp_path: Path, command: str, checksums: str, code: int, wanted: str | None
) -> None:
    workflow = template("apply-sharded")
    found = step(workflow, "shard", "reviewed")
    run = step(workflow, "shard", "run")
    assert run["with"]["expect-checksum"] == "${{ steps.reviewed.outputs.checksum }}"
    assert "force" not in run["with"]
    got, output, outputs = run_bash(found["run"], tmp_path,
                                    {"SHARD": "east", "COMMAND": command, "CHECKSUMS": checksums})
    assert got == code, output
    if wanted is None:
        assert "nothing applied" in output and "checksum" not in outputs
        assert "nothing applied" in (tmp_path / "step_summary").read_text()
    else:
        assert outputs["checksum"] == wanted
