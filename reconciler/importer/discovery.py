"""What `reconciler import` writes from: live schedules read by a provider's `discover` module."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..observed import Observed


@dataclass(frozen=True)
class Discovery:
    """Everything read for one import.

    `schedules` are live schedules in the shared model (`raw` keeps the vendor's answer, for the spelling
    of emails). `defaults` maps a setting of the vendor block (`mettl:` / `questionmark:`) to the JSON view
    of the value a schedule has when the setting was never sent; the importer leaves such settings out.
    `notes` go into the file's header; `skipped` says which live schedules were left out, and why.
    """

    provider: str
    scope: str
    schedules: list[Observed]
    defaults: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    pending: int = 0
    """Ownership marks to write to adopt schedules read as if marked (written only once the file checks out)."""
