"""The emulated Questionmark repository: schedules, schedule metadata, participants, groups, memberships.

Every write goes through here and is validated the way the service does; errors are `ODataError`s
(a `ValueError`), so the seeding helpers raise the same messages a client would see as 400s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from reconciler.sandbox.qm_model import (
    METADATA_KEY_MAX,
    METADATA_VALUE_MAX,
    REPORTED_RESULTS,
    SCHEDULE,
    TYPES,
    from_state,
    read_body,
    to_state,
)
from reconciler.sandbox.qm_odata import ODataError, as_utc, bad_request

# Distinct ID ranges per entity set, so a client that mixes up IDs gets a 404 instead of a wrong entity.
FIRST_IDS = {"Schedules": 11601, "ScheduleMetadata": 70001, "Participants": 40001, "Groups": 8320001}
_UPSERT_PARAMS = ("Name", "PrimaryEmail", "FirstName", "LastName", "Groups", "ReplaceExistingGroups")


class QuestionmarkWorld:
    """State and write rules; no HTTP here."""

    def __init__(self, now: Callable[[], datetime], *, legacy: bool, replace_groups_supported: bool) -> None:
        self.now = now
        self.legacy = legacy
        self.replace_groups_supported = replace_groups_supported
        self.tables: dict[str, dict[int, dict[str, Any]]] = {name: {} for name in TYPES}
        self.next_ids = dict(FIRST_IDS)
        self.memberships: set[tuple[int, int]] = set()  # (group ID, participant ID)

    # ------------------------------------------------------------------ basics

    def get(self, entity_set: str, key: int) -> dict[str, Any]:
        entity = self.tables[entity_set].get(key)
        if entity is None:
            raise ODataError(404, f"Resource not found for the segment '{entity_set}({key})'.")
        return entity

    def all(self, entity_set: str) -> list[dict[str, Any]]:
        return [self.tables[entity_set][k] for k in sorted(self.tables[entity_set])]

    def _insert(self, entity_set: str, entity: dict[str, Any]) -> dict[str, Any]:
        key = self.next_ids[entity_set]
        self.next_ids[entity_set] = key + 1
        entity["ID"] = key
        self.tables[entity_set][key] = entity
        return entity

    def _read(self, entity_set: str, body: Any) -> dict[str, Any]:
        return read_body(entity_set, body, legacy=self.legacy)

    def _stamp(self, previous: datetime | None = None) -> datetime:
        """Now in UTC; strictly after `previous` so every change moves `Modified` even on a frozen clock."""
        now = as_utc(self.now())
        if previous is not None and now <= previous:
            now = previous + timedelta(microseconds=1)
        return now

    # ------------------------------------------------------------------ schedules

    def create_schedule(self, body: Any, user: str | None) -> dict[str, Any]:
        values = self._read("Schedules", body)
        for required in ("AssessmentID", "MonitoringTypeID"):
            if values.get(required) is None:
                raise bad_request(f"Property '{required}' is required when creating a Schedule")
        entity: dict[str, Any] = {name: None for name in SCHEDULE}
        entity.update(Disabled=False, ResumeAllowed=False, ObserverInitiated=False, Hidden=False, IsDeleted=False)
        entity.update(values)
        self._check_schedule(entity, None)
        stamp = self._stamp()
        entity.update(Created=stamp, Modified=stamp, CreatedBy=user, ModifiedBy=user)
        return self._insert("Schedules", entity)

    def update_schedule(self, key: int, body: Any, user: str | None) -> None:
        current = self.get("Schedules", key)
        values = self._read("Schedules", body)
        if "AssessmentID" in values and values["AssessmentID"] != current["AssessmentID"]:
            raise bad_request("Property 'AssessmentID' of a Schedule cannot be changed")
        self._check_schedule({**current, **values}, key)
        current.update(values)
        current.update(Modified=self._stamp(current["Modified"]), ModifiedBy=user)

    def soft_delete(self, key: int) -> None:
        current = self.get("Schedules", key)
        current.update(IsDeleted=True, Modified=self._stamp(current["Modified"]))

    def exception_schedules(self, key: int) -> list[dict[str, Any]]:
        return [s for s in self.all("Schedules") if s["ParentScheduleID"] == key]

    def _check_schedule(self, entity: Mapping[str, Any], key: int | None) -> None:
        group_id, participant_id, parent_id = (
            entity["GroupID"],
            entity["ParticipantID"],
            entity["ParentScheduleID"],
        )
        if group_id is None and participant_id is None:
            raise bad_request("A Schedule must have a GroupID or a ParticipantID")
        if group_id is not None and group_id not in self.tables["Groups"]:
            raise bad_request(f"GroupID {group_id} does not refer to an existing Group")
        if participant_id is not None and participant_id not in self.tables["Participants"]:
            raise bad_request(f"ParticipantID {participant_id} does not refer to an existing Participant")
        if entity["ReportedResult"] is not None and entity["ReportedResult"] not in REPORTED_RESULTS:
            raise bad_request(f"ReportedResult must be one of {', '.join(REPORTED_RESULTS)}")
        if parent_id is not None:
            parent = self.tables["Schedules"].get(parent_id)
            if parent is None or parent_id == key:
                raise bad_request(f"ParentScheduleID {parent_id} does not refer to an existing Schedule")
            if parent["ParticipantID"] is not None or parent["GroupID"] is None:
                raise bad_request(f"ParentScheduleID {parent_id} must refer to a group schedule (no ParticipantID)")
            if participant_id is None:
                raise bad_request("An exception schedule (with ParentScheduleID) requires a ParticipantID")
        if key is not None and participant_id is not None and self.exception_schedules(key):
            raise bad_request(f"Schedule {key} has exception schedules and must stay a group schedule")

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
        return self._insert("ScheduleMetadata", dict(values))

    def schedule_metadata(self, key: int) -> list[dict[str, Any]]:
        return [m for m in self.all("ScheduleMetadata") if m["ScheduleID"] == key]

    # ------------------------------------------------------------------ participants

    def find(self, entity_set: str, name: str) -> dict[str, Any] | None:
        """The participant or group with this Name, compared case-insensitively."""
        folded = name.casefold()
        return next((e for e in self.all(entity_set) if (e["Name"] or "").casefold() == folded), None)

    def _check_name(self, entity_set: str, name: Any, key: int | None) -> None:
        if not isinstance(name, str) or not name.strip():
            raise bad_request(f"Property 'Name' is required for {TYPES[entity_set][0]}")
        other = self.find(entity_set, name)
        if other is not None and other["ID"] != key:
            raise bad_request(f"A {TYPES[entity_set][0]} named '{name}' already exists (ID {other['ID']})")

    def create_participant(self, body: Any) -> dict[str, Any]:
        values = self._read("Participants", body)
        self._check_name("Participants", values.get("Name"), None)
        entity: dict[str, Any] = {name: None for name in TYPES["Participants"][1]}
        del entity["Password"]
        entity.update(Blocked=False, RegistrationDateTime=self._stamp())
        entity.update(values)
        return self._insert("Participants", entity)

    def update_participant(self, key: int, body: Any) -> None:
        current = self.get("Participants", key)
        values = self._read("Participants", body)
        if "Name" in values:
            self._check_name("Participants", values["Name"], key)
        current.update(values)

    def delete_participant(self, key: int) -> None:
        self.get("Participants", key)
        del self.tables["Participants"][key]
        self.memberships = {(g, p) for g, p in self.memberships if p != key}

    def upsert_participant(self, body: Any) -> dict[str, Any]:
        """`Participants/Upsert`: match on Name, create or update, add the named groups' memberships."""
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object")
        unknown = sorted(set(body) - set(_UPSERT_PARAMS))
        if unknown:
            raise bad_request(
                f"Unknown Upsert parameter(s): {', '.join(unknown)}; allowed: {', '.join(_UPSERT_PARAMS)}"
            )
        names = body.get("Groups") or []
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise bad_request("Upsert parameter 'Groups' must be a list of group names")
        groups = []
        for name in names:
            group = self.find("Groups", name)
            if group is None:
                raise bad_request(f"Upsert: no Group named '{name}'")
            groups.append(group["ID"])
        replace = body.get("ReplaceExistingGroups")
        if replace is not None and not isinstance(replace, bool):
            raise bad_request("Upsert parameter 'ReplaceExistingGroups' must be true or false")
        fields = {k: body[k] for k in ("Name", "PrimaryEmail", "FirstName", "LastName") if k in body}
        if not isinstance(fields.get("Name"), str) or not fields["Name"].strip():
            raise bad_request("Upsert parameter 'Name' is required")
        existing = self.find("Participants", fields["Name"])
        if existing is None:
            participant = self.create_participant(fields)
        else:
            fields.pop("Name")  # matched case-insensitively; the stored spelling stays
            self.update_participant(existing["ID"], fields)
            participant = existing
        key = participant["ID"]
        if replace and self.replace_groups_supported:
            self.memberships = {(g, p) for g, p in self.memberships if p != key}
        self.memberships.update((g, key) for g in groups)
        return participant

    def participant_groups(self, key: int) -> list[dict[str, Any]]:
        return [g for g in self.all("Groups") if (g["ID"], key) in self.memberships]

    # ------------------------------------------------------------------ groups

    def create_group(self, body: Any) -> dict[str, Any]:
        values = self._read("Groups", body)
        self._check_name("Groups", values.get("Name"), None)
        entity = self._insert("Groups", {"Name": None, "Description": None, **values})
        entity["RootGroupID"] = entity["ID"]  # only root groups can be created here
        return entity

    def delete_group(self, key: int) -> None:
        self.get("Groups", key)
        del self.tables["Groups"][key]
        self.memberships = {(g, p) for g, p in self.memberships if g != key}

    def group_participants(self, key: int) -> list[dict[str, Any]]:
        return [p for p in self.all("Participants") if (key, p["ID"]) in self.memberships]

    # ------------------------------------------------------------------ persistence

    def dump(self) -> dict[str, Any]:
        state: dict[str, Any] = {name: [to_state(e) for e in self.all(name)] for name in TYPES}
        state["next_ids"] = dict(self.next_ids)
        state["memberships"] = sorted([g, p] for g, p in self.memberships)
        return state

    def load(self, state: Mapping[str, Any]) -> None:
        self.tables = {name: {} for name in TYPES}
        for name in TYPES:
            for data in state.get(name, []):
                entity = from_state(name, data)
                self.tables[name][entity["ID"]] = entity
        self.next_ids = {**FIRST_IDS, **state.get("next_ids", {})}
        for name, table in self.tables.items():
            self.next_ids[name] = max([self.next_ids[name], *(k + 1 for k in table)])
        self.memberships = {(g, p) for g, p in state.get("memberships", [])}
