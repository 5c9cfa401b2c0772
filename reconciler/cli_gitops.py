"""The GitOps commands (drift, import, schema), attached to the main group by cli.py."""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    """Attach this module's commands to the CLI group."""
