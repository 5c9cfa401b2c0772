"""`import mettl` and `import questionmark`: write desired-state YAML from live schedules (adopt what exists;
plan then shows no changes)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from .. import clock, engine, importer
from ..baseline import desired_entries
from ..errors import ConfigError, ReconcilerError
from ..importer.discovery import Discovery
from ..loader import LoadedProject, load_project
from ..loader.rules import legacy_zone_problem
from ..models import ScheduleKey, parse_zone
from ..plan import Writing
from ..providers.base import Provider
from ..scope import Scope
from .common import handle_errors, load, session
from .options import config_option, sandbox_dir_option, sandbox_option
from .state import RunState

# --------------------------------------------------------------------------- import helpers


def _import(
    loaded: LoadedProject,
    providers: dict[str, Provider],
    *,
    name: str,
    discover: Callable[[Any, Collection[ScheduleKey]], Discovery],
    target: Path,
    command: str,
    force: bool,
    keep_defaults: bool,
    adopt: Callable[[], list[ScheduleKey]] = list,
) -> None:
    """Read, build, check, then write: nothing is written (neither the file nor an ownership mark) until the
    file validates as `validate` does and plans as `plan` does, with no change to an imported schedule.
    `adopt` writes the ownership marks discovery found missing (and returns whose)."""
    provider = providers.get(name)
    if provider is None:
        raise ReconcilerError(f"provider {name!r} is not configured under providers: in {loaded.path.name}")
    mine = target.resolve()
    managed = {key for key, pos in loaded.positions.items() if Path(pos.file).resolve() != mine}
    discovery = discover(provider, managed)
    now = clock.utcnow()
    result = importer.build(
        discovery, modeline=importer.schema_modeline(target, loaded.path.parent / "schemas"), command=command,
        keep_defaults=keep_defaults, managed=managed, taken_lists=importer.list_names(loaded.files, exclude=target),
        now=now,
    )
    for line in [*discovery.skipped, *(f"{key}: already in the desired state" for key in result.skipped)]:
        click.echo(f"skipped {line}", err=True)
    if not result.schedules:
        click.echo(f"Nothing to import from {discovery.provider} {discovery.scope}: no schedule written.")
        return
    checked = _check(loaded, providers, name, target, result, discovery, now=now)
    if discovery.pending:
        for key in adopt():
            click.echo(f"adopted {key}: wrote its ownership mark into ExternalID")
    importer.write(target, result.text, force=force)
    archived = f"; {len(result.archived)} archived (window over: written archived: true)" if result.archived else ""
    click.echo(f"Wrote {target}: {len(result.schedules)} schedule(s), {result.candidates} candidate(s){archived}.")
    for note in discovery.notes:
        click.echo(f"note: {note}", err=True)
    if not checked:
        click.echo(f"note: {target} is not under any desired: entry of {loaded.path.name}; plan will not read it",
                   err=True)
        return
    if discovery.pending:  # planned against what was read; now against the platform, marks written
        reloaded = load_project(loaded.path, now=now)
        _unclean(engine.make_plan(reloaded.desired, providers, safety=reloaded.project.safety,
                                  scope=Scope(provider=name)).plan.actionable, result)
    click.echo("Checked: planning the imported schedules shows no changes.")


def _check(loaded: LoadedProject, providers: dict[str, Provider], name: str, target: Path,
           result: importer.ImportResult, discovery: Discovery, *, now: datetime) -> bool:
    """Validate the project with the file as it would be written (every rule of `validate`), then plan the
    imported schedules (`plan`'s diff): any problem stops the import before anything is written. False when
    the file lies outside every desired: entry (plan would not read it: nothing to check)."""
    try:
        reloaded = load_project(loaded.path, now=now, pending={target: result.text})
    except ConfigError as exc:
        raise ReconcilerError(f"nothing was written: the imported file would not validate beside the "
                              f"project's other files:\n{exc}") from None
    if target.resolve() not in {p.resolve() for p in reloaded.files}:
        return False
    if discovery.pending:  # some schedules are not marked yet: plan them against what discovery read
        from ..diff import build_plan

        keys = {s.key for s in result.schedules}
        observed = {o.schedule.key: o for o in discovery.schedules}
        changes = build_plan([s for s in reloaded.desired.schedules if s.key in keys], observed, now=now).actionable
    else:
        changes = engine.make_plan(reloaded.desired, providers, safety=reloaded.project.safety,
                                   scope=Scope(provider=name)).plan.actionable
    _unclean(changes, result, before=True)
    return True


def _unclean(changes: Sequence[Writing], result: importer.ImportResult, *, before: bool = False) -> None:
    keys = {s.key for s in result.schedules}
    unclean = [c for c in changes if c.key in keys]
    if unclean:
        details = "\n".join(f"  {c.key}: " + ", ".join(f.text for f in c.fields) for c in unclean)
        written = "nothing was written: " if before else ""
        raise ReconcilerError(f"{written}the imported schedules do not plan clean (please report this):\n{details}")


def _target(config_path: Path, out: Path | None, provider: str, scope: str, *, force: bool) -> Path:
    """Where the file goes: --out, else the first desired: entry. An existing file is refused without --force,
    before any API call."""
    first = _desired_folder(config_path)
    target = (out or first) / importer.file_name(provider, scope)
    if target.exists() and not force:
        raise importer.ImportExistsError(f"{target} exists: re-run with --force to replace it")
    return target


def _desired_folder(config_path: Path) -> Path:
    """The first desired: entry's folder; a missing one is created, so a project on day one (no desired
    files yet) loads."""
    try:
        text = config_path.read_text(encoding="utf-8-sig")
    except OSError:
        text = ""  # the loader reports it
    first = config_path.absolute().parent / desired_entries(text)[0]
    if first.suffix in (".yaml", ".yml"):
        first = first.parent
    elif not first.exists() and text:
        first.mkdir(parents=True)
    return first


def _check_zone(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        parse_zone(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    legacy = legacy_zone_problem(value)  # validate would refuse the file written in it
    if legacy:
        raise click.BadParameter(legacy)
    return value


# --------------------------------------------------------------------------- commands


@click.group("import")
def import_group() -> None:
    """Write desired-state YAML from live schedules (adopt what exists; plan then shows no changes)."""


out_option = click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
                          help="Folder for the file (default: the first desired: entry).")
force_option = click.option("--force", is_flag=True, help="Replace the file if it exists.")
defaults_option = click.option("--keep-defaults", is_flag=True,
                               help="Also write settings equal to the vendor's defaults (pins them).")


@import_group.command("mettl")
@config_option
@click.option("--assessment", "assessment_id", required=True, help="The Mettl assessment id.")
@out_option
@force_option
@defaults_option
@sandbox_option
@sandbox_dir_option
@click.pass_obj
@handle_errors
def import_mettl(state: RunState, config_path: Path, assessment_id: str, out: Path | None, force: bool,
                 keep_defaults: bool, sandbox: bool, sandbox_dir: Path | None) -> None:
    """Import every schedule of a Mettl assessment."""
    from ..providers.mettl import discover as found

    def discover(provider: Any, managed: Collection[ScheduleKey]) -> Discovery:
        schedules = found.discover_assessment(provider, assessment_id)
        return Discovery("mettl", f"assessment {assessment_id}", schedules, found.VENDOR_DEFAULTS, found.NOTES)

    target = _target(config_path, out, "mettl", assessment_id, force=force)
    loaded = load(config_path, state)
    with session(loaded, sandbox, sandbox_dir, "mettl") as providers:
        _import(loaded, providers, name="mettl", discover=discover, target=target,
                command=f"reconciler import mettl --assessment {assessment_id}",
                force=force, keep_defaults=keep_defaults)


@import_group.command("questionmark")
@config_option
@click.option("--group", "group_name", default=None, help="Import the schedules of this group.")
@click.option("--assessment", "assessment_id", default=None, help="Import the schedules of this assessment.")
@click.option("--adopt", is_flag=True,
              help="Write the ownership mark (ExternalID) into schedules made in the Questionmark UI.")
@click.option("--time-zone", default="UTC", show_default=True, callback=_check_zone,
              help="IANA zone (or UTC+05:30) to write windows and times in.")
@out_option
@force_option
@defaults_option
@sandbox_option
@sandbox_dir_option
@click.pass_obj
@handle_errors
def import_questionmark(state: RunState, config_path: Path, group_name: str | None, assessment_id: str | None,
                        adopt: bool, time_zone: str, out: Path | None, force: bool, keep_defaults: bool,
                        sandbox: bool, sandbox_dir: Path | None) -> None:
    """Import Questionmark schedules by group or by assessment (one of --group, --assessment; neither: list the
    groups the account can see)."""
    if group_name is not None and assessment_id is not None:
        raise click.UsageError("give exactly one of --group NAME or --assessment ID")
    from ..providers.questionmark import discover as found

    if group_name is None and assessment_id is None:
        _desired_folder(config_path)
        loaded = load(config_path, state)
        with session(loaded, sandbox, sandbox_dir, "questionmark") as providers:
            names = found.group_names(providers["questionmark"])  # type: ignore[arg-type]
        click.echo("Groups this account can see (import one with --group NAME, or use --assessment ID):")
        for group in names:
            click.echo(f"  {group}")
        if not names:
            click.echo("  (none)")
        return

    read: list[found.Found] = []

    def discover(provider: Any, managed: Collection[ScheduleKey]) -> Discovery:
        result = found.discover(provider, group=group_name, assessment_id=assessment_id, adopt=adopt,
                                time_zone=time_zone, managed=managed)
        read.append(result)
        label = f"group {group_name}" if group_name is not None else f"assessment {assessment_id}"
        return Discovery("questionmark", label, result.schedules, found.VENDOR_DEFAULTS, found.NOTES,
                         tuple(result.skipped), pending=len(result.marks) + len(result.rosters))

    def write_marks(provider: Any) -> list[ScheduleKey]:
        found.write_marks(provider, read[0])
        return read[0].adopted

    scope = group_name if group_name is not None else str(assessment_id)
    flag = f"--group {group_name!r}" if group_name is not None else f"--assessment {assessment_id}"
    if time_zone != "UTC":
        flag += f" --time-zone {time_zone}"
    target = _target(config_path, out, "questionmark", scope, force=force)
    loaded = load(config_path, state)
    with session(loaded, sandbox, sandbox_dir, "questionmark") as providers:
        _import(loaded, providers, name="questionmark", discover=discover, target=target,
                command=f"reconciler import questionmark {flag}", force=force, keep_defaults=keep_defaults,
                adopt=lambda: write_marks(providers["questionmark"]))
