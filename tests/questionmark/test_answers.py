"""The Questionmark client reads answers strictly and every listing ends: each part the plan relies on is
checked (a missing or mistyped field names the call and the field), a listing stops after MAX_PAGES pages,
and a write answer without the new entity's key is an error, not a silent `None`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from reconciler import engine
from reconciler.errors import MalformedResponseError
from reconciler.providers.questionmark import client as qm_client
from reconciler.providers.questionmark.provider import QuestionmarkProvider
from reconciler.sandbox.base import SandboxRequest, SandboxResponse
from reconciler.sandbox.questionmark import QuestionmarkApp

from .conftest import ANA, ASSESSMENT, Reconcile, qm_schedule


class Rewriting(QuestionmarkApp):
    """Answers of one feed rewritten by `change` (a vendor whose answers drifted from the documents)."""

    def __init__(self, feed: str, change: Callable[[dict[str, Any]], None], method: str = "GET") -> None:
        super().__init__()
        self.feed, self.change, self.method = feed, change, method

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        response = super().handle(request)
        if request.method == self.method and request.path.endswith(self.feed) and isinstance(response.body, dict):
            items = response.body.get("value")
            for item in items if isinstance(items, list) else [response.body]:
                self.change(item)
        return response


def _without(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda item: item.pop(key, None)


@pytest.mark.parametrize("qm_app", [QuestionmarkApp(page_size=1)], ids=["pages-of-one"])
def test_a_listing_stops_after_the_page_cap(reconcile: Reconcile, monkeypatch: pytest.MonkeyPatch) -> None:
    for number in range(4):
        reconcile.app.add_schedule(Name=f"Hand-made {number}", AssessmentID=ASSESSMENT, GroupID=None,
                                   ParticipantID=reconcile.app.add_participant(f"p{number}"), MonitoringTypeID=1)
    monkeypatch.setattr(qm_client, "MAX_PAGES", 3)
    with pytest.raises(MalformedResponseError, match=r"GET Schedules: 4 schedules would take more than 3 pages; "
                       r"stopped"):
        reconcile.plan(qm_schedule())
    assert len(reconcile.reads()) == 2  # the first page and Schedules/$count: no page past the cap is asked
    reconcile.server.reset_calls()
    with pytest.raises(MalformedResponseError, match=r"GET Schedules: still had a next page after 3 pages; stopped"):
        list(reconcile.provider.client.schedules())  # following odata.nextLink (the fallback)
    assert len(reconcile.reads()) == 3


@pytest.mark.parametrize("qm_app", [Rewriting("/Participants", _without("PrimaryEmail"))], ids=["no-email"])
def test_a_participant_without_its_email_field_is_an_error(reconcile: Reconcile) -> None:
    reconcile.app.add_participant("raj@example.com", "raj@example.com")  # found by login name while planning
    with pytest.raises(MalformedResponseError) as caught:
        reconcile.plan(qm_schedule())
    assert str(caught.value) == ("questionmark: GET Participants: answer field PrimaryEmail of participant 40001 is "
                                 "missing")
    assert [s for s in reconcile.app.schedules() if s["ParticipantID"] is not None] == []


@pytest.mark.parametrize("qm_app", [Rewriting("/Attempts", lambda item: item.update(ParticipantID="x"))],
                         ids=["attempt-participant-text"])
def test_an_unreadable_attempt_keeps_the_candidate(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule())
    seat = reconcile.seats()["raj@example.com"]
    reconcile.app.add_attempt(seat["ID"], seat["ParticipantID"])
    run = reconcile.plan(qm_schedule(candidates=(ANA,)))
    assert run.plan.changes[0].candidates.protected_reasons == {"raj@example.com": "status unknown"}


@pytest.mark.parametrize("qm_app", [Rewriting("/Groups", _without("ID"), method="POST")], ids=["group-without-id"])
def test_a_create_answer_without_the_new_key_is_an_error(reconcile: Reconcile) -> None:
    (outcome,) = engine.apply_plan(reconcile.plan(qm_schedule()), reconcile.providers).failed
    assert outcome.message == "questionmark: POST Groups: answer field ID of group is missing"
    assert reconcile.app.schedules() == []


def test_the_listing_reads_expanded_shapes(make_provider: Callable[..., QuestionmarkProvider],
                                           reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule(metadata={"Cohort": "A"}))
    listed = list(make_provider().client.schedules())
    seat = next(s for s in listed if s["ParticipantID"] is not None)
    assert seat["Participant"]["PrimaryEmail"] and seat["Group"]["Name"] == "Ops Team"
    assert [m["Key"] for m in seat["ScheduleMetadata"]] == ["Cohort"]
