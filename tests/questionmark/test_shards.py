"""Two shards of one Questionmark account (`shard:`): each owns only its own ExternalID marks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reconciler.providers.base import Endpoint
from reconciler.providers.questionmark.mapping import external_id, is_owned, parse_mark, seat_mark
from reconciler.providers.questionmark.provider import make_questionmark_provider
from reconciler.sandbox.base import SandboxServer
from reconciler.sandbox.launch import Sandbox
from reconciler.sandbox.questionmark import QuestionmarkApp

from .conftest import ASSESSMENT, Reconcile, qm_schedule


@pytest.fixture
def shards(questionmark_sandbox: Sandbox, qm_server: SandboxServer, qm_app: QuestionmarkApp
           ) -> Iterator[dict[str, Reconcile]]:
    endpoint = Endpoint(questionmark_sandbox.url, questionmark_sandbox.user, questionmark_sandbox.secret)
    made = {name: make_questionmark_provider(None, endpoint, shard=name) for name in ("east", "west")}
    yield {name: Reconcile(provider, qm_server, qm_app) for name, provider in made.items()}
    for provider in made.values():
        provider.close()


def test_a_shard_mark_carries_the_shard_and_fits_64_characters() -> None:
    mark = external_id(ASSESSMENT, "Ops", "a-sixteen-chars-")
    assert mark.startswith("reconciler:v1@a-sixteen-chars-:") and len(seat_mark(mark, revoked=True)) <= 64
    assert parse_mark(seat_mark(mark)) == (mark, "seat")
    assert is_owned({"ExternalID": mark}, "a-sixteen-chars-")
    assert not is_owned({"ExternalID": mark}) and not is_owned({"ExternalID": external_id(ASSESSMENT, "Ops")}, "a")


def test_two_shards_plan_clean_after_each_other_and_prune_leaves_the_other(
    shards: dict[str, Reconcile], qm_app: QuestionmarkApp
) -> None:
    east, west = shards["east"], shards["west"]
    east.apply(qm_schedule(name="East Exam"))
    west.apply(qm_schedule(name="West Exam"))
    marks = {s["Name"]: s["ExternalID"] for s in qm_app.schedules() if s["ParticipantID"] is None}
    assert marks["East Exam"] == external_id(ASSESSMENT, "East Exam", "east")
    assert marks["West Exam"] == external_id(ASSESSMENT, "West Exam", "west")
    for shard, name in ((east, "East Exam"), (west, "West Exam")):
        plan = shard.plan(qm_schedule(name=name), prune=True).plan
        assert not plan.has_changes and not plan.unmanaged and not plan.undeclared, plan.changes

    west_before = [s for s in qm_app.schedules() if s["Name"] == "West Exam"]
    run = east.plan(prune=True)  # east declares nothing: its own schedule is retired, west's untouched
    assert [(c.action, c.name) for c in run.plan.changes] == [("disable", "East Exam")]
    assert not run.plan.unmanaged
    east.server.reset_calls()
    east.apply(prune=True)
    written = {int(path.removeprefix("Schedules(").rstrip(")")) for _, path in east.writes()}
    by_id = {s["ID"]: s for s in qm_app.schedules()}
    assert written and all(by_id[i]["ExternalID"].startswith("reconciler:v1@east:") for i in written)
    assert [s for s in qm_app.schedules() if s["Name"] == "West Exam"] == west_before
    assert not west.plan(qm_schedule(name="West Exam"), prune=True).plan.has_changes
