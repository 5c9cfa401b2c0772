"""Wire details: literals, Edm.DateTime text, typed errors from `odata.error` bodies, lost answers."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from reconciler import engine
from reconciler.errors import BadRequestError, NotFoundError, RateLimitedError
from reconciler.http import RetryPolicy
from reconciler.models import QuestionmarkSettings
from reconciler.providers.questionmark.client import int64_literal, quote_literal
from reconciler.providers.questionmark.mapping import format_utc, mapping_table, parse_utc
from reconciler.providers.questionmark.provider import QuestionmarkProvider
from reconciler.sandbox.base import SandboxRequest, SandboxResponse
from reconciler.sandbox.questionmark import QuestionmarkApp
from reconciler.sandbox.questionmark.odata import ODataError

from .conftest import Reconcile, qm_schedule


def test_literals() -> None:
    assert quote_literal("O'Brien") == "'O''Brien'"
    assert int64_literal("65433000065433") == "65433000065433L"


@pytest.mark.parametrize("text", [
    "2017-08-15T12:04:28.0154826Z", "2017-08-15T12:04:28.0154826", "2017-08-15T13:04:28.0154826+01:00",
])
def test_datetimes_are_utc_with_or_without_z(text: str) -> None:
    assert parse_utc(text) == datetime(2017, 8, 15, 12, 4, 28, 15482, tzinfo=UTC)


def test_datetimes_are_sent_with_z() -> None:
    assert format_utc(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05Z"
    assert parse_utc(None) is None


def test_every_setting_is_in_the_mapping_table() -> None:
    documented = {row[0] for row in mapping_table()}
    for name in QuestionmarkSettings.model_fields:
        assert any(path == f"questionmark.{name}" or path.startswith(f"questionmark.{name}.")
                   for path in documented), name


def test_odata_error_becomes_a_typed_error(make_provider: Callable[..., QuestionmarkProvider]) -> None:
    client = make_provider().client
    with pytest.raises(NotFoundError,
                       match=r"HTTP 404 \[NotFound\] GET /deliveryodata/\d+/Schedules\(99\): Resource not found"):
        client.get("Schedules(99)")
    with pytest.raises(BadRequestError, match="Filtering on 'ExternalID' is not supported"):
        list(client.feed("Schedules", {"$filter": "ExternalID eq 'x'"}))
    assert client.find_group("O'Brien's Team") is None  # the quote is doubled, the filter is valid


@pytest.mark.parametrize("qm_app", [QuestionmarkApp(legacy_tenant=True)], ids=["legacy-tenant"])
def test_vendor_refusal_fails_that_change_with_its_message(reconcile: Reconcile) -> None:
    run = reconcile.plan(qm_schedule(questionmark=QuestionmarkSettings(rules_of_conduct_id=4)))
    report = engine.apply_plan(run, reconcile.providers)
    (outcome,) = report.failed
    assert "RulesOfConductID" in outcome.message and outcome.message.startswith("questionmark: HTTP 400")


def test_lost_answer_on_disable_is_verified(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule())
    reconcile.server.faults.fail_next("lost_answer", "PATCH")
    (outcome,) = reconcile.apply(prune=True).outcomes
    assert outcome.ok and "verified" in outcome.message
    assert all(s["Disabled"] for s in reconcile.seats().values())


def test_lost_answer_on_create_is_resumed_in_the_same_run(reconcile: Reconcile) -> None:
    reconcile.server.faults.fail_next("lost_answer", "POST")  # the group's POST lands, its answer is lost
    run = reconcile.plan(qm_schedule())
    (outcome,) = engine.apply_plan(run, reconcile.providers).outcomes
    assert outcome.ok and "resumed 1 time(s) after re-reading" in outcome.message
    assert not reconcile.plan(qm_schedule()).plan.has_changes
    assert [g["Name"] for g in reconcile.app.world.tables["Groups"].values()].count("Ops Team") == 1


class SeatAnswerLost(QuestionmarkApp):
    """The first seat POST lands, but the answer is a 500: the client cannot know the new seat's ID."""

    lost = False

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        response = super().handle(request)
        seat = isinstance(response.body, dict) and response.body.get("ParticipantID") is not None
        if not self.lost and request.method == "POST" and response.status == 201 and seat:
            self.lost = True
            return SandboxResponse(500, ODataError(500, "the answer was lost").body())
        return response


@pytest.mark.parametrize("qm_app", [SeatAnswerLost()], ids=["seat-answer-lost"])
def test_lost_answer_on_a_seat_is_resumed_without_a_second_seat(reconcile: Reconcile) -> None:
    desired = qm_schedule(metadata={"Cohort": "A"})
    (outcome,) = engine.apply_plan(reconcile.plan(desired), reconcile.providers).outcomes
    assert outcome.ok and "resumed 1 time(s)" in outcome.message  # re-read: Ana's seat landed, without metadata
    seats = reconcile.seats()
    assert sorted(seats) == ["ana@example.com", "raj@example.com"]
    assert all(reconcile.app.metadata_of(s["ID"]) == {"Cohort": "A"} for s in seats.values())
    assert len([s for s in reconcile.app.schedules() if s["ParticipantID"] is not None]) == 2
    assert not reconcile.plan(desired).plan.has_changes


def test_a_429_is_read_from_odata_error_and_its_retry_after_is_honoured(reconcile: Reconcile) -> None:
    client = reconcile.provider.client
    client.http.retry = RetryPolicy(attempts=2, base_delay=0.01)
    reconcile.server.faults.retry_after = 0.4
    reconcile.server.faults.fail_next("rate_limit", "GET", path="/Schedules$")
    started = time.monotonic()
    assert list(client.schedules()) == []
    assert time.monotonic() - started >= 0.4  # the backoff alone would wait about 0.01 s
    assert client.http.stats.retries == 1
    reconcile.server.faults.fail_next("rate_limit", "GET", count=2, path="/Schedules$")
    with pytest.raises(RateLimitedError) as limited:
        list(client.schedules())
    assert limited.value.code == "TooManyRequests" and limited.value.retry_after == 0.4
