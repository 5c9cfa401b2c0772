"""The one registry of vendors: name → title, credentials, and where its provider and sandbox are made.

The factories are named as `module:function` and imported when first needed, so this table sits below
everything that reads it (models for the titles, the provider factory, the sandbox) without an upward import.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Vendor:
    """One platform: its settings section in the YAML is `name` (`mettl:`, `questionmark:`)."""

    name: str
    title: str
    credentials: tuple[str, str]  # (user field, secret field) of its `providers:` block
    provider: str  # module:function(config, endpoint) → Provider
    sandbox: str  # module:function(seed_world: bool) → its emulator (SandboxApp)

    def make_provider(self) -> Any:
        """The provider factory (imported on first use)."""
        return _load(self.provider)

    def make_sandbox(self) -> Any:
        """The emulator factory (imported on first use)."""
        return _load(self.sandbox)


def _load(target: str) -> Any:
    module, _, function = target.partition(":")
    return getattr(importlib.import_module(module), function)


VENDORS: dict[str, Vendor] = {
    vendor.name: vendor for vendor in (
        Vendor("mettl", "Mettl", ("public_key", "private_key"),
               "reconciler.providers.mettl.provider:make_mettl_provider",
               "reconciler.sandbox.worlds:mettl_app"),
        Vendor("questionmark", "Questionmark", ("username", "password"),
               "reconciler.providers.questionmark.provider:make_questionmark_provider",
               "reconciler.sandbox.worlds:questionmark_app"),
    )
}
PROVIDER_TITLES: dict[str, str] = {name: vendor.title for name, vendor in VENDORS.items()}
SECTIONS: tuple[str, ...] = ("group", *VENDORS, "metadata", "accommodations")
"""The parts of a schedule the diff compares (besides its window, name and candidates)."""
