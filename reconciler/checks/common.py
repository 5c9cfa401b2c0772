"""Pieces both vendors' checks share: clock skew, reading a JSON answer, finding a key anywhere."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from .probe import Answer, Probe
from .report import Check, Result


def in_order(ids: Iterable[str]) -> list[str]:
    """Distinct assessment ids in reading order (shorter digit strings first: 9 before 10)."""
    return sorted(set(ids), key=lambda a: (len(a), a))


def span(seconds: float) -> str:
    """A duration for people: `4 s`, `12 min`, `3 h 05 min`, `2 d 01 h`."""
    s = round(abs(seconds))
    if s < 120:
        return f"{s} s"
    m = round(s / 60)
    if m < 120:
        return f"{m} min"
    if m < 48 * 60:
        return f"{m // 60} h {m % 60:02d} min"
    h = round(m / 60)
    return f"{h // 24} d {h % 24:02d} h"


def clock_result(check: Check, probe: Probe, kind: str, limit: float | None, fix: str = "") -> Result:
    """Compare the server's `Date` (first answer of `kind`) with this machine's clock; ✗ past `limit`."""
    skew = probe.skew(kind)
    if skew is None:
        return check.skipped("the server sent no readable Date header")
    where = "ahead of" if skew > 0 else "behind"
    detail = f"the server's clock is {span(skew)} {where} this machine's"
    if limit is not None and abs(skew) > limit:
        return check.failed(f"{detail} (more than {span(limit)})", fix)
    if limit is None:
        return check.passed(f"{detail} (informational)")
    return check.passed(f"{detail} (limit {span(limit)})")


def json_of(answer: Answer | None) -> Any:
    """An answer's body as JSON, or None when it is not JSON."""
    if answer is None or not answer.body:
        return None
    try:
        return json.loads(answer.body)
    except ValueError:
        return None


def has_key(value: Any, key: str) -> bool:
    """Whether `key` is a property name anywhere in a JSON document."""
    if isinstance(value, dict):
        return key in value or any(has_key(v, key) for v in value.values())
    if isinstance(value, list):
        return any(has_key(v, key) for v in value)
    return False
