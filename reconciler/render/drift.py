"""Drift's view-model (`DriftItem`, `DriftReport`) and its text, markdown and JSON renderers.

`reconciler.drift` classifies a plan into this view-model; this module only shows it. Pure: no git, no
files, no network.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from ..models import ScheduleKey, Suppression, Window, schedule_label
from .mdtext import escape_md
from .pii import scrub
from .rows import show_value, show_window

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
