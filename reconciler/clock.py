"""The one clock of a run (windows in the past, live-window safety): a module of its own so that tests can
set it, and so that `validate` reads it without loading the engine."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
