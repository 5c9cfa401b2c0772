"""Global options of the command line: --debug, --config, --sandbox and --no-color, before or after the
subcommand (`reconciler --debug plan` and `reconciler plan --debug` mean the same).

The group takes them before the subcommand and keeps them for the run; `prepare` gives every subcommand the
ones it lacks, so they are accepted after it too. A value given after the subcommand wins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from .errors import scrub

DISTRIBUTION = "exam-reconciler"
"""The name on PyPI (`reconciler` there is an unrelated project); the package and command stay `reconciler`."""

DEFAULT_CONFIG = Path("reconciler.yaml")
_META_KEY = "reconciler.globals"

F = TypeVar("F", bound=Callable[..., Any])


class State:
    """Process-wide settings of one run, reset by `prepare` before every parse."""

    debug = False
    no_color = False
    """--no-color: accepted everywhere; `cli_output.color_on` reads it (NO_COLOR and a non-terminal also turn
    colour off)."""
    secrets: tuple[str, ...] = ()
    """Secret values of the loaded project (credentials, webhook headers, every value read from the
    environment): scrubbed from every message, in any case and URL/base64-encoded."""


def scrub_values(text: str, values: tuple[str, ...]) -> str:
    """`text` with each value replaced by *** in any case and URL/base64-encoded (see `errors.scrub`). Values
    shorter than 6 characters are left alone: they would match ordinary words (defence in depth: models and
    errors already mask secrets)."""
    return scrub(text, values, min_length=6)


@dataclass
class _Globals:
    config: Path | None = None
    sandbox: bool = False


def _globals(ctx: click.Context) -> _Globals:
    found = ctx.meta.get(_META_KEY)  # meta is shared by the whole context chain of one run
    if not isinstance(found, _Globals):
        found = ctx.meta[_META_KEY] = _Globals()
    return found


def _debug(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        State.debug = True


def _no_color(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        State.no_color = True


def _keep_config(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        _globals(ctx).config = value


def _keep_sandbox(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        _globals(ctx).sandbox = True


def _resolve_config(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path:
    return value if value is not None else (_globals(ctx).config or DEFAULT_CONFIG)


def _resolve_sandbox(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    return value or _globals(ctx).sandbox


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
)
"""The four global options, stored for the run rather than passed (a command's own --config/--sandbox win)."""


def global_options(group: F) -> F:
    """Decorate the root group with the global options."""
    for decl, settings in reversed(_GLOBAL_SPECS):
        group = click.option(decl, expose_value=False, **settings)(group)
    return group


def prepare(root: click.Group) -> None:
    """Reset the run's state and give every subcommand (at any depth) the global options it lacks."""
    State.debug = State.no_color = False
    State.secrets = ()
    pending: list[click.Command] = list(root.commands.values())
    while pending:
        command = pending.pop()
        taken = {opt for param in command.params for opt in param.opts}
        command.params += [click.Option([decl], expose_value=False, **settings)
                           for decl, settings in _GLOBAL_SPECS if decl not in taken]
        if isinstance(command, click.Group):
            pending += command.commands.values()
