"""The machine-readable plan (also the saved plan file)."""

from __future__ import annotations

import json
from typing import Any

from ..plan import FORMAT_VERSION, Plan


def plan_document(plan: Plan) -> dict[str, Any]:
    """format_version, checksum, summary, and per change: action, identity, field-level before/after."""
    data = plan.data()
    return {
        "format_version": FORMAT_VERSION,
        "checksum": plan.checksum,
        "has_changes": plan.has_changes,
        "summary": plan.counts() | {"in_sync": plan.in_sync, "unmanaged": len(plan.unmanaged),
                                    "undeclared": len(plan.undeclared)},
        **data,
    }


def render_json(plan: Plan) -> str:
    return json.dumps(plan_document(plan), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
