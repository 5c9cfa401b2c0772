"""--select / --provider / --assessment: a run reads, plans, applies and reports only its scope."""

from __future__ import annotations

from pathlib import Path

from reconciler.sandbox.launch import Sandbox

from .conftest import Cli, Project, no_traceback


def test_a_scoped_apply_touches_only_its_schedules(run: Cli, acme: Project) -> None:
    scoped = run("plan", "--select", "Java*", "--provider", "mettl", *acme.args())
    assert scoped.exit_code == 0, scoped.output
    assert "Java Hiring Drive" in scoped.stdout
    assert "Ops On-call" not in scoped.stdout and "Safety Certification" not in scoped.stdout
    assert "questionmark" not in scoped.stderr  # the other provider is not even contacted

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


def _two_vendor_project(tmp_path: Path, mettl_url: str, limits: str = "") -> Path:
    """Both vendors configured; only Mettl's credentials will be in the environment."""
    (tmp_path / "desired").mkdir()
    (tmp_path / "desired" / "exams.yaml").write_text(
        "schedules:\n"
        "  - {name: Scoped Exam, provider: mettl, assessment_id: 769688,\n"
        "     candidates: [{email: ana.lima@example.com, name: Ana Lima}]}\n", encoding="utf-8")
    config = tmp_path / "reconciler.yaml"
    config.write_text(
        "providers:\n"
        f"  mettl: {{base_url: '{mettl_url}', public_key: '${{METTL_PUBLIC_KEY}}', "
        "private_key: '${METTL_PRIVATE_KEY}'}\n"
        "  questionmark: {username: '${QUESTIONMARK_USERNAME}', password: '${QUESTIONMARK_PASSWORD}'}\n"
        + limits, encoding="utf-8")
    return config


def _mettl_env(sandbox: Sandbox) -> dict[str, str | None]:
    return {"METTL_PUBLIC_KEY": sandbox.user, "METTL_PRIVATE_KEY": sandbox.secret,
            "QUESTIONMARK_USERNAME": None, "QUESTIONMARK_PASSWORD": None}


def test_provider_scope_needs_only_that_providers_credentials(
    run: Cli, tmp_path: Path, mettl_sandbox: Sandbox
) -> None:
    config = _two_vendor_project(tmp_path, mettl_sandbox.url)
    whole = run("plan", "--config", config, env=_mettl_env(mettl_sandbox))
    assert whole.exit_code == 1 and "QUESTIONMARK_PASSWORD is not set" in whole.output
    no_traceback(whole)
    scoped = run("plan", "--provider", "mettl", "--config", config, env=_mettl_env(mettl_sandbox))
    assert scoped.exit_code == 0, scoped.output
    assert "+ create Mettl" in scoped.stdout and "Scoped Exam" in scoped.stdout
    assert "questionmark" not in scoped.stderr  # never contacted


def test_the_run_deadline_stops_a_slow_run_with_one_line(run: Cli, tmp_path: Path, mettl_sandbox: Sandbox) -> None:
    config = _two_vendor_project(tmp_path, mettl_sandbox.url, "limits: {max_run_seconds: 0.3}\n")
    mettl_sandbox.faults.latency = 0.5
    result = run("plan", "--provider", "mettl", "--config", config, env=_mettl_env(mettl_sandbox))
    assert result.exit_code == 1
    no_traceback(result)
    assert "the run's deadline has passed" in result.output
    assert len(mettl_sandbox.server.calls) <= 2  # stopped at once, not retried until the timeouts ran out


def test_a_scope_that_matches_nothing_is_an_error_naming_it(run: Cli, acme: Project) -> None:
    for option in (["--select", "Jav*Drive*2"], ["--assessment", "424242"]):
        for command in ("plan", "apply", "drift"):
            extra = ["--auto-approve"] if command == "apply" else []
            result = run(command, *extra, *option, *acme.args())
            assert result.exit_code == 1, (command, option, result.output)
            assert f"error: {' '.join(option)} matched no schedule, declared or live" in result.stderr
            no_traceback(result)
    assert run("plan", "--select", "Java*", *acme.args()).exit_code == 0


def test_a_provider_with_no_schedule_in_scope_is_an_error(run: Cli, tmp_path: Path) -> None:
    (tmp_path / "desired").mkdir()
    (tmp_path / "desired" / "a.yaml").write_text(
        "schedules:\n  - {name: A, provider: mettl, assessment_id: '769688'}\n", encoding="utf-8")
    config = tmp_path / "reconciler.yaml"
    config.write_text("providers:\n  mettl: {}\n  questionmark: {}\n", encoding="utf-8")
    result = run("plan", "--provider", "questionmark", "--config", config, "--sandbox")
    assert result.exit_code == 1, result.output
    assert "error: --provider questionmark matched no schedule, declared or live" in result.stderr
