"""The Questionmark Delivery OData emulator, exercised over real loopback sockets with plain `requests`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from reconciler.sandbox.base import SandboxServer, running
from reconciler.sandbox.qm_odata import compile_filter, parse_datetime
from reconciler.sandbox.questionmark import SANDBOX_PASSWORD, SANDBOX_USERNAME, QuestionmarkApp

ASSESSMENT = "65433000065433"
JSON = {"Content-Type": "application/json"}
ZULU = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2027, 1, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Env:
    app: QuestionmarkApp
    server: SandboxServer
    http: requests.Session
    root: str
    clock: Clock
    group: int
    alice: int

    def get(self, path: str, **params: str) -> requests.Response:
        return self.http.get(self.root + path, params=params or None)

    def post(self, path: str, body: Any) -> requests.Response:
        return self.http.post(self.root + path, json=body)

    def patch(self, path: str, body: Any, method: str = "PATCH") -> requests.Response:
        return self.http.request(method, self.root + path, json=body)

    def new_schedule(self, **props: Any) -> dict[str, Any]:
        body = {"Name": "Demo Schedule", "AssessmentID": ASSESSMENT, "GroupID": self.group, "MonitoringTypeID": 1}
        response = self.post("Schedules", {**body, **props})
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result


def _env(app: QuestionmarkApp, clock: Clock, **server_args: Any) -> Iterator[Env]:
    group = app.find_group("Cohort A") or app.add_group("Cohort A")
    alice = app.find_participant("alice") or app.add_participant("alice", "alice@example.com", [group])
    with running(app, **server_args) as server:
        http = requests.Session()
        http.auth = (SANDBOX_USERNAME, SANDBOX_PASSWORD)
        yield Env(app, server, http, f"{server.url}/deliveryodata/123456/", clock, group, alice)


@pytest.fixture
def qm() -> Iterator[Env]:
    clock = Clock()
    yield from _env(QuestionmarkApp(now=clock), clock)


def _error(response: requests.Response) -> str:
    message: str = response.json()["odata.error"]["message"]["value"]
    return message


# ---------------------------------------------------------------------------------------- auth, routing


def test_basic_auth_is_required(qm: Env) -> None:
    anonymous = requests.get(qm.root + "Schedules")
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == 'Basic realm="Questionmark"'
    assert set(anonymous.json()["odata.error"]) == {"code", "message"}
    assert anonymous.json()["odata.error"]["message"]["lang"] == "en-US"
    assert requests.get(qm.root + "Schedules", auth=(SANDBOX_USERNAME, "wrong")).status_code == 401
    assert requests.get(qm.root + "Schedules", auth=("nobody", SANDBOX_PASSWORD)).status_code == 401
    assert qm.get("Schedules").status_code == 200
    assert qm.http.get(f"{qm.server.url}/deliveryodata/999999/Schedules").status_code == 404
    assert qm.get("Schedule(1)").status_code == 404  # singular entity-set names do not exist


def test_unsupported_query_options(qm: Env) -> None:
    assert qm.get("Schedules", **{"$format": "json"}).status_code == 400
    assert qm.get("Schedules", **{"$select": "ID"}).status_code == 400
    assert qm.get("Schedules", **{"$orderby": "ID"}).status_code == 400
    assert qm.get("Participants", **{"$orderby": "Name desc"}).status_code == 200


# ---------------------------------------------------------------------------------------- schedules


def test_post_schedule_answers_201_with_the_seed_shape(qm: Env) -> None:
    response = qm.post(
        "Schedules",
        {
            "ID": 0,
            "Name": "Demo Schedule",
            "AssessmentID": ASSESSMENT,
            "GroupID": qm.group,
            "MonitoringTypeID": 1,
            "StartFrom": "2027-01-10T08:00:00Z",
            "StartTo": "2027-01-10T10:00:00+00:00",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["odata.metadata"] == qm.root + "$metadata#Schedules/@Element"
    assert response.headers["Location"] == f"{qm.root}Schedules({body['ID']})"
    assert body["ID"] != 0
    assert body["AssessmentID"] == ASSESSMENT  # Int64 travels as a JSON string
    seed_keys = {
        "ID",
        "ParentScheduleID",
        "ExternalID",
        "Name",
        "AssessmentID",
        "Language",
        "GroupID",
        "ParticipantID",
        "StartFrom",
        "StartTo",
        "ResumeTo",
        "ReportFrom",
        "ReportTo",
        "ExtraTime",
        "MaxAttempts",
        "MonitoringTypeID",
        "ObserverID",
        "Created",
        "Modified",
        "Hidden",
        "Disabled",
        "ResumeAllowed",
        "TestCenterID",
    }
    assert seed_keys <= set(body)
    assert {"ReportTemplateName", "ReportedResult", "RulesOfConductID", "IsDeleted"} <= set(body)
    assert (body["Disabled"], body["Hidden"], body["ResumeAllowed"], body["ObserverInitiated"]) == (False,) * 4
    assert ZULU.match(body["Created"]) and body["Created"] == body["Modified"]
    assert body["StartFrom"] == "2027-01-10T08:00:00"  # UTC, written without Z
    assert body["StartTo"] == "2027-01-10T10:00:00"
    assert body["CreatedBy"] == SANDBOX_USERNAME
    assert qm.get(f"Schedules({body['ID']})").json() == body


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"AssessmentID": int(ASSESSMENT)}, "JSON string"),
        ({"AssessmentID": None}, "cannot be null"),
        ({"GroupID": None}, "GroupID or a ParticipantID"),
        ({"GroupID": 1}, "existing Group"),
        ({"MonitoringTypeID": None}, "cannot be null"),
        ({"ReportedResult": "Median"}, "ReportedResult"),
        ({"Colour": "red"}, "does not exist"),
        ({"StartFrom": "next tuesday"}, "Edm.DateTime"),
    ],
)
def test_post_schedule_validation(qm: Env, change: dict[str, Any], fragment: str) -> None:
    body = {"AssessmentID": ASSESSMENT, "GroupID": qm.group, "MonitoringTypeID": 1, **change}
    response = qm.post("Schedules", body)
    assert response.status_code == 400
    assert fragment in _error(response)


def test_writes_need_json_content_type(qm: Env) -> None:
    response = qm.http.post(qm.root + "Schedules", data="AssessmentID=1", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert "odata.error" in response.json()


def test_patch_changes_only_the_sent_properties(qm: Env) -> None:
    before = qm.new_schedule(ExternalID="ext-1", ExtraTime=10)
    key = before["ID"]
    qm.clock.advance(60)
    response = qm.patch(f"Schedules({key})", {"Disabled": True, "ExtraTime": 15, "ID": 999, "Created": None})
    assert response.status_code == 204 and response.content == b""
    after = qm.get(f"Schedules({key})").json()
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {"Disabled", "ExtraTime", "Modified"}
    assert after["Disabled"] is True and after["ExtraTime"] == 15 and after["ID"] == key
    assert after["Modified"] > before["Modified"] and after["Created"] == before["Created"]
    # MERGE is the OData v2/v3 spelling of the same partial update; Modified moves even on a frozen clock.
    assert qm.patch(f"Schedules({key})", {"Hidden": True}, method="MERGE").status_code == 204
    again = qm.get(f"Schedules({key})").json()
    assert again["Hidden"] is True and again["Modified"] > after["Modified"]


def test_patch_rules(qm: Env) -> None:
    key = qm.new_schedule()["ID"]
    assert qm.patch(f"Schedules({key})", {"AssessmentID": ASSESSMENT}).status_code == 204
    changed = qm.patch(f"Schedules({key})", {"AssessmentID": "123"})
    assert changed.status_code == 400 and "cannot be changed" in _error(changed)
    assert qm.patch(f"Schedules({key})", {"Unknown": 1}).status_code == 400
    assert qm.patch(f"Schedules({key})", {"Disabled": None}).status_code == 400
    assert qm.patch(f"Schedules({key})", {"ReportedResult": "Best"}).status_code == 204
    assert qm.patch("Schedules(1)", {"Disabled": True}).status_code == 404


def test_delete_schedule_is_not_allowed(qm: Env) -> None:
    key = qm.new_schedule()["ID"]
    response = qm.http.delete(f"{qm.root}Schedules({key})")
    assert response.status_code == 405
    assert "odata.error" in response.json()
    assert qm.get(f"Schedules({key})").status_code == 200


def test_exception_schedules(qm: Env) -> None:
    parent = qm.new_schedule()["ID"]
    child = qm.new_schedule(ParentScheduleID=parent, ParticipantID=qm.alice, GroupID=None, ExtraTime=30)
    assert (
        qm.post(
            "Schedules",
            {"AssessmentID": ASSESSMENT, "GroupID": qm.group, "MonitoringTypeID": 1, "ParentScheduleID": parent},
        ).status_code
        == 400
    )  # no ParticipantID
    nested = qm.post(
        "Schedules",
        {"AssessmentID": ASSESSMENT, "ParticipantID": qm.alice, "MonitoringTypeID": 1, "ParentScheduleID": child["ID"]},
    )
    assert nested.status_code == 400 and "group schedule" in _error(nested)
    listed = qm.get(f"Schedules({parent})/ExceptionSchedules").json()
    assert [s["ID"] for s in listed["value"]] == [child["ID"]]
    expanded = qm.get(f"Schedules({parent})", **{"$expand": "ExceptionSchedules"}).json()
    assert [s["ID"] for s in expanded["ExceptionSchedules"]] == [child["ID"]]


def test_soft_deleted_schedule_is_still_listed(qm: Env) -> None:
    key = qm.new_schedule()["ID"]
    qm.app.soft_delete(key)
    assert qm.get(f"Schedules({key})").json()["IsDeleted"] is True
    assert [s["IsDeleted"] for s in qm.get("Schedules").json()["value"]] == [True]


def test_legacy_tenant_omits_newer_properties() -> None:
    clock = Clock()
    for env in _env(QuestionmarkApp(now=clock, legacy_tenant=True), clock):
        body = env.new_schedule()
        assert not {"ReportTemplateName", "ReportedResult", "RulesOfConductID", "IsDeleted"} & set(body)
        assert (
            env.post(
                "Schedules",
                {"AssessmentID": ASSESSMENT, "GroupID": env.group, "MonitoringTypeID": 1, "ReportedResult": "Last"},
            ).status_code
            == 400
        )


# ---------------------------------------------------------------------------------------- filters, paging


def test_filters(qm: Env) -> None:
    qm.app.add_participant("O'Brien", "ob@example.com")
    by_name = qm.get("Participants", **{"$filter": "Name eq 'O''Brien'"}).json()["value"]
    assert [p["Name"] for p in by_name] == ["O'Brien"]
    key = qm.new_schedule(StartFrom="2027-02-01T08:00:00Z")["ID"]
    qm.new_schedule(ParticipantID=qm.alice, GroupID=None)
    int64 = qm.get("Schedules", **{"$filter": f"GroupID eq {qm.group}L"}).json()["value"]
    assert [s["ID"] for s in int64] == [key]
    window = "StartFrom ge datetime'2027-02-01T00:00:00' and (MonitoringTypeID eq 1 or TestCenterID ne null)"
    assert [s["ID"] for s in qm.get("Schedules", **{"$filter": window}).json()["value"]] == [key]
    for bad, fragment in [
        ("ExternalID eq 'managed'", "ExternalID"),
        (f"AssessmentID eq {ASSESSMENT}L", "AssessmentID"),
        ("GroupID eq 'x'", "incompatible"),
        ("GroupID eq", "end"),
        ("(GroupID eq 1", "')'"),
        (f"GroupID eq {ASSESSMENT}", "L suffix"),
        ("substringof('a', Name)", "substringof"),
    ]:
        response = qm.get("Schedules", **{"$filter": bad})
        assert response.status_code == 400, bad
        assert fragment in _error(response), (bad, _error(response))


def test_filter_parser_directly() -> None:
    keep = compile_filter(
        "Name eq 'O''Brien' or (ID ge 5L and not (ID eq 7))", {"Name": "Edm.String", "ID": "Edm.Int32"}, "X"
    )
    assert keep({"Name": "o'brien", "ID": 1})
    assert keep({"Name": "x", "ID": 6}) and not keep({"Name": "x", "ID": 7}) and not keep({"Name": "x", "ID": 4})
    assert parse_datetime("2027-01-10T09:00:00+01:00") == parse_datetime("2027-01-10T08:00:00")
    assert parse_datetime("2017-08-15T12:04:28.0154826Z").microsecond == 15482


def test_paging_follows_next_links_over_250_schedules(qm: Env) -> None:
    made = {qm.app.add_schedule(AssessmentID=int(ASSESSMENT), GroupID=qm.group, MonitoringTypeID=1) for _ in range(250)}
    seen: list[int] = []
    url: str | None = qm.root + "Schedules?$filter=GroupID eq " + str(qm.group)
    links = []
    while url:
        page = qm.http.get(url).json()
        assert len(page["value"]) <= 100
        seen += [s["ID"] for s in page["value"]]
        url = page.get("odata.nextLink")
        links.append(url)
    assert sorted(seen) == sorted(made) and len(seen) == 250
    assert links[0] is not None and links[0].startswith(qm.root + "Schedules?$filter=GroupID%20eq%20")
    assert "$skiptoken=" in links[0] and links[-1] is None and len(links) == 3
    first = qm.get("Schedules", **{"$top": "150", "$skip": "10"}).json()
    second = qm.http.get(first["odata.nextLink"]).json()
    assert len(first["value"]) == 100 and len(second["value"]) == 50 and "odata.nextLink" not in second


def test_group_expansion_is_cut_at_100_with_a_link_to_the_rest(qm: Env) -> None:
    for n in range(129):
        qm.app.add_participant(f"cand{n:03}", None, [qm.group])
    body = qm.get(f"Groups({qm.group})", **{"$expand": "Participants"}).json()
    assert len(body["Participants"]) == 100
    assert body["Participants@odata.nextLink"] == f"{qm.root}Groups({qm.group})/Participants?$skip=100"
    rest = qm.http.get(body["Participants@odata.nextLink"]).json()
    assert len(rest["value"]) == 30 and "odata.nextLink" not in rest
    names = {p["Name"] for p in body["Participants"]} | {p["Name"] for p in rest["value"]}
    assert names == set(qm.app.group_members(qm.group)) and len(names) == 130
    nav = qm.get(f"Groups({qm.group})/Participants").json()
    assert nav["odata.nextLink"] == f"{qm.root}Groups({qm.group})/Participants?$skip=100"


# ---------------------------------------------------------------------------------------- participants, groups


def test_upsert_creates_then_updates_and_adds_memberships(qm: Env) -> None:
    other = qm.app.add_group("Cohort B")
    created = qm.post(
        "Participants/Upsert",
        {"Name": "bob", "PrimaryEmail": "bob@old.example", "Groups": ["Cohort A"], "ReplaceExistingGroups": False},
    )
    assert created.status_code == 200
    key = created.json()["ID"]
    assert created.json()["odata.metadata"].endswith("$metadata#Participants/@Element")
    updated = qm.post(
        "Participants/Upsert",
        {"Name": "BOB", "PrimaryEmail": "bob@new.example", "Groups": ["cohort b"], "ReplaceExistingGroups": True},
    )
    assert updated.status_code == 200 and updated.json()["ID"] == key
    assert updated.json()["PrimaryEmail"] == "bob@new.example" and updated.json()["Name"] == "bob"
    assert "bob" in qm.app.group_members(qm.group)  # ReplaceExistingGroups ignored on this tenant
    assert "bob" in qm.app.group_members(other)
    groups = qm.get(f"Participants({key})", **{"$expand": "Groups"}).json()["Groups"]
    assert sorted(g["Name"] for g in groups) == ["Cohort A", "Cohort B"]
    unknown = qm.post("Participants/Upsert", {"Name": "carol", "Groups": ["No Such Group"]})
    assert unknown.status_code == 400 and qm.app.find_participant("carol") is None


def test_upsert_can_replace_groups_when_the_tenant_supports_it() -> None:
    clock = Clock()
    for env in _env(QuestionmarkApp(now=clock, replace_groups_supported=True), clock):
        env.app.add_group("Cohort B")
        body = {"Name": "alice", "Groups": ["Cohort B"], "ReplaceExistingGroups": True}
        assert env.post("Participants/Upsert", body).status_code == 200
        assert env.app.group_members(env.group) == []


def test_participant_and_group_writes(qm: Env) -> None:
    created = qm.post("Participants", {"Name": "dave", "FirstName": "Dave", "Password": "s3cret"})
    assert created.status_code == 201 and "Password" not in created.json()
    key = created.json()["ID"]
    assert qm.post("Participants", {"Name": "DAVE"}).status_code == 400  # names are unique
    assert qm.patch(f"Participants({key})", {"LastName": "Jones"}).status_code == 204
    assert qm.get(f"Participants({key})").json()["LastName"] == "Jones"
    assert qm.http.delete(f"{qm.root}Participants({key})").status_code == 204
    assert qm.get(f"Participants({key})").status_code == 404
    group = qm.post("Groups", {"Name": "Cohort C"}).json()
    assert group["RootGroupID"] == group["ID"]
    assert qm.patch(f"Groups({group['ID']})", {"Name": "x"}).status_code == 405
    assert qm.get("Groups", **{"$filter": "Name eq 'cohort c'"}).json()["value"][0]["ID"] == group["ID"]
    assert qm.http.delete(f"{qm.root}Groups({group['ID']})").status_code == 204


# ---------------------------------------------------------------------------------------- metadata


def test_schedule_metadata_limits_and_write_once(qm: Env) -> None:
    key = qm.new_schedule()["ID"]
    ok = qm.post("ScheduleMetadata", {"ScheduleID": key, "Key": "k" * 200, "Value": "v" * 4000})
    assert ok.status_code == 201 and ok.json()["odata.metadata"].endswith("#ScheduleMetadata/@Element")
    for body in (
        {"ScheduleID": key, "Key": "k" * 201, "Value": "v"},
        {"ScheduleID": key, "Key": "k", "Value": "v" * 4001},
        {"ScheduleID": key, "Key": "k"},
        {"ScheduleID": 1, "Key": "k", "Value": "v"},
    ):
        assert qm.post("ScheduleMetadata", body).status_code == 400
    meta = ok.json()["ID"]
    assert qm.patch(f"ScheduleMetadata({meta})", {"Value": "x"}).status_code == 405
    assert qm.http.delete(f"{qm.root}ScheduleMetadata({meta})").status_code == 405
    qm.app.add_metadata(key, "Country", "%Participant.Primary_Country%")
    listed = qm.get("ScheduleMetadata", **{"$filter": f"ScheduleID eq {key}"}).json()["value"]
    assert [m["Key"] for m in listed] == ["k" * 200, "Country"]
    expanded = qm.get(f"Schedules({key})", **{"$expand": "ScheduleMetadata"}).json()
    assert expanded["ScheduleMetadata"][1]["Value"] == "%Participant.Primary_Country%"


# ---------------------------------------------------------------------------------------- server features


def test_state_persists_across_servers(tmp_path: Path) -> None:
    clock = Clock()
    for env in _env(QuestionmarkApp(now=clock), clock, state_dir=tmp_path):
        first = env.new_schedule(ExternalID="keep-me")
    assert (tmp_path / "questionmark.json").exists()
    for env in _env(QuestionmarkApp(now=clock), clock, state_dir=tmp_path):
        again = env.get(f"Schedules({first['ID']})").json()
        assert again == first | {"odata.metadata": again["odata.metadata"]}
        assert env.new_schedule()["ID"] == first["ID"] + 1
        assert env.app.group_members(env.group) == ["alice"]
    app = QuestionmarkApp()
    app.load_state(env.app.dump_state())
    assert app.dump_state() == env.app.dump_state()


def test_injected_fault_answers_503(qm: Env) -> None:
    qm.server.faults.fail_next("error")
    assert qm.get("Schedules").status_code == 503
    assert qm.get("Schedules").status_code == 200
