"""Drift triage: each difference of a plan is drift (the platform moved), unapplied config, or unclassified.

Pure: no git, no files, no network. The baseline is the desired state as it was last applied (the CLI
loads it from the `reconciler-applied` tag, see `reconciler.baseline`). For every difference the rule is
the same: if the baseline's desired value equals the current desired value, the configuration did not
change there, so the platform did → drift. If they differ, the configuration changed and was never applied
→ unapplied. Without a baseline nothing can be told apart → unclassified.

Suppressions hide drift (and unclassified) items, never unapplied ones: applying fixes those. An expired
suppression hides nothing and is itself a finding. The report's view-model and its renderers live in
`render.drift`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from .models import DesiredState, Schedule, ScheduleKey, Suppression, managed_view, normalize_email
from .plan import INVITATION_ONLY, NAME, WINDOW, FieldPath, Plan, ScheduleChange, window_view
from .render.drift import KINDS as KINDS, DriftItem as DriftItem, DriftReport as DriftReport, Kind as Kind
from .vendors import SECTIONS


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
