"""`validate`: the project and its desired-state files checked, no network. Its imports are the loader's
alone (no DeepDiff, HTTP client or renderers): it runs on every commit and in editors, so it starts fast."""

from __future__ import annotations

from pathlib import Path

import click

from .common import handle_errors, load
from .options import config_option
from .state import RunState


@click.command()
@config_option
@click.pass_obj
@handle_errors
def validate(state: RunState, config_path: Path) -> None:
    """Check the project and desired-state files (no network)."""
    loaded = load(config_path, state)
    count = len(loaded.desired.schedules)
    click.echo(f"valid: {count} schedule(s) in {len(loaded.files)} file(s)")
