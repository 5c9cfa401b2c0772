"""What every command shares: exit codes, errors as clear lines, loading the project (and its secrets), and
the provider session (the real platforms, or the embedded sandbox) in one place.

Exit codes (docs/exit-codes.md): 0 ok; 1 error (bad config, vendor failure); 2 changes present (plan with
--detailed-exitcode, drift); 3 refused as unsafe; 4 the plan changed since it was reviewed (a stale saved plan,
or `--expect-checksum` not the fresh plan's).
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from pydantic import BaseModel, SecretStr

from .. import clock
from ..errors import ReconcilerError, redact
from ..loader import LoadedProject, load_project
from ..styled import Line
from ..trust import TRUSTED_CONFIG_ENV
from ..vendors import VENDOR_NAMES
from .options import PII_KEY_ENV, with_global_options
from .output import echo_lines
from .state import RunState, current_run

if TYPE_CHECKING:
    from ..providers.base import Endpoint, Provider

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_ERROR, EXIT_CHANGES, EXIT_UNSAFE, EXIT_PLAN_CHANGED = 0, 1, 2, 3, 4


def _fail(message: str, code: int, run: RunState) -> None:
    """Print `message` as `error:` lines on stderr (secrets scrubbed) and exit with `code`."""
    lines: list[Line] = [(("error:", "bold red"), (f" {line}", "")) if line and not line.startswith("  ")
                         else ((line, ""),) for line in run.clean(message).splitlines() or [""]]
    echo_lines(lines, run, err=True)
    sys.exit(code)


def handle_errors(func: F) -> F:
    """Turn every error into clear lines on stderr and an exit code; --debug shows the traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        run = current_run()
        try:
            return func(*args, **kwargs)
        except ReconcilerError as exc:
            if run.debug:
                raise
            _fail(str(exc), exc.exit_code, run)
        except (KeyboardInterrupt, click.exceptions.Exit, click.ClickException):
            raise
        except Exception as exc:
            if run.debug:
                raise
            _fail(f"internal error: {type(exc).__name__}: {redact(str(exc))} (run with --debug for details)",
                  EXIT_ERROR, run)
        return None

    return wrapper  # type: ignore[return-value]


class _UsageError(click.UsageError):
    exit_code = EXIT_ERROR


class Group(click.Group):
    """The root group: a fresh `RunState` as the context object of every run (unless one is given as
    `obj=`), and usage errors that exit 1, not click's 2: exit 2 means "changes present" here.

    Its commands are loaded when first named (`lazy`: name → `module:attribute` under reconciler.cli), so a
    run imports only what its command needs; each is given the global options as it is loaded."""

    def __init__(self, *args: Any, lazy: Mapping[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            module, attribute = self.lazy[cmd_name].split(":")
            command = getattr(importlib.import_module(f"{__package__}.{module}"), attribute)
            self.add_command(with_global_options(command), cmd_name)
        return super().get_command(ctx, cmd_name)

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        if parent is None and extra.get("obj") is None:
            extra["obj"] = RunState()
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            raise _as_error(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise _as_error(exc) from None


def _as_error(exc: click.UsageError) -> click.UsageError:
    if exc.exit_code == EXIT_ERROR or isinstance(exc, click.exceptions.NoArgsIsHelpError):
        return exc
    return _UsageError(exc.format_message(), exc.ctx)


# --------------------------------------------------------------------------- the project and its secrets


def load(config_path: Path, run: RunState) -> LoadedProject:
    """Load the project; from then on every secret value of it is scrubbed from the run's output."""
    run.secrets = tuple(v for v in [os.environ.get(PII_KEY_ENV)] if v)
    trusted = run.trusted_config or os.environ.get(TRUSTED_CONFIG_ENV) or None
    loaded = load_project(config_path, now=clock.utcnow(), trusted=trusted)
    run.secrets = _secret_values(loaded, run.secrets)
    return loaded


def untrusted_notice(loaded: LoadedProject) -> str:
    """One line saying which trusted settings the project file changes ("" when none): the run used the
    trusted file's."""
    if not loaded.untrusted_changes:
        return ""
    keys = ", ".join(f"`{key}`" for key in loaded.untrusted_changes)
    where = loaded.trusted_path.name if loaded.trusted_path else "the trusted project file"
    return (f"This change sets {keys} in {loaded.path.name} otherwise than the trusted project file ({where}, "
            "the base branch): this plan was computed with the trusted values; the new ones take effect only "
            "once merged.")


def _secret_values(loaded: LoadedProject, known: tuple[str, ...]) -> tuple[str, ...]:
    """Every SecretStr value of the project file and the schedules' vendor settings, every value read from the
    environment, and the key of the email pseudonyms (in `known`)."""
    found: set[str] = {*loaded.secrets, *known}

    def walk(value: object) -> None:
        if isinstance(value, SecretStr):
            found.add(value.get_secret_value())
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                walk(getattr(value, name))
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    walk(loaded.project)
    for schedule in loaded.desired.schedules:
        walk(schedule.mettl)
        walk(schedule.questionmark)
    return tuple(sorted(found, key=len, reverse=True))


def masker(show_pii: bool) -> Callable[[str], str]:
    """Markdown is for untrusted places (PR comments): emails become keyed pseudonyms unless --show-pii.
    Without a configured key, a random one of this run, said in one line on stderr."""
    from ..render.pii import NO_KEY_NOTICE, identity_mask, make_masker

    if show_pii:
        return identity_mask
    key = os.environ.get(PII_KEY_ENV)
    mask = make_masker(key)
    if key:
        return mask
    said: list[bool] = []

    def mask_and_say(email: str) -> str:
        if not said:  # once, and only when something is masked
            said.append(True)
            click.echo(NO_KEY_NOTICE, err=True)
        return mask(email)

    return mask_and_say


def text_masker(show_pii: bool) -> Callable[[str], str] | None:
    """The mask of text output (plans printed by plan and apply): none, unless CI asks for people masked
    (RECONCILER_MASK_PII, set by the action: apply logs are read by anyone who can read the run)."""
    from ..render.pii import MASK_ENV

    if show_pii or os.environ.get(MASK_ENV, "").strip() in ("", "0"):
        return None
    return masker(False)


def calls_line(calls: dict[str, int]) -> str:
    """`HTTP calls: mettl 3, questionmark 5`."""
    return "HTTP calls: " + ", ".join(f"{name} {count}" for name, count in sorted(calls.items()))


# --------------------------------------------------------------------------- the provider session


@contextmanager
def session(
    loaded: LoadedProject, sandbox: bool, sandbox_dir: Path | None, only: str | None = None
) -> Iterator[dict[str, Provider]]:
    """The providers the project uses (`only`: that one, as `--provider` asks; the others' credentials are not
    needed), against the real platforms or the embedded sandbox; closed after. Every call of the run ends by
    the project's `limits.max_run_seconds`."""
    names: set[str] = {s.provider for s in loaded.desired.schedules}
    names |= {n for n in VENDOR_NAMES if getattr(loaded.project.providers, n) is not None}
    names = {only} if only else names
    from ..providers.factory import make_providers

    with _maybe_sandbox(loaded, sandbox, sandbox_dir, names) as endpoints:
        providers = make_providers(loaded.project, names, missing_env=loaded.missing_env, endpoints=endpoints,
                                   config_file=str(loaded.path), positions=loaded.setting_positions)
        from ..http import RunDeadline

        deadline = RunDeadline.after(loaded.project.limits.max_run_seconds)
        for provider in providers.values():
            provider.limit_run(deadline)
        try:
            yield providers
        finally:
            for provider in providers.values():
                provider.close()


@contextmanager
def _maybe_sandbox(
    loaded: LoadedProject, sandbox: bool, sandbox_dir: Path | None, names: set[str]
) -> Iterator[dict[str, Endpoint] | None]:
    if not sandbox:
        yield None
        return
    from ..providers.base import Endpoint
    from ..sandbox.embedded import embedded_sandbox

    folder = sandbox_dir or loaded.path.parent / ".reconciler-sandbox"
    with embedded_sandbox(folder, names) as raw:
        yield {name: Endpoint(*values) for name, values in raw.items()}
