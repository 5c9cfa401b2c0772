"""`import --adopt` in membership mode: a group schedule made in the portal is adopted with its group as its roster
(the record written, the members imported as candidates); the imported schedule then plans with no changes and
the tool manages its members from then on."""

from __future__ import annotations

from datetime import datetime

from reconciler.providers.questionmark.discover import discover, write_marks
from reconciler.providers.questionmark.membership import ROSTER_KEY

from ..conftest import ANA, ASSESSMENT, MEI, RAJ, Reconcile, qm_schedule
from .conftest import ADD, Membership


def test_adopting_a_populated_group_schedule_makes_its_group_the_roster(membership: Membership) -> None:
    app = membership.app
    group = app.add_group("Ops Team")
    for person in (ANA, RAJ):
        app.add_participant(person.email, person.email, groups=[group], FirstName=person.name.split()[0],
                            LastName=person.name.split()[1])
    schedule_id = app.add_schedule(Name="Ops Certification", AssessmentID=int(ASSESSMENT), GroupID=group,
                                   MonitoringTypeID=1, StartFrom=datetime(2026, 11, 2, 8, 0),
                                   StartTo=datetime(2026, 11, 2, 17, 30))
    found = discover(membership.provider, group="Ops Team", adopt=True, time_zone="Europe/London")
    (imported,) = found.schedules
    assert found.adopted == [imported.schedule.key]
    assert app.metadata_of(schedule_id) == {}  # nothing written before the imported file is checked
    write_marks(membership.provider, found)
    assert app.metadata_of(schedule_id) == {ROSTER_KEY: str(group)}
    assert imported.schedule.candidates == (ANA, RAJ) and imported.schedule.metadata == {}
    desired = imported.schedule.model_copy(update={"group": "Ops Team"})
    assert not membership.plan(desired).plan.has_changes
    membership.reset()
    membership.apply(desired.model_copy(update={"candidates": (ANA, RAJ, MEI)}))  # now managed: one add
    assert membership.soap_methods() == [ADD] and membership.members(group) == {ANA.email, RAJ.email, MEI.email}
    assert qm_schedule().key == imported.schedule.key


def test_adopting_a_marked_group_mode_schedule_makes_its_group_the_roster(membership: Membership) -> None:
    group = membership.app.add_group("Ops Team")
    membership.app.add_participant("boss@example.com", "boss@example.com", groups=[group])
    membership.apply(qm_schedule(candidates=None))  # group mode: ours, no roster record
    assert membership.plan(qm_schedule()).plan.changes[0].blocked  # not taken over by surprise
    found = discover(membership.provider, group="Ops Team", adopt=True)
    (imported,) = found.schedules
    assert found.adopted == [] and [c.email for c in imported.schedule.candidates or ()] == ["boss@example.com"]
    assert found.rosters and not found.marks  # marked already: only the roster record is written
    write_marks(membership.provider, found)
    membership.reset()
    assert not membership.plan(imported.schedule.model_copy(update={"group": "Ops Team"})).plan.has_changes
    membership.apply(qm_schedule())  # now the roster is ours: the boss leaves, Ana and Raj join
    assert membership.members(group) == {ANA.email, RAJ.email}


def test_adopting_never_records_a_roster_on_a_seats_anchor(reconcile: Reconcile, membership: Membership) -> None:
    reconcile.apply(qm_schedule())  # seats mode
    found = discover(membership.provider, group="Ops Team", adopt=True)
    assert [s.schedule.name for s in found.schedules] == ["Ops Certification"]
    assert ROSTER_KEY not in membership.app.metadata_of(reconcile.anchor()["ID"])
