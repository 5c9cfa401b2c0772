"""Drift triage against a live Mettl emulator: drift (changed by hand) told apart from unapplied config."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

from reconciler.drift import classify
from reconciler.models import (
    Candidate,
    DesiredState,
    MettlSettings,
    Schedule,
    Suppression,
    WebProctoring,
    Window,
)
from reconciler.plan import CandidateChanges, Create, Disable, FieldChange, Plan
from reconciler.render.drift import DriftReport, render_json, render_markdown, render_text
from reconciler.render.pii import make_masker
from reconciler.sandbox.mettl import MettlApp
from reconciler.sandbox.mettl.status import new_candidate
from tests.changes import update
from tests.mettl.fixtures import Reconcile

TODAY = date(2026, 11, 1)
ANA = Candidate(email="ana@example.com", name="Ana Lima")
RAJ = Candidate(email="raj@example.com", name="Raj Patel")
MEI = Candidate(email="mei@example.com", name="Mei Chen")
JAVA_WINDOW = Window(start="2026-12-01T09:00:00", end="2026-12-05T18:00:00", time_zone="Asia/Kolkata")
OPS_WINDOW = Window(start="2027-03-27T09:00:00", end="2027-04-02T17:00:00", time_zone="Europe/London")


def java(**overrides: Any) -> Schedule:
    base: dict[str, Any] = {
        "name": "Java Hiring Drive", "provider": "mettl", "assessment_id": "769688", "window": JAVA_WINDOW,
        "candidates": (ANA, RAJ), "mettl": MettlSettings(web_proctoring=WebProctoring(enabled=True, count=10)),
    }
    return Schedule(**(base | overrides))


def ops(**overrides: Any) -> Schedule:
    base: dict[str, Any] = {"name": "Ops Drill", "provider": "mettl", "assessment_id": "769700",
                            "window": OPS_WINDOW}
    return Schedule(**(base | overrides))


def edit_live(app: MettlApp, name: str, change: Callable[[dict[str, Any]], None]) -> None:
    """A hand edit in the vendor UI: change the stored schedule directly."""
    state = app.dump_state()
    for schedule in state["schedules"]:
        if schedule["name"] == name:
            change(schedule)
    app.load_state(state)


def move_end(day: str) -> Callable[[dict[str, Any]], None]:
    def change(schedule: dict[str, Any]) -> None:
        schedule["scheduleWindow"]["endsOnDate"] = day

    return change


def add_candidate(email: str) -> Callable[[dict[str, Any]], None]:
    def change(schedule: dict[str, Any]) -> None:
        schedule["access"]["candidates"].append(
            new_candidate({"name": "Eve", "email": email, "registrationDetails": {}}, invited=True))

    return change


def report_for(reconcile: Reconcile, current: DesiredState, baseline: DesiredState | None,
               today: date = TODAY) -> DriftReport:
    run = reconcile.plan(*current.schedules)
    return classify(run.plan, current, baseline, today, baseline_label="reconciler-applied (abc)")


def kinds(report: DriftReport) -> dict[tuple[str, str, str | None], str]:
    return {(i.schedule, i.path, i.candidate): i.kind for i in report.items}


def test_drift_and_unapplied_are_told_apart(reconcile: Reconcile, mettl_app: MettlApp) -> None:
    baseline = DesiredState(schedules=(java(), ops()))
    reconcile.apply(*baseline.schedules)
    edit_live(mettl_app, "Java Hiring Drive", move_end("Fri, 04 Dec 2026"))
    edit_live(mettl_app, "Java Hiring Drive", add_candidate("eve@example.com"))
    current = DesiredState(schedules=(
        java(candidates=(ANA, RAJ, MEI)),
        ops(mettl=MettlSettings(secure_browser={"enabled": True})),
    ))

    report = report_for(reconcile, current, baseline)

    assert kinds(report) == {
        ("Java Hiring Drive", "window", None): "drift",
        ("Java Hiring Drive", "candidates", "eve@example.com"): "drift",
        ("Java Hiring Drive", "candidates", "mei@example.com"): "unapplied",
        ("Ops Drill", "mettl.secure_browser.enabled", None): "unapplied",
    }
    assert report.has_findings
    text = render_text(report)
    assert "Drift: changed on the platform by hand" in text
    assert "Unapplied config" in text
    assert "Java Hiring Drive: window (as applied)\n      live:         2026-12-01 09:00 until 2026-12-04 18:00 " \
           "Asia/Kolkata (UTC 2026-12-01 03:30 until 2026-12-04 12:30)\n      desired:      2026-12-01 09:00 until " \
           "2026-12-05 18:00 Asia/Kolkata" in text
    assert "candidate eve@example.com on the platform, not desired" in text
    assert "(last applied: (unset))" in text
    assert "reconciler-applied (abc)" in text

    document = json.loads(render_json(report))
    assert document["format_version"] == "1.0"
    assert document["in_sync"] is False
    assert document["summary"]["drift"] == 2 and document["summary"]["unapplied"] == 2
    window = next(i for i in document["items"] if i["path"] == "window")
    assert window["kind"] == "drift"
    assert window["live"]["end"] == "2026-12-04T18:00:00"
    assert window["desired"]["end"] == window["baseline"]["end"] == "2026-12-05T18:00:00"
    browser = next(i for i in document["items"] if i["path"] == "mettl.secure_browser.enabled")
    assert (browser["kind"], browser["live"], browser["desired"], browser["baseline"]) == (
        "unapplied", False, True, None)


def test_a_changed_value_in_both_places_is_unapplied(reconcile: Reconcile, mettl_app: MettlApp) -> None:
    baseline = DesiredState(schedules=(java(),))
    reconcile.apply(*baseline.schedules)
    edit_live(mettl_app, "Java Hiring Drive", move_end("Fri, 04 Dec 2026"))
    moved = Window(start="2026-12-02T09:00:00", end="2026-12-06T18:00:00", time_zone="Asia/Kolkata")
    report = report_for(reconcile, DesiredState(schedules=(java(window=moved),)), baseline)
    assert kinds(report) == {("Java Hiring Drive", "window", None): "unapplied"}


def test_in_sync_after_apply(reconcile: Reconcile) -> None:
    state = DesiredState(schedules=(java(), ops()))
    reconcile.apply(*state.schedules)
    report = report_for(reconcile, state, state)
    assert report.items == () and not report.has_findings
    assert json.loads(render_json(report))["in_sync"] is True
    assert render_text(report).rstrip().endswith("0 unmanaged.")


def test_without_baseline_everything_is_unclassified(reconcile: Reconcile, mettl_app: MettlApp) -> None:
    reconcile.apply(java())
    edit_live(mettl_app, "Java Hiring Drive", move_end("Fri, 04 Dec 2026"))
    state = DesiredState(schedules=(java(),))
    report = report_for(reconcile, state, None)
    assert [i.kind for i in report.items] == ["unclassified"]
    assert "git tag -f reconciler-applied" in render_text(report)
    document = json.loads(render_json(report))
    assert document["baseline"]["available"] is False and "reconciler-applied" in document["hint"]


def test_suppression_hides_drift_but_not_unapplied(reconcile: Reconcile, mettl_app: MettlApp) -> None:
    baseline = DesiredState(schedules=(java(),))
    reconcile.apply(*baseline.schedules)
    edit_live(mettl_app, "Java Hiring Drive", move_end("Fri, 04 Dec 2026"))
    rule = Suppression(schedule="Java Hiring Drive", paths=("window", "candidates"), owner="ops@acme.test",
                       reason="extended by the vendor for an outage", expires=date(2026, 12, 31))
    current = DesiredState(schedules=(java(candidates=(ANA, RAJ, MEI)),), suppressions=(rule,))

    report = report_for(reconcile, current, baseline)

    window = next(i for i in report.items if i.path == "window")
    mei = next(i for i in report.items if i.candidate == "mei@example.com")
    assert window.suppressed_by == rule and window.kind == "drift"
    assert mei.suppressed_by is None and mei.kind == "unapplied"
    assert report.has_findings  # the unapplied candidate
    text = render_text(report)
    assert "Suppressed (known drift):" in text
    assert "by ops@acme.test until 2026-12-31: extended by the vendor for an outage" in text
    item = next(i for i in json.loads(render_json(report))["items"] if i["path"] == "window")
    assert item["suppressed"] is True and item["suppression"]["owner"] == "ops@acme.test"


def test_only_suppressed_drift_is_in_sync(reconcile: Reconcile, mettl_app: MettlApp) -> None:
    state = DesiredState(schedules=(java(),))
    reconcile.apply(*state.schedules)
    edit_live(mettl_app, "Java Hiring Drive", move_end("Fri, 04 Dec 2026"))
    rule = Suppression(schedule="Java Hiring Drive", provider="mettl", owner="ops", reason="known",
                       expires=TODAY)
    report = report_for(reconcile, state.model_copy(update={"suppressions": (rule,)}), state)
    assert len(report.suppressed) == 1 and not report.has_findings


def test_expired_suppression_is_reported_and_hides_nothing(reconcile: Reconcile, mettl_app: MettlApp) -> None:
    state = DesiredState(schedules=(java(),))
    reconcile.apply(*state.schedules)
    edit_live(mettl_app, "Java Hiring Drive", move_end("Fri, 04 Dec 2026"))
    rule = Suppression(schedule="Java Hiring Drive", paths=("window",), owner="alice", reason="outage",
                       expires=date(2026, 10, 31))
    report = report_for(reconcile, state.model_copy(update={"suppressions": (rule,)}), state)
    assert report.expired == (rule,)
    assert [i.kind for i in report.open_items] == ["drift"]
    assert "suppression for Java Hiring Drive (window) by alice expired on 2026-10-31" in render_text(report)
    assert json.loads(render_json(report))["expired_suppressions"][0]["owner"] == "alice"


def test_expired_suppression_alone_is_a_finding(reconcile: Reconcile) -> None:
    state = DesiredState(schedules=(java(),))
    reconcile.apply(*state.schedules)
    rule = Suppression(schedule="Java Hiring Drive", owner="alice", reason="outage", expires=date(2026, 1, 1))
    report = report_for(reconcile, state.model_copy(update={"suppressions": (rule,)}), state)
    assert report.items == () and report.has_findings


def test_markdown_masks_emails_and_keeps_pairs(reconcile: Reconcile, mettl_app: MettlApp) -> None:
    baseline = DesiredState(schedules=(java(),))
    reconcile.apply(*baseline.schedules)
    edit_live(mettl_app, "Java Hiring Drive", add_candidate("eve@example.com"))
    report = report_for(reconcile, DesiredState(schedules=(java(candidates=(ANA, RAJ, MEI)),)), baseline)
    mask = make_masker("test-key")
    masked = render_markdown(report, mask)
    assert masked.startswith("<!-- reconciler-drift -->")
    assert "eve@example.com" not in masked and "mei@example.com" not in masked
    assert mask("eve@example.com") in masked and mask("mei@example.com") in masked
    assert "| candidate" in masked
    shown = render_markdown(report)
    assert "eve@example.com" in shown


def test_created_and_retired_schedules() -> None:
    """Whole schedules: missing live, and owned live but gone from the YAML."""
    gone = Create(provider="mettl", assessment_id="1", name="Gone", desired=ops(name="Gone"))
    new = Create(provider="mettl", assessment_id="1", name="New", desired=ops(name="New"))
    old = Disable(provider="questionmark", assessment_id="2", name="Old", ref="o")
    stray = Disable(provider="questionmark", assessment_id="2", name="Stray", ref="s")
    plan = Plan.build([gone, new, old, stray])
    baseline = DesiredState(schedules=(
        ops(name="Gone", assessment_id="1"),
        Schedule(name="Old", provider="questionmark", assessment_id="2"),
    ))
    current = DesiredState(schedules=(ops(name="Gone", assessment_id="1"), ops(name="New", assessment_id="1")))
    report = classify(plan, current, baseline, TODAY)
    assert kinds(report) == {
        ("Gone", "schedule", None): "drift",  # applied, then deleted by hand
        ("New", "schedule", None): "unapplied",  # added to the YAML, never applied
        ("Old", "schedule", None): "unapplied",  # removed from the YAML, not yet disabled
        ("Stray", "schedule", None): "drift",  # owned live, never in the applied YAML
    }
    assert "schedule missing on the platform" in render_text(report)


def test_candidates_compared_with_what_the_baseline_managed() -> None:
    """A baseline that did not manage candidates (or lacked the schedule) makes every difference unapplied."""
    change = update(
        "mettl", "769688", "Java Hiring Drive",
        candidates=CandidateChanges(add=(MEI,), remove=("eve@example.com",)),
        fields=(FieldChange(path="invitation_only", before=False, after=True),),
    )
    plan = Plan.build([change])
    current = DesiredState(schedules=(java(candidates=(ANA, MEI)),))
    unmanaged = classify(plan, current, DesiredState(schedules=(java(candidates=None),)), TODAY)
    assert {(i.path, i.candidate): (i.kind, i.baseline) for i in unmanaged.items} == {
        ("invitation_only", None): ("unapplied", False),
        ("candidates", "mei@example.com"): ("unapplied", None),
        ("candidates", "eve@example.com"): ("unapplied", None),
    }
    assert "(not managed)" in render_text(unmanaged)
    absent = classify(plan, current, DesiredState(), TODAY)
    assert {i.kind for i in absent.items} == {"unapplied"}
    same = classify(plan, current, current, TODAY)
    assert {(i.path, i.candidate): i.kind for i in same.items} == {
        ("invitation_only", None): "drift",
        ("candidates", "mei@example.com"): "drift",
        ("candidates", "eve@example.com"): "drift",
    }


def test_suppression_paths_for_one_candidate_and_for_a_section() -> None:
    change = update(
        "mettl", "769688", "Java Hiring Drive",
        candidates=CandidateChanges(remove=("eve@example.com", "zed@example.com")),
        fields=(FieldChange(path="mettl.web_proctoring.count", before=3, after=10),),
    )
    state = DesiredState(schedules=(java(),), suppressions=(
        Suppression(schedule="Java Hiring Drive", paths=("candidates.Eve@Example.com", "mettl"), owner="o",
                    reason="r", expires=TODAY),
        Suppression(schedule="Java Hiring Drive", provider="questionmark", owner="o", reason="other vendor",
                    expires=TODAY),
    ))
    report = classify(Plan.build([change]), state, state, TODAY)
    assert {(i.path, i.candidate) for i in report.suppressed} == {
        ("candidates", "eve@example.com"), ("mettl.web_proctoring.count", None)}
    assert [i.candidate for i in report.open_items] == ["zed@example.com"]
    assert [r.reason for r in report.unused] == ["other vendor"]
    assert "Suppressions that match nothing" in render_text(report)
