"""`doctor`: the command around `reconciler.doctor`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .common import handle_errors, load, masker, session
from .options import config_option, sandbox_dir_option, sandbox_option
from .state import RunState


@click.command()
@config_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--save-samples", "samples_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write one redacted sample per kind of answer read (for a bug report or a test fixture).")
@click.option("--probe-access", is_flag=True, default=False,
              help="Questionmark: ask the tenant (read-only POST Participants(id)/ActionableSchedules) whether a "
              "seat is offered to its participant and not to the rest of its group (assumption Q-02).")
@sandbox_option
@sandbox_dir_option
@click.pass_obj
@handle_errors
def doctor(state: RunState, config_path: Path, fmt: str, samples_dir: Path | None, probe_access: bool,
           sandbox: bool, sandbox_dir: Path | None) -> None:
    """Check, reading only, that the vendors behave as this tool assumes (docs/vendor-assumptions.md).

    Prints one row per check: ✓ passed, ✗ failed (with the fix), – manual or skipped. Exit 0 when
    nothing failed, 1 otherwise. Run it first against a real tenant.
    """
    from ..doctor import diagnose, render_json, render_text, save_samples

    loaded = load(config_path, state)
    with session(loaded, sandbox, sandbox_dir) as providers:
        report, probes = diagnose(loaded, providers, probe_access=probe_access)
    if samples_dir is not None:
        mettl = loaded.project.providers.mettl
        public_key = (mettl.public_key,) if mettl and mettl.public_key else ()  # `ak`: kept out of samples too
        written = save_samples(samples_dir, probes, masker(False), (*state.secrets, *public_key))
        click.echo(f"Saved {len(written) - 1} redacted sample(s) and their index to {samples_dir}", err=True)
    text = render_json(report) if fmt == "json" else render_text(report)
    click.echo(state.clean(text), nl=False)
    sys.exit(report.exit_code)
