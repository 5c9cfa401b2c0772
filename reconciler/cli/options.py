"""Global options of the command line: --debug, --config, --sandbox and --no-color, before or after the
subcommand (`reconciler --debug plan` and `reconciler plan --debug` mean the same).

The group takes them before the subcommand and keeps them on the run's `RunState`; `add_global_options`
gives every subcommand the ones it lacks, so they are accepted after it too. A value given after the
subcommand wins. Also the options several commands share.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ..models.base import PROVIDERS
from ..trust import TRUSTED_CONFIG_ENV
from .state import RunState

DISTRIBUTION = "exam-reconciler"
"""The name on PyPI (`reconciler` there is an unrelated project); the package and command stay `reconciler`."""

DEFAULT_CONFIG = Path("reconciler.yaml")
PII_KEY_ENV = "RECONCILER_PII_KEY"

F = TypeVar("F", bound=Callable[..., Any])


def _debug(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        ctx.ensure_object(RunState).debug = True


def _no_color(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        ctx.ensure_object(RunState).no_color = True


def _keep_config(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        ctx.ensure_object(RunState).config = value


def _keep_sandbox(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        ctx.ensure_object(RunState).sandbox = True


def _keep_trusted(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        ctx.ensure_object(RunState).trusted_config = value


def _resolve_config(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path:
    return value if value is not None else (ctx.ensure_object(RunState).config or DEFAULT_CONFIG)


def _resolve_sandbox(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    return value or ctx.ensure_object(RunState).sandbox


_CONFIG_HELP = f"The project file.  [default: {DEFAULT_CONFIG}]"
_SANDBOX_HELP = "Run against the embedded vendor emulators on loopback (no credentials)."
_CONFIG_TYPE = click.Path(dir_okay=False, path_type=Path)

config_option = click.option("--config", "config_path", default=None, type=_CONFIG_TYPE, callback=_resolve_config,
                             help=_CONFIG_HELP)
"""For a command that reads the project file: its value, else the group's --config, else ./reconciler.yaml."""

sandbox_option = click.option("--sandbox", is_flag=True, callback=_resolve_sandbox, help=_SANDBOX_HELP)
"""For a command that talks to the platforms: set here or before the subcommand."""


_GLOBAL_SPECS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("--debug", {"is_flag": True, "callback": _debug, "help": "Show tracebacks for errors."}),
    ("--config", {"default": None, "type": _CONFIG_TYPE, "callback": _keep_config, "help": _CONFIG_HELP}),
    ("--sandbox", {"is_flag": True, "callback": _keep_sandbox, "help": _SANDBOX_HELP}),
    ("--no-color", {"is_flag": True, "callback": _no_color,
                    "help": "No colour in the output (also: NO_COLOR set, or not a terminal)."}),
    ("--trusted-config", {"default": None, "type": click.Path(dir_okay=False, path_type=Path),
                          "callback": _keep_trusted, "metavar": "FILE",
                          "help": "The trusted project file (in CI: the base branch's): its providers, safety, "
                                  "secrets, prune and limits replace the project file's. Also "
                                  f"${TRUSTED_CONFIG_ENV}."}),
)
"""The five global options, stored on the run's `RunState` rather than passed (a command's own
--config/--sandbox win)."""


def global_options(group: F) -> F:
    """Decorate the root group with the global options."""
    for decl, settings in reversed(_GLOBAL_SPECS):
        group = click.option(decl, expose_value=False, **settings)(group)
    return group


def with_global_options(command: click.Command) -> click.Command:
    """The command with the global options it lacks given to it and to its subcommands (at any depth)."""
    pending: list[click.Command] = [command]
    while pending:
        current = pending.pop()
        taken = {opt for param in current.params for opt in param.opts}
        current.params += [click.Option([decl], expose_value=False, **settings)
                           for decl, settings in _GLOBAL_SPECS if decl not in taken]
        if isinstance(current, click.Group):
            pending += current.commands.values()
    return command


# --------------------------------------------------------------------------- options several commands share

resend_secrets_option = click.option(
    "--resend-secrets", is_flag=True,
    help="Send write-only secrets (e.g. webhook auth headers) again, to rotate them. They cannot be read back, "
         "so they are never compared; give the same flag to plan and apply.",
)
sandbox_dir_option = click.option(
    "--sandbox-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Where the embedded sandbox keeps its world (default: .reconciler-sandbox next to the config).",
)
show_pii_option = click.option(
    "--show-pii", is_flag=True,
    help=f"markdown: show emails as they are (masked by default with ${PII_KEY_ENV}; only where the output "
         "stays trusted).",
)


def scope_options(command: F) -> F:
    """--select GLOB (repeatable), --provider NAME and --assessment ID, passed on as one `scope: Scope`."""

    @functools.wraps(command)
    def wrapper(*args: Any, select: tuple[str, ...], provider: str | None, assessment: str | None,
                **kwargs: Any) -> Any:
        from ..scope import Scope  # here: the commands without a scope (validate) start without it

        return command(*args, scope=Scope(select, provider, assessment), **kwargs)

    options = (
        click.option("--select", multiple=True, metavar="GLOB",
                     help="Only schedules whose name matches this glob (repeatable: any one). Out of scope "
                          "nothing is read, changed, retired or reported."),
        click.option("--provider", type=click.Choice(PROVIDERS), default=None, help="Only this provider."),
        click.option("--assessment", metavar="ID", default=None, help="Only this assessment."),
    )
    decorated: Any = wrapper
    for option in reversed(options):
        decorated = option(decorated)
    return decorated  # type: ignore[no-any-return]
