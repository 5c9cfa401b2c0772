"""Retiring a schedule leaves a valid window for both access options: a SlotWise window is open daily from
`startsOnTime` to `endsOnTime`, so its closing slot must start before it ends on the clock, across midnight too.
The provider's clock is injected; the emulator refuses an inverted daily slot, so each accepted edit proves it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from reconciler.models import MettlSettings, Window
from reconciler.providers.mettl.provider import MettlProvider
from reconciler.sandbox.base import SandboxServer
from reconciler.sandbox.mettl import MettlApp

from .fixtures import Reconcile
from .test_reconcile import sc_of, schedule

KOLKATA = ZoneInfo("Asia/Kolkata")
LIVE = Window(start="2026-10-30T09:00:00", end="2026-11-05T18:00:00", time_zone="Asia/Kolkata")


def retire_at(local: str, option: str, make_provider: Callable[..., MettlProvider], server: SandboxServer,
              window: Window = LIVE) -> dict[str, Any]:
    """Create the schedule with `option`, retire it with the provider's clock at `local` (Kolkata time); the
    closing edit's scheduleWindow (the emulator accepted it)."""
    now = datetime.fromisoformat(local).replace(tzinfo=KOLKATA)
    at = Reconcile(make_provider(now=lambda: now), server)
    managed = schedule(window=window, mettl=MettlSettings(fixed_access_option=option))
    at.apply(managed, schedule(name="Stays"), force=True)
    server.reset_calls()
    at.apply(schedule(name="Stays"), prune=True, force=True)
    (write,) = server.writes()
    assert write.status == 200
    window_sc: dict[str, Any] = sc_of(write)["scheduleWindow"]
    assert window_sc["fixedAccessOption"] == option
    return window_sc


def times(window: dict[str, Any]) -> tuple[str, str, str, str]:
    return window["startsOnDate"], window["startsOnTime"], window["endsOnDate"], window["endsOnTime"]


def test_slot_wise_retired_before_its_daily_start_keeps_a_slot_that_starts_before_it_ends(
        make_provider: Callable[..., MettlProvider], mettl_server: SandboxServer, mettl_app: MettlApp) -> None:
    window = retire_at("2026-11-01T08:00:00", "SlotWise", make_provider, mettl_server)
    assert times(window) == ("Fri, 30 Oct 2026", "07:59:00", "Sun, 01 Nov 2026", "08:00:00")
    stored = (mettl_app.find(769688, "Java Hiring Drive") or {})["scheduleWindow"]
    assert stored["startsOnTime"] < stored["endsOnTime"]


def test_exact_time_retired_at_the_same_moment_keeps_its_start(
        make_provider: Callable[..., MettlProvider], mettl_server: SandboxServer) -> None:
    window = retire_at("2026-11-01T08:00:00", "ExactTime", make_provider, mettl_server)
    assert times(window) == ("Fri, 30 Oct 2026", "09:00:00", "Sun, 01 Nov 2026", "08:00:00")


def test_slot_wise_retired_inside_its_daily_slot_keeps_its_start(
        make_provider: Callable[..., MettlProvider], mettl_server: SandboxServer) -> None:
    window = retire_at("2026-11-01T12:30:00", "SlotWise", make_provider, mettl_server)
    assert times(window) == ("Fri, 30 Oct 2026", "09:00:00", "Sun, 01 Nov 2026", "12:30:00")


@pytest.mark.parametrize(("local", "expected"), [
    ("2026-11-01T00:00:30", ("Fri, 30 Oct 2026", "00:00:00", "Sun, 01 Nov 2026", "00:00:30")),
    ("2026-11-01T00:00:00", ("Fri, 30 Oct 2026", "00:00:00", "Sun, 01 Nov 2026", "00:00:01")),
    ("2026-10-31T23:59:59", ("Fri, 30 Oct 2026", "09:00:00", "Sat, 31 Oct 2026", "23:59:59")),
])
def test_slot_wise_retired_across_midnight(local: str, expected: tuple[str, ...],
                                           make_provider: Callable[..., MettlProvider],
                                           mettl_server: SandboxServer) -> None:
    assert times(retire_at(local, "SlotWise", make_provider, mettl_server)) == expected


@pytest.mark.parametrize("option", ["SlotWise", "ExactTime"])
def test_a_window_not_yet_open_retired_just_after_midnight(
        option: str, make_provider: Callable[..., MettlProvider], mettl_server: SandboxServer) -> None:
    later = Window(start="2026-12-01T09:00:00", end="2026-12-05T18:00:00", time_zone="Asia/Kolkata")
    window = retire_at("2026-11-01T00:00:20", option, make_provider, mettl_server, later)
    start_time = "00:00:00" if option == "SlotWise" else "23:59:20"
    assert times(window) == ("Sat, 31 Oct 2026", start_time, "Sun, 01 Nov 2026", "00:00:20")


def test_the_emulator_refuses_an_inverted_daily_slot(mettl_app: MettlApp) -> None:
    from reconciler.sandbox.mettl.common import MettlError

    with pytest.raises(MettlError, match="startsOnTime must be before endsOnTime"):
        mettl_app.add_schedule(769688, {"name": "Inverted", "sourceApp": "t", "access": {"type": "OpenForAll"},
                                        "scheduleType": "Fixed", "scheduleWindow": {
                                            "fixedAccessOption": "SlotWise", "startsOnDate": "Fri, 30 Oct 2026",
                                            "startsOnTime": "09:00:00", "endsOnDate": "Sun, 01 Nov 2026",
                                            "endsOnTime": "08:00:00", "locationTimeZone": "Asia/Kolkata"}})

