"""Retiring a Mettl schedule: Mettl has no delete or disable, so its window is closed with one edit.

The closing window ends at the moment of apply (truncated to the second) in the schedule's own zone and
starts at its live start, or a minute before the end when the live one starts later (or the schedule is
always on): never a window that opens again. A `SlotWise` window is open daily from `startsOnTime` to
`endsOnTime`, so its closing slot must still start before it ends on the clock (never 09:00 → 08:00): its start
time moves to a minute before the end (not before midnight), and an end at exactly midnight moves a second on.
Putting the schedule back in the YAML re-opens it (the window
is then a plain change). A schedule whose window has already ended counts as retired.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from ...models import Window
from ...plan import WINDOW_END, FieldChange
from .mapping import window_to_sc

WHEN_APPLIED = "the moment of apply (window closed)"


def is_closed(window: Window | None, now: datetime) -> bool:
    """A Fixed window that has ended: nobody can start the test any more."""
    return window is not None and window.end_utc <= now


def retirement(window: Window | None) -> FieldChange:
    """How the plan shows a retirement: the window's end moves to the moment of apply."""
    before = f"{window.end.isoformat()} ({window.time_zone})" if window is not None else "(always open)"
    return FieldChange(path=WINDOW_END, before=before, after=WHEN_APPLIED)


def closing_window(live: Window | None, now: datetime, fixed_access_option: str | None = None) -> Window:
    """The window that closes the schedule at `now`, in the live window's zone (UTC for an always-on one).

    assumption M-12: an edit may set a Fixed window whose end is now (just past by the time Mettl reads it), and
    a `SlotWise` one whose daily slot starts before it ends.
    """
    end = now.astimezone(UTC).replace(microsecond=0)
    start = live.start_utc if live is not None and live.start_utc < end else end - timedelta(minutes=1)
    for zone in (live.time_zone if live is not None else "UTC", "UTC"):
        try:
            window = Window.from_utc(start, end, zone)
            return daily_slot(window) if fixed_access_option == SLOT_WISE else window
        except ValueError:  # a local time that happens twice in that zone (DST): say it in UTC
            continue
    raise AssertionError("a window in UTC is always valid")  # pragma: no cover


SLOT_WISE = "SlotWise"


def daily_slot(window: Window) -> Window:
    """The window with a daily slot that starts before it ends on the clock (a SlotWise window): the start
    keeps its date and, when it is not before the end's time of day, takes a minute before it (not before
    midnight); an end at exactly midnight moves one second on. ValueError when a local time is not valid."""
    start, end = window.start, window.end
    if start.time() < end.time():
        return window
    if end.time() == time(0):
        end += timedelta(seconds=1)
    slot = max(end - timedelta(minutes=1), datetime.combine(end.date(), time(0)))
    return Window(start=datetime.combine(start.date(), slot.time()), end=end, time_zone=window.time_zone)


def closing_sc(live: Window | None, fixed_access_option: str | None, now: datetime) -> dict[str, Any]:
    """The `sc` of the one edit that retires a schedule (its fixedAccessOption kept as it is)."""
    window = closing_window(live, now, fixed_access_option)
    return {"scheduleType": "Fixed", "scheduleWindow": window_to_sc(window, fixed_access_option)}
