"""The terminal plan, read like Terraform's."""

from __future__ import annotations

from ..plan import Plan
from .rows import UNDECLARED_TITLE, Mask, change_row, created_settings, no_mask, summary_line

ACTION_WORDS = {"create": "create", "update": "update", "disable": "disable"}


def render_text(plan: Plan, mask: Mask = no_mask) -> str:
    lines: list[str] = []
    for change in plan.changes:
        row = change_row(change, mask)
        label = ACTION_WORDS[change.action] if change.actionable else "protected candidates only"
        ref = f" [{change.ref}]" if change.ref else ""
        note = f" — {row.note}" if row.note else ""
        lines.append(f"{row.symbol if change.actionable else '='} {label} {row.title}{ref}{note}")
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
            lines.extend(f"    + {path}: {value}" for path, value in created_settings(change.desired, mask))
        lines.extend(f"    + {entry}" for entry in row.add)
        lines.extend(f"    - {entry}" for entry in row.remove)
        lines.extend(f"    = {entry}: protected, not removed" for entry in row.protected)
        lines.extend(f"    ! needs --force: {reason}" for reason in change.needs_force)
        lines.extend(f"    ✗ cannot apply: {reason}" for reason in change.blocked)
        lines.append("")
    if plan.unmanaged:
        lines.append("Unmanaged (live, not in the desired state; left alone):")
        lines.extend(f"    ? {u.provider} · {u.assessment_id} · {u.name}" for u in plan.unmanaged)
        lines.append("")
    if plan.undeclared:
        lines.append(UNDECLARED_TITLE.replace("`", "") + ":")
        lines.extend(f"    ? {u.provider} · {u.assessment_id} · {u.name}" + (f" [{u.ref}]" if u.ref else "")
                     for u in plan.undeclared)
        lines.append("")
    lines.append(summary_line(plan))
    return "\n".join(lines) + "\n"
