"""Plan changes built by hand for renderer and drift tests (the diff builds them for real)."""

from __future__ import annotations

from typing import Any

from reconciler.models import Schedule, Window
from reconciler.plan import Update


def desired(provider: str, assessment_id: str, name: str, window: Window | None = None) -> Schedule:
    """The least desired schedule with this identity (and window)."""
    return Schedule.model_validate(
        {"provider": provider, "assessment_id": assessment_id, "name": name, "window": window})


def update(provider: str, assessment_id: str, name: str, *, ref: str = "live-1",
           window_before: Window | None = None, window_after: Window | None = None, **rest: Any) -> Update:
    """An update of a live schedule; its window moves when `window_before` and `window_after` differ."""
    wanted = rest.pop("desired", None) or desired(provider, assessment_id, name, window_after)
    return Update(provider=provider, assessment_id=assessment_id, name=name, ref=ref, desired=wanted,
                  window_before=window_before, **rest)
