"""The emulated Questionmark repository: its feeds, relations and write rules (no HTTP here).

Every write goes through here and is validated the way the documents say the service does; errors are
`ODataError`s (a `ValueError`), so the seeding helpers raise the same messages a client would see.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from .model import (
    METADATA_KEY_MAX,
    METADATA_VALUE_MAX,
    NAVIGATIONS,
    PARTICIPANT_NAME_ILLEGAL,
    PARTICIPANT_NAME_MAX,
    REPORTED_RESULTS,
    TYPES,
    blank,
    from_state,
    read_body,
    to_state,
    to_wire,
)
from .odata import ODataError, as_utc, bad_request
from .tables import ForeignKey, Links, Table

# Distinct ID ranges per entity set, so a client that mixes up IDs gets a 404 instead of a wrong entity.
FIRST_IDS = {"Schedules": 11601, "ScheduleMetadata": 70001, "Participants": 40001, "Groups": 8320001,
             "Attempts": 17801, "MonitoringTypes": 1, "Administrators": 12301, "Assessments": 1}
EXTERNAL_ID_MAX = 64  # assumption Q-03
LINKS = ("memberships", "owners", "schedulable")  # (group, participant), (administrator, group), (group, assessment)
LISTING_EXPAND = ("ScheduleMetadata", "Participant", "Group")
"""The expansion every plan lists Schedules with (assumption Q-01): each schedule's answer in it is kept, encoded."""


class QuestionmarkWorld:
    """State, indexes and write rules."""

    def __init__(self, now: Callable[[], datetime], *, legacy: bool, expansion_limit: int = 100) -> None:
        self.now = now
        self.legacy = legacy
        self.expansion_limit = expansion_limit
        """intro.rst: an expanded collection is cut at this many (the page size), without a continuation link."""
        self.version = 0
        """Moves on every write: what was built from the entities before (cached wire forms) is stale."""
        self._reset()

    def _reset(self) -> None:
        self.version += 1
        unique = {"Participants", "Groups", "Administrators"}
        self.tables = {name: Table(unique_name=name in unique) for name in TYPES}
        self.wires: dict[str, dict[int, dict[str, Any]]] = {name: {} for name in TYPES}
        self.next_ids = dict(FIRST_IDS)
        self.memberships, self.owners, self.schedulable = Links(), Links(), Links()
        self.children = ForeignKey("ParentScheduleID")
        self.metadata = ForeignKey("ScheduleID")
        self.attempts = ForeignKey("ScheduleID")
        self.seated = ForeignKey("ParticipantID")  # schedules by participant and by group: whose listing
        self.grouped = ForeignKey("GroupID")  # answer a participant's or a group's change reaches
        self.listed: dict[int, tuple[dict[str, Any], bytes]] = {}
        """Schedule ID → its answer in the listing expansion and that answer's JSON bytes, rebuilt on each write
        that changes it (a plan reads the whole listing; its pages are joined from these)."""

    # ------------------------------------------------------------------ basics

    def get(self, entity_set: str, key: int) -> dict[str, Any]:
        entity = self.tables[entity_set].get(key)
        if entity is None:
            raise ODataError(404, f"Resource not found for the segment '{entity_set}({key})'.")
        return entity

    def wire(self, entity_set: str, entity: Mapping[str, Any]) -> dict[str, Any]:
        """The entity's JSON form, kept from its last write (shared: copy it before changing it)."""
        wire = self.wires[entity_set].get(entity["ID"])
        if wire is None:
            wire = self.wires[entity_set][entity["ID"]] = to_wire(entity_set, entity, legacy=self.legacy)
        return wire

    def _rewire(self, entity_set: str, entity: Mapping[str, Any]) -> None:
        """After a write: the entity's JSON form, and the listing answers of the schedules it shows in."""
        self.wires[entity_set][entity["ID"]] = to_wire(entity_set, entity, legacy=self.legacy)
        self._relist(entity_set, entity["ID"], entity)

    def _relist(self, entity_set: str, key: int, entity: Mapping[str, Any]) -> None:
        """Rebuild the kept listing answers of the schedules an entity of `entity_set` shows in."""
        if entity_set == "Schedules":
            keys: Iterable[int] = [key]
        elif entity_set == "ScheduleMetadata":
            keys = [entity["ScheduleID"]] if isinstance(entity.get("ScheduleID"), int) else []
        elif entity_set in ("Participants", "Groups"):
            keys = list((self.seated if entity_set == "Participants" else self.grouped).of(key))
        else:
            return
        for schedule_id in keys:
            schedule = self.tables["Schedules"].get(schedule_id)
            if schedule is None:
                self.listed.pop(schedule_id, None)
                continue
            wire = self.expanded("Schedules", schedule, LISTING_EXPAND)
            self.listed[schedule_id] = (wire, json.dumps(wire).encode())  # assumption Q-13: one order

    def expanded(self, entity_set: str, entity: Mapping[str, Any], expand: Iterable[str]) -> dict[str, Any]:
        """The entity's JSON form with navigation properties expanded (its own copy; nested parts shared)."""
        wire = dict(self.wire(entity_set, entity))
        for nav in expand:
            link = NAVIGATIONS[(entity_set, nav)]
            related = self.related(entity_set, nav, entity["ID"])
            items = [self.wire(link.target, r) for r in related[: self.expansion_limit]]
            wire[nav] = items if link.many else (items[0] if items else None)
        return wire

    def find(self, entity_set: str, name: str) -> dict[str, Any] | None:
        """The participant, group or administrator with this Name (case-insensitive)."""
        return self.tables[entity_set].named(name)

    def _insert(self, entity_set: str, entity: dict[str, Any]) -> dict[str, Any]:
        self.version += 1
        if entity.get("ID") is None:
            entity["ID"] = self.next_ids[entity_set]  # assumption Q-11: a later entity has a higher ID
        self.next_ids[entity_set] = max(self.next_ids[entity_set], entity["ID"] + 1)
        self.tables[entity_set].insert(entity)
        for index, feed in ((self.children, "Schedules"), (self.seated, "Schedules"), (self.grouped, "Schedules"),
                            (self.metadata, "ScheduleMetadata"), (self.attempts, "Attempts")):
            if feed == entity_set:
                index.add(entity)
        self._rewire(entity_set, entity)
        return entity

    def _read(self, entity_set: str, body: Any) -> dict[str, Any]:
        return read_body(entity_set, body, legacy=self.legacy)

    def _stamp(self, previous: datetime | None = None) -> datetime:
        """Now in UTC; strictly after `previous` so every change moves `Modified` even on a frozen clock."""
        now = as_utc(self.now())
        if previous is not None and now <= previous:
            now = previous + timedelta(microseconds=1)
        return now

    def related(self, entity_set: str, nav: str, key: int) -> list[dict[str, Any]]:
        """The entities a navigation property of one entity leads to, in ID order."""
        target = NAVIGATIONS[(entity_set, nav)].target
        entity = self.get(entity_set, key)
        single = {"Participant": "ParticipantID", "Group": "GroupID", "ParentSchedule": "ParentScheduleID",
                  "MonitoringType": "MonitoringTypeID"}
        if nav in single:
            ref = entity.get(single[nav])
            return self.tables[target].pick([ref] if isinstance(ref, int) else [])
        by_fk = {("Schedules", "ScheduleMetadata"): self.metadata, ("Schedules", "ExceptionSchedules"): self.children,
                 ("Schedules", "Attempts"): self.attempts}
        links = {("Participants", "Groups"): (self.memberships, False),
                 ("Groups", "Participants"): (self.memberships, True),
                 ("Groups", "Administrators"): (self.owners, False), ("Administrators", "Groups"): (self.owners, True),
                 ("Groups", "SchedulableAssessments"): (self.schedulable, True),
                 ("Assessments", "Groups"): (self.schedulable, False)}
        if (entity_set, nav) in by_fk:
            keys: Iterable[int] = by_fk[(entity_set, nav)].of(key)
        else:
            relation, forward = links[(entity_set, nav)]
            keys = relation.rights(key) if forward else relation.lefts(key)
        return self.tables[target].pick(keys)

    # ------------------------------------------------------------------ schedules

    def create_schedule(self, body: Any, user: str | None) -> dict[str, Any]:
        """POST Schedules. `user` None: made outside the API (a seeding helper), no permission check."""
        values = self._read("Schedules", body)
        for required in ("Name", "AssessmentID", "MonitoringTypeID"):
            if values.get(required) in (None, ""):
                raise bad_request(f"Property '{required}' is required when creating a Schedule")
        entity = blank("Schedules")
        entity.update(Disabled=False, ResumeAllowed=False, ObserverInitiated=False, Hidden=False, IsDeleted=False)
        entity.update(values)
        self._check_schedule(entity, None)
        if user is not None:
            self._check_permission(user, entity["AssessmentID"])
        stamp = self._stamp()
        entity.update(Created=stamp, Modified=stamp, CreatedBy=user, ModifiedBy=user)
        return self._insert("Schedules", entity)

    def update_schedule(self, key: int, body: Any, user: str | None) -> None:
        self.version += 1
        current = self.get("Schedules", key)
        values = self._read("Schedules", body)
        if "AssessmentID" in values and values["AssessmentID"] != current["AssessmentID"]:
            raise bad_request("Property 'AssessmentID' of a Schedule cannot be changed")
        if "Name" in values and not values["Name"]:
            raise bad_request("Property 'Name' of a Schedule cannot be empty")
        self._check_schedule({**current, **values}, key)
        indexes = (self.children, self.seated, self.grouped)
        for index in indexes:
            index.remove(current)
        current.update(values)
        for index in indexes:
            index.add(current)
        current.update(Modified=self._stamp(current["Modified"]), ModifiedBy=user)
        self._rewire("Schedules", current)

    def soft_delete(self, key: int) -> None:
        self.version += 1
        current = self.get("Schedules", key)
        current.update(IsDeleted=True, Modified=self._stamp(current["Modified"]))
        self._rewire("Schedules", current)

    def _check_schedule(self, entity: Mapping[str, Any], key: int | None) -> None:
        tables = self.tables
        group_id, participant_id, parent_id = entity["GroupID"], entity["ParticipantID"], entity["ParentScheduleID"]
        # A schedule with a ParticipantID is that participant's alone; its GroupID (reporting, permissions)
        # needs no membership (assumption Q-02).
        if group_id is None and participant_id is None:
            raise bad_request("A Schedule must have a GroupID or a ParticipantID")
        for prop, feed in (("GroupID", "Groups"), ("ParticipantID", "Participants"),
                           ("MonitoringTypeID", "MonitoringTypes"), ("AssessmentID", "Assessments")):
            if entity[prop] is not None and entity[prop] not in tables[feed]:
                raise bad_request(f"{prop} {entity[prop]} does not refer to an existing {TYPES[feed][0]}")
        if entity["ReportedResult"] is not None and entity["ReportedResult"] not in REPORTED_RESULTS:
            raise bad_request(f"ReportedResult must be one of {', '.join(REPORTED_RESULTS)}")
        if entity["ExternalID"] is not None and len(entity["ExternalID"]) > EXTERNAL_ID_MAX:  # assumption Q-03
            raise bad_request(f"ExternalID must be at most {EXTERNAL_ID_MAX} characters")
        if parent_id is not None:  # an exception to a group schedule for one member (assumption Q-06)
            parent = tables["Schedules"].get(parent_id)
            if parent is None or parent_id == key:
                raise bad_request(f"ParentScheduleID {parent_id} does not refer to an existing Schedule")
            if parent["ParticipantID"] is not None or parent["GroupID"] is None:
                raise bad_request(f"ParentScheduleID {parent_id} must refer to a group schedule (no ParticipantID)")
            if participant_id is None:
                raise bad_request("An exception schedule (with ParentScheduleID) requires a ParticipantID")
        if key is not None and participant_id is not None and self.children.of(key):
            raise bad_request(f"Schedule {key} has exception schedules and must stay a group schedule")

    def _check_permission(self, user: str, assessment_id: int) -> None:
        """sdelivery.rst, Scheduling Permissions: only owners of a group associated with the assessment."""
        admin = self.find("Administrators", user)  # assumption Q-07
        owned = self.owners.rights(admin["ID"]) if admin else set()
        if not owned & self.schedulable.lefts(assessment_id):
            raise ODataError(403, f"Administrator '{user}' may not schedule assessment {assessment_id}: only "
                                  "administrators who own a group associated with the assessment may schedule it")

    # ------------------------------------------------------------------ schedule metadata

    def create_metadata(self, body: Any) -> dict[str, Any]:
        values = self._read("ScheduleMetadata", body)
        for required in ("ScheduleID", "Key", "Value"):
            if values.get(required) is None:
                raise bad_request(f"Property '{required}' is required when creating ScheduleMetadata")
        if values["ScheduleID"] not in self.tables["Schedules"]:
            raise bad_request(f"ScheduleID {values['ScheduleID']} does not refer to an existing Schedule")
        if not values["Key"] or len(values["Key"]) > METADATA_KEY_MAX:
            raise bad_request(f"ScheduleMetadata Key must be 1 to {METADATA_KEY_MAX} characters")
        if len(values["Value"]) > METADATA_VALUE_MAX:
            raise bad_request(f"ScheduleMetadata Value must be at most {METADATA_VALUE_MAX} characters")
        return self._insert("ScheduleMetadata", {"ID": None, **values})

    # ------------------------------------------------------------------ participants and groups

    def _check_unique(self, entity_set: str, name: Any) -> str:
        if not isinstance(name, str) or not name.strip():
            raise bad_request(f"Property 'Name' is required for {TYPES[entity_set][0]}")
        other = self.find(entity_set, name)
        if other is not None:
            raise bad_request(f"A {TYPES[entity_set][0]} named '{name}' already exists (ID {other['ID']})")
        return name

    def create_participant(self, body: Any) -> dict[str, Any]:
        values = self._read("Participants", body)
        name = self._check_unique("Participants", values.get("Name"))
        illegal = sorted({c for c in name if c in PARTICIPANT_NAME_ILLEGAL})
        if illegal or len(name) > PARTICIPANT_NAME_MAX:  # model/g_participant.rst, Participant_Name
            raise bad_request(
                f"Participant Name '{name}' is not allowed: at most {PARTICIPANT_NAME_MAX} characters and none of "
                f"{' '.join(PARTICIPANT_NAME_ILLEGAL)}" + (f" (found {' '.join(illegal)})" if illegal else ""))
        entity = blank("Participants")
        entity.update(RegistrationDateTime=self._stamp(), **values)
        return self._insert("Participants", entity)

    def update_participant(self, key: int, body: Any) -> None:
        self.version += 1
        current = self.get("Participants", key)
        values = self._read("Participants", body)
        if "Name" in values and values["Name"] != current["Name"]:
            raise bad_request("Property 'Name' of a Participant cannot be changed")
        current.update(values)
        self._rewire("Participants", current)

    def delete_participant(self, key: int) -> None:
        self.version += 1
        self.get("Participants", key)
        entity = self.tables["Participants"].get(key) or {}
        self.tables["Participants"].delete(key)
        self.wires["Participants"].pop(key, None)
        self.memberships.drop_right(key)
        self._relist("Participants", key, entity)

    def create_group(self, body: Any) -> dict[str, Any]:
        values = self._read("Groups", body)
        self._check_unique("Groups", values.get("Name"))
        entity = self._insert("Groups", {"ID": None, "Name": None, "Description": None, **values})
        entity["RootGroupID"] = entity["ID"]  # only root groups can be created here
        self._rewire("Groups", entity)
        return entity

    def delete_group(self, key: int) -> None:
        self.version += 1
        self.get("Groups", key)
        entity = self.tables["Groups"].get(key) or {}
        self.tables["Groups"].delete(key)
        self.wires["Groups"].pop(key, None)
        self._relist("Groups", key, entity)
        self.memberships.drop_left(key)
        self.owners.drop_right(key)
        self.schedulable.drop_left(key)

    # ------------------------------------------------------------------ tenant data (no API writes)

    def add_entity(self, entity_set: str, values: Mapping[str, Any]) -> dict[str, Any]:
        """Insert an entity the API cannot create here (assessments, administrators, attempts, ...)."""
        entity = blank(entity_set)
        entity.update(values)
        if self.tables[entity_set].unique_name:
            self._check_unique(entity_set, entity.get("Name"))
        return self._insert(entity_set, entity)

    # ------------------------------------------------------------------ persistence

    def dump(self) -> dict[str, Any]:
        state: dict[str, Any] = {name: [to_state(e) for e in table.values()] for name, table in self.tables.items()}
        state["next_ids"] = dict(self.next_ids)
        for name in LINKS:
            state[name] = getattr(self, name).pairs()
        return state

    def load(self, state: Mapping[str, Any]) -> None:
        self._reset()
        for name in TYPES:
            for data in state.get(name, []):
                self._insert(name, from_state(name, data))
        self.next_ids.update({k: max(v, self.next_ids.get(k, 0)) for k, v in state.get("next_ids", {}).items()})
        for name in LINKS:
            for left, right in state.get(name, []):
                getattr(self, name).add(left, right)
