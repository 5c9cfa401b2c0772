"""`drift`: tell drift (changed on the platform by hand) from unapplied config."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import clock, engine
from ..baseline import APPLIED_TAG, find_baseline
from ..drift import classify
from ..render.drift import render_json, render_markdown, render_text
from ..scope import Scope
from .common import EXIT_CHANGES, calls_line, handle_errors, load, masker, session
from .options import config_option, sandbox_dir_option, sandbox_option, scope_options, show_pii_option
from .progress import reading
from .state import RunState


@click.command()
@config_option
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True)
@click.option("--baseline", "baseline_ref", metavar="GIT-REF", default=None,
              help=f"The last applied commit (default: the {APPLIED_TAG} tag, with `shard:` "
                   f"{APPLIED_TAG}-<shard>, when it exists).")
@show_pii_option
@sandbox_option
@sandbox_dir_option
@scope_options
@click.pass_obj
@handle_errors
def drift(state: RunState, config_path: Path, fmt: str, baseline_ref: str | None, show_pii: bool, sandbox: bool,
          sandbox_dir: Path | None, scope: Scope) -> None:
    """Tell drift (changed on the platform by hand) from unapplied config. Reads only.

    Live state is compared with the desired state now and as last applied (the git tag
    reconciler-applied, moved by the apply workflow; or --baseline). Suppressions in the desired files
    hide known drift until they expire. Exit 0 in sync; 2 drift, unapplied config or an expired
    suppression; 1 error.
    """
    loaded = load(config_path, state)
    baseline = find_baseline(config_path, baseline_ref, loaded.project.shard)
    with session(loaded, sandbox, sandbox_dir, scope.provider) as providers, reading(providers, state) as on_read:
        run = engine.make_plan(loaded.desired, providers, safety=loaded.project.safety, on_read=on_read, scope=scope)
    scope.require_match(loaded.desired, run.plan)
    before = scope.narrow(baseline.desired) if baseline else None
    report = classify(run.plan, scope.narrow(loaded.desired), before, clock.utcnow().date(),
                      baseline_label=baseline.label if baseline else None)
    if fmt == "json":
        text = render_json(report)
    elif fmt == "markdown":
        text = render_markdown(report, masker(show_pii))
    else:
        text = render_text(report)
    click.echo(state.clean(text), nl=False)
    if fmt == "text":
        click.echo(calls_line(run.calls), err=True)
    if report.has_findings:
        sys.exit(EXIT_CHANGES)
