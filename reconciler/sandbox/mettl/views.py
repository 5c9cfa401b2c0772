"""What the Mettl emulator answers: schedules as the API shows them, and one page of a list."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from ..wire import SandboxRequest
from .common import MettlError, bad_request
from .validate import WRITE_ONLY_PROPERTIES, parse_sc

#: Page size of `GET /v1|v2/schedules/{access-key}/candidates`, which documents only `offset` (`limit` is
#: v3-only): the emulator picks 20, the default of the lists that do take a `limit` (assumption M-10).
CANDIDATE_PAGE_SIZE = 20
_SIGNATURE_PARAMS = ("ak", "ts", "asgn")
# Order of properties in a schedule, as in the vendor's Edit Schedule response.
_SCHEDULE_ORDER = (
    "id", "name", "accessKey", "accessUrl", "status", "createdAt", "imageProctoring", "webProctoring",
    "scheduleType", "scheduleWindow", "access", "ipAccessRestriction", "sourceApp",
    "testStartNotificationUrl", "testFinishNotificationUrl", "testGradedNotificationUrl",
    "testResumeEnabledForExpiredTestURL", "isCandidateAuthProctored", "testGradeNotification",
    "visualProctoring", "allowTestResume", "secureBrowser", "assessmentDetails", "protected",
)


def find_candidate(schedule: dict[str, Any], email: str) -> dict[str, Any] | None:
    """The stored candidate with this email, compared case-insensitively."""
    wanted = email.lower()
    for candidate in schedule["access"]["candidates"]:
        if candidate["email"].lower() == wanted:
            return candidate  # type: ignore[no-any-return]
    return None


def schedule_view(schedule: dict[str, Any], *, candidates: bool = True) -> dict[str, Any]:
    """The schedule as the API returns it (assumption M-05: the Edit response's shape for every read):
    vendor order, write-only properties left out (assumption M-07). The order of every property is fixed, never
    that of the sc that set it nor of a reloaded state file: an unchanged schedule reads as the same bytes
    (assumption M-14)."""
    # assumption M-05; assumption M-13: sourceApp comes back as created (listings carry it too)
    out = {k: _fixed_order(schedule[k]) for k in _SCHEDULE_ORDER if k in schedule and k != "access"}
    out.update({k: _fixed_order(schedule[k]) for k in sorted(schedule) if k not in out and k != "access"})
    for key in WRITE_ONLY_PROPERTIES:  # assumption M-07
        out.pop(key, None)
    access = schedule["access"]
    out["access"] = {"type": access["type"]}
    if candidates:
        out["access"]["candidates"] = [{"name": c["name"], "submissionDate": c["submissionDate"],
                                        "email": c["email"]} for c in access["candidates"]]
    out["access"].update({k: access[k] for k in sorted(access) if k not in ("type", "candidates")})
    return out


def _fixed_order(value: Any) -> Any:
    """A copy with every object's properties in one fixed (sorted) order, as a serialiser of typed objects
    writes them. assumption M-14"""
    if isinstance(value, dict):
        return {k: _fixed_order(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_fixed_order(v) for v in value]
    return value


def filtered(request: SandboxRequest, schedules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The schedules a `filter` parameter (a JSON object; only `name` is known) keeps."""
    raw = request.params.get("filter")
    if raw is None or raw == "":
        return schedules
    try:
        wanted = parse_sc(raw)
    except MettlError:
        raise bad_request("filter must be a JSON object, e.g. {\"name\": \"...\"}") from None
    if "name" in wanted:
        schedules = [s for s in schedules if s["name"] == wanted["name"]]
    return schedules


def _int_param(params: Mapping[str, str], name: str, default: int, low: int, high: int | None) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or int(raw) < low or (high is not None and int(raw) > high):
        span = f"{low}-{high}" if high is not None else f">= {low}"
        raise bad_request(f"{name} must be an integer {span}; got {raw!r}")
    return int(raw)


def page(request: SandboxRequest, key: str, items: list[dict[str, Any]], *,
         fixed_size: int | None = None, view: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
         ) -> dict[str, Any]:
    """One page of a list under its plural key beside `paging.next` / `paging.previous` links without
    signature parameters (assumption M-01). With `fixed_size` the list takes only `offset`: a `limit` is
    refused, as a parameter the endpoint does not have (assumption M-10). `view` turns each item of the page
    (only those) into its answer."""
    if fixed_size is not None and "limit" in request.params:  # assumption M-10
        raise bad_request(f"limit is not a parameter of {request.path} in this API version (v3 only); "
                          "page with offset")
    limit = fixed_size or _int_param(request.params, "limit", 20, 1, 100)  # assumption M-17
    offset = _int_param(request.params, "offset", 0, 0, None)
    kept = {k: v for k, v in request.params.items() if k not in (*_SIGNATURE_PARAMS, "limit", "offset")}

    def link(to: int) -> str:
        paging = {"offset": to} if fixed_size else {"limit": limit, "offset": to}
        return f"{request.base_url}{request.path}?{urlencode({**paging, **kept})}"

    return {  # assumption M-01: items under the plural key, beside paging links
        "status": "SUCCESS",
        key: [view(item) for item in items[offset:offset + limit]] if view else items[offset:offset + limit],
        "paging": {
            "next": link(offset + limit) if offset + limit < len(items) else None,
            "previous": link(max(0, offset - limit)) if offset > 0 else None,
        },
    }
