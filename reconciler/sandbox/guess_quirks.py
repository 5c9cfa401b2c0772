"""Rewrites for the quirks of issue 16's checks: a listing whose `offset` does not advance (M-01), status values
outside Mettl's table (M-06), status rows that leave a candidate out or list one of no schedule (M-10), a
Questionmark page read by `$skip` past page 2 that does not match the link chain (Q-12), and a page other than
the first that reads differently each time (Q-13). Switched on by name in `quirks.QUIRKS`."""

from __future__ import annotations

import itertools
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .wire import SandboxApp, SandboxRequest, SandboxResponse

UNKNOWN_STATUS = "Expired"
"""A value a tenant might report that is not in the seed's table."""
STRANGER = "someone.else@example.com"


def _body(response: SandboxResponse) -> dict[str, Any]:
    return response.body if isinstance(response.body, dict) else {}


def offset_ignored(app: SandboxApp, request: SandboxRequest, response: SandboxResponse) -> None:
    """Every page of an assessment's schedule listing starts at the first schedule, whatever its `offset`."""
    from .mettl.views import schedule_view  # here: the emulators import the server, which imports the quirks

    found = re.search(r"/assessments/([^/]+)/schedules$", request.path)
    items = _body(response).get("schedules")
    if not found or not isinstance(items, list) or request.params.get("offset", "0") == "0":
        return
    mine = [s for s in app.dump_state().get("schedules") or () if str(s["assessmentDetails"]["id"]) == found[1]]
    size = len(items) or int(request.params.get("limit") or 20)
    _body(response)["schedules"] = [schedule_view(s, candidates=False) for s in mine[:size]]


def unknown_statuses(app: SandboxApp, request: SandboxRequest, response: SandboxResponse) -> None:
    for row in _body(response).get("candidates") or ():
        test_status = row.get("testStatus")
        if isinstance(test_status, dict):
            test_status.update(status=UNKNOWN_STATUS, overallStatus=UNKNOWN_STATUS)


def row_left_out(app: SandboxApp, request: SandboxRequest, response: SandboxResponse) -> None:
    rows = _body(response).get("candidates")
    if isinstance(rows, list) and rows:
        rows.pop()


def stranger_row(app: SandboxApp, request: SandboxRequest, response: SandboxResponse) -> None:
    rows = _body(response).get("candidates")
    if isinstance(rows, list) and rows:
        rows.append({"email": STRANGER, "name": "Someone Else", "registrationDetails": {"Email Address": STRANGER},
                     "testStatus": {"status": "Completed", "overallStatus": "Completed"}})


def skip_drifts(app: SandboxApp, request: SandboxRequest, response: SandboxResponse) -> None:
    """A page read by `$skip` from the third on misses its first schedule (the order moved between requests)."""
    values = _body(response).get("value")
    skip = request.query.get("$skip", "")
    if isinstance(values, list) and values and skip.isdigit() and int(skip) >= 2 * len(values):
        values.pop(0)


_LATER_READS = itertools.count()


def unstable_later_pages(app: SandboxApp, request: SandboxRequest, response: SandboxResponse) -> None:
    """Each read of a Schedules page other than the first gives every entity a property that changes from read to
    read (the first page stays stable)."""
    values = _body(response).get("value")
    later = "$skiptoken" in request.query or "$skip" in request.query
    if later and isinstance(values, list):
        read = next(_LATER_READS)
        _body(response)["value"] = [{**v, "LastReadSequence": read} if isinstance(v, dict) else v for v in values]
