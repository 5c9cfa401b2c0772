"""Fixtures: a live Questionmark emulator on loopback (the plugin's `questionmark_sandbox`, serving the world of
`qm_app`) and the real provider pointed at it."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from reconciler import engine
from reconciler.models import Candidate, DesiredState, SafetyConfig, Schedule, Window
from reconciler.providers.base import Endpoint
from reconciler.providers.questionmark.mapping import external_id
from reconciler.providers.questionmark.provider import QuestionmarkProvider, make_questionmark_provider
from reconciler.sandbox.base import RecordedCall, SandboxServer
from reconciler.sandbox.launch import Sandbox
from reconciler.sandbox.questionmark import SANDBOX_USERNAME, QuestionmarkApp

NOW = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
ASSESSMENT = "65433000065433"
ROOT = "/deliveryodata/123456"
ANA = Candidate(email="ana@example.com", name="Ana Lima")
RAJ = Candidate(email="raj@example.com", name="Raj Patel")
MEI = Candidate(email="mei@example.com", name="Mei Chen")
WINDOW = Window(start="2026-11-02T08:00:00", end="2026-11-02T17:30:00", time_zone="Europe/London")


def phases(calls: Sequence[Any], *sizes: int) -> list[list[Any]]:
    """`calls` cut into consecutive phases of these sizes (the rest last), each sorted: the calls of one phase
    (the seats of one change) run concurrently, so only the order of the phases is fixed."""
    cuts = [0]
    for size in sizes:
        cuts.append(cuts[-1] + size)
    cuts.append(len(calls))
    return [sorted(calls[a:b], key=repr) for a, b in itertools.pairwise(cuts)]


def qm_schedule(**overrides: Any) -> Schedule:
    """A Questionmark schedule with a window, a group and two candidates, overridable field by field."""
    base: dict[str, Any] = {
        "name": "Ops Certification", "provider": "questionmark", "assessment_id": ASSESSMENT,
        "window": WINDOW, "group": "Ops Team", "candidates": (ANA, RAJ),
    }
    return Schedule(**(base | overrides))


class Reconcile:
    """plan / apply through the engine over one provider, with the emulator's call log at hand."""

    def __init__(self, provider: QuestionmarkProvider, server: SandboxServer, app: QuestionmarkApp) -> None:
        self.provider = provider
        self.server = server
        self.app = app

    @property
    def providers(self) -> dict[str, QuestionmarkProvider]:
        return {"questionmark": self.provider}

    def plan(self, *schedules: Schedule, safety: SafetyConfig | None = None, prune: bool = False) -> engine.PlanRun:
        desired = DesiredState(schedules=schedules, prune=frozenset({"questionmark"} if prune else ()))
        return engine.make_plan(desired, self.providers, safety=safety, now=NOW)

    def apply(self, *schedules: Schedule, force: bool = False, prune: bool = False) -> engine.ApplyReport:
        run = self.plan(*schedules, prune=prune)
        report = engine.apply_plan(run, self.providers, force=force)
        assert not report.failed, [o.message for o in report.failed]
        return report

    def writes(self) -> list[tuple[str, str]]:
        return [(c.method, c.path.removeprefix(ROOT + "/")) for c in self.server.writes()]

    def write_calls(self) -> list[RecordedCall]:
        return self.server.writes()

    def reads(self) -> list[tuple[str, dict[str, str]]]:
        """(path under the service root, query) of every GET since the last reset."""
        return [(c.path.removeprefix(ROOT + "/"), c.params) for c in self.server.calls if c.method == "GET"]

    def anchor(self, name: str = "Ops Certification") -> dict[str, Any]:
        """The schedule carrying the identity of a desired schedule (anchor or group schedule)."""
        return self.anchor_of(name)

    def anchor_of(self, name: str, shard: str | None = None) -> dict[str, Any]:
        """The anchor (or group schedule) of a desired schedule of a shard."""
        mark = external_id(ASSESSMENT, name, shard)
        found = [s for s in self.app.schedules() if s["ExternalID"] == mark]
        assert len(found) == 1, found
        return found[0]

    def seats(self, name: str = "Ops Certification") -> dict[str, dict[str, Any]]:
        """Seats of a desired schedule by the participant's PrimaryEmail (active and revoked)."""
        mark = external_id(ASSESSMENT, name)
        seats = [s for s in self.app.schedules() if (s["ExternalID"] or "").startswith(mark + ":")]
        return {self.app.participant(s["ParticipantID"])["PrimaryEmail"]: s for s in seats}

    def children(self, parent_id: int) -> list[dict[str, Any]]:
        return [s for s in self.app.schedules() if s["ParentScheduleID"] == parent_id]


@pytest.fixture
def qm_app() -> QuestionmarkApp:
    return QuestionmarkApp()


@pytest.fixture
def questionmark_sandbox_app(qm_app: QuestionmarkApp) -> QuestionmarkApp:
    qm_app.allow_scheduling(SANDBOX_USERNAME, ASSESSMENT)
    return qm_app


@pytest.fixture
def qm_server(questionmark_sandbox: Sandbox) -> SandboxServer:
    return questionmark_sandbox.server


@pytest.fixture
def make_provider(questionmark_sandbox: Sandbox) -> Iterator[Callable[..., QuestionmarkProvider]]:
    made: list[QuestionmarkProvider] = []
    sandbox = questionmark_sandbox

    def make(user: str = sandbox.user, password: str = sandbox.secret) -> QuestionmarkProvider:
        provider = make_questionmark_provider(None, Endpoint(sandbox.url, user, password))
        made.append(provider)
        return provider

    yield make
    for provider in made:
        provider.close()


@pytest.fixture
def reconcile(
    make_provider: Callable[..., QuestionmarkProvider], qm_server: SandboxServer, qm_app: QuestionmarkApp
) -> Reconcile:
    return Reconcile(make_provider(), qm_server, qm_app)
