"""The benchmark's world: N schedules × M candidates per vendor, as desired state and as live vendor state.

The same scenario is written twice: as a project (reconciler.yaml, one YAML file of schedules, one CSV list
per schedule) the CLI reads, and into an emulator (its seeding helpers, no HTTP) exactly as the reconciler's
own create would have left it, so the first plan is a no-op. The "1 % change" moves the window end of
ceil(1 % of N) schedules by one day: one write per changed object (a Mettl edit per schedule; a Questionmark
PATCH per anchor and per seat, or in membership mode one PATCH per group schedule).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

from reconciler import clock
from reconciler.models import Candidate, Schedule, Window
from reconciler.sandbox.mettl import MettlApp
from reconciler.sandbox.questionmark import QuestionmarkApp

METTL_ASSESSMENTS = (769688, 769689, 769690, 769691)
QM_ASSESSMENT = "65433000065433"
QM_ADMIN_GROUP = "bench-administrators"
# The windows: 7-11 June (the changed end: 12 June) of `Scenario.year`, two years after the current one by default,
# so no window is ever over or live, whatever today's date is.
START, END, CHANGED_END = "06-07T09:00:00", "06-11T18:00:00", "06-12T18:00:00"
ZONE = "Europe/London"
SOURCE_APP = "reconciler"


@dataclass(frozen=True)
class Scenario:
    """How big the world is; `changed` schedules per vendor get the later window end."""

    schedules: int
    candidates: int
    access: str = "seats"
    """Questionmark's access mode: `seats` (anchor + seats) or `membership` (group schedule + members)."""
    year: int = field(default_factory=lambda: clock.utcnow().year + 2)

    def window(self, *, changed: bool = False) -> tuple[str, str]:
        """The window's start and end, local times in ZONE."""
        return f"{self.year}-{START}", f"{self.year}-{CHANGED_END if changed else END}"

    @property
    def changed(self) -> int:
        """ceil(1 % of the schedules): at least one."""
        return max(1, -(-self.schedules // 100))


def schedule_name(vendor: str, index: int) -> str:
    return f"{vendor.title()} Drive {index:04d}"


def email(vendor: str, schedule: int, candidate: int) -> str:
    return f"{vendor[0]}{schedule}-{candidate}@example.com"


def assessment_of(vendor: str, index: int) -> str:
    return str(METTL_ASSESSMENTS[index % len(METTL_ASSESSMENTS)]) if vendor == "mettl" else QM_ASSESSMENT


def desired(vendor: str, scenario: Scenario, index: int, *, changed: bool = False) -> Schedule:
    """Schedule `index` of `vendor` as the reconciler's model (what the seeder writes live)."""
    start, end = scenario.window(changed=changed and index < scenario.changed)
    people = tuple(Candidate(email=email(vendor, index, c), name=f"Candidate {c}")
                   for c in range(scenario.candidates))
    return Schedule(name=schedule_name(vendor, index), provider=vendor, assessment_id=assessment_of(vendor, index),
                    window=Window(start=start, end=end, time_zone=ZONE), candidates=people)


# ---------------------------------------------------------------------------------------- the project


def write_project(root: Path, vendors: list[str], urls: dict[str, str], scenario: Scenario, *,
                  parallelism: int, changed: bool = False, qmwise_url: str | None = None) -> Path:
    """The project folder the CLI reads; returns its reconciler.yaml. Credentials come from the environment."""
    desired_dir = root / "desired"
    desired_dir.mkdir(parents=True, exist_ok=True)
    providers: list[str] = []
    entries: list[str] = []
    lists: list[str] = []
    for vendor in vendors:
        providers.append(_provider_yaml(vendor, urls[vendor], parallelism, scenario.access, qmwise_url))
        for index in range(scenario.schedules):
            list_file = desired_dir / f"{vendor}-{index:04d}.csv"
            if not list_file.exists():
                with list_file.open("w", newline="", encoding="utf-8") as handle:
                    writer = csv.writer(handle)
                    writer.writerow(["email", "name"])
                    writer.writerows((email(vendor, index, c), f"Candidate {c}") for c in range(scenario.candidates))
            lists.append(f"  {list_file.stem}: {{csv: {list_file.name}}}\n")
            start, end = scenario.window(changed=changed and index < scenario.changed)
            entries.append(
                f"  - name: {json.dumps(schedule_name(vendor, index))}\n    provider: {vendor}\n"
                f"    assessment_id: \"{assessment_of(vendor, index)}\"\n"
                f"    window: {{start: \"{start}\", end: \"{end}\", time_zone: {ZONE}}}\n"
                f"    candidates: [{list_file.stem}]\n")
    text = "candidate_lists:\n" + "".join(lists) + "schedules:\n" + "".join(entries)
    (desired_dir / "schedules.yaml").write_text(text, encoding="utf-8")
    config = root / "reconciler.yaml"
    config.write_text("providers:\n" + "".join(providers) + "desired: [desired]\n"
                      "safety:\n  max_removal_fraction: 1.0\n"
                      f"limits:\n  max_files: {len(vendors) * scenario.schedules + 10}\n", encoding="utf-8")
    return config


def _provider_yaml(vendor: str, url: str, parallelism: int, access: str = "seats",
                   qmwise_url: str | None = None) -> str:
    if vendor == "mettl":
        keys = "    public_key: ${METTL_PUBLIC_KEY}\n    private_key: ${METTL_PRIVATE_KEY}\n"
    else:
        keys = "    username: ${QUESTIONMARK_USERNAME}\n    password: ${QUESTIONMARK_PASSWORD}\n"
        if access == "membership" and qmwise_url:
            keys += f"    qmwise_url: {qmwise_url}\n    access: membership\n"
    return f"  {vendor}:\n    base_url: {url}\n{keys}    max_workers: {parallelism}\n"


# ---------------------------------------------------------------------------------------- live state


def seed_mettl(app: MettlApp, scenario: Scenario) -> None:
    """Every schedule created as the reconciler's create sends it (same `sc`, same validation)."""
    from reconciler.providers.mettl import mapping

    for assessment in METTL_ASSESSMENTS:
        app.add_assessment(assessment, f"Assessment {assessment}")
    for index in range(scenario.schedules):
        schedule = desired("mettl", scenario, index)
        app.add_schedule(int(schedule.assessment_id), mapping.schedule_to_sc(schedule, source_app=SOURCE_APP))


def prepare_questionmark(app: QuestionmarkApp, user: str) -> None:
    """What the tenant has before any schedule: the assessment the service account may schedule."""
    app.allow_scheduling(user, QM_ASSESSMENT, group=QM_ADMIN_GROUP)


def seed_questionmark(app: QuestionmarkApp, scenario: Scenario) -> None:
    """Per schedule: its group, the disabled anchor, one participant and one seat per candidate, as the
    reconciler's create leaves them (membership: the group schedule, its roster record, the members)."""
    from reconciler.providers.questionmark import logins, mapping

    if scenario.access == "membership":
        seed_membership(app, scenario)
        return
    world = app.world
    unmonitored = next(int(t["ID"]) for t in world.tables["MonitoringTypes"].values() if t["Name"] == "UNMONITORED")
    for index in range(scenario.schedules):
        schedule = desired("questionmark", scenario, index)
        group_id = int(world.create_group({"Name": mapping.group_name(schedule)})["ID"])
        body = mapping.create_body(schedule, group_id, None, unmonitored)
        created = world.create_schedule({**body, "Disabled": True, "Hidden": True}, None)
        anchor = app.schedule(int(created["ID"]))
        seat = {**{k: v for k, v in mapping.inherited(anchor).items() if v is not None}, "Disabled": False,
                "Hidden": False,
                "ExternalID": mapping.seat_mark(mapping.external_id(schedule.assessment_id, schedule.name)),
                "Name": schedule.name, "AssessmentID": str(schedule.assessment_id), "GroupID": group_id,
                "MonitoringTypeID": anchor["MonitoringTypeID"]}
        for candidate in schedule.candidates or ():
            login = logins.login_names(candidate.email)[0]
            participant = world.create_participant(logins.participant_body(candidate, login))
            world.create_schedule({**seat, "ParticipantID": participant["ID"]}, None)


def seed_membership(app: QuestionmarkApp, scenario: Scenario) -> None:
    """Membership mode as the reconciler's create leaves it: per schedule its group, the group schedule with the
    roster record, and one participant per candidate, a member of the group."""
    from reconciler.providers.questionmark import logins, mapping
    from reconciler.providers.questionmark.membership import ROSTER_KEY

    world = app.world
    unmonitored = next(int(t["ID"]) for t in world.tables["MonitoringTypes"].values() if t["Name"] == "UNMONITORED")
    for index in range(scenario.schedules):
        schedule = desired("questionmark", scenario, index)
        group_id = int(world.create_group({"Name": mapping.group_name(schedule)})["ID"])
        created = world.create_schedule(mapping.create_body(schedule, group_id, None, unmonitored), None)
        world.create_metadata({"ScheduleID": created["ID"], "Key": ROSTER_KEY, "Value": str(group_id)})
        for candidate in schedule.candidates or ():
            login = logins.login_names(candidate.email)[0]
            participant = world.create_participant(logins.participant_body(candidate, login))
            world.memberships.add(group_id, participant["ID"])
