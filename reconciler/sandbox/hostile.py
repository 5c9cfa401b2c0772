"""Hostile answers: switches that make an emulator answer as an untrusted vendor (or a network in between)
might, so tests can prove every client stops with one clear error, writes nothing and never hangs.

Unlike the assumption quirks of `quirks.py` (each breaks a row of docs/vendor-assumptions.md and a doctor
check catches it), these break the HTTP contract or a documented answer shape. They are switched on the same
way (`SandboxServer(app, quirks=["drip-feed"])` or `POST /__sandbox/quirks`), and where doctor already has a
check for the same shape the quirk carries its assumption id (`Q-04` is the other-host `nextLink`, in
`quirks.py`). Two are about delivery rather than content: the server then drips the body one byte every
`drip_interval` seconds, or streams `huge_bytes` of (valid JSON) whitespace after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

if TYPE_CHECKING:
    from .wire import SandboxApp, SandboxRequest, SandboxResponse

_METTL = r"/v[123]"
_QM = r"/deliveryodata/[^/]+"
ANY_VENDOR = rf"(?:{_METTL}|{_QM})/.*"
AWAY = "https://elsewhere.invalid/collect"
HTML_PAGE = (b"<!DOCTYPE html><html><head><title>Service unavailable</title></head>"
             b"<body><h1>Our service is down for maintenance</h1></body></html>")


@dataclass
class Settings:
    """Parameters of the delivery quirks (settable with `{"settings": {...}}` on the control endpoint)."""

    drip_interval: float = 2.0
    huge_bytes: int = 256 * 1024 * 1024


def _body(response: SandboxResponse) -> dict[str, Any]:
    return response.body if isinstance(response.body, dict) else {}


def _first(items: Any) -> dict[str, Any] | None:
    return items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else None


def redirect_away(app: SandboxApp, request: SandboxRequest, response: SandboxResponse) -> None:
    response.status, response.body = 302, None
    response.headers["Location"] = AWAY


def html_error(app: SandboxApp, request: SandboxRequest, response: SandboxResponse) -> None:
    """A proxy's maintenance page, answered with 200 (only the content tells it is not the vendor)."""
    response.status, response.body = 200, HTML_PAGE
    response.headers["Content-Type"] = "text/html; charset=utf-8"


def next_link_loop(app: SandboxApp, request: SandboxRequest, response: SandboxResponse) -> None:
    """Every page says the next page is this very page."""
    if "value" in _body(response):
        query = f"?{urlencode(request.query)}" if request.query else ""
        _body(response)["odata.nextLink"] = f"{request.base_url}{request.path}{query}"


def listing_item_without_name(app: SandboxApp, request: SandboxRequest, response: SandboxResponse) -> None:
    item = _first(_body(response).get("schedules"))
    if item is not None:
        item.pop("name", None)


def schedule_without_access(app: SandboxApp, request: SandboxRequest, response: SandboxResponse) -> None:
    schedule = _body(response).get("schedule")
    if isinstance(schedule, dict):
        schedule.pop("access", None)


def schedule_without_name(app: SandboxApp, request: SandboxRequest, response: SandboxResponse) -> None:
    item = _first(_body(response).get("value"))
    if item is not None:
        item.pop("Name", None)


def max_attempts_in_words(app: SandboxApp, request: SandboxRequest, response: SandboxResponse) -> None:
    item = _first(_body(response).get("value"))
    if item is not None:
        item["MaxAttempts"] = "two"


def echo_request(app: SandboxApp, request: SandboxRequest, response: SandboxResponse) -> None:
    """A Mettl error that quotes the request it refuses, signature included (raw and URL-encoded)."""
    sent = request.params
    response.status = 400
    response.body = {"status": "ERROR", "error": {"code": "E400", "message": (
        f"could not process {request.path}?{urlencode(sent)} (signature {sent.get('asgn', '')!s})")}}


# name → (assumption, description, path of the GETs it touches, rewrite or None, delivery)
HOSTILE: dict[str, tuple[str, str, str, Any, str]] = {
    "drip-feed": ("http", "every answer is dripped one byte every `drip_interval` seconds", ANY_VENDOR, None,
                  "drip"),
    "huge-body": ("http", "every answer goes on with `huge_bytes` of whitespace (chunked, no length)", ANY_VENDOR,
                  None, "huge"),
    "redirect-away": ("http", f"every answer is a 302 to {AWAY}", ANY_VENDOR, redirect_away, ""),
    "html-error": ("http", "every answer is an HTML maintenance page (200, text/html)", ANY_VENDOR, html_error, ""),
    "next-link-loop": ("Q-04", "`odata.nextLink` of every page points at that same page", rf"{_QM}/.*",
                       next_link_loop, ""),
    "mettl-listing-no-name": ("M-01", "the first item of a schedule listing has no `name`",
                              rf"{_METTL}/assessments/[^/]+/schedules", listing_item_without_name, ""),
    "mettl-echo-request": ("http", "every answer is an error quoting the request, its signature included",
                           rf"{_METTL}/.*", echo_request, ""),
    "mettl-schedule-no-access": ("M-05", "a schedule read has no `access`", rf"{_METTL}/schedules/[^/]+",
                                 schedule_without_access, ""),
    "qm-schedule-no-name": ("documented", "the first schedule of the Schedules feed has no `Name`",
                            rf"{_QM}/Schedules", schedule_without_name, ""),
    "qm-max-attempts-text": ("documented", 'the first schedule of the Schedules feed has `MaxAttempts: "two"`',
                             rf"{_QM}/Schedules", max_attempts_in_words, ""),
}
