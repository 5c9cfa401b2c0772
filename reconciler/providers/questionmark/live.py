"""What only Questionmark tells about a live schedule, beside the shared model: the rows behind it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...observed import Live, Observed

Row = dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class QuestionmarkLive(Live):
    """The anchor (or group schedule) as read: what every access mode has. A schedule's state is one of the
    variants below (`QuestionmarkState`), one per access mode."""

    schedule_id: int = 0
    group_id: Any = None
    members: Mapping[str, int] | None = None  # the group's participants by email, when read
    holders: Sequence[Row] = ()  # every seat and exception schedule, active or not
    view: Mapping[str, Any] = field(default_factory=dict)  # the properties the shared model was read from
    metadata: Mapping[int, Mapping[str, str]] = field(default_factory=dict)  # schedule ID → its metadata


@dataclass(frozen=True, kw_only=True)
class SeatsLive(QuestionmarkLive):
    """Seats mode (a candidate list): the anchor's seats by email, active and revoked."""

    seats: Mapping[str, Sequence[Row]] = field(default_factory=dict)
    revoked: Mapping[str, Sequence[Row]] = field(default_factory=dict)
    active_seats: Sequence[Row] = ()


@dataclass(frozen=True, kw_only=True)
class GroupLive(QuestionmarkLive):
    """Group mode (open to the group): the exception schedule of each email, and those enabled."""

    children: Mapping[str, Row] = field(default_factory=dict)
    enabled_children: Sequence[Row] = ()


@dataclass(frozen=True, kw_only=True)
class MembershipLive(GroupLive):
    """Membership mode: a group schedule whose group's members are the candidates (ID by email), and whether
    the roster record is there."""

    member_ids: Mapping[str, int] = field(default_factory=dict)
    roster_owned: bool = False


QuestionmarkState = SeatsLive | GroupLive
"""A Questionmark schedule's live state: one variant per access mode (MembershipLive is a GroupLive)."""


def questionmark_live(observed: Observed) -> QuestionmarkState:
    """The Questionmark state of a schedule this provider read."""
    live = observed.live
    if not isinstance(live, SeatsLive | GroupLive):
        raise TypeError("a Questionmark schedule observed without its Questionmark state")
    return live
