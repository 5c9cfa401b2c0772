"""The command line. The only module that prints, prompts and chooses exit codes.

Exit codes: 0 ok; 1 error (bad config, vendor failure, refused stale plan); 2 changes present (plan with
--detailed-exitcode, drift); 3 refused as unsafe.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from . import engine
from .errors import ConfigError, PlanFileError, ReconcilerError, redact
from .loader import LoadedProject, load_project
from .plan import Plan
from .providers.base import Provider
from .providers.factory import Endpoint, make_providers
from .render.jsonplan import render_json
from .render.text import render_text

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_ERROR, EXIT_CHANGES, EXIT_UNSAFE = 0, 1, 2, 3


class State:
    debug = False


def _fail(message: str, code: int = EXIT_ERROR) -> None:
    for line in message.splitlines() or [message]:
        click.echo(f"error: {line}" if line and not line.startswith("  ") else line, err=True)
    sys.exit(code)


def handle_errors(func: F) -> F:
    """Turn every error into clear lines on stderr and an exit code; --debug shows the traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ReconcilerError as exc:
            if State.debug:
                raise
            _fail(str(exc), exc.exit_code)
        except (KeyboardInterrupt, click.exceptions.Exit, click.ClickException):
            raise
        except Exception as exc:
            if State.debug:
                raise
            _fail(f"internal error: {type(exc).__name__}: {redact(str(exc))} (run with --debug for details)")
        return None

    return wrapper  # type: ignore[return-value]


config_option = click.option(
    "--config", "config_path", default="reconciler.yaml", show_default=True,
    type=click.Path(dir_okay=False, path_type=Path), help="The project file.",
)
sandbox_option = click.option(
    "--sandbox", is_flag=True, help="Run against the embedded vendor emulators on loopback (no credentials).",
)
sandbox_dir_option = click.option(
    "--sandbox-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Where the embedded sandbox keeps its world (default: .reconciler-sandbox next to the config).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.version_option(package_name="reconciler")
def main(debug: bool) -> None:
    """Keep exam schedules and candidate lists in YAML; make Mettl and Questionmark match them."""
    State.debug = debug


@contextmanager
def _session(loaded: LoadedProject, sandbox: bool, sandbox_dir: Path | None) -> Iterator[dict[str, Provider]]:
    names: set[str] = {s.provider for s in loaded.desired.schedules}
    names |= {n for n in ("mettl", "questionmark") if getattr(loaded.project.providers, n) is not None}
    with _maybe_sandbox(loaded, sandbox, sandbox_dir, names) as endpoints:
        providers = make_providers(loaded.project, names, missing_env=loaded.missing_env, endpoints=endpoints,
                                   config_file=str(loaded.path))
        try:
            yield providers
        finally:
            for provider in providers.values():
                provider.close()


@contextmanager
def _maybe_sandbox(
    loaded: LoadedProject, sandbox: bool, sandbox_dir: Path | None, names: set[str]
) -> Iterator[dict[str, Endpoint] | None]:
    if not sandbox:
        yield None
        return
    from .sandbox.embedded import embedded_sandbox

    folder = sandbox_dir or loaded.path.parent / ".reconciler-sandbox"
    with embedded_sandbox(folder, names) as raw:
        yield {name: Endpoint(*values) for name, values in raw.items()}


def _load(config_path: Path) -> LoadedProject:
    return load_project(config_path)


def _calls_line(calls: dict[str, int]) -> str:
    return "HTTP calls: " + ", ".join(f"{name} {count}" for name, count in sorted(calls.items()))


# --------------------------------------------------------------------------- validate


@main.command()
@config_option
@handle_errors
def validate(config_path: Path) -> None:
    """Check the project and desired-state files (no network)."""
    loaded = _load(config_path)
    count = len(loaded.desired.schedules)
    click.echo(f"valid: {count} schedule(s) in {len(loaded.files)} file(s)")


# --------------------------------------------------------------------------- plan


@main.command()
@config_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Save the plan (JSON) for apply --plan.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes.")
@sandbox_option
@sandbox_dir_option
@handle_errors
def plan(config_path: Path, fmt: str, out: Path | None, detailed_exitcode: bool, sandbox: bool,
         sandbox_dir: Path | None) -> None:
    """Show what apply would change. Reads only."""
    loaded = _load(config_path)
    with _session(loaded, sandbox, sandbox_dir) as providers:
        run = engine.make_plan(loaded.desired, providers, safety=loaded.project.safety)
    click.echo(render_json(run.plan) if fmt == "json" else render_text(run.plan), nl=False)
    if out:
        out.write_text(render_json(run.plan), encoding="utf-8")
        click.echo(f"Saved plan to {out} (checksum {run.plan.checksum[:12]}).", err=True)
    if fmt == "text":
        click.echo(_calls_line(run.calls), err=True)
    if detailed_exitcode and run.plan.has_changes:
        sys.exit(EXIT_CHANGES)


# --------------------------------------------------------------------------- apply


def _read_saved_plan(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PlanFileError(f"{path}: cannot read the saved plan ({type(exc).__name__})") from None
    if not isinstance(data, dict) or "checksum" not in data:
        raise PlanFileError(f"{path}: not a reconciler plan file")
    copy = {k: v for k, v in data.items() if k not in ("checksum", "format_version", "has_changes", "summary")}
    recomputed = Plan.model_validate({"format_version": data.get("format_version", "1.0"), **copy}).checksum
    if recomputed != data["checksum"]:
        raise PlanFileError(f"{path}: checksum does not match its content (edited by hand?)")
    return data


@main.command()
@config_option
@click.option("--plan", "plan_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Apply exactly this saved plan; refused if anything moved since.")
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--force", is_flag=True, help="Allow changes that break a safety rule.")
@sandbox_option
@sandbox_dir_option
@handle_errors
def apply(config_path: Path, plan_file: Path | None, auto_approve: bool, force: bool, sandbox: bool,
          sandbox_dir: Path | None) -> None:
    """Make the platforms match the desired state."""
    loaded = _load(config_path)
    saved = _read_saved_plan(plan_file) if plan_file else None
    with _session(loaded, sandbox, sandbox_dir) as providers:
        run = engine.make_plan(loaded.desired, providers, safety=loaded.project.safety)
        if saved is not None:
            engine.check_saved(saved, run)
        if not run.plan.has_changes:
            click.echo(render_text(run.plan), nl=False)
            return
        engine.check_safety(run.plan, force=force)
        if not auto_approve:
            click.echo(render_text(run.plan), nl=False)
            if not sys.stdin.isatty():
                raise ReconcilerError("no terminal to confirm on: re-run with --auto-approve")
            if not click.confirm("Apply these changes?", default=False):
                raise ReconcilerError("apply cancelled, nothing changed")

        def progress(outcome: Any) -> None:
            mark = "✓" if outcome.ok else "✗"
            note = f" — {outcome.message}" if outcome.message else ""
            click.echo(f"{mark} {outcome.key}{note}")

        report = engine.apply_plan(run, providers, force=force, on_outcome=progress)
    ok = len(report.outcomes) - len(report.failed)
    click.echo(f"Apply: {ok} applied, {len(report.failed)} failed. {_calls_line(report.calls)}")
    if report.failed:
        raise ReconcilerError(f"{len(report.failed)} change(s) failed; the next apply retries them")


def run() -> None:  # pragma: no cover - console entry point helper
    main()


if __name__ == "__main__":  # pragma: no cover
    main()


__all__ = ["ConfigError", "main"]


def _register_gitops_commands() -> None:
    """drift, import and schema live in their own module; attach them to the group."""
    from .cli_gitops import register

    register(main)


_register_gitops_commands()
