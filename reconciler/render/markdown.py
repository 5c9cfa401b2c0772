"""The plan as one pull-request comment: summary table, timeline, details, all PII masked, within a budget.

GitHub caps a comment at 65,535 characters. Past `budget` the comment degrades in steps (shorter candidate
lists, counts only, no details, no timeline, fewer table rows) and always says that it was summarised.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import IntEnum

from ..models import Window, schedule_label
from ..plan import WINDOW, Plan, ScheduleChange, UnmanagedSchedule
from .mdtext import Recorder, escape_html, escape_md, mermaid_label
from .rows import (
    COMPACT_OVER,
    COMPACT_SHOW,
    PROVIDER_TITLES,
    UNDECLARED_TITLE,
    ChangeRow,
    attention,
    change_row,
    created_settings,
    is_large,
    kept_note,
    summary_line,
)

DEFAULT_MARKER = "<!-- reconciler-plan -->"
DEFAULT_HINT = "For the full plan, run `reconciler plan --full` where personal data may be shown."

MAX_VALUE = 300
"""Characters of one field value shown in a table cell; the plan file has the rest."""
GANTT_CAP = 40
"""Schedules on the timeline at most."""
UNMANAGED_CAP = 30
"""Unmanaged schedules (and in-sync notes, and reasons at the top) named at most."""

_GANTT_TIME = "%Y-%m-%d %H:%M"


class Level(IntEnum):
    """How much of the plan the comment shows; each step leaves more out."""

    FULL = 0
    SHORT_LISTS = 1
    COUNTS = 2
    NO_DETAILS = 3
    NO_TIMELINE = 4
    SHORT_TABLE = 5


_LEFT_OUT = {
    Level.SHORT_LISTS: "candidate lists shortened",
    Level.COUNTS: "candidate lists left out",
    Level.NO_DETAILS: "per-schedule details left out",
    Level.NO_TIMELINE: "per-schedule details and the timeline left out",
    Level.SHORT_TABLE: "per-schedule details and the timeline left out, summary table shortened",
}


@dataclass(frozen=True)
class _View:
    """One change, with every string it shows already masked (not yet escaped)."""

    change: ScheduleChange
    row: ChangeRow
    title: str
    name: str
    assessment: str
    ref: str | None
    fields: list[tuple[str, str, str]]
    blocked: list[str]
    needs_force: list[str]

    @property
    def window_change(self) -> str:
        change = self.change
        if change.window_changed:
            if change.window_before is None:
                return "set"
            return "cleared" if change.window_after is None else "moved"
        if change.action == "create" and change.window_after is not None:
            return "set"
        return "—"

    @property
    def settings_count(self) -> int:
        """Changed (or, on create, set) settings other than the window and metadata."""
        return sum(1 for path, _, _ in self.fields if path not in ("window", "access") and not _is_metadata(path))

    @property
    def metadata_count(self) -> int:
        return sum(1 for path, _, _ in self.fields if _is_metadata(path))


def _is_metadata(path: str) -> bool:
    return path == "metadata" or path.startswith("metadata.")


def _short(text: str) -> tuple[str, bool]:
    if len(text) <= MAX_VALUE:
        return text, False
    return text[: MAX_VALUE - 1] + "…", True


def _view(change: ScheduleChange, rec: Recorder) -> _View:
    row = change_row(change, rec)
    sensitive = {f.path for f in change.fields if f.sensitive}
    fields: list[tuple[str, str, str]] = []
    if change.window_changed or change.action == "create":
        before = row.window_before or ("(always open)" if change.action != "create" else "—")
        after = row.window_after or "(always open)"
        if change.action != "create" or change.window_after is not None:
            fields.append(("window", before, after))
    raw_paths = [f.path for f in change.fields if f.path != WINDOW]
    for raw_path, item in zip(raw_paths, row.fields, strict=True):
        path = rec.clean(item.path)
        if raw_path in sensitive:
            fields.append((path, "(sensitive)", "(sensitive)"))
        else:
            fields.append((path, rec.clean(item.before), rec.clean(item.after)))
    if change.action == "create" and change.desired is not None:
        fields.extend((rec.clean(path), "—", rec.clean(value)) for path, value in created_settings(change.desired, rec))
    return _View(
        change=change,
        row=row,
        title=rec.clean(row.title),
        name=rec.clean(change.name),
        assessment=rec.clean(change.assessment_id),
        ref=rec.clean(change.ref) if change.ref else None,
        fields=fields,
        blocked=[rec.clean(r) for r in change.blocked],
        needs_force=[rec.clean(r) for r in change.needs_force],
    )


def _cell(text: str, shortened: list[bool]) -> str:
    value, cut = _short(text)
    if cut:
        shortened.append(True)
    return escape_md(value)


def _action_label(change: ScheduleChange, symbol: str) -> str:
    return f"{symbol} {change.action}"


def _safety(view: _View) -> str:
    parts: list[str] = []
    if view.blocked:
        parts.append("⛔ blocked: " + escape_md("; ".join(view.blocked)))
    if view.needs_force:
        parts.append("⚠️ needs `--force`: " + escape_md("; ".join(view.needs_force)))
    return "<br>".join(parts) if parts else "✅ ok"


def _table(views: list[_View], limit: int | None) -> list[str]:
    lines = [
        "| Action | Provider | Assessment | Schedule | Candidates | Window | Settings | Metadata | Protected "
        "| Safety |",
        "| --- | --- | --- | --- | --- | --- | ---: | ---: | ---: | --- |",
    ]
    shown = views if limit is None else views[:limit]
    for view in shown:
        change = view.change
        provider = PROVIDER_TITLES.get(change.provider, change.provider)
        lines.append(
            f"| {_action_label(change, view.row.symbol)} | {escape_md(provider)} | {escape_md(view.assessment)} "
            f"| {escape_md(view.name)} | +{len(change.candidates.add)} / −{len(change.candidates.remove)} "
            f"| {view.window_change} | {view.settings_count} | {view.metadata_count} "
            f"| {len(change.candidates.protected)} | {_safety(view)} |"
        )
    if len(shown) < len(views):
        lines += ["", f"… and {len(views) - len(shown)} more schedules."]
    return lines


def _gantt(views: list[_View]) -> list[str]:
    moved = [v for v in views if v.window_change != "—"]
    if not moved:
        return []
    lines = [
        "```mermaid",
        "gantt",
        "    title Changed exam windows (UTC)",
        "    dateFormat YYYY-MM-DD HH:mm",
        "    axisFormat %d %b %H:%M",
    ]
    for number, view in enumerate(moved[:GANTT_CAP], start=1):
        change = view.change
        provider = PROVIDER_TITLES.get(change.provider, change.provider)
        lines.append(f"    section {mermaid_label(f'{provider} {view.assessment} {view.name}')}")
        lines.extend(_bar("old", "done", f"w{number}old", change.window_before if view.window_change != "set"
                          else None))
        lines.extend(_bar("new", "active", f"w{number}new", change.window_after))
    lines.append("```")
    if len(moved) > GANTT_CAP:
        lines += ["", f"The timeline shows the first {GANTT_CAP} of {len(moved)} changed windows."]
    return lines


def _bar(label: str, tag: str, ident: str, window: Window | None) -> list[str]:
    if window is None:
        return []
    start, end = window.start_utc.strftime(_GANTT_TIME), window.end_utc.strftime(_GANTT_TIME)
    return [f"    {label} :{tag}, {ident}, {start}, {end}"]


def _names(entries: Iterable[str], cap: int | None) -> str:
    items = list(entries)
    shown = items if cap is None else items[:cap]
    text = ", ".join(escape_md(e) for e in shown)
    if len(shown) < len(items):
        text += f", … and {len(items) - len(shown)} more"
    return text


def _compact_cap(view: _View, cap: int | None, full: bool) -> int | None:
    """The names of each kind a schedule shows: all, the budget's cap, or COMPACT_SHOW when it is large."""
    if full or not is_large(view.change):
        return cap
    return COMPACT_SHOW if cap is None else min(cap, COMPACT_SHOW)


def _details(view: _View, level: Level, cap: int | None, shortened: list[bool]) -> list[str]:
    change, row = view.change, view.row
    label = _action_label(change, row.symbol)
    lines = [f"<details><summary><b>{escape_html(label)}</b> {escape_html(view.title)}</summary>", ""]
    if row.note:
        lines += [f"_{escape_md(row.note)}_", ""]
    if view.ref:
        lines += [f"Live id: {escape_md(view.ref)}", ""]
    if view.fields:
        lines += ["| Field | Old | New |", "| --- | --- | --- |"]
        lines.extend(
            f"| {_cell(path, shortened)} | {_cell(before, shortened)} | {_cell(after, shortened)} |"
            for path, before, after in view.fields
        )
        lines.append("")
    candidates = change.candidates
    if candidates.add or candidates.remove or candidates.protected:
        lines.append(
            f"**Candidates:** +{len(candidates.add)} / −{len(candidates.remove)}, "
            f"{len(candidates.protected)} protected, {candidates.existing} live now"
        )
        if level < Level.COUNTS:
            lines.append("")
            if row.add:
                lines.append(f"- Add ({len(row.add)}): {_names(row.add, cap)}")
            if row.remove:
                lines.append(f"- Remove ({len(row.remove)}): {_names(row.remove, cap)}")
            if row.protected:
                lines.append(
                    f"- Protected ({len(row.protected)}; started or submitted, not removed): "
                    f"{_names(row.protected, cap)}"
                )
        lines.append("")
    if row.new_participants:
        lines += [f"**New participants:** {escape_md(row.new_participants)}", ""]
    lines.extend(f"⚠️ Needs `--force`: {escape_md(reason)}  " for reason in view.needs_force)
    lines.extend(f"⛔ Cannot apply: {escape_md(reason)}  " for reason in view.blocked)
    if view.needs_force or view.blocked:
        lines.append("")
    lines += ["</details>", ""]
    return lines


def _capped(items: list[str], cap: int = UNMANAGED_CAP) -> list[str]:
    """Markdown list items, at most `cap` of them and a last one saying how many more."""
    return items[:cap] + ([f"- … and {len(items) - cap} more"] if len(items) > cap else [])


def _attention(plan: Plan, rec: Recorder) -> list[str]:
    """What needs --force or cannot be applied, above everything else."""
    needs_force, blocked = attention(plan)
    lines: list[str] = []
    for heading, pairs in (("⚠️ Needs `--force`:", needs_force), ("⛔ Cannot apply:", blocked)):
        if pairs:
            lines += [f"**{heading}**", ""]
            lines += _capped([f"- {escape_md(rec.clean(f'{change.key}: {reason}'))}" for change, reason in pairs])
            lines.append("")
    return lines


def _kept(plan: Plan, rec: Recorder, level: Level, full: bool) -> list[str]:
    """No-ops: in sync, only protected candidates differ; one note each."""
    kept = [c for c in plan.changes if c.action == "no-op"]
    if not kept:
        return []
    if level >= Level.NO_TIMELINE:
        return [f"**In sync, protected candidates kept:** {len(kept)} schedule(s).", ""]
    notes = []
    for change in kept:
        note = f"- {escape_md(rec.clean(str(change.key)))}: {kept_note(change)}"
        if level < Level.COUNTS:
            cap = None if full or not is_large(change) else COMPACT_SHOW
            note += " — " + _names(change_row(change, rec).protected, cap)
        notes.append(note)
    return ["### In sync, protected candidates kept (started or submitted; not removed)", "", *_capped(notes), ""]


def _unmanaged(plan: Plan, rec: Recorder, level: Level) -> list[str]:
    return [*_left_alone(plan.unmanaged, "Unmanaged (live, not in the desired state; left alone)",
                         "**Unmanaged:** {} live schedule(s) not in the desired state, left alone.", rec, level),
            *_left_alone(plan.undeclared, UNDECLARED_TITLE,
                         "**No longer declared:** {} schedule(s) made by this project, left alone.", rec, level)]


def _left_alone(items: tuple[UnmanagedSchedule, ...], title: str, short: str, rec: Recorder,
                level: Level) -> list[str]:
    """Live schedules left alone, one line each (capped), or their count in a short comment."""
    if not items:
        return []
    if level >= Level.NO_TIMELINE:
        return [short.format(len(items)), ""]
    lines = []
    for item in items:
        ref = f" ({escape_md(rec.clean(item.ref))})" if item.ref else ""
        lines.append(f"- {escape_md(rec.clean(schedule_label(item.provider, item.assessment_id, item.name)))}{ref}")
    return [f"### {title}", "", *_capped(lines), ""]


def _footer(note: str, hint: str) -> str:
    return f"---\nℹ️ This plan was summarised to fit in one comment ({note}). {hint}\n"


def _compose(
    plan: Plan,
    views: list[_View],
    rec: Recorder,
    *,
    level: Level,
    cap: int | None,
    rows: int | None,
    marker: str,
    title: str,
    hint: str,
    full: bool,
) -> str:
    shortened: list[bool] = []
    lines = [marker, f"## {escape_md(title)}", "", f"**{escape_md(summary_line(plan))}**",
             f"Plan checksum: `{plan.checksum}`", "", *([escape_md(plan.access_line()), ""] if plan.access else [])]
    lines += _attention(plan, rec)
    if views:
        lines += [*_table(views, rows), ""]
        if level < Level.NO_TIMELINE:
            gantt = _gantt(views)
            lines += [*gantt, ""] if gantt else []
        if level < Level.NO_DETAILS:
            lines += ["### Details", ""]
            for view in views:
                lines += _details(view, level, _compact_cap(view, cap, full), shortened)
            if level < Level.COUNTS and not full and any(is_large(v.change) for v in views):
                lines += [f"ℹ️ Schedules with more than {COMPACT_OVER} candidate lines show the first {COMPACT_SHOW} "
                          "names of each kind; `reconciler plan --full` shows all.", ""]
    lines += _kept(plan, rec, level, full)
    lines += _unmanaged(plan, rec, level)
    text = "\n".join(lines).rstrip("\n") + "\n"
    notes = [_LEFT_OUT[level]] if level in _LEFT_OUT else []
    if shortened:
        notes.append("long values shortened")
    if notes:
        text += "\n" + _footer("; ".join(notes), hint)
    return text


def render_markdown(
    plan: Plan,
    *,
    mask: Callable[[str], str],
    budget: int = 60_000,
    marker: str = DEFAULT_MARKER,
    full_plan_hint: str = DEFAULT_HINT,
    title: str = "Reconciler plan",
    full: bool = False,
) -> str:
    """The plan as one PR comment of at most `budget` characters; `marker` is its first line. Large candidate
    lists show their first names unless `full` (the budget may still shorten them)."""
    rec = Recorder(mask)
    views = [_view(change, rec) for change in plan.actionable]

    def compose(level: Level, *, cap: int | None = None, rows: int | None = None) -> str:
        return _compose(plan, views, rec, level=level, cap=cap, rows=rows, marker=marker, title=title,
                        hint=full_plan_hint, full=full)

    text = compose(Level.FULL)
    if len(text) <= budget:
        return text
    longest = max((len(v.row.add) for v in views), default=0)
    longest = max([longest, *(len(v.row.remove) for v in views), *(len(v.row.protected) for v in views)])
    best = _largest_fitting(lambda cap: compose(Level.SHORT_LISTS, cap=cap), 1, longest - 1, budget)
    if best is not None:
        return best
    for level in (Level.COUNTS, Level.NO_DETAILS, Level.NO_TIMELINE):
        text = compose(level)
        if len(text) <= budget:
            return text
    best = _largest_fitting(lambda rows: compose(Level.SHORT_TABLE, rows=rows), 0, len(views), budget)
    if best is not None:
        return best
    return _cut(compose(Level.SHORT_TABLE, rows=0), budget, _footer(_LEFT_OUT[Level.SHORT_TABLE], full_plan_hint))


def _largest_fitting(make: Callable[[int], str], low: int, high: int, budget: int) -> str | None:
    """`make(n)` for the largest n in [low, high] whose text fits (text grows with n), or None."""
    best: str | None = None
    while low <= high:
        middle = (low + high) // 2
        text = make(middle)
        if len(text) <= budget:
            best, low = text, middle + 1
        else:
            high = middle - 1
    return best


def _cut(text: str, budget: int, footer: str) -> str:
    """The last resort: whole lines that fit, then the footer; never more than `budget` characters."""
    room = budget - len(footer) - 1
    if room <= 0:
        return footer[:budget]
    head = text[:room]
    head = head[: head.rfind("\n") + 1] if "\n" in head else ""
    return head + "\n" + footer
