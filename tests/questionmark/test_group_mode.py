"""Group mode (no `candidates:`): the group schedule is open to the group; accommodations are exceptions."""

from __future__ import annotations

from reconciler.models import Accommodation, Window
from reconciler.providers.questionmark.mapping import external_id

from .conftest import ANA, ASSESSMENT, RAJ, Reconcile, qm_schedule

MARK = external_id(ASSESSMENT, "Ops Certification")
RAJ_30 = {"raj@example.com": Accommodation(extra_time=30)}


def _team(reconcile: Reconcile, size: int = 0) -> int:
    group = reconcile.app.add_group("Ops Team")
    for person in (ANA, RAJ):
        reconcile.app.add_participant(person.email, person.email, groups=[group])
    for i in range(size):
        reconcile.app.add_participant(f"m{i:03d}@example.com", f"m{i:03d}@example.com", groups=[group])
    return group


def test_group_schedule_and_an_exception_per_accommodation(reconcile: Reconcile) -> None:
    group = _team(reconcile)
    reconcile.apply(qm_schedule(candidates=None, accommodations=RAJ_30))
    assert reconcile.writes() == [("POST", "Schedules"), ("POST", "Schedules")]
    parent, exception = (c.json for c in reconcile.write_calls())
    assert (parent["GroupID"], parent["Disabled"], parent["ExternalID"]) == (group, False, MARK)
    raj = reconcile.app.find_participant("raj@example.com")
    assert exception["ParentScheduleID"] == reconcile.anchor()["ID"] and exception["ParticipantID"] == raj
    assert (exception["ExtraTime"], exception["Disabled"], exception["StartFrom"]) == (30, False,
                                                                                      "2026-11-02T08:00:00Z")
    assert (f"Groups({group})/Participants", {}) in reconcile.reads()
    reconcile.server.reset_calls()
    assert not reconcile.plan(qm_schedule(candidates=None, accommodations=RAJ_30)).plan.has_changes
    assert [path for path, _ in reconcile.reads()] == ["Schedules", f"Groups({group})/Participants"]


def test_without_accommodations_only_the_listing_is_read(reconcile: Reconcile) -> None:
    _team(reconcile)
    reconcile.apply(qm_schedule(candidates=None))
    reconcile.server.reset_calls()
    assert not reconcile.plan(qm_schedule(candidates=None)).plan.has_changes
    assert [path for path, _ in reconcile.reads()] == ["Schedules"]


def test_members_are_read_past_100_from_the_navigation_feed(reconcile: Reconcile) -> None:
    group = _team(reconcile, size=120)
    late = {"m119@example.com": Accommodation(max_attempts=2)}
    reconcile.apply(qm_schedule(candidates=None, accommodations=late))
    assert reconcile.children(reconcile.anchor()["ID"])[0]["MaxAttempts"] == 2
    assert (f"Groups({group})/Participants", {"$skip": "100"}) in reconcile.reads()


def test_accommodation_for_someone_outside_the_group_is_blocked(reconcile: Reconcile) -> None:
    _team(reconcile)
    reconcile.apply(qm_schedule(candidates=None))
    run = reconcile.plan(qm_schedule(candidates=None, accommodations={"mei@example.com": Accommodation(extra_time=5)}))
    assert run.plan.changes[0].blocked == ("accommodation for mei@example.com: not a member of group 'Ops Team' "
                                           "(an exception schedule would grant access)",)


def test_window_change_reaches_enabled_exceptions(reconcile: Reconcile) -> None:
    _team(reconcile)
    reconcile.apply(qm_schedule(candidates=None, accommodations=RAJ_30))
    reconcile.server.reset_calls()
    moved = Window(start="2026-11-04T09:00:00", end="2026-11-04T12:00:00", time_zone="Europe/London")
    reconcile.apply(qm_schedule(candidates=None, accommodations=RAJ_30, window=moved))
    parent = reconcile.anchor()
    (child,) = reconcile.children(parent["ID"])
    assert reconcile.writes() == [("PATCH", f"Schedules({parent['ID']})"), ("PATCH", f"Schedules({child['ID']})")]
    assert reconcile.write_calls()[1].json == {"StartFrom": "2026-11-04T09:00:00Z", "StartTo": "2026-11-04T12:00:00Z"}
    assert (child["ExtraTime"], child["Disabled"]) == (30, False)


def test_retired_then_put_back(reconcile: Reconcile) -> None:
    _team(reconcile)
    desired = qm_schedule(candidates=None, accommodations=RAJ_30)
    reconcile.apply(desired)
    reconcile.server.reset_calls()
    reconcile.apply(prune=True)
    parent = reconcile.anchor()
    (child,) = reconcile.children(parent["ID"])
    assert reconcile.writes() == [("PATCH", f"Schedules({parent['ID']})"), ("PATCH", f"Schedules({child['ID']})")]
    assert parent["Disabled"] and child["Disabled"]
    assert not reconcile.plan(prune=True).plan.has_changes
    reconcile.apply(desired)
    assert not reconcile.anchor()["Disabled"] and not reconcile.children(parent["ID"])[0]["Disabled"]
    assert not reconcile.plan(desired).plan.has_changes


def test_a_group_schedule_becomes_a_candidate_list(reconcile: Reconcile) -> None:
    """How schedules made before seats existed move over: the group schedule becomes the disabled anchor (its
    group has no members: seats need a group of their own)."""
    group = reconcile.app.add_group("Ops Team")
    old = reconcile.app.add_schedule(Name="Ops Certification", AssessmentID=ASSESSMENT, GroupID=group,
                                     MonitoringTypeID=1, ExternalID=MARK)
    run = reconcile.plan(qm_schedule())
    change = run.plan.changes[0]
    assert [f.text for f in change.fields if f.text == "invitation_only"] == ["invitation_only"]
    assert not change.blocked and len(change.candidates.add) == 2
    reconcile.apply(qm_schedule())
    assert reconcile.anchor()["ID"] == old and reconcile.anchor()["Disabled"] and reconcile.anchor()["Hidden"]
    assert sorted(reconcile.seats()) == ["ana@example.com", "raj@example.com"]
    assert not reconcile.plan(qm_schedule()).plan.has_changes


def test_a_group_with_members_is_refused_for_seats(reconcile: Reconcile) -> None:
    """Seats mode never adds members, so members were put there by someone else: the list is refused, saying
    why and pointing at membership mode."""
    group = _team(reconcile)
    reconcile.app.add_schedule(Name="Ops Certification", AssessmentID=ASSESSMENT, GroupID=group,
                               MonitoringTypeID=1, ExternalID=MARK)
    (reason,) = reconcile.plan(qm_schedule()).plan.changes[0].blocked
    assert reason.startswith("group 'Ops Team' has 2 member(s) this tool did not put there")
    assert "membership mode (set providers.questionmark.qmwise_url)" in reason
    before = reconcile.app.schedules()
    assert reconcile.plan(qm_schedule(name="Ops Retake")).plan.changes[0].blocked  # a create into it too
    assert reconcile.app.schedules() == before


def test_a_candidate_list_cannot_be_opened_to_the_group(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule())
    run = reconcile.plan(qm_schedule(candidates=None))
    assert any("cannot be opened to its whole group" in reason for reason in run.plan.changes[0].blocked)
