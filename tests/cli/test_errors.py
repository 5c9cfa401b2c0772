"""Errors are lines, never tracebacks; exit codes stay 0 / 1 / 2 / 3 whatever goes wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler import engine

from .conftest import Cli, Project, error_lines, no_traceback


def _line_of(path: Path, text: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {path}")


def test_missing_credentials_name_the_file_line_and_variable(run: Cli, acme: Project) -> None:
    result = run("plan", "--config", acme.config, env={"METTL_PUBLIC_KEY": "set-but-not-the-private-one"})
    assert result.exit_code == 1
    no_traceback(result)
    line = _line_of(acme.config, "${METTL_PRIVATE_KEY}")
    [problem] = [e for e in error_lines(result) if "METTL" in e]
    assert problem.startswith("error: ") and problem.endswith(
        f"reconciler.yaml:{line}: providers.mettl.private_key: environment variable METTL_PRIVATE_KEY is not set")
    assert all(e.startswith("error: ") and "reconciler.yaml:" in e for e in error_lines(result))
    assert "***" not in result.stderr  # messages about secrets are not mistaken for secrets


def test_missing_credentials_do_not_matter_with_the_sandbox(run: Cli, acme: Project) -> None:
    result = run("plan", *acme.args())
    assert result.exit_code == 0, result.output


def test_an_unexpected_error_is_one_line(run: Cli, acme: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> engine.PlanRun:
        raise RuntimeError("something nobody expected")

    monkeypatch.setattr(engine, "make_plan", broken)
    for command in (["plan", "--detailed-exitcode"], ["apply", "--auto-approve"]):
        result = run(*command, *acme.args())
        assert result.exit_code == 1
        no_traceback(result)
        assert error_lines(result) == [
            "error: internal error: RuntimeError: something nobody expected (run with --debug for details)"]


def test_debug_lets_the_traceback_through(run: Cli, acme: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> engine.PlanRun:
        raise RuntimeError("with details")

    monkeypatch.setattr(engine, "make_plan", broken)
    with pytest.raises(RuntimeError, match="with details"):
        run("--debug", "plan", *acme.args())


@pytest.mark.parametrize("args", [
    ["plan", "--detailed-exitcode", "--no-such-option"],
    ["plan", "--detailed-exitcode", "--format", "yaml"],
    ["apply", "--auto-approve", "--wat"],
    ["no-such-command"],
])
def test_a_usage_error_exits_1_not_2(run: Cli, args: list[str]) -> None:
    """Exit 2 means "changes present" to CI: a typo must not look like it."""
    result = run(*args)
    assert result.exit_code == 1, result.output
    assert "Usage:" in result.stderr


def test_plan_out_to_an_unwritable_place_is_one_line(run: Cli, acme: Project, tmp_path: Path) -> None:
    result = run("plan", "--out", tmp_path / "missing-folder" / "plan.json", *acme.args())
    assert result.exit_code == 1
    no_traceback(result)
    [line] = error_lines(result)
    assert line.startswith("error: ") and "cannot write the plan" in line
