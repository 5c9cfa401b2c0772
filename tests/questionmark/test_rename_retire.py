"""Renames (`previous_names`) and retirement (`prune`) against the Questionmark emulator over real sockets."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler import engine
from reconciler.errors import RenameConflictError, UnsafePlanError
from reconciler.models import Accommodation, SafetyConfig, Schedule
from reconciler.providers.questionmark.mapping import external_id
from reconciler.render.text import render_text

from .conftest import ANA, ASSESSMENT, MEI, RAJ, WINDOW, Reconcile, qm_schedule

OLD, NEW = "Ops Certification", "Ops Certification 2027"
NEW_MARK = external_id(ASSESSMENT, NEW)


def renamed(**overrides: Any) -> Schedule:
    return qm_schedule(name=NEW, previous_names=(OLD,), **overrides)


def test_rename_adopts_the_old_schedule_with_one_patch_per_schedule(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule(candidates=(ANA, RAJ, MEI)))
    reconcile.apply(qm_schedule())  # MEI's seat is revoked: it is renamed and re-marked too
    before = {email: seat["ID"] for email, seat in reconcile.seats(OLD).items()}
    anchor_id = reconcile.anchor(OLD)["ID"]
    reconcile.server.reset_calls()

    run = reconcile.plan(renamed())
    (change,) = run.plan.changes
    assert (change.action, change.name, change.ref) == ("update", NEW, str(anchor_id))
    assert [(f.text, f.before, f.after) for f in change.fields] == [("name", OLD, NEW)]
    assert not change.candidates and not change.needs_force
    assert '    ~ name: "Ops Certification" → "Ops Certification 2027"' in render_text(run.plan)

    reconcile.server.reset_calls()
    engine.apply_plan(run, reconcile.providers)
    ids = sorted([anchor_id, *before.values()])
    assert sorted(reconcile.writes()) == sorted(("PATCH", f"Schedules({i})") for i in ids)  # one each, no POST
    by_id = {call.path.rsplit("(", 1)[1].rstrip(")"): call.json for call in reconcile.write_calls()}
    assert by_id[str(anchor_id)] == {"Name": NEW, "ExternalID": NEW_MARK}
    assert by_id[str(before["ana@example.com"])] == {"Name": NEW, "ExternalID": f"{NEW_MARK}:seat"}
    assert by_id[str(before["mei@example.com"])] == {"Name": NEW, "ExternalID": f"{NEW_MARK}:revoked"}
    assert {e: s["ID"] for e, s in reconcile.seats(NEW).items()} == before  # candidates kept their seats
    assert reconcile.anchor(NEW)["ID"] == anchor_id

    assert not reconcile.plan(renamed()).plan.has_changes
    assert not reconcile.plan(qm_schedule(name=NEW)).plan.has_changes  # previous_names may go once applied
    reconcile.server.reset_calls()
    reconcile.apply(qm_schedule(name=NEW, candidates=(ANA, RAJ, MEI)))  # MEI's renamed seat is re-activated
    assert reconcile.writes() == [("PATCH", f"Schedules({before['mei@example.com']})")]


def test_rename_with_other_changes_is_still_one_patch_per_schedule(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule(accommodations={"ana@example.com": Accommodation(extra_time=30)}))
    reconcile.server.reset_calls()
    moved = WINDOW.model_copy(update={"end": WINDOW.end.replace(hour=18)})
    reconcile.apply(renamed(window=moved, accommodations={"ana@example.com": Accommodation(extra_time=30)}))
    calls = reconcile.write_calls()
    assert len(calls) == 3 and len({c.path for c in calls}) == 3
    assert all(c.json["Name"] == NEW and c.json["StartTo"] == "2026-11-02T18:30:00Z" for c in calls)
    assert reconcile.seats(NEW)["ana@example.com"]["ExtraTime"] == 30


def test_rename_in_group_mode_renames_the_exception_schedules(reconcile: Reconcile) -> None:
    group = reconcile.app.add_group("Ops Team")
    reconcile.app.add_participant("raj@example.com", "raj@example.com", groups=[group])
    accommodations = {"raj@example.com": Accommodation(extra_time=30)}
    reconcile.apply(qm_schedule(candidates=None, accommodations=accommodations))
    reconcile.server.reset_calls()
    reconcile.apply(renamed(candidates=None, accommodations=accommodations))
    parent = reconcile.anchor(NEW)
    (child,) = reconcile.children(parent["ID"])
    assert len(reconcile.writes()) == 2 and child["Name"] == f"{NEW} [raj@example.com]"
    assert not reconcile.plan(renamed(candidates=None, accommodations=accommodations)).plan.has_changes


def test_both_names_live_is_an_error_naming_both(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule(), qm_schedule(name=NEW))
    with pytest.raises(RenameConflictError) as caught:
        reconcile.plan(renamed())
    message = str(caught.value)
    assert repr(OLD) in message and repr(NEW) in message and "previous_names" in message
    assert "\n" not in message


def test_a_rename_cut_short_is_finished_without_new_seats(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule())
    seats = reconcile.seats(OLD)
    half = {"Name": NEW, "ExternalID": f"{NEW_MARK}:seat"}  # this seat's PATCH landed, the others did not
    reconcile.app.world.update_schedule(seats["ana@example.com"]["ID"], half, None)
    run = reconcile.plan(renamed())
    (change,) = run.plan.changes
    assert not change.candidates and [f.text for f in change.fields] == ["name"]
    assert not run.plan.unmanaged
    reconcile.server.reset_calls()
    engine.apply_plan(run, reconcile.providers)
    assert all(method == "PATCH" for method, _ in reconcile.writes()) and len(reconcile.writes()) == 2
    assert sorted(reconcile.seats(NEW)) == ["ana@example.com", "raj@example.com"]
    assert not reconcile.plan(renamed()).plan.has_changes


def test_without_prune_a_removed_schedule_is_reported_and_left_alone(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule())
    reconcile.server.reset_calls()
    run = reconcile.plan()
    assert not run.plan.changes and not run.plan.has_changes
    assert [(u.name, u.ref) for u in run.plan.undeclared] == [(OLD, str(reconcile.anchor()["ID"]))]
    assert not run.plan.unmanaged
    text = render_text(run.plan)
    assert "No longer declared" in text and f"Questionmark · {ASSESSMENT} · {OLD}" in text
    assert "1 no longer declared." in text
    engine.apply_plan(run, reconcile.providers)
    assert reconcile.writes() == []
    assert not any(s["Disabled"] for s in reconcile.seats().values())


def test_prune_retires_with_a_note_and_counts_as_removal(reconcile: Reconcile) -> None:
    many = tuple(ANA.model_copy(update={"email": f"c{i}@example.com"}) for i in range(10))
    reconcile.apply(qm_schedule(candidates=many))
    run = reconcile.plan(prune=True)
    (change,) = run.plan.changes
    assert change.action == "disable" and not run.plan.undeclared
    assert change.needs_force == ("removes 10 of 10 candidates (100% > 25% limit)",)
    assert "- disable Questionmark" in render_text(run.plan) and "no longer declared" in render_text(run.plan)
    with pytest.raises(UnsafePlanError):
        reconcile.apply(prune=True)
    reconcile.apply(prune=True, force=True)
    assert all(s["Disabled"] for s in reconcile.seats().values())


def test_mass_retirement_needs_force(reconcile: Reconcile) -> None:
    names = [f"Exam {i}" for i in range(5)]
    reconcile.apply(*(qm_schedule(name=n, candidates=(ANA,)) for n in names))
    one_gone = reconcile.plan(*(qm_schedule(name=n, candidates=(ANA,)) for n in names[1:]), prune=True)
    assert [c.needs_force for c in one_gone.plan.changes] == [()]  # 1 of 5: 20%
    run = reconcile.plan(*(qm_schedule(name=n, candidates=(ANA,)) for n in names[2:]), prune=True)
    assert [c.needs_force for c in run.plan.changes] == [
        ("retires 2 of 5 managed questionmark schedules (40% > 30% limit)",)] * 2
    reconcile.server.reset_calls()
    with pytest.raises(UnsafePlanError, match="retires 2 of 5"):
        engine.apply_plan(run, reconcile.providers)
    assert reconcile.writes() == []
    loose = SafetyConfig(max_retire_fraction=0.5)
    assert all(not c.needs_force for c in reconcile.plan(
        *(qm_schedule(name=n, candidates=(ANA,)) for n in names[2:]), prune=True, safety=loose).plan.changes)


def test_a_lost_answer_during_a_rename_is_verified(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule())
    reconcile.server.faults.fail_next("lost_answer", "PATCH")
    (outcome,) = reconcile.apply(renamed()).outcomes
    assert outcome.ok and "verified" in outcome.message and str(outcome.key).endswith(NEW)
    assert not reconcile.plan(renamed()).plan.has_changes
