"""Entity types of the emulated Questionmark Delivery OData service: properties, filters, navigation, wire form.

Stored entities are plain dicts with Python values (aware UTC datetimes, Int64 as int); the wire form
follows the service: Int64 as a JSON string, `Created`/`Modified` with 7 fractional digits and `Z`, the
schedule window times without `Z` (still UTC). Properties, filters and navigation properties are the ones
`/tmp/qmdocs/src/deliveryodata/*.rst` documents (a subset of each type: what the tool and `doctor` read).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from typing import Any, Literal

from .odata import (
    INT32_MAX,
    INT32_MIN,
    INT64_MAX,
    INT64_MIN,
    bad_request,
    format_datetime,
    parse_datetime as _parse_datetime,
)

Kind = Literal["int32", "int64", "string", "bool", "datetime"]
EDM: dict[Kind, str] = {
    "int32": "Edm.Int32",
    "int64": "Edm.Int64",
    "string": "Edm.String",
    "bool": "Edm.Boolean",
    "datetime": "Edm.DateTime",
}


@dataclass(frozen=True)
class PropSpec:
    kind: Kind
    nullable: bool = True
    read_only: bool = False
    zulu: bool = False  # datetimes: emit with fractional seconds and Z
    newer: bool = False  # absent on legacy tenants
    write_only: bool = False  # accepted on writes, never stored: always read as null (Participant.Password)


def _p(kind: Kind, **flags: bool) -> PropSpec:
    return PropSpec(kind, **flags)


_RO_INT = _p("int32", nullable=False, read_only=True)

SCHEDULE: dict[str, PropSpec] = {
    "ID": _RO_INT,
    "ParentScheduleID": _p("int32"),
    "ExternalID": _p("string"),
    "Name": _p("string"),
    "AssessmentID": _p("int64", nullable=False),
    "Language": _p("string"),
    "GroupID": _p("int32"),
    "ParticipantID": _p("int32"),
    "StartFrom": _p("datetime"),
    "StartTo": _p("datetime"),
    "ResumeTo": _p("datetime"),
    "ReportFrom": _p("datetime"),
    "ReportTo": _p("datetime"),
    "ReportTemplateName": _p("string", newer=True),
    "ReportedResult": _p("string", newer=True),
    "ExtraTime": _p("int32"),
    "MaxAttempts": _p("int32"),
    "MonitoringTypeID": _p("int32", nullable=False),
    "ObserverInitiated": _p("bool", nullable=False),
    "ObserverID": _p("int32"),
    "Created": _p("datetime", nullable=False, read_only=True, zulu=True),
    "CreatedBy": _p("string", read_only=True),
    "Modified": _p("datetime", nullable=False, read_only=True, zulu=True),
    "ModifiedBy": _p("string", read_only=True),
    "Hidden": _p("bool", nullable=False),
    "Disabled": _p("bool", nullable=False),
    "ResumeAllowed": _p("bool", nullable=False),
    "TestCenterID": _p("int32"),
    "RulesOfConductID": _p("int32", newer=True),
    "IsDeleted": _p("bool", nullable=False, read_only=True, newer=True),  # assumption Q-08
}
REPORTED_RESULTS = ("First", "Last", "Best", "Worst")

SCHEDULE_METADATA: dict[str, PropSpec] = {
    "ID": _RO_INT,
    "ScheduleID": _p("int32", nullable=False),
    "Key": _p("string", nullable=False),
    "Value": _p("string", nullable=False),
}
METADATA_KEY_MAX, METADATA_VALUE_MAX = 200, 4000

PARTICIPANT: dict[str, PropSpec] = {
    "ID": _RO_INT,
    "Name": _p("string"),
    "FirstName": _p("string"),
    "LastName": _p("string"),
    "MiddleName": _p("string"),
    "PrimaryEmail": _p("string"),
    "SecondaryEmail": _p("string"),
    "PrimaryCountry": _p("string"),
    "OrganizationName": _p("string"),
    "Department": _p("string"),
    "Details": _p("string"),
    "PreferredLang": _p("string"),
    "SsoId": _p("string"),
    "RegistrationDateTime": _p("datetime", nullable=False, read_only=True, zulu=True),
    "Password": _p("string", write_only=True),
}
# model/g_participant.rst, Participant_Name varchar(200): unique, and none of these characters.
PARTICIPANT_NAME_MAX = 200
PARTICIPANT_NAME_ILLEGAL = "\"'&\\/,|£<>:#"

GROUP: dict[str, PropSpec] = {
    "ID": _RO_INT,
    "Name": _p("string"),
    "Description": _p("string"),
    "RootGroupID": _p("int32", nullable=False, read_only=True),
}

ATTEMPT: dict[str, PropSpec] = {
    "ID": _RO_INT,
    "AttemptListID": _p("int32"),
    "ExternalAttemptID": _p("string", nullable=False),
    "ScheduleID": _p("int32"),
    "AttemptNumber": _p("int32"),
    "ParticipantID": _p("int32", nullable=False),
    "AssessmentID": _p("int64", nullable=False),
    "Language": _p("string"),
    "MonitoringTypeID": _p("int32"),
    "LockRequired": _p("bool", nullable=False),
    "LockStatus": _p("bool", nullable=False),
    "ResultID": _p("int32"),
    "LastModifiedDateTime": _p("datetime", nullable=False, read_only=True, zulu=True),
    "Disabled": _p("bool", nullable=False, newer=True),
}

MONITORING_TYPE: dict[str, PropSpec] = {
    "ID": _RO_INT,
    "Name": _p("string"),
    "RequireQSB": _p("bool", nullable=False),
    "RequireDeviceEvents": _p("bool", nullable=False),
    "SystemCheckUrl": _p("string"),
}

ADMINISTRATOR: dict[str, PropSpec] = {
    "ID": _RO_INT,
    "Name": _p("string"),
    "FirstName": _p("string"),
    "LastName": _p("string"),
    "Department": _p("string"),
    "Email": _p("string"),
}

ASSESSMENT: dict[str, PropSpec] = {
    "ID": _p("int64", nullable=False, read_only=True),
    "Revision": _p("int32", nullable=False),
    "Name": _p("string"),
    "Language": _p("string"),
    "Description": _p("string"),
    "Author": _p("string"),
    "CreatedDateTime": _p("datetime", nullable=False, read_only=True, zulu=True),
    "Editor": _p("string"),
    "ModifiedDateTime": _p("datetime", nullable=False, read_only=True, zulu=True),
    "Base": _p("bool", nullable=False),
}

TYPES: dict[str, tuple[str, dict[str, PropSpec]]] = {
    "Schedules": ("Schedule", SCHEDULE),
    "ScheduleMetadata": ("ScheduleMetadata", SCHEDULE_METADATA),
    "Participants": ("Participant", PARTICIPANT),
    "Groups": ("Group", GROUP),
    "Attempts": ("Attempt", ATTEMPT),
    "MonitoringTypes": ("MonitoringType", MONITORING_TYPE),
    "Administrators": ("Administrator", ADMINISTRATOR),
    "Assessments": ("Assessment", ASSESSMENT),
}

# Filterable properties per feed, as each feed's `:filter` list documents them. ScheduleMetadata lists none.
FILTERS: dict[str, tuple[str, ...]] = {
    "Schedules": ("ID", "ParticipantID", "GroupID", "StartFrom", "StartTo", "MonitoringTypeID", "TestCenterID"),
    "ScheduleMetadata": (),
    "Participants": ("ID", "Name"),
    "Groups": ("ID", "Name", "RootGroupID"),
    "Attempts": ("ID", "ExternalAttemptID", "ScheduleID", "AttemptListID"),
    "MonitoringTypes": ("ID", "Name"),
    "Administrators": ("ID", "Name"),
    "Assessments": ("ID", "Name"),
}
# Feeds whose page says "$orderby is *not* supported".
NO_ORDERBY = frozenset({"Schedules", "Attempts", "MonitoringTypes"})
# HTTP methods per feed (`:method` lists); the entity URL takes the feed's PATCH/DELETE, the feed URL its POST.
METHODS: dict[str, tuple[str, ...]] = {
    "Schedules": ("GET", "POST", "PATCH"),
    "ScheduleMetadata": ("GET", "POST"),
    "Participants": ("GET", "POST", "PATCH", "DELETE"),
    "Groups": ("GET", "POST", "DELETE"),
    "Attempts": ("GET",),
    "MonitoringTypes": ("GET",),
    "Administrators": ("GET",),
    "Assessments": ("GET",),
}


@dataclass(frozen=True)
class Nav:
    """A navigation property: its target feed, and whether it is a collection."""

    target: str
    many: bool = True


# (entity set, navigation property) → Nav. Every one may be `$expand`ed (depth 1).
NAVIGATIONS: dict[tuple[str, str], Nav] = {
    # the Schedules feed lists no `:expand`; these are Schedule's navigation properties.
    ("Schedules", "ScheduleMetadata"): Nav("ScheduleMetadata"),  # assumption Q-01
    ("Schedules", "Participant"): Nav("Participants", many=False),  # assumption Q-01
    ("Schedules", "Group"): Nav("Groups", many=False),
    ("Schedules", "ParentSchedule"): Nav("Schedules", many=False),
    ("Schedules", "ExceptionSchedules"): Nav("Schedules"),
    ("Schedules", "Attempts"): Nav("Attempts"),
    ("Schedules", "MonitoringType"): Nav("MonitoringTypes", many=False),
    ("Participants", "Groups"): Nav("Groups"),
    ("Groups", "Participants"): Nav("Participants"),
    ("Groups", "Administrators"): Nav("Administrators"),
    ("Groups", "SchedulableAssessments"): Nav("Assessments"),
    ("Administrators", "Groups"): Nav("Groups"),
    ("Assessments", "Groups"): Nav("Groups"),
}
# Collection navigation properties that are also served as feeds `Set(id)/Nav`, paged with `odata.nextLink`.
NAVIGATION_FEEDS = frozenset({
    ("Groups", "Participants"),  # assumption Q-04
    ("Groups", "SchedulableAssessments"),  # sdelivery.rst: `Administrators(id)/Groups?$expand=...`
    ("Administrators", "Groups"),  # sdelivery.rst: `GET Administrators(12345)/Groups`
    ("Schedules", "ScheduleMetadata"),  # assumption Q-09
})


def filter_types(entity_set: str) -> dict[str, str]:
    """Filterable property → Edm type name for a feed."""
    props = TYPES[entity_set][1]
    return {name: EDM[props[name].kind] for name in FILTERS[entity_set]}


_INT64_TEXT = re.compile(r"^-?\d{1,19}$")


def coerce(type_name: str, name: str, spec: PropSpec, raw: Any) -> Any:
    """Check one written JSON value against its Edm type and return the stored Python value."""
    if raw is None:
        if not spec.nullable:
            raise bad_request(f"Property '{name}' of '{type_name}' cannot be null")
        return None
    if spec.kind == "int32":
        if isinstance(raw, bool) or not isinstance(raw, int) or not INT32_MIN <= raw <= INT32_MAX:
            raise bad_request(f"Property '{name}' must be an Edm.Int32 (a JSON number), got {raw!r}")
        return raw
    if spec.kind == "int64":
        if not isinstance(raw, str) or not _INT64_TEXT.match(raw) or not INT64_MIN <= int(raw) <= INT64_MAX:
            raise bad_request(
                f"Property '{name}' is an Edm.Int64 and must be sent as a JSON string "
                f'(e.g. "65433000065433"), got {raw!r}'
            )
        return int(raw)
    if spec.kind == "bool":
        if not isinstance(raw, bool):
            raise bad_request(f"Property '{name}' must be an Edm.Boolean (true/false), got {raw!r}")
        return raw
    if not isinstance(raw, str):
        raise bad_request(f"Property '{name}' must be a JSON string, got {raw!r}")
    return _parse_datetime(raw) if spec.kind == "datetime" else raw


def read_body(entity_set: str, body: Any, *, legacy: bool) -> dict[str, Any]:
    """Validate a POST/PATCH body: known properties only, right types; read-only ones are dropped."""
    type_name, props = TYPES[entity_set]
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object")
    values: dict[str, Any] = {}
    for key, raw in body.items():
        if key.startswith("odata.") or "@odata." in key:
            continue  # annotations a client may echo back
        spec = props.get(key)
        if spec is None or (legacy and spec.newer):
            raise bad_request(
                f"The property '{key}' does not exist on type '{type_name}'. "
                "Make sure to only use property names that are defined by the type."
            )
        if spec.read_only:
            continue  # ignored, whatever the value (ID, Created, Modified, CreatedBy, ...)
        value = coerce(type_name, key, spec, raw)
        if not spec.write_only:
            values[key] = value
    return values


def blank(entity_set: str) -> dict[str, Any]:
    """A new entity: every stored property null."""
    return {name: None for name, spec in TYPES[entity_set][1].items() if not spec.write_only}


def to_wire(entity_set: str, entity: Mapping[str, Any], *, legacy: bool) -> dict[str, Any]:
    """The JSON form of a stored entity, properties in the service's order."""
    names, int64s, instants = _wire_plan(entity_set, legacy)
    wire = dict(zip(names, map(entity.get, names), strict=True))
    for name in int64s:
        if wire[name] is not None:
            wire[name] = str(wire[name])
    for name, zulu in instants:
        if isinstance(wire[name], datetime):
            wire[name] = _datetime_text(wire[name], zulu)
    return wire


@cache
def _wire_plan(entity_set: str, legacy: bool) -> tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[str, bool], ...]]:
    """The property names an entity set sends (in the service's order), its Int64 ones, and its datetime ones
    with their form (zulu or not)."""
    specs = [(name, spec) for name, spec in TYPES[entity_set][1].items()
             if not (legacy and spec.newer)]  # a write-only property reads as null (participant.rst, Password)
    return (tuple(name for name, _ in specs), tuple(name for name, spec in specs if spec.kind == "int64"),
            tuple((name, bool(spec.zulu)) for name, spec in specs if spec.kind == "datetime"))


@lru_cache(maxsize=1 << 16)
def _datetime_text(value: datetime, zulu: bool) -> str:
    """`format_datetime`, remembered: many entities share their instants (a schedule's window, a seeding)."""
    return format_datetime(value, zulu=zulu)


def to_state(entity: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON-able copy for persistence (datetimes in ISO form with offset)."""
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in entity.items()}


def from_state(entity_set: str, data: Mapping[str, Any]) -> dict[str, Any]:
    props = TYPES[entity_set][1]
    return {
        k: datetime.fromisoformat(v) if isinstance(v, str) and k in props and props[k].kind == "datetime" else v
        for k, v in data.items()
    }
