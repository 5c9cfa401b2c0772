"""The QMWISe client against hostile answers, over real HTTP: a SOAP fault, XML that is malformed, huge, or
carries a DTD or an entity bomb each end in one clear error naming the method, never a secret."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from reconciler.errors import (
    AmbiguousWriteError,
    AuthenticationError,
    BadRequestError,
    MalformedResponseError,
    ProviderError,
)
from reconciler.providers.questionmark.qmwise import MAX_ANSWER_BYTES, QmwiseClient, soap_action
from reconciler.sandbox.base import SandboxServer
from reconciler.sandbox.wire import SandboxApp, SandboxRequest, SandboxResponse

PATH = "/qmwise/1/qmwise.asmx"
SECRET = "hunter2-secret"
ENVELOPE = ('<?xml version="1.0" encoding="utf-8"?><soap:Envelope '
            'xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>{}</soap:Body></soap:Envelope>')
OK = ENVELOPE.format('<AddGroupParticipantListResponse xmlns="http://questionmark.com/QMWISe/"/>')
BOMB = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>&lol2;</soap:Body>'
        '</soap:Envelope>')
EXTERNAL = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>&e;</soap:Body>'
            '</soap:Envelope>')


class Canned(SandboxApp):
    """Answers every call with one prepared response; remembers the requests."""

    name = "canned"

    def __init__(self) -> None:
        self.answer = SandboxResponse(200, OK.encode(), {"Content-Type": "text/xml"})
        self.requests: list[SandboxRequest] = []

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        self.requests.append(request)
        return self.answer

    def dump_state(self) -> dict[str, Any]:
        return {}

    def load_state(self, state: dict[str, Any]) -> None:
        return None


@pytest.fixture
def canned() -> Iterator[tuple[Canned, QmwiseClient]]:
    app = Canned()
    with SandboxServer(app) as server:
        client = QmwiseClient(server.url + PATH, "admin", SECRET, timeout=5, batch=3)
        yield app, client
        client.close()


def fault(text: str, number: str = "1201") -> bytes:
    return ENVELOPE.format(f"<soap:Fault><faultcode>soap:Server</faultcode><faultstring>{text}</faultstring>"
                           f"<detail><error>{number}</error></detail></soap:Fault>").encode()


def test_the_request_is_the_documented_envelope(canned: tuple[Canned, QmwiseClient]) -> None:
    app, client = canned
    client.add_members(77, [5, 3, 1, 4])
    first, second = app.requests
    assert first.headers["SOAPAction"] == soap_action("AddGroupParticipantList") == (
        '"http://questionmark.com/QMWISe/AddGroupParticipantList"')
    assert first.headers["Content-Type"].startswith("text/xml") and first.headers["Authorization"].startswith("Basic ")
    body = first.body.decode()
    assert '<AddGroupParticipantList xmlns="http://questionmark.com/QMWISe/"><Group_ID>77</Group_ID>' in body
    ids = "".join(f"<Participant_ID>{i}</Participant_ID>" for i in (1, 3, 4))  # sorted, at most `batch` a call
    assert f"<ParticipantIDList>{ids}</ParticipantIDList>" in body
    assert "<Participant_ID>5</Participant_ID></ParticipantIDList>" in second.body.decode()


def test_a_soap_fault_is_one_clear_refusal(canned: tuple[Canned, QmwiseClient]) -> None:
    app, client = canned
    app.answer = SandboxResponse(500, fault(f"Group not found (password was {SECRET})"), {"Content-Type": "text/xml"})
    with pytest.raises(BadRequestError) as caught:
        client.add_members(77, [1])
    message = str(caught.value)
    assert "QMWISe AddGroupParticipantList failed: Group not found" in message and "(error 1201)" in message
    assert SECRET not in message + (caught.value.body or "")
    assert not isinstance(caught.value, AmbiguousWriteError) and len(app.requests) == 1  # a refusal: not resent


def test_a_fault_in_a_200_answer_is_an_error_too(canned: tuple[Canned, QmwiseClient]) -> None:
    app, client = canned
    app.answer = SandboxResponse(200, fault("Access denied", "1001"), {"Content-Type": "text/xml"})
    with pytest.raises(BadRequestError, match="QMWISe DeleteGroupParticipantList failed: Access denied"):
        client.remove_members(77, [1])


def test_refused_credentials_name_the_settings(canned: tuple[Canned, QmwiseClient]) -> None:
    app, client = canned
    app.answer = SandboxResponse(401, b"", {})
    with pytest.raises(AuthenticationError, match="qmwise_username/qmwise_password") as caught:
        client.get_group(1)
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize(("body", "expected"), [
    (BOMB.encode(), "no DTD or entities"),
    (EXTERNAL.encode(), "no DTD or entities"),
    (b"<soap:Envelope><unclosed>", "not well-formed XML"),
    (ENVELOPE.format("<Other/>").encode(), "has no AddGroupParticipantListResponse element"),
])
def test_hostile_or_malformed_answers_are_clear_errors(canned: tuple[Canned, QmwiseClient], body: bytes,
                                                       expected: str) -> None:
    app, client = canned
    app.answer = SandboxResponse(200, body, {"Content-Type": "text/xml"})
    with pytest.raises(MalformedResponseError, match=expected) as caught:
        client.add_members(77, [1])
    assert "QMWISe AddGroupParticipantList" in str(caught.value)


def test_a_huge_answer_is_cut_off(canned: tuple[Canned, QmwiseClient]) -> None:
    app, client = canned
    app.answer = SandboxResponse(200, b"<a>" + b" " * (MAX_ANSWER_BYTES + 10) + b"</a>", {"Content-Type": "text/xml"})
    with pytest.raises(ProviderError, match="larger than"):
        client.add_members(77, [1])
