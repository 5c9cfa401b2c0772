"""`reconciler doctor`: the command around `reconciler.doctor` (config, sandbox and errors come from cli)."""

from __future__ import annotations

import sys
from pathlib import Path

import click


def register(group: click.Group) -> None:
    """Attach the doctor command to the CLI group."""
    from . import cli as base  # imported here: cli imports this module at its end
    from .cli_options import State

    @group.command()
    @base.config_option
    @click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
    @click.option("--save-samples", "samples_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                  help="Write one redacted sample per kind of answer read (for a bug report or a test fixture).")
    @base.sandbox_option
    @base.sandbox_dir_option
    @base.handle_errors
    def doctor(config_path: Path, fmt: str, samples_dir: Path | None, sandbox: bool,
               sandbox_dir: Path | None) -> None:
        """Check, reading only, that the vendors behave as this tool assumes (docs/vendor-assumptions.md).

        Prints one row per check: ✓ passed, ✗ failed (with the fix), – manual or skipped. Exit 0 when
        nothing failed, 1 otherwise. Run it first against a real tenant.
        """
        from .doctor import diagnose, render_json, render_text, save_samples

        loaded = base._load(config_path)
        with base._session(loaded, sandbox, sandbox_dir) as providers:
            report, probes = diagnose(loaded, providers)
        if samples_dir is not None:
            mettl = loaded.project.providers.mettl
            public_key = (mettl.public_key,) if mettl and mettl.public_key else ()  # `ak`: kept out of samples too
            written = save_samples(samples_dir, probes, base._masker(False), (*State.secrets, *public_key))
            click.echo(f"Saved {len(written) - 1} redacted sample(s) and their index to {samples_dir}", err=True)
        text = render_json(report) if fmt == "json" else render_text(report)
        click.echo(base._without_secrets(text), nl=False)
        sys.exit(report.exit_code)
