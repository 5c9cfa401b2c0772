"""List mode against the Questionmark emulator over real sockets: an anchor, one seat per candidate, exact calls."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from reconciler import engine
from reconciler.errors import AuthenticationError, UnsafePlanError
from reconciler.models import Accommodation, DesiredState, QuestionmarkSettings, Window
from reconciler.providers.questionmark.mapping import external_id
from reconciler.providers.questionmark.provider import QuestionmarkProvider

from .conftest import ANA, ASSESSMENT, MEI, RAJ, Reconcile, phases, qm_schedule

MARK = external_id(ASSESSMENT, "Ops Certification")
MOVED = Window(start="2026-11-03T08:00:00", end="2026-11-03T17:30:00", time_zone="Europe/London")


def test_create_makes_a_disabled_anchor_and_one_seat_per_candidate(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule(metadata={"Country": "UK"}))
    welcomed = [("POST", f"Participants({s['ParticipantID']})/SendWelcomeEmail") for s in reconcile.seats().values()]
    assert phases(reconcile.writes(), 2) == phases([
        ("POST", "Groups"), ("POST", "Schedules"), ("POST", "ScheduleMetadata"),
        ("POST", "Participants"), ("POST", "Participants"), *welcomed,
        ("POST", "Schedules"), ("POST", "ScheduleMetadata"), ("POST", "Schedules"), ("POST", "ScheduleMetadata"),
    ], 2)
    assert sorted(reconcile.app.welcome_emails) == sorted(s["ParticipantID"] for s in reconcile.seats().values())
    calls = reconcile.write_calls()
    anchor, seats = reconcile.anchor(), reconcile.seats()
    ana = seats["ana@example.com"]
    order = [(c.json or {}).get("ParticipantID") for c in calls]
    targets = [(c.json or {}).get("ScheduleID") for c in calls]
    assert order.index(ana["ParticipantID"]) < targets.index(ana["ID"])  # a seat, then its metadata
    assert calls[0].json == {"Name": "Ops Team"}
    assert calls[1].json == {
        "Name": "Ops Certification", "ExternalID": MARK, "AssessmentID": ASSESSMENT, "GroupID": anchor["GroupID"],
        "MonitoringTypeID": 1, "StartFrom": "2026-11-02T08:00:00Z", "StartTo": "2026-11-02T17:30:00Z",
        "Disabled": True, "Hidden": True,
    }
    assert {"Name": "ana@example.com", "FirstName": "Ana", "LastName": "Lima",
            "PrimaryEmail": "ana@example.com"} in [c.json for c in calls if c.path.endswith("/Participants")]
    seat = calls[order.index(ana["ParticipantID"])].json
    assert seat["ParticipantID"] == seats["ana@example.com"]["ParticipantID"] and "ParentScheduleID" not in seat
    assert (seat["GroupID"], seat["ExternalID"], seat["Disabled"]) == (anchor["GroupID"], f"{MARK}:seat", False)
    assert (seat["Name"], seat["StartFrom"], seat["MonitoringTypeID"]) == ("Ops Certification",
                                                                           "2026-11-02T08:00:00Z", 1)
    assert anchor["Disabled"] is True and anchor["ParticipantID"] is None
    assert sorted(seats) == ["ana@example.com", "raj@example.com"]
    assert all(reconcile.app.metadata_of(s["ID"]) == {"Country": "UK"} for s in [anchor, *seats.values()])
    assert reconcile.app.group_members(anchor["GroupID"]) == []  # membership is never touched


def test_replan_reads_only_the_listing(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule())
    reconcile.server.reset_calls()
    run = reconcile.plan(qm_schedule())
    assert not run.plan.has_changes and run.plan.in_sync == 1
    assert reconcile.reads() == [("Schedules", {"$expand": "ScheduleMetadata,Participant,Group"})]


def test_existing_group_and_participants_are_reused_and_other_members_get_nothing(reconcile: Reconcile) -> None:
    reconcile.app.add_group("Ops Team")  # the tool's own: no members
    ana = reconcile.app.add_participant("ana@example.com", "ana@example.com")
    mei = reconcile.app.add_participant("mei@example.com", "mei@example.com")
    reconcile.apply(qm_schedule())
    raj = reconcile.seats()["raj@example.com"]["ParticipantID"]
    assert reconcile.writes() == [("POST", "Schedules"), ("POST", "Participants"),
                                  ("POST", f"Participants({raj})/SendWelcomeEmail"), ("POST", "Schedules"),
                                  ("POST", "Schedules")]
    seats = reconcile.seats()
    assert seats["ana@example.com"]["ParticipantID"] == ana and "mei@example.com" not in seats
    assert reconcile.app.welcome_emails == [raj] and mei not in reconcile.app.welcome_emails
    assert reconcile.anchor()["Disabled"] is True  # Mei, a member, cannot take it through the anchor


def test_window_move_patches_the_anchor_and_each_seat_with_only_the_window(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule())
    reconcile.server.reset_calls()
    reconcile.apply(qm_schedule(window=MOVED))
    anchor, seats = reconcile.anchor(), reconcile.seats()
    assert phases(reconcile.writes(), 1) == phases([("PATCH", f"Schedules({anchor['ID']})"),
                                                    ("PATCH", f"Schedules({seats['ana@example.com']['ID']})"),
                                                    ("PATCH", f"Schedules({seats['raj@example.com']['ID']})")], 1)
    window = {"StartFrom": "2026-11-03T08:00:00Z", "StartTo": "2026-11-03T17:30:00Z"}
    assert all(c.json == window and c.status == 204 for c in reconcile.write_calls())


def test_removed_candidate_has_their_seat_revoked_in_one_patch(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule())
    reconcile.server.reset_calls()
    reconcile.apply(qm_schedule(candidates=(ANA,)))
    raj = reconcile.seats()["raj@example.com"]
    assert reconcile.writes() == [("PATCH", f"Schedules({raj['ID']})")]
    assert reconcile.write_calls()[0].json == {"Disabled": True, "Hidden": True, "ExternalID": f"{MARK}:revoked"}
    assert raj["Disabled"] is True
    reconcile.server.reset_calls()
    assert not reconcile.plan(qm_schedule(candidates=(ANA,))).plan.has_changes
    assert reconcile.server.writes() == []


def test_readded_candidate_gets_their_seat_back_in_one_patch(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule())
    reconcile.apply(qm_schedule(candidates=(ANA,)))
    reconcile.server.reset_calls()
    run = reconcile.plan(qm_schedule(window=MOVED))
    assert [c.email for c in run.plan.changes[0].candidates.add] == ["raj@example.com"]
    reconcile.apply(qm_schedule(window=MOVED))
    anchor, seats = reconcile.anchor(), reconcile.seats()
    raj_patch = {"Disabled": False, "Hidden": False, "ExternalID": f"{MARK}:seat", "StartFrom": "2026-11-03T08:00:00Z",
                 "StartTo": "2026-11-03T17:30:00Z"}
    written = [(w, c.json) for w, c in zip(reconcile.writes(), reconcile.write_calls(), strict=True)]
    assert phases(written, 1) == phases([
        (("PATCH", f"Schedules({anchor['ID']})"), {"StartFrom": "2026-11-03T08:00:00Z",
                                                   "StartTo": "2026-11-03T17:30:00Z"}),
        (("PATCH", f"Schedules({seats['ana@example.com']['ID']})"), {"StartFrom": "2026-11-03T08:00:00Z",
                                                                     "StartTo": "2026-11-03T17:30:00Z"}),
        (("PATCH", f"Schedules({seats['raj@example.com']['ID']})"), raj_patch),
    ], 1)
    assert len(reconcile.app.world.tables["Schedules"]) == 3  # no new seat
    assert not reconcile.plan(qm_schedule(window=MOVED)).plan.has_changes


def test_new_candidate_is_found_or_created_then_seated(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule())
    reconcile.server.reset_calls()
    reconcile.apply(qm_schedule(candidates=(ANA, RAJ, MEI)))
    mei = reconcile.seats()["mei@example.com"]["ParticipantID"]
    assert reconcile.writes() == [("POST", "Participants"), ("POST", f"Participants({mei})/SendWelcomeEmail"),
                                  ("POST", "Schedules")]
    lookups = [q.get("$filter") for path, q in reconcile.reads() if path == "Participants"]
    # by login while planning (to list the new participant) and applying; the feed was read once, by the first
    # apply of this provider (one run), and is not read again
    assert len(lookups) == 2 and lookups[0] == lookups[1]
    assert str(lookups[0]).startswith("Name eq 'mei@example.com' or Name eq 'mei@example.com~")
    assert reconcile.seats()["mei@example.com"]["Disabled"] is False


def test_accommodation_is_the_seats_own_extra_time(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule())
    reconcile.server.reset_calls()
    reconcile.apply(qm_schedule(accommodations={"raj@example.com": Accommodation(extra_time=30)}))
    raj = reconcile.seats()["raj@example.com"]
    assert reconcile.writes() == [("PATCH", f"Schedules({raj['ID']})")]
    assert reconcile.write_calls()[0].json == {"ExtraTime": 30}
    reconcile.server.reset_calls()
    reconcile.apply(qm_schedule(accommodations={"raj@example.com": Accommodation(extra_time=45, max_attempts=3)}))
    assert reconcile.write_calls()[0].json == {"ExtraTime": 45, "MaxAttempts": 3}
    reconcile.server.reset_calls()
    reconcile.apply(qm_schedule(candidates=(ANA, RAJ, MEI), accommodations={"mei@example.com": Accommodation(
        extra_time=20), "raj@example.com": Accommodation(extra_time=45, max_attempts=3)}))
    created = [c.json for c in reconcile.write_calls() if c.method == "POST" and c.path.endswith("/Schedules")]
    assert [seat["ExtraTime"] for seat in created] == [20]  # a new seat is created with it


def test_schedule_settings_reach_seats_but_not_over_an_accommodation(reconcile: Reconcile) -> None:
    accommodations = {"raj@example.com": Accommodation(extra_time=30)}
    reconcile.apply(qm_schedule(accommodations=accommodations))
    reconcile.server.reset_calls()
    reconcile.apply(qm_schedule(accommodations=accommodations,
                                questionmark=QuestionmarkSettings(extra_time=10, hidden=True)))
    anchor, seats = reconcile.anchor(), reconcile.seats()
    assert phases([(w[1], c.json) for w, c in zip(reconcile.writes(), reconcile.write_calls(), strict=True)], 1) == [
        [(f"Schedules({anchor['ID']})", {"ExtraTime": 10})],  # the anchor is hidden already
        sorted([(f"Schedules({seats['ana@example.com']['ID']})", {"Hidden": True, "ExtraTime": 10}),
                (f"Schedules({seats['raj@example.com']['ID']})", {"Hidden": True})], key=repr),
    ]
    assert (seats["ana@example.com"]["ExtraTime"], seats["raj@example.com"]["ExtraTime"]) == (10, 30)


def test_disabled_applies_to_the_seats_and_the_anchor_stays_disabled(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule())
    reconcile.server.reset_calls()
    reconcile.apply(qm_schedule(questionmark=QuestionmarkSettings(disabled=True)))
    seats = [f"Schedules({s['ID']})" for s in reconcile.seats().values()]
    assert sorted(p for _, p in reconcile.writes()) == sorted(seats)
    assert all(c.json == {"Disabled": True} for c in reconcile.write_calls())


def test_a_seat_changed_by_hand_shows_in_the_plan_and_only_it_is_repaired(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule())
    raj = reconcile.seats()["raj@example.com"]
    reconcile.app.world.update_schedule(raj["ID"], {"StartTo": "2026-11-09T00:00:00Z"}, None)
    reconcile.server.reset_calls()
    run = reconcile.plan(qm_schedule())
    assert [f.text for f in run.plan.changes[0].fields] == ["window"]
    reconcile.apply(qm_schedule())
    assert reconcile.writes() == [("PATCH", f"Schedules({raj['ID']})")]
    assert reconcile.write_calls()[0].json == {"StartTo": "2026-11-02T17:30:00Z"}  # only what differs


def test_an_anchor_enabled_by_hand_is_disabled_again(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule())
    anchor = reconcile.anchor()
    reconcile.app.world.update_schedule(anchor["ID"], {"Disabled": False}, None)
    run = reconcile.plan(qm_schedule())
    assert [(f.text, f.before) for f in run.plan.changes[0].fields] == [("questionmark.disabled", None)]
    reconcile.server.reset_calls()
    reconcile.apply(qm_schedule())
    assert reconcile.writes() == [("PATCH", f"Schedules({anchor['ID']})")]
    assert reconcile.write_calls()[0].json == {"Disabled": True}


def test_metadata_goes_on_the_anchor_and_every_seat_once(reconcile: Reconcile) -> None:
    desired = qm_schedule(metadata={"Country": "%Participant.Primary_Country%"})
    reconcile.apply(desired)
    reconcile.server.reset_calls()
    reconcile.apply(desired)
    assert reconcile.server.writes() == []
    reconcile.apply(qm_schedule(metadata={"Country": "%Participant.Primary_Country%", "Cohort": "2026-11"}))
    assert reconcile.writes() == [("POST", "ScheduleMetadata")] * 3
    holders = {c.json["ScheduleID"] for c in reconcile.write_calls()}
    assert holders == {reconcile.anchor()["ID"], *(s["ID"] for s in reconcile.seats().values())}


def test_changed_metadata_is_blocked_and_nothing_is_written(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule(metadata={"Country": "A"}))
    reconcile.server.reset_calls()
    run = reconcile.plan(qm_schedule(metadata={"Country": "B"}))
    (reason,) = run.plan.changes[0].blocked
    assert "'Country'" in reason and "'A'" in reason and "'B'" in reason and "write-once" in reason
    with pytest.raises(UnsafePlanError, match="write-once"):
        engine.apply_plan(run, reconcile.providers)
    assert reconcile.server.writes() == []


def test_group_change_is_blocked(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule())
    run = reconcile.plan(qm_schedule(group="Other Team"))
    assert any("group" in reason and "'Other Team'" in reason for reason in run.plan.changes[0].blocked)


def test_accommodation_for_a_non_candidate_is_blocked(reconcile: Reconcile) -> None:
    run = reconcile.plan(qm_schedule(accommodations={"mei@example.com": Accommodation(extra_time=5)}))
    assert run.plan.changes[0].blocked == (
        "accommodation for mei@example.com: not in candidates (a seat would grant access)",)


def test_non_numeric_assessment_is_blocked(reconcile: Reconcile) -> None:
    run = reconcile.plan(qm_schedule(assessment_id="QM-42"))
    assert "not a Questionmark assessment ID" in run.plan.changes[0].blocked[0]


def test_unowned_schedules_are_reported_and_never_written(reconcile: Reconcile) -> None:
    group = reconcile.app.add_group("Hand Group")
    hand = reconcile.app.add_schedule(Name="Ops Certification", AssessmentID=int(ASSESSMENT), GroupID=group,
                                      MonitoringTypeID=1)
    reconcile.app.add_schedule(Name="Elsewhere", AssessmentID=1, GroupID=group, MonitoringTypeID=1)
    run = reconcile.plan(qm_schedule())
    assert [(u.name, u.ref) for u in run.plan.unmanaged] == [("Ops Certification", str(hand))]
    assert run.plan.changes[0].action == "create"
    reconcile.apply(qm_schedule())
    assert all(f"Schedules({hand})" not in path for _, path in reconcile.writes())
    assert reconcile.app.schedule(hand)["ExternalID"] is None


def test_schedule_gone_from_desired_state_with_prune_disables_every_seat_once(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule())
    reconcile.server.reset_calls()
    run = reconcile.plan(prune=True)
    assert [c.action for c in run.plan.changes] == ["disable"] and run.plan.counts()["disable"] == 1
    reconcile.apply(prune=True)
    seats = reconcile.seats()
    assert sorted(reconcile.writes()) == sorted(("PATCH", f"Schedules({s['ID']})") for s in seats.values())
    assert all(c.json == {"Disabled": True} for c in reconcile.write_calls())
    assert reconcile.anchor()["Disabled"] is True
    reconcile.server.reset_calls()
    assert not reconcile.plan(prune=True).plan.has_changes
    assert not any(c.method == "DELETE" for c in reconcile.server.calls)


def test_retired_schedule_put_back_is_enabled_again(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule())
    reconcile.apply(prune=True)  # gone from the YAML: disabled
    assert all(s["Disabled"] for s in reconcile.seats().values())
    reconcile.apply(qm_schedule())  # back in the YAML: a declared schedule is live
    assert not any(s["Disabled"] for s in reconcile.seats().values()) and reconcile.anchor()["Disabled"]


def test_soft_deleted_schedule_is_absent(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule())
    reconcile.app.soft_delete(reconcile.anchor()["ID"])
    run = reconcile.plan(qm_schedule())
    assert [c.action for c in run.plan.changes] == ["create"]


def test_bad_credentials_give_one_clear_line(make_provider: Callable[..., QuestionmarkProvider]) -> None:
    provider = make_provider(password="hunter2-wrong")
    with pytest.raises(AuthenticationError) as caught:
        engine.make_plan(DesiredState(schedules=(qm_schedule(),)), {"questionmark": provider})
    message = str(caught.value)
    assert message == ("questionmark: HTTP 401 GET /deliveryodata/123456/Schedules: credentials refused — check "
                       "QUESTIONMARK_USERNAME/QUESTIONMARK_PASSWORD")
    assert "hunter2" not in message + caught.value.body and "\n" not in message


def test_lost_answer_on_patch_is_verified_by_rereading(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule())
    moved = Window(start="2026-11-05T08:00:00", end="2026-11-05T10:00:00", time_zone="Europe/London")
    reconcile.server.faults.fail_next("lost_answer", "PATCH")
    report = reconcile.apply(qm_schedule(window=moved))
    (outcome,) = report.outcomes
    assert outcome.ok and "verified by re-reading" in outcome.message
    assert all(s["StartFrom"].startswith("2026-11-05T08:00:00") for s in [reconcile.anchor(),
                                                                           *reconcile.seats().values()])
    assert not reconcile.plan(qm_schedule(window=moved)).plan.has_changes


def test_seats_whose_anchor_was_deleted_are_reported(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule())
    reconcile.app.soft_delete(reconcile.anchor()["ID"])
    run = reconcile.plan(qm_schedule(name="Other Exam"))
    assert sorted(u.ref for u in run.plan.unmanaged) == sorted(str(s["ID"]) for s in reconcile.seats().values())
