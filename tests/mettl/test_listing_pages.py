"""An assessment's schedule listing is paged by `limit`/`offset` (assumption M-17): every page advances, and a
server that ignores `offset` stops the read with a clear error instead of repeating pages until the bound."""

from __future__ import annotations

import pytest
import requests

from reconciler.errors import MalformedResponseError
from reconciler.providers.mettl.client import PAGE_LIMIT
from reconciler.providers.mettl.provider import MettlProvider
from reconciler.sandbox.launch import Sandbox
from reconciler.sandbox.mettl import MettlApp

COUNT = PAGE_LIMIT + 5


def _fill(app: MettlApp) -> None:
    for n in range(COUNT):
        app.add_schedule(769688, {"name": f"Link {n:03}", "sourceApp": "Mettl Dashboard",
                                  "access": {"type": "OpenForAll"}, "scheduleType": "AlwaysOn"})


def test_every_page_advances(provider: MettlProvider, mettl_app: MettlApp) -> None:
    _fill(mettl_app)
    names = [s["name"] for s in provider.client.assessment_schedules("769688")]
    assert names == [f"Link {n:03}" for n in range(COUNT)]


def test_a_listing_that_ignores_offset_is_an_error_naming_it(provider: MettlProvider, mettl_app: MettlApp,
                                                            mettl_sandbox: Sandbox) -> None:
    _fill(mettl_app)
    switched = requests.post(f"{mettl_sandbox.url}/__sandbox/quirks", json={"enabled": ["M-01-offset"]}, timeout=5)
    assert switched.status_code == 200
    with pytest.raises(MalformedResponseError, match=f"at offset {PAGE_LIMIT} repeated the previous page"):
        list(provider.client.assessment_schedules("769688"))
