"""Mercer | Mettl (REST, signed requests): the `VENDOR` object the registry imports.

The modules every vendor package has: client, answers, mapping, observe, writes, provider, discover, rules,
doctor; Mettl's own: signing, live, roster, status, retire, verify, doctor_rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ...errors import Position
from ...models import MettlProviderConfig, Schedule, ScheduleKey
from ...vendors import PROVIDER_TITLES
from ..vendor import Vendor
from . import rules

if TYPE_CHECKING:
    from ...checks.probe import Probe
    from ...checks.report import Result
    from ..base import Endpoint, Provider


def make_provider(config: Any, endpoint: Endpoint, *, shard: str | None = None) -> Provider:
    """The Mettl provider (imported on first use: validate never loads the HTTP client)."""
    from .provider import make_mettl_provider

    return make_mettl_provider(config, endpoint, shard=shard)


def diagnose(provider: Provider, desired: Sequence[Schedule], positions: Mapping[ScheduleKey, Position], *,
             probe_access: bool = False) -> tuple[list[Result], Probe]:
    """The Mettl doctor (imported on first use)."""
    from .doctor import diagnose as run

    return run(provider, desired, positions, probe_access=probe_access)


VENDOR = Vendor(name="mettl", title=PROVIDER_TITLES["mettl"], settings=MettlProviderConfig,
                credentials=("public_key", "private_key"), rules=rules, factory=make_provider, doctor=diagnose)
