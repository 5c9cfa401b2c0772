"""Emulator of the Questionmark Delivery OData API (OData v3, JSON light) for the loopback sandbox.

Serves `/deliveryodata/{customer_id}/` with HTTP Basic auth: the Schedules, ScheduleMetadata, Participants
and Groups feeds, paging at 100 with `odata.nextLink`, `$filter` on the documented properties only,
`$expand` cut at 100, 201/204 answers and `odata.error` bodies. Entity rules live in `qm_store`, types and
wire formats in `qm_model`, the `$filter` parser in `qm_odata`.
"""

from __future__ import annotations

import base64
import hmac
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any
from urllib.parse import quote, unquote

from reconciler.sandbox.base import SandboxApp, SandboxRequest, SandboxResponse
from reconciler.sandbox.qm_model import FILTERS, TYPES, filter_types, to_wire
from reconciler.sandbox.qm_odata import (
    ODataError,
    bad_request,
    compile_filter,
    format_datetime,
    parse_orderby,
)
from reconciler.sandbox.qm_store import QuestionmarkWorld

SANDBOX_USERNAME = "sandbox-user"
SANDBOX_PASSWORD = "sandbox-password"
PAGE_SIZE = 100

# (entity set, navigation property) → target entity set; these are also the allowed $expand values.
NAVIGATIONS: dict[tuple[str, str], str] = {
    ("Schedules", "ScheduleMetadata"): "ScheduleMetadata",
    ("Schedules", "ExceptionSchedules"): "Schedules",
    ("Participants", "Groups"): "Groups",
    ("Groups", "Participants"): "Participants",
}
FEED_METHODS = ("GET", "POST")
ENTITY_METHODS: dict[str, tuple[str, ...]] = {
    "Schedules": ("GET", "PATCH", "MERGE"),
    "ScheduleMetadata": ("GET",),
    "Participants": ("GET", "PATCH", "MERGE", "DELETE"),
    "Groups": ("GET", "DELETE"),
}
COLLECTION_OPTIONS = ("$filter", "$top", "$skip", "$skiptoken", "$expand", "$orderby", "$inlinecount")
_SEGMENT = re.compile(r"^([A-Za-z$][A-Za-z0-9_$]*)(?:\((.*)\))?$")
_KEY = re.compile(r"^(?:ID=)?(-?\d+)$")


def utcnow() -> datetime:
    return datetime.now(UTC)


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


class QuestionmarkApp(SandboxApp):
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
        replace_groups_supported: bool = False,
    ) -> None:
        self.customer_id = customer_id
        self.users = dict(users) if users is not None else {SANDBOX_USERNAME: SANDBOX_PASSWORD}
        self.page_size = page_size
        self.legacy_tenant = legacy_tenant
        self.prefix = f"/deliveryodata/{customer_id}"
        self.world = QuestionmarkWorld(now, legacy=legacy_tenant, replace_groups_supported=replace_groups_supported)

    # ------------------------------------------------------------------ HTTP entry

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        try:
            user = self._authenticate(request)
            return self._route(request, user)
        except ODataError as exc:
            return SandboxResponse(exc.status, exc.body(), {"DataServiceVersion": "1.0;", **exc.headers})
        except Exception as exc:  # an emulator bug: answer like the service would, not by dropping the line
            error = ODataError(500, f"Internal sandbox error: {type(exc).__name__}: {exc}", "InternalServerError")
            return SandboxResponse(500, error.body(), {"DataServiceVersion": "1.0;"})

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
        raise ODataError(
            401,
            "Authorization has been denied for this request.",
            headers={"WWW-Authenticate": 'Basic realm="Questionmark"'},
        )

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
                raise bad_request(
                    f"The query parameter '{option}' begins with a system-reserved '$' character but is not recognized."
                )
        call = _Call(request, f"{request.base_url}{self.prefix}/", user)
        segments = [s for s in path[len(self.prefix) :].split("/") if s]
        if not segments:
            self._allow(request, ("GET",))
            body = {
                "odata.metadata": f"{call.root}$metadata",
                "value": [{"name": s, "url": s} for s in TYPES],
            }
            return self._ok(200, body)
        match = _SEGMENT.match(segments[0])
        entity_set = match.group(1) if match else segments[0]
        if entity_set not in TYPES or match is None:
            raise ODataError(404, f"Resource not found for the segment '{entity_set}'.")
        if match.group(2) is None:
            return self._route_set(call, entity_set, segments[1:])
        key_match = _KEY.match(match.group(2).strip())
        if not key_match:
            raise bad_request(f"Bad Request - Error in query syntax: invalid key '{match.group(2)}'")
        return self._route_entity(call, entity_set, int(key_match.group(1)), segments[1:])

    def _route_set(self, call: _Call, entity_set: str, rest: list[str]) -> SandboxResponse:
        request = call.request
        if not rest:
            self._allow(request, FEED_METHODS)
            if request.method == "GET":
                return self._collection(call, entity_set, self.world.all(entity_set), entity_set, by_key=True)
            return self._create(call, entity_set)
        if rest == ["$count"]:
            self._allow(request, ("GET",))
            items = self.world.all(entity_set)
            if "$filter" in call.query:
                keep = compile_filter(call.query["$filter"], filter_types(entity_set), entity_set)
                items = [item for item in items if keep(item)]
            return self._ok(200, len(items))
        if entity_set == "Participants" and rest == ["Upsert"]:
            self._allow(request, ("POST",))
            participant = self.world.upsert_participant(self._json_body(request))
            return self._ok(200, self._entity_body(call, "Participants", participant, []))
        raise ODataError(404, f"Resource not found for the segment '{rest[0]}'.")

    def _route_entity(self, call: _Call, entity_set: str, key: int, rest: list[str]) -> SandboxResponse:
        request = call.request
        if not rest:
            self._allow(request, ENTITY_METHODS[entity_set])
            entity = self.world.get(entity_set, key)
            if request.method == "GET":
                extra = [o for o in call.query if o.startswith("$") and o != "$expand"]
                if extra:
                    raise bad_request(f"Query option(s) {', '.join(extra)} cannot be applied to a single entity.")
                return self._ok(200, self._entity_body(call, entity_set, entity, self._expand(call, entity_set)))
            if request.method == "DELETE":
                if entity_set == "Participants":
                    self.world.delete_participant(key)
                else:
                    self.world.delete_group(key)
                return self._ok(204)
            body = self._json_body(request)
            if entity_set == "Schedules":
                self.world.update_schedule(key, body, call.user)
            else:
                self.world.update_participant(key, body)
            return self._ok(204)
        if len(rest) == 1 and (entity_set, rest[0]) in NAVIGATIONS:
            self._allow(request, ("GET",))
            self.world.get(entity_set, key)
            target = NAVIGATIONS[(entity_set, rest[0])]
            items = self._related(entity_set, rest[0], key)
            return self._collection(call, target, items, f"{entity_set}({key})/{rest[0]}", by_key=False)
        raise ODataError(404, f"Resource not found for the segment '{rest[0]}'.")

    # ------------------------------------------------------------------ building answers

    def _ok(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> SandboxResponse:
        return SandboxResponse(status, body, {"DataServiceVersion": "3.0;", **(headers or {})})

    @staticmethod
    def _allow(request: SandboxRequest, methods: Sequence[str]) -> None:
        if request.method not in methods:
            raise ODataError(
                405,
                f"The HTTP method '{request.method}' is not allowed on this resource.",
                headers={"Allow": ", ".join(methods)},
            )

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
        if entity_set == "Schedules":
            entity = self.world.create_schedule(body, call.user)
        elif entity_set == "ScheduleMetadata":
            entity = self.world.create_metadata(body)
        elif entity_set == "Participants":
            entity = self.world.create_participant(body)
        else:
            entity = self.world.create_group(body)
        location = f"{call.root}{entity_set}({entity['ID']})"
        return self._ok(201, self._entity_body(call, entity_set, entity, []), {"Location": location})

    def _related(self, entity_set: str, nav: str, key: int) -> list[dict[str, Any]]:
        if nav == "ScheduleMetadata":
            return self.world.schedule_metadata(key)
        if nav == "ExceptionSchedules":
            return self.world.exception_schedules(key)
        if entity_set == "Participants":
            return self.world.participant_groups(key)
        return self.world.group_participants(key)

    def _expand(self, call: _Call, entity_set: str) -> list[str]:
        text = call.query.get("$expand", "")
        names = [n.strip() for n in text.split(",") if n.strip()]
        for name in names:
            if "/" in name:
                raise bad_request(f"Nested $expand '{name}' is not supported by the sandbox")
            if (entity_set, name) not in NAVIGATIONS:
                allowed = [nav for (owner, nav) in NAVIGATIONS if owner == entity_set]
                raise bad_request(f"$expand '{name}' is not supported on {entity_set}; allowed: {', '.join(allowed)}")
        return names

    def _wire(self, call: _Call, entity_set: str, entity: dict[str, Any], expand: Iterable[str]) -> dict[str, Any]:
        wire = to_wire(entity_set, entity, legacy=self.legacy_tenant)
        for nav in expand:
            target = NAVIGATIONS[(entity_set, nav)]
            related = self._related(entity_set, nav, entity["ID"])
            wire[nav] = [to_wire(target, r, legacy=self.legacy_tenant) for r in related[: self.page_size]]
            if len(related) > self.page_size:
                link = f"{call.root}{entity_set}({entity['ID']})/{nav}?$skip={self.page_size}"
                wire[f"{nav}@odata.nextLink"] = link
        return wire

    def _entity_body(self, call: _Call, entity_set: str, entity: dict[str, Any], expand: Iterable[str]) -> Any:
        return {
            "odata.metadata": f"{call.root}$metadata#{entity_set}/@Element",
            **self._wire(call, entity_set, entity, expand),
        }

    def _collection(
        self, call: _Call, entity_set: str, items: list[dict[str, Any]], link_path: str, *, by_key: bool
    ) -> SandboxResponse:
        """One page of a feed or navigation collection; `by_key` pages with $skiptoken, else with $skip."""
        query = call.query
        expand = self._expand(call, entity_set)
        if "$filter" in query:
            keep = compile_filter(query["$filter"], filter_types(entity_set), entity_set)
            items = [item for item in items if keep(item)]
        order: list[tuple[str, bool]] = []
        if "$orderby" in query:
            if entity_set == "Schedules":
                raise bad_request("$orderby is not supported on Schedules")
            order = parse_orderby(query["$orderby"], FILTERS[entity_set], entity_set)
            for prop, descending in reversed(order):
                items = sorted(items, key=partial(_sort_key, prop), reverse=descending)
        count = len(items)
        skiptoken = _int_option(query, "$skiptoken")
        if skiptoken is not None:
            if order:
                raise bad_request("$skiptoken cannot be combined with $orderby here; follow odata.nextLink")
            items = [item for item in items if item["ID"] > skiptoken]
        skip, top = _int_option(query, "$skip") or 0, _int_option(query, "$top")
        window = items[skip:] if top is None else items[skip : skip + top]
        page = window[: self.page_size]
        body: dict[str, Any] = {"odata.metadata": f"{call.root}$metadata#{entity_set}"}
        inlinecount = query.get("$inlinecount")
        if inlinecount not in (None, "none", "allpages"):
            raise bad_request("$inlinecount must be 'allpages' or 'none'")
        if inlinecount == "allpages":
            body["odata.count"] = str(count)
        body["value"] = [self._wire(call, entity_set, item, expand) for item in page]
        if len(window) > len(page):
            params: dict[str, str] = {
                k: query[k] for k in ("$filter", "$expand", "$orderby", "$inlinecount") if k in query
            }
            if top is not None:
                params["$top"] = str(top - len(page))
            if by_key and not order:
                params["$skiptoken"] = str(page[-1]["ID"])
            else:
                params["$skip"] = str(skip + len(page))
            encoded = "&".join(f"{k}={quote(v, safe=chr(39) + '(),:')}" for k, v in params.items())
            body["odata.nextLink"] = f"{call.root}{link_path}?{encoded}"
        return self._ok(200, body)

    # ------------------------------------------------------------------ seeding and inspection helpers

    def add_group(self, name: str, description: str | None = None) -> int:
        """Create a root group; raises ValueError (ODataError) like a 400 would."""
        return int(self.world.create_group({"Name": name, "Description": description})["ID"])

    def add_participant(
        self, name: str, email: str | None = None, groups: Iterable[int | str] = (), **props: Any
    ) -> int:
        """Create a participant (extra wire properties in `props`), member of groups given by ID or name."""
        group_ids = []
        for group in groups:
            found = self.world.get("Groups", group) if isinstance(group, int) else self.world.find("Groups", group)
            if found is None:
                raise bad_request(f"No Group named '{group}'")
            group_ids.append(found["ID"])
        participant = self.world.create_participant({"Name": name, "PrimaryEmail": email, **props})
        self.world.memberships.update((g, participant["ID"]) for g in group_ids)
        return int(participant["ID"])

    def add_schedule(self, **props: Any) -> int:
        """Create a schedule with the POST rules; datetimes and an int AssessmentID become wire form."""
        body = {k: format_datetime(v, zulu=True) if isinstance(v, datetime) else v for k, v in props.items()}
        if isinstance(body.get("AssessmentID"), int):
            body["AssessmentID"] = str(body["AssessmentID"])
        return int(self.world.create_schedule(body, SANDBOX_USERNAME)["ID"])

    def add_metadata(self, schedule_id: int, key: str, value: str) -> int:
        return int(self.world.create_metadata({"ScheduleID": schedule_id, "Key": key, "Value": value})["ID"])

    def soft_delete(self, schedule_id: int) -> None:
        """Mark a schedule IsDeleted (as the vendor does); it stays in every listing."""
        self.world.soft_delete(schedule_id)

    def group_members(self, group_id: int) -> list[str]:
        """Names of the group's participants, sorted."""
        self.world.get("Groups", group_id)
        return sorted(p["Name"] for p in self.world.group_participants(group_id))

    def schedule(self, schedule_id: int) -> dict[str, Any]:
        """The schedule as GET would return it (without odata.metadata)."""
        return to_wire("Schedules", self.world.get("Schedules", schedule_id), legacy=self.legacy_tenant)

    def participant(self, participant_id: int) -> dict[str, Any]:
        return to_wire("Participants", self.world.get("Participants", participant_id), legacy=self.legacy_tenant)

    def find_participant(self, name: str) -> int | None:
        found = self.world.find("Participants", name)
        return None if found is None else int(found["ID"])

    def find_group(self, name: str) -> int | None:
        found = self.world.find("Groups", name)
        return None if found is None else int(found["ID"])

    def dump_state(self) -> dict[str, Any]:
        return self.world.dump()

    def load_state(self, state: dict[str, Any]) -> None:
        self.world.load(state)
