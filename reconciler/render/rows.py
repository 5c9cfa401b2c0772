"""The view-model every renderer shares: one row per change, values already formatted as strings."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..models import (
    PROVIDER_TITLES as PROVIDER_TITLES,  # re-exported: drift and markdown use it
    Schedule,
    Window,
    managed_view,
)
from ..plan import ACCOMMODATIONS, NAME, WINDOW, Plan, ScheduleChange, dotted
from ..vendors import SECTIONS
from .pii import person

Mask = Callable[[str], str]

SYMBOLS = {"create": "+", "update": "~", "disable": "-", "no-op": "="}
"""Each action's symbol (Terraform's); an action not listed shows as `~`, a change in place."""

COMPACT_OVER = 20
"""A schedule with more candidate lines than this is shown compact (counts, the first names) unless --full."""
COMPACT_SHOW = 5
"""Names of each kind (add, remove, protected) a compact schedule shows."""
RETIRE_NOTE = "no longer declared: retired (prune), reversible by declaring it again"
UNDECLARED_TITLE = "No longer declared (made by this project; left alone — `prune: true` retires them)"


def no_mask(email: str) -> str:
    return email


@dataclass(frozen=True)
class FieldRow:
    path: str
    before: str
    after: str


@dataclass(frozen=True)
class ChangeRow:
    change: ScheduleChange
    symbol: str
    title: str
    fields: list[FieldRow] = field(default_factory=list)
    window_before: str | None = None
    window_after: str | None = None
    add: list[str] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)
    protected: list[str] = field(default_factory=list)
    note: str | None = None
    new_participants: str | None = None
    """`2 new participant(s) (sign in: welcome email): a@…, b@…`: the accounts apply creates."""

    @property
    def window_changed(self) -> bool:
        return (self.change.action == "create" and self.window_after is not None) or (
            self.change.window_changed)


def show_value(value: Any) -> str:
    """A short, stable rendering of a field value."""
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def show_window(window: Window | None) -> str | None:
    """Local time and zone, then UTC: `2026-12-01 09:00 until 2026-12-05 18:00 Asia/Kolkata (UTC 2026-12-01
    03:30 until 2026-12-05 12:30)`. `→` is kept for "becomes" (a field's old → new), never for "until"."""
    if window is None:
        return None
    fmt = "%Y-%m-%d %H:%M"
    return (
        f"{window.start.strftime(fmt)} until {window.end.strftime(fmt)} {window.time_zone} "
        f"(UTC {window.start_utc.strftime(fmt)} until {window.end_utc.strftime(fmt)})"
    )


def change_row(change: ScheduleChange, mask: Mask = no_mask) -> ChangeRow:
    """The change's strings. Where `mask` masks, people show as initials, a masked address and their pseudonym
    (`pii.person`): names are personal data too, so never beside a pseudonym."""
    fields = []
    for item in change.fields:
        if item.path == WINDOW:
            continue
        before, after = show_value(item.before), show_value(item.after)
        if item.path[0] == ACCOMMODATIONS and len(item.path) > 1:  # (accommodations, email[, setting])
            fields.append(FieldRow(dotted((ACCOMMODATIONS, mask(item.path[1]), *item.path[2:])), before, after))
            continue
        if item.path == NAME:  # a rename: names quoted, so spaces and look-alikes show
            before, after = json.dumps(item.before, ensure_ascii=False), json.dumps(item.after, ensure_ascii=False)
        fields.append(FieldRow(item.text, before, after))
    window_field = change.window_changed
    candidates = change.candidates
    names = candidates.remove_names
    return ChangeRow(
        change=change,
        symbol=SYMBOLS.get(change.action, "~"),
        title=str(change.key),
        fields=fields,
        window_before=show_window(change.window_before) if window_field or change.action == "disable" else None,
        window_after=show_window(change.window_after) if window_field or change.action == "create" else None,
        add=[person(c.email, c.name, mask) for c in candidates.add],
        remove=[person(e, names.get(e), mask) for e in candidates.remove],
        protected=[f"{person(e, None, mask)} ({candidates.protected_reasons.get(e, 'has started or submitted')})"
                   for e in candidates.protected],
        note=RETIRE_NOTE if change.action == "disable" else None,
        new_participants=new_participants(change, mask),
    )


def new_participants(change: ScheduleChange, mask: Mask = no_mask) -> str | None:
    """The new accounts line of a change, emails masked as the rest of the row; None when there are none."""
    participants = getattr(change, "participants", None)
    if participants is None:
        return None
    shown = ", ".join(mask(email) for email in participants.emails[:COMPACT_OVER])
    more = len(participants.emails) - COMPACT_OVER
    unchecked = (f"; {participants.unchecked} more added candidate(s) not looked up while planning (created if "
                 "not found)") if participants.unchecked else ""
    return (f"{len(participants.emails)} new participant(s) (sign in: {participants.sign_in}): {shown}"
            f"{f', … and {more} more' if more > 0 else ''}{unchecked}")


def is_large(change: ScheduleChange) -> bool:
    """Whether the change has more candidate lines than COMPACT_OVER (then shown compact unless --full)."""
    candidates = change.candidates
    return len(candidates.add) + len(candidates.remove) + len(candidates.protected) > COMPACT_OVER


def kept_note(change: ScheduleChange) -> str:
    """`1 protected candidate kept`: the note of a no-op."""
    count = len(change.candidates.protected)
    return f"{count} protected candidate{'s' if count != 1 else ''} kept"


def attention(plan: Plan) -> tuple[list[tuple[ScheduleChange, str]], list[tuple[ScheduleChange, str]]]:
    """(change, reason) pairs that need --force, and those that are blocked: listed at the top of a plan."""
    changes = plan.actionable
    return ([(c, r) for c in changes for r in c.needs_force], [(c, r) for c in changes for r in c.blocked])


def summary_line(plan: Plan) -> str:
    counts = plan.counts()
    if not plan.has_changes:
        head = "No changes. The platforms match the desired state."
    else:
        unsafe = ""
        if counts["needs_force"]:
            unsafe += f", {counts['needs_force']} need{'s' if counts['needs_force'] == 1 else ''} --force"
        if counts["blocked"]:
            unsafe += f", {counts['blocked']} blocked"
        head = (f"Plan: {counts['create']} to create, {counts['update']} to update, "
                f"{counts['disable']} to disable{unsafe}.")
    undeclared = f", {len(plan.undeclared)} no longer declared" if plan.undeclared else ""
    return (f"{head} Candidates: {counts['add']} to add, {counts['remove']} to remove, "
            f"{counts['protected']} protected. {plan.in_sync} schedule(s) in sync, "
            f"{len(plan.unmanaged)} unmanaged{undeclared}.")


def created_settings(schedule: Schedule, mask: Mask = no_mask) -> list[tuple[str, str]]:
    """(path, value) of every setting a new schedule is created with; accommodation emails masked."""
    view = managed_view(schedule)
    out: list[tuple[str, str]] = []
    for section in SECTIONS:
        value = view.get(section) if isinstance(view, dict) else None
        if value in (None, {}, []):
            continue
        if section == "accommodations" and isinstance(value, dict):
            for email in sorted(value):
                out.extend(_flatten(f"accommodations.{mask(email)}", value[email]))
            continue
        out.extend(_flatten(section, value))
    if schedule.candidates is None:
        out.append(("access", "open for all (no candidate list)"))
    return out


def _flatten(prefix: str, value: Any) -> list[tuple[str, str]]:
    if isinstance(value, dict):
        rows: list[tuple[str, str]] = []
        for key in sorted(value):
            rows.extend(_flatten(f"{prefix}.{key}", value[key]))
        return rows
    return [(prefix, show_value(value))]
