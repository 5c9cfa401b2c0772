"""Injected faults: answered in each vendor's own error envelope, and targeted by method, path and rank."""

from __future__ import annotations

import re

import pytest
import requests

from reconciler.sandbox.fault_queue import QueuedFault, take_queued
from reconciler.sandbox.launch import Sandbox

# ---------------------------------------------------------------------------------------- the queue


def _take(queue: list[QueuedFault], *requests_: tuple[str, str]) -> list[str | None]:
    return [take_queued(queue, method, path) for method, path in requests_]


def test_a_fault_waits_for_its_nth_matching_request() -> None:
    queue = [QueuedFault("error", "GET", r"/candidates$", nth=2)]
    seen = _take(queue, ("GET", "/v2/schedules/a/candidates"), ("POST", "/v2/schedules/a/candidates"),
                 ("GET", "/v2/schedules/a"), ("GET", "/v2/schedules/b/candidates"), ("GET", "/v2/x/candidates"))
    assert seen == [None, None, None, "error", None]
    assert queue == []


def test_count_faults_from_the_nth_request_fail_in_a_row() -> None:
    queue = [QueuedFault("rate_limit", nth=3) for _ in range(2)]
    assert _take(queue, *[("GET", "/a")] * 5) == [None, None, "rate_limit", "rate_limit", None]


def test_every_waiting_fault_counts_a_request_even_one_another_fault_answers() -> None:
    queue = [QueuedFault("error"), QueuedFault("drop", nth=2)]
    assert _take(queue, ("GET", "/a"), ("GET", "/b")) == ["error", "drop"]


def test_the_original_queue_entries_still_parse() -> None:
    assert QueuedFault.parse(["error", "get"]) == QueuedFault("error", "GET")
    parsed = QueuedFault.parse({"kind": "lost_answer", "methods": "patch", "path": "Schedules", "nth": 4})
    assert parsed == QueuedFault("lost_answer", "PATCH", "Schedules", 4)


@pytest.mark.parametrize(("fault", "error"), [
    ({"kind": "boom"}, ValueError), ({"kind": "error", "nth": 0}, ValueError),
    ({"kind": "error", "path": "("}, re.error),
])
def test_a_wrong_fault_is_refused(fault: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        QueuedFault.parse(fault)


# ---------------------------------------------------------------------------------------- vendor envelopes


def test_mettl_faults_use_the_mettl_envelope(mettl_sandbox: Sandbox) -> None:
    mettl = mettl_sandbox
    mettl.faults.retry_after = 0.25
    mettl.faults.fail_next("error", path="/account$")
    mettl.faults.fail_next("rate_limit", path="/account$")
    refused = requests.get(f"{mettl.url}/v2/account", timeout=5)
    assert refused.status_code == 503
    assert refused.json() == {"status": "ERROR", "error": {"code": "E503", "message": "Service unavailable"}}
    limited = requests.get(f"{mettl.url}/v2/account", timeout=5)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "0.25"
    assert limited.json()["error"]["code"] == "E509" and limited.json()["status"] == "ERROR"
    assert requests.get(f"{mettl.url}/v2/account", timeout=5).json()["error"]["code"] == "E401"  # no fault left


def test_questionmark_faults_are_odata_errors(questionmark_sandbox: Sandbox) -> None:
    questionmark, root = questionmark_sandbox, questionmark_sandbox.url
    questionmark.faults.fail_next("error", "GET", path="/Schedules$")
    questionmark.faults.fail_next("rate_limit", "GET", path="/Schedules$")
    assert requests.get(f"{root}/Groups", timeout=5).status_code == 401  # another path: no fault
    refused = requests.get(f"{root}/Schedules", timeout=5)
    assert refused.status_code == 503
    assert refused.json()["odata.error"]["code"] == "ServiceUnavailable"
    assert refused.json()["odata.error"]["message"]["lang"] == "en-US"
    limited = requests.get(f"{root}/Schedules", timeout=5)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "0.05"
    assert limited.json()["odata.error"]["code"] == "TooManyRequests"
    assert limited.headers["DataServiceVersion"] == "1.0;"


def test_the_control_endpoint_targets_faults(mettl_sandbox: Sandbox) -> None:
    mettl = mettl_sandbox
    control = f"{mettl.url}/__sandbox/faults"
    old_form = requests.post(control, json={"queue": [["error", "post"]]}, timeout=5)
    assert old_form.status_code == 200
    assert old_form.json()["queue"] == [{"kind": "error", "methods": "POST", "path": None, "nth": 1}]
    added = requests.post(control, json={"fail_next": {"kind": "error", "path": "/account$", "nth": 2,
                                                       "count": 2}}, timeout=5)
    assert [f["nth"] for f in added.json()["queue"]] == [1, 2, 2]
    statuses = [requests.get(f"{mettl.url}/v2/account", timeout=5).status_code for _ in range(4)]
    assert statuses == [200, 503, 503, 200]  # 200: the E401 envelope of an unsigned call
    assert [f.methods for f in mettl.faults.queue] == ["POST"]
    refused = requests.post(control, json={"fail_next": {"kind": "error", "path": "("}}, timeout=5)
    assert refused.status_code == 400 and "bad fault settings" in refused.json()["error"]
