"""`plan` and `apply`: the desired state planned and applied (`validate` is in its own light module)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import click
from pydantic import ValidationError

from .. import engine
from ..errors import PlanChangedError, PlanFileError, ReconcilerError, StalePlanError
from ..lock import apply_lock, lock_path
from ..plan import FORMAT_VERSION, Plan
from ..render.jsonplan import render_json
from ..render.rows import COMPACT_OVER, COMPACT_SHOW, summary_line
from ..render.text import plan_lines
from ..scope import Scope
from .common import EXIT_CHANGES, calls_line, handle_errors, load, masker, session, text_masker, untrusted_notice
from .options import (
    PII_KEY_ENV,
    config_option,
    resend_secrets_option,
    sandbox_dir_option,
    sandbox_option,
    scope_options,
    show_pii_option,
)
from .output import confirm_apply, echo_lines
from .progress import applying, reading
from .state import RunState

CHECKSUM_PREFIX = re.compile(r"[0-9a-f]{12,64}")

full_option = click.option(
    "--full", is_flag=True,
    help=f"Show every candidate: by default a schedule with more than {COMPACT_OVER} candidate lines shows "
         f"counts and the first {COMPACT_SHOW} names of each kind (json is always complete).",
)


# --------------------------------------------------------------------------- plan


def _print_plan(state: RunState, plan: Plan, fmt: str = "text", *, show_pii: bool = False,
                full: bool = False, notice: str = "") -> None:
    """The plan in fmt; `notice` (settings of the project file the run did not use) heads a text or markdown
    plan, and goes to stderr beside a JSON one."""
    if fmt == "text":
        mask = text_masker(show_pii)
        lines = plan_lines(plan, mask, full=full) if mask else plan_lines(plan, full=full)
        echo_lines(([(("warning:", "bold yellow"), (f" {notice}", "")), (("", ""),)] if notice else []) + lines,
                   state)
        return
    if fmt == "json":
        text = render_json(plan)
        if notice:
            click.echo(f"warning: {notice}", err=True)
    else:
        from ..render.markdown import render_markdown

        text = _with_notice(render_markdown(plan, mask=masker(show_pii), full=full), notice)
    click.echo(state.clean(text), nl=False)


def _with_notice(markdown: str, notice: str) -> str:
    """The markdown plan with the notice as a warning right under its heading."""
    if not notice:
        return markdown
    head, found, rest = markdown.partition("\n## ")
    if not found:
        return f"> [!WARNING]\n> {notice}\n\n{markdown}"
    title, _, body = rest.partition("\n")
    return f"{head}\n## {title}\n\n> [!WARNING]\n> {notice}\n{body}"


def _write_plan(state: RunState, out: Path, plan: Plan) -> None:
    try:
        out.write_text(state.clean(render_json(plan)), encoding="utf-8")
    except OSError as exc:
        raise ReconcilerError(f"{out}: cannot write the plan ({exc.strerror or type(exc).__name__})") from None


@click.command()
@config_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text",
              show_default=True,
              help="text and json show emails as they are: for trusted places only (a terminal, CI logs you "
                   "control, an artifact). markdown is for PR comments: emails are replaced by stable "
                   f"pseudonyms keyed by ${PII_KEY_ENV}.")
@show_pii_option
@click.option("-out", "--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="Save the plan (JSON, with emails; secrets are never written) for `apply PLANFILE`.")
@click.option("-detailed-exitcode", "--detailed-exitcode", "detailed_exitcode", is_flag=True,
              help="Exit 2 when there are changes.")
@full_option
@resend_secrets_option
@sandbox_option
@sandbox_dir_option
@scope_options
@click.pass_obj
@handle_errors
def plan(state: RunState, config_path: Path, fmt: str, show_pii: bool, out: Path | None, detailed_exitcode: bool,
         full: bool, resend_secrets: bool, sandbox: bool, sandbox_dir: Path | None, scope: Scope) -> None:
    """Show what apply would change. Reads only.

    The text plan ends with the plan's checksum, the one apply --expect-checksum takes.
    """
    loaded = load(config_path, state)
    with session(loaded, sandbox, sandbox_dir, scope.provider) as providers, reading(providers, state) as on_read:
        run = engine.make_plan(loaded.desired, providers, safety=loaded.project.safety,
                               resend_secrets=resend_secrets, on_read=on_read, scope=scope)
    scope.require_match(loaded.desired, run.plan)
    _print_plan(state, run.plan, fmt, show_pii=show_pii, full=full, notice=untrusted_notice(loaded))
    if out:
        _write_plan(state, out, run.plan)
        click.echo(f"Saved plan to {out} (checksum {run.plan.checksum[:12]}).", err=True)
    if fmt != "json":
        click.echo(calls_line(run.calls), err=True)
    if detailed_exitcode and run.plan.has_changes:
        sys.exit(EXIT_CHANGES)


# --------------------------------------------------------------------------- apply


def _read_saved_plan(path: Path) -> Plan:
    """The saved plan, validated, its checksum checked (PlanFileError otherwise)."""
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
        saved = Plan.model_validate({"format_version": version, **copy})
    except ValidationError as exc:
        raise PlanFileError(f"{path}: not a valid reconciler plan file ({exc.error_count()} problem(s); "
                            "edited by hand?)") from None
    if saved.checksum != data["checksum"]:
        raise PlanFileError(f"{path}: checksum does not match its content (edited by hand?); nothing was applied")
    return saved


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
    raise PlanChangedError(
        f"the plan changed since it was reviewed, nothing was applied: expected checksum {expected[:12]}, "
        f"the fresh plan's is {plan.checksum[:12]}\n"
        f"  fresh plan: {summary_line(plan)}\n"
        "  run plan again, review it, and pass its checksum", plan.checksum)


@click.command()
@click.argument("plan_path", metavar="[PLANFILE]", required=False, type=click.Path(dir_okay=False, path_type=Path))
@config_option
@click.option("--plan", "plan_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Apply exactly this saved plan, without asking (it was reviewed); refused if anything moved "
                   "since. The same as giving PLANFILE.")
@click.option("--expect-checksum", "expect_checksum", metavar="SHA",
              help="Refuse unless the fresh plan has this checksum (as printed by plan; a prefix of at least "
                   "12 hex characters is enough).")
@click.option("-auto-approve", "--auto-approve", "auto_approve", is_flag=True,
              help="Do not ask for confirmation.")
@click.option("--force", is_flag=True, help="Allow changes that break a safety rule.")
@click.option("--lock-timeout", "lock_timeout", type=click.FloatRange(min=0), default=0.0, show_default=True,
              metavar="SECONDS", help="How long to wait for another apply on this machine to finish.")
@full_option
@resend_secrets_option
@sandbox_option
@sandbox_dir_option
@scope_options
@click.pass_obj
@handle_errors
def apply(state: RunState, plan_path: Path | None, config_path: Path, plan_file: Path | None,
          expect_checksum: str | None,
          auto_approve: bool, force: bool, lock_timeout: float, full: bool, resend_secrets: bool, sandbox: bool,
          sandbox_dir: Path | None, scope: Scope) -> None:
    """Make the platforms match the desired state.

    Prints the plan (with emails: trusted output) and asks; only `yes` applies. Without a terminal,
    --auto-approve is required. Given a saved plan (`apply PLANFILE`, as `terraform apply tfplan`), it applies
    exactly that plan without asking, and refuses if anything moved since. One apply at a time: a second one
    waits up to --lock-timeout, then stops naming who holds the lock.
    """
    if plan_path is not None and plan_file is not None and plan_path != plan_file:
        raise click.UsageError(f"two saved plans given: {plan_path} and --plan {plan_file}; give one")
    plan_file = plan_file or plan_path
    auto_approve = auto_approve or plan_file is not None  # a saved plan was reviewed: applying it is the approval
    expected = _expected_checksum(expect_checksum)
    saved = _read_saved_plan(plan_file) if plan_file else None
    if saved is not None and saved.scope != scope.label:
        raise PlanFileError(f"{plan_file}: made with scope {saved.scope or '(whole project)'!r}, "
                            f"this apply's is {scope.label or '(whole project)'!r}; nothing was applied: give "
                            "apply the same --select/--provider/--assessment as plan")
    loaded = load(config_path, state)
    lock = lock_path(config_path, loaded.project.shard)
    with apply_lock(lock, lock_timeout), session(loaded, sandbox, sandbox_dir, scope.provider) as providers:
        with reading(providers, state) as on_read:
            run = engine.make_plan(loaded.desired, providers, safety=loaded.project.safety,
                                   resend_secrets=resend_secrets, on_read=on_read, scope=scope)
        scope.require_match(loaded.desired, run.plan)
        if saved is not None:
            try:
                engine.check_saved(saved, run)
            except StalePlanError as exc:
                raise StalePlanError(f"{plan_file}: {exc}\n  run plan --out again and review the new plan") from None
        if expected is not None:
            _check_expected(expected, run.plan)
        if not run.plan.has_changes:
            click.echo(f"{summary_line(run.plan)} {calls_line(run.calls)}")
            return
        _print_plan(state, run.plan, full=full)  # also with --auto-approve: the log records what changed
        engine.check_safety(run.plan, force=force)
        if not auto_approve:
            confirm_apply()
        with applying(run.plan.actionable, providers, state) as on_outcome:
            report = engine.apply_plan(run, providers, safety_checked=True, on_outcome=on_outcome)
    ok = len(report.outcomes) - len(report.failed)
    click.echo(f"Apply: {ok} applied, {len(report.failed)} failed. {calls_line(report.calls)}")
    if report.failed:
        raise ReconcilerError(f"{len(report.failed)} change(s) failed; the next apply retries them")
