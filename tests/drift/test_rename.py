"""Drift triage of a rename: a rename not yet applied is unapplied config; a name changed back by hand is drift."""

from __future__ import annotations

from typing import Any

from reconciler.drift import classify
from reconciler.models import DesiredState
from reconciler.render.drift import render_text
from reconciler.sandbox.mettl import MettlApp
from tests.mettl.fixtures import Reconcile

from .test_classify import TODAY, edit_live, java, kinds

NEW = "Java Drive 2027"


def _rename(schedule: dict[str, Any]) -> None:
    schedule["name"] = "Java Hiring Drive"


def test_unapplied_rename_is_measured_against_the_baseline_under_its_old_name(reconcile: Reconcile) -> None:
    reconcile.apply(java())
    current = DesiredState(schedules=(java(name=NEW, previous_names=("Java Hiring Drive",)),))
    run = reconcile.plan(*current.schedules)
    report = classify(run.plan, current, DesiredState(schedules=(java(),)), TODAY)
    assert kinds(report) == {(NEW, "name", None): "unapplied"}
    assert "name: live Java Hiring Drive, desired Java Drive 2027 (last applied: Java Hiring Drive)" in \
        render_text(report)


def test_a_rename_undone_by_hand_is_drift(reconcile: Reconcile, mettl_app: MettlApp) -> None:
    renamed = java(name=NEW, previous_names=("Java Hiring Drive",))
    reconcile.apply(java())
    reconcile.apply(renamed)
    edit_live(mettl_app, NEW, _rename)
    current = DesiredState(schedules=(renamed,))
    report = classify(reconcile.plan(renamed).plan, current, current, TODAY)
    assert kinds(report) == {(NEW, "name", None): "drift"}
