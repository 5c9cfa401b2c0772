"""Doctor's Questionmark checks of identity, sign-in, monitoring types and access (Q-02, Q-20…Q-27).

Reads only. `--probe-access` adds the one documented read-only POST, `Participants(id)/ActionableSchedules`
(participant.rst: "takes no parameters", no side effect), for at most three participants.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from ... import clock
from ...checks.probe import Probe
from ...checks.report import Check, Result
from ...errors import ProviderError
from ...models import QuestionmarkProviderConfig, Schedule
from . import mapping
from .client import EXPAND, QuestionmarkClient

PROVIDER = "questionmark"
PROBE_PARTICIPANTS = "questionmark participant feed"

MANUAL = (
    Check(PROVIDER, "questionmark portal shows the schedules", "Q-21").manual(
        "log in to the Questionmark portal as a test participant with a seat (and as a member of a membership-mode "
        "group): the schedule is listed and its test launches (the tool creates next-generation schedules "
        "through Delivery OData only)"),
    Check(PROVIDER, "questionmark group from POST Groups", "Q-23").manual(
        "create a group through the API (or let apply create one), then schedule a test assessment for it; the "
        "schedule is accepted and its participants can start it"),
    Check(PROVIDER, "questionmark email from the login", "Q-24").manual(
        "a participant without PrimaryEmail whose login is an email is read as that email; check in Questionmark "
        "that such logins really are their owners' addresses (or fill PrimaryEmail)"),
    Check(PROVIDER, "questionmark schedule rename", "Q-25").manual(
        "rename a test schedule with previous_names and apply: the PATCH of Name is accepted and the portal "
        "shows the new name"),
    Check(PROVIDER, "questionmark welcome email", "Q-27").manual(
        "create a test participant through apply (sign_in.welcome_email true): they receive Questionmark's "
        "welcome email and can log in from it without an administrator"),
)
LATER = (Check(PROVIDER, "questionmark login rule", "Q-22"),
         Check(PROVIDER, "questionmark PrimaryEmail lookup", "Q-26"))
"""The checks of `participant_feed`, listed (skipped) when the credentials fail."""
PROBE_NOTE = Check(PROVIDER, "questionmark access probe", "Q-02").manual(
    "run `reconciler doctor --probe-access`: it asks Questionmark (read-only ActionableSchedules) whether a seat is "
    "offered to its participant and not to other members of the group")


def monitoring_types(types: Sequence[Mapping[str, Any]], desired: Sequence[Schedule],
                     config: QuestionmarkProviderConfig) -> Result:
    """Q-20: every monitoring type the desired schedules use (by Name, or the default name) exists and is
    enabled; an explicit monitoring_type_id is checked by ID."""
    check = Check(PROVIDER, "questionmark monitoring types", "Q-20")
    if not desired:
        return check.skipped("no desired Questionmark schedule")
    users: dict[str | int, list[str]] = {}
    for schedule in desired:
        settings = schedule.questionmark
        wanted: str | int = config.monitoring
        if settings is not None and settings.monitoring_type_id is not None:
            wanted = settings.monitoring_type_id
        elif settings is not None and settings.monitoring:
            wanted = settings.monitoring
        users.setdefault(wanted, []).append(schedule.name)
    by_name = {t.get("Name"): t for t in types}
    by_id = {t.get("ID"): t for t in types}
    bad = []
    for wanted, names in users.items():
        found = by_id.get(wanted) if isinstance(wanted, int) else by_name.get(wanted)
        if found is None or found.get("Disabled") is True:
            state = "missing" if found is None else "disabled"
            bad.append(f"{wanted!r} ({state}; used by {', '.join(names[:3])}{', …' if len(names) > 3 else ''})")
    choices = ", ".join(str(t.get("Name")) for t in types if t.get("Disabled") is not True and t.get("Name"))
    if bad:
        return check.failed(f"monitoring type(s) {'; '.join(bad)}; providers.questionmark.monitoring "
                            f"({config.monitoring!r}) is the default when unset",
                            f"set questionmark.monitoring (or providers.questionmark.monitoring) to one of: "
                            f"{choices or 'none exists'}")
    return check.passed(f"monitoring type(s) {', '.join(sorted(map(str, users)))} exist and are enabled")


def participant_feed(client: QuestionmarkClient, probe: Probe, config: QuestionmarkProviderConfig) -> list[Result]:
    """Q-22 (logins equal to emails) and Q-26 (the PrimaryEmail lookup): the first Participants page and
    `Participants/$count`."""
    login = Check(PROVIDER, "questionmark login rule", "Q-22")
    lookup = Check(PROVIDER, "questionmark PrimaryEmail lookup", "Q-26")
    limit = config.max_participants_scanned
    try:
        with probe.kind("participants"):
            page, _ = client.page("Participants")
            total = client.count("Participants")
    except ProviderError as exc:
        return [login.failed(str(exc)), lookup.failed(str(exc))]
    people = [p for p in page if isinstance(p, dict)]
    emailed = [p for p in people if mapping.email_of({"PrimaryEmail": p.get("PrimaryEmail")})]
    other = [p for p in emailed if str(p.get("Name") or "").casefold() != str(p.get("PrimaryEmail")).strip().casefold()]
    if other and limit == 0:
        first = login.failed(f"{len(other)} of {len(emailed)} participant(s) on the first page log in with something "
                             "else than their email (e.g. ID " f"{other[0].get('ID')}), and the PrimaryEmail lookup "
                             "is off (max_participants_scanned: 0): such people would get a second account",
                             "set providers.questionmark.max_participants_scanned above the tenant's number of "
                             "participants, or give those candidates questionmark_login")
    elif other:
        first = login.passed(f"{len(other)} of {len(emailed)} participant(s) on the first page log in with something "
                             "else than their email: candidates not found by login are looked up by PrimaryEmail")
    else:
        first = login.passed(f"the {len(emailed)} participant(s) with an email on the first page log in with it")
    pages = -(-min(total, limit) // 100)
    missing = [p.get("ID") for p in people if "PrimaryEmail" not in p]
    if missing:
        second = lookup.failed(f"{len(missing)} participant(s) of the Participants feed carry no PrimaryEmail "
                               f"(e.g. ID {missing[0]}): the lookup by email cannot see who they are")
    elif limit and total > limit:
        second = lookup.failed(f"the tenant has {total} participants, more than max_participants_scanned ({limit}): "
                               "a candidate not found by login would not be created",
                               f"raise providers.questionmark.max_participants_scanned to at least {total} (costs "
                               f"{-(-total // 100)} GETs once per run when someone is not found by login), or give "
                               "such candidates questionmark_login")
    else:
        second = lookup.passed(f"{total} participant(s): a lookup by PrimaryEmail reads {pages} page(s) once per "
                               "run, only when a candidate is not found by login" if limit else
                               "off (max_participants_scanned: 0)")
    return [first, second]


# ------------------------------------------------------------------ --probe-access


def _open(schedule: Mapping[str, Any], now: datetime) -> bool:
    start, end = mapping.parse_utc(schedule.get("StartFrom")), mapping.parse_utc(schedule.get("StartTo"))
    return (start is None or start <= now) and (end is None or now <= end)


def _owned(client: QuestionmarkClient, probe: Probe) -> Iterator[dict[str, Any]]:
    with probe.kind("schedules"):
        for schedule in client.feed("Schedules", {"$expand": EXPAND}):
            if mapping.parse_mark(schedule.get("ExternalID")) is not None:
                yield schedule


def _offered(client: QuestionmarkClient, probe: Probe, participant_id: int) -> dict[int, list[str]]:
    with probe.kind("actionable-schedules"):
        found = client.actionable_schedules(participant_id)
    return {int(a["ScheduleID"]): list(a.get("Actions") or ()) for a in found}


def probe_access(client: QuestionmarkClient, probe: Probe) -> list[Result]:
    """Q-02, settled on the tenant without writing: a seat is offered to its participant ("start") and to no
    other member of its group; a member of a membership-mode group is offered the group schedule."""
    seat_check = Check(PROVIDER, "questionmark access probe: seat", "Q-02")
    member_check = Check(PROVIDER, "questionmark access probe: member without a seat", "Q-02")
    group_check = Check(PROVIDER, "questionmark access probe: group schedule", "Q-02")
    now = clock.utcnow()
    try:
        owned = [s for s in _owned(client, probe) if s.get("Disabled") is not True and _open(s, now)]
        seats = [s for s in owned if (mapping.parse_mark(s.get("ExternalID")) or ("", ""))[1] == mapping.SEAT
                 and isinstance(s.get("ParticipantID"), int) and isinstance(s.get("GroupID"), int)]
        groups = [s for s in owned if (mapping.parse_mark(s.get("ExternalID")) or ("", ""))[1] == ""
                  and s.get("ParticipantID") is None and isinstance(s.get("GroupID"), int)]
        return [*_probe_seat(client, probe, seats, seat_check, member_check),
                _probe_group(client, probe, groups, group_check)]
    except ProviderError as exc:
        return [seat_check.failed(str(exc)), member_check.skipped("the probe stopped"),
                group_check.skipped("the probe stopped")]


def _probe_seat(client: QuestionmarkClient, probe: Probe, seats: Sequence[dict[str, Any]], seat_check: Check,
                member_check: Check) -> list[Result]:
    if not seats:
        why = "no enabled seat with an open window (apply a test schedule whose window is open now)"
        return [seat_check.skipped(why), member_check.skipped(why)]
    seat = seats[0]
    offered = _offered(client, probe, int(seat["ParticipantID"]))
    if "start" not in offered.get(int(seat["ID"]), []):
        first = seat_check.failed(
            f"seat {seat['ID']} is not offered to its participant {seat['ParticipantID']} (ActionableSchedules); the "
            "tenant reads a participant schedule as 'participant AND member of its group'",
            "seats cannot work on this tenant: use membership mode (providers.questionmark.qmwise_url)")
    else:
        first = seat_check.passed(f"seat {seat['ID']} is offered to participant {seat['ParticipantID']} with 'start'")
    mark = (mapping.parse_mark(seat.get("ExternalID")) or ("", ""))[0]
    siblings = {int(s["ID"]) for s in seats if (mapping.parse_mark(s.get("ExternalID")) or ("", ""))[0] == mark}
    seated = {s.get("ParticipantID") for s in seats if int(s["ID"]) in siblings}
    with probe.kind("group-participants"):
        members, _ = client.page(f"Groups({int(seat['GroupID'])})/Participants")
    other = next((m for m in members if m.get("ID") not in seated and isinstance(m.get("ID"), int)), None)
    if other is None:
        return [first, member_check.skipped(f"group {seat['GroupID']} has no member without a seat (add a test "
                                            "participant to it to probe this)")]
    leaked = sorted(siblings & set(_offered(client, probe, int(other["ID"]))))
    if leaked:
        return [first, member_check.failed(
            f"participant {other['ID']}, a member of group {seat['GroupID']} without a seat, is offered seat(s) "
            f"{', '.join(map(str, leaked))}: the tenant opens a participant schedule to its group",
            "seats would give the whole group access: use membership mode (providers.questionmark.qmwise_url) or a "
            "group with no members")]
    return [first, member_check.passed(f"participant {other['ID']} (a member without a seat) is offered none of "
                                       "the seats")]


def _probe_group(client: QuestionmarkClient, probe: Probe, groups: Sequence[dict[str, Any]], check: Check) -> Result:
    for schedule in groups:
        with probe.kind("group-participants"):
            members, _ = client.page(f"Groups({int(schedule['GroupID'])})/Participants")
        member = next((m for m in members if isinstance(m.get("ID"), int)), None)
        if member is None:
            continue
        offered = _offered(client, probe, int(member["ID"]))
        same_group = {"$filter": f"GroupID eq {int(schedule['GroupID'])}"}
        children = {int(c["ID"]) for c in client.feed("Schedules", same_group)
                    if c.get("ParentScheduleID") == schedule["ID"] and c.get("ParticipantID") == member["ID"]}
        if offered.keys() & ({int(schedule["ID"])} | children):
            return check.passed(f"member {member['ID']} of group {schedule['GroupID']} is offered group schedule "
                                f"{schedule['ID']}")
        return check.failed(f"member {member['ID']} of group {schedule['GroupID']} is not offered the enabled group "
                            f"schedule {schedule['ID']} (ActionableSchedules)",
                            "membership mode would not give candidates access; report it")
    return check.skipped("no enabled group schedule with an open window and a member")
