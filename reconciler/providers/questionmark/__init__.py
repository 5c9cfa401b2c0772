"""Questionmark OnDemand (OData v3, and QMWISe SOAP for group membership): the `VENDOR` object the registry
imports.

The modules every vendor package has: client, answers, mapping, observe, writes, provider, discover, rules,
doctor; Questionmark's own: listing, reading, live, batch, people, logins, membership, qmwise, doctor_identity,
doctor_membership.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ...errors import Position
from ...models import QuestionmarkProviderConfig, Schedule, ScheduleKey
from ...vendors import PROVIDER_TITLES
from ..vendor import Vendor
from . import rules

if TYPE_CHECKING:
    from ...checks.probe import Probe
    from ...checks.report import Result
    from ..base import Endpoint, Provider


def make_provider(config: Any, endpoint: Endpoint, *, shard: str | None = None) -> Provider:
    """The Questionmark provider (imported on first use: validate never loads the HTTP client)."""
    from .provider import make_questionmark_provider

    return make_questionmark_provider(config, endpoint, shard=shard)


def diagnose(provider: Provider, desired: Sequence[Schedule], positions: Mapping[ScheduleKey, Position], *,
             probe_access: bool = False) -> tuple[list[Result], Probe]:
    """The Questionmark doctor (imported on first use)."""
    from .doctor import diagnose as run

    return run(provider, desired, positions, probe_access=probe_access)


VENDOR = Vendor(name="questionmark", title=PROVIDER_TITLES["questionmark"], settings=QuestionmarkProviderConfig,
                credentials=("username", "password"), rules=rules, factory=make_provider, doctor=diagnose)
