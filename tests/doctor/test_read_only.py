"""Doctor's HTTP is GET-only by construction: anything else is refused before it leaves the machine."""

from __future__ import annotations

import pytest

from reconciler.checks.probe import WriteRefused, read_only
from reconciler.providers.mettl.client import MettlClient
from reconciler.providers.questionmark.client import QuestionmarkClient
from reconciler.sandbox.launch import Sandbox
from reconciler.sandbox.questionmark import SANDBOX_USERNAME


def test_a_read_only_mettl_client_reads_but_never_sends_a_write(mettl_sandbox: Sandbox) -> None:
    client = MettlClient(mettl_sandbox.url, mettl_sandbox.user, mettl_sandbox.secret)
    _, probe = read_only(client, "mettl")

    with pytest.raises(WriteRefused, match="doctor reads only; refused POST /v2/assessments/769688/schedules"):
        client.create_schedule("769688", {"name": "Never", "scheduleType": "AlwaysOn"})
    with pytest.raises(WriteRefused):
        client.http.request("DELETE", client.url("/schedules/abc"))
    assert mettl_sandbox.calls == []

    assert client.account()["status"] == "SUCCESS"
    assert [c.method for c in mettl_sandbox.calls] == ["GET"]
    assert [a.kind for a in probe.answers] == ["other"] and probe.answers[0].status == 200
    client.close()


def test_a_read_only_questionmark_client_never_sends_a_write(questionmark_sandbox: Sandbox) -> None:
    server = questionmark_sandbox
    client = QuestionmarkClient(server.url, server.user, server.secret)
    http, _ = read_only(client, "questionmark")

    for method, path in (("POST", "Groups"), ("PATCH", "Schedules(1)"), ("MERGE", "Schedules(1)")):
        with pytest.raises(WriteRefused, match=f"refused {method} "):
            client.http.request(method, client.url(path), json={"Name": "never"})
    with pytest.raises(WriteRefused):  # a GET that carries a body is not a read either
        client.http.request("GET", client.url("Groups"), json={"Name": "never"})
    assert server.writes() == [] and server.calls == []
    assert http.user == SANDBOX_USERNAME
    client.close()
