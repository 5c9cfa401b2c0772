"""The command line. The only module that prints, prompts and chooses exit codes.

Exit codes: 0 ok; 1 error (bad config, vendor failure, refused stale plan); 2 changes present (plan with
--detailed-exitcode, drift); 3 refused as unsafe.
"""

from __future__ import annotations

import functools
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from pydantic import BaseModel, SecretStr, ValidationError

from . import engine
from .cli_options import DISTRIBUTION, State, global_options, prepare, scrub_values
from .cli_options import config_option as config_option  # re-exported: cli_gitops and others use them
from .cli_options import sandbox_option as sandbox_option
from .cli_output import applying, confirm_apply, echo_lines, reading
from .errors import ConfigError, PlanFileError, ReconcilerError, StalePlanError, redact
from .loader import LoadedProject, load_project
from .lock import apply_lock, lock_path
from .plan import FORMAT_VERSION, Plan
from .providers.base import Endpoint, Provider
from .providers.factory import make_providers
from .render.jsonplan import render_json
from .render.rows import COMPACT_OVER, COMPACT_SHOW, summary_line
from .render.text import Line, plan_lines
from .vendors import VENDORS

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_ERROR, EXIT_CHANGES, EXIT_UNSAFE = 0, 1, 2, 3


PII_KEY_ENV = "RECONCILER_PII_KEY"
CHECKSUM_PREFIX = re.compile(r"[0-9a-f]{12,64}")


def _without_secrets(text: str) -> str:
    """Text with every secret value of the project replaced. Values only: the shape patterns of `redact` would
    also hit plain words such as `password:`."""
    return scrub_values(text, State.secrets)


def _fail(message: str, code: int = EXIT_ERROR) -> None:
    lines: list[Line] = [(("error:", "bold red"), (f" {line}", "")) if line and not line.startswith("  ")
                         else ((line, ""),) for line in _without_secrets(message).splitlines() or [""]]
    echo_lines(lines, _without_secrets, err=True)
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


class _UsageError(click.UsageError):
    exit_code = EXIT_ERROR


class _Group(click.Group):
    """A click group whose usage errors exit 1, not click's 2: exit 2 means "changes present" here."""

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        if parent is None:
            prepare(self)
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            raise _as_error(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise _as_error(exc) from None


def _as_error(exc: click.UsageError) -> click.UsageError:
    if exc.exit_code == EXIT_ERROR or isinstance(exc, click.exceptions.NoArgsIsHelpError):
        return exc
    return _UsageError(exc.format_message(), exc.ctx)


resend_secrets_option = click.option(
    "--resend-secrets", is_flag=True,
    help="Send write-only secrets (e.g. webhook auth headers) again, to rotate them. They cannot be read back, "
         "so they are never compared; give the same flag to plan and apply.",
)
full_option = click.option(
    "--full", is_flag=True,
    help=f"Show every candidate: by default a schedule with more than {COMPACT_OVER} candidate lines shows "
         f"counts and the first {COMPACT_SHOW} names of each kind (json is always complete).",
)
sandbox_dir_option = click.option(
    "--sandbox-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Where the embedded sandbox keeps its world (default: .reconciler-sandbox next to the config).",
)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@global_options
@click.version_option(package_name=DISTRIBUTION, message="%(prog)s %(version)s")
def main() -> None:
    """Keep exam schedules and candidate lists in YAML; make Mettl and Questionmark match them.

    Exit codes: 0 ok; 1 error (also a wrong option); 2 changes present (plan --detailed-exitcode);
    3 refused as unsafe. The global options work before or after the subcommand.
    """


@contextmanager
def _session(loaded: LoadedProject, sandbox: bool, sandbox_dir: Path | None) -> Iterator[dict[str, Provider]]:
    names: set[str] = {s.provider for s in loaded.desired.schedules}
    names |= {n for n in VENDORS if getattr(loaded.project.providers, n) is not None}
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
    State.secrets = tuple(v for v in [os.environ.get(PII_KEY_ENV)] if v)
    loaded = load_project(config_path, now=engine.utcnow())
    State.secrets = _secret_values(loaded)
    return loaded


def _secret_values(loaded: LoadedProject) -> tuple[str, ...]:
    """Every SecretStr value of the project file and the schedules' vendor settings, every value read from the
    environment, and the key of the email pseudonyms."""
    found: set[str] = {*loaded.secrets, *State.secrets}

    def walk(value: object) -> None:
        if isinstance(value, SecretStr):
            found.add(value.get_secret_value())
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                walk(getattr(value, name))
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    walk(loaded.project)
    for schedule in loaded.desired.schedules:
        walk(schedule.mettl)
        walk(schedule.questionmark)
    return tuple(sorted(found, key=len, reverse=True))


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


def _masker(show_pii: bool) -> Callable[[str], str]:
    """Markdown is for untrusted places (PR comments): emails become keyed pseudonyms unless --show-pii."""
    from .render.pii import identity_mask, make_masker

    return identity_mask if show_pii else make_masker(os.environ.get(PII_KEY_ENV))


def _print_plan(plan: Plan, fmt: str = "text", *, show_pii: bool = False, full: bool = False) -> None:
    if fmt == "text":
        echo_lines(plan_lines(plan, full=full), _without_secrets)
        return
    if fmt == "json":
        text = render_json(plan)
    else:
        from .render.markdown import render_markdown

        text = render_markdown(plan, mask=_masker(show_pii), full=full)
    click.echo(_without_secrets(text), nl=False)


def _write_plan(out: Path, plan: Plan) -> None:
    try:
        out.write_text(_without_secrets(render_json(plan)), encoding="utf-8")
    except OSError as exc:
        raise ReconcilerError(f"{out}: cannot write the plan ({exc.strerror or type(exc).__name__})") from None


@main.command()
@config_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text",
              show_default=True,
              help="text and json show emails as they are: for trusted places only (a terminal, CI logs you "
                   "control, an artifact). markdown is for PR comments: emails are replaced by stable "
                   f"pseudonyms keyed by ${PII_KEY_ENV}.")
@click.option("--show-pii", is_flag=True,
              help="markdown: show emails as they are (only where the output stays trusted).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Save the plan (JSON, with emails; secrets are never written) for apply --plan.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes.")
@full_option
@resend_secrets_option
@sandbox_option
@sandbox_dir_option
@handle_errors
def plan(config_path: Path, fmt: str, show_pii: bool, out: Path | None, detailed_exitcode: bool, full: bool,
         resend_secrets: bool, sandbox: bool, sandbox_dir: Path | None) -> None:
    """Show what apply would change. Reads only.

    The text plan ends with the plan's checksum, the one apply --expect-checksum takes.
    """
    loaded = _load(config_path)
    with _session(loaded, sandbox, sandbox_dir) as providers, reading(providers) as on_read:
        run = engine.make_plan(loaded.desired, providers, safety=loaded.project.safety,
                               resend_secrets=resend_secrets, on_read=on_read)
    _print_plan(run.plan, fmt, show_pii=show_pii, full=full)
    if out:
        _write_plan(out, run.plan)
        click.echo(f"Saved plan to {out} (checksum {run.plan.checksum[:12]}).", err=True)
    if fmt != "json":
        click.echo(_calls_line(run.calls), err=True)
    if detailed_exitcode and run.plan.has_changes:
        sys.exit(EXIT_CHANGES)


# --------------------------------------------------------------------------- apply


def _read_saved_plan(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PlanFileError(f"{path}: cannot read the saved plan ({type(exc).__name__})") from None
    if not isinstance(data, dict) or not isinstance(data.get("checksum"), str):
        raise PlanFileError(f"{path}: not a reconciler plan file")
    version = data.get("format_version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise PlanFileError(f"{path}: a plan in format {version}, this reconciler reads {FORMAT_VERSION}; nothing "
                            "was applied: run plan --out again and review the new plan")
    copy = {k: v for k, v in data.items() if k not in ("checksum", "format_version", "has_changes", "summary")}
    try:
        recomputed = Plan.model_validate({"format_version": version, **copy}).checksum
    except ValidationError as exc:
        raise PlanFileError(f"{path}: not a valid reconciler plan file ({exc.error_count()} problem(s); "
                            "edited by hand?)") from None
    if recomputed != data["checksum"]:
        raise PlanFileError(f"{path}: checksum does not match its content (edited by hand?); nothing was applied")
    return data


def _expected_checksum(value: str | None) -> str | None:
    if value is None:
        return None
    wanted = value.strip().lower()
    if not CHECKSUM_PREFIX.fullmatch(wanted):
        raise ReconcilerError(f"--expect-checksum {value!r}: give the plan's checksum or a prefix of at least "
                              "12 hex characters")
    return wanted


def _check_expected(expected: str, plan: Plan) -> None:
    if plan.checksum.startswith(expected):
        return
    raise PlanFileError(
        f"the plan changed since it was reviewed, nothing was applied: expected checksum {expected[:12]}, "
        f"the fresh plan's is {plan.checksum[:12]}\n"
        f"  fresh plan: {summary_line(plan)}\n"
        "  run plan again, review it, and pass its checksum")


@main.command()
@config_option
@click.option("--plan", "plan_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Apply exactly this saved plan; refused if anything moved since.")
@click.option("--expect-checksum", "expect_checksum", metavar="SHA",
              help="Refuse unless the fresh plan has this checksum (as printed by plan; a prefix of at least "
                   "12 hex characters is enough).")
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--force", is_flag=True, help="Allow changes that break a safety rule.")
@click.option("--lock-timeout", "lock_timeout", type=click.FloatRange(min=0), default=0.0, show_default=True,
              metavar="SECONDS", help="How long to wait for another apply on this machine to finish.")
@full_option
@resend_secrets_option
@sandbox_option
@sandbox_dir_option
@handle_errors
def apply(config_path: Path, plan_file: Path | None, expect_checksum: str | None, auto_approve: bool, force: bool,
          lock_timeout: float, full: bool, resend_secrets: bool, sandbox: bool, sandbox_dir: Path | None) -> None:
    """Make the platforms match the desired state.

    Prints the plan (with emails: trusted output) and asks; only `yes` applies. Without a terminal,
    --auto-approve is required. One apply at a time: a second one waits up to --lock-timeout, then stops
    naming who holds the lock.
    """
    expected = _expected_checksum(expect_checksum)
    saved = _read_saved_plan(plan_file) if plan_file else None
    loaded = _load(config_path)
    with apply_lock(lock_path(config_path), lock_timeout), _session(loaded, sandbox, sandbox_dir) as providers:
        with reading(providers) as on_read:
            run = engine.make_plan(loaded.desired, providers, safety=loaded.project.safety,
                                   resend_secrets=resend_secrets, on_read=on_read)
        if saved is not None:
            try:
                engine.check_saved(saved, run)
            except StalePlanError as exc:
                raise StalePlanError(f"{plan_file}: {exc}\n  run plan --out again and review the new plan") from None
        if expected is not None:
            _check_expected(expected, run.plan)
        if not run.plan.has_changes:
            click.echo(f"{summary_line(run.plan)} {_calls_line(run.calls)}")
            return
        _print_plan(run.plan, full=full)  # also with --auto-approve: the log records what changed
        engine.check_safety(run.plan, force=force)
        if not auto_approve:
            confirm_apply()
        with applying(run.plan.actionable, providers, _without_secrets) as on_outcome:
            report = engine.apply_plan(run, providers, force=force, on_outcome=on_outcome)
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
    """drift, import, schema and doctor live in their own modules; attach them to the group."""
    from .cli_doctor import register as register_doctor
    from .cli_gitops import register

    register(main)
    register_doctor(main)


_register_gitops_commands()
