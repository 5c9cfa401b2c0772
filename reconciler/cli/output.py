"""What plan and apply show at a terminal: colour, progress, the typed `yes`; each only where a person is there.

Colour follows Terraform's conventions (`render.text.STYLES`) and is off with --no-color, NO_COLOR (any
value) or when the stream is not a terminal; then the output is exactly the plain text. Progress (schedules
read, changes applied, live HTTP calls) goes to stderr and only when stderr is a terminal, so CI logs stay
clean.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import IO

import click
from rich.console import Console
from rich.progress import Progress, ProgressColumn, SpinnerColumn, Task, TextColumn, TimeElapsedColumn
from rich.text import Text

from ..errors import ReconcilerError
from ..models import PROVIDER_TITLES
from ..observed import ApplyOutcome, ObservedWorld
from ..plan import Writing
from ..providers.base import Provider
from ..render.text import Line, plain
from .state import RunState

NO_COLOR_ENV = "NO_COLOR"


def is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or odd stream
        return False


def color_on(stream: IO[str], no_color: bool) -> bool:
    """The one decision: colour on `stream` unless --no-color (`no_color`), NO_COLOR (any value) or not a
    terminal."""
    return not no_color and NO_COLOR_ENV not in os.environ and is_terminal(stream)


def progress_on() -> bool:
    """Progress bars only when stderr is a terminal."""
    return is_terminal(sys.stderr)


def _console(stream: IO[str], color: bool) -> Console:
    return Console(file=stream, force_terminal=True, no_color=not color, highlight=False, markup=False,
                   emoji=False, soft_wrap=True)


def echo_lines(lines: Sequence[Line], run: RunState, *, err: bool = False, console: Console | None = None) -> None:
    """Print styled lines: in colour where `color_on`, else exactly their plain text. Secrets are scrubbed
    (`run.clean`); a line that had one is printed plain. `console`: print through it (a live progress shares
    the terminal)."""
    stream = sys.stderr if err else sys.stdout
    color = color_on(stream, run.no_color)
    clean = run.clean
    if console is None and not color:
        click.echo(clean(plain(lines)), nl=False, err=err)
        return
    out = console or _console(stream, color=True)
    for line in lines:
        text = "".join(part for part, _ in line)
        scrubbed = clean(text)
        out.print(Text.assemble(*line) if color and scrubbed == text else Text(scrubbed))


class _CallsColumn(ProgressColumn):
    """The live HTTP call count of the provider a task belongs to."""

    def __init__(self, providers: Mapping[str, Provider]) -> None:
        super().__init__()
        self._providers = providers

    def render(self, task: Task) -> Text:
        names: Sequence[str] = task.fields.get("providers", ())
        calls = sum(self._providers[name].calls for name in names if name in self._providers)
        return Text(f"{calls} HTTP calls", style="dim")


def _progress(providers: Mapping[str, Provider], run: RunState) -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), _CallsColumn(providers), TimeElapsedColumn(),
                    console=_console(sys.stderr, color_on(sys.stderr, run.no_color)), transient=True,
                    redirect_stdout=False, redirect_stderr=False)


@contextmanager
def reading(providers: Mapping[str, Provider],
            run: RunState) -> Iterator[Callable[[str, ObservedWorld], None] | None]:
    """Progress of the reads, one line per provider; yields the engine's `on_read` hook (None: no terminal)."""
    if not progress_on():
        yield None
        return
    with _progress(providers, run) as progress:
        tasks = {name: progress.add_task(f"Reading {PROVIDER_TITLES.get(name, name)}…", total=None,
                                         providers=(name,)) for name in sorted(providers)}

        def done(name: str, world: ObservedWorld) -> None:
            count = len(world.managed) + len(world.retired) + len(world.unmanaged)
            progress.update(tasks[name], total=1, completed=1,
                            description=f"Read {PROVIDER_TITLES.get(name, name)}: {count} schedule(s)")

        yield done


def _same_terminal(first: IO[str], second: IO[str]) -> bool:
    try:
        return os.path.samestat(os.fstat(first.fileno()), os.fstat(second.fileno()))
    except (AttributeError, ValueError, OSError):
        return False


@contextmanager
def applying(changes: Sequence[Writing], providers: Mapping[str, Provider],
             run: RunState) -> Iterator[Callable[[ApplyOutcome], None]]:
    """Yields the apply's `on_outcome`: prints `✓ <schedule>` on stdout and, on a terminal, moves a progress
    bar of changes applied (naming the change under way: apply goes in plan order)."""

    def line(outcome: ApplyOutcome) -> Line:
        note = f" — {outcome.message}" if outcome.message else ""
        return (("✓", "green") if outcome.ok else ("✗", "red"), (f" {outcome.key}{note}", ""))

    if not progress_on() or not changes:
        yield lambda outcome: echo_lines([line(outcome)], run)
        return
    with _progress(providers, run) as progress:
        task = progress.add_task(_applying(changes, 0), total=len(changes), providers=tuple(providers))
        shared = progress.console if _same_terminal(sys.stdout, sys.stderr) else None

        def advance(outcome: ApplyOutcome) -> None:
            echo_lines([line(outcome)], run, console=shared)
            done = int(progress.tasks[task].completed) + 1
            progress.update(task, completed=done, description=_applying(changes, done))

        yield advance


def _applying(changes: Sequence[Writing], done: int) -> str:
    current = f": {changes[done].key}" if done < len(changes) else ""
    return f"Applied {done}/{len(changes)}{current}"


def confirm_apply() -> None:
    """Terraform's question: only `yes` applies; any other answer, or none, cancels. No terminal: refused."""
    if not sys.stdin.isatty():
        raise ReconcilerError("no terminal to confirm on, nothing was applied: re-run with --auto-approve")
    click.echo("\nDo you want to apply these changes?\n  Only 'yes' will be accepted to approve.\n", err=True)
    try:
        answer = click.prompt("  Enter a value", default="", show_default=False, err=True)
    except click.Abort:
        answer = ""
    if answer.strip() != "yes":
        raise ReconcilerError("apply cancelled, nothing changed")
