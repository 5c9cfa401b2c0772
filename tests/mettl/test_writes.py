"""What the client writes to Mettl, over HTTP: sourceApp, only input properties, live spellings, UTF-8 names,
and a value Mettl does not keep failing the apply."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from reconciler import engine
from reconciler.models import (
    Candidate,
    MettlSettings,
    Schedule,
    VisualProctoring,
    VisualProctoringOptions,
    WebProctoring,
    Window,
)
from reconciler.providers.mettl.mapping import SC_INPUT
from reconciler.providers.mettl.provider import MettlProvider
from reconciler.sandbox.base import SandboxServer
from reconciler.sandbox.mettl import MettlApp

from .fixtures import Reconcile

ANA = Candidate(email="ana@example.com", name="Ana Lima")
WINDOW = Window(start="2026-12-01T09:00:00", end="2026-12-05T18:00:00", time_zone="Asia/Kolkata")


def schedule(**overrides: Any) -> Schedule:
    base: dict[str, Any] = {"name": "Writes", "provider": "mettl", "assessment_id": "769688", "window": WINDOW,
                            "candidates": (ANA,)}
    return Schedule(**(base | overrides))


def sc_of(call: Any) -> dict[str, Any]:
    return json.loads(call.params["sc"])  # type: ignore[no-any-return]


def outside_input(value: Any, shape: Any, path: str = "") -> list[str]:
    """Paths in `value` that the seed's input table does not list (registration fields of adds are fine)."""
    if not isinstance(shape, dict):
        return []
    if isinstance(value, list):
        return [p for item in value for p in outside_input(item, shape, path)]
    found: list[str] = []
    for key, item in (value or {}).items():
        if key not in shape:
            found.append(f"{path}{key}")
        elif key != "candidates":
            found += outside_input(item, shape[key], f"{path}{key}.")
    return found


def test_every_create_carries_source_app(
        make_provider: Callable[..., MettlProvider], mettl_server: SandboxServer, mettl_app: MettlApp) -> None:
    Reconcile(make_provider(), mettl_server).apply(schedule(name="Default App"))
    Reconcile(make_provider(source_app="HR Portal"), mettl_server).apply(schedule(name="Project App"))
    own = schedule(name="Own App", mettl=MettlSettings(source_app="Campus Drive"))
    Reconcile(make_provider(source_app="HR Portal"), mettl_server).apply(own)
    assert [sc_of(w)["sourceApp"] for w in mettl_server.writes()] == ["reconciler", "HR Portal", "Campus Drive"]
    found = mettl_app.find(769688, "Own App")
    assert found is not None and found["sourceApp"] == "Campus Drive"


def test_an_edit_never_echoes_read_only_properties(reconcile: Reconcile, mettl_app: MettlApp) -> None:
    reconcile.apply(schedule())
    live = mettl_app.find(769688, "Writes")
    assert live is not None and "audioOptional" in live["visualProctoring"]["options"]
    reconcile.server.reset_calls()
    photo = VisualProctoring(mode="PHOTO", options=VisualProctoringOptions(candidate_screen_capture=True))
    changed = MettlSettings(visual_proctoring=photo, web_proctoring=WebProctoring(count=4))
    reconcile.apply(schedule(mettl=changed))
    [write] = reconcile.server.writes()
    sent = sc_of(write)
    assert sent["visualProctoring"] == {"options": {"candidateScreenCapture": True, "candidateAuthorization": False},
                                        "mode": "PHOTO"}
    assert sent["webProctoring"] == {"enabled": False, "count": 4, "showRemainingCounts": False}
    assert outside_input(sent, SC_INPUT) == []
    assert not reconcile.plan(schedule(mettl=changed)).plan.has_changes


def test_a_removal_names_the_email_as_mettl_holds_it(reconcile: Reconcile, mettl_app: MettlApp) -> None:
    mettl_app.add_schedule(769688, {
        "name": "Writes", "sourceApp": "Mettl Dashboard", "scheduleType": "AlwaysOn",
        "access": {"type": "ByInvitation", "candidates": [{"name": "Ana Lima", "email": "ana@example.com"},
                                                          {"name": "Old", "email": "Old.Applicant@Example.com"}]}})
    reconcile.apply(schedule(window=None))
    [write] = reconcile.server.writes()
    assert sc_of(write)["access"]["candidates"] == {"remove": ["Old.Applicant@Example.com"]}
    assert not reconcile.plan(schedule(window=None)).plan.has_changes


def test_non_ascii_names_go_through_create_edit_and_converge(reconcile: Reconcile, mettl_app: MettlApp) -> None:
    zoe = Candidate(email="zoë@exämple.de", name="Zoë Ærø")
    lukasz = Candidate(email="lukasz@example.pl", name="Łukasz Żółw")
    wang = Candidate(email="wang.fang@example.cn", name="王芳", fields={"城市": "北京"})
    reconcile.apply(schedule(candidates=(zoe, lukasz)))
    reconcile.apply(schedule(candidates=(zoe, lukasz, wang)))
    live = mettl_app.find(769688, "Writes")
    assert live is not None
    assert [(c["name"], c["email"]) for c in live["access"]["candidates"]] == [
        ("Zoë Ærø", "zoë@exämple.de"), ("Łukasz Żółw", "lukasz@example.pl"), ("王芳", "wang.fang@example.cn")]
    assert live["access"]["candidates"][2]["registrationDetails"] == {"城市": "北京"}
    reconcile.server.reset_calls()
    assert not reconcile.plan(schedule(candidates=(zoe, lukasz, wang))).plan.has_changes
    assert reconcile.server.writes() == []


def test_a_value_mettl_does_not_keep_fails_every_apply(reconcile: Reconcile, mettl_app: MettlApp) -> None:
    mettl_app.quirks.limits["webProctoring.count"] = 5
    wanted = schedule(mettl=MettlSettings(web_proctoring=WebProctoring(enabled=True, count=10)))
    for action in ("create", "update", "update"):
        run = reconcile.plan(wanted)
        assert [c.action for c in run.plan.changes] == [action]
        [outcome] = engine.apply_plan(run, {"mettl": reconcile.provider}).outcomes
        assert not outcome.ok
        assert outcome.message == "webProctoring.count: sent 10, Mettl kept 5"
        assert outcome.ref
    found = mettl_app.find(769688, "Writes")
    assert found is not None and found["webProctoring"]["count"] == 5


def test_values_mettl_keeps_in_its_own_spelling_are_not_failures(reconcile: Reconcile) -> None:
    offset = Window(start="2026-12-01T09:00:00", end="2026-12-05T18:00:00", time_zone="UTC+05:30")
    report = reconcile.apply(schedule(window=offset, candidates=(Candidate(email="Ana@Example.com", name="Ana"),)))
    assert [o.message for o in report.outcomes] == [""]
