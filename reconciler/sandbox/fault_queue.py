"""Queued faults: the next requests that fail, chosen by method, by path (a regex) and by their rank.

`Faults.fail_next` (in `base`) fills the queue; the server asks `take_queued` for each request before it
rolls the dice for the random faults.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

FaultKind = Literal["error", "rate_limit", "drop", "lost_answer"]


@dataclass
class QueuedFault:
    """One fault waiting for its request: the `nth` request from now whose method is in `methods` (`*`: any)
    and whose path matches the regex `path` (searched; None: any path)."""

    kind: FaultKind
    methods: str = "*"
    path: str | None = None
    nth: int = 1

    def __post_init__(self) -> None:
        if self.kind not in ("error", "rate_limit", "drop", "lost_answer"):
            raise ValueError(f"unknown fault kind {self.kind!r}")
        if self.nth < 1:
            raise ValueError("nth counts from 1 (the next matching request)")
        self.methods = self.methods.upper()
        re.compile(self.path or "")

    def matches(self, method: str, path: str) -> bool:
        return self.methods in ("*", method) and (self.path is None or re.search(self.path, path) is not None)

    @classmethod
    def parse(cls, value: Any) -> QueuedFault:
        """From the control endpoint: `[kind, methods]` (the original form) or `{"kind", "methods", "path",
        "nth"}`."""
        if isinstance(value, dict):
            return cls(value["kind"], str(value.get("methods", "*")), value.get("path"), int(value.get("nth", 1)))
        kind, methods = value
        return cls(kind, str(methods))


def take_queued(queue: list[QueuedFault], method: str, path: str) -> FaultKind | None:
    """The queued fault this request meets, if any, removed from the queue. Every matching fault counts the
    request, so `nth` is the rank among the matching requests made after the fault was queued."""
    due: QueuedFault | None = None
    for fault in queue:
        if not fault.matches(method, path):
            continue
        if fault.nth > 1:
            fault.nth -= 1
        elif due is None:
            due = fault
    if due is None:
        return None
    queue.remove(due)
    return due.kind
