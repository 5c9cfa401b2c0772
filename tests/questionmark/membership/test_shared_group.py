"""Two desired schedules sharing one roster group (validation makes them list the same candidates): both are
created on the group, the second recognises the group as ours, and someone who started through either is kept."""

from __future__ import annotations

from ..conftest import ANA, MEI, RAJ, qm_schedule
from .conftest import ADD, Membership

MORNING = {"name": "Morning", "group": "Ops Team"}
EVENING = {"name": "Evening", "group": "Ops Team"}


def test_two_schedules_on_one_roster(membership: Membership) -> None:
    membership.apply(qm_schedule(**MORNING), qm_schedule(**EVENING))
    group = membership.app.find_group("Ops Team")
    assert group is not None and membership.members(group) == {ANA.email, RAJ.email}
    assert membership.soap_methods() == [ADD]  # the second found everyone a member already
    membership.reset()
    assert not membership.plan(qm_schedule(**MORNING), qm_schedule(**EVENING)).plan.has_changes
    membership.apply(qm_schedule(**MORNING, candidates=(ANA, RAJ, MEI)),
                     qm_schedule(**EVENING, candidates=(ANA, RAJ, MEI)))
    assert membership.members(group) == {ANA.email, RAJ.email, MEI.email}


def test_an_attempt_through_the_other_schedule_keeps_the_member(membership: Membership) -> None:
    membership.apply(qm_schedule(**MORNING), qm_schedule(**EVENING))
    evening = membership.anchor_of("Evening")
    raj = membership.app.find_participant(RAJ.email)
    assert raj is not None
    membership.app.add_attempt(evening["ID"], raj)
    run = membership.plan(qm_schedule(**MORNING, candidates=(ANA,)), qm_schedule(**EVENING, candidates=(ANA,)))
    assert all(RAJ.email in c.candidates.protected and not c.candidates.remove for c in run.plan.changes)
