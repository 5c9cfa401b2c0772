"""`import mettl` and `import questionmark`: write desired-state YAML from live schedules (adopt what exists;
plan then shows no changes)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

import click

from .. import engine, importer
from ..baseline import desired_entries
from ..errors import ReconcilerError
from ..importer_types import Discovery
from ..loader import LoadedProject, load_project
from ..models import ScheduleKey, parse_zone
from ..providers.base import Provider
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
) -> None:
    provider = providers.get(name)
    if provider is None:
        raise ReconcilerError(f"provider {name!r} is not configured under providers: in {loaded.path.name}")
    mine = target.resolve()
    managed = {key for key, pos in loaded.positions.items() if Path(pos.file).resolve() != mine}
    discovery = discover(provider, managed)
    result = importer.build(
        discovery, modeline=importer.schema_modeline(target, loaded.path.parent / "schemas"), command=command,
        keep_defaults=keep_defaults, managed=managed, taken_lists=importer.list_names(loaded.files, exclude=target),
    )
    for line in [*discovery.skipped, *(f"{key}: already in the desired state" for key in result.skipped)]:
        click.echo(f"skipped {line}", err=True)
    if not result.schedules:
        click.echo(f"Nothing to import from {discovery.provider} {discovery.scope}: no schedule written.")
        return
    importer.write(target, result.text, force=force)
    click.echo(f"Wrote {target}: {len(result.schedules)} schedule(s), {result.candidates} candidate(s).")
    for note in discovery.notes:
        click.echo(f"note: {note}", err=True)
    reloaded = load_project(loaded.path)
    if mine not in {p.resolve() for p in reloaded.files}:
        click.echo(f"note: {target} is not under any desired: entry of {loaded.path.name}; plan will not read it",
                   err=True)
        return
    keys = {s.key for s in result.schedules}
    run = engine.make_plan(reloaded.desired, providers, safety=reloaded.project.safety)
    unclean = [c for c in run.plan.actionable if c.key in keys]
    if unclean:
        details = "\n".join(f"  {c.key}: " + ", ".join(f.text for f in c.fields) for c in unclean)
        raise ReconcilerError(f"the imported schedules do not plan clean (please report this):\n{details}")
    click.echo("Checked: planning the imported schedules shows no changes.")


def _target(config_path: Path, out: Path | None, provider: str, scope: str, *, force: bool) -> Path:
    """Where the file goes: --out, else the first desired: entry (a missing desired folder is created, so a
    project on day one, with no desired files yet, loads). An existing file is refused without --force,
    before any API call."""
    try:
        text = config_path.read_text(encoding="utf-8-sig")
    except OSError:
        text = ""  # the loader reports it
    first = config_path.absolute().parent / desired_entries(text)[0]
    if first.suffix in (".yaml", ".yml"):
        first = first.parent
    elif not first.exists() and text:
        first.mkdir(parents=True)
    target = (out or first) / importer.file_name(provider, scope)
    if target.exists() and not force:
        raise importer.ImportExistsError(f"{target} exists: re-run with --force to replace it")
    return target


def _check_zone(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        parse_zone(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
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
    """Import Questionmark schedules by group or by assessment (exactly one of --group, --assessment)."""
    if (group_name is None) == (assessment_id is None):
        raise click.UsageError("give exactly one of --group NAME or --assessment ID")
    from ..providers.questionmark import discover as found

    def discover(provider: Any, managed: Collection[ScheduleKey]) -> Discovery:
        result = found.discover(provider, group=group_name, assessment_id=assessment_id, adopt=adopt,
                                time_zone=time_zone, managed=managed)
        for key in result.adopted:
            click.echo(f"adopted {key}: wrote its ownership mark into ExternalID")
        label = f"group {group_name}" if group_name is not None else f"assessment {assessment_id}"
        return Discovery("questionmark", label, result.schedules, found.VENDOR_DEFAULTS, found.NOTES,
                         tuple(result.skipped))

    scope = group_name if group_name is not None else str(assessment_id)
    flag = f"--group {group_name!r}" if group_name is not None else f"--assessment {assessment_id}"
    if time_zone != "UTC":
        flag += f" --time-zone {time_zone}"
    target = _target(config_path, out, "questionmark", scope, force=force)
    loaded = load(config_path, state)
    with session(loaded, sandbox, sandbox_dir, "questionmark") as providers:
        _import(loaded, providers, name="questionmark", discover=discover, target=target,
                command=f"reconciler import questionmark {flag}", force=force, keep_defaults=keep_defaults)
