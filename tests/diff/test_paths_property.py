"""The DeepDiff-over-scoped-views diff gives the same paths and values as the one it replaced (kept here)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from deepdiff import DeepDiff
from hypothesis import given, settings, strategies as st

from reconciler import diff
from reconciler.diff import field_changes
from reconciler.models import Schedule, managed_view

SECTIONS = ("mettl", "questionmark", "metadata", "accommodations", "group")


def _restrict(live: Any, wanted: Any) -> Any:
    if isinstance(wanted, dict):
        source = live if isinstance(live, dict) else {}
        return {key: _restrict(source.get(key), sub) for key, sub in wanted.items()}
    return live


def _dig(view: Any, parts: list[Any]) -> Any:
    for part in parts:
        view = view.get(part) if isinstance(view, dict) else None
    return view


def old_field_changes(desired: Schedule, live: Schedule) -> list[tuple[str, Any, Any]]:
    """The implementation before the restructuring: restrict, cut list indices, dig, join."""
    views = {n: managed_view(getattr(desired, n)) for n in SECTIONS}
    wanted = {name: view for name, view in views.items() if view not in (None, {})}
    have = _restrict({n: managed_view(getattr(live, n)) for n in SECTIONS}, wanted)
    diff = DeepDiff(have, wanted, ignore_order=False, verbose_level=2, view="tree")
    changes: dict[str, tuple[str, Any, Any]] = {}
    for items in diff.values():
        for item in items:
            parts = item.path(output_format="list")
            cut = next((i for i, p in enumerate(parts) if isinstance(p, int)), len(parts))
            parts = parts[:cut]
            path = ".".join(str(p) for p in parts)
            changes.setdefault(path, (path, _dig(have, parts), _dig(wanted, parts)))
    return [changes[p] for p in sorted(changes)]


def _typed(rows: list[tuple[str, Any, Any]]) -> str:
    """A comparison that tells True from 1 and 1 from 1.0."""
    return json.dumps([[p, repr(b), repr(a)] for p, b, a in rows])


maybe_bool = st.none() | st.booleans()
maybe_count = st.none() | st.integers(0, 3)
emails = st.sampled_from(["a@example.com", "b.c@example.co.uk", "d@example.org"])
ips = st.sampled_from(["10.0.0.1", "10.0.0.2", "192.168.1.1"])
mettl = st.fixed_dictionaries({}, optional={
    "web_proctoring": st.fixed_dictionaries({}, optional={"enabled": maybe_bool, "count": maybe_count}),
    "secure_browser": st.fixed_dictionaries({}, optional={"enabled": maybe_bool}),
    "test_grade_notification": st.fixed_dictionaries({}, optional={
        "enabled": maybe_bool, "recipients": st.none() | st.lists(emails, max_size=3).map(tuple)}),
    "ip_access_restriction": st.fixed_dictionaries({}, optional={
        "enabled": maybe_bool, "type": st.none() | st.sampled_from(["SINGLE", "RANGE"]),
        "ranges": st.none() | st.lists(st.fixed_dictionaries({"start": ips, "end": ips}), max_size=2)}),
    "protected": st.none() | st.sampled_from(["OtpOnEmail", "NotEnabled"]),
})
questionmark = st.fixed_dictionaries({}, optional={
    "disabled": maybe_bool, "hidden": maybe_bool, "language": st.none() | st.sampled_from(["en", "fr.CA"])})
accommodations = st.dictionaries(emails, st.fixed_dictionaries({}, optional={
    "extra_time": maybe_count, "max_attempts": st.none() | st.integers(1, 3)}), max_size=2)
metadata = st.dictionaries(st.sampled_from(["owner", "team.name", "x"]), st.sampled_from(["1", "2", ""]), max_size=2)


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    if draw(st.booleans()):
        fields: dict[str, Any] = {"provider": "mettl", "mettl": draw(st.none() | mettl)}
    else:
        fields = {"provider": "questionmark", "questionmark": draw(st.none() | questionmark),
                  "accommodations": draw(accommodations), "metadata": draw(metadata),
                  "group": draw(st.none() | st.sampled_from(["G1", "G2"]))}
    return Schedule.model_validate({"name": "S", "assessment_id": "1", **fields})


@settings(max_examples=300, deadline=None)
@given(schedules(), schedules())
def test_new_paths_equal_the_old_ones(desired: Schedule, live: Schedule) -> None:
    new = [(f.text, f.before, f.after) for f in field_changes(desired, live)]
    assert _typed(new) == _typed(old_field_changes(desired, live))


def test_true_is_not_one_and_lists_are_whole() -> None:
    desired = Schedule.model_validate({"provider": "mettl", "name": "S", "assessment_id": "1", "mettl": {
        "test_grade_notification": {"recipients": ["a@example.com", "b@example.com"]}}})
    live = Schedule.model_validate({"provider": "mettl", "name": "S", "assessment_id": "1", "mettl": {
        "test_grade_notification": {"recipients": ["a@example.com"]}}})
    [change] = field_changes(desired, live)
    assert change.path == ("mettl", "test_grade_notification", "recipients")
    assert change.before == ["a@example.com"] and change.after == ["a@example.com", "b@example.com"]
    assert field_changes(desired, desired) == []


def test_equal_views_never_run_deepdiff(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("DeepDiff ran on equal views")

    monkeypatch.setattr(diff, "DeepDiff", refuse)
    schedule = Schedule.model_validate({"provider": "mettl", "name": "S", "assessment_id": "1",
                                        "mettl": {"web_proctoring": {"enabled": True, "count": 2}}})
    assert diff.field_changes(schedule, schedule) == []
