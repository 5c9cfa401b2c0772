"""Apply writes one change's seats concurrently, yet never has more requests in flight than `max_workers`
(counted by the emulator, which holds each request for its latency)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from reconciler.models import Candidate, QuestionmarkProviderConfig, Schedule, Window
from reconciler.providers.base import Endpoint
from reconciler.providers.questionmark.client import QuestionmarkClient
from reconciler.providers.questionmark.provider import QuestionmarkProvider, make_questionmark_provider
from reconciler.sandbox.launch import Sandbox

from .conftest import Reconcile, qm_schedule

WORKERS, SEATS = 3, 8
MOVED = Window(start="2026-11-03T08:00:00", end="2026-11-03T17:30:00", time_zone="Europe/London")


@pytest.fixture
def over(questionmark_sandbox: Sandbox, reconcile: Reconcile) -> Iterator[Callable[[QuestionmarkProvider], Reconcile]]:
    """A `Reconcile` over the given provider, the emulator answering each request after 30 ms."""
    questionmark_sandbox.server.faults.latency = 0.03
    made: list[QuestionmarkProvider] = []

    def make(provider: QuestionmarkProvider) -> Reconcile:
        made.append(provider)
        return Reconcile(provider, questionmark_sandbox.server, reconcile.app)

    yield make
    for provider in made:
        provider.close()


@pytest.fixture
def capped(questionmark_sandbox: Sandbox, over: Callable[[QuestionmarkProvider], Reconcile]) -> Reconcile:
    """The provider as a project configures it, with `max_workers: 3`."""
    sandbox = questionmark_sandbox
    return over(make_questionmark_provider(QuestionmarkProviderConfig(max_workers=WORKERS),
                                           Endpoint(sandbox.url, sandbox.user, sandbox.secret)))


def people(n: int) -> tuple[Candidate, ...]:
    return tuple(Candidate(email=f"p{n}.{i}@example.com", name=f"Person {i}") for i in range(SEATS))


def schedules(count: int, window: Window | None = None) -> list[Schedule]:
    """Independent schedules (their own group and people), so the engine applies them concurrently."""
    return [qm_schedule(name=f"Exam {n}", group=f"Team {n}", candidates=people(n),
                        **({"window": window} if window else {})) for n in range(count)]


def test_one_changes_seats_are_written_concurrently_within_max_workers(capped: Reconcile) -> None:
    capped.apply(*schedules(1))
    capped.server.reset_calls()
    capped.apply(*schedules(1, MOVED))
    assert len(capped.writes()) == 1 + SEATS  # the anchor, then one PATCH per seat
    assert capped.server.peak_in_flight == WORKERS  # one change: its seats at once, never more than the cap
    assert not capped.plan(*schedules(1, MOVED)).plan.has_changes


def test_concurrent_changes_with_their_reads_and_writes_stay_within_max_workers(capped: Reconcile) -> None:
    capped.apply(*schedules(4))  # 4 changes at once, each finding participants and creating seats concurrently
    assert capped.server.peak_in_flight == WORKERS
    assert [len(capped.seats(f"Exam {n}")) for n in range(4)] == [SEATS] * 4


def test_without_the_cap_the_same_apply_exceeds_max_workers(
        questionmark_sandbox: Sandbox, over: Callable[[QuestionmarkProvider], Reconcile]) -> None:
    """The emulator's count can fail: the provider's threads alone would put more requests in flight."""
    sandbox = questionmark_sandbox
    uncapped = over(QuestionmarkProvider(QuestionmarkClient(sandbox.url, sandbox.user, sandbox.secret),
                                         max_workers=WORKERS))
    uncapped.apply(*schedules(4))
    assert uncapped.server.peak_in_flight > WORKERS
