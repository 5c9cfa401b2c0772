"""Participants found, never duplicated, able to sign in (issue 15): an explicit login, the PrimaryEmail lookup
when logins are not emails, two matches an error naming both, the sign-in settings, the plan's list of new
participants, and a monitoring type by name. Real client, real HTTP, the emulator."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reconciler import engine
from reconciler.models import Candidate, QuestionmarkProviderConfig, QuestionmarkSettings
from reconciler.models.project import QuestionmarkSignIn
from reconciler.providers.base import Endpoint
from reconciler.providers.questionmark import provider as provider_module
from reconciler.providers.questionmark.provider import make_questionmark_provider
from reconciler.render.markdown import render_markdown
from reconciler.render.pii import make_masker
from reconciler.render.text import render_text
from reconciler.sandbox.questionmark import QuestionmarkApp

from .conftest import ANA, MEI, RAJ, Reconcile, qm_schedule


def _with(reconcile: Reconcile, **config: object) -> Reconcile:
    """The same emulator, through a provider made from a `providers.questionmark` block."""
    endpoint = Endpoint(reconcile.provider.client.base_url, "sandbox-user", "sandbox-password")
    provider = make_questionmark_provider(QuestionmarkProviderConfig.model_validate(config), endpoint)
    return Reconcile(provider, reconcile.server, reconcile.app)


def _posted_participants(reconcile: Reconcile) -> list[dict[str, object]]:
    return [c.json or {} for c in reconcile.write_calls() if c.path.endswith("/Participants")]


@pytest.mark.parametrize("login", ["jsmith", "E100234"], ids=["initials", "employee-number"])
def test_a_login_that_is_not_an_email_is_matched_not_duplicated(reconcile: Reconcile, login: str) -> None:
    existing = reconcile.app.add_participant(login, "ana@example.com")
    reconcile.apply(qm_schedule())
    assert reconcile.seats()["ana@example.com"]["ParticipantID"] == existing
    assert [p["PrimaryEmail"] for p in _posted_participants(reconcile)] == ["raj@example.com"]  # Raj only is new
    assert existing not in reconcile.app.welcome_emails
    participants = reconcile.app.world.tables["Participants"].values()
    assert [p["ID"] for p in participants if p["PrimaryEmail"] == "ana@example.com"] == [existing]
    assert not reconcile.plan(qm_schedule()).plan.has_changes


def test_the_participant_feed_is_read_once_a_run_and_only_when_someone_is_not_found(reconcile: Reconcile) -> None:
    reconcile.app.add_participant("ana@example.com", "ana@example.com")
    reconcile.app.add_participant("raj@example.com", "raj@example.com")
    reconcile.apply(qm_schedule())
    scans = [q for path, q in reconcile.reads() if path == "Participants" and "$filter" not in q]
    assert scans == []  # everyone was found by login
    reconcile.apply(qm_schedule(candidates=(ANA, RAJ, MEI)))
    scans = [q for path, q in reconcile.reads() if path == "Participants" and "$filter" not in q]
    assert len(scans) == 1  # Mei: looked for by PrimaryEmail once, for the plan and the apply of this run


def test_a_candidate_matching_two_participants_is_an_error_naming_both(reconcile: Reconcile) -> None:
    first = reconcile.app.add_participant("jsmith", "ana@example.com")
    second = reconcile.app.add_participant("ana.lima", "Ana@Example.com")
    (reason,) = reconcile.plan(qm_schedule()).plan.changes[0].blocked
    assert f"IDs {first} and {second}" in reason and reason.startswith("ana@example.com matches two participants")
    assert reconcile.server.writes() == []


def test_an_explicit_login_wins(reconcile: Reconcile) -> None:
    reconcile.app.add_participant("ana@example.com", "ana@example.com")  # what the email would find
    chosen = reconcile.app.add_participant("ana.lima", "ana@example.com")  # two matches, but the login says which
    ana = Candidate(email="ana@example.com", name="Ana Lima", questionmark_login="ana.lima")
    reconcile.apply(qm_schedule(candidates=(ana, RAJ)))
    assert reconcile.seats()["ana@example.com"]["ParticipantID"] == chosen
    lookups = [q.get("$filter") for path, q in reconcile.reads() if path == "Participants"]
    assert "Name eq 'ana.lima'" in lookups
    assert not reconcile.plan(qm_schedule(candidates=(ana, RAJ))).plan.has_changes


def test_an_explicit_login_of_someone_else_is_refused(reconcile: Reconcile) -> None:
    other = reconcile.app.add_participant("ana.lima", "ana.lima@corp.example")
    ana = Candidate(email="ana@example.com", name="Ana Lima", questionmark_login="ana.lima")
    (reason,) = reconcile.plan(qm_schedule(candidates=(ana,))).plan.changes[0].blocked
    assert reason.startswith(f"ana@example.com: questionmark_login 'ana.lima' is participant {other}, whose "
                             "PrimaryEmail is ana.lima@corp.example")


def test_an_explicit_login_missing_is_created_with_it_unless_the_email_is_taken(reconcile: Reconcile) -> None:
    ana = Candidate(email="ana@example.com", name="Ana Lima", questionmark_login="E100234")
    reconcile.apply(qm_schedule(candidates=(ana,)))
    (posted,) = _posted_participants(reconcile)
    assert (posted["Name"], posted["PrimaryEmail"]) == ("E100234", "ana@example.com")
    raj = Candidate(email="raj@example.com", name="Raj Patel", questionmark_login="rpatel")
    taken = reconcile.app.add_participant("raj.patel", "raj@example.com")
    (reason,) = _with(reconcile).plan(qm_schedule(candidates=(ana, raj))).plan.changes[0].blocked  # a new run
    assert f"participant {taken} already has this email" in reason and "'rpatel' does not exist" in reason


def test_sign_in_settings_reach_the_new_participant(reconcile: Reconcile) -> None:
    quiet = _with(reconcile, sign_in={"welcome_email": False, "sso_id": "email"})
    quiet.apply(qm_schedule(candidates=(ANA,)))
    (posted,) = _posted_participants(quiet)
    assert posted["SsoId"] == "ana@example.com" and "Password" not in posted
    assert reconcile.app.welcome_emails == []
    assert not any(path.endswith("SendWelcomeEmail") for _, path in quiet.writes())


def test_the_default_sends_the_documented_welcome_email_once(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule())
    ids = sorted(s["ParticipantID"] for s in reconcile.seats().values())
    assert sorted(reconcile.app.welcome_emails) == ids
    welcome = [c for c in reconcile.write_calls() if c.path.endswith("/SendWelcomeEmail")]
    assert [c.json for c in welcome] == [{}, {}]
    reconcile.apply(qm_schedule(candidates=(ANA,)))
    reconcile.apply(qm_schedule())  # Raj's seat back: he exists, no second email
    assert sorted(reconcile.app.welcome_emails) == ids


def test_a_lost_answer_to_a_participant_create_makes_no_second_account(reconcile: Reconcile) -> None:
    reconcile.server.faults.fail_next("lost_answer", "POST", path=r".*/Participants$")
    reconcile.apply(qm_schedule(candidates=(ANA,)))
    created = [p for p in reconcile.app.world.tables["Participants"].values() if p["PrimaryEmail"] == ANA.email]
    assert len(created) == 1
    assert reconcile.seats()["ana@example.com"]["ParticipantID"] == created[0]["ID"]
    assert reconcile.app.welcome_emails == [created[0]["ID"]]  # read back: ours, so welcomed
    assert not reconcile.plan(qm_schedule(candidates=(ANA,))).plan.has_changes


def test_a_feed_longer_than_the_bound_creates_nobody_unknown(reconcile: Reconcile) -> None:
    for i in range(3):
        reconcile.app.add_participant(f"emp{i}", f"someone{i}@example.com")
    bounded = _with(reconcile, max_participants_scanned=2)
    (reason, _) = bounded.plan(qm_schedule()).plan.changes[0].blocked
    assert "more than 2 participants (providers.questionmark.max_participants_scanned)" in reason
    assert "questionmark_login" in reason


def test_the_plan_lists_new_participants_and_how_they_sign_in(reconcile: Reconcile) -> None:
    reconcile.app.add_participant("ana@example.com", "ana@example.com")
    plan = reconcile.plan(qm_schedule()).plan
    participants = plan.changes[0].participants
    assert participants is not None and participants.emails == ("raj@example.com",)
    assert participants.sign_in == "welcome email"
    assert json.loads(json.dumps(plan.data()))["changes"][0]["participants"]["emails"] == ["raj@example.com"]
    assert "+ 1 new participant(s) (sign in: welcome email): raj@example.com" in render_text(plan)
    markdown = render_markdown(plan, mask=make_masker("test-key"))
    assert "**New participants:** 1 new participant(s) (sign in: welcome email)" in markdown
    assert "raj@example.com" not in markdown
    sso = _with(reconcile, sign_in={"welcome_email": True, "sso_id": "email"}).plan(qm_schedule()).plan
    assert sso.changes[0].participants is not None
    assert sso.changes[0].participants.sign_in == QuestionmarkSignIn(sso_id="email").describe()
    assert sso.changes[0].participants.sign_in == "welcome email + SSO id = email"


def test_a_plan_without_new_people_lists_none(reconcile: Reconcile) -> None:
    reconcile.app.add_participant("ana@example.com", "ana@example.com")
    plan = reconcile.plan(qm_schedule(candidates=(ANA,))).plan
    assert plan.changes[0].participants is None and "participants" not in plan.data()["changes"][0]


# ------------------------------------------------------------------ monitoring type by name


def test_a_monitoring_type_is_resolved_by_name(reconcile: Reconcile) -> None:
    types = {t["Name"]: t["ID"] for t in reconcile.app.world.tables["MonitoringTypes"].values()}
    reconcile.apply(qm_schedule(questionmark=QuestionmarkSettings(monitoring="REMOTE_PROCTORING")))
    assert {s["MonitoringTypeID"] for s in reconcile.app.schedules()} == {types["REMOTE_PROCTORING"]}
    assert not reconcile.plan(qm_schedule(questionmark=QuestionmarkSettings(monitoring="REMOTE_PROCTORING"))
                              ).plan.has_changes
    reconcile.apply(qm_schedule(questionmark=QuestionmarkSettings(monitoring="QSB_WITH_EVENTS")))
    assert {s["MonitoringTypeID"] for s in reconcile.app.schedules()} == {types["QSB_WITH_EVENTS"]}


class _LegacyFirst(QuestionmarkApp):
    """A tenant whose type 1 is not UNMONITORED: it was added later, as type 4."""

    def add_monitoring_type(self, name: str, **props: Any) -> int:
        return super().add_monitoring_type("LEGACY" if name == "UNMONITORED" else name, **props)


def _late_unmonitored() -> QuestionmarkApp:
    app = _LegacyFirst()
    QuestionmarkApp.add_monitoring_type(app, "UNMONITORED")
    return app


@pytest.mark.parametrize("qm_app", [_late_unmonitored()], ids=["unmonitored-is-4"])
def test_the_default_monitoring_type_is_found_by_name_not_assumed(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule())
    assert {s["MonitoringTypeID"] for s in reconcile.app.schedules()} == {4}


def test_an_unknown_monitoring_type_fails_the_plan_naming_the_known_ones(reconcile: Reconcile) -> None:
    run = reconcile.plan(qm_schedule(questionmark=QuestionmarkSettings(monitoring="PROCTORU")))
    (reason,) = run.plan.changes[0].blocked
    assert reason.startswith("questionmark.monitoring 'PROCTORU' is not a monitoring type of this tenant")
    assert "QSB_WITH_EVENTS, REMOTE_PROCTORING, UNMONITORED" in reason
    default = _with(reconcile, monitoring="NOPE").plan(qm_schedule()).plan.changes[0].blocked
    assert any("providers.questionmark.monitoring (the default) 'NOPE'" in r for r in default)


def test_monitoring_by_name_and_by_id_is_refused() -> None:
    with pytest.raises(ValueError, match="not both"):
        QuestionmarkSettings(monitoring="UNMONITORED", monitoring_type_id=1)


def test_hidden_anchor_and_revoked_seat(reconcile: Reconcile) -> None:
    reconcile.apply(qm_schedule())
    reconcile.apply(qm_schedule(candidates=(ANA,)))
    assert reconcile.anchor()["Hidden"] is True
    raj = reconcile.app.schedule(reconcile.seats()["raj@example.com"]["ID"])
    assert raj["Hidden"] is True and raj["Disabled"] is True
    assert reconcile.seats()["ana@example.com"]["Hidden"] is False


def test_a_failed_welcome_email_is_reported_and_the_participant_kept(reconcile: Reconcile) -> None:
    reconcile.server.faults.fail_next("lost_answer", "POST", path=r".*/SendWelcomeEmail$")
    (outcome,) = engine.apply_plan(reconcile.plan(qm_schedule(candidates=(ANA,))), reconcile.providers).failed
    ana = reconcile.seats()["ana@example.com"]["ParticipantID"]
    assert f"participant {ana} (ana@example.com) was created, but its welcome email was not sent" in outcome.message
    assert "send it from Questionmark" in outcome.message
    assert not reconcile.plan(qm_schedule(candidates=(ANA,))).plan.has_changes  # seated; nobody created twice


def test_the_plan_looks_up_a_bounded_number_of_added_candidates(reconcile: Reconcile,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(provider_module, "PLAN_LOOKUPS", 1)
    participants = reconcile.plan(qm_schedule(candidates=(ANA, RAJ, MEI))).plan.changes[0].participants
    assert participants is not None and participants.emails == ("ana@example.com",) and participants.unchecked == 2
    lookups = [path for path, q in reconcile.reads() if path == "Participants" and "$filter" in q]
    assert len(lookups) == 1
