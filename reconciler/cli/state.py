"""The state of one run of the command line, carried on click's context object (`ctx.obj`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click

from ..errors import scrub


def scrub_values(text: str, values: tuple[str, ...]) -> str:
    """`text` with each value replaced by *** in any case and URL/base64-encoded (see `errors.scrub`). Values
    shorter than 6 characters are left alone: they would match ordinary words (defence in depth: models and
    errors already mask secrets)."""
    return scrub(text, values, min_length=6)


@dataclass
class RunState:
    """Settings of one run: made fresh by the root group for every invocation (or given as `obj=`)."""

    debug: bool = False
    no_color: bool = False
    """--no-color: `output.color_on` reads it (NO_COLOR and a non-terminal also turn colour off)."""
    config: Path | None = None
    """--config given before the subcommand."""
    sandbox: bool = False
    """--sandbox given before the subcommand."""
    trusted_config: Path | None = None
    """--trusted-config (before or after the subcommand); else $RECONCILER_TRUSTED_CONFIG."""
    secrets: tuple[str, ...] = ()
    """Secret values of the loaded project (credentials, webhook headers, every value read from the
    environment): scrubbed from every message, in any case and URL/base64-encoded."""

    def clean(self, text: str) -> str:
        """Text with every secret value of the project replaced. Values only: the shape patterns of
        `errors.redact` would also hit plain words such as `password:`."""
        return scrub_values(text, self.secrets)


def current_run() -> RunState:
    """The run's state from click's current context; a fresh one outside a run."""
    ctx = click.get_current_context(silent=True)
    found = ctx.find_object(RunState) if ctx is not None else None
    return found if found is not None else RunState()
