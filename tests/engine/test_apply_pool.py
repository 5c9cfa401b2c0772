"""Apply's scheduler: independent changes run at once, changes sharing an object one after the other in plan
order, results in plan order; Questionmark changes that could create the same group or participant share."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import pytest

from reconciler.engine.pool import dependencies, run_in_order
from reconciler.models import Candidate
from reconciler.plan import CandidateChanges, Create, Writing
from reconciler.providers.base import Endpoint, Provider
from reconciler.providers.mettl.provider import make_mettl_provider
from reconciler.providers.questionmark.provider import make_questionmark_provider
from tests.changes import desired, update

ENDPOINT = Endpoint("http://127.0.0.1:9", "user", "not-a-secret")


def _by_name(change: Writing) -> frozenset[str]:
    return frozenset({change.name.split("#")[0]})


def _changes(*names: str, provider: str = "mettl") -> list[Writing]:
    return [update(provider, "1", name) for name in names]


@pytest.fixture
def providers() -> dict[str, Provider]:
    return {"mettl": make_mettl_provider(None, ENDPOINT), "questionmark": make_questionmark_provider(None, ENDPOINT)}


def test_each_change_waits_for_the_last_earlier_holder_of_what_it_touches() -> None:
    changes = _changes("a", "b", "a#2", "a#3", "b#2", "c")
    assert dependencies(changes, _by_name) == [[], [], [0], [2], [1], []]


def test_the_same_name_at_two_vendors_is_no_dependency() -> None:
    changes = [*_changes("a"), *_changes("a", provider="questionmark")]
    assert dependencies(changes, _by_name) == [[], []]


def test_independent_changes_are_in_flight_together_and_come_back_in_plan_order(
        providers: dict[str, Provider]) -> None:
    together = threading.Barrier(3, timeout=10)  # fails unless all three run at once
    finished: list[str] = []

    def work(change: Writing) -> str:
        together.wait()
        time.sleep(0.05 if change.name == "a" else 0)  # the first finishes last
        finished.append(change.name)
        return change.name

    assert list(run_in_order(_changes("a", "b", "c"), providers, work, _by_name)) == ["a", "b", "c"]
    assert finished[-1] == "a"


def test_changes_sharing_an_object_never_overlap_and_keep_plan_order(providers: dict[str, Provider]) -> None:
    events: list[str] = []

    def work(change: Writing) -> str:
        events.append(f"start {change.name}")
        time.sleep(0.02)
        events.append(f"end {change.name}")
        return change.name

    names = ["a", "a#2", "a#3"]
    assert list(run_in_order(_changes(*names), providers, work, _by_name)) == names
    assert events == [f"{what} {name}" for name in names for what in ("start", "end")]


def test_an_unexpected_error_starts_nothing_more(providers: dict[str, Provider]) -> None:
    providers["mettl"].max_workers = 1
    ran: list[str] = []

    def work(change: Writing) -> str:
        ran.append(change.name)
        if change.name == "a":
            raise RuntimeError("boom")
        return change.name

    with pytest.raises(RuntimeError, match="boom"):
        list(run_in_order(_changes("a", "b", "c"), providers, work, _by_name))
    assert ran == ["a"]


def _create(name: str, emails: Sequence[str], group: str | None = None) -> Create:
    schedule = desired("questionmark", "1", name).model_copy(update={"group": group})
    add = tuple(Candidate(email=e, name="N") for e in emails)
    return Create(provider="questionmark", assessment_id="1", name=name, desired=schedule,
                  candidates=CandidateChanges(add=add))


def test_questionmark_serialises_creates_that_share_a_group_or_a_participant(providers: dict[str, Provider]) -> None:
    qm = providers["questionmark"]
    changes: list[Writing] = [_create("A", ["x@example.org"]), _create("B", ["y@example.org"]),
                              _create("C", ["X@example.org"]), _create("D", [], group="B")]

    def resources(change: Writing) -> frozenset[str]:
        return qm.resources(change, None)

    assert dependencies(changes, resources) == [[], [], [0], [1]]
