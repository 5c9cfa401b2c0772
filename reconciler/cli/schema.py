"""`schema`: the JSON Schemas of the project and desired-state files, for editor completion."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import ReconcilerError
from .common import handle_errors


@click.command("schema")
@click.option("--out", "folder", type=click.Path(file_okay=False, path_type=Path), default=Path("schemas"),
              show_default=True, help="Folder for the JSON Schema files.")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 listing files that are missing or stale.")
@handle_errors
def schema(folder: Path, check: bool) -> None:
    """Write the JSON Schemas of reconciler.yaml and the desired-state files (editor completion)."""
    from .. import schemas

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
