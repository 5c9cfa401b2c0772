"""Plan value types on plain models: the union refuses impossible changes, JSON round-trips, checksum is stable."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from reconciler.models import Candidate, Schedule, Window
from reconciler.plan import CandidateChanges, Create, Disable, FieldChange, NoOp, Plan, Update

START = datetime(2026, 12, 1, tzinfo=UTC)


def _desired(window: Window | None = None) -> Schedule:
    return Schedule(provider="mettl", assessment_id="1", name="A", window=window)


def _window(days: int = 0, zone: str = "UTC") -> Window:
    return Window.from_utc(START + timedelta(days=days), START + timedelta(days=days + 2), zone)


def _update(**rest: object) -> Update:
    return Update.model_validate({"provider": "mettl", "assessment_id": "1", "name": "A", "ref": "ak",
                                  "fingerprint": "fp", "desired": _desired(_window(1)),
                                  "window_before": _window(), **rest})


def _plan() -> Plan:
    no_op = NoOp(provider="mettl", assessment_id="3", name="C", ref="c",
                 candidates=CandidateChanges(protected=("p@example.com",), existing=2,
                                             protected_reasons={"p@example.com": "has started"}))
    create = Create(provider="mettl", assessment_id="2", name="B", desired=_desired(_window()),
                    candidates=CandidateChanges(add=(Candidate(email="n@example.com", name="N"),)))
    disable = Disable(provider="mettl", assessment_id="4", name="D", ref="d", fingerprint="fp-d",
                      fields=(FieldChange(path="disabled", before=False, after=True),))
    update = _update(fields=(FieldChange(path="mettl.protected", before="NotEnabled", after="OtpOnEmail"),))
    return Plan.build([no_op, disable, update, create], in_sync=1)


@pytest.mark.parametrize("document", [
    {"action": "create", "provider": "mettl", "assessment_id": "1", "name": "A", "ref": "ak",
     "desired": {"provider": "mettl", "assessment_id": "1", "name": "A"}},
    {"action": "disable", "provider": "mettl", "assessment_id": "1", "name": "A", "ref": "ak",
     "candidates": {"add": [{"email": "a@example.com", "name": "A"}]}},
    {"action": "update", "provider": "mettl", "assessment_id": "1", "name": "A", "ref": "ak"},
    {"action": "no-op", "provider": "mettl", "assessment_id": "1", "name": "A", "ref": "ak", "fields": []},
    {"action": "rename", "provider": "mettl", "assessment_id": "1", "name": "A"},
], ids=["create-with-ref", "disable-with-adds", "update-without-desired", "no-op-with-fields", "unknown"])
def test_impossible_changes_are_refused(document: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Plan.model_validate({"changes": [document]})


def test_the_window_is_stored_once_and_shown_as_a_field() -> None:
    change = _update()
    assert "window" not in {f.text for f in change.settings}
    [window] = change.fields
    assert window.text == "window" and window.after["start_utc"] == "2026-12-02T00:00:00Z"
    same = _update(window_before=_window(1, "Asia/Kolkata"))
    assert same.fields == () and not same.actionable


def test_the_json_keeps_its_shape_per_action() -> None:
    docs = {doc["action"]: doc for doc in _plan().data()["changes"]}
    full = {"action", "provider", "assessment_id", "name", "ref", "fields", "candidates", "fingerprint", "desired",
            "window_before", "window_after", "blocked", "needs_force"}
    assert set(docs["create"]) == set(docs["update"]) == set(docs["disable"]) == full
    assert set(docs["no-op"]) == {"action", "provider", "assessment_id", "name", "ref", "candidates"}
    assert set(docs["no-op"]["candidates"]) == {"protected", "protected_reasons", "existing"}
    assert docs["create"]["ref"] is None and docs["create"]["fields"] == []
    assert docs["disable"]["desired"] is None and docs["disable"]["window_after"] is None
    assert [f["path"] for f in docs["update"]["fields"]] == ["mettl.protected", "window"]


def test_a_saved_plan_reads_back_to_the_same_checksum() -> None:
    plan = _plan()
    saved = json.loads(json.dumps(plan.data()))
    again = Plan.model_validate(saved)
    assert again.checksum == plan.checksum
    assert again.data() == plan.data()


def test_no_ops_do_not_change_the_checksum_but_writes_do() -> None:
    plan = _plan()
    without = Plan.build([c for c in plan.changes if not isinstance(c, NoOp)], in_sync=1)
    assert without.checksum == plan.checksum
    moved = Plan.build([*plan.changes[:-1], plan.changes[-1].model_copy(update={"name": "E"})], in_sync=1)
    assert moved.checksum != plan.checksum


def test_order_does_not_change_the_checksum() -> None:
    plan = _plan()
    assert Plan.build(reversed(plan.changes), in_sync=1).checksum == plan.checksum


@pytest.mark.parametrize(("text", "path"), [
    ("window", ("window",)),
    ("mettl.web_proctoring.count", ("mettl", "web_proctoring", "count")),
    ("accommodations.ana.b@example.co.uk.extra_time", ("accommodations", "ana.b@example.co.uk", "extra_time")),
    ("accommodations.ana.b@example.co.uk", ("accommodations", "ana.b@example.co.uk")),
    ("metadata.team.name", ("metadata", "team.name")),
])
def test_paths_are_tuples_shown_dotted(text: str, path: tuple[str, ...]) -> None:
    change = FieldChange(path=text)
    assert change.path == path and change.text == text
    assert change.model_dump(mode="json")["path"] == text
    assert FieldChange.model_validate(change.model_dump(mode="json")) == change
