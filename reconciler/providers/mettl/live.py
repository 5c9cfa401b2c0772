"""What only Mettl tells about a live schedule, beside the shared model."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ...observed import Live, Observed


@dataclass(frozen=True, kw_only=True)
class MettlLive(Live):
    """`spellings`: normalised email → the spelling Mettl holds (a removal must name it so)."""

    spellings: Mapping[str, str] = field(default_factory=dict)


def mettl_live(observed: Observed) -> MettlLive:
    """The Mettl state of a schedule this provider read."""
    live = observed.live
    return live if isinstance(live, MettlLive) else MettlLive(disabled=live.disabled, retirement=live.retirement)
