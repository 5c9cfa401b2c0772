"""The vendors' names and titles: the low table the models, the diff and the renderers read.

What each vendor does (its settings model, validate rules, provider factory and doctor) is its package's
`Vendor` object (`providers/<vendor>/__init__.py`), collected in `providers/registry.py`.
"""

from __future__ import annotations

from typing import Protocol

PROVIDER_TITLES: dict[str, str] = {"mettl": "Mettl", "questionmark": "Questionmark"}
"""Each vendor's name (its settings section in the YAML: `mettl:`, `questionmark:`) and title."""
VENDOR_NAMES: tuple[str, ...] = tuple(PROVIDER_TITLES)
SECTIONS: tuple[str, ...] = ("group", *VENDOR_NAMES, "metadata", "accommodations")
"""The parts of a schedule the diff compares (besides its window, name and candidates)."""


class VendorRules(Protocol):
    """What a vendor's `rules` module holds: its own validate rules (loader/rules.py runs them)."""

    ASSESSMENT_ID: str
    """What an assessment id is at this vendor (shown when one is not)."""

    def assessment_number_problem(self, number: int) -> str | None: ...
