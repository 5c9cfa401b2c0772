"""Drift triage: each difference of a plan is drift (the platform moved), unapplied config, or unclassified.

Pure: no git, no files, no network. The baseline is the desired state as it was last applied (the CLI
loads it from the `reconciler-applied` tag). For every difference the rule is the same: if the baseline's
desired value equals the current desired value, the configuration did not change there, so the platform
did → drift. If they differ, the configuration changed and was never applied → unapplied. Without a
baseline nothing can be told apart → unclassified.

Suppressions hide drift (and unclassified) items, never unapplied ones: applying fixes those. An expired
suppression hides nothing and is itself a finding.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Literal

from .models import (
    DesiredState,
    Schedule,
    ScheduleKey,
    Suppression,
    Window,
    managed_view,
    normalize_email,
    schedule_label,
)
from .plan import INVITATION_ONLY, NAME, WINDOW, FieldPath, Plan, ScheduleChange, window_view
from .render.mdtext import escape_md
from .render.pii import scrub
from .render.rows import show_value, show_window
from .vendors import SECTIONS

Kind = Literal["drift", "unapplied", "unclassified"]
KINDS: tuple[Kind, ...] = ("drift", "unapplied", "unclassified")
NO_BASELINE_HINT = (
    "no baseline: cannot tell drift from unapplied config. The apply workflow should tag each applied "
    "commit (`git tag -f reconciler-applied && git push -f origin reconciler-applied`), or pass "
    "--baseline <git ref>."
)


@dataclass(frozen=True)
class DriftItem:
    """One difference between live and desired: a field, a candidate, or a whole schedule.

    `path` is a field path (`window`, `mettl.web_proctoring.count`), `candidates` (then `candidate` names
    the email and the values say whether it is listed), or `schedule` (missing live, or retired).
    """

    kind: Kind
    provider: str
    assessment_id: str
    schedule: str
    path: str
    live: Any
    desired: Any
    baseline: Any = None
    candidate: str | None = None
    suppressed_by: Suppression | None = None

    @property
    def is_window(self) -> bool:
        return self.path == "window"


@dataclass(frozen=True)
class DriftReport:
    """Every classified difference, what suppressions did, and whether a baseline was available."""

    items: tuple[DriftItem, ...] = ()
    expired: tuple[Suppression, ...] = ()
    unused: tuple[Suppression, ...] = ()
    protected: tuple[tuple[ScheduleKey, str], ...] = ()
    has_baseline: bool = False
    baseline_label: str | None = None
    in_sync: int = 0
    unmanaged: int = 0
    today: date | None = None

    @property
    def open_items(self) -> tuple[DriftItem, ...]:
        return tuple(i for i in self.items if i.suppressed_by is None)

    @property
    def suppressed(self) -> tuple[DriftItem, ...]:
        return tuple(i for i in self.items if i.suppressed_by is not None)

    def count(self, kind: Kind) -> int:
        return sum(1 for i in self.open_items if i.kind == kind)

    @property
    def has_findings(self) -> bool:
        """True when the command exits 2: an unsuppressed difference or an expired suppression."""
        return bool(self.open_items or self.expired)

    def counts(self) -> dict[str, int]:
        return {**{kind: self.count(kind) for kind in KINDS}, "suppressed": len(self.suppressed),
                "expired_suppressions": len(self.expired)}


def classify(
    plan: Plan,
    current: DesiredState,
    baseline: DesiredState | None,
    today: date,
    *,
    baseline_label: str | None = None,
) -> DriftReport:
    """Classify every difference of `plan` (computed from `current`) against the `baseline` desired state."""
    base = {s.key: s for s in baseline.schedules} if baseline is not None else None
    now = {s.key: s for s in current.schedules}
    items: list[DriftItem] = []
    protected: list[tuple[ScheduleKey, str]] = []
    for change in plan.changes:
        items.extend(_items(change, now.get(change.key), base))
        protected.extend((change.key, email) for email in change.candidates.protected)
    active = [s for s in current.suppressions if s.expires >= today]
    expired = tuple(s for s in current.suppressions if s.expires < today)
    used: set[int] = set()
    matched: list[DriftItem] = []
    for item in items:
        rule = next((s for s in active if item.kind != "unapplied" and matches(s, item)), None)
        if rule is not None:
            used.add(id(rule))
            item = replace(item, suppressed_by=rule)
        matched.append(item)
    return DriftReport(
        items=tuple(matched), expired=expired, unused=tuple(s for s in active if id(s) not in used),
        protected=tuple(protected), has_baseline=baseline is not None, baseline_label=baseline_label,
        in_sync=plan.in_sync, unmanaged=len(plan.unmanaged), today=today,
    )


def matches(rule: Suppression, item: DriftItem) -> bool:
    """Same schedule name (and provider, if given); no paths, or one equal to the item's path or a parent of
    it. `candidates` matches every candidate, `candidates.<email>` one of them."""
    if rule.schedule != item.schedule or (rule.provider is not None and rule.provider != item.provider):
        return False
    one = f"candidates.{item.candidate}" if item.candidate else None
    return not rule.paths or any(
        item.path == p or item.path.startswith(p + ".") or (one is not None and normalize_email(p) == one)
        for p in rule.paths)


# --------------------------------------------------------------------------- one change → items


def _as_applied(change: ScheduleChange, desired: Schedule | None,
                base: dict[ScheduleKey, Schedule]) -> Schedule | None:
    """The baseline of a schedule: under its name, else under a previous name (a rename not yet applied)."""
    names = (change.name, *(desired.previous_names if desired is not None else ()))
    found = (base.get(ScheduleKey(change.provider, change.assessment_id, name)) for name in names)
    return next((then for then in found if then is not None), None)


def _items(change: ScheduleChange, desired: Schedule | None,
           base: dict[ScheduleKey, Schedule] | None) -> list[DriftItem]:
    then = _as_applied(change, desired, base) if base is not None else None

    def item(path: str, live: Any, wanted: Any, baseline: Any, same: bool, candidate: str | None = None) -> DriftItem:
        kind: Kind = "unclassified" if base is None else ("drift" if same else "unapplied")
        return DriftItem(kind=kind, provider=change.provider, assessment_id=change.assessment_id,
                         schedule=change.name, path=path, live=live, desired=wanted,
                         baseline=baseline if base is not None else None, candidate=candidate)

    if change.action == "create":
        return [item("schedule", "absent", "present", "present" if then else "absent", then is not None)]
    if change.action == "disable":
        return [item("schedule", "present", "absent", "present" if then else "absent", then is None)]
    out: list[DriftItem] = []
    for fc in change.fields:
        if fc.path == WINDOW:
            was: Any = window_view(then.window) if then else None
            wanted = desired.window if desired else None
            same = then is not None and (then.window.same_instants(wanted) if then.window else wanted is None)
        elif fc.path == NAME:
            was = then.name if then else None
            same = then is not None and was == fc.after
        elif fc.path == INVITATION_ONLY:
            was = then is not None and then.candidates is not None
            same = then is not None and was == fc.after
        else:
            was = _value_at(then, fc.path)
            same = then is not None and was == fc.after
        out.append(item(fc.text, fc.before, fc.after, was, same))
    # Whether the baseline listed each email; None when it did not manage candidates (then nothing matches).
    listed = then.candidate_emails() if then is not None and then.candidates is not None else None
    for added in change.candidates.add:
        was_listed = None if listed is None else added.email in listed
        out.append(item("candidates", False, True, was_listed, was_listed is True, added.email))
    for email in change.candidates.remove:
        was_listed = None if listed is None else email in listed
        out.append(item("candidates", True, False, was_listed, was_listed is False, email))
    return out


def _value_at(schedule: Schedule | None, path: FieldPath) -> Any:
    """The managed value at a path of a schedule, as the plan shows it (None when not set)."""
    if schedule is None or path[0] not in SECTIONS:
        return None
    node = managed_view(getattr(schedule, path[0]))
    for key in path[1:]:
        node = node.get(key) if isinstance(node, dict) else None
    return None if node == {} else node


# --------------------------------------------------------------------------- rendering

FORMAT_VERSION = "1.0"
Mask = Callable[[str], str]
_HEADINGS: dict[Kind, str] = {
    "drift": "Drift: changed on the platform by hand (apply restores the YAML; or edit the YAML to keep it)",
    "unapplied": "Unapplied config: desired-state changes never applied (run apply)",
    "unclassified": "Unclassified: live differs from desired (no baseline to tell drift from unapplied config)",
}


def show(item: DriftItem, value: Any) -> str:
    """One side of an item, formatted for people."""
    if item.is_window:
        if not isinstance(value, dict):
            return "(always open)"
        return show_window(Window(start=value["start"], end=value["end"], time_zone=value["time_zone"])) or ""
    if item.path == "candidates":
        return "(not managed)" if value is None else "listed" if value else "not listed"
    return show_value(value)


def describe(item: DriftItem) -> str:
    """`window: live A, desired B (as applied)` and friends."""
    if item.path == "schedule":
        what = "missing on the platform" if item.desired == "present" else "retired from the YAML, still live"
        text = f"{_where(item)}: schedule {what}"
    elif item.candidate is not None:
        what = "desired, not on the platform" if item.desired else "on the platform, not desired"
        text = f"{_where(item)}: candidate {item.candidate} {what}"
    else:
        text = f"{_where(item)}: {item.path}: live {show(item, item.live)}, desired {show(item, item.desired)}"
    if item.kind == "drift":
        return text + " (as applied)"
    if item.kind == "unapplied":
        return text + f" (last applied: {show(item, item.baseline)})"
    return text


def _suppression_note(rule: Suppression) -> str:
    return f"by {rule.owner} until {rule.expires.isoformat()}: {rule.reason}"


def _expired_line(rule: Suppression) -> str:
    paths = f" ({', '.join(rule.paths)})" if rule.paths else ""
    return (f"suppression for {rule.schedule}{paths} by {rule.owner} expired on {rule.expires.isoformat()} "
            f"({rule.reason}): it hides nothing now; renew or remove it")


def summary_line(report: DriftReport) -> str:
    counts = report.counts()
    head = "In sync." if not report.has_findings else "Findings."
    return (f"{head} {counts['drift']} drift, {counts['unapplied']} unapplied, {counts['unclassified']} "
            f"unclassified, {counts['suppressed']} suppressed, {counts['expired_suppressions']} expired "
            f"suppression(s). {report.in_sync} schedule(s) in sync, {report.unmanaged} unmanaged.")


def _baseline_line(report: DriftReport) -> str:
    if report.has_baseline:
        return f"Baseline (last applied): {report.baseline_label or 'given'}"
    return "Baseline: none — " + NO_BASELINE_HINT


def render_text(report: DriftReport, mask: Mask | None = None) -> str:
    lines = [_baseline_line(report), ""]
    for kind in KINDS:
        chosen = [i for i in report.open_items if i.kind == kind]
        if chosen:
            lines.append(_HEADINGS[kind] + ":")
            for item in chosen:
                lines.extend(_text_item(item))
            lines.append("")
    if report.suppressed:
        lines.append("Suppressed (known drift):")
        lines.extend(f"  = {describe(i)} — {_suppression_note(i.suppressed_by)}"
                     for i in report.suppressed if i.suppressed_by is not None)
        lines.append("")
    if report.expired:
        lines.append("Expired suppressions:")
        lines.extend(f"  ! {_expired_line(rule)}" for rule in report.expired)
        lines.append("")
    lines.extend(_notes(report))
    lines.append(summary_line(report))
    return _masked("\n".join(lines) + "\n", mask)


def _where(item: DriftItem) -> str:
    return schedule_label(item.provider, item.assessment_id, item.schedule)


def _text_item(item: DriftItem) -> list[str]:
    """One item; a window on three lines (live, desired, last applied) since each is long."""
    if not item.is_window:
        return [f"  ~ {describe(item)}"]
    lines = [f"  ~ {_where(item)}: window" + (" (as applied)" if item.kind == "drift" else ""),
             f"      live:         {show(item, item.live)}", f"      desired:      {show(item, item.desired)}"]
    if item.kind == "unapplied":
        lines.append(f"      last applied: {show(item, item.baseline)}")
    return lines


def _notes(report: DriftReport, markdown: bool = False) -> list[str]:
    """Protected candidates and suppressions that match nothing: for information, not findings."""
    kept, unused = ("- ", "- ") if markdown else ("  = ", "  ? ")
    lines: list[str] = []
    if report.protected:
        lines.append("Protected (desired removes them, but they have submitted: kept live by design):")
        lines.extend(f"{kept}{key}: {email}" for key, email in report.protected)
        lines.append("")
    if report.unused:
        lines.append("Suppressions that match nothing (remove them?):")
        lines.extend(f"{unused}{rule.schedule} {_suppression_note(rule)}" for rule in report.unused)
        lines.append("")
    return lines


MARKDOWN_MARKER = "<!-- reconciler-drift -->"
MARKDOWN_BUDGET = 60_000
"""Characters of the markdown report at most (GitHub caps an issue body or comment at 65,535)."""


def render_markdown(report: DriftReport, mask: Mask | None = None) -> str:
    """For an issue or PR comment; emails masked with `mask` (reviewers still see pairs and counts)."""

    def md(text: str) -> str:
        return escape_md(_masked(text, mask))

    lines = [MARKDOWN_MARKER, "## Drift report", "", f"**{md(summary_line(report))}**", "",
             md(_baseline_line(report)), ""]
    for kind in KINDS:
        chosen = [i for i in report.open_items if i.kind == kind]
        if chosen:
            lines += [f"### {md(_HEADINGS[kind])}", "", "| schedule | what | live | desired | last applied |",
                      "|---|---|---|---|---|"]
            lines += ["| " + " | ".join(md(cell) for cell in _cells(i)) + " |" for i in chosen] + [""]
    if report.suppressed:
        lines += ["### Suppressed (known drift)", ""]
        lines += [f"- {md(describe(i))} — {md(_suppression_note(i.suppressed_by))}"
                  for i in report.suppressed if i.suppressed_by is not None] + [""]
    if report.expired:
        lines += ["### Expired suppressions", ""] + [f"- ⚠️ {md(_expired_line(r))}" for r in report.expired] + [""]
    lines += ["- " + md(line[2:]) if line.startswith("- ") else md(line) for line in _notes(report, markdown=True)]
    text = "\n".join(lines).rstrip("\n") + "\n"
    if len(text) > MARKDOWN_BUDGET:
        cut = text[:MARKDOWN_BUDGET].rsplit("\n", 1)[0]
        text = cut + "\n\n_Report cut to fit a GitHub comment: run `reconciler drift` for all of it._\n"
    return text


def _cells(item: DriftItem) -> list[str]:
    what = f"candidate {item.candidate}" if item.candidate else item.path
    base = show(item, item.baseline) if item.kind != "unclassified" else "?"
    return [_where(item), what, show(item, item.live), show(item, item.desired), base]


def report_document(report: DriftReport) -> dict[str, Any]:
    """The JSON view: versioned, one entry per item with its kind and the three values."""
    return {
        "format_version": FORMAT_VERSION,
        "in_sync": not report.has_findings,
        "baseline": {"available": report.has_baseline, "ref": report.baseline_label},
        "hint": None if report.has_baseline else NO_BASELINE_HINT,
        "today": report.today.isoformat() if report.today else None,
        "summary": report.counts() | {"in_sync_schedules": report.in_sync, "unmanaged": report.unmanaged},
        "items": [_item_document(i) for i in report.items],
        "expired_suppressions": [r.model_dump(mode="json") for r in report.expired],
        "unused_suppressions": [r.model_dump(mode="json") for r in report.unused],
        "protected_candidates": [{"schedule": key.name, "provider": key.provider,
                                  "assessment_id": key.assessment_id, "email": email}
                                 for key, email in report.protected],
    }


def _item_document(item: DriftItem) -> dict[str, Any]:
    return {
        "kind": item.kind, "provider": item.provider, "assessment_id": item.assessment_id,
        "schedule": item.schedule, "path": item.path, "candidate": item.candidate,
        "live": item.live, "desired": item.desired, "baseline": item.baseline,
        "suppressed": item.suppressed_by is not None,
        "suppression": item.suppressed_by.model_dump(mode="json") if item.suppressed_by else None,
    }


def render_json(report: DriftReport, mask: Mask | None = None) -> str:
    text = json.dumps(report_document(report), indent=2, sort_keys=True, ensure_ascii=False, default=str)
    return _masked(text + "\n", mask)


def _masked(text: str, mask: Mask | None) -> str:
    return scrub(text, mask) if mask is not None else text
