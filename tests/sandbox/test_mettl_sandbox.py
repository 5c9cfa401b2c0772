"""The Mettl emulator over real loopback sockets, signed by a small independent signer."""
# ruff: noqa: F811 - test parameters are the fixtures imported from mettl_world

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from reconciler.sandbox.base import SandboxServer
from reconciler.sandbox.launch import start
from reconciler.sandbox.mettl import SANDBOX_PRIVATE_KEY, SANDBOX_PUBLIC_KEY, MettlApp
from reconciler.sandbox.mettl.common import MettlError

from .mettl_world import (  # noqa: F401 - fixtures
    ASSESSMENT,
    NOW,
    SECRET_HEADER,
    VECTOR_AK,
    VECTOR_ASGN,
    VECTOR_PRIVATE,
    Client,
    app,
    client,
    fixed_window,
    new_schedule,
    sc,
    server,
    shared,
    sign,
)

# ---------------------------------------------------------------------------------------------- signature


def test_verifier_accepts_the_reference_vector_exactly() -> None:
    app = MettlApp({VECTOR_AK: VECTOR_PRIVATE}, now=lambda: 1635976200 + 60)
    params = {"ak": VECTOR_AK, "ts": "1635976200", "asgn": VECTOR_ASGN}
    assert app.authenticate("GET", "https://api.mettl.com/v2/account", params) == VECTOR_AK
    assert sign("GET", "https://api.mettl.com/v2/account", {"ak": VECTOR_AK, "ts": "1635976200"},
                VECTOR_PRIVATE) == VECTOR_ASGN
    for method, url, changed in [
        ("POST", "https://api.mettl.com/v2/account", params),
        ("GET", "https://api.mettl.com/v3/account", params),
        ("GET", "https://api.mettl.com/v2/account", {**params, "ts": "1635976201"}),
        ("GET", "https://api.mettl.com/v2/account", {**params, "asgn": VECTOR_ASGN.lower()}),
    ]:
        with pytest.raises(MettlError) as info:
            app.authenticate(method, url, changed)
        assert info.value.code == "E401"


def test_account_with_a_good_signature(client: Client) -> None:
    assert client.ok("GET", "/account")["account"]["name"]


def test_bad_signature_and_unknown_key_are_E401_with_http_200(client: Client) -> None:
    assert client.error("GET", "/account", private_key="wrong").startswith("E401")
    response = requests.get(f"{client.base}/v2/account", params={"ak": "nobody", "ts": str(NOW), "asgn": "x"},
                            timeout=5)
    assert response.status_code == 200 and response.json()["error"]["code"] == "E401"


@pytest.mark.parametrize(("ts", "code"), [(NOW - 86_401, "E422"), (NOW + 86_401, "E422"), ("soon", "E504")])
def test_timestamps(client: Client, ts: int | str, code: str) -> None:
    assert client.error("GET", "/account", ts=ts).startswith(code)


def test_timestamp_within_a_day_is_accepted(client: Client) -> None:
    client.ok("GET", "/account", ts=NOW - 86_000)


def test_v1_signs_with_sha1(server: SandboxServer) -> None:
    v1 = Client(server, "v1")
    assert v1.ok("GET", "/account")["status"] == "SUCCESS"
    url = f"{server.url}/v1/account"
    params = {"ak": SANDBOX_PUBLIC_KEY, "ts": str(NOW)}
    sha256 = base64.b64encode(hmac.new(SANDBOX_PRIVATE_KEY.encode(), ("GET" + url + f"\n{SANDBOX_PUBLIC_KEY}\n{NOW}")
                                       .encode(), hashlib.sha256).digest()).decode()
    body = requests.get(url, params={**params, "asgn": sha256}, timeout=5).json()
    assert body["error"]["code"] == "E401"
    assert Client(server, "v3").ok("GET", "/account")["status"] == "SUCCESS"


def test_unknown_route_and_wrong_method(client: Client) -> None:
    assert client.error("GET", "/nothing").startswith("E404")
    assert requests.get(f"{client.base}/v9/account", timeout=5).json()["error"]["code"] == "E404"
    assert client.error("POST", "/account").startswith("E405")
    assert client.error("GET", "/schedules/abc/edit").startswith("E405")
    assert client.error("GET", f"/assessments/{ASSESSMENT + 1}/schedules").startswith("E404")


# ---------------------------------------------------------------------------------------------- schedules


def test_create_get_edit_delta(client: Client, app: MettlApp) -> None:
    created = client.ok("POST", f"/assessments/{ASSESSMENT}/schedules",
                        sc(new_schedule(sourceApp="App Name", protected="OtpOnEmail")))["createdSchedule"]
    key = created["accessKey"]
    assert len(key) == 10 and key.isalnum() and key.islower()
    assert created["accessUrl"] == f"https://tests.mettl.com/authenticateKey/{key}"
    assert created["status"] == "ACTIVE" and created["createdAt"] == "Tue, 14 Nov 2023 22:13:20 GMT"
    assert created["assessmentDetails"]["id"] == ASSESSMENT and created["assessmentDetails"]["duration"] == 10

    got = client.ok("GET", f"/schedules/{key}")["schedule"]
    assert got == created
    assert got["access"]["candidates"] == [
        {"name": "Ann", "submissionDate": None, "email": "ann@example.com"},
        {"name": "Bob", "submissionDate": None, "email": "bob@example.com"},
    ]
    assert got["scheduleWindow"] == fixed_window() and got["protected"] == "OtpOnEmail"

    edit = {"access": {"type": "ByInvitation", "candidates": {"add": [{"name": "Cy", "email": "cy@example.com"},
                                                                      {"name": "Ann2", "email": "ANN@example.com"}],
                                                              "remove": ["bob@example.com"]}},
            "webProctoring": {"enabled": True, "count": 3}}
    edited = client.ok("POST", f"/schedules/{key}/edit", sc(edit))["schedule"]
    assert [c["email"] for c in edited["access"]["candidates"]] == ["ann@example.com", "cy@example.com"]
    assert edited["access"]["candidates"][0]["name"] == "Ann"
    assert edited["webProctoring"] == {"enabled": True, "count": 3, "showRemainingCounts": False}
    unchanged = {k: v for k, v in edited.items() if k not in ("access", "webProctoring")}
    assert unchanged == {k: v for k, v in got.items() if k not in ("access", "webProctoring")}

    renamed = client.ok("POST", f"/schedules/{key}/edit", sc({"name": "Evening", "scheduleType": "AlwaysOn"}))
    assert renamed["schedule"]["name"] == "Evening" and "scheduleWindow" not in renamed["schedule"]
    assert app.find(ASSESSMENT, "Evening") is not None and app.find(ASSESSMENT, "Morning") is None


def test_names_are_unique_within_an_assessment_and_filterable(client: Client, app: MettlApp) -> None:
    app.add_assessment(ASSESSMENT + 1, "Other")
    first = app.add_schedule(ASSESSMENT, new_schedule("A"))
    app.add_schedule(ASSESSMENT, new_schedule("B"))
    app.add_schedule(ASSESSMENT + 1, new_schedule("A"))
    assert "already exists" in client.error("POST", f"/assessments/{ASSESSMENT}/schedules", sc(new_schedule("A")))
    assert "already exists" in client.error("POST", f"/schedules/{first}/edit", sc({"name": "B"}))
    found = client.ok("GET", f"/assessments/{ASSESSMENT}/schedules", {"filter": '{"name":"A","x":1}'})
    assert [s["accessKey"] for s in found["schedules"]] == [first]
    assert "candidates" not in found["schedules"][0]["access"]
    assert len(client.ok("GET", "/schedules")["schedules"]) == 3


def test_a_rename_frees_the_old_name_and_takes_the_new_one(client: Client, app: MettlApp) -> None:
    first = app.add_schedule(ASSESSMENT, new_schedule("A"))
    client.ok("POST", f"/schedules/{first}/edit", sc({"name": "C"}))
    assert client.ok("POST", f"/assessments/{ASSESSMENT}/schedules", sc(new_schedule("A")))["createdSchedule"]
    assert "already exists" in client.error("POST", f"/assessments/{ASSESSMENT}/schedules", sc(new_schedule("C")))
    client.ok("POST", f"/schedules/{first}/edit", sc({"name": "C"}))  # its own name is no conflict
    reloaded = MettlApp(now=lambda: NOW)
    reloaded.load_state(app.dump_state())
    with pytest.raises(MettlError, match="already exists"):
        reloaded.add_schedule(ASSESSMENT, new_schedule("C"))
    assert reloaded.find(ASSESSMENT, "A") is not None and reloaded.find(ASSESSMENT, "C") is not None


def test_paging_over_more_than_a_hundred(client: Client, app: MettlApp) -> None:
    keys = [app.add_schedule(ASSESSMENT, new_schedule(f"S{i:03}")) for i in range(205)]
    assert len(set(keys)) == 205
    seen: list[str] = []
    params: dict[str, str] = {"limit": "100"}
    pages = 0
    while True:
        page = client.ok("GET", "/schedules", params)
        pages += 1
        seen += [s["accessKey"] for s in page["schedules"]]
        assert all("candidates" not in s["access"] for s in page["schedules"])
        nxt = page["paging"]["next"]
        if nxt is None:
            break
        parts = urlsplit(nxt)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{client.base}/v2/schedules"
        params = dict(parse_qsl(parts.query))
        assert set(params) == {"limit", "offset"}
    assert pages == 3 and seen == keys
    assert page["paging"]["previous"].endswith("limit=100&offset=100")
    assert client.ok("GET", "/schedules")["paging"]["next"].endswith("limit=20&offset=20")
    for bad in ("0", "101", "ten"):
        assert client.error("GET", "/schedules", {"limit": bad}).startswith("E400")
    assert client.error("GET", "/schedules", {"offset": "-1"}).startswith("E400")


def test_form_body_parameters(client: Client, server: SandboxServer) -> None:
    many = [{"name": f"C{i}", "email": f"c{i}@example.com"} for i in range(400)]
    value = new_schedule(access={"type": "ByInvitation", "candidates": many})
    created = client.ok("POST", f"/assessments/{ASSESSMENT}/schedules", sc(value), form=True)
    key = created["createdSchedule"]["accessKey"]
    assert len(client.ok("GET", f"/schedules/{key}")["schedule"]["access"]["candidates"]) == 400
    assert len(Client(server, "v3").ok("GET", f"/schedules/{key}/candidates", {"limit": "100"})["candidates"]) == 100


def test_remove_unknown_email_is_E400_and_changes_nothing(client: Client, app: MettlApp) -> None:
    key = app.add_schedule(ASSESSMENT, new_schedule())
    before = app.schedule(key)
    edit = {"name": "Renamed", "access": {"type": "ByInvitation", "candidates": {"remove": ["zed@example.com"]}}}
    assert "zed@example.com" in client.error("POST", f"/schedules/{key}/edit", sc(edit))
    assert app.schedule(key) == before


def test_write_only_auth_header_is_never_returned(client: Client, server: SandboxServer, app: MettlApp) -> None:
    hooks = {"testStartNotificationUrl": "https://hooks.example.com/start",
             "testFinishNotificationUrl": "https://hooks.example.com/finish",
             "testGradedNotificationUrl": "https://hooks.example.com/graded",
             "testResumeEnabledForExpiredTestURL": "https://hooks.example.com/resume",
             "testNotificationBasicAuthHeader": SECRET_HEADER}
    value = new_schedule(**hooks)
    texts = [client.call("POST", f"/assessments/{ASSESSMENT}/schedules", sc(value)).text]
    key = json.loads(texts[0])["createdSchedule"]["accessKey"]
    texts.append(client.call("GET", f"/schedules/{key}").text)
    texts.append(client.call("GET", "/schedules").text)
    texts.append(client.call("GET", f"/assessments/{ASSESSMENT}/schedules").text)
    texts.append(client.call("POST", f"/schedules/{key}/edit", sc({"testNotificationBasicAuthHeader": "bmV3"})).text)
    assert all(SECRET_HEADER not in t and "bmV3" not in t and "testNotificationBasicAuthHeader" not in t
               for t in texts)
    shown = json.loads(texts[1])["schedule"]
    assert all(shown[k] == v for k, v in hooks.items() if k != "testNotificationBasicAuthHeader")
    assert app.schedule(key)["testNotificationBasicAuthHeader"] == "bmV3"
    assert app.dump_state()["schedules"][0]["testNotificationBasicAuthHeader"] == "bmV3"


@pytest.mark.parametrize(("change", "message"), [
    ({"bogus": 1}, "unknown sc properties: bogus"),
    ({"access": {"sendEmail": True}}, "access.type is mandatory"),
    ({"access": {"type": "Private"}}, "access.type must be one of"),
    ({"scheduleType": "Sometimes"}, "scheduleType must be one of"),
    ({"scheduleWindow": fixed_window(startsOnDate="Tue, 07 Feb 2022")}, "is a Mon, not a Tue"),
    ({"scheduleWindow": fixed_window(startsOnDate="2022-02-07")}, 'must look like "Mon, 07 Feb 2022"'),
    ({"scheduleWindow": fixed_window(endsOnTime="25:00:00")}, 'must look like "HH:MM:SS"'),
    ({"scheduleWindow": fixed_window(endsOnDate="Mon, 07 Feb 2022", endsOnTime="11:00:00")}, "end after"),
    ({"scheduleWindow": fixed_window(locationTimeZone="Mars/Olympus")}, "IANA"),
    ({"scheduleWindow": fixed_window(timeZone="+05:30")}, "UTC+05:30"),
    ({"scheduleWindow": fixed_window(fixedAccessOption="Never")}, "fixedAccessOption"),
    ({"webProctoring": {"enabled": True, "count": -1}}, "count must be an integer >= 0"),
    ({"visualProctoring": {"mode": "VIDEO"}}, "visualProctoring.mode"),
    ({"protected": "Yes"}, "protected must be one of"),
    ({"testStartNotificationUrl": "ftp://example.com/x"}, "http(s) URL"),
    ({"ipAccessRestriction": {"enabled": True, "type": "SINGLE", "ip": "300.1.1.1"}}, "IPv4"),
    ({"ipAccessRestriction": {"enabled": True, "type": "LIST"}}, "ipAccessRestriction.type"),
    ({"access": {"type": "ByInvitation", "candidates": {"add": [{"email": "x@example.com"}]}}},
     "needs both name and email"),
    ({"access": {"type": "ByInvitation", "candidates": [{"name": "X", "email": "x@example.com"}]}},
     "access.candidates must be a JSON object"),
    ({"access": {"type": "OpenForAll", "candidates": {"add": [{"name": "X", "email": "x@example.com"}]}}},
     "ByInvitation"),
    # read-only properties of the answer are not inputs, at any level
    ({"imageProctoring": True}, "unknown sc properties: imageProctoring"),
    ({"allowTestResume": "UnSuperVised"}, "unknown sc properties: allowTestResume"),
    ({"isCandidateAuthProctored": False}, "unknown sc properties: isCandidateAuthProctored"),
    ({"assessmentDetails": {"id": 1}}, "unknown sc properties: assessmentDetails"),
    ({"id": 1, "accessKey": "x", "status": "ACTIVE"}, "unknown sc properties: accessKey, id, status"),
    ({"access": {"type": "ByInvitation", "sendReminders": False}}, "unknown properties in access: sendReminders"),
    ({"visualProctoring": {"mode": "OFF", "options": {"audioOptional": True}}},
     "unknown properties in visualProctoring.options: audioOptional"),
    ({"webProctoring": {"enabled": True, "limit": 3}}, "unknown properties in webProctoring: limit"),
    ({"ipAccessRestriction": {"enabled": True, "type": "RANGE", "ranges": [{"start": "1.1.1.1", "end": "1.1.1.2",
                                                                              "note": "x"}]}},
     "unknown properties in ipAccessRestriction.ranges[0]: note"),
    ({"testGradeNotification": {"enabled": True, "recipients": ["not-an-email"]}}, "not a valid email address"),
    ({"access": {"type": "ByInvitation", "candidates": {"add": [{"name": "X", "email": "x@@example.com"}]}}},
     "not a valid email address"),
])
def test_edit_validation(client: Client, app: MettlApp, change: dict[str, Any], message: str) -> None:
    key = app.add_schedule(ASSESSMENT, new_schedule())
    error = client.error("POST", f"/schedules/{key}/edit", sc(change))
    assert error.startswith("E400") and message in error


def test_other_request_errors(client: Client) -> None:
    path = f"/assessments/{ASSESSMENT}/schedules"
    assert "not valid JSON" in client.error("POST", path, {"sc": "{nope"})
    assert "missing parameter sc" in client.error("POST", path)
    assert "mandatory" in client.error("POST", path, sc({"name": "x"}))
    always_on = {"name": "Open", "sourceApp": "App Name", "access": {"type": "OpenForAll"},
                 "scheduleType": "AlwaysOn"}
    for source_app in ({}, {"sourceApp": ""}, {"sourceApp": None}, {"sourceApp": 7}):
        value = {k: v for k, v in always_on.items() if k != "sourceApp"} | source_app
        assert "sourceApp" in client.error("POST", path, sc(value))
    key = client.ok("POST", path, sc(always_on))["createdSchedule"]["accessKey"]
    assert "needs a scheduleWindow" in client.error("POST", f"/schedules/{key}/edit", sc({"scheduleType": "Fixed"}))
    assert client.error("GET", "/schedules/nope0nope0").startswith("E404")


def test_too_many_candidates_in_one_request(server: SandboxServer, app: MettlApp) -> None:
    app.max_candidates_per_request = 3
    key = app.add_schedule(ASSESSMENT, new_schedule())
    add = [{"name": f"N{i}", "email": f"n{i}@example.com"} for i in range(3)]
    edit = {"access": {"type": "ByInvitation", "candidates": {"add": add, "remove": ["ann@example.com"]}}}
    assert "too many candidates in one request" in Client(server).error("POST", f"/schedules/{key}/edit", sc(edit))


def test_location_time_zone_alone_is_enough(app: MettlApp) -> None:
    window = fixed_window()
    del window["timeZone"]
    key = app.add_schedule(ASSESSMENT, new_schedule(scheduleWindow=window))
    assert app.schedule(key)["scheduleWindow"]["locationTimeZone"] == "Asia/Kolkata"


# ---------------------------------------------------------------------------------------------- server


def test_state_survives_a_restart(tmp_path: Path) -> None:
    first = MettlApp(now=lambda: NOW)
    first.add_assessment(ASSESSMENT, "Assessment Name")
    with start(first, state_dir=tmp_path) as sandbox:
        key = Client(sandbox.server).ok("POST", f"/assessments/{ASSESSMENT}/schedules",
                                sc(new_schedule()), form=True)["createdSchedule"]["accessKey"]
    assert (tmp_path / "mettl.json").exists()
    second = MettlApp(now=lambda: NOW)
    with start(second, state_dir=tmp_path) as sandbox:
        client = Client(sandbox.server)
        assert client.ok("GET", f"/schedules/{key}")["schedule"]["name"] == "Morning"
        created = client.ok("POST", f"/assessments/{ASSESSMENT}/schedules", sc(new_schedule("Next")))
        assert created["createdSchedule"]["accessKey"] != key
    assert second.dump_state() == json.loads((tmp_path / "mettl.json").read_text())


def test_injected_fault_then_recovery(client: Client, server: SandboxServer) -> None:
    server.faults.fail_next("error")
    assert client.call("GET", "/account").status_code == 503
    client.ok("GET", "/account")


@pytest.mark.parametrize(("code", "status"), [("E509", 429), ("E503", 503), ("E401", 200), ("E400", 200)])
def test_error_http_statuses(code: str, status: int) -> None:
    response = MettlError(code, "x").response()
    assert response.status == status
    assert response.body == {"status": "ERROR", "error": {"code": code, "message": "x"}}
    assert ("Retry-After" in response.headers) == (code == "E509")
