"""diff on plain models, no emulator: field paths, renames, write-only fields, protected candidates, safety."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from reconciler.diff import build_plan, diff_schedule, retire, safety_reasons
from reconciler.models import Candidate, SafetyConfig, Schedule, Window
from reconciler.observed import Observed
from reconciler.plan import Create, Disable, NoOp, Update

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)


def _schedule(name: str = "Exam", provider: str = "mettl", **fields: Any) -> Schedule:
    return Schedule.model_validate({"provider": provider, "assessment_id": "1", "name": name, **fields})


def _people(count: int, prefix: str = "p") -> tuple[Candidate, ...]:
    return tuple(Candidate(email=f"{prefix}{i}@example.com", name=f"P {i}") for i in range(count))


def _live(schedule: Schedule, **protected: str) -> Observed:
    return Observed(schedule=schedule, ref="ak-1", fingerprint="fp", protected=protected)


def _window(start: datetime, hours: int = 48, zone: str = "UTC") -> Window:
    return Window.from_utc(start, start + timedelta(hours=hours), zone)


def test_nothing_live_is_a_create_without_a_live_object() -> None:
    change = diff_schedule(_schedule(candidates=_people(2)), None)
    assert isinstance(change, Create)
    assert change.ref is None and change.fields == () and len(change.candidates.add) == 2


def test_equal_states_give_no_change() -> None:
    wanted = _schedule(mettl={"web_proctoring": {"count": 3}}, candidates=_people(2))
    assert diff_schedule(wanted, _live(wanted)) is None


@pytest.mark.parametrize(("live", "wanted", "path", "before", "after"), [
    ({"mettl": {"web_proctoring": {"count": 3}}}, {"mettl": {"web_proctoring": {"count": 10}}},
     "mettl.web_proctoring.count", 3, 10),
    ({"mettl": {"web_proctoring": {"enabled": False}}}, {"mettl": {"web_proctoring": {"enabled": True}}},
     "mettl.web_proctoring.enabled", False, True),
    ({}, {"metadata": {"owner.team": "x"}}, "metadata.owner.team", None, "x"),
    ({"metadata": {"a": "1"}}, {"metadata": {"a": "2"}}, "metadata.a", "1", "2"),
])
def test_one_setting_is_one_field_change(live: dict[str, Any], wanted: dict[str, Any], path: str,
                                         before: Any, after: Any) -> None:
    provider = "questionmark" if path.startswith("metadata.") else "mettl"
    change = diff_schedule(_schedule(provider=provider, **wanted), _live(_schedule(provider=provider, **live)))
    assert isinstance(change, Update)
    assert [(f.text, f.before, f.after) for f in change.fields] == [(path, before, after)]


def test_unmanaged_settings_are_left_alone() -> None:
    live = _schedule(mettl={"web_proctoring": {"count": 3, "enabled": True}})
    assert diff_schedule(_schedule(mettl={"web_proctoring": {"count": 3}}), _live(live)) is None


def test_a_rename_is_a_name_field() -> None:
    change = diff_schedule(_schedule("New", previous_names=("Old",)), _live(_schedule("Old")))
    assert isinstance(change, Update)
    assert [(f.text, f.before, f.after) for f in change.fields] == [("name", "Old", "New")]


@pytest.mark.parametrize("resend", [False, True])
def test_write_only_fields_are_only_sent_when_asked(resend: bool) -> None:
    wanted = _schedule(mettl={"test_notification_basic_auth_header": "Basic c2VjcmV0"})
    change = diff_schedule(wanted, _live(_schedule()), resend_secrets=resend)
    if not resend:
        assert change is None
        return
    assert isinstance(change, Update)
    assert [(f.text, f.sensitive) for f in change.fields] == [("mettl.test_notification_basic_auth_header", True)]
    assert "c2VjcmV0" not in str(change.document())


def test_protected_candidates_only_is_a_no_op() -> None:
    people = _people(3)
    change = diff_schedule(_schedule(candidates=people[:2]), _live(_schedule(candidates=people),
                                                                    **{people[2].email: "has started"}))
    assert isinstance(change, NoOp)
    assert change.candidates.protected == (people[2].email,) and not change.actionable


def test_a_window_moved_in_another_zone_spelling_only_is_no_change() -> None:
    start = datetime(2026, 12, 1, 3, 30, tzinfo=UTC)
    assert diff_schedule(_schedule(window=_window(start, zone="Asia/Kolkata")),
                         _live(_schedule(window=_window(start)))) is None


def test_a_moved_window_is_one_window_field() -> None:
    start = datetime(2026, 12, 1, tzinfo=UTC)
    moved = _schedule(window=_window(start + timedelta(days=1)))
    change = diff_schedule(moved, _live(_schedule(window=_window(start))))
    assert isinstance(change, Update) and change.window_changed
    assert [f.text for f in change.fields] == ["window"]
    assert change.fields[0].after["start_utc"] == "2026-12-02T00:00:00Z"


@pytest.mark.parametrize(("existing", "keep", "needs_force"), [
    (10, 8, False),   # 20% ≤ 25%
    (10, 7, True),    # 30% > 25%
    (9, 0, False),    # below min_candidates_for_fraction
    (40, 30, False),  # exactly 25%
    (40, 29, True),
])
def test_removal_fraction(existing: int, keep: int, needs_force: bool) -> None:
    people = _people(existing)
    change = diff_schedule(_schedule(candidates=people[:keep]), _live(_schedule(candidates=people)))
    assert change is not None and not isinstance(change, NoOp)
    reasons = safety_reasons(change, SafetyConfig(), NOW)
    assert bool(reasons) is needs_force
    assert all("removes" in r for r in reasons)


@pytest.mark.parametrize(("start_offset", "protect", "needs_force"), [
    (timedelta(hours=-1), True, True),     # live now
    (timedelta(hours=-1), False, False),   # protection off
    (timedelta(hours=1), True, False),     # not started yet
    (timedelta(days=-5), True, False),     # over
])
def test_live_window_protection(start_offset: timedelta, protect: bool, needs_force: bool) -> None:
    live = _schedule(window=_window(NOW + start_offset))
    change = diff_schedule(_schedule(window=_window(NOW + timedelta(days=3))), _live(live))
    assert isinstance(change, Update)
    reasons = safety_reasons(change, SafetyConfig(protect_live_windows=protect), NOW)
    assert (reasons == ("its exam window is live now",)) is needs_force


def test_a_live_window_is_not_protected_from_other_settings() -> None:
    window = _window(NOW - timedelta(hours=1))
    change = diff_schedule(_schedule(provider="questionmark", window=window, metadata={"a": "b"}),
                           _live(_schedule(provider="questionmark", window=window)))
    assert isinstance(change, Update) and not change.window_changed
    assert safety_reasons(change, SafetyConfig(), NOW) == ()


def test_retiring_a_live_window_needs_force() -> None:
    change = retire(_live(_schedule(window=_window(NOW - timedelta(hours=1)))))
    assert isinstance(change, Disable) and change.desired is None
    assert "its exam window is live now" in safety_reasons(change, SafetyConfig(), NOW)


@pytest.mark.parametrize(("declared", "retired", "needs_force"), [
    (7, 3, False),  # 30% is not over 30%
    (6, 4, True),
    (2, 2, False),  # fewer than 5 live managed schedules
])
def test_retirement_fraction(declared: int, retired: int, needs_force: bool) -> None:
    desired = [_schedule(f"D{i}") for i in range(declared)]
    observed = {s.key: _live(s) for s in desired}
    gone = [_live(_schedule(f"R{i}")) for i in range(retired)]
    plan = build_plan(desired, observed, gone, now=NOW)
    disables = [c for c in plan.changes if isinstance(c, Disable)]
    assert len(disables) == retired
    assert all(bool(c.needs_force) is needs_force for c in disables)
