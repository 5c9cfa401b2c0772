"""Plan and apply against the Questionmark emulator over real sockets: exact calls, bodies, convergence."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from reconciler import engine
from reconciler.errors import AuthenticationError, UnsafePlanError
from reconciler.models import Accommodation, DesiredState, Window
from reconciler.providers.questionmark.mapping import external_id
from reconciler.providers.questionmark.provider import QuestionmarkProvider

from .conftest import ANA, ASSESSMENT, MEI, RAJ, Reconcile, qm_schedule


def test_create_makes_group_schedule_upserts_and_metadata(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule(metadata={"Country": "UK"}))
    assert reconcile.writes() == [
        ("POST", "Groups"),
        ("POST", "Schedules"),
        ("POST", "Participants/Upsert"),
        ("POST", "Participants/Upsert"),
        ("POST", "ScheduleMetadata"),
    ]
    calls = reconcile.write_calls()
    assert calls[0].json == {"Name": "Ops Team"}
    parent = reconcile.owned()
    assert calls[1].json == {
        "Name": "Ops Certification", "ExternalID": external_id(ASSESSMENT, "Ops Certification"),
        "AssessmentID": ASSESSMENT, "GroupID": parent["GroupID"], "MonitoringTypeID": 1,
        "StartFrom": "2026-11-02T08:00:00Z", "StartTo": "2026-11-02T17:30:00Z", "Disabled": False,
    }
    assert calls[2].json == {
        "Name": "ana@example.com", "PrimaryEmail": "ana@example.com", "FirstName": "Ana", "LastName": "Lima",
        "Groups": ["Ops Team"], "ReplaceExistingGroups": False,
    }
    assert calls[4].json == {"ScheduleID": parent["ID"], "Key": "Country", "Value": "UK"}
    assert reconcile.app.group_members(parent["GroupID"]) == ["ana@example.com", "raj@example.com"]
    assert parent["ExternalID"].startswith("reconciler:v1:") and len(parent["ExternalID"]) == 14 + 24


def test_create_reuses_a_group_and_revokes_members_not_wanted(reconcile: Reconcile) -> None:
    group = reconcile.app.add_group("Ops Team")
    reconcile.app.add_participant("ana@example.com", "ana@example.com", groups=[group])
    mei = reconcile.app.add_participant("mei@example.com", "mei@example.com", groups=[group])
    reconcile.apply(qm_schedule())
    assert reconcile.writes() == [
        ("POST", "Schedules"), ("POST", "Participants/Upsert"), ("POST", "Schedules"),
    ]
    revoke = reconcile.write_calls()[2].json
    assert revoke["ParticipantID"] == mei and revoke["Disabled"] is True
    assert revoke["ParentScheduleID"] == reconcile.owned()["ID"]
    reconcile.server.reset_calls()
    assert not reconcile.plan(qm_schedule()).plan.has_changes
    assert reconcile.server.writes() == []


def test_window_move_is_one_patch_with_only_the_window(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule())
    reconcile.server.reset_calls()
    moved = Window(start="2026-11-03T08:00:00", end="2026-11-03T17:30:00", time_zone="Europe/London")
    reconcile.apply(qm_schedule(window=moved))
    parent = reconcile.owned()
    assert reconcile.writes() == [("PATCH", f"Schedules({parent['ID']})")]
    assert reconcile.write_calls()[0].json == {"StartFrom": "2026-11-03T08:00:00Z", "StartTo": "2026-11-03T17:30:00Z"}
    assert reconcile.write_calls()[0].status == 204


def test_removed_candidate_gets_a_disabled_exception_and_stays_a_member(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule())
    reconcile.server.reset_calls()
    reconcile.apply(qm_schedule(candidates=(ANA,)))
    parent = reconcile.owned()
    raj = reconcile.app.find_participant("raj@example.com")
    assert reconcile.writes() == [("POST", "Schedules")]
    child = reconcile.write_calls()[0].json
    assert child["ParentScheduleID"] == parent["ID"] and child["ParticipantID"] == raj
    assert child["Disabled"] is True and child["AssessmentID"] == ASSESSMENT and child["MonitoringTypeID"] == 1
    assert raj is not None
    assert "raj@example.com" in reconcile.app.group_members(parent["GroupID"])
    reconcile.server.reset_calls()
    assert not reconcile.plan(qm_schedule(candidates=(ANA,))).plan.has_changes
    assert reconcile.server.writes() == []


def test_readded_candidate_has_the_exception_reenabled(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule())
    reconcile.apply(qm_schedule(candidates=(ANA,)))
    reconcile.server.reset_calls()
    run = reconcile.plan(qm_schedule())
    assert [c.email for c in run.plan.changes[0].candidates.add] == ["raj@example.com"]
    reconcile.apply(qm_schedule())
    child = reconcile.children(reconcile.owned()["ID"])[0]
    assert reconcile.writes() == [("PATCH", f"Schedules({child['ID']})")]
    assert reconcile.write_calls()[0].json == {"Disabled": False}
    assert child["Disabled"] is False
    reconcile.server.reset_calls()
    assert not reconcile.plan(qm_schedule()).plan.has_changes


def test_new_candidate_is_upserted_into_the_group(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule())
    reconcile.server.reset_calls()
    reconcile.apply(qm_schedule(candidates=(ANA, RAJ, MEI)))
    assert reconcile.writes() == [("POST", "Participants/Upsert")]
    assert reconcile.write_calls()[0].json["Name"] == "mei@example.com"


def test_accommodation_is_an_exception_schedule_with_extra_time(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule())
    reconcile.server.reset_calls()
    reconcile.apply(qm_schedule(accommodations={"raj@example.com": Accommodation(extra_time=30)}))
    assert reconcile.writes() == [("POST", "Schedules")]
    body = reconcile.write_calls()[0].json
    assert body["ExtraTime"] == 30 and body["Disabled"] is False
    assert body["StartFrom"] == "2026-11-02T08:00:00Z"  # the parent's window is copied
    reconcile.server.reset_calls()
    reconcile.apply(qm_schedule(accommodations={"raj@example.com": Accommodation(extra_time=45)}))
    child = reconcile.children(reconcile.owned()["ID"])[0]
    assert reconcile.writes() == [("PATCH", f"Schedules({child['ID']})")]
    assert reconcile.write_calls()[0].json == {"ExtraTime": 45}


def test_parent_changes_reach_enabled_exceptions(reconcile: Reconcile) -> None:
    desired = qm_schedule(accommodations={"raj@example.com": Accommodation(extra_time=30)})
    reconcile.apply(desired)
    reconcile.server.reset_calls()
    moved = Window(start="2026-11-04T09:00:00", end="2026-11-04T12:00:00", time_zone="Europe/London")
    reconcile.apply(desired.model_copy(update={"window": moved}))
    parent = reconcile.owned()
    child = reconcile.children(parent["ID"])[0]
    assert reconcile.writes() == [("PATCH", f"Schedules({parent['ID']})"), ("PATCH", f"Schedules({child['ID']})")]
    assert reconcile.write_calls()[1].json == {"StartFrom": "2026-11-04T09:00:00Z", "StartTo": "2026-11-04T12:00:00Z"}
    assert (child["StartFrom"], child["ExtraTime"]) == (parent["StartFrom"], 30)


def test_metadata_is_posted_once(reconcile: Reconcile) -> None:
    desired = qm_schedule(metadata={"Country": "%Participant.Primary_Country%"})
    reconcile.apply(desired)
    reconcile.server.reset_calls()
    reconcile.apply(desired)
    assert reconcile.server.writes() == []
    reconcile.apply(qm_schedule(metadata={"Country": "%Participant.Primary_Country%", "Cohort": "2026-11"}))
    assert reconcile.writes() == [("POST", "ScheduleMetadata")]
    assert reconcile.write_calls()[0].json["Key"] == "Cohort"


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
        "accommodation for mei@example.com: not in candidates (an exception schedule would grant access)",)


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


def test_schedule_gone_from_desired_state_is_disabled_once(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule())
    reconcile.server.reset_calls()
    run = reconcile.plan()
    assert [c.action for c in run.plan.changes] == ["disable"]
    reconcile.apply()
    parent = reconcile.owned()
    assert reconcile.writes() == [("PATCH", f"Schedules({parent['ID']})")]
    assert reconcile.write_calls()[0].json == {"Disabled": True}
    assert parent["Disabled"] is True
    reconcile.server.reset_calls()
    assert not reconcile.plan().plan.has_changes
    assert not any(c.method == "DELETE" for c in reconcile.server.calls)


def test_soft_deleted_schedule_is_absent(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule())
    reconcile.app.soft_delete(reconcile.owned()["ID"])
    run = reconcile.plan(qm_schedule())
    assert [c.action for c in run.plan.changes] == ["create"]


def test_paging_past_100_schedules_and_100_members(reconcile: Reconcile) -> None:
    app = reconcile.app
    big = app.add_group("Big Cohort")
    for i in range(119):
        app.add_schedule(Name=f"Hand {i}", AssessmentID=int(ASSESSMENT), GroupID=big, MonitoringTypeID=1)
    people = tuple(ANA.model_copy(update={"email": f"p{i:03d}@example.com"}) for i in range(150))
    for person in people:
        app.add_participant(person.email, person.email, groups=[big])
    desired = qm_schedule(group="Big Cohort", candidates=people)
    reconcile.apply(desired)
    assert reconcile.writes() == [("POST", "Schedules")]  # the group and all 150 members exist
    assert reconcile.owned()["ID"] > 11601 + 100  # only on the second page of the listing
    reconcile.server.reset_calls()
    run = reconcile.plan(desired)
    assert not run.plan.has_changes and run.plan.in_sync == 1
    assert len(run.plan.unmanaged) == 119
    reads = [(c.path.rsplit("/", 1)[-1], c.params) for c in reconcile.server.calls]
    assert ("Schedules", {"$expand": "ScheduleMetadata", "$skiptoken": str(11601 + 99)}) in reads
    assert ("Participants", {"$skip": "100"}) in reads
    assert reconcile.server.writes() == []


def test_bad_credentials_give_one_clear_line(make_provider: Callable[..., QuestionmarkProvider]) -> None:
    provider = make_provider(password="hunter2-wrong")
    with pytest.raises(AuthenticationError) as caught:
        engine.make_plan(DesiredState(schedules=(qm_schedule(),)), {"questionmark": provider})
    message = str(caught.value)
    assert message == ("questionmark: HTTP 401 credentials refused — check "
                       "QUESTIONMARK_USERNAME/QUESTIONMARK_PASSWORD")
    assert "hunter2" not in message + caught.value.body and "\n" not in message


def test_lost_answer_on_patch_is_verified_by_rereading(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule())
    moved = Window(start="2026-11-05T08:00:00", end="2026-11-05T10:00:00", time_zone="Europe/London")
    reconcile.server.faults.fail_next("lost_answer", "PATCH")
    report = reconcile.apply(qm_schedule(window=moved))
    (outcome,) = report.outcomes
    assert outcome.ok and "verified by re-reading" in outcome.message
    assert reconcile.owned()["StartFrom"].startswith("2026-11-05T08:00:00")
    assert not reconcile.plan(qm_schedule(window=moved)).plan.has_changes


def test_retired_schedule_put_back_is_enabled_again(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule())
    reconcile.apply()  # gone from the YAML: disabled
    assert reconcile.owned()["Disabled"] is True
    reconcile.apply(qm_schedule())  # back in the YAML: a declared schedule is live
    assert reconcile.owned()["Disabled"] is False
