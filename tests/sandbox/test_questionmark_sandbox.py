"""The Questionmark Delivery OData emulator, exercised over real loopback sockets with plain `requests`."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from reconciler.sandbox.base import SandboxServer
from reconciler.sandbox.launch import start
from reconciler.sandbox.questionmark import SANDBOX_PASSWORD, SANDBOX_USERNAME, QuestionmarkApp
from reconciler.sandbox.questionmark.odata import compile_filter, parse_datetime

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
    app.allow_scheduling(SANDBOX_USERNAME, ASSESSMENT)
    group = app.find_group("Cohort A") or app.add_group("Cohort A")
    alice = app.find_participant("alice") or app.add_participant("alice", "alice@example.com", [group])
    with start(app, **server_args) as sandbox:
        http = requests.Session()
        http.auth = (sandbox.user, sandbox.secret)
        yield Env(app, sandbox.server, http, f"{sandbox.url}/", clock, group, alice)


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
        ({"MonitoringTypeID": 99}, "existing MonitoringType"),
        ({"Name": None}, "'Name' is required"),
        ({"Name": ""}, "'Name' is required"),
        ({"AssessmentID": "424242"}, "existing Assessment"),
        ({"ExternalID": "x" * 65}, "at most 64"),
        ({"ReportedResult": "Median"}, "ReportedResult"),
        ({"Colour": "red"}, "does not exist"),
        ({"StartFrom": "next tuesday"}, "Edm.DateTime"),
    ],
)
def test_post_schedule_validation(qm: Env, change: dict[str, Any], fragment: str) -> None:
    body = {"Name": "Demo", "AssessmentID": ASSESSMENT, "GroupID": qm.group, "MonitoringTypeID": 1, **change}
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
            {"Name": "x", "AssessmentID": ASSESSMENT, "GroupID": qm.group, "MonitoringTypeID": 1,
             "ParentScheduleID": parent},
        ).status_code
        == 400
    )  # no ParticipantID
    nested = qm.post(
        "Schedules",
        {"Name": "x", "AssessmentID": ASSESSMENT, "ParticipantID": qm.alice, "MonitoringTypeID": 1,
         "ParentScheduleID": child["ID"]},
    )
    assert nested.status_code == 400 and "group schedule" in _error(nested)
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
                {"Name": "x", "AssessmentID": ASSESSMENT, "GroupID": env.group, "MonitoringTypeID": 1,
                 "ReportedResult": "Last"},
            ).status_code
            == 400
        )


# ---------------------------------------------------------------------------------------- filters, paging


def test_filters(qm: Env) -> None:
    qm.app.add_group("O'Brien's Team")
    by_name = qm.get("Groups", **{"$filter": "Name eq 'O''Brien''s Team'"}).json()["value"]
    assert [g["Name"] for g in by_name] == ["O'Brien's Team"]
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


def test_expansion_is_cut_at_100_without_a_link_and_the_navigation_feed_pages(qm: Env) -> None:
    for n in range(129):
        qm.app.add_participant(f"cand{n:03}", None, [qm.group])
    body = qm.get(f"Groups({qm.group})", **{"$expand": "Participants"}).json()
    assert len(body["Participants"]) == 100
    assert not [k for k in body if "nextLink" in k]  # intro.rst: truncated, no continuation
    nav = qm.get(f"Groups({qm.group})/Participants").json()
    assert nav["odata.nextLink"] == f"{qm.root}Groups({qm.group})/Participants?$skip=100"
    rest = qm.http.get(nav["odata.nextLink"]).json()
    assert len(rest["value"]) == 30 and "odata.nextLink" not in rest
    names = {p["Name"] for p in nav["value"]} | {p["Name"] for p in rest["value"]}
    assert names == set(qm.app.group_members(qm.group)) and len(names) == 130
    key = qm.new_schedule()["ID"]
    for n in range(101):
        qm.app.add_metadata(key, f"k{n:03}", "v")
    listed = qm.get("Schedules", **{"$expand": "ScheduleMetadata,Participant"}).json()["value"]
    assert len(listed[0]["ScheduleMetadata"]) == 100 and listed[0]["Participant"] is None
    assert set(listed[0]) == set(qm.get(f"Schedules({key})").json()) - {"odata.metadata"} | {
        "ScheduleMetadata", "Participant"}
    metadata = qm.get(f"Schedules({key})/ScheduleMetadata").json()  # assumption Q-09
    assert len(metadata["value"]) == 100 and metadata["odata.nextLink"].endswith("?$skip=100")


def test_participant_expansion_is_the_entity(qm: Env) -> None:
    seat = qm.new_schedule(ParticipantID=qm.alice, ExternalID="seat")
    listed = qm.get("Schedules", **{"$expand": "Participant"}).json()["value"]
    assert listed[0]["ID"] == seat["ID"]
    assert listed[0]["Participant"]["Name"] == "alice"
    assert listed[0]["Participant"]["PrimaryEmail"] == "alice@example.com"
    assert listed[0]["Participant"]["Password"] is None  # write-only: always read as null
    assert qm.get("Schedules", **{"$expand": "Attempts/Result"}).status_code == 400
    assert qm.get("Schedules", **{"$expand": "Colour"}).status_code == 400


# ---------------------------------------------------------------------------------------- participants, groups


def test_there_is_no_participants_upsert(qm: Env) -> None:
    response = qm.post("Participants/Upsert", {"Name": "bob", "Groups": ["Cohort A"]})
    assert response.status_code == 404
    assert qm.app.find_participant("bob") is None and qm.app.group_members(qm.group) == ["alice"]


@pytest.mark.parametrize("name", [
    "sean.o'brien@example.com", 'say"hi', "a&b", "back\\slash", "a/b", "a,b", "a|b", "£5", "<a>", "a:b", "#1",
    "x" * 201, "", "   ",
])
def test_illegal_participant_names_are_refused(qm: Env, name: str) -> None:
    response = qm.post("Participants", {"Name": name, "PrimaryEmail": "p@example.com"})
    assert response.status_code == 400, name
    assert "Name" in _error(response)
    assert qm.post("Participants", {"Name": "x" * 200}).status_code == 201


def test_participant_and_group_writes(qm: Env) -> None:
    created = qm.post("Participants", {"Name": "dave", "FirstName": "Dave", "Password": "s3cret"})
    assert created.status_code == 201 and created.json()["Password"] is None
    key = created.json()["ID"]
    assert qm.post("Participants", {"Name": "DAVE"}).status_code == 400  # names are unique
    assert qm.patch(f"Participants({key})", {"LastName": "Jones"}).status_code == 204
    assert qm.get(f"Participants({key})").json()["LastName"] == "Jones"
    assert qm.patch(f"Participants({key})", {"Name": "david"}).status_code == 400  # the login cannot change
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
    refused = qm.get("ScheduleMetadata", **{"$filter": f"ScheduleID eq {key}"})  # the feed lists no filters
    assert refused.status_code == 400 and "ScheduleID" in _error(refused)
    listed = qm.get("ScheduleMetadata").json()["value"]
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


# ---------------------------------------------------------------------------------------- permissions, tenant feeds


def test_scheduling_needs_ownership_of_a_group_associated_with_the_assessment(qm: Env) -> None:
    other = "92761000092761"
    qm.app.add_assessment(other, "Sample Test")
    body = {"Name": "Demo", "AssessmentID": other, "GroupID": qm.group, "MonitoringTypeID": 1}
    refused = qm.post("Schedules", body)
    assert refused.status_code == 403
    assert other in _error(refused) and "own a group associated" in _error(refused)
    assert qm.get("Schedules").json()["value"] == []
    owners = qm.app.add_group("Sample Owners")
    qm.app.add_assessment(other, schedulable_by=[owners])
    assert qm.post("Schedules", body).status_code == 403  # associated, but the caller does not own the group
    qm.app.add_administrator(SANDBOX_USERNAME, owns=[owners])
    assert qm.post("Schedules", body).status_code == 201


def test_administrators_groups_and_schedulable_assessments(qm: Env) -> None:
    admins = qm.get("Administrators", **{"$filter": f"Name eq '{SANDBOX_USERNAME}'"}).json()["value"]
    assert [a["Name"] for a in admins] == [SANDBOX_USERNAME]
    groups = qm.get(f"Administrators({admins[0]['ID']})/Groups").json()["value"]
    assert [g["Name"] for g in groups] == ["Exam Owners"]
    assessments = qm.get(f"Groups({groups[0]['ID']})/SchedulableAssessments").json()["value"]
    assert [a["ID"] for a in assessments] == [ASSESSMENT]  # Int64 as a JSON string
    expanded = qm.get(f"Administrators({admins[0]['ID']})/Groups", **{"$expand": "SchedulableAssessments"}).json()
    assert expanded["value"][0]["SchedulableAssessments"][0]["ID"] == ASSESSMENT
    assert qm.get("Assessments", **{"$filter": f"ID eq {ASSESSMENT}L"}).json()["value"][0]["Base"] is True
    assert qm.get(f"Assessments({ASSESSMENT}L)").status_code == 200
    assert qm.get("Administrators", **{"$filter": "Email eq 'x'"}).status_code == 400
    assert qm.post("Administrators", {"Name": "eve"}).status_code == 405


def test_monitoring_types_feed(qm: Env) -> None:
    types = qm.get("MonitoringTypes").json()["value"]
    assert [(t["ID"], t["Name"]) for t in types][:1] == [(1, "UNMONITORED")]
    assert {"RequireQSB", "RequireDeviceEvents"} <= set(types[0])
    assert qm.get("MonitoringTypes", **{"$filter": "Name eq 'UNMONITORED'"}).json()["value"][0]["ID"] == 1
    assert qm.get("MonitoringTypes", **{"$orderby": "Name"}).status_code == 400


def test_attempts_by_schedule(qm: Env) -> None:
    key = qm.new_schedule(ParticipantID=qm.alice)["ID"]
    other = qm.new_schedule()["ID"]
    made = [qm.app.add_attempt(key, qm.alice) for _ in range(2)]
    listed = qm.get("Attempts", **{"$filter": f"ScheduleID eq {key}"}).json()
    assert [a["ID"] for a in listed["value"]] == made
    assert listed["value"][0]["AssessmentID"] == ASSESSMENT and listed["value"][0]["ParticipantID"] == qm.alice
    assert qm.get("Attempts", **{"$filter": f"ScheduleID eq {other}"}).json()["value"] == []
    assert qm.get("Attempts", **{"$filter": f"ParticipantID eq {qm.alice}"}).status_code == 400
    assert qm.post("Attempts", {"ScheduleID": key}).status_code == 405


def test_indexed_lookups_answer_like_scans(qm: Env) -> None:
    for n in range(150):
        qm.app.add_participant(f"user{n:03}", f"user{n:03}@example.com")
    either = qm.get("Participants", **{"$filter": "Name eq 'USER007' or Name eq 'user149' or Name eq 'nobody'"})
    assert [p["Name"] for p in either.json()["value"]] == ["user007", "user149"]
    both = qm.get("Participants", **{"$filter": "Name eq 'user007' and ID eq 1"}).json()["value"]
    assert both == []
    assert len(qm.get("Participants", **{"$filter": "Name ne 'user007'"}).json()["value"]) == 100


def test_metadata_document_describes_every_feed(qm: Env) -> None:
    response = qm.get("$metadata")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/xml"
    root = ET.fromstring(response.content)
    edm = "{http://schemas.microsoft.com/ado/2009/11/edm}"
    sets = {e.get("Name"): e.get("EntityType") for e in root.iter(f"{edm}EntitySet")}
    assert set(sets) == {"Schedules", "ScheduleMetadata", "Participants", "Groups", "Attempts", "MonitoringTypes",
                         "Administrators", "Assessments"}
    schedule = next(e for e in root.iter(f"{edm}EntityType") if e.get("Name") == "Schedule")
    props = {p.get("Name"): p.get("Type") for p in schedule.iter(f"{edm}Property")}
    assert props["AssessmentID"] == "Edm.Int64" and props["ExternalID"] == "Edm.String"
    assert set(qm.new_schedule()) - {"odata.metadata"} == set(props)
    navs = {n.get("Name") for n in schedule.iter(f"{edm}NavigationProperty")}
    assert {"ScheduleMetadata", "Participant", "Group", "ExceptionSchedules", "Attempts"} <= navs
    associations = {a.get("Name") for a in root.iter(f"{edm}Association")}
    assert {n.get("Relationship", "").split(".")[-1] for n in root.iter(f"{edm}NavigationProperty")} <= associations


def test_keys_are_typed(qm: Env) -> None:
    key = qm.new_schedule()["ID"]
    assert qm.get(f"Schedules({key})").status_code == 200
    assert qm.get(f"Schedules({key}L)").status_code == 400  # Edm.Int32: no suffix
    assert qm.get(f"Assessments({ASSESSMENT})").status_code == 400  # Edm.Int64: the L is required
    assert qm.get(f"Assessments({ASSESSMENT}L)").json()["ID"] == ASSESSMENT
