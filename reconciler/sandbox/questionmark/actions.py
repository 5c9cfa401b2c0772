"""The emulator's participant actions (`deliveryodata/participant.rst`): `SendWelcomeEmail` and the read-only
`ActionableSchedules`.

`ActionableSchedules` answers which schedules a participant may start now: enabled, not deleted, the window
open (a null bound is open). A group schedule (no ParticipantID) is for the group's members, and a member's
exception schedule is evaluated instead of it (participant.rst, 2021.05). A participant schedule is read in
one of three ways (assumption Q-02), which `reconciler doctor --probe-access` tells apart:
- `participant` (the default, what the tool assumes): for that participant only;
- `and`: for that participant only while they are also a member of its GroupID (quirk `Q-02`);
- `or`: for that participant and for every member of its GroupID (quirk `Q-02-or`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from .store import QuestionmarkWorld

Reading = Literal["participant", "and", "or"]
COLLECTION = "$metadata#Collection(QM.DeliveryODataService.DTO.ActionableSchedule)"


def _open(schedule: Mapping[str, Any], now: datetime) -> bool:
    start, end = schedule.get("StartFrom"), schedule.get("StartTo")
    return (start is None or start <= now) and (end is None or now <= end)


def _live(schedule: Mapping[str, Any], now: datetime) -> bool:
    return schedule.get("Disabled") is not True and schedule.get("IsDeleted") is not True and _open(schedule, now)


def actionable(world: QuestionmarkWorld, participant_id: int, now: datetime,
               reading: Reading = "participant") -> list[dict[str, Any]]:
    """The ActionableSchedule entities of one participant now (`schedule.rst`: ScheduleID, Name, ParticipantID,
    ParticipantName, Hidden, AttemptsRemaining, Actions). Every schedule is returned, hidden ones too (the
    documented default before ShowHidden)."""
    participant = world.get("Participants", participant_id)
    groups = world.memberships.lefts(participant_id)
    found: list[dict[str, Any]] = []
    for schedule in world.tables["Schedules"].values():
        if schedule.get("ParentScheduleID") is not None:
            continue  # evaluated through its parent
        chosen: Mapping[str, Any] | None = None
        if schedule.get("ParticipantID") is not None:
            mine = schedule["ParticipantID"] == participant_id
            member = schedule.get("GroupID") in groups
            offered = {"participant": mine, "and": mine and (member or schedule.get("GroupID") is None),
                       "or": mine or member}[reading]
            chosen = schedule if offered else None
        elif schedule.get("GroupID") in groups:
            exceptions = [world.get("Schedules", key) for key in world.children.of(int(schedule["ID"]))]
            own = next((c for c in exceptions if c.get("ParticipantID") == participant_id), None)
            chosen = own if own is not None else schedule  # the exception is evaluated instead
        if chosen is not None and _live(chosen, now):
            found.append({"ScheduleID": chosen["ID"], "Name": chosen.get("Name"), "ParticipantID": participant_id,
                          "ParticipantName": participant.get("Name"), "Hidden": chosen.get("Hidden") is True,
                          "AttemptsRemaining": chosen.get("MaxAttempts"), "Actions": ["start"]})
    return found
