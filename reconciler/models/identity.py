"""Which live schedule a desired schedule is: the one under its name, else the one under a previous name."""

from __future__ import annotations

from collections.abc import Callable

from ..errors import RenameConflictError
from . import Schedule


def live_name(schedule: Schedule, is_live: Callable[[str], bool]) -> str | None:
    """The name `schedule` lives under (its own, or the one previous name found live); None when not live.

    `is_live(name)` says whether a live schedule this tool may adopt has that name in the schedule's provider
    and assessment. Two live candidates are an error naming both: which one to adopt is the user's call.
    """
    found = [name for name in (schedule.name, *schedule.previous_names) if is_live(name)]
    if len(found) > 1:
        first, second = found[0], found[1]
        both = (f"its name {first!r} and its previous name {second!r}" if first == schedule.name
                else f"its previous names {first!r} and {second!r}")
        raise RenameConflictError(
            f"{schedule.key}: both {both} exist live; it cannot adopt both — drop {second!r} from "
            "previous_names (that schedule is then left alone, or retired with prune) or rename one of them "
            "on the platform")
    return found[0] if found else None
