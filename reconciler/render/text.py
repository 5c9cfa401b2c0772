"""The terminal plan, read like Terraform's: styled lines that print plain or in colour."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..models import schedule_label
from ..plan import Plan, ScheduleChange
from ..styled import Line as Line, Span as Span, plain as plain
from .rows import (
    COMPACT_SHOW,
    UNDECLARED_TITLE,
    Mask,
    attention,
    change_row,
    created_settings,
    is_large,
    kept_note,
    no_mask,
    summary_line,
)

STYLES = {"+": "green", "~": "yellow", "-": "red", "=": "cyan", "?": "dim", "!": "yellow", "✗": "red"}
"""Terraform's colours: create green, update yellow, remove red; protected cyan, notes dim."""


def _marked(indent: str, symbol: str, text: str, style: str = "") -> Line:
    """`    + text` with the symbol in its colour."""
    return ((indent, ""), (symbol, STYLES[symbol]), (" " + text, style))


def _listed(entries: Sequence[str], symbol: str, show: Callable[[str], str], what: str, compact: bool) -> list[Line]:
    shown = entries[:COMPACT_SHOW] if compact else entries
    lines = [_marked("    ", symbol, show(entry)) for entry in shown]
    if len(shown) < len(entries):
        lines.append(_marked("    ", symbol, f"… and {len(entries) - len(shown)} more {what}", "dim"))
    return lines


def _attention(plan: Plan) -> list[Line]:
    """Everything that needs --force or cannot be applied, before the per-schedule blocks."""
    needs_force, blocked = attention(plan)
    lines: list[Line] = []
    for heading, symbol, style, pairs in (("Needs --force:", "!", "bold yellow", needs_force),
                                          ("Cannot apply:", "✗", "bold red", blocked)):
        if pairs:
            lines.append(((heading, style),))
            lines.extend(_marked("    ", symbol, f"{change.key}: {reason}") for change, reason in pairs)
    return [*lines, ()] if lines else []


def _block(change: ScheduleChange, mask: Mask, full: bool) -> list[Line]:
    row = change_row(change, mask)
    ref = f" [{change.ref}]" if change.ref else ""
    note = f" — {row.note}" if row.note else ""
    lines: list[Line] = [((row.symbol, STYLES[row.symbol]), (f" {change.action} ", ""),
                          (row.title, "bold"), (ref, ""), (note, "dim"))]
    if row.window_before and (row.window_after or change.window_changed):  # old and new, one line each
        lines.append(_marked("    ", "~", "window:"))
        lines.append((("        old: ", "dim"), (row.window_before, "")))
        lines.append((("        new: ", "dim"), (row.window_after or "(always open)", "")))
    elif row.window_after:
        lines.append(_marked("    ", "+", f"window: {row.window_after}"))
    lines.extend(_marked("    ", "~", f"{item.path}: {item.before} → {item.after}") for item in row.fields)
    if change.action == "create" and change.desired is not None:
        lines.extend(_marked("    ", "+", f"{path}: {value}") for path, value in created_settings(change.desired, mask))
    compact = is_large(change) and not full
    if compact:
        candidates = change.candidates
        lines.append(((f"    candidates: {len(candidates.add)} to add, {len(candidates.remove)} to remove, "
                       f"{len(candidates.protected)} protected (the first {COMPACT_SHOW} of each shown; --full "
                       "shows all)", "dim"),))
    lines += _listed(row.add, "+", str, "to add", compact)
    lines += _listed(row.remove, "-", str, "to remove", compact)
    lines += _listed(row.protected, "=", lambda entry: f"{entry}: protected, not removed", "protected", compact)
    if row.new_participants:
        lines.append(_marked("    ", "+", row.new_participants))
    lines.extend(_marked("    ", "!", f"needs --force: {reason}") for reason in change.needs_force)
    lines.extend(_marked("    ", "✗", f"cannot apply: {reason}") for reason in change.blocked)
    return [*lines, ()]


def _kept(plan: Plan, mask: Mask, full: bool) -> list[Line]:
    """No-ops: in sync, but desired drops candidates that live data protects. One note each."""
    lines: list[Line] = []
    for change in plan.changes:
        if change.action != "no-op":
            continue
        protected = change_row(change, mask).protected
        shown = protected if full or not is_large(change) else protected[:COMPACT_SHOW]
        more = f", … and {len(protected) - len(shown)} more" if len(shown) < len(protected) else ""
        lines.append(_marked("", "=", f"{change.key}: {kept_note(change)} — {', '.join(shown)}{more}", "cyan"))
    return [*lines, ()] if lines else []


def _unmanaged(plan: Plan) -> list[Line]:
    if not plan.unmanaged:
        return []
    lines: list[Line] = [(("Unmanaged (live, not in the desired state; left alone):", ""),)]
    for item in plan.unmanaged:
        ref = f" [{item.ref}]" if item.ref else ""
        lines.append(_marked("    ", "?", schedule_label(item.provider, item.assessment_id, item.name) + ref))
    return [*lines, ()]


def _undeclared(plan: Plan) -> list[Line]:
    """Schedules this project made that the desired state no longer declares (left alone without prune)."""
    if not plan.undeclared:
        return []
    lines: list[Line] = [((UNDECLARED_TITLE.replace("`", "") + ":", ""),)]
    for item in plan.undeclared:
        ref = f" [{item.ref}]" if item.ref else ""
        lines.append(_marked("    ", "?", schedule_label(item.provider, item.assessment_id, item.name) + ref))
    return [*lines, ()]


def plan_lines(plan: Plan, mask: Mask = no_mask, *, full: bool = False) -> list[Line]:
    """The plan: what needs --force or is blocked, the changes, notes, unmanaged, summary and checksum."""
    lines = _attention(plan)
    if plan.access:  # after what needs attention, before the changes
        lines += [((plan.access_line(), "dim"),), ()]
    for change in plan.actionable:
        lines += _block(change, mask, full)
    lines += _kept(plan, mask, full) + _unmanaged(plan) + _undeclared(plan)
    lines.append(((summary_line(plan), "bold"),))
    lines.append((("Plan checksum: ", "bold"), (plan.checksum, "")))
    return lines


def render_text(plan: Plan, mask: Mask = no_mask, *, full: bool = False) -> str:
    return plain(plan_lines(plan, mask, full=full))
