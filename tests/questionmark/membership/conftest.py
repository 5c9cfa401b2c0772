"""Fixtures for membership-mode tests: the provider in `access: membership` against the emulator, and the
QMWISe calls the emulator answered."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from reconciler import engine
from reconciler.models import QuestionmarkProviderConfig, Schedule
from reconciler.providers.base import Endpoint
from reconciler.providers.questionmark.provider import QuestionmarkProvider, make_questionmark_provider
from reconciler.sandbox.launch import Sandbox
from reconciler.sandbox.questionmark import QuestionmarkApp
from reconciler.sandbox.questionmark.qmwise import QmwiseCall

from ..conftest import ROOT, Reconcile

ADD, DELETE = "AddGroupParticipantList", "DeleteGroupParticipantList"


def membership_provider(sandbox: Sandbox, *, batch: int = 500, workers: int = 8) -> QuestionmarkProvider:
    """The real provider in membership mode, configured as a project would be (qmwise_url set)."""
    assert sandbox.qmwise_url is not None
    config = QuestionmarkProviderConfig(base_url=sandbox.url, qmwise_url=sandbox.qmwise_url, qmwise_batch=batch,
                                        max_workers=workers)
    return make_questionmark_provider(config, Endpoint(sandbox.url, sandbox.user, sandbox.secret))


class Membership(Reconcile):
    """`Reconcile` in membership mode, with the QMWISe call log."""

    def soap(self) -> list[QmwiseCall]:
        app = self.app
        assert isinstance(app, QuestionmarkApp)
        return [c for c in app.qmwise.calls if c.fault is None]

    def soap_methods(self) -> list[str]:
        return [c.method for c in self.soap()]

    def odata_writes(self) -> list[tuple[str, str]]:
        return [(c.method, c.path.removeprefix(ROOT + "/")) for c in self.server.writes()
                if c.path.startswith(ROOT)]

    def reset(self) -> None:
        self.server.reset_calls()
        app = self.app
        assert isinstance(app, QuestionmarkApp)
        app.qmwise.calls.clear()

    def engine_apply(self, *schedules: Schedule) -> engine.ApplyReport:
        """plan + apply, failures returned (not asserted away)."""
        return engine.apply_plan(self.plan(*schedules), self.providers)

    def members(self, group: int) -> set[str]:
        return {p["PrimaryEmail"] for p in self.app.world.related("Groups", "Participants", group)}


@pytest.fixture
def make_membership(questionmark_sandbox: Sandbox, qm_app: QuestionmarkApp) -> Iterator[Callable[..., Membership]]:
    """`Membership` over a new provider (batch size, workers as given)."""
    made: list[QuestionmarkProvider] = []

    def make(**options: int) -> Membership:
        provider = membership_provider(questionmark_sandbox, **options)
        made.append(provider)
        return Membership(provider, questionmark_sandbox.server, qm_app)

    yield make
    for provider in made:
        provider.close()


@pytest.fixture
def membership(make_membership: Callable[..., Membership]) -> Membership:
    return make_membership()
