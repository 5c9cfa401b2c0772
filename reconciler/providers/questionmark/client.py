"""The Questionmark Delivery OData v3 client: Basic auth, `odata.error` bodies, nextLink paging.

Entities travel as plain dicts in their wire form, checked against `answers` (the parts the plan reads)
before they are handed on. Every call stays under the configured service
root (a `nextLink` elsewhere is refused before it is sent), a listing has a page cap, and a `nextLink` seen
before ends the listing at once with an error.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import count
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from ...answers import M
from ...errors import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    MalformedResponseError,
)
from ...http import HttpClient, VendorError, describe_call, json_body, not_json
from ...models import QuestionmarkProviderConfig
from . import mapping
from .answers import (
    ActionableScheduleEntity,
    AttemptEntity,
    GroupEntity,
    ListedSchedule,
    MetadataEntity,
    MonitoringTypeEntity,
    ParticipantEntity,
    ScheduleEntity,
    check,
)

PROVIDER = "questionmark"
AUTH_HINT = "check QUESTIONMARK_USERNAME/QUESTIONMARK_PASSWORD"
MAX_PAGES = 10_000  # 1,000,000 entities in one listing: past that, a server that never stops paging
EXPANSION_LIMIT = 100  # intro.rst: an expanded collection is cut at 100, without a continuation link
EXPAND = "ScheduleMetadata,Participant,Group"
LISTING = {"$expand": EXPAND}  # assumption Q-01
Page = tuple[list[dict[str, Any]], str | None]
"""One page of a collection: its entities and its `odata.nextLink` (None on the last page)."""
EXISTS_NOW = "exists now (another apply?) — plan again"


@dataclass
class EmailIndex:
    """Participant IDs by normalised PrimaryEmail, from one read of the Participants feed (assumption Q-26).
    `complete` is False when the feed had more than the bound: an email missing here may still be taken."""

    ids: dict[str, list[int]] = field(default_factory=dict)
    read: int = 0
    complete: bool = True

DEFAULTS = QuestionmarkProviderConfig()
"""The settings model's defaults: every Questionmark default (workers, timeouts, batches) is read from it."""


def quote_literal(value: str) -> str:
    """An OData string literal: single-quoted, a quote inside doubled (`'O''Brien'`)."""
    return "'" + value.replace("'", "''") + "'"


def int64_literal(value: int | str) -> str:
    """An Edm.Int64 filter literal, with the `L` suffix."""
    return f"{int(value)}L"


def odata_error(response: requests.Response) -> VendorError | None:
    """The `{"odata.error": {code, message: {value}}}` of a failed answer (assumption Q-05); the HTTP status
    decides the error type, 401/403 say which credentials to check."""
    status = response.status_code
    if status < 400:
        return None
    code, message = _error_parts(response)
    if status == 401:
        return VendorError(f"credentials refused — {AUTH_HINT}", None, AuthenticationError)
    if status == 403:
        return VendorError(f"access denied ({message}) — {AUTH_HINT} and the account's rights", None,
                           AuthenticationError)
    return VendorError(message, code or None)


def _error_parts(response: requests.Response) -> tuple[str, str]:
    """(code, message) from an OData error body, parsed defensively (assumption Q-05)."""
    fallback = response.reason or "request failed"
    try:
        body = json_body(response)
    except ValueError:
        return "", fallback
    error = body.get("odata.error") or body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", fallback
    message = error.get("message")
    if isinstance(message, dict):
        message = message.get("value")
    return str(error.get("code") or ""), str(message or fallback)


class QuestionmarkClient:
    """Calls to one Questionmark customer area. Thread-safe: reads may run concurrently."""

    def __init__(
        self, base_url: str, username: str, password: str, *, timeout: float = DEFAULTS.timeout, pool_size: int = 16,
        max_in_flight: int | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self._or_filter = True  # assumption Q-10, until the tenant refuses it
        self._lock = threading.Lock()
        self._monitoring: list[dict[str, Any]] | None = None
        self._by_email: EmailIndex | None = None
        secrets = (password,)
        self.http = HttpClient(
            PROVIDER,
            timeout=timeout,
            pool_size=pool_size,
            auth=(username, password),
            headers={"Accept": "application/json", "Content-Type": "application/json"},
            error_extractor=odata_error,
            secrets=secrets,
            base_url=self.base_url,
            max_in_flight=max_in_flight,
        )

    def close(self) -> None:
        self.http.close()

    def url(self, path: str) -> str:
        return urljoin(self.base_url, path)

    # ------------------------------------------------------------------ plumbing

    def _json(self, response: requests.Response) -> dict[str, Any]:
        try:
            body = json_body(response)
        except ValueError:
            raise not_json(PROVIDER, response) from None
        if not isinstance(body, dict):
            raise MalformedResponseError(PROVIDER, f"{describe_call(response)}: answer is not a JSON object")
        return body

    def get(self, path: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        """One GET of an entity or a page; `path` may be a full nextLink."""
        return self._json(self.http.request("GET", self.url(path), params=params))

    def page(
        self, path: str, params: Mapping[str, str] | None = None, model: type[M] | None = None, kind: str = ""
    ) -> Page:
        """One page of a collection: its entities (each checked against `model` when one is given) and its
        `odata.nextLink` (None on the last page)."""
        call = f"GET {urlsplit(path).path}"
        body = self.get(path, params)
        values = body.get("value")
        if not isinstance(values, list):
            raise MalformedResponseError(PROVIDER, f"{call}: answer has no 'value' list")
        if model is not None:
            values = [check(model, value, call, kind) for value in values]
        link = body.get("odata.nextLink")
        if link is not None and not isinstance(link, str):
            raise MalformedResponseError(PROVIDER, f"{call}: odata.nextLink is not a URL")
        return values, link or None

    def feed(
        self, path: str, params: Mapping[str, str] | None = None, model: type[M] | None = None, kind: str = ""
    ) -> Iterator[dict[str, Any]]:
        """Every entity of a collection, following `odata.nextLink` (the server pages at 100), each checked
        against `model` when one is given. A link seen before, or more than MAX_PAGES pages, is an error."""
        for values in self.pages(path, params, model, kind):
            yield from values

    def pages(
        self, path: str, params: Mapping[str, str] | None = None, model: type[M] | None = None, kind: str = "",
        *, first: Page | None = None, next_page: Callable[[str], Page] | None = None,
    ) -> Iterator[list[dict[str, Any]]]:
        """The pages of a collection, following `odata.nextLink` from `first` (a page already read) or from
        the first page, each read by `next_page` when given. A link seen before, or more than MAX_PAGES
        pages, is an error."""
        call = f"GET {urlsplit(path).path}"
        values, link = first if first is not None else self.page(path, params, model, kind)
        seen: set[str] = set()
        for number in count(1):
            yield values
            if not link or not values:
                return
            if link in seen:
                raise MalformedResponseError(PROVIDER, f"{call}: odata.nextLink repeats a page already read "
                                             "(the listing would never end); stopped")
            if number >= MAX_PAGES:
                raise MalformedResponseError(PROVIDER, f"{call}: still had a next page after {MAX_PAGES} pages; "
                                             "stopped")
            seen.add(link)
            values, link = next_page(link) if next_page else self.page(link, None, model, kind)

    def count(self, feed: str) -> int:
        """`<feed>/$count`: the number of entities of a base feed, as a plain-text integer (intro.rst)."""
        response = self.http.request("GET", self.url(f"{feed}/$count"))
        text = response.text.strip()
        if not (text.isascii() and text.isdigit() and len(text) <= 18):  # ASCII digits only, within Int64
            raise MalformedResponseError(PROVIDER, f"GET {feed}/$count: answer is not a count")
        return int(text)

    def send(self, method: str, path: str, body: Mapping[str, Any]) -> dict[str, Any] | None:
        """One write. Never retried: a lost answer raises AmbiguousWriteError."""
        response = self.http.request(method, self.url(path), json=dict(body))
        if response.status_code == 204 or not response.content:
            return None
        return self._json(response)

    def _created(self, path: str, body: Mapping[str, Any], model: type[M], kind: str) -> dict[str, Any]:
        created = self.send("POST", path, body)
        if not created:
            raise MalformedResponseError(PROVIDER, f"POST {path}: answered without the new {kind}")
        return check(model, created, f"POST {path}", kind)

    # ------------------------------------------------------------------ endpoints

    def schedules(self) -> Iterator[dict[str, Any]]:
        """Every schedule with its metadata, participant and group, in ceil(n/100) pages, one after the other
        (`reading.read_listing` reads them concurrently)."""
        for page in self.pages("Schedules", LISTING, ListedSchedule, "schedule"):
            yield from (self.full_metadata(schedule) for schedule in page)

    def schedule_page(self, params: Mapping[str, str], link: str | None = None) -> Page:
        """One page of the expanded Schedules feed (assumption Q-01): `params`, or a nextLink.

        ExternalID cannot be filtered on: list and match locally. An expansion is cut at 100 with no link
        (intro.rst), so a schedule showing 100 metadata items has them re-read from its navigation feed.
        """
        values, next_link = self.page(link or "Schedules", None if link else params, ListedSchedule, "schedule")
        return [self.full_metadata(schedule) for schedule in values], next_link

    def full_metadata(self, schedule: dict[str, Any]) -> dict[str, Any]:
        """The schedule, its metadata re-read from the navigation feed when the expansion may have been cut."""
        metadata, key = schedule["ScheduleMetadata"], schedule["ID"]
        if len(metadata) < EXPANSION_LIMIT:
            return schedule
        nav = f"Schedules({key})/ScheduleMetadata"  # assumption Q-09
        return {**schedule, "ScheduleMetadata": list(self.feed(nav, None, MetadataEntity, "metadata"))}

    def group_schedules(self, group_id: int) -> list[dict[str, Any]]:
        """The live schedules of one group (`$filter=GroupID eq N`, schedule.rst), without expansions."""
        found = self.feed("Schedules", {"$filter": f"GroupID eq {int(group_id)}"}, ScheduleEntity, "schedule")
        return [s for s in found if s.get("IsDeleted") is not True]  # assumption Q-08

    def groups(self) -> list[dict[str, Any]]:
        """Every group the account can see (GET Groups, paged)."""
        return list(self.feed("Groups", None, GroupEntity, "group"))

    def find_group(self, name: str) -> dict[str, Any] | None:
        """The group with this name, or None."""
        found = self.feed("Groups", {"$filter": f"Name eq {quote_literal(name)}"}, GroupEntity, "group")
        return next(iter(found), None)

    def group_members(self, group_id: int) -> list[dict[str, Any]]:
        """Every participant of a group, from its navigation feed (never `$expand`: it stops at 100)."""
        return list(self.feed(f"Groups({int(group_id)})/Participants", None, ParticipantEntity,
                              "participant"))  # assumption Q-04

    def participants_named(self, *logins: str) -> list[dict[str, Any]]:
        """The participants with any of these login names: one `or` request (assumption Q-10); a tenant that
        refuses `or` gets the documented `Name eq` filter once per name, and keeps getting it."""
        if len(logins) > 1 and self._or_filter:
            text = " or ".join(f"Name eq {quote_literal(login)}" for login in logins)
            try:
                return list(self.feed("Participants", {"$filter": text}, ParticipantEntity, "participant"))
            except BadRequestError:
                self._or_filter = False
        return [entity for login in logins for entity in
                self.feed("Participants", {"$filter": f"Name eq {quote_literal(login)}"}, ParticipantEntity,
                          "participant")]

    def participants_by_email(self, limit: int) -> EmailIndex:
        """Every participant's PrimaryEmail, read once per run (the first caller reads, the others wait) and
        cached: ceil(n/100) GETs of the Participants feed, at most `limit` participants (assumption Q-26;
        `PrimaryEmail` cannot be filtered on, participant.rst)."""
        with self._lock:
            if self._by_email is None:
                self._by_email = self._scan_participants(limit)
            return self._by_email

    def _scan_participants(self, limit: int) -> EmailIndex:
        index = EmailIndex()
        if limit <= 0:
            return EmailIndex(complete=False)
        for page in self.pages("Participants", None, ParticipantEntity, "participant"):
            for participant in page:
                if index.read >= limit:
                    index.complete = False
                    return index
                index.read += 1
                email = mapping.email_of({"PrimaryEmail": participant.get("PrimaryEmail")})
                if email is not None:
                    index.ids.setdefault(email, []).append(int(participant["ID"]))
        return index

    def forget_participants(self) -> None:
        """Drop the cached PrimaryEmail index (a later lookup reads the feed again)."""
        with self._lock:
            self._by_email = None

    def _monitoring_list(self) -> list[dict[str, Any]]:
        """Every monitoring type (`GET MonitoringTypes`, read once per run: tenant data, a page or two)."""
        with self._lock:
            if self._monitoring is None:
                self._monitoring = list(self.feed("MonitoringTypes", None, MonitoringTypeEntity, "monitoring type"))
            return self._monitoring

    def monitoring_types(self) -> dict[str, int]:
        """Enabled monitoring type IDs by Name."""
        return {str(t["Name"]): int(t["ID"]) for t in self._monitoring_list()
                if t.get("Name") and t.get("Disabled") is not True}

    def monitoring_names(self) -> dict[int, str]:
        """Every monitoring type's Name by ID (disabled ones too: a live schedule may use one)."""
        return {int(t["ID"]): str(t["Name"]) for t in self._monitoring_list() if t.get("Name")}

    def monitoring_type_id(self, name: str) -> int:
        """The ID of the monitoring type with this Name; a clear error when the tenant has none such."""
        types = self.monitoring_types()
        if name not in types:
            raise BadRequestError(PROVIDER, f"monitoring type {name!r} does not exist (or is disabled) on this "
                                  f"tenant; GET MonitoringTypes lists: {', '.join(sorted(types)) or 'none'}")
        return types[name]

    def send_welcome_email(self, participant_id: int) -> None:
        """`POST Participants(id)/SendWelcomeEmail` (participant.rst, 2021.05): the standard welcome email."""
        self.send("POST", f"Participants({int(participant_id)})/SendWelcomeEmail", {})

    def actionable_schedules(self, participant_id: int) -> list[dict[str, Any]]:
        """`POST Participants(id)/ActionableSchedules`: read-only, what this participant may act on now."""
        path = f"Participants({int(participant_id)})/ActionableSchedules"
        body = self.send("POST", path, {}) or {}
        values = body.get("value")
        if not isinstance(values, list):
            raise MalformedResponseError(PROVIDER, f"POST {path}: answer has no 'value' list")
        return [check(ActionableScheduleEntity, v, f"POST {path}", "actionable schedule") for v in values]

    def attempts(self, schedule_id: int) -> list[dict[str, Any]]:
        """The attempts made through a schedule (attempt.rst: the Attempts feed filters on ScheduleID)."""
        return list(self.feed("Attempts", {"$filter": f"ScheduleID eq {int(schedule_id)}"}, AttemptEntity,
                              "attempt"))

    def create_group(self, name: str) -> dict[str, Any]:
        return self._created("Groups", {"Name": name}, GroupEntity, "group")

    def create_participant(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return self._created("Participants", body, ParticipantEntity, "participant")

    def create_schedule(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST Schedules; a 403 says who may schedule the assessment (sdelivery.rst, Scheduling Permissions).

        A schedule that carries an identity (an ExternalID on a group's own schedule, not a participant's) is
        never created twice: see `_unique`."""
        identity = _identity(body)
        if identity is not None:
            return self._unique(body, *identity)
        return self._post_schedule(body)

    def _post_schedule(self, body: Mapping[str, Any]) -> dict[str, Any]:
        try:
            return self._created("Schedules", body, ScheduleEntity, "schedule")
        except AuthenticationError as exc:
            if exc.status != 403:
                raise
            raise AuthenticationError(
                PROVIDER, f"not allowed to schedule assessment {body.get('AssessmentID')}: only administrators who "
                "own a group associated with that assessment may schedule it — make the account "
                "QUESTIONMARK_USERNAME an owner of such a group", status=403, body=exc.body) from None

    def _unique(self, body: Mapping[str, Any], group_id: int, mark: str) -> dict[str, Any]:
        """Create a group's identity-carrying schedule only if no live one holds `mark` (another apply may have
        made it since the plan). The feed cannot filter on ExternalID: one filtered read of the group's
        schedules before, and one after (two applies may both have passed the first): when another schedule
        holding the mark has a lower ID, that one wins and ours stands down (disabled, its mark revoked)."""
        if self._holders(group_id, mark):
            raise ConflictError(PROVIDER, f"schedule {body.get('Name')!r} {EXISTS_NOW}")
        created = self._post_schedule(body)
        earlier = [s for s in self._holders(group_id, mark) if s["ID"] < created["ID"]]  # assumption Q-11
        if earlier:
            self.update_schedule(created["ID"], {"Disabled": True, "ExternalID": mapping.seat_mark(mark, revoked=True)})
            raise ConflictError(PROVIDER, f"schedule {body.get('Name')!r} {EXISTS_NOW} (schedule {earlier[0]['ID']} "
                                f"was created at the same time; ours, {created['ID']}, was disabled)")
        return created

    def _holders(self, group_id: int, mark: str) -> list[dict[str, Any]]:
        """The group's schedules that are no participant's and hold exactly `mark`."""
        return [s for s in self.group_schedules(group_id)
                if s.get("ExternalID") == mark and s.get("ParticipantID") is None]

    def update_schedule(self, schedule_id: int, body: Mapping[str, Any]) -> None:
        self.send("PATCH", f"Schedules({int(schedule_id)})", body)

    def create_metadata(self, schedule_id: int, key: str, value: str) -> dict[str, Any]:
        body = {"ScheduleID": int(schedule_id), "Key": key, "Value": value}
        return self._created("ScheduleMetadata", body, MetadataEntity, "metadata")


def _identity(body: Mapping[str, Any]) -> tuple[int, str] | None:
    """(GroupID, ExternalID) of a schedule body that carries an identity: a group's own schedule (no
    participant, no parent) with an ExternalID. Seats and exception schedules are a participant's."""
    group_id, mark = body.get("GroupID"), body.get("ExternalID")
    if body.get("ParticipantID") is not None or body.get("ParentScheduleID") is not None:
        return None
    if isinstance(group_id, int) and isinstance(mark, str) and mark:
        return group_id, mark
    return None


