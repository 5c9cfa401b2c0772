"""A create never makes a second schedule with the same identity, whoever else is writing.

The identity-carrying schedule (a list's anchor, a group schedule) is looked up by its ownership mark with
one filtered read of the group's schedules right before it is created, and again right after: a schedule
made since the plan fails the change ("exists now (another apply?) — plan again"); one made at the same
moment has the lower ID and wins, ours stands down (disabled, its mark revoked) and is never shown again.
"""

from __future__ import annotations

from typing import Any

import pytest

from reconciler import engine
from reconciler.providers.questionmark.mapping import external_id
from reconciler.sandbox.base import SandboxRequest, SandboxResponse
from reconciler.sandbox.questionmark import QuestionmarkApp

from .conftest import ASSESSMENT, ROOT, Reconcile, qm_schedule

MARK = external_id(ASSESSMENT, "Ops Certification")


def _twin(app: QuestionmarkApp, group_id: int, **extra: Any) -> int:
    return app.add_schedule(Name="Ops Certification", AssessmentID=ASSESSMENT, GroupID=group_id, MonitoringTypeID=1,
                            ExternalID=MARK, **{"Disabled": True, **extra})


def test_a_schedule_made_since_the_plan_fails_the_create(reconcile: Reconcile) -> None:
    run = reconcile.plan(qm_schedule())
    group_id = reconcile.app.add_group("Ops Team")
    twin = _twin(reconcile.app, group_id)  # another apply got there first
    reconcile.server.reset_calls()

    (outcome,) = engine.apply_plan(run, reconcile.providers).outcomes

    assert not outcome.ok
    assert outcome.message == ("questionmark: schedule 'Ops Certification' exists now (another apply?) — plan "
                               "again")
    assert reconcile.writes() == []
    assert ("Schedules", {"$filter": f"GroupID eq {group_id}"}) in reconcile.reads()
    assert reconcile.anchor()["ID"] == twin


class SimultaneousTwin(QuestionmarkApp):
    """Another apply's anchor lands between our check and our create (it gets the lower ID)."""

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        body = request.json() if request.method == "POST" and request.path == f"{ROOT}/Schedules" else None
        if isinstance(body, dict) and body.get("ExternalID") == MARK:
            _twin(self, body["GroupID"], Disabled=False)
        return super().handle(request)


@pytest.mark.parametrize("qm_app", [SimultaneousTwin()], ids=["simultaneous"])
def test_of_two_made_at_once_the_later_stands_down(reconcile: Reconcile) -> None:
    (outcome,) = engine.apply_plan(reconcile.plan(qm_schedule()), reconcile.providers).outcomes

    assert not outcome.ok and "exists now (another apply?) — plan again" in outcome.message
    ours = max(reconcile.app.schedules(), key=lambda s: s["ID"])
    assert ours["Disabled"] is True and ours["ExternalID"] == f"{MARK}:revoked"
    assert [s for s in reconcile.app.schedules() if s["ParticipantID"] is not None] == []  # no seats from the loser
    twin = reconcile.anchor()
    assert twin["ID"] < ours["ID"] and f"schedule {twin['ID']} was created at the same time" in outcome.message
    again = reconcile.plan(qm_schedule())
    assert [c.action for c in again.plan.changes] == ["update"]  # the winner's anchor, still without seats
    assert again.plan.unmanaged == ()  # the stood-down twin is not reported


def test_seats_and_exceptions_are_not_looked_up(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule())
    filtered = [q for path, q in reconcile.reads() if path == "Schedules" and "$filter" in q]
    assert len(filtered) == 2  # one before and one after the anchor's create, none per seat
