"""The emulator's QMWISe endpoint serves group membership as documented, and no more leniently."""

from __future__ import annotations

import base64

import pytest
import requests

from reconciler.errors import AuthenticationError, BadRequestError
from reconciler.providers.questionmark.qmwise import QmwiseClient, envelope, membership_body, soap_action
from reconciler.sandbox.launch import Sandbox
from reconciler.sandbox.questionmark import QuestionmarkApp
from reconciler.sandbox.questionmark.qmwise import MAX_IDS


def _client(sandbox: Sandbox, password: str | None = None) -> QmwiseClient:
    assert sandbox.qmwise_url is not None
    return QmwiseClient(sandbox.qmwise_url, sandbox.user, password or sandbox.secret, timeout=5, batch=MAX_IDS + 5)


def _post(sandbox: Sandbox, method: str, body: str, *, action: str | None = None, header: str = "",
          basic: bool = False) -> requests.Response:
    data = envelope(method, body)
    if header:
        data = data.replace(b"<soap:Body>", f"<soap:Header>{header}</soap:Header><soap:Body>".encode())
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": action or soap_action(method)}
    if basic:
        token = base64.b64encode(f"{sandbox.user}:{sandbox.secret}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    assert sandbox.qmwise_url is not None
    return requests.post(sandbox.qmwise_url, data=data, headers=headers, timeout=5)


def test_membership_changes_show_through_both_odata_navigations(questionmark_sandbox: Sandbox,
                                                                 qm_app: QuestionmarkApp) -> None:
    group = qm_app.add_group("Ops")
    ana = qm_app.add_participant("ana", "ana@example.com")
    client = _client(questionmark_sandbox)
    client.add_members(group, [ana, 999_999])  # an unknown participant ID is silently ignored
    assert qm_app.group_members(group) == ["ana"]
    session = requests.Session()
    session.auth = (questionmark_sandbox.user, questionmark_sandbox.secret)
    root = questionmark_sandbox.url
    listed = session.get(f"{root}/Groups({group})/Participants", timeout=5).json()["value"]
    assert [p["ID"] for p in listed] == [ana]
    expanded = session.get(f"{root}/Participants({ana})", params={"$expand": "Groups"}, timeout=5).json()
    assert [g["ID"] for g in expanded["Groups"]] == [group]
    client.add_members(group, [ana])  # adding a member again is ignored (assumption Q-15)
    client.remove_members(group, [ana])
    assert qm_app.group_members(group) == []
    assert client.get_group(group)["Group_Name"] == "Ops"
    client.close()


def test_a_missing_group_is_a_fault(questionmark_sandbox: Sandbox) -> None:
    client = _client(questionmark_sandbox)
    with pytest.raises(BadRequestError, match=r"QMWISe AddGroupParticipantList failed: Group not found: 424242 "
                                              r"\(error 1201\)"):
        client.add_members(424242, [1])
    client.close()


def test_more_ids_than_the_cap_is_a_fault(questionmark_sandbox: Sandbox, qm_app: QuestionmarkApp) -> None:
    group = qm_app.add_group("Ops")
    client = _client(questionmark_sandbox)
    with pytest.raises(BadRequestError, match=f"at most {MAX_IDS} per call"):
        client.add_members(group, list(range(1, MAX_IDS + 2)))
    client.close()


def test_bad_credentials(questionmark_sandbox: Sandbox, qm_app: QuestionmarkApp) -> None:
    group = qm_app.add_group("Ops")
    client = _client(questionmark_sandbox, password="wrong")
    with pytest.raises(AuthenticationError, match="credentials refused"):
        client.get_group(group)
    client.close()
    bad = ('<Security xmlns="http://questionmark.com/QMWISe/"><ClientID>sandbox-user</ClientID>'
           "<Checksum>no</Checksum></Security>")
    answer = _post(questionmark_sandbox, "GetGroup", f"<Group_ID>{group}</Group_ID>", header=bad)
    assert answer.status_code == 500 and b"Access denied" in answer.content
    nothing = _post(questionmark_sandbox, "GetGroup", f"<Group_ID>{group}</Group_ID>")
    assert nothing.status_code == 500 and b"Access denied" in nothing.content


def test_the_security_header_is_accepted(questionmark_sandbox: Sandbox, qm_app: QuestionmarkApp) -> None:
    group = qm_app.add_group("Ops")
    ana = qm_app.add_participant("ana", "ana@example.com")
    good = ('<Security xmlns="http://questionmark.com/QMWISe/"><ClientID>sandbox-user</ClientID>'
            '<Checksum>sandbox-password</Checksum></Security>')
    answer = _post(questionmark_sandbox, "AddGroupParticipantList", membership_body(group, [ana]), header=good)
    assert answer.status_code == 200 and b"AddGroupParticipantListResponse" in answer.content
    assert qm_app.group_members(group) == ["ana"]


def test_the_soap_action_must_name_the_method(questionmark_sandbox: Sandbox, qm_app: QuestionmarkApp) -> None:
    group = qm_app.add_group("Ops")
    ana = qm_app.add_participant("ana", "ana@example.com")
    answer = _post(questionmark_sandbox, "AddGroupParticipantList", membership_body(group, [ana]), basic=True,
                   action=soap_action("DeleteGroupParticipantList"))
    assert answer.status_code == 500 and b"did not recognize the value of HTTP Header SOAPAction" in answer.content
    unknown = _post(questionmark_sandbox, "SetGroupParticipants", membership_body(group, [ana]), basic=True)
    assert unknown.status_code == 500 and b"did not recognize" in unknown.content
    assert qm_app.group_members(group) == []


def test_an_empty_list_and_a_dtd_are_refused(questionmark_sandbox: Sandbox, qm_app: QuestionmarkApp) -> None:
    group = qm_app.add_group("Ops")
    empty = _post(questionmark_sandbox, "AddGroupParticipantList", membership_body(group, []), basic=True)
    assert empty.status_code == 500 and b"at least one Participant_ID" in empty.content
    assert questionmark_sandbox.qmwise_url is not None
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>'
    dtd = requests.post(questionmark_sandbox.qmwise_url, data=bomb,
                        headers={"Content-Type": "text/xml", "SOAPAction": soap_action("GetGroup")},
                        auth=(questionmark_sandbox.user, questionmark_sandbox.secret), timeout=5)
    assert dtd.status_code == 500 and b"not a well-formed SOAP message" in dtd.content
