"""Emulator of the Questionmark Delivery OData API (OData v3, JSON light) for the loopback sandbox.

Serves `/deliveryodata/{customer_id}/` with HTTP Basic auth: the documented feeds the tool and `doctor` read
(Schedules, ScheduleMetadata, Participants, Groups, Attempts, MonitoringTypes, Administrators, Assessments),
`$metadata`, paging at 100 with `odata.nextLink`, `$filter` on the documented properties only, `$expand`ed
collections cut at 100 *without* a continuation link (intro.rst), 201/204 answers and `odata.error` bodies.
Nothing undocumented exists (no Upsert action for participants). Entity rules live in `store`, types in `model`.
"""

from __future__ import annotations

import base64
import hmac
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from itertools import islice
from typing import Any
from urllib.parse import quote, unquote

from ..base import AnsweredFault, PreEncoded, SandboxApp, SandboxRequest, SandboxResponse
from ..wire import record_internal_error
from .actions import COLLECTION, Reading, actionable
from .edmx import metadata_document
from .model import (
    FILTERS,
    METHODS,
    NAVIGATION_FEEDS,
    NAVIGATIONS,
    NO_ORDERBY,
    TYPES,
    filter_types,
)
from .odata import ODataError, as_utc, bad_request, equality_values, matcher, parse_filter, parse_orderby
from .qmwise import MembershipStore, QmwiseService
from .seed import DEFAULT_MONITORING_TYPES, Seeding
from .store import LISTING_EXPAND, QuestionmarkWorld

SANDBOX_USERNAME = "sandbox-user"
SANDBOX_PASSWORD = "sandbox-password"
PAGE_SIZE = 100
# intro.rst documents these ($skiptoken: our continuation links); $inlinecount is not documented there.
COLLECTION_OPTIONS = ("$filter", "$top", "$skip", "$skiptoken", "$expand", "$orderby")
_SEGMENT = re.compile(r"^([A-Za-z$][A-Za-z0-9_$]*)(?:\((.*)\))?$")
_KEY = re.compile(r"^(?:ID=)?(-?\d+)(L?)$")
# Indexed lookups for `prop eq value` filters: feed → properties answered from an index.
PARTICIPANT_ACTIONS = ("SendWelcomeEmail", "ActionableSchedules")
"""participant.rst: the bound actions the emulator serves (CheckPassword and ActionableSchedule are not used)."""
_INDEXED = {"Participants": ("ID", "Name"), "Groups": ("ID", "Name"), "Administrators": ("ID", "Name"),
            "Attempts": ("ID", "ScheduleID"), "Schedules": ("ID",), "MonitoringTypes": ("ID",),
            "Assessments": ("ID",)}


def utcnow() -> datetime:
    return datetime.now(UTC)


def _answer(error: ODataError) -> SandboxResponse:
    """The service's answer to an error: its status, the `odata.error` body and headers."""
    return SandboxResponse(error.status, error.body(), {"DataServiceVersion": "1.0;", **error.headers})


@dataclass(frozen=True)
class _Call:
    request: SandboxRequest
    root: str  # the service root URL, ending in "/"
    user: str

    @property
    def query(self) -> dict[str, str]:
        return self.request.query


def _header(request: SandboxRequest, name: str) -> str | None:
    return next((v for k, v in request.headers.items() if k.lower() == name.lower()), None)


def _int_option(query: dict[str, str], name: str) -> int | None:
    if name not in query:
        return None
    text = query[name].strip()
    if not text.isdigit():
        raise bad_request(f"{name} must be a non-negative integer, got '{query[name]}'")
    return int(text)


def _sort_key(prop: str, entity: dict[str, Any]) -> tuple[bool, Any]:
    """Nulls first (as SQL Server sorts them), strings case-insensitively."""
    value = entity.get(prop)
    return (value is not None, value.casefold() if isinstance(value, str) else value)


class _Skipped(Iterator[dict[str, Any]]):
    """A base feed's entities with `$skiptoken` and `$skip` already applied by index."""

    def __init__(self, items: Iterator[dict[str, Any]]) -> None:
        self.items = items

    def __next__(self) -> dict[str, Any]:
        return next(self.items)


class QuestionmarkApp(Seeding, SandboxApp):
    """The Questionmark Delivery OData service for one customer (area) ID."""

    name = "questionmark"

    def __init__(
        self,
        customer_id: str = "123456",
        users: dict[str, str] | None = None,
        *,
        now: Callable[[], datetime] = utcnow,
        page_size: int = PAGE_SIZE,
        legacy_tenant: bool = False,
    ) -> None:
        self.customer_id = customer_id
        self.users = dict(users) if users is not None else {SANDBOX_USERNAME: SANDBOX_PASSWORD}
        self.page_size = page_size
        self.legacy_tenant = legacy_tenant
        self.prefix = f"/deliveryodata/{customer_id}"
        self.world = QuestionmarkWorld(now, legacy=legacy_tenant, expansion_limit=page_size)
        self.welcome_emails: list[int] = []
        """Participant IDs `SendWelcomeEmail` was called for, in order (the emulator sends no mail)."""
        self.reading: Reading = "participant"
        """How ActionableSchedules reads a participant schedule (assumption Q-02; quirks Q-02, Q-02-or)."""
        for monitoring in DEFAULT_MONITORING_TYPES:  # tenant data: every tenant has monitoring types
            self.add_monitoring_type(monitoring)
        for user in self.users:
            self.add_administrator(user)  # assumption Q-07: the service account is an Administrator
        self.qmwise = QmwiseService(f"/qmwise/{customer_id}/qmwise.asmx", self.users, self._membership_store())

    def _membership_store(self) -> MembershipStore:
        """The world as QMWISe sees it (looked up per call: `load_state` replaces the world's tables)."""
        world = self.world
        return MembershipStore(
            group_exists=lambda key: key in world.tables["Groups"],
            participant_exists=lambda key: key in world.tables["Participants"],
            add=lambda group, participant: world.memberships.add(group, participant),
            discard=lambda group, participant: world.memberships.discard(group, participant),
            group=lambda key: world.get("Groups", key),
            groups_of=lambda participant: sorted(world.memberships.lefts(participant)))

    # ------------------------------------------------------------------ HTTP entry

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        if unquote(request.path) == self.qmwise.path:
            return self.qmwise.handle(request)
        try:
            user = self._authenticate(request)
            return self._route(request, user)
        except ODataError as exc:
            return _answer(exc)
        except Exception as exc:  # an emulator bug: answer like the service would, and record it
            record_internal_error(self.name, request, exc)
            return _answer(ODataError(500, f"Internal sandbox error: {type(exc).__name__}: {exc}",
                                      "InternalServerError"))

    def fault_response(self, kind: AnsweredFault, retry_after: float) -> SandboxResponse:
        """An injected fault as an `odata.error`: 503, or 429 with Retry-After (no throttling is documented;
        the reference says to back off on both)."""
        if kind == "rate_limit":
            return _answer(ODataError(429, "Too many requests; retry later.", "TooManyRequests",
                                      {"Retry-After": str(retry_after)}))
        # assumption Q-05: a 5xx answer carries an `odata.error` body as well
        return _answer(ODataError(503, "The service is temporarily unavailable.", "ServiceUnavailable"))

    def _authenticate(self, request: SandboxRequest) -> str:
        scheme, _, token = (_header(request, "Authorization") or "").partition(" ")
        if scheme.lower() == "basic":
            try:
                user, sep, password = base64.b64decode(token.strip(), validate=True).decode("utf-8").partition(":")
            except ValueError:
                user, sep, password = "", "", ""
            expected = self.users.get(user)
            if sep and expected is not None and hmac.compare_digest(expected.encode(), password.encode()):
                return user
        raise ODataError(401, "Authorization has been denied for this request.",
                         headers={"WWW-Authenticate": 'Basic realm="Questionmark"'})

    def _route(self, request: SandboxRequest, user: str) -> SandboxResponse:
        path = unquote(request.path)
        if path != self.prefix and not path.startswith(self.prefix + "/"):
            raise ODataError(404, f"No service at '{path}'; the service root is {self.prefix}/")
        for option in request.query:
            if option == "$format":
                raise bad_request("The $format query option is not supported; send Accept: application/json")
            if option == "$select":
                raise bad_request("The $select query option is not supported by the Delivery OData API")
            if option.startswith("$") and option not in COLLECTION_OPTIONS:
                raise bad_request(f"The query parameter '{option}' begins with a system-reserved '$' character "
                                  "but is not recognized.")
        call = _Call(request, f"{request.base_url}{self.prefix}/", user)
        segments = [s for s in path[len(self.prefix):].split("/") if s]
        if not segments:
            self._allow(request, ("GET",))
            return self._ok(200, {"odata.metadata": f"{call.root}$metadata",
                                  "value": [{"name": s, "url": s} for s in TYPES]})
        if segments == ["$metadata"]:
            self._allow(request, ("GET",))
            return self._ok(200, metadata_document(legacy=self.legacy_tenant), {"Content-Type": "application/xml"})
        match = _SEGMENT.match(segments[0])
        entity_set = match.group(1) if match else segments[0]
        if entity_set not in TYPES or match is None:
            raise ODataError(404, f"Resource not found for the segment '{entity_set}'.")
        if match.group(2) is None:
            return self._route_set(call, entity_set, segments[1:])
        key_match = _KEY.match(match.group(2).strip())
        int64 = TYPES[entity_set][1]["ID"].kind == "int64"
        if not key_match or bool(key_match.group(2)) != int64:  # an Edm.Int64 key needs its `L`, Int32 none
            raise bad_request(f"Bad Request - Error in query syntax: invalid key '{match.group(2)}'")
        return self._route_entity(call, entity_set, int(key_match.group(1)), segments[1:])

    def _route_set(self, call: _Call, entity_set: str, rest: list[str]) -> SandboxResponse:
        request = call.request
        if not rest:
            self._allow(request, [m for m in METHODS[entity_set] if m in ("GET", "POST")])
            if request.method == "GET":
                return self._collection(call, entity_set, self._feed_items(call, entity_set), entity_set,
                                        by_key=True)
            return self._create(call, entity_set)
        if rest == ["$count"]:  # intro.rst: on base feeds only, with $filter; assumption Q-12: the feed's number
            self._allow(request, ("GET",))
            extra = sorted(o for o in call.query if o.startswith("$") and o != "$filter")
            if extra:
                raise bad_request(f"Query option(s) {', '.join(extra)} cannot be applied to $count.")
            table = self.world.tables[entity_set]
            if "$filter" in call.query:
                keep = matcher(parse_filter(call.query["$filter"], filter_types(entity_set), entity_set))
                number = sum(1 for item in table.values() if keep(item))
            else:
                number = len(table)
            return self._ok(200, str(number).encode(), {"Content-Type": "text/plain;charset=utf-8"})
        raise ODataError(404, f"Resource not found for the segment '{rest[0]}'.")

    def _route_entity(self, call: _Call, entity_set: str, key: int, rest: list[str]) -> SandboxResponse:
        request = call.request
        if not rest:
            methods = [m for m in METHODS[entity_set] if m != "POST"]
            self._allow(request, [*methods, "MERGE"] if "PATCH" in methods else methods)
            entity = self.world.get(entity_set, key)
            if request.method == "GET":
                extra = [o for o in call.query if o.startswith("$") and o != "$expand"]
                if extra:
                    raise bad_request(f"Query option(s) {', '.join(extra)} cannot be applied to a single entity.")
                return self._ok(200, self._entity_body(call, entity_set, entity, self._expand(call, entity_set)))
            if request.method == "DELETE":
                (self.world.delete_participant if entity_set == "Participants" else self.world.delete_group)(key)
                return self._ok(204)
            body = self._json_body(request)
            if entity_set == "Schedules":
                self.world.update_schedule(key, body, call.user)
            else:
                self.world.update_participant(key, body)
            return self._ok(204)
        if len(rest) == 1 and entity_set == "Participants" and rest[0] in PARTICIPANT_ACTIONS:
            return self._action(call, key, rest[0])
        if len(rest) == 1 and (entity_set, rest[0]) in NAVIGATION_FEEDS:
            self._allow(request, ("GET",))
            target = NAVIGATIONS[(entity_set, rest[0])].target
            items = self.world.related(entity_set, rest[0], key)
            return self._collection(call, target, items, f"{entity_set}({key})/{rest[0]}", by_key=False)
        raise ODataError(404, f"Resource not found for the segment '{rest[0]}'.")

    def _action(self, call: _Call, key: int, action: str) -> SandboxResponse:
        """A bound action on a participant (participant.rst): POST with an empty JSON object."""
        self._allow(call.request, ("POST",))
        self.world.get("Participants", key)  # 404 for a participant that does not exist
        body = self._json_body(call.request)
        if not isinstance(body, dict) or body:
            raise bad_request(f"{action} takes no parameters: send {{}}")
        if action == "SendWelcomeEmail":
            self.welcome_emails.append(key)
            return self._ok(204)
        return self._ok(200, {"odata.metadata": f"{call.root}{COLLECTION}",
                              "value": actionable(self.world, key, as_utc(self.world.now()), self.reading)})

    # ------------------------------------------------------------------ building answers

    def _ok(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> SandboxResponse:
        return SandboxResponse(status, body, {"DataServiceVersion": "3.0;", **(headers or {})})

    @staticmethod
    def _allow(request: SandboxRequest, methods: Sequence[str]) -> None:
        if request.method not in methods:
            raise ODataError(405, f"The HTTP method '{request.method}' is not allowed on this resource.",
                             headers={"Allow": ", ".join(methods)})

    @staticmethod
    def _json_body(request: SandboxRequest) -> Any:
        content_type = _header(request, "Content-Type") or ""
        if content_type.split(";")[0].strip().lower() != "application/json":
            raise ODataError(415, f"Content-Type must be application/json, got '{content_type or 'none'}'")
        if not request.body:
            raise bad_request("The request body is empty")
        try:
            return json.loads(request.body.decode("utf-8"))
        except ValueError as exc:
            raise bad_request(f"The request body is not valid JSON: {exc}") from None

    def _create(self, call: _Call, entity_set: str) -> SandboxResponse:
        body = self._json_body(call.request)
        creators: dict[str, Callable[[Any], dict[str, Any]]] = {
            "Schedules": partial(self.world.create_schedule, user=call.user),
            "ScheduleMetadata": self.world.create_metadata,
            "Participants": self.world.create_participant,
            "Groups": self.world.create_group,
        }
        entity = creators[entity_set](body)
        location = f"{call.root}{entity_set}({entity['ID']})"
        return self._ok(201, self._entity_body(call, entity_set, entity, []), {"Location": location})

    def _expand(self, call: _Call, entity_set: str) -> list[str]:
        names = [n.strip() for n in call.query.get("$expand", "").split(",") if n.strip()]
        for name in names:
            if "/" in name:
                raise bad_request(f"Nested $expand '{name}' is not supported by the sandbox")
            if (entity_set, name) not in NAVIGATIONS:
                allowed = [nav for (owner, nav) in NAVIGATIONS if owner == entity_set]
                raise bad_request(f"$expand '{name}' is not supported on {entity_set}; allowed: {', '.join(allowed)}")
        return names

    def _wire(self, entity_set: str, entity: dict[str, Any], expand: Sequence[str]) -> dict[str, Any]:
        """An entity as the service sends it, with its expansions (its own copy; nested parts shared)."""
        if entity_set == "Schedules" and tuple(expand) == LISTING_EXPAND:
            return dict(self.world.listed[entity["ID"]][0])
        return self.world.expanded(entity_set, entity, expand)

    def _entity_body(self, call: _Call, entity_set: str, entity: dict[str, Any], expand: Sequence[str]) -> Any:
        return {"odata.metadata": f"{call.root}$metadata#{entity_set}/@Element",
                **self._wire(entity_set, entity, expand)}

    def _feed_items(self, call: _Call, entity_set: str) -> Iterable[dict[str, Any]]:
        """A base feed's entities in ID order: from an index when the filter pins a key, else scanned."""
        table = self.world.tables[entity_set]
        if "$filter" in call.query:
            expr = parse_filter(call.query["$filter"], filter_types(entity_set), entity_set)
            for prop in _INDEXED.get(entity_set, ()):
                values = equality_values(expr, prop)
                if values is None:
                    continue
                if prop == "ID":
                    return table.pick(v for v in values if isinstance(v, int))
                if prop == "ScheduleID":
                    return table.pick(k for v in values if isinstance(v, int) for k in self.world.attempts.of(v))
                found = [table.named(v) for v in values if isinstance(v, str)]
                return table.pick(e["ID"] for e in found if e is not None)
        if "$orderby" in call.query:
            return table.values()
        if "$filter" in call.query:
            return table.values(after=_int_option(call.query, "$skiptoken"))
        return _Skipped(table.values(after=_int_option(call.query, "$skiptoken"),
                                     skip=_int_option(call.query, "$skip") or 0))

    def _collection(
        self, call: _Call, entity_set: str, items: Iterable[dict[str, Any]], link_path: str, *, by_key: bool
    ) -> SandboxResponse:
        """One page of a feed or navigation collection; `by_key` pages with $skiptoken, else with $skip."""
        query = call.query
        expand = self._expand(call, entity_set)
        if "$filter" in query:
            items = filter(matcher(parse_filter(query["$filter"], filter_types(entity_set), entity_set)), items)
        order: list[tuple[str, bool]] = []
        if "$orderby" in query:
            if entity_set in NO_ORDERBY:
                raise bad_request(f"$orderby is not supported on {entity_set}")
            order = parse_orderby(query["$orderby"], FILTERS[entity_set], entity_set)
            ordered = list(items)
            for prop, descending in reversed(order):
                ordered.sort(key=partial(_sort_key, prop), reverse=descending)
            items = ordered
        skiptoken = _int_option(query, "$skiptoken")
        if skiptoken is not None and not isinstance(items, _Skipped):
            if order:
                raise bad_request("$skiptoken cannot be combined with $orderby here; follow odata.nextLink")
            items = (item for item in items if item["ID"] > skiptoken)
        body: dict[str, Any] = {"odata.metadata": f"{call.root}$metadata#{entity_set}"}
        skip, top = _int_option(query, "$skip") or 0, _int_option(query, "$top")
        start = 0 if isinstance(items, _Skipped) else skip  # already skipped by index
        window: Iterator[dict[str, Any]] = islice(items, start, None if top is None else start + top)
        page = list(islice(window, self.page_size + 1))
        more = len(page) > self.page_size
        page = page[: self.page_size]
        if entity_set == "Schedules" and tuple(expand) == LISTING_EXPAND:  # a plan's listing: joined from bytes
            kept = [self.world.listed[item["ID"]] for item in page]
            body = PreEncoded(body, "value", [wire for wire, _ in kept], [encoded for _, encoded in kept])
        else:
            body["value"] = [self._wire(entity_set, item, expand) for item in page]
        if more:
            params: dict[str, str] = {
                k: query[k] for k in ("$filter", "$expand", "$orderby") if k in query}
            if top is not None:
                params["$top"] = str(top - len(page))
            if by_key and not order:
                params["$skiptoken"] = str(page[-1]["ID"])
            else:
                params["$skip"] = str(skip + len(page))
            encoded = "&".join(f"{k}={quote(v, safe=chr(39) + '(),:')}" for k, v in params.items())
            body["odata.nextLink"] = f"{call.root}{link_path}?{encoded}"
        return self._ok(200, body)
