"""What a provider's `discover` functions hand to the importer: live schedules in the shared model."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .models import Schedule


@dataclass(frozen=True)
class Discovered:
    """One live schedule as the shared model, with the raw answer it came from (for spellings)."""

    schedule: Schedule
    ref: str
    raw: Any = None
    protected: frozenset[str] = frozenset()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Discovery:
    """Everything read for one import.

    `defaults` maps a setting of the vendor block (`mettl:` / `questionmark:`) to the JSON view of the
    value a schedule gets when the setting is never sent; the importer leaves such settings out.
    """

    provider: str
    scope: str
    schedules: list[Discovered]
    defaults: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
