"""Unit tests of the verify-and-resume path after a lost answer (`engine._verify`, `engine._within`): a fake
provider stands for the vendor, so each branch is reached directly."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from reconciler.diff import diff_schedule, retire
from reconciler.engine import MAX_RESUMES, _verify, _within
from reconciler.errors import AmbiguousWriteError, ProviderError
from reconciler.http import RunDeadline
from reconciler.models import Candidate, Schedule, ScheduleKey
from reconciler.observed import ApplyOutcome, Observed, ObservedWorld
from reconciler.plan import Create, Disable, Update, Writing

PEOPLE = tuple(Candidate(email=f"p{i}@example.com", name=f"P {i}") for i in range(4))


def _schedule(people: tuple[Candidate, ...] = (), count: int = 3, secure: bool = False) -> Schedule:
    mettl = {"web_proctoring": {"count": count}, "secure_browser": {"enabled": secure}}
    return Schedule.model_validate({"provider": "mettl", "assessment_id": "1", "name": "Exam",
                                    "candidates": people, "mettl": mettl})


def _live(schedule: Schedule) -> Observed:
    return Observed(schedule=schedule, ref="ak-1", fingerprint="fp")


def _update(live: Schedule, wanted: Schedule) -> Update:
    change = diff_schedule(wanted, _live(live))
    assert isinstance(change, Update)
    return change


BEFORE = _schedule(PEOPLE[:2], count=3)
AFTER = _schedule(PEOPLE[1:3], count=5)  # adds p2, removes p0, one field


@dataclass
class FakeVendor:
    """Answers re-reads from `reads` (an Observed, None, or an error to raise) and records what is resumed."""

    reads: list[Observed | ProviderError | None]
    results: list[ApplyOutcome | ProviderError] = field(default_factory=list)
    applied: list[Writing] = field(default_factory=list)

    def observe(self, desired: Sequence[Schedule]) -> ObservedWorld:
        raise AssertionError("not used")

    def observe_one(self, key: ScheduleKey, desired: Schedule | None) -> Observed | None:
        read = self.reads.pop(0) if len(self.reads) > 1 else self.reads[0]
        if isinstance(read, ProviderError):
            raise read
        return read

    def apply(self, change: Writing, observed: Observed | None) -> ApplyOutcome:
        self.applied.append(change)
        result = self.results.pop(0) if self.results else ApplyOutcome(change.key, True)
        if isinstance(result, ProviderError):
            raise result
        return result

    def close(self) -> None:
        pass

    @property
    def calls(self) -> int:
        return 0

    def limit_run(self, deadline: RunDeadline) -> None:
        pass


def test_a_change_that_landed_is_verified_without_a_write() -> None:
    vendor = FakeVendor([_live(AFTER)])
    outcome = _verify(_update(BEFORE, AFTER), vendor, "lost")  # type: ignore[arg-type]
    assert outcome.ok and outcome.message == "answer lost, verified by re-reading"
    assert vendor.applied == []


def test_what_did_not_land_is_resumed_and_only_that() -> None:
    halfway = _schedule(PEOPLE[:3], count=5)  # the field and the add landed
    vendor = FakeVendor([_live(halfway), _live(AFTER)])
    outcome = _verify(_update(BEFORE, AFTER), vendor, "lost")  # type: ignore[arg-type]
    assert outcome.ok and outcome.message == "answer lost, resumed 1 time(s) after re-reading"
    [resumed] = vendor.applied
    assert resumed.fields == () and resumed.candidates.add == () and resumed.candidates.remove == ("p0@example.com",)


def test_a_difference_the_plan_does_not_make_is_left_for_the_next_plan() -> None:
    moved = _schedule(PEOPLE[:2], count=3, secure=True)  # a setting changed by hand since the plan
    vendor = FakeVendor([_live(moved)])
    outcome = _verify(_update(BEFORE, AFTER), vendor, "lost")  # type: ignore[arg-type]
    assert not outcome.ok and "changes this plan does not make" in outcome.message
    assert vendor.applied == []


def test_a_failed_re_read_is_reported_with_the_lost_answer() -> None:
    vendor = FakeVendor([ProviderError("mettl", "HTTP 503")])
    outcome = _verify(_update(BEFORE, AFTER), vendor, "POST lost")  # type: ignore[arg-type]
    assert not outcome.ok and outcome.message == "POST lost; re-reading failed too: mettl: HTTP 503"


def test_a_resumed_write_that_fails_outright_is_reported() -> None:
    vendor = FakeVendor([_live(BEFORE)], results=[ProviderError("mettl", "refused")])
    outcome = _verify(_update(BEFORE, AFTER), vendor, "lost")  # type: ignore[arg-type]
    assert not outcome.ok and outcome.message == "lost; resuming after re-reading failed: mettl: refused"


def test_answers_lost_again_and_again_stop_after_a_bounded_number_of_rounds() -> None:
    change = _update(BEFORE, AFTER)
    rounds = MAX_RESUMES + len(change.fields) + len(change.candidates.add) + len(change.candidates.remove)
    vendor = FakeVendor([_live(BEFORE)], results=[AmbiguousWriteError("mettl", "lost again")] * 100)
    outcome = _verify(change, vendor, "lost")  # type: ignore[arg-type]
    assert not outcome.ok and "did not land" in outcome.message and "lost again" in outcome.message
    assert len(vendor.applied) == rounds


def test_a_retirement_is_verified_by_the_schedule_being_disabled_or_gone() -> None:
    change = retire(_live(BEFORE))
    assert _verify(change, FakeVendor([None]), "lost").ok  # type: ignore[arg-type]
    still = FakeVendor([_live(BEFORE)], results=[ApplyOutcome(change.key, True)])
    assert _verify(change, still, "lost").ok and still.applied == [change]  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------ _within

UPDATE = _update(BEFORE, AFTER)


@pytest.mark.parametrize(("rest", "within"), [
    (_update(_schedule(PEOPLE[:2], count=5), AFTER), True),  # part of it
    (UPDATE, True),                                                                      # all of it
    (_update(_schedule(PEOPLE[1:3], count=5, secure=True), AFTER), False),  # a field more
    (_update(_schedule(PEOPLE[1:2], count=5), _schedule(PEOPLE[1:4], count=5)), False),  # adds p3: not planned
    (_update(_schedule(PEOPLE[1:4], count=5), AFTER), False),  # removes p3: not planned
], ids=["part", "all", "extra-field", "extra-add", "extra-remove"])
def test_an_update_resumes_only_what_was_planned(rest: Update, within: bool) -> None:
    assert _within(rest, UPDATE) is within


def test_an_update_never_becomes_a_create() -> None:
    create = diff_schedule(AFTER, None)
    assert isinstance(create, Create)
    assert not _within(create, UPDATE)


def test_a_create_may_resume_anything_but_a_removal() -> None:
    create = diff_schedule(AFTER, None)
    assert isinstance(create, Create)
    assert _within(_update(_schedule(PEOPLE[1:2]), AFTER), create)
    assert not _within(_update(_schedule(PEOPLE[1:4], count=5), AFTER), create)


def test_a_retirement_resumes_only_as_a_retirement() -> None:
    disable = retire(_live(BEFORE))
    assert isinstance(disable, Disable)
    assert _within(disable, disable)
    assert not _within(UPDATE, disable)
