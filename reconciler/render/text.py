"""The terminal plan, read like Terraform's."""

from __future__ import annotations

from ..models import managed_view
from ..plan import Plan
from .rows import Mask, change_row, no_mask, show_value, summary_line

ACTION_WORDS = {"create": "create", "update": "update", "disable": "disable"}


def render_text(plan: Plan, mask: Mask = no_mask) -> str:
    lines: list[str] = []
    for change in plan.changes:
        row = change_row(change, mask)
        label = ACTION_WORDS[change.action] if change.actionable else "protected candidates only"
        ref = f" [{change.ref}]" if change.ref else ""
        lines.append(f"{row.symbol if change.actionable else '='} {label} {row.title}{ref}")
        if row.window_before and row.window_after:
            lines.append(f"    ~ window: {row.window_before}")
            lines.append(f"           → {row.window_after}")
        elif row.window_after:
            lines.append(f"    + window: {row.window_after}")
        elif row.window_before and change.field("window"):
            lines.append(f"    ~ window: {row.window_before} → (always open)")
        for item in row.fields:
            lines.append(f"    ~ {item.path}: {item.before} → {item.after}")
        if change.action == "create" and change.desired is not None:
            lines.extend(f"    + {line}" for line in _created_settings(change.desired))
        lines.extend(f"    + {entry}" for entry in row.add)
        lines.extend(f"    - {entry}" for entry in row.remove)
        lines.extend(f"    = {entry} (protected: has submitted, not removed)" for entry in row.protected)
        lines.extend(f"    ! needs --force: {reason}" for reason in change.needs_force)
        lines.extend(f"    ✗ cannot apply: {reason}" for reason in change.blocked)
        lines.append("")
    if plan.unmanaged:
        lines.append("Unmanaged (live, not in the desired state; left alone):")
        lines.extend(f"    ? {u.provider} · {u.assessment_id} · {u.name}" for u in plan.unmanaged)
        lines.append("")
    lines.append(summary_line(plan))
    return "\n".join(lines) + "\n"


def _created_settings(schedule: object) -> list[str]:
    view = managed_view(schedule)
    assert isinstance(view, dict)
    out: list[str] = []
    for section in ("group", "mettl", "questionmark", "metadata", "accommodations"):
        value = view.get(section)
        if value in (None, {}, []):
            continue
        out.extend(f"{path}: {leaf}" for path, leaf in _flatten(section, value))
    if view.get("candidates") is None:
        out.append("access: open for all (no candidate list)")
    return out


def _flatten(prefix: str, value: object) -> list[tuple[str, str]]:
    if isinstance(value, dict):
        rows: list[tuple[str, str]] = []
        for key in sorted(value):
            rows.extend(_flatten(f"{prefix}.{key}", value[key]))
        return rows
    return [(prefix, show_value(value))]
