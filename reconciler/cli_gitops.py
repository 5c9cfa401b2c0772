"""The GitOps commands (drift, import, schema), attached to the main group by cli.py.

Git is the memory of what was applied: the apply workflow moves the tag `reconciler-applied` to each
applied commit, and `drift` loads the desired state as it was there to tell drift from unapplied config.
"""

from __future__ import annotations

import io
import os
import posixpath
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from ruamel.yaml import YAML

from . import drift as drift_report
from . import engine, importer
from .cli_output import reading
from .errors import ConfigError, ReconcilerError
from .importer_types import Discovery
from .loader import LoadedProject, load_project
from .models import DesiredState, ScheduleKey, parse_zone
from .providers.base import Provider

APPLIED_TAG = "reconciler-applied"
EXIT_CHANGES = 2


class BaselineError(ReconcilerError):
    """The baseline ref cannot be found or its desired state cannot be loaded."""


# --------------------------------------------------------------------------- git: the baseline


@dataclass(frozen=True)
class Baseline:
    label: str
    desired: DesiredState


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False)


def _repo_root(folder: Path) -> Path | None:
    try:
        done = _git(folder, "rev-parse", "--show-toplevel")
    except OSError:  # git is not installed
        return None
    return Path(done.stdout.decode().strip()) if done.returncode == 0 else None


def find_baseline(config_path: Path, ref: str | None) -> Baseline | None:
    """The desired state at `ref` (default: the applied tag, if it exists); None when there is none."""
    config = config_path.absolute()
    root = _repo_root(config.parent)
    if root is None:
        if ref is not None:
            raise BaselineError(f"--baseline {ref}: {config.parent} is not in a git repository")
        return None
    wanted = ref or APPLIED_TAG
    found = _git(root, "rev-parse", "--verify", "--quiet", f"{wanted}^{{commit}}")
    if found.returncode != 0:
        if ref is not None:
            raise BaselineError(f"--baseline {ref}: no such commit, branch or tag in {root}")
        return None
    commit = found.stdout.decode().strip()
    label = f"{wanted} ({commit[:12]})"
    try:
        return Baseline(label, _desired_at(root, config, commit, label))
    except ConfigError as exc:
        raise BaselineError(f"baseline {label}: cannot load the desired state as it was there:\n{exc}") from None


def _desired_at(root: Path, config: Path, commit: str, label: str) -> DesiredState:
    """Extract the project file and its desired entries at `commit` into a temp dir and load them there."""
    rel = Path(os.path.relpath(config.resolve(), root.resolve())).as_posix()
    shown = _git(root, "show", f"{commit}:{rel}")
    if shown.returncode != 0:
        raise BaselineError(f"baseline {label}: {rel} does not exist in that commit")
    entries = _desired_entries(shown.stdout.decode("utf-8-sig"))
    folder = posixpath.dirname(rel)
    paths = [rel] + [posixpath.normpath(posixpath.join(folder, e)) for e in entries]
    present = [p for p in dict.fromkeys(paths)
               if not p.startswith("../") and _git(root, "cat-file", "-e", f"{commit}:{p}").returncode == 0]
    archive = _git(root, "archive", "--format=tar", commit, "--", *present)
    if archive.returncode != 0:
        raise BaselineError(f"baseline {label}: git archive failed: {archive.stderr.decode().strip()}")
    with tempfile.TemporaryDirectory(prefix="reconciler-baseline-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(tmp, filter="data")
        return load_project(Path(tmp) / rel).desired


def _desired_entries(project_text: str) -> list[str]:
    """The `desired:` entries of a project file's text (default `desired`), read leniently."""
    try:
        data = YAML(typ="safe").load(project_text)
    except Exception:  # a broken file: the loader reports it properly
        return ["desired"]
    raw = data.get("desired", ["desired"]) if isinstance(data, dict) else ["desired"]
    return [str(e) for e in raw] if isinstance(raw, list) and raw else ["desired"]


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
    first = config_path.absolute().parent / _desired_entries(text)[0]
    if first.suffix in (".yaml", ".yml"):
        first = first.parent
    elif not first.exists() and text:
        first.mkdir(parents=True)
    target = (out or first) / importer.file_name(provider, scope)
    if target.exists() and not force:
        raise importer.ImportExistsError(f"{target} exists: re-run with --force to replace it")
    return target


# --------------------------------------------------------------------------- commands


def _check_zone(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        parse_zone(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


def register(group: click.Group) -> None:
    """Attach this module's commands to the CLI group."""
    from . import cli as base  # imported here: cli imports this module at its end

    @group.command()
    @base.config_option
    @click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text",
                  show_default=True)
    @click.option("--baseline", "baseline_ref", metavar="GIT-REF", default=None,
                  help=f"The last applied commit (default: the {APPLIED_TAG} tag, when it exists).")
    @click.option("--show-pii", is_flag=True,
                  help="markdown: show emails as they are (masked by default with $RECONCILER_PII_KEY).")
    @base.sandbox_option
    @base.sandbox_dir_option
    @base.handle_errors
    def drift(config_path: Path, fmt: str, baseline_ref: str | None, show_pii: bool, sandbox: bool,
              sandbox_dir: Path | None) -> None:
        """Tell drift (changed on the platform by hand) from unapplied config. Reads only.

        Live state is compared with the desired state now and as last applied (the git tag
        reconciler-applied, moved by the apply workflow; or --baseline). Suppressions in the desired files
        hide known drift until they expire. Exit 0 in sync; 2 drift, unapplied config or an expired
        suppression; 1 error.
        """
        loaded = base._load(config_path)
        baseline = find_baseline(config_path, baseline_ref)
        with base._session(loaded, sandbox, sandbox_dir) as providers, reading(providers) as on_read:
            run = engine.make_plan(loaded.desired, providers, safety=loaded.project.safety, on_read=on_read)
        report = drift_report.classify(
            run.plan, loaded.desired, baseline.desired if baseline else None, datetime.now(UTC).date(),
            baseline_label=baseline.label if baseline else None)
        if fmt == "json":
            text = drift_report.render_json(report)
        elif fmt == "markdown":
            text = drift_report.render_markdown(report, base._masker(show_pii))
        else:
            text = drift_report.render_text(report)
        click.echo(base._without_secrets(text), nl=False)
        if fmt == "text":
            click.echo(base._calls_line(run.calls), err=True)
        if report.has_findings:
            sys.exit(EXIT_CHANGES)

    @group.group("import")
    def import_group() -> None:
        """Write desired-state YAML from live schedules (adopt what exists; plan then shows no changes)."""

    out_option = click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
                              help="Folder for the file (default: the first desired: entry).")
    force_option = click.option("--force", is_flag=True, help="Replace the file if it exists.")
    defaults_option = click.option("--keep-defaults", is_flag=True,
                                   help="Also write settings equal to the vendor's defaults (pins them).")

    @import_group.command("mettl")
    @base.config_option
    @click.option("--assessment", "assessment_id", required=True, help="The Mettl assessment id.")
    @out_option
    @force_option
    @defaults_option
    @base.sandbox_option
    @base.sandbox_dir_option
    @base.handle_errors
    def import_mettl(config_path: Path, assessment_id: str, out: Path | None, force: bool, keep_defaults: bool,
                     sandbox: bool, sandbox_dir: Path | None) -> None:
        """Import every schedule of a Mettl assessment."""
        from .providers.mettl import discover as found

        def discover(provider: Any, managed: Collection[ScheduleKey]) -> Discovery:
            schedules = found.discover_assessment(provider, assessment_id)
            return Discovery("mettl", f"assessment {assessment_id}", schedules, found.VENDOR_DEFAULTS, found.NOTES)

        target = _target(config_path, out, "mettl", assessment_id, force=force)
        loaded = base._load(config_path)
        with base._session(loaded, sandbox, sandbox_dir) as providers:
            _import(loaded, providers, name="mettl", discover=discover, target=target,
                    command=f"reconciler import mettl --assessment {assessment_id}",
                    force=force, keep_defaults=keep_defaults)

    @import_group.command("questionmark")
    @base.config_option
    @click.option("--group", "group_name", default=None, help="Import the schedules of this group.")
    @click.option("--assessment", "assessment_id", default=None, help="Import the schedules of this assessment.")
    @click.option("--adopt", is_flag=True,
                  help="Write the ownership mark (ExternalID) into schedules made in the Questionmark UI.")
    @click.option("--time-zone", default="UTC", show_default=True, callback=_check_zone,
                  help="IANA zone (or UTC+05:30) to write windows and times in.")
    @out_option
    @force_option
    @defaults_option
    @base.sandbox_option
    @base.sandbox_dir_option
    @base.handle_errors
    def import_questionmark(config_path: Path, group_name: str | None, assessment_id: str | None, adopt: bool,
                            time_zone: str, out: Path | None, force: bool, keep_defaults: bool, sandbox: bool,
                            sandbox_dir: Path | None) -> None:
        """Import Questionmark schedules by group or by assessment (exactly one of --group, --assessment)."""
        if (group_name is None) == (assessment_id is None):
            raise click.UsageError("give exactly one of --group NAME or --assessment ID")
        from .providers.questionmark import discover as found

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
        loaded = base._load(config_path)
        with base._session(loaded, sandbox, sandbox_dir) as providers:
            _import(loaded, providers, name="questionmark", discover=discover, target=target,
                    command=f"reconciler import questionmark {flag}", force=force, keep_defaults=keep_defaults)

    @group.command("schema")
    @click.option("--out", "folder", type=click.Path(file_okay=False, path_type=Path), default=Path("schemas"),
                  show_default=True, help="Folder for the JSON Schema files.")
    @click.option("--check", is_flag=True, help="Write nothing; exit 1 listing files that are missing or stale.")
    @base.handle_errors
    def schema(folder: Path, check: bool) -> None:
        """Write the JSON Schemas of reconciler.yaml and the desired-state files (editor completion)."""
        from . import schemas

        if check:
            stale = schemas.stale(folder)
            if stale:
                for name in stale:
                    click.echo(f"stale: {name}", err=True)
                raise ReconcilerError(f"{len(stale)} schema file(s) in {folder} are stale: run `reconciler schema`")
            click.echo(f"Schemas in {folder} are up to date.")
            return
        for path in schemas.write(folder):
            click.echo(str(path))
