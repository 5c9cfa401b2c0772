"""A live seats-mode schedule keeps its seats when the project turns to membership mode (new schedules use
membership); a membership schedule under `access: seats` is refused with a message; a schedule of ours whose
roster record never arrived is claimed only while its group is empty."""

from __future__ import annotations

from ..conftest import ANA, MEI, RAJ, Reconcile, qm_schedule
from .conftest import ADD, Membership


def test_a_seats_schedule_keeps_its_seats_in_membership_mode(reconcile: Reconcile, membership: Membership) -> None:
    reconcile.apply(qm_schedule())  # seats mode: an anchor and two seats
    run = membership.plan(qm_schedule(candidates=(ANA, RAJ, MEI)), qm_schedule(name="New Exam", group="New"))
    assert run.plan.access == {qm_schedule().key.path: "seats", qm_schedule(name="New Exam").key.path: "membership"}
    (change, _) = sorted(run.plan.changes, key=lambda c: c.name != "Ops Certification")
    assert not change.blocked and [c.email for c in change.candidates.add] == [MEI.email]
    membership.reset()
    membership.apply(qm_schedule(candidates=(ANA, RAJ, MEI)))
    assert membership.soap_methods() == [] and MEI.email in reconcile.seats()  # a seat, not a member
    assert membership.members(reconcile.anchor()["GroupID"]) == set()


def test_membership_to_seats_is_refused(reconcile: Reconcile, membership: Membership) -> None:
    membership.apply(qm_schedule())
    run = reconcile.plan(qm_schedule(candidates=(ANA,)))
    (change,) = run.plan.changes
    assert change.blocked and "members of its group (membership mode)" in change.blocked[0]
    assert "set access: membership" in change.blocked[0]


def test_a_group_schedule_without_candidates_becomes_a_roster_only_when_its_group_is_empty(
        membership: Membership) -> None:
    group = membership.app.add_group("Ops Team")
    membership.apply(qm_schedule(candidates=None))  # group mode: open to the (empty) group, no record
    membership.reset()
    membership.apply(qm_schedule())  # claimed: the record, then the members
    parent = membership.anchor()
    assert membership.app.metadata_of(parent["ID"]) == {"reconciler:roster": str(group)}
    assert membership.soap_methods() == [ADD] and membership.members(group) == {ANA.email, RAJ.email}


def test_a_group_schedule_of_a_populated_group_is_not_claimed(membership: Membership) -> None:
    group = membership.app.add_group("Ops Team")
    membership.app.add_participant("boss@example.com", "boss@example.com", groups=[group])
    membership.apply(qm_schedule(candidates=None))
    (change,) = membership.plan(qm_schedule()).plan.changes
    assert change.blocked and "already has 1 member(s) this tool did not add" in change.blocked[0]
    assert "--adopt" in change.blocked[0]
