"""Candidates in the Mettl emulator: status rows, offset paging, removals, email syntax, form charsets."""
# ruff: noqa: F811 - test parameters are the fixtures imported from mettl_world

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests

from reconciler.sandbox.base import SandboxServer
from reconciler.sandbox.mettl import SANDBOX_PRIVATE_KEY, SANDBOX_PUBLIC_KEY, MettlApp
from reconciler.sandbox.mettl.views import CANDIDATE_PAGE_SIZE

from .mettl_world import (  # noqa: F401 - fixtures
    ASSESSMENT,
    NOW,
    Client,
    app,
    client,
    new_schedule,
    sc,
    server,
    shared,
    sign,
)


def test_v2_candidate_rows_page_by_offset_only(client: Client, app: MettlApp) -> None:
    many = [{"name": f"C{i}", "email": f"c{i:02}@example.com"} for i in range(45)]
    key = app.add_schedule(ASSESSMENT, new_schedule(access={"type": "ByInvitation", "candidates": many}))
    path = f"/schedules/{key}/candidates"
    assert "limit is not a parameter" in client.error("GET", path, {"limit": "100"})
    seen: list[str] = []
    params: dict[str, str] = {}
    while True:
        body = client.ok("GET", path, params)
        assert len(body["candidates"]) <= CANDIDATE_PAGE_SIZE
        seen += [row["email"] for row in body["candidates"]]
        if body["paging"]["next"] is None:
            break
        params = dict(parse_qsl(urlsplit(body["paging"]["next"]).query))
        assert set(params) == {"offset"}
    assert seen == [c["email"] for c in many]


def _raw_form_post(server: SandboxServer, path: str, value: dict[str, Any], content_type: str) -> dict[str, Any]:
    """POST a signed form body with exactly this Content-Type; `sc` keeps its non-ASCII characters."""
    url = f"{server.url}/v2{path}"
    params = {"ak": SANDBOX_PUBLIC_KEY, "ts": str(NOW), "sc": json.dumps(value, ensure_ascii=False)}
    params["asgn"] = sign("POST", url, params, SANDBOX_PRIVATE_KEY)
    response = requests.post(url, data=urlencode(params).encode("ascii"), headers={"Content-Type": content_type},
                             timeout=5)
    return response.json()  # type: ignore[no-any-return]


def test_form_body_is_read_by_its_declared_charset(server: SandboxServer, app: MettlApp) -> None:
    people = [{"name": "Zoë Ærø", "email": "zoë@exämple.de"}, {"name": "Łukasz", "email": "lukasz@example.pl"},
              {"name": "王芳", "email": "wang.fang@example.cn"}]
    value = new_schedule(access={"type": "ByInvitation", "candidates": people})
    path = f"/assessments/{ASSESSMENT}/schedules"
    # without a charset a servlet reads the body as ISO-8859-1: the name is no longer what was signed
    latin = _raw_form_post(server, path, value, "application/x-www-form-urlencoded")
    assert latin["status"] == "ERROR" and latin["error"]["code"] == "E401"
    assert app.find(ASSESSMENT, "Morning") is None
    utf8 = _raw_form_post(server, path, value, "application/x-www-form-urlencoded; charset=UTF-8")
    assert utf8["status"] == "SUCCESS", utf8
    stored = app.schedule(utf8["createdSchedule"]["accessKey"])["access"]["candidates"]
    assert [(c["name"], c["email"]) for c in stored] == [(p["name"], p["email"]) for p in people]


@pytest.mark.parametrize("email", ["sean.o'brien@example.com", "a+b@x.com", "x.y-z@x.com", "zoë@exämple.de",
                                   '"john doe"@example.com', "Old.Applicant@Example.com"])
def test_odd_but_legal_emails_are_accepted(client: Client, app: MettlApp, email: str) -> None:
    key = app.add_schedule(ASSESSMENT, new_schedule())
    edit = {"access": {"type": "ByInvitation", "candidates": {"add": [{"name": "Odd", "email": email}]}},
            "testGradeNotification": {"enabled": True, "recipients": [email]}}
    edited = client.ok("POST", f"/schedules/{key}/edit", sc(edit))["schedule"]
    assert email in [c["email"] for c in edited["access"]["candidates"]]
    assert edited["testGradeNotification"]["recipients"] == [email]


def test_candidate_rows_have_the_documented_shape(client: Client, app: MettlApp) -> None:
    key = app.add_schedule(ASSESSMENT, new_schedule())
    app.mark_submitted(key, "BOB@example.com", "Fri, 11 Feb 2022 23:05:57 GMT")
    app.mark_started(key, "ann@example.com")
    rows = {c["email"]: c for c in client.ok("GET", f"/schedules/{key}/candidates")["candidates"]}
    assert all(set(row) == {"email", "name", "registrationDetails", "testStatus"} for row in rows.values())
    bob = rows["bob@example.com"]
    assert bob["registrationDetails"] == {"Email Address": "bob@example.com", "First Name": "Bob", "Roll number": "17"}
    assert set(bob["testStatus"]) == {"status", "overallStatus", "detailedStatus", "startTime", "endTime",
                                      "completionMode", "result"}
    assert (bob["testStatus"]["overallStatus"], bob["testStatus"]["detailedStatus"]) == (
        "Completed", "Test-taker completed")
    assert bob["testStatus"]["endTime"] == "Fri, 11 Feb 2022 23:05:57 GMT"
    assert rows["ann@example.com"]["testStatus"]["status"] == "In-progress"
    assert rows["ann@example.com"]["testStatus"]["startTime"] is not None
    one = client.ok("GET", f"/schedules/{key}/candidates/bob%40example.com")["candidate"]
    assert one["testStatus"]["overallStatus"] == "Completed"
    inline = client.ok("GET", f"/schedules/{key}")["schedule"]["access"]["candidates"]
    assert inline[1]["submissionDate"] == "Fri, 11 Feb 2022 23:05:57 GMT"
    with pytest.raises(ValueError, match="not a status"):
        app.set_status(key, "ann@example.com", "Completed", "In-progress")


def test_new_candidates_are_yet_to_start(client: Client, app: MettlApp) -> None:
    key = app.add_schedule(ASSESSMENT, new_schedule())
    client.ok("POST", f"/schedules/{key}/edit", sc({"access": {"type": "ByInvitation", "sendEmail": True,
                                                               "candidates": {"add": [{"name": "Cy",
                                                                                       "email": "cy@example.com"}]}}}))
    rows = {c["email"]: c["testStatus"] for c in client.ok("GET", f"/schedules/{key}/candidates")["candidates"]}
    assert (rows["ann@example.com"]["overallStatus"], rows["ann@example.com"]["detailedStatus"]) == (
        "Yet to Start", "Mapped")
    assert (rows["cy@example.com"]["overallStatus"], rows["cy@example.com"]["detailedStatus"]) == (
        "Yet to Start", "Invited")
    assert rows["cy@example.com"]["startTime"] is None


def test_quirks_leave_rows_out_or_unreadable(client: Client, app: MettlApp) -> None:
    key = app.add_schedule(ASSESSMENT, new_schedule())
    app.quirks.missing_rows.append("ANN@example.com")
    app.quirks.rows_without_status.append("bob@example.com")
    app.quirks.email_only_in_registration = True
    [row] = client.ok("GET", f"/schedules/{key}/candidates")["candidates"]
    assert "testStatus" not in row and "email" not in row
    assert row["registrationDetails"]["Email Address"] == "bob@example.com"
    assert client.error("GET", f"/schedules/{key}/candidates/ann%40example.com").startswith("E404")


def test_an_account_limit_is_kept_silently(client: Client, app: MettlApp) -> None:
    app.quirks.limits["webProctoring.count"] = 5
    key = app.add_schedule(ASSESSMENT, new_schedule(webProctoring={"enabled": True, "count": 3}))
    edited = client.ok("POST", f"/schedules/{key}/edit", sc({"webProctoring": {"enabled": True, "count": 10}}))
    assert edited["schedule"]["webProctoring"]["count"] == 5
    assert app.dump_state()["quirks"]["limits"] == {"webProctoring.count": 5}


def test_removal_names_the_email_as_the_schedule_holds_it(client: Client, app: MettlApp) -> None:
    key = app.add_schedule(ASSESSMENT, new_schedule(access={
        "type": "ByInvitation", "candidates": [{"name": "Old", "email": "Old.Applicant@Example.com"}]}))
    lower = {"access": {"type": "ByInvitation", "candidates": {"remove": ["old.applicant@example.com"]}}}
    assert "old.applicant@example.com" in client.error("POST", f"/schedules/{key}/edit", sc(lower))
    exact = {"access": {"type": "ByInvitation", "candidates": {"remove": ["Old.Applicant@Example.com"]}}}
    assert client.ok("POST", f"/schedules/{key}/edit", sc(exact))["schedule"]["access"]["candidates"] == []
