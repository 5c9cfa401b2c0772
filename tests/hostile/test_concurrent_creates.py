"""Two applies at once (the apply lock bypassed) never make a second schedule, on either vendor.

Two threads, each with its own providers, plan the same new schedules (both see nothing), wait for each
other, then apply at the same moment. Mettl refuses a second schedule of the same name in an assessment (seed:
"has to be unique for each schedule in your assessment"). Questionmark has no such rule: the client re-reads
the group's schedules for the ownership mark before creating, and again after (two creates may both pass the
first read); the later one stands down. Either way exactly one live schedule holds each identity, the other
apply fails that change with "exists now (another apply?) — plan again", and after one more apply (for what a
failed change left undone) the plan has nothing to do and each schedule is still there once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from reconciler import engine
from reconciler.models import Candidate, DesiredState, Schedule, Window
from reconciler.providers.base import ApplyOutcome, Provider
from reconciler.providers.factory import Endpoint
from reconciler.providers.mettl.client import MettlClient
from reconciler.providers.mettl.provider import MettlProvider
from reconciler.providers.questionmark.mapping import external_id, parse_mark
from reconciler.providers.questionmark.provider import make_questionmark_provider
from reconciler.sandbox.live import LiveVendors, live_vendors

from ..cli.conftest import PLAN_NOW

QM_ASSESSMENT = "65433000065433"
WINDOW = Window(start="2027-05-03T09:00:00", end="2027-05-07T17:00:00", time_zone="Europe/London")
PEOPLE = (Candidate(email="ana@example.com", name="Ana Lima"), Candidate(email="raj@example.com", name="Raj Patel"))


@pytest.fixture
def vendors() -> Iterator[LiveVendors]:
    with live_vendors() as live:
        yield live


def _providers(vendors: LiveVendors) -> dict[str, Provider]:
    creds = vendors.credentials
    mettl = MettlProvider(MettlClient(vendors.base_url("mettl"), creds.mettl_public, creds.mettl_private))
    qm = make_questionmark_provider(None, Endpoint(vendors.base_url("questionmark"), creds.qm_user,
                                                   creds.qm_password))
    return {"mettl": mettl, "questionmark": qm}


def _desired(round_: int) -> DesiredState:
    """A new schedule per vendor and mode: Mettl, Questionmark with a candidate list in an existing group
    (the race is on the schedule itself) and in a new group, and a Questionmark group schedule."""
    return DesiredState(schedules=(
        Schedule(name=f"Race {round_}", provider="mettl", assessment_id="769688", window=WINDOW, candidates=PEOPLE),
        Schedule(name=f"Race {round_} list", provider="questionmark", assessment_id=QM_ASSESSMENT, window=WINDOW,
                 group="exam-administrators", candidates=PEOPLE),
        Schedule(name=f"Race {round_} new group", provider="questionmark", assessment_id=QM_ASSESSMENT,
                 window=WINDOW, group=f"race-{round_}", candidates=PEOPLE),
        Schedule(name=f"Race {round_} open", provider="questionmark", assessment_id=QM_ASSESSMENT, window=WINDOW,
                 group="exam-administrators"),
    ))


def _race(vendors: LiveVendors, desired: DesiredState) -> list[list[ApplyOutcome]]:
    """Plan in two threads, then apply in both at once; each thread's outcomes."""
    barrier = threading.Barrier(2)
    outcomes: list[list[ApplyOutcome]] = [[], []]

    def one(index: int) -> None:
        providers = _providers(vendors)
        try:
            run = engine.make_plan(desired, providers, now=PLAN_NOW)
            assert [c.action for c in run.plan.changes] == ["create"] * len(desired.schedules)
            barrier.wait(timeout=30)
            outcomes[index] = engine.apply_plan(run, providers).outcomes
        finally:
            for provider in providers.values():
                provider.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def _live_anchors(vendors: LiveVendors, schedule: Schedule) -> list[dict[str, object]]:
    mark = external_id(schedule.assessment_id, schedule.name)
    return [s for s in vendors.questionmark.schedules() if s["ExternalID"] == mark]


@pytest.mark.parametrize("round_", range(4))
def test_two_applies_at_once_create_each_schedule_once(vendors: LiveVendors, round_: int) -> None:
    desired = _desired(round_)

    first, second = _race(vendors, desired)

    _check_once(vendors, desired, first, second)

    providers = _providers(vendors)
    engine.apply_plan(engine.make_plan(desired, providers, now=PLAN_NOW), providers)  # what a failure left
    again = engine.make_plan(desired, providers, now=PLAN_NOW).plan
    assert not again.has_changes
    assert not [u for u in again.unmanaged if u.name.startswith(f"Race {round_}")]
    _check_once(vendors, desired)
    for provider in providers.values():
        provider.close()


def _check_once(vendors: LiveVendors, desired: DesiredState, *outcomes: list[ApplyOutcome]) -> None:
    """Each schedule live once (Questionmark: one anchor, at most one seat per person); of the two applies
    at most one made it, the other failed with a clear refusal. Both may fail: they also race to create the
    same participants, and the vendor refuses a second participant of one login name (the next apply
    finishes the job)."""
    for schedule in desired.schedules:
        results = [o for result in outcomes for o in result if o.key == schedule.key]
        assert len(results) == len(outcomes) and sum(o.ok for o in results) <= 1, results
        for loser in (o for o in results if not o.ok):
            assert "exists now (another apply?) — plan again" in loser.message or "already exists" in loser.message
        if schedule.provider == "mettl":
            assert sum(s["name"] == schedule.name for s in vendors.mettl.dump_state()["schedules"]) == 1
            continue
        assert len(_live_anchors(vendors, schedule)) == 1
        mark = external_id(schedule.assessment_id, schedule.name)
        seats = [s for s in vendors.questionmark.schedules() if (parse_mark(s["ExternalID"]) or ("", ""))[0] == mark
                 and s["ParticipantID"] is not None]
        assert len(seats) <= (2 if schedule.candidates else 0)
        assert len({s["ParticipantID"] for s in seats}) == len(seats)
        if not outcomes:
            assert len(seats) == (2 if schedule.candidates else 0)
