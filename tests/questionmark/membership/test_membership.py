"""Membership mode end to end against the emulator: one group schedule, the candidates its group's members
(changed through QMWISe), with the call counts the mode promises."""

from __future__ import annotations

import json
import math
from collections.abc import Callable

from reconciler.models import Accommodation, Candidate, Window
from reconciler.providers.questionmark.mapping import external_id
from reconciler.providers.questionmark.membership import ROSTER_KEY
from reconciler.render.jsonplan import render_json
from reconciler.render.markdown import render_markdown
from reconciler.render.text import render_text
from reconciler.sandbox.questionmark import SANDBOX_USERNAME

from ..conftest import ANA, ASSESSMENT, MEI, RAJ, qm_schedule
from .conftest import ADD, DELETE, Membership

MARK = external_id(ASSESSMENT, "Ops Certification")
MOVED = Window(start="2026-11-03T08:00:00", end="2026-11-03T17:30:00", time_zone="Europe/London")


def people(n: int, start: int = 0) -> tuple[Candidate, ...]:
    return tuple(Candidate(email=f"p{i:04d}@example.com", name=f"Person {i}") for i in range(start, start + n))


def test_create_is_one_group_schedule_its_record_and_one_add(membership: Membership) -> None:
    membership.apply(qm_schedule())
    group = membership.app.find_group("Ops Team")
    assert group is not None
    parent = membership.anchor()
    assert (parent["GroupID"], parent["Disabled"], parent["ParticipantID"]) == (group, False, None)
    assert membership.app.metadata_of(parent["ID"]) == {ROSTER_KEY: str(group)}
    assert membership.members(group) == {ANA.email, RAJ.email}
    assert membership.soap_methods() == [ADD]
    writes = membership.odata_writes()
    assert writes.count(("POST", "Schedules")) == 1 and writes.count(("POST", "Participants")) == 2
    assert len(membership.app.schedules()) == 1  # no anchor, no seats


def test_plan_header_says_the_mode(membership: Membership) -> None:
    run = membership.plan(qm_schedule(), qm_schedule(name="Open", candidates=None))
    assert run.plan.access == {qm_schedule().key.path: "membership", qm_schedule(name="Open").key.path: "group"}
    assert run.plan.access_line() == "Questionmark access: group 1, membership 1"
    assert "Questionmark access: group 1, membership 1\n" in render_text(run.plan).splitlines(keepends=True)
    assert "\nQuestionmark access: group 1, membership 1\n" in render_markdown(run.plan, mask=str)
    assert json.loads(render_json(run.plan))["access"] == run.plan.access


def test_no_op_plan_reads_the_listing_and_the_roster_pages(membership: Membership) -> None:
    crowd = people(230)
    schedules = [qm_schedule(name=f"Exam {i}", group=f"Team {i}", candidates=crowd if i == 0 else (ANA,))
                 for i in range(3)]
    membership.apply(*schedules)
    membership.reset()
    run = membership.plan(*schedules)
    assert not run.plan.has_changes
    reads = [path for path, _ in membership.reads()]
    roster_pages = math.ceil(230 / 100) + 1 + 1  # Team 0's 230 members, Team 1 and Team 2 one page each
    assert reads.count("Schedules") == math.ceil(3 / 100)  # one listing page: no $count either
    assert sum(path.endswith("/Participants") for path in reads) == roster_pages
    assert len(reads) == math.ceil(3 / 100) + roster_pages
    assert membership.soap_methods() == []


def test_window_move_is_one_patch(membership: Membership) -> None:
    membership.apply(qm_schedule(candidates=people(200)))
    membership.reset()
    membership.apply(qm_schedule(candidates=people(200), window=MOVED))
    assert membership.odata_writes() == [("PATCH", f"Schedules({membership.anchor()['ID']})")]
    assert membership.soap_methods() == []
    assert membership.anchor()["StartFrom"].startswith("2026-11-03T08:00:00")


def test_adding_k_is_one_add_plus_the_new_participants(membership: Membership) -> None:
    membership.apply(qm_schedule())
    membership.app.add_participant("mei@example.com", "mei@example.com")  # exists already: found, not created
    membership.reset()
    added = (*people(40), MEI)
    membership.apply(qm_schedule(candidates=(ANA, RAJ, *added)))
    assert membership.soap_methods() == [ADD]
    assert membership.soap()[0].ids == len(added)
    writes = membership.odata_writes()  # each new participant: created, then sent the welcome email (sign_in)
    assert [w for w in writes if w == ("POST", "Participants")] == [("POST", "Participants")] * 40
    assert sum(path.endswith("/SendWelcomeEmail") for _, path in writes) == 40 and len(writes) == 80
    assert membership.members(membership.anchor()["GroupID"]) == {c.email for c in (ANA, RAJ, *added)}


def test_adding_past_the_batch_size_splits_only_there(make_membership: Callable[..., Membership]) -> None:
    membership = make_membership(batch=25)
    membership.apply(qm_schedule(candidates=people(60)))
    assert [c.ids for c in membership.soap()] == [25, 25, 10]


def test_removing_is_one_delete_and_the_participant_stays(membership: Membership) -> None:
    membership.apply(qm_schedule(candidates=(ANA, RAJ, MEI)))
    membership.reset()
    membership.apply(qm_schedule(candidates=(ANA,)))
    assert membership.soap_methods() == [DELETE]
    assert membership.soap()[0].ids == 2
    assert membership.odata_writes() == []
    assert membership.members(membership.anchor()["GroupID"]) == {ANA.email}
    assert membership.app.find_participant(RAJ.email) is not None


def test_accommodations_are_exception_schedules(membership: Membership) -> None:
    raj_30 = {RAJ.email: Accommodation(extra_time=30)}
    membership.apply(qm_schedule(accommodations=raj_30))
    parent = membership.anchor()
    (child,) = membership.children(parent["ID"])
    assert (child["ParticipantID"], child["ExtraTime"], child["Disabled"]) == (
        membership.app.find_participant(RAJ.email), 30, False)
    membership.reset()
    membership.apply(qm_schedule(accommodations=raj_30, window=MOVED))  # the parent and its exception move
    assert sorted(membership.odata_writes()) == sorted([("PATCH", f"Schedules({parent['ID']})"),
                                                        ("PATCH", f"Schedules({child['ID']})")])
    membership.reset()
    membership.apply(qm_schedule(candidates=(ANA,), window=MOVED))  # Raj leaves: his exception is switched off
    assert membership.app.schedule(child["ID"])["Disabled"] is True
    assert membership.soap_methods() == [DELETE]
    assert not membership.plan(qm_schedule(candidates=(ANA,), window=MOVED)).plan.has_changes


def test_a_started_member_is_never_removed(membership: Membership) -> None:
    membership.apply(qm_schedule())
    raj = membership.app.find_participant(RAJ.email)
    assert raj is not None
    membership.app.add_attempt(membership.anchor()["ID"], raj)
    membership.reset()
    run = membership.plan(qm_schedule(candidates=(ANA,)))
    (change,) = run.plan.changes
    assert RAJ.email in change.candidates.protected and not change.candidates.remove
    membership.apply(qm_schedule(candidates=(ANA,)))
    assert membership.soap_methods() == []
    assert RAJ.email in membership.members(membership.anchor()["GroupID"])


def test_an_attempt_through_an_exception_protects_too(membership: Membership) -> None:
    membership.apply(qm_schedule(accommodations={RAJ.email: Accommodation(extra_time=10)}))
    (child,) = membership.children(membership.anchor()["ID"])
    membership.app.add_attempt(child["ID"], child["ParticipantID"])
    run = membership.plan(qm_schedule(candidates=(ANA,)))
    assert RAJ.email in run.plan.changes[0].candidates.protected


def test_a_populated_group_is_never_taken_over(membership: Membership) -> None:
    group = membership.app.add_group("Ops Team")
    membership.app.add_participant("boss@example.com", "boss@example.com", groups=[group])
    report = membership.engine_apply(qm_schedule())
    assert report.failed and "already has 1 member(s)" in report.failed[0].message
    assert membership.members(group) == {"boss@example.com"}
    assert membership.soap_methods() == []


def test_an_empty_existing_group_is_used(membership: Membership) -> None:
    group = membership.app.add_group("Ops Team")
    membership.apply(qm_schedule())
    assert membership.anchor()["GroupID"] == group
    assert membership.members(group) == {ANA.email, RAJ.email}


def test_no_op_plan_past_one_listing_page_adds_the_count(membership: Membership) -> None:
    """150 schedules seeded as membership mode leaves them: 2 listing pages + `Schedules/$count` (asked when
    the first page has a next link, reading.read_listing) + one roster page per schedule."""
    from benchmarks.world import Scenario, desired, prepare_questionmark, seed_membership

    scenario = Scenario(150, 2, "membership")
    prepare_questionmark(membership.app, SANDBOX_USERNAME)
    seed_membership(membership.app, scenario)
    schedules = [desired("questionmark", scenario, i) for i in range(scenario.schedules)]
    membership.reset()
    assert not membership.plan(*schedules).plan.has_changes
    reads = [path for path, _ in membership.reads()]
    assert reads.count("Schedules") == math.ceil(150 / 100) and reads.count("Schedules/$count") == 1
    assert sum(path.endswith("/Participants") for path in reads) == 150
    assert len(reads) == math.ceil(150 / 100) + 1 + 150


def test_create_call_counts(membership: Membership) -> None:
    membership.apply(qm_schedule(candidates=people(3), metadata={"Cohort": "Q4"}))
    writes = sorted((method, "Participants(id)/SendWelcomeEmail" if path.endswith("/SendWelcomeEmail") else path)
                    for method, path in membership.odata_writes())
    assert writes == sorted([("POST", "Groups"), ("POST", "Schedules"), ("POST", "ScheduleMetadata"),
                             ("POST", "ScheduleMetadata"), *[("POST", "Participants")] * 3,
                             *[("POST", "Participants(id)/SendWelcomeEmail")] * 3])
    assert membership.soap_methods() == [ADD]
    reads = [path for path, _ in membership.reads()]
    # the group lookup; per person a login lookup when planning (the plan lists new participants) and again when
    # applying, plus one page of the Participants feed (the PrimaryEmail lookup, once per run: nobody was found)
    assert reads.count("Groups") == 1 and reads.count("Participants") == 3 * 2 + 1
    assert membership.app.metadata_of(membership.anchor()["ID"]) == {
        ROSTER_KEY: str(membership.anchor()["GroupID"]), "Cohort": "Q4"}
