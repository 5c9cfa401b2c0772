"""The parts of Questionmark's answers the plan depends on, checked before they are read.

Shapes follow `schedule.rst` (its example answer lists every property a Schedule always carries), the
Participant, Group and Attempt pages, and what `$expand=ScheduleMetadata,Participant,Group` adds (assumption
Q-01). A missing or mistyped field stops the run with the call and the field named (`GET Schedules: answer
field MaxAttempts of schedule 17 is invalid`), never read as "unset". Extra fields are allowed; properties
newer tenants add (`IsDeleted`, `RulesOfConductID`, ...) may be absent but are checked when present.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any

from pydantic import AfterValidator, StringConstraints

from ...answers import Answer, M, checked
from . import mapping

PROVIDER = "questionmark"


@lru_cache(maxsize=4096)  # a listing repeats the same few windows
def _instant(text: str) -> str:
    mapping.parse_utc(text)  # raises ValueError for anything but an Edm.DateTime
    return text


Int64Text = Annotated[str, StringConstraints(pattern=r"^-?\d{1,19}$")]
"""Edm.Int64 travels as a JSON string."""
Instant = Annotated[str, AfterValidator(_instant)]


class ScheduleEntity(Answer):
    """A Schedule as a create answer or a filtered feed carries it."""

    ID: int
    ParentScheduleID: int | None
    ExternalID: str | None
    Name: str
    AssessmentID: Int64Text
    Language: str | None
    GroupID: int | None
    ParticipantID: int | None
    StartFrom: Instant | None
    StartTo: Instant | None
    ResumeTo: Instant | None
    ReportFrom: Instant | None
    ReportTo: Instant | None
    ExtraTime: int | None
    MaxAttempts: int | None
    MonitoringTypeID: int
    Hidden: bool
    Disabled: bool
    ResumeAllowed: bool
    TestCenterID: int | None
    ObserverInitiated: bool = False
    ReportTemplateName: str | None = None
    ReportedResult: str | None = None
    RulesOfConductID: int | None = None
    IsDeleted: bool = False


class MetadataEntity(Answer):
    ID: int
    Key: str
    Value: str | None


class ParticipantEntity(Answer):
    """What a candidate is read from: the login, the emails and the names."""

    ID: int
    Name: str | None
    FirstName: str | None
    LastName: str | None
    PrimaryEmail: str | None


class GroupEntity(Answer):
    ID: int
    Name: str | None


class MonitoringTypeEntity(Answer):
    """`monitoring_type.rst`: the ID and the symbolic Name a schedule's monitoring is chosen by."""

    ID: int
    Name: str | None
    Disabled: bool = False


class ActionableScheduleEntity(Answer):
    """`schedule.rst` ActionableSchedule: what one participant may do with one schedule now."""

    ScheduleID: int
    ParticipantID: int
    Actions: list[str]
    Hidden: bool = False


class AttemptEntity(Answer):
    ID: int
    ParticipantID: int
    ScheduleID: int | None


class ListedSchedule(ScheduleEntity):
    """A Schedule of the listing, with the navigation properties the listing expands."""

    ScheduleMetadata: list[MetadataEntity]
    Participant: ParticipantEntity | None
    Group: GroupEntity | None


def check(model: type[M], data: Any, call: str, kind: str = "") -> dict[str, Any]:
    """`data` when it has the shape of `model` (pydantic's validation: the one definition of valid); else an
    error naming the call, the entity and the field."""
    key = data.get("ID") if isinstance(data, dict) else None
    item = f"{kind} {key}" if kind and isinstance(key, int) and not isinstance(key, bool) else kind
    return checked(PROVIDER, model, data, call, item)
