"""The Questionmark Delivery OData v3 client: Basic auth, `odata.error` bodies, nextLink paging.

No knowledge of the shared models: entities travel as plain dicts in their wire form.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from ...errors import (
    AuthenticationError,
    BadRequestError,
    MalformedResponseError,
    NotFoundError,
    RateLimitedError,
    TransientError,
    redact,
)
from ...http import HttpClient

PROVIDER = "questionmark"
AUTH_HINT = "check QUESTIONMARK_USERNAME/QUESTIONMARK_PASSWORD"
_MAX_PAGES = 10_000  # a guard against a server that keeps answering with the same nextLink
EXPANSION_LIMIT = 100  # intro.rst: an expanded collection is cut at 100, without a continuation link
EXPAND = "ScheduleMetadata,Participant,Group"


def quote_literal(value: str) -> str:
    """An OData string literal: single-quoted, a quote inside doubled (`'O''Brien'`)."""
    return "'" + value.replace("'", "''") + "'"


def int64_literal(value: int | str) -> str:
    """An Edm.Int64 filter literal, with the `L` suffix."""
    return f"{int(value)}L"


def odata_error(response: requests.Response, secrets: tuple[str, ...] = ()) -> None:
    """Raise the typed error for a failed answer, reading `{"odata.error": {code, message: {value}}}`."""
    status = response.status_code
    if status < 400:
        return
    code, message = _error_parts(response)
    body = redact(response.text, secrets)
    message = redact(message, secrets)
    if status == 401:
        raise AuthenticationError(PROVIDER, f"credentials refused — {AUTH_HINT}", status=status, body=body)
    if status == 403:
        raise AuthenticationError(PROVIDER, f"access denied ({message}) — {AUTH_HINT} and the account's rights",
                                  status=status, body=body)
    kwargs: dict[str, Any] = {"status": status, "code": code or None, "body": body}
    if status == 404:
        raise NotFoundError(PROVIDER, message, **kwargs)
    if status == 429:
        raise RateLimitedError(PROVIDER, message, retry_after=_retry_after(response), **kwargs)
    if status >= 500:
        raise TransientError(PROVIDER, message, **kwargs)
    raise BadRequestError(PROVIDER, message, **kwargs)


def _error_parts(response: requests.Response) -> tuple[str, str]:
    """(code, message) from an OData error body, parsed defensively (assumption Q-05)."""
    fallback = response.reason or "request failed"
    try:
        body = response.json()
    except ValueError:
        return "", fallback
    error = body.get("odata.error") or body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", fallback
    message = error.get("message")
    if isinstance(message, dict):
        message = message.get("value")
    return str(error.get("code") or ""), str(message or fallback)


def _retry_after(response: requests.Response) -> float | None:
    try:
        value = response.headers.get("Retry-After")
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class QuestionmarkClient:
    """Calls to one Questionmark customer area. Thread-safe: reads may run concurrently."""

    def __init__(
        self, base_url: str, username: str, password: str, *, timeout: float = 30.0, pool_size: int = 16
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        secrets = (password,)
        self.http = HttpClient(
            PROVIDER,
            timeout=timeout,
            pool_size=pool_size,
            auth=(username, password),
            headers={"Accept": "application/json", "Content-Type": "application/json"},
            error_hook=lambda response: odata_error(response, secrets),
        )

    def close(self) -> None:
        self.http.close()

    def url(self, path: str) -> str:
        return urljoin(self.base_url, path)

    # ------------------------------------------------------------------ plumbing

    def _json(self, response: requests.Response, what: str) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            raise MalformedResponseError(PROVIDER, f"answer to {what} is not JSON", status=response.status_code,
                                         body=response.text) from None
        if not isinstance(body, dict):
            raise MalformedResponseError(PROVIDER, f"answer to {what} is not a JSON object")
        return body

    def get(self, path: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        """One GET of an entity or a page; `path` may be a full nextLink."""
        response = self.http.request("GET", self.url(path), params=params)
        return self._json(response, f"GET {urlsplit(path).path}")

    def feed(self, path: str, params: Mapping[str, str] | None = None) -> Iterator[dict[str, Any]]:
        """Every entity of a collection, following `odata.nextLink` (the server pages at 100)."""
        body = self.get(path, params)
        for _ in range(_MAX_PAGES):
            values = body.get("value")
            if not isinstance(values, list):
                raise MalformedResponseError(PROVIDER, f"no 'value' list in the answer to GET {path}")
            yield from values
            link = body.get("odata.nextLink")
            if not link or not values:
                return
            body = self.get(str(link))
        raise MalformedResponseError(PROVIDER, f"GET {path} never stopped paging")

    def send(self, method: str, path: str, body: Mapping[str, Any]) -> dict[str, Any] | None:
        """One write. Never retried: a lost answer raises AmbiguousWriteError."""
        response = self.http.request(method, self.url(path), json=dict(body))
        if response.status_code == 204 or not response.content:
            return None
        return self._json(response, f"{method} {path}")

    def _created(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        created = self.send("POST", path, body)
        if not created or "ID" not in created:
            raise MalformedResponseError(PROVIDER, f"POST {path} answered without the new entity's ID")
        return created

    # ------------------------------------------------------------------ endpoints

    def schedules(self) -> Iterator[dict[str, Any]]:
        """Every schedule with its metadata, participant and group, in ceil(n/100) pages.

        ExternalID cannot be filtered on: list and match locally. An expansion is cut at 100 with no link
        (intro.rst), so a schedule showing 100 metadata items has them re-read from its navigation feed.
        """
        for schedule in self.feed("Schedules", {"$expand": EXPAND}):  # assumption Q-01
            metadata, key = schedule.get("ScheduleMetadata"), schedule.get("ID")
            if isinstance(metadata, list) and len(metadata) >= EXPANSION_LIMIT and isinstance(key, int):
                nav = f"Schedules({key})/ScheduleMetadata"  # assumption Q-09
                schedule = {**schedule, "ScheduleMetadata": list(self.feed(nav))}
            yield schedule

    def find_group(self, name: str) -> dict[str, Any] | None:
        """The group with this name, or None."""
        return next(iter(self.feed("Groups", {"$filter": f"Name eq {quote_literal(name)}"})), None)

    def group_members(self, group_id: int) -> list[dict[str, Any]]:
        """Every participant of a group, from its navigation feed (never `$expand`: it stops at 100)."""
        return list(self.feed(f"Groups({int(group_id)})/Participants"))  # assumption Q-04

    def participants_named(self, *logins: str) -> list[dict[str, Any]]:
        """The participants with any of these login names (one request)."""
        text = " or ".join(f"Name eq {quote_literal(login)}" for login in logins)  # assumption Q-10
        return list(self.feed("Participants", {"$filter": text}))

    def attempts(self, schedule_id: int) -> list[dict[str, Any]]:
        """The attempts made through a schedule (attempt.rst: the Attempts feed filters on ScheduleID)."""
        return list(self.feed("Attempts", {"$filter": f"ScheduleID eq {int(schedule_id)}"}))

    def create_group(self, name: str) -> dict[str, Any]:
        return self._created("Groups", {"Name": name})

    def create_participant(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return self._created("Participants", body)

    def create_schedule(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST Schedules; a 403 says who may schedule the assessment (sdelivery.rst, Scheduling Permissions)."""
        try:
            return self._created("Schedules", body)
        except AuthenticationError as exc:
            if exc.status != 403:
                raise
            raise AuthenticationError(
                PROVIDER, f"not allowed to schedule assessment {body.get('AssessmentID')}: only administrators who "
                "own a group associated with that assessment may schedule it — make the account "
                "QUESTIONMARK_USERNAME an owner of such a group", status=403, body=exc.body) from None

    def update_schedule(self, schedule_id: int, body: Mapping[str, Any]) -> None:
        self.send("PATCH", f"Schedules({int(schedule_id)})", body)

    def create_metadata(self, schedule_id: int, key: str, value: str) -> dict[str, Any]:
        return self._created("ScheduleMetadata", {"ScheduleID": int(schedule_id), "Key": key, "Value": value})
