"""For every supported setting: apply, then plan again → no changes and not one write call."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from reconciler.models import (
    Candidate,
    GradeNotification,
    IpAccessRestriction,
    IpRange,
    MettlAccess,
    MettlSettings,
    Schedule,
    SecureBrowser,
    VisualProctoring,
    VisualProctoringOptions,
    WebProctoring,
    Window,
)
from reconciler.providers.mettl import mapping

from .fixtures import Reconcile

SETTINGS: dict[str, MettlSettings] = {
    "source_app": MettlSettings(source_app="HR Portal"),
    "access": MettlSettings(access=MettlAccess(send_email=True, is_candidate_crf_prefilled=True)),
    "fixed_access_option": MettlSettings(fixed_access_option="SlotWise"),
    "web_proctoring": MettlSettings(web_proctoring=WebProctoring(enabled=True, count=7, show_remaining_counts=True)),
    "visual_proctoring": MettlSettings(visual_proctoring=VisualProctoring(
        mode="PHOTO", options=VisualProctoringOptions(candidate_screen_capture=True, candidate_authorization=True))),
    "secure_browser": MettlSettings(secure_browser=SecureBrowser(enabled=True)),
    "protected": MettlSettings(protected="OtpOnEmail"),
    "test_start_notification_url": MettlSettings(test_start_notification_url="https://hooks.example.com/start"),
    "test_finish_notification_url": MettlSettings(test_finish_notification_url="https://hooks.example.com/finish"),
    "test_graded_notification_url": MettlSettings(test_graded_notification_url="https://hooks.example.com/graded"),
    "test_resume_enabled_for_expired_test_url": MettlSettings(
        test_resume_enabled_for_expired_test_url="https://hooks.example.com/resume"),
    "test_notification_basic_auth_header": MettlSettings(test_notification_basic_auth_header="dXNlcjpwYXNz"),
    "test_grade_notification": MettlSettings(test_grade_notification=GradeNotification(
        enabled=True, recipients=("Admin@Example.com", "admin2@example.com"))),
    "ip_access_restriction_range": MettlSettings(ip_access_restriction=IpAccessRestriction(
        enabled=True, type="RANGE", ranges=(IpRange(start="10.0.0.1", end="10.0.0.9"),))),
    "ip_access_restriction_single": MettlSettings(ip_access_restriction=IpAccessRestriction(
        enabled=True, type="SINGLE", ip="192.168.1.10")),
    "everything_off": MettlSettings(
        web_proctoring=WebProctoring(enabled=False), secure_browser=SecureBrowser(enabled=False),
        visual_proctoring=VisualProctoring(mode="OFF"), protected="NotEnabled"),
}

WINDOWS: dict[str, Window | None] = {
    "always_on": None,
    "iana_zone": Window(start="2026-12-01T09:00:00", end="2026-12-05T18:00:00", time_zone="Asia/Kolkata"),
    "offset_zone": Window(start="2026-12-01T09:00:00", end="2026-12-05T18:00:00", time_zone="UTC+05:30"),
    "utc": Window(start="2026-12-01T09:00:00", end="2026-12-01T11:00:00", time_zone="UTC"),
    "across_spring_dst": Window(start="2027-03-27T09:00:00", end="2027-04-02T17:00:00", time_zone="Europe/London"),
    "across_autumn_dst": Window(start="2026-10-31T20:00:00", end="2026-11-02T08:00:00",
                                time_zone="America/New_York"),
    "negative_offset": Window(start="2026-12-01T09:00:00", end="2026-12-02T09:00:00", time_zone="UTC-08:00"),
}

ANA = Candidate(email="ana@example.com", name="Ana Lima")


def build(**overrides: Any) -> Schedule:
    base: dict[str, Any] = {"name": "Idempotence", "provider": "mettl", "assessment_id": "769688",
                            "candidates": (ANA,)}
    return Schedule(**(base | overrides))


def _leaf_fields(model: type[BaseModel], prefix: str = "") -> set[str]:
    names: set[str] = set()
    for name, field in model.model_fields.items():
        inner = mapping._model_in(field.annotation)
        names |= _leaf_fields(inner, f"{prefix}{name}.") if inner else {f"{prefix}{name}"}
    return names


def _set_leaves(value: Any, prefix: str = "") -> set[str]:
    if isinstance(value, BaseModel):
        out: set[str] = set()
        for name in type(value).model_fields:
            inner = getattr(value, name)
            if inner is not None:
                out |= _set_leaves(inner, f"{prefix}{name}.")
        return out
    return {prefix.rstrip(".")}


def test_the_cases_cover_every_mettl_setting() -> None:
    covered = set().union(*(_set_leaves(s) for s in SETTINGS.values()))
    assert _leaf_fields(MettlSettings) - covered == set()


@pytest.mark.parametrize("case", sorted(SETTINGS))
def test_each_setting_converges(reconcile: Reconcile, case: str) -> None:
    desired = build(mettl=SETTINGS[case], window=WINDOWS["iana_zone"])
    reconcile.apply(desired)
    reconcile.server.reset_calls()
    run = reconcile.plan(desired)
    assert not run.plan.has_changes, [f.text for c in run.plan.changes for f in c.fields]
    assert reconcile.server.writes() == []


@pytest.mark.parametrize("case", sorted(WINDOWS))
def test_each_window_converges(reconcile: Reconcile, case: str) -> None:
    desired = build(window=WINDOWS[case])
    reconcile.apply(desired)
    reconcile.server.reset_calls()
    assert not reconcile.plan(desired).plan.has_changes
    assert reconcile.server.writes() == []


def test_open_for_all_converges(reconcile: Reconcile) -> None:
    desired = build(candidates=None, window=None)
    reconcile.apply(desired)
    assert not reconcile.plan(desired).plan.has_changes


def test_zone_spelling_is_not_a_change(reconcile: Reconcile) -> None:
    reconcile.apply(build(window=WINDOWS["iana_zone"]))
    assert not reconcile.plan(build(window=WINDOWS["offset_zone"])).plan.has_changes


def test_settings_changes_then_converge(reconcile: Reconcile) -> None:
    reconcile.apply(build(mettl=SETTINGS["everything_off"]))
    on = MettlSettings(web_proctoring=WebProctoring(enabled=True, count=2), secure_browser=SecureBrowser(enabled=True))
    run = reconcile.plan(build(mettl=on))
    assert {f.text for c in run.plan.changes for f in c.fields} == {
        "mettl.web_proctoring.count", "mettl.web_proctoring.enabled", "mettl.secure_browser.enabled"}
    reconcile.apply(build(mettl=on))
    assert not reconcile.plan(build(mettl=on)).plan.has_changes
