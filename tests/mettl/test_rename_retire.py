"""Renames (`previous_names`) and retirement (`prune`: the window closed) against the Mettl emulator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from reconciler import engine
from reconciler.errors import RenameConflictError, UnsafePlanError
from reconciler.models import DesiredState, MettlSettings, SafetyConfig, Schedule, WebProctoring, Window
from reconciler.providers.mettl.client import MettlClient
from reconciler.providers.mettl.provider import MettlProvider
from reconciler.render.jsonplan import plan_document
from reconciler.render.markdown import render_markdown
from reconciler.render.text import render_text
from reconciler.sandbox.base import SandboxRequest, SandboxResponse, SandboxServer
from reconciler.sandbox.mettl import SANDBOX_PRIVATE_KEY, SANDBOX_PUBLIC_KEY, MettlApp

from .fixtures import NOW, Reconcile
from .test_reconcile import ANA, RAJ, sc_of, schedule

OLD, NEW = "Java Hiring Drive", "Java Hiring Drive 2027"
EDIT = "/edit"


def renamed(**overrides: Any) -> Schedule:
    return schedule(name=NEW, previous_names=(OLD,), **overrides)


@pytest.fixture
def at_now(make_provider: Callable[..., MettlProvider], mettl_server: SandboxServer) -> Reconcile:
    """A provider whose clock is the plans' NOW: a window that ended before it counts as closed."""
    return Reconcile(make_provider(now=lambda: NOW), mettl_server)


def test_rename_is_one_edit_and_keeps_the_candidates(reconcile: Reconcile, mettl_app: MettlApp) -> None:
    reconcile.apply(schedule())
    found = mettl_app.find(769688, OLD)
    assert found is not None
    reconcile.server.reset_calls()
    run = reconcile.plan(renamed())
    (change,) = run.plan.changes
    assert (change.action, change.ref) == ("update", found["accessKey"])
    assert [(f.text, f.before, f.after) for f in change.fields] == [("name", OLD, NEW)]
    assert not change.candidates
    assert '    ~ name: "Java Hiring Drive" → "Java Hiring Drive 2027"' in render_text(run.plan)
    engine.apply_plan(run, {"mettl": reconcile.provider})
    (write,) = reconcile.server.writes()
    assert write.path == f"/v2/schedules/{found['accessKey']}{EDIT}" and sc_of(write) == {"name": NEW}
    after = mettl_app.schedule(found["accessKey"])
    assert after["name"] == NEW and after["access"]["candidates"] == found["access"]["candidates"]
    assert not reconcile.plan(renamed()).plan.has_changes
    assert not reconcile.plan(schedule(name=NEW)).plan.has_changes


def test_rename_with_a_setting_change_is_still_one_edit(reconcile: Reconcile) -> None:
    reconcile.apply(schedule())
    reconcile.server.reset_calls()
    reconcile.apply(renamed(mettl=MettlSettings(web_proctoring=WebProctoring(enabled=True, count=3,
                                                                              show_remaining_counts=True))))
    (write,) = reconcile.server.writes()
    assert sc_of(write) == {"name": NEW, "webProctoring": {"enabled": True, "count": 3, "showRemainingCounts": True}}


def test_both_names_live_is_an_error_naming_both(reconcile: Reconcile) -> None:
    reconcile.apply(schedule(), schedule(name=NEW))
    with pytest.raises(RenameConflictError, match=f"both its name '{NEW}' and its previous name '{OLD}'"):
        reconcile.plan(renamed())


def test_without_prune_a_removed_schedule_is_reported_and_left_alone(at_now: Reconcile, mettl_app: MettlApp) -> None:
    at_now.apply(schedule(), schedule(name="Stays"))
    at_now.server.reset_calls()
    run = at_now.plan(schedule(name="Stays"))
    assert not run.plan.changes and [u.name for u in run.plan.undeclared] == [OLD] and not run.plan.unmanaged
    assert plan_document(run.plan)["summary"]["undeclared"] == 1
    engine.apply_plan(run, {"mettl": at_now.provider})
    assert at_now.server.writes() == []


def test_prune_closes_the_window_with_one_edit_and_declaring_reopens_it(
    at_now: Reconcile, mettl_app: MettlApp
) -> None:
    at_now.apply(schedule(), schedule(name="Stays"))
    key = (mettl_app.find(769688, OLD) or {})["accessKey"]
    at_now.server.reset_calls()
    run = at_now.plan(schedule(name="Stays"), prune=True)
    (change,) = run.plan.changes
    assert (change.action, change.name, change.ref) == ("disable", OLD, key)
    assert [(f.text, f.before) for f in change.fields] == [("window.end", "2026-12-05T18:00:00 (Asia/Kolkata)")]
    assert "no longer declared" in render_text(run.plan)
    engine.apply_plan(run, {"mettl": at_now.provider})
    (write,) = at_now.server.writes()
    assert write.path == f"/v2/schedules/{key}{EDIT}"
    assert sc_of(write) == {"scheduleType": "Fixed", "scheduleWindow": {  # NOW in Kolkata; a minute long
        "fixedAccessOption": "ExactTime", "startsOnDate": "Sun, 01 Nov 2026", "startsOnTime": "17:29:00",
        "endsOnDate": "Sun, 01 Nov 2026", "endsOnTime": "17:30:00", "locationTimeZone": "Asia/Kolkata"}}
    stored = mettl_app.schedule(key)
    assert len(stored["access"]["candidates"]) == 2  # nothing else changed, nothing deleted
    again = at_now.plan(schedule(name="Stays"), prune=True).plan
    assert not again.has_changes and not again.undeclared  # a closed window is retired already
    at_now.apply(schedule(), schedule(name="Stays"), prune=True)
    assert mettl_app.schedule(key)["scheduleWindow"]["endsOnDate"] == "Sat, 05 Dec 2026"
    assert not at_now.plan(schedule(), schedule(name="Stays"), prune=True).plan.has_changes


def test_prune_of_an_always_on_schedule_ends_it_now_in_utc(at_now: Reconcile, mettl_app: MettlApp) -> None:
    at_now.apply(Schedule(name="Open Practice", provider="mettl", assessment_id="769688"), schedule())
    at_now.server.reset_calls()
    at_now.apply(schedule(), prune=True)
    (write,) = at_now.server.writes()
    assert sc_of(write)["scheduleWindow"] == {"startsOnDate": "Sun, 01 Nov 2026", "startsOnTime": "11:59:00",
                                              "endsOnDate": "Sun, 01 Nov 2026", "endsOnTime": "12:00:00",
                                              "timeZone": "UTC+00:00"}
    at_now.apply(Schedule(name="Open Practice", provider="mettl", assessment_id="769688"), schedule(), prune=True)
    assert (mettl_app.find(769688, "Open Practice") or {})["scheduleType"] == "AlwaysOn"


def test_retiring_a_live_window_needs_force_and_keeps_its_start(at_now: Reconcile) -> None:
    live = Window(start="2026-10-30T09:00:00", end="2026-11-05T18:00:00", time_zone="Asia/Kolkata")
    at_now.apply(schedule(window=live), schedule(name="Stays"), force=True)
    run = at_now.plan(schedule(name="Stays"), prune=True)
    assert run.plan.changes[0].needs_force == ("its exam window is live now",)
    with pytest.raises(UnsafePlanError):
        engine.apply_plan(run, {"mettl": at_now.provider})
    at_now.server.reset_calls()
    at_now.apply(schedule(name="Stays"), prune=True, force=True)
    window = sc_of(at_now.server.writes()[0])["scheduleWindow"]
    assert (window["startsOnDate"], window["startsOnTime"]) == ("Fri, 30 Oct 2026", "09:00:00")
    assert (window["endsOnDate"], window["endsOnTime"]) == ("Sun, 01 Nov 2026", "17:30:00")


def test_a_schedule_of_another_source_app_is_never_retired(
    at_now: Reconcile, make_provider: Callable[..., MettlProvider]
) -> None:
    other = Reconcile(make_provider(source_app="Another Tool"), at_now.server)
    other.apply(schedule(name="Theirs"))
    at_now.apply(schedule())
    at_now.server.reset_calls()
    run = at_now.plan(schedule(), prune=True)
    assert not run.plan.changes and [u.name for u in run.plan.unmanaged] == ["Theirs"]
    assert all(c.method == "GET" for c in at_now.server.calls)


class ListingWithoutSourceApp(MettlApp):
    """A tenant whose schedule listings leave `sourceApp` out: ownership is then read from each schedule."""

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        response = super().handle(request)
        if request.method == "GET" and request.path.endswith("/schedules") and isinstance(response.body, dict):
            for item in response.body.get("schedules") or ():
                item.pop("sourceApp", None)
        return response


def test_ownership_is_read_from_the_schedule_when_the_listing_lacks_it() -> None:
    app = ListingWithoutSourceApp()
    app.add_assessment(769688, "Java Developer Assessment")
    app.add_schedule(769688, {"name": "Theirs", "sourceApp": "Another Tool", "access": {"type": "OpenForAll"},
                              "scheduleType": "AlwaysOn"})
    with SandboxServer(app) as server:
        client = MettlClient(server.url, SANDBOX_PUBLIC_KEY, SANDBOX_PRIVATE_KEY)
        ours = Reconcile(MettlProvider(client, now=lambda: NOW), server)
        ours.apply(schedule())
        run = ours.plan(schedule(name="Other", candidates=(ANA,)), prune=True)
        ours.provider.close()
    assert [(c.action, c.name) for c in run.plan.changes] == [("disable", OLD), ("create", "Other")]
    assert [u.name for u in run.plan.unmanaged] == ["Theirs"]


def test_mass_retirement_needs_force(at_now: Reconcile) -> None:
    names = [f"Drive {i}" for i in range(6)]
    at_now.apply(*(schedule(name=n, candidates=(RAJ,)) for n in names))
    keep = [schedule(name=n, candidates=(RAJ,)) for n in names[2:]]
    run = at_now.plan(*keep, prune=True)
    assert [c.needs_force for c in run.plan.changes] == [
        ("retires 2 of 6 managed mettl schedules (33% > 30% limit)",)] * 2
    at_now.server.reset_calls()
    with pytest.raises(UnsafePlanError):
        engine.apply_plan(run, {"mettl": at_now.provider})
    assert at_now.server.writes() == []
    lenient = SafetyConfig(min_schedules_for_retire_fraction=7)
    assert not any(c.needs_force for c in at_now.plan(*keep, prune=True, safety=lenient).plan.changes)
    at_now.apply(*keep, prune=True, force=True)
    assert len(at_now.server.writes()) == 2


def test_prune_is_per_provider_in_the_desired_state(at_now: Reconcile) -> None:
    at_now.apply(schedule(), schedule(name="Stays"))
    desired = DesiredState(schedules=(schedule(name="Stays"),), prune=frozenset({"questionmark"}))
    run = engine.make_plan(desired, {"mettl": at_now.provider}, now=NOW)
    assert not run.plan.changes and [u.name for u in run.plan.undeclared] == [OLD]


def test_only_assessments_still_named_are_listed(at_now: Reconcile) -> None:
    """The documented limit: with no schedule of an assessment left in the YAML, it is not read at all."""
    at_now.apply(schedule())
    at_now.server.reset_calls()
    run = at_now.plan(prune=True)
    assert not run.plan.changes and not run.plan.undeclared and at_now.server.calls == []


def test_markdown_shows_the_rename_the_retirement_and_what_is_left_alone(at_now: Reconcile) -> None:
    at_now.apply(schedule(), schedule(name="Stays"), schedule(name="Left"))
    pruned = at_now.plan(schedule(name="Stays", previous_names=()), renamed(), prune=True).plan
    text = render_markdown(pruned, mask=lambda email: "someone@example.invalid")
    assert '| name | "Java Hiring Drive" | "Java Hiring Drive 2027" |' in text.replace("\\", "")
    assert "- disable" in text and "no longer declared: retired (prune)" in text.replace("\\", "")
    kept = at_now.plan(schedule(name="Stays"), renamed()).plan
    text = render_markdown(kept, mask=lambda email: "someone@example.invalid")
    assert "### No longer declared" in text and "Left" in text.split("### No longer declared")[1]


def test_a_lost_answer_to_the_closing_edit_is_verified(at_now: Reconcile) -> None:
    at_now.apply(schedule(), schedule(name="Stays"))
    at_now.server.faults.fail_next("lost_answer", "POST")
    (outcome,) = at_now.apply(schedule(name="Stays"), prune=True).outcomes
    assert outcome.ok and "verified" in outcome.message
    assert not at_now.plan(schedule(name="Stays"), prune=True).plan.has_changes
