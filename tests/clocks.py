"""Move the whole suite's clock: `pytest --clock-shift 3y` (or `RECONCILER_TEST_CLOCK_SHIFT=3y`) runs every test
as if today were three years later, to prove that no test depends on today's date. Tests that need a fixed
instant travel to it themselves (`time_machine.travel`, or the `at_acme_time` fixture below); the shift only
moves "today".
Subprocesses started by a test do not inherit its clock; tests that start Python programs start them through
`python_at_test_time()`, which runs the child at the test's instant (frozen or shifted) too."""

from __future__ import annotations

import os
import re
import shlex
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

SHIFT_VARIABLE = "RECONCILER_TEST_CLOCK_SHIFT"
_SPEC = re.compile(r"(?P<count>-?\d+)(?P<unit>[dy])")
_started: list[time_machine.travel] = []

# Before every window of the acme example (and of the demo worlds): tests that plan, apply, import or doctor
# it run at this instant, before all of them, whatever today's date is.
ACME_NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
AT_INSTANT = Path(__file__).resolve().parent / "support" / "at_instant.py"


def python_at_test_time() -> list[str]:
    """The start of a command line that runs Python at the test's current instant (frozen or shifted):
    `[*python_at_test_time(), "-m", "reconciler", "plan", ...]`, `-c CODE`, or a script's path."""
    return [sys.executable, str(AT_INSTANT), datetime.now(UTC).isoformat()]


def reconciler_at_test_time(folder: Path) -> Path:
    """`folder/reconciler`, a stand-in for the installed command that runs it at the test's current instant:
    for programs that start `reconciler` themselves (a shell script, the action's runner)."""
    folder.mkdir(parents=True, exist_ok=True)
    shim = folder / "reconciler"
    command = " ".join(shlex.quote(part) for part in python_at_test_time())
    shim.write_text(f'#!/bin/sh\nexec {command} -m reconciler "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    return shim


@pytest.fixture
def at_acme_time() -> Iterator[datetime]:
    """The whole process (emulators, signatures, the planning clock) at ACME_NOW, ticking."""
    with time_machine.travel(ACME_NOW, tick=True):
        yield ACME_NOW


def parse_shift(spec: str) -> timedelta:
    """`3y` (3 × 365 days), `400d`, `-30d`; empty or `0` is no shift."""
    spec = spec.strip()
    if spec in ("", "0"):
        return timedelta(0)
    found = _SPEC.fullmatch(spec)
    if not found:
        raise pytest.UsageError(f"--clock-shift: expected e.g. 3y or 400d, got {spec!r}")
    days = int(found["count"]) * (365 if found["unit"] == "y" else 1)
    return timedelta(days=days)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--clock-shift", default=os.environ.get(SHIFT_VARIABLE, ""),
                     help="run as if today were this much later: 3y, 400d (default: $" + SHIFT_VARIABLE + ")")


def pytest_configure(config: pytest.Config) -> None:
    shift = parse_shift(str(config.getoption("--clock-shift")))
    if not shift:
        return
    # Workers of pytest-xdist get the same options and configure themselves too: each moves its own clock.
    traveller = time_machine.travel(datetime.now(UTC) + shift, tick=True)
    traveller.start()
    _started.append(traveller)


def pytest_unconfigure(config: pytest.Config) -> None:
    while _started:
        _started.pop().stop()


def pytest_report_header(config: pytest.Config) -> str | None:
    shift = parse_shift(str(config.getoption("--clock-shift")))
    return f"clock shifted by {shift.days} days: today is {datetime.now(UTC):%Y-%m-%d}" if shift else None
