"""The text plan and the plan's JSON, from Plan values: the top of the plan, compact notes, the no-op shape,
a checksum that no-ops never change, the styles behind the colour."""

from __future__ import annotations

from reconciler.models import Candidate
from reconciler.plan import CandidateChanges, FieldChange, NoOp, Plan, Update
from reconciler.render.text import STYLES, plain, plan_lines, render_text
from tests.changes import update


def _update(name: str, *, needs_force: tuple[str, ...] = (), blocked: tuple[str, ...] = ()) -> Update:
    return update("questionmark", "77", name, ref="9",
                          fingerprint=f"fp-{name}", fields=(FieldChange(path="metadata.x", before="a", after="b"),),
                          needs_force=needs_force, blocked=blocked)


def _no_op(count: int, name: str = "Kept") -> NoOp:
    emails = tuple(f"p{n:02d}@example.com" for n in range(count))
    return NoOp(provider="mettl", assessment_id="5", name=name, ref="ak",
                          candidates=CandidateChanges(protected=emails, existing=count + 1,
                                                      protected_reasons=dict.fromkeys(emails, "has submitted")))


def test_force_and_blocked_come_first_and_are_counted() -> None:
    plan = Plan.build([_update("A", needs_force=("its exam window is live now",)),
                       _update("B", blocked=("the group cannot change",)), _update("C")])
    lines = render_text(plan).splitlines()
    assert lines[:5] == [
        "Needs --force:",
        "    ! Questionmark · 77 · A: its exam window is live now",
        "Cannot apply:",
        "    ✗ Questionmark · 77 · B: the group cannot change",
        "",
    ]
    assert lines[5] == "~ update Questionmark · 77 · A [9]"
    assert lines[-2].startswith("Plan: 0 to create, 3 to update, 0 to disable, 1 needs --force, 1 blocked. ")
    assert plan.counts()["needs_force"] == 1 and plan.counts()["blocked"] == 1


def test_nothing_on_top_and_no_count_when_all_is_safe() -> None:
    text = render_text(Plan.build([_update("C")]))
    assert text.startswith("~ update Questionmark · 77 · C [9]\n")
    assert "Plan: 0 to create, 1 to update, 0 to disable. Candidates:" in text


def test_a_no_op_is_one_note_counted_in_sync() -> None:
    plan = Plan.build([_no_op(1)], in_sync=1)
    assert render_text(plan) == (
        "= Mettl · 5 · Kept: 1 protected candidate kept — p00@example.com (has submitted)\n\n"
        "No changes. The platforms match the desired state. Candidates: 0 to add, 0 to remove, 1 protected. "
        "1 schedule(s) in sync, 0 unmanaged.\n"
        f"Plan checksum: {plan.checksum}\n")
    assert not plan.has_changes and plan.actionable == ()


def test_a_large_no_op_note_is_compact_unless_full() -> None:
    plan = Plan.build([_no_op(25)], in_sync=1)
    compact = render_text(plan)
    assert "25 protected candidates kept — p00@example.com (has submitted), " in compact
    assert "p04@example.com (has submitted), … and 20 more\n" in compact and "p05@" not in compact
    assert "p24@example.com (has submitted)\n" in render_text(plan, full=True)


def test_the_no_op_json_shape_and_round_trip() -> None:
    plan = Plan.build([_no_op(2), _update("C")], in_sync=1)
    no_op = plan.data()["changes"][0]
    assert set(no_op) == {"action", "provider", "assessment_id", "name", "ref", "candidates"}
    assert no_op["action"] == "no-op" and set(no_op["candidates"]) == {"protected", "protected_reasons", "existing"}
    assert plan.fingerprints == {"questionmark/77/C": "fp-C"}  # a no-op's live object is not part of the plan
    again = Plan.model_validate({"format_version": plan.format_version, **plan.data()})
    assert again.checksum == plan.checksum and again.changes[0].action == "no-op"


def test_no_ops_never_change_the_checksum() -> None:
    writes = Plan.build([_update("C")], in_sync=2)
    assert Plan.build([_update("C"), _no_op(1)], in_sync=2).checksum == writes.checksum
    assert Plan.build([_update("C"), _no_op(3, "Other")], in_sync=2).checksum == writes.checksum
    assert Plan.build([_update("C")], in_sync=3).checksum != writes.checksum  # what it does cover still counts
    changed = _update("C").model_copy(update={"settings": (FieldChange(path="metadata.x", before="a", after="c"),)})
    assert Plan.build([changed], in_sync=2).checksum != writes.checksum


def test_removals_carry_names_unmasked_only() -> None:
    change = update(
        "mettl", "1", "A",
        candidates=CandidateChanges(add=(Candidate(email="new@example.com", name="New Person"),),
                                    remove=("old@example.com", "anon@example.com"),
                                    remove_names={"old@example.com": "Old Applicant"}, existing=4))
    text = render_text(Plan.build([change]))
    assert "    - old@example.com (Old Applicant)\n    - anon@example.com\n" in text
    masked = render_text(Plan.build([change]), mask=lambda email: "token@example.com")
    assert "Old Applicant" not in masked and "New Person" not in masked


def test_styles_follow_terraform() -> None:
    change = update(
        "mettl", "1", "A", fields=(
            FieldChange(path="mettl.secure_browser.enabled", before=False, after=True),),
        candidates=CandidateChanges(add=(Candidate(email="n@example.com", name="N"),), remove=("o@example.com",),
                                    existing=9))
    lines = plan_lines(Plan.build([change, _no_op(1)], in_sync=1))
    styled = {text.strip(): style for line in lines for text, style in line if style}
    assert styled["~"] == STYLES["~"] == "yellow"
    assert styled["+"] == "green" and styled["-"] == "red" and styled["="] == "cyan"
    assert styled["Mettl · 1 · A"] == "bold"
    assert plain(lines) == render_text(Plan.build([change, _no_op(1)], in_sync=1))


def test_a_window_change_shows_old_and_new_on_two_lines() -> None:
    from datetime import datetime

    from reconciler.models import Window

    before = Window(start=datetime(2027, 1, 10, 9), end=datetime(2027, 1, 12, 17), time_zone="Asia/Kolkata")
    after = Window(start=datetime(2027, 1, 10, 9), end=datetime(2027, 1, 14, 17), time_zone="Asia/Kolkata")
    text = render_text(Plan.build([update("mettl", "1", "Final", window_before=before, window_after=after)]))
    assert ("    ~ window:\n"
            "        old: 2027-01-10 09:00 until 2027-01-12 17:00 Asia/Kolkata (UTC 2027-01-10 03:30 until "
            "2027-01-12 11:30)\n"
            "        new: 2027-01-10 09:00 until 2027-01-14 17:00 Asia/Kolkata (UTC 2027-01-10 03:30 until "
            "2027-01-14 11:30)\n") in text
    cleared = render_text(Plan.build([update("mettl", "1", "Final", window_before=before, window_after=None)]))
    assert "        new: (always open)\n" in cleared
    assert "→" not in text.split("Plan:")[0]  # `→` only ever means "becomes"
