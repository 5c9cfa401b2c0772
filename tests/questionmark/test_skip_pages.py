"""The Schedules listing read by `$skip` (assumption Q-12): pages + 1 requests when they add up, and the
`odata.nextLink` chain (with a warning) when a page read by `$skip` does not fit; the fingerprint of what was
read (the saved plan's staleness check) moves with any seat."""

from __future__ import annotations

import json
import logging

import pytest

from reconciler.checks.probe import Probe
from reconciler.checks.report import Check
from reconciler.errors import BadRequestError, MalformedResponseError
from reconciler.providers.questionmark.doctor import QuestionmarkDoctor
from reconciler.providers.questionmark.observe import fingerprint
from reconciler.providers.questionmark.reading import read_listing
from reconciler.sandbox.base import SandboxRequest, SandboxResponse
from reconciler.sandbox.questionmark import QuestionmarkApp

from .conftest import ASSESSMENT, Reconcile, qm_schedule


class Shifted(QuestionmarkApp):
    """A tenant whose order moved between requests: a page read by `$skip` repeats the first schedule."""

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        response = super().handle(request)
        if "$skip" in request.query and isinstance(response.body, dict) and response.body.get("value"):
            first = super().handle(SandboxRequest(request.method, request.path, {"$expand": request.query["$expand"]},
                                                  request.form, request.headers, request.body, request.base_url))
            assert isinstance(first.body, dict)
            response.body["value"][0] = first.body["value"][0]
        return response


def _seed(app: QuestionmarkApp, count: int) -> set[int]:
    return {app.add_schedule(Name=f"Hand {n}", AssessmentID=ASSESSMENT, GroupID=None, MonitoringTypeID=1,
                             ParticipantID=app.add_participant(f"p{n}")) for n in range(count)}


@pytest.mark.parametrize("qm_app", [QuestionmarkApp(page_size=2)], ids=["pages-of-two"])
def test_pages_are_read_by_skip_in_pages_plus_one_requests(reconcile: Reconcile) -> None:
    ids = _seed(reconcile.app, 7)
    listing = read_listing(reconcile.provider.client, 3)
    assert set(listing.tops) == ids
    reads = reconcile.reads()
    assert [path for path, _ in reads] == ["Schedules", "Schedules/$count"] + ["Schedules"] * 3
    assert sorted(q.get("$skip", "") for path, q in reads if path == "Schedules") == ["", "2", "4", "6"]


@pytest.mark.parametrize("qm_app", [Shifted(page_size=2)], ids=["shifted"])
def test_pages_that_do_not_add_up_are_read_again_by_next_link(reconcile: Reconcile,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    ids = _seed(reconcile.app, 5)
    with caplog.at_level(logging.WARNING, logger="reconciler.questionmark"):
        listing = read_listing(reconcile.provider.client, 2)
    assert set(listing.tops) == ids  # every schedule once: the listing that followed the links
    assert "do not add up (page 2 repeats a schedule)" in caplog.text or "do not add up (page 3 repeats" in caplog.text
    assert sum(1 for _, q in reconcile.reads() if "$skiptoken" in q) == 2  # pages 2 and 3 by odata.nextLink


def test_the_emulator_counts_as_text_and_refuses_other_options_on_count(reconcile: Reconcile) -> None:
    _seed(reconcile.app, 3)
    assert reconcile.provider.client.count("Schedules") == 3
    with pytest.raises(BadRequestError, match=r"\$expand cannot be applied to \$count"):
        reconcile.provider.client.get("Schedules/$count", {"$expand": "Group"})


def test_the_fingerprint_moves_with_a_seat_and_only_then(reconcile: Reconcile) -> None:
    desired = qm_schedule()
    reconcile.apply(desired)

    def printed() -> str:
        return reconcile.provider.observe([desired]).managed[desired.key].fingerprint

    before = printed()
    assert printed() == before  # read again, nothing changed: the same
    seat = reconcile.seats()["ana@example.com"]
    reconcile.app.world.update_schedule(seat["ID"], {"ExtraTime": 15}, None)  # a hand edit of one seat
    assert printed() != before


@pytest.mark.parametrize("qm_app", [QuestionmarkApp(page_size=2)], ids=["pages-of-two"])
def test_the_doctor_compares_every_page_by_skip_and_by_link_and_the_count(reconcile: Reconcile) -> None:
    _seed(reconcile.app, 5)
    client = reconcile.provider.client
    doctor = QuestionmarkDoctor(client, None, Probe("questionmark"), [], {})  # type: ignore[arg-type]
    check = Check("questionmark", "questionmark $skip pages", "Q-12")
    result = doctor.skip_pages(check, client.get("Schedules", {"$expand": "ScheduleMetadata,Participant,Group"}))
    assert (result.status, result.detail) == (
        "pass", "pages 2–3 by `$skip` = by `odata.nextLink`; `Schedules/$count` = 5 listed")
    reconcile.server.reset_calls()
    wrong = doctor.skip_pages(check, {"value": [{"ID": 1}], "odata.nextLink": None})
    assert wrong.status == "fail" and "says 5, the only page lists 1" in wrong.detail


def test_the_fingerprint_depends_on_the_values_only() -> None:
    seat = '{"ID": 7, "Name": "Exam", "Participant": {"ID": 1, "Name": "ana"}, "ScheduleMetadata": []}'
    one_page = json.loads(f"[{seat}, {seat}]")  # parsed together: their keys are one object each
    apart = [json.loads(seat), json.loads(seat)]
    anchor = {"ID": 1, "Name": "Exam"}
    keys = [list(seat)[2] for seat in [*one_page, *apart]]
    assert keys[0] is keys[1] and keys[2] is not keys[3]  # a pickle with a memo would tell them apart
    assert fingerprint(anchor, one_page, []) == fingerprint(anchor, apart, [])
    assert fingerprint(anchor, one_page, []) != fingerprint(anchor, [*apart[:1], {**apart[1], "Name": "x"}], [])


class OddCount(QuestionmarkApp):
    """A tenant whose `Schedules/$count` is not a plain Int64 (superscript digits, or too long to be one)."""

    def __init__(self, count: str, page_size: int) -> None:
        super().__init__(page_size=page_size)
        self.count_text = count

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        response = super().handle(request)
        if request.path.endswith("/Schedules/$count"):
            response.body = self.count_text.encode()
        return response


@pytest.mark.parametrize("qm_app", [OddCount("²", 2), OddCount("9" * 40, 2)], ids=["superscript", "forty-digits"])
def test_a_count_that_is_not_an_int64_is_a_clear_error(reconcile: Reconcile) -> None:
    _seed(reconcile.app, 5)
    with pytest.raises(MalformedResponseError, match=r"Schedules/\$count: answer is not a count"):
        read_listing(reconcile.provider.client, 2)
