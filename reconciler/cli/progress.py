"""Progress at a terminal (stderr only, and only when it is a terminal, so CI logs stay clean): the schedules
read, the changes applied, the live HTTP calls. Loaded by the commands that talk to the platforms."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import IO

from rich.progress import Progress, ProgressColumn, SpinnerColumn, Task, TextColumn, TimeElapsedColumn
from rich.text import Text

from ..models import PROVIDER_TITLES
from ..observed import ApplyOutcome, ObservedWorld
from ..plan import Writing
from ..providers.base import Provider
from ..styled import Line
from .output import color_on, console_for, echo_lines, progress_on
from .state import RunState


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
                    console=console_for(sys.stderr, color_on(sys.stderr, run.no_color)), transient=True,
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
