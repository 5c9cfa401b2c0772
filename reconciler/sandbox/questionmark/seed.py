"""Seeding and inspection helpers of the Questionmark emulator, for tests and the demo world.

They write straight into the repository (as the Questionmark UI would), with the same validation as the API
where the API can create the entity; entities only the portal can create (assessments, administrators,
attempts, monitoring types, memberships, ownership) are added here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from .model import to_wire
from .odata import bad_request, format_datetime
from .store import QuestionmarkWorld

DEFAULT_MONITORING_TYPES = ("UNMONITORED", "QSB_WITH_EVENTS", "REMOTE_PROCTORING")


class Seeding:
    """Mixed into the app: `self.world` is the repository, `self.legacy_tenant` the tenant's age."""

    world: QuestionmarkWorld
    legacy_tenant: bool

    def _group_id(self, group: int | str) -> int:
        found = self.world.get("Groups", group) if isinstance(group, int) else self.world.find("Groups", group)
        if found is None:
            raise bad_request(f"No Group named '{group}'")
        return int(found["ID"])

    def add_group(self, name: str, description: str | None = None) -> int:
        """Create a root group; raises ValueError (ODataError) like a 400 would."""
        return int(self.world.create_group({"Name": name, "Description": description})["ID"])

    def add_participant(
        self, name: str, email: str | None = None, groups: Iterable[int | str] = (), **props: Any
    ) -> int:
        """Create a participant (extra wire properties in `props`), member of groups given by ID or name."""
        group_ids = [self._group_id(g) for g in groups]
        participant = self.world.create_participant({"Name": name, "PrimaryEmail": email, **props})
        for group_id in group_ids:
            self.world.memberships.add(group_id, participant["ID"])
        return int(participant["ID"])

    def add_schedule(self, **props: Any) -> int:
        """Create a schedule as if made in the portal (no permission check); datetimes and ints as wire form."""
        body = {k: format_datetime(v, zulu=True) if isinstance(v, datetime) else v for k, v in props.items()}
        if isinstance(body.get("AssessmentID"), int):
            body["AssessmentID"] = str(body["AssessmentID"])
        body.setdefault("Name", "Schedule")
        if body["AssessmentID"] is not None and int(body["AssessmentID"]) not in self.world.tables["Assessments"]:
            self.add_assessment(body["AssessmentID"])
        return int(self.world.create_schedule(body, None)["ID"])

    def add_metadata(self, schedule_id: int, key: str, value: str) -> int:
        return int(self.world.create_metadata({"ScheduleID": schedule_id, "Key": key, "Value": value})["ID"])

    def add_assessment(self, assessment_id: int | str, name: str | None = None,
                       schedulable_by: Iterable[int | str] = ()) -> int:
        """Publish an assessment (if new) that owners of the given groups may schedule."""
        key = int(assessment_id)
        if key not in self.world.tables["Assessments"]:
            stamp = self.world.now()
            self.world.add_entity("Assessments", {
                "ID": key, "Revision": 1, "Name": name or f"Assessment {key}", "Language": "-", "Base": True,
                "CreatedDateTime": stamp, "ModifiedDateTime": stamp, "Author": "Manager"})
        for group in schedulable_by:
            self.world.schedulable.add(self._group_id(group), key)
        return key

    def add_administrator(self, name: str, owns: Iterable[int | str] = ()) -> int:
        """An administrator (found or created) owning the given root groups."""
        found = self.world.find("Administrators", name)
        key = int((found or self.world.add_entity("Administrators", {"Name": name}))["ID"])
        for group in owns:
            self.world.owners.add(key, self._group_id(group))
        return key

    def allow_scheduling(self, user: str, *assessment_ids: int | str, group: str = "Exam Owners") -> int:
        """Let `user` schedule these assessments: it owns `group`, which is associated with each of them."""
        group_id = self.world.find("Groups", group)
        key = int(group_id["ID"]) if group_id else self.add_group(group)
        self.add_administrator(user, owns=[key])
        for assessment_id in assessment_ids:
            self.add_assessment(assessment_id, schedulable_by=[key])
        return key

    def add_monitoring_type(self, name: str, **props: Any) -> int:
        values = {"Name": name, "RequireQSB": False, "RequireDeviceEvents": False, **props}
        return int(self.world.add_entity("MonitoringTypes", values)["ID"])

    def add_attempt(self, schedule_id: int, participant_id: int, **props: Any) -> int:
        """An attempt at a schedule by a participant (they have started it)."""
        schedule = self.world.get("Schedules", schedule_id)
        self.world.get("Participants", participant_id)
        values = {"ScheduleID": schedule_id, "ParticipantID": participant_id, "AttemptNumber": 1,
                  "AssessmentID": schedule["AssessmentID"], "ExternalAttemptID": f"attempt-{schedule_id}-"
                  f"{participant_id}", "MonitoringTypeID": schedule["MonitoringTypeID"], "LockRequired": False,
                  "LockStatus": False, "Disabled": False, "LastModifiedDateTime": self.world.now(), **props}
        return int(self.world.add_entity("Attempts", values)["ID"])

    def soft_delete(self, schedule_id: int) -> None:
        """Mark a schedule IsDeleted (as the vendor does); it stays in every listing."""
        self.world.soft_delete(schedule_id)

    # ------------------------------------------------------------------ inspection

    def group_members(self, group_id: int) -> list[str]:
        """Names of the group's participants, sorted."""
        return sorted(p["Name"] for p in self.world.related("Groups", "Participants", group_id))

    def schedules(self) -> list[dict[str, Any]]:
        """Every schedule as GET would return it (without odata.metadata), in ID order."""
        return [self.schedule(s["ID"]) for s in self.world.tables["Schedules"].values()]

    def schedule(self, schedule_id: int) -> dict[str, Any]:
        """The schedule as GET would return it (without odata.metadata)."""
        return to_wire("Schedules", self.world.get("Schedules", schedule_id), legacy=self.legacy_tenant)

    def metadata_of(self, schedule_id: int) -> dict[str, str]:
        return {m["Key"]: m["Value"] for m in self.world.related("Schedules", "ScheduleMetadata", schedule_id)}

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
