"""The Questionmark emulator's listing answers, joined from each schedule's kept JSON bytes: the same bytes a
whole encoding gives, up to date after every write that shows in them, and a rewritten answer sent as rewritten."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from reconciler.sandbox.base import PreEncoded, SandboxRequest, encode_body
from reconciler.sandbox.launch import start
from reconciler.sandbox.questionmark import SANDBOX_USERNAME, QuestionmarkApp

ASSESSMENT = "65433000065433"
LISTING = {"$expand": "ScheduleMetadata,Participant,Group"}


@pytest.fixture
def app() -> QuestionmarkApp:
    app = QuestionmarkApp(page_size=2)
    app.allow_scheduling(SANDBOX_USERNAME, ASSESSMENT)
    group = app.add_group("Cohort A")
    for name in ("ana", "ben", "cy"):
        person = app.add_participant(name, f"{name}@example.com", [group])
        key = app.add_schedule(Name=f"Exam {name}", AssessmentID=ASSESSMENT, GroupID=group, ParticipantID=person,
                               MonitoringTypeID=1)
        app.world.create_metadata({"ScheduleID": key, "Key": "cost centre", "Value": f"cc-{name}"})
    return app


@pytest.fixture
def http(app: QuestionmarkApp) -> Iterator[tuple[requests.Session, str]]:
    with start(app) as sandbox:
        session = requests.Session()
        session.auth = (sandbox.user, sandbox.secret)
        yield session, f"{sandbox.url}/"


def _page(app: QuestionmarkApp, **extra: str) -> Any:
    auth = {"Authorization": "Basic c2FuZGJveC11c2VyOnNhbmRib3gtcGFzc3dvcmQ="}
    request = SandboxRequest("GET", f"{app.prefix}/Schedules", {**LISTING, **extra}, {}, auth, b"", "http://h")
    return app.handle(request).body


def test_a_listing_page_is_joined_from_kept_bytes_equal_to_a_whole_encoding(app: QuestionmarkApp) -> None:
    body = _page(app)
    assert isinstance(body, PreEncoded) and len(body["value"]) == 2 and "odata.nextLink" in body
    assert encode_body(body) == json.dumps(body).encode()
    assert [v["ScheduleMetadata"][0]["Value"] for v in body["value"]] == ["cc-ana", "cc-ben"]


def test_a_rewritten_answer_is_sent_as_rewritten(app: QuestionmarkApp) -> None:
    body = _page(app)
    body["value"][0].pop("Name")
    body["value"][1] = {"ID": 1}
    sent = json.loads(encode_body(body))
    assert "Name" not in sent["value"][0] and sent["value"][1] == {"ID": 1}
    emptied = _page(app)
    emptied.update(value=[])
    assert json.loads(encode_body(emptied))["value"] == []
    assert "Name" in _page(app)["value"][0]  # the kept answer itself was not changed


def test_writes_show_in_the_listing(app: QuestionmarkApp, http: tuple[requests.Session, str]) -> None:
    session, root = http
    first = session.get(root + "Schedules", params=LISTING).json()["value"][0]
    person, key = first["Participant"]["ID"], first["ID"]
    assert session.patch(root + f"Participants({person})", json={"FirstName": "Ana"}).status_code == 204
    assert session.patch(root + f"Schedules({key})", json={"ExtraTime": 15}).status_code == 204
    assert session.post(root + "ScheduleMetadata", json={"ScheduleID": key, "Key": "k", "Value": "v"}).ok
    again = session.get(root + "Schedules", params=LISTING).json()["value"][0]
    assert again["Participant"]["FirstName"] == "Ana" and again["ExtraTime"] == 15
    assert [m["Key"] for m in again["ScheduleMetadata"]] == ["cost centre", "k"]
    assert session.delete(root + f"Participants({person})").status_code == 204
    assert session.get(root + "Schedules", params=LISTING).json()["value"][0]["Participant"] is None
