"""Global options --debug, --config, --sandbox and --no-color before or after the subcommand, and
`apply --auto-approve` printing the plan it applies."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from reconciler import cli
from reconciler.errors import ConfigError

from .conftest import ACME, Cli, Project, error_lines, no_traceback

GLOBAL = ["--debug", "--config", "--sandbox", "--no-color"]


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    for name, command in sorted(group.commands.items()):
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))


def test_every_command_lists_the_global_options(run: Cli) -> None:
    assert run("--help").exit_code == 0
    found = list(_commands(cli.main))
    assert {p for p, _ in found} >= {("validate",), ("plan",), ("apply",), ("drift",), ("import", "mettl")}
    for path, _ in found:
        shown = run(*path, "--help")
        assert shown.exit_code == 0, path
        assert all(option in shown.stdout for option in GLOBAL), (path, shown.stdout)


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_shows_the_traceback_wherever_it_is(run: Cli, tmp_path: Path, where: str) -> None:
    missing = tmp_path / "nowhere.yaml"
    args = ["--debug", "validate", "--config", missing] if where == "before" else ["validate", "--config", missing,
                                                                                   "--debug"]
    with pytest.raises(ConfigError):
        run(*args)
    plain = run("validate", "--config", missing)
    assert plain.exit_code == 1 and len(error_lines(plain)) == 1
    no_traceback(plain)


def test_config_before_the_subcommand_and_after_it_wins(run: Cli, tmp_path: Path) -> None:
    config = ACME / "reconciler.yaml"
    before = run("--config", config, "validate")
    assert before.exit_code == 0 and before.stdout.startswith("valid: 4 schedule(s)")
    after = run("--config", tmp_path / "other.yaml", "validate", "--config", config)
    assert after.exit_code == 0, after.output
    wrong = run("--config", tmp_path / "other.yaml", "validate")
    assert wrong.exit_code == 1 and "other.yaml" in wrong.stderr


@pytest.mark.parametrize("where", ["before", "after"])
def test_sandbox_before_or_after_the_subcommand(run: Cli, acme: Project, where: str) -> None:
    rest = ["--config", acme.config, "--sandbox-dir", acme.sandbox_dir]
    args = ["--sandbox", "plan", *rest] if where == "before" else ["plan", *rest, "--sandbox"]
    planned = run(*args)
    assert planned.exit_code == 0, planned.output
    assert acme.state_file.exists() and "Java Hiring Drive" in planned.stdout
    without = run("plan", "--config", acme.config)  # no sandbox: the real platforms need credentials
    assert without.exit_code == 1 and not (acme.root / ".reconciler-sandbox").exists()


def test_validate_accepts_sandbox(run: Cli) -> None:
    for args in (["validate", "--sandbox"], ["--sandbox", "validate"]):
        result = run(*args, "--config", ACME / "reconciler.yaml")
        assert result.exit_code == 0, result.output


@pytest.mark.parametrize("args", [["--no-color", "validate"], ["validate", "--no-color"]])
def test_no_color_is_accepted_and_kept_for_the_run(run: Cli, args: list[str]) -> None:
    first, second = cli.RunState(), cli.RunState()
    assert run(*args, "--config", ACME / "reconciler.yaml", obj=first).exit_code == 0
    assert first.no_color is True
    assert run("validate", "--config", ACME / "reconciler.yaml", obj=second).exit_code == 0
    assert second.no_color is False  # each run has its own state


def test_auto_approve_prints_the_plan_before_applying_it(run: Cli, acme: Project) -> None:
    applied = run("apply", "--auto-approve", *acme.args())
    assert applied.exit_code == 0, applied.output
    out = applied.stdout
    assert "+ create Mettl · 769688 · Open Practice" in out
    assert out.index("Plan: 3 to create") < out.index("✓ ") < out.index("Apply: 4 applied, 0 failed")


def test_python_dash_m_reconciler_is_the_cli(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "reconciler", "validate", "--config", tmp_path / "none.yaml"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 1 and done.stderr.startswith("error: ") and "none.yaml" in done.stderr
    assert "Traceback" not in done.stderr
    shown = subprocess.run([sys.executable, "-m", "reconciler", "--version"], capture_output=True, text=True,
                           check=False)
    assert shown.returncode == 0 and shown.stdout.startswith("reconciler ")
