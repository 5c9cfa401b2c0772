"""What the commands show at a terminal: colour and the typed `yes`; each only where a person is there.

Colour follows Terraform's conventions (`render.text.STYLES`) and is off with --no-color, NO_COLOR (any
value) or when the stream is not a terminal; then the output is exactly the plain text, printed without
loading rich. Progress bars are in `progress`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING

import click

from ..errors import ReconcilerError
from ..styled import Line, plain
from .state import RunState

if TYPE_CHECKING:
    from rich.console import Console

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


def console_for(stream: IO[str], color: bool) -> Console:
    """A rich console on stream (loaded only when something is printed in colour or with progress)."""
    from rich.console import Console

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
    from rich.text import Text

    out = console or console_for(stream, color=True)
    for line in lines:
        text = "".join(part for part, _ in line)
        scrubbed = clean(text)
        out.print(Text.assemble(*line) if color and scrubbed == text else Text(scrubbed))


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
