"""A read schedule is checked by its one model (a bad field is named); the roster's quick path reads exactly
what the per-item path does: anything unusual falls back to it."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.errors import MalformedResponseError
from reconciler.providers.mettl import roster
from reconciler.providers.mettl.answers import LiveSchedule, checked

CALL = "GET /v2/schedules/k"


def _schedule(*candidates: Any) -> dict[str, Any]:
    return {"name": "S", "accessKey": "k", "scheduleType": "AlwaysOn", "extra": 1,
            "access": {"type": "ByInvitation", "candidates": list(candidates)}}


GOOD = {"email": "ana@example.com", "name": "Ana", "submissionDate": None, "more": [1]}
BAD_CANDIDATES = [
    {"name": "no email"}, {"email": "ab"}, {"email": 7}, {"email": "ana@example.com", "name": 3},
    {"email": "ana@example.com", "submissionDate": 1}, "ana@example.com", None,
]


def _failure(check: Any, data: Any) -> str:
    with pytest.raises(MalformedResponseError) as caught:
        check(data)
    return str(caught.value)


@pytest.mark.parametrize("bad", BAD_CANDIDATES, ids=repr)
def test_a_bad_candidate_is_named(bad: Any) -> None:
    assert "access.candidates.1" in _failure(lambda d: checked(LiveSchedule, d, CALL), _schedule(GOOD, bad))


def test_a_bad_schedule_field_with_good_candidates_is_named() -> None:
    data = {**_schedule(GOOD), "scheduleType": "Sometimes"}
    assert "scheduleType" in _failure(lambda d: checked(LiveSchedule, d, CALL), data)


def test_a_good_schedule_comes_back_unchanged() -> None:
    data = _schedule(GOOD, {"email": "raj@example.com"})
    assert checked(LiveSchedule, data, CALL) is data
    assert data["access"]["candidates"][0] is GOOD  # nothing replaced in place


DESIRED = ("ana@example.com", "raj@example.com")


@pytest.mark.parametrize("live", [
    ["ana@example.com", "raj@example.com"],  # the desired list as it stands: the quick path
    ["Ana@Example.com", "raj@example.com"],  # another spelling: per item
    ["ana@example.com", "zoë@example.com"],  # not ASCII: per item
    ["ana@example.com", "mei@example.com"],  # not desired: per item
    ["ana@example.com"],  # one desired not live yet: per item
])
def test_the_roster_is_the_same_either_way(live: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    desired = frozenset("".join(email) for email in DESIRED)  # strings of their own, not the literals
    raw = _schedule(*({"email": e, "name": e.upper(), "submissionDate": "2026-01-01" if i else None}
                      for i, e in enumerate(live)))
    quick = roster.read_roster(raw, desired)
    assert quick.live is not None
    assert all(any(e is d for d in desired) for e in quick.live.emails if e in desired)  # desired's own strings
    monkeypatch.setattr(roster, "_as_desired", lambda items, wanted: None)
    slow = roster.read_roster(raw, desired)
    assert quick == slow
    assert quick.submitted == ({live[1].lower(): "2026-01-01"} if len(live) > 1 else {})


def test_settings_and_windows_read_before_are_the_same_values() -> None:
    from reconciler.providers.mettl.mapping import settings_from_sc, window_from_sc

    raw = {"webProctoring": {"enabled": True, "count": 3}, "secureBrowser": {"enabled": False}}
    first = settings_from_sc(raw)
    assert settings_from_sc({**raw}) == first
    other = settings_from_sc({**raw, "webProctoring": {"enabled": True, "count": 4}})
    assert other != first and other.web_proctoring is not None and other.web_proctoring.count == 4
    window = {"startsOnDate": "Mon, 07 Feb 2022", "startsOnTime": "09:00:00", "endsOnDate": "Mon, 07 Feb 2022",
              "endsOnTime": "11:00:00", "locationTimeZone": "Asia/Kolkata"}
    assert window_from_sc(window) == window_from_sc(dict(window))
    assert window_from_sc({**window, "endsOnTime": "12:00:00"}).end.hour == 12
    for _ in range(2):  # a refused value is refused every time (failures are not remembered)
        with pytest.raises(ValueError):
            window_from_sc({**window, "endsOnDate": "07/02/2022"})
