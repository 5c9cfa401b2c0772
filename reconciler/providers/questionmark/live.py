"""What only Questionmark tells about a live schedule, beside the shared model: the rows behind it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...observed import Live, Observed

Row = dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class QuestionmarkLive(Live):
    """The anchor (or group schedule) and its seats or exception schedules, as read.

    List mode (`mode == LIST`): `seats`/`revoked` by email, `active_seats`. Group mode: `children` (the
    exception schedule of each email) and `enabled_children`.
    """

    schedule_id: int = 0
    group_id: Any = None
    mode: str = ""
    members: Mapping[str, int] | None = None  # the group's participants by email, when read
    holders: Sequence[Row] = ()  # every seat and exception schedule, active or not
    view: Mapping[str, Any] = field(default_factory=dict)  # the properties the shared model was read from
    metadata: Mapping[int, Mapping[str, str]] = field(default_factory=dict)  # schedule ID → its metadata
    seats: Mapping[str, Sequence[Row]] = field(default_factory=dict)
    revoked: Mapping[str, Sequence[Row]] = field(default_factory=dict)
    active_seats: Sequence[Row] = ()
    children: Mapping[str, Row] = field(default_factory=dict)
    enabled_children: Sequence[Row] = ()


def questionmark_live(observed: Observed) -> QuestionmarkLive:
    """The Questionmark state of a schedule this provider read."""
    live = observed.live
    if not isinstance(live, QuestionmarkLive):
        raise TypeError("a Questionmark schedule observed without its Questionmark state")
    return live
