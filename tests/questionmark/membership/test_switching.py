"""Switching a live schedule between seats and membership is refused in place, with a message saying what to do;
a schedule of ours whose roster record never arrived is claimed only while its group is empty."""

from __future__ import annotations

import pytest

from reconciler.errors import UnsafePlanError

from ..conftest import ANA, MEI, RAJ, Reconcile, qm_schedule
from .conftest import ADD, Membership


def test_seats_to_membership_is_refused(reconcile: Reconcile, membership: Membership) -> None:
    reconcile.apply(qm_schedule())  # seats mode: an anchor and two seats
    run = membership.plan(qm_schedule(candidates=(ANA, RAJ, MEI)))
    (change,) = run.plan.changes
    assert change.blocked and "holds its candidates as seats" in change.blocked[0]
    with pytest.raises(UnsafePlanError, match="cannot apply"):
        membership.engine_apply(qm_schedule(candidates=(ANA, RAJ, MEI)))
    assert membership.soap_methods() == []


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
