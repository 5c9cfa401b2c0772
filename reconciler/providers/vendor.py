"""What one vendor is to the rest of the tool: one `Vendor` object each vendor package exports.

Light on purpose (validate imports the vendor packages for their rules): the provider and its doctor are
imported by the factories when first called.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel

from ..errors import Position
from ..models import Schedule, ScheduleKey
from ..vendors import VendorRules

if TYPE_CHECKING:
    from ..checks.probe import Probe
    from ..checks.report import Result
    from .base import Endpoint, Provider


class ProviderFactory(Protocol):
    """Makes the provider for a project's `providers.<vendor>` block (None: the settings model's defaults)."""

    def __call__(self, config: Any, endpoint: Endpoint, *, shard: str | None = None) -> Provider: ...


class Doctor(Protocol):
    """Runs the vendor's doctor checks through the provider's client, made GET-only first."""

    def __call__(self, provider: Provider, desired: Sequence[Schedule], positions: Mapping[ScheduleKey, Position],
                 *, probe_access: bool = False) -> tuple[list[Result], Probe]: ...


@dataclass(frozen=True)
class Vendor:
    """One platform: its name (the settings section in the YAML), title, settings model and what it makes."""

    name: str
    title: str
    settings: type[BaseModel]  # its `providers:` block
    credentials: tuple[str, str]  # (user field, secret field) of that block
    rules: VendorRules
    factory: ProviderFactory
    doctor: Doctor
