"""After a lost answer the change is re-read and resumed in the same run — but only with what the planned
change itself would write: a difference someone else made meanwhile is left for the next plan."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler import engine
from reconciler.models import Candidate, Schedule, Window
from reconciler.sandbox.base import SandboxRequest, SandboxResponse
from reconciler.sandbox.mettl import MettlApp

from ..mettl.fixtures import Reconcile

ANA = Candidate(email="ana@example.com", name="Ana Lima")
RAJ = Candidate(email="raj@example.com", name="Raj Patel")
MEI = Candidate(email="mei@example.com", name="Mei Chen")
WINDOW = Window(start="2027-06-07T09:00:00", end="2027-06-11T18:00:00", time_zone="Asia/Kolkata")


def _schedule(*candidates: Candidate) -> Schedule:
    return Schedule(name="Java Hiring Drive", provider="mettl", assessment_id="769688", window=WINDOW,
                    candidates=candidates)


class HandRemovalDuringEdit(MettlApp):
    """When the tool's edit lands, someone removes Raj by hand in the same moment."""

    armed = False

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        response = super().handle(request)
        if self.armed and request.path.endswith("/edit"):
            self.armed = False
            for stored in self._schedules.values():
                access: dict[str, Any] = stored["access"]
                access["candidates"] = [c for c in access["candidates"] if c["email"] != RAJ.email]
        return response


@pytest.fixture
def mettl_app() -> MettlApp:
    app = HandRemovalDuringEdit()
    app.add_assessment(769688, "Java Developer Assessment")
    return app


def test_a_resume_never_writes_what_the_plan_did_not(reconcile: Reconcile, mettl_app: HandRemovalDuringEdit) -> None:
    reconcile.apply(_schedule(ANA, RAJ))
    run = reconcile.plan(_schedule(ANA, RAJ, MEI))
    mettl_app.armed = True
    reconcile.server.faults.fail_next("lost_answer", "POST")
    reconcile.server.reset_calls()

    (outcome,) = engine.apply_plan(run, {"mettl": reconcile.provider}).outcomes

    assert not outcome.ok
    assert "the re-read shows changes this plan does not make (made since the plan?): plan again" in outcome.message
    assert len(reconcile.server.writes()) == 1  # Raj was not added back blind
    (change,) = reconcile.plan(_schedule(ANA, RAJ, MEI)).plan.changes
    assert [c.email for c in change.candidates.add] == [RAJ.email]


def test_a_lost_create_answer_is_verified_without_a_second_create(reconcile: Reconcile) -> None:
    reconcile.server.faults.fail_next("lost_answer", "POST")

    (outcome,) = engine.apply_plan(reconcile.plan(_schedule(ANA, RAJ)), {"mettl": reconcile.provider}).outcomes

    assert outcome.ok and outcome.message == "answer lost, verified by re-reading"
    assert len(reconcile.server.writes()) == 1
    assert not reconcile.plan(_schedule(ANA, RAJ)).plan.has_changes
