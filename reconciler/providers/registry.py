"""The one registry of vendors: each vendor package's `Vendor` object, by name."""

from __future__ import annotations

from .mettl import VENDOR as METTL
from .questionmark import VENDOR as QUESTIONMARK
from .vendor import Vendor

VENDORS: dict[str, Vendor] = {vendor.name: vendor for vendor in (METTL, QUESTIONMARK)}
