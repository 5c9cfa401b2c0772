"""The Mettl emulator fixtures (a live loopback server and the real provider), shared with tests/mettl."""

from __future__ import annotations

from tests.mettl.conftest import (  # noqa: F401 - fixtures are found by name
    Reconcile,
    make_provider,
    mettl_app,
    mettl_server,
    provider,
    reconcile,
)

__all__ = ["Reconcile"]
