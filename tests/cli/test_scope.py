"""--select / --provider / --assessment: a run reads, plans, applies and reports only its scope."""

from __future__ import annotations

from pathlib import Path

from .conftest import Cli, Project, no_traceback


def test_a_scoped_apply_touches_only_its_schedules(run: Cli, acme: Project) -> None:
    scoped = run("plan", "--select", "Java*", "--provider", "mettl", *acme.args())
    assert scoped.exit_code == 0, scoped.output
    assert "Java Hiring Drive" in scoped.stdout
    assert "Ops On-call" not in scoped.stdout and "Safety Certification" not in scoped.stdout
    assert "questionmark 0" in scoped.stderr  # the other provider is not even read

    assert run("apply", "--auto-approve", "--select", "Java*", *acme.args()).exit_code == 0
    assert run("plan", "--detailed-exitcode", "--select", "Java*", *acme.args()).exit_code == 0
    whole = run("plan", "--detailed-exitcode", *acme.args())
    assert whole.exit_code == 2 and "Ops On-call Certification" in whole.stdout
    assert run("plan", "--detailed-exitcode", "--assessment", "769700", *acme.args()).exit_code == 2


def test_apply_refuses_a_plan_saved_with_another_scope(run: Cli, acme: Project, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    assert run("plan", "--select", "Java*", "--out", plan_file, *acme.args()).exit_code == 0
    refused = run("apply", "--auto-approve", "--plan", plan_file, *acme.args())
    assert refused.exit_code == 1 and "made with scope '--select Java*'" in refused.output
    no_traceback(refused)
    assert run("apply", "--auto-approve", "--plan", plan_file, "--select", "Java*", *acme.args()).exit_code == 0
