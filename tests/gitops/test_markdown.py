"""The PR-comment renderer: masking, escaping, the timeline, the budget, the marker."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime

import pytest
from hypothesis import example, given, settings, strategies as st
from pydantic import ValidationError

from reconciler.models import Candidate, Schedule, Window, normalize_email
from reconciler.plan import CandidateChanges, Create, FieldChange, NoOp, Plan, UnmanagedSchedule
from reconciler.render.markdown import DEFAULT_HINT, render_markdown
from reconciler.render.mdtext import escape_md, mermaid_label
from reconciler.render.pii import identity_mask, make_masker, scrub
from tests.changes import update as _update

MARKER = "<!-- reconciler-plan -->"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


def _window(day: int, zone: str = "Asia/Kolkata") -> Window:
    return Window(start=datetime(2026, 12, day, 9), end=datetime(2026, 12, day + 2, 18), time_zone=zone)


def _people(prefix: str, count: int, domain: str = "example.com") -> list[str]:
    return [f"{prefix}{i:05d}@{domain}" for i in range(count)]


def _sample_plan(name: str = "Final exam") -> Plan:
    before, after = _window(1), _window(3)
    update = _update(
        "mettl", "769688", name, ref="ak-1",
        fields=(
            FieldChange(path="mettl.test_grade_notification.recipients", before=["Boss@Corp.example"],
                        after=["boss@corp.example", "audit@corp.example"]),
            FieldChange(path="mettl.web_proctoring.enabled", before=False, after=True),
        ),
        candidates=CandidateChanges(
            add=(Candidate(email="alice@example.com", name="Alice Liddell"),
                 Candidate(email="bob@example.com", name="Bob Builder")),
            remove=("carol@example.com",), protected=("dave@example.com",), existing=12,
        ),
        window_before=before, window_after=after, needs_force=("its exam window is live now",),
    )
    desired = Schedule(
        name="Resit", provider="questionmark", assessment_id="77", window=_window(10, "Europe/London"),
        accommodations={"erin@example.com": {"extra_time": 30}}, metadata={"owner": "frank@example.com"},
        candidates=(Candidate(email="grace@example.com", name="Grace Hopper"),),
    )
    create = Create(
        provider="questionmark", assessment_id="77", name="Resit", desired=desired,
        candidates=CandidateChanges(add=(Candidate(email="grace@example.com", name="Grace Hopper"),)),
    )
    qm_update = _update(
        "questionmark", "78", "Mock", ref="42",
        fields=(FieldChange(path="accommodations.heidi@example.com.extra_time", before=10, after=20),
                FieldChange(path="metadata.contact", before="ivan@example.com", after="judy@example.com")),
    )
    unmanaged = UnmanagedSchedule(provider="mettl", assessment_id="9", name="Legacy (owner mallory@example.com)")
    return Plan.build([update, create, qm_update], [unmanaged], in_sync=3)


ALL_EMAILS = [
    "boss@corp.example", "audit@corp.example", "alice@example.com", "bob@example.com", "carol@example.com",
    "dave@example.com", "erin@example.com", "frank@example.com", "grace@example.com", "heidi@example.com",
    "ivan@example.com", "judy@example.com", "mallory@example.com",
]


# --------------------------------------------------------------------------- pii


def test_masker_is_stable_keeps_the_domain_and_tells_addresses_apart() -> None:
    mask = make_masker("secret")
    token = mask("alice@example.com")
    assert re.fullmatch(r"cand-[0-9a-f]{10}@example\.com", token)
    assert mask("alice@example.com") == token == make_masker("secret")("Alice@Example.com")
    assert mask("alicia@example.com") != token
    assert make_masker("other")("alice@example.com") != token
    assert make_masker(None)("alice@example.com") == make_masker(None)("alice@example.com")
    assert make_masker(None)("alice@example.com") != token
    tokens = {mask(e) for e in _people("p", 5000)}
    assert len(tokens) == 5000


def test_scrub_masks_emails_inside_free_text() -> None:
    mask = make_masker(None)
    text = scrub('["Boss@Corp.example", "x@y.org"] (see z@w.io).', mask)
    assert "boss@" not in text.lower() and "x@y.org" not in text and "z@w.io" not in text
    assert mask("boss@corp.example") in text
    assert text.endswith(f"(see {mask('z@w.io')}).")
    assert scrub("Boss@Corp.example", identity_mask) == "Boss@Corp.example"


def test_scrub_masks_odd_but_legal_addresses() -> None:
    mask = make_masker(None)
    apostrophe, quoted, accented = "sean.o'brien@example.com", '"john doe"@example.com', "zoë@exämple.de"
    text = scrub(f"removed '{apostrophe}', {quoted}. and ({accented})", mask)
    assert "brien" not in text and "john doe" not in text and "zoë" not in text
    assert f"'{mask(apostrophe)}'" in text
    assert f"{mask(quoted)}." in text
    assert f"({mask(accented)})" in text


SEPARATORS = st.sampled_from([" ", ", ", "; ", "(", ")", "[", "]", "<", ">", '"', "\n", ": ", " | ", "="])


@settings(max_examples=300, deadline=None)
@given(st.emails(), SEPARATORS, SEPARATORS, st.text(max_size=20))
@example(email="0@A.ac", before="(", after=" ", noise="0@0.")  # a domain swallowed the next address's start
def test_scrub_never_lets_a_valid_email_through(email: str, before: str, after: str, noise: str) -> None:
    try:
        normalized = Candidate(email=email, name="x").email
    except ValidationError:
        return  # not an address the models accept
    text = f"{noise}{before}{email}{after}{noise}"
    out = re.sub(r"cand-[0-9a-f]{10}@", "<token>", scrub(text, make_masker(None)))
    assert normalized not in normalize_email(out)


def test_log_filter_masks_stdin() -> None:
    result = subprocess.run([sys.executable, "-m", "reconciler.render.pii"], input="added Ana@Example.com\nok\n",
                            capture_output=True, text=True, timeout=60, env={"RECONCILER_PII_KEY": "k"})
    assert result.returncode == 0
    assert result.stdout == f"added {make_masker('k')('ana@example.com')}\nok\n"


# --------------------------------------------------------------------------- masking in the comment


def test_no_raw_email_reaches_the_comment_and_tokens_are_stable() -> None:
    plan = _sample_plan()
    mask = make_masker("k")
    first = render_markdown(plan, mask=mask)
    for email in ALL_EMAILS:
        assert email not in first.lower(), email
        local = email.split("@")[0]
        assert f"{local}@" not in first.lower(), email
    assert "Alice Liddell" not in first  # names are PII too
    second = render_markdown(plan, mask=make_masker("k"))
    assert first == second
    for email in ("alice@example.com", "carol@example.com", "boss@corp.example", "heidi@example.com"):
        assert mask(email).partition("@")[0] in first  # candidates show the pseudonym without its domain
    assert first.count(mask("boss@corp.example")) == 2  # before and after: the pair stays visible


def test_every_email_like_string_in_the_comment_is_a_token() -> None:
    text = render_markdown(_sample_plan(), mask=make_masker(None))
    found = {m.group(0) for m in EMAIL.finditer(text)}
    assert found
    assert all(re.search(r"(^|[^\w-])cand-[0-9a-f]{10}@", e) for e in found), found


def test_show_pii_shows_addresses() -> None:
    text = render_markdown(_sample_plan(), mask=identity_mask)
    assert "alice@example.com" in text and "dave@example.com" in text


def test_tokens_are_not_masked_twice() -> None:
    mask = make_masker(None)
    text = render_markdown(_sample_plan(), mask=mask)
    assert f"accommodations.{mask('heidi@example.com')}.extra\\_time" in text
    assert f"accommodations.{mask('erin@example.com')}.extra\\_time" in text


# --------------------------------------------------------------------------- structure and escaping


def test_marker_first_heading_summary_and_checksum() -> None:
    plan = _sample_plan()
    text = render_markdown(plan, mask=make_masker(None))
    lines = text.splitlines()
    assert lines[0] == MARKER
    assert any(line.startswith("## ") for line in lines[1:3])
    assert "Plan: 1 to create, 2 to update, 0 to disable, 1 needs --force." in text
    assert f"Plan checksum: `{plan.checksum}`" in text
    assert "| Action | Provider | Assessment | Schedule | Candidates |" in text
    assert "+2 / −1" in text
    assert "⚠️ needs `--force`: its exam window is live now" in text
    assert "✅ ok" in text
    assert text.count("<details>") == text.count("</details>") == 3
    assert "mettl.web\\_proctoring.enabled | false | true" in text
    assert "Unmanaged" in text and "Legacy" in text
    assert "summarised" not in text


def test_custom_marker_is_the_first_line() -> None:
    text = render_markdown(_sample_plan(), mask=make_masker(None), marker="<!-- reconciler-drift -->")
    assert text.splitlines()[0] == "<!-- reconciler-drift -->"


def test_blocked_and_protected_only_changes() -> None:
    blocked = _update("mettl", "1", "A",
                             fields=(FieldChange(path="mettl.protected", before="NotEnabled", after="OtpOnEmail"),),
                             blocked=("the assessment is archived",))
    protected_only = NoOp(provider="mettl", assessment_id="2", name="B", ref="ak-2",
                                    candidates=CandidateChanges(protected=("p@example.com",), existing=3,
                                                                protected_reasons={"p@example.com": "has submitted"}))
    mask = make_masker(None)
    text = render_markdown(Plan.build([blocked, protected_only], in_sync=1), mask=mask)
    assert "⛔ blocked: the assessment is archived" in text
    top = text.index("**⛔ Cannot apply:**\n\n- Mettl · 1 · A: the assessment is archived")
    assert top < text.index("| Action |")  # listed before the table
    assert "1 blocked." in text
    assert "| ~ update | Mettl | 1 |" in text and "| Mettl | 2 |" not in text  # the no-op is not a change row
    token = mask("p@example.com").partition("@")[0]
    assert (f"- Mettl · 2 · B: 1 protected candidate kept — p\\*\\*\\*@\u200bexample.com ({token}) (has submitted)"
            in text)
    assert "p@example.com" not in text


def test_pipes_and_stars_in_names_are_escaped() -> None:
    name = "Final | *exam* _1_ [draft] <b>#2</b> `x` \\ @team"
    text = render_markdown(_sample_plan(name), mask=make_masker(None))
    row = next(line for line in text.splitlines() if line.startswith("| ~ update | Mettl"))
    assert "Final \\| \\*exam\\* \\_1\\_ \\[draft\\] \\<b\\>\\#2\\</b\\> \\`x\\` \\\\ @\u200bteam" in row
    assert len(re.split(r"(?<!\\)\|", row)) == 12  # ten cells: the name adds no column
    assert "<b>#2</b>" not in text.replace("<b>~ update</b>", "")
    assert "Final | *exam* _1_ [draft] &lt;b&gt;#2&lt;/b&gt;" in text  # inside <summary>: HTML-escaped


def test_escape_md_and_mermaid_label() -> None:
    assert escape_md("a|b*c_d`e<f>g[h]i#j\\k") == "a\\|b\\*c\\_d\\`e\\<f\\>g\\[h\\]i\\#j\\\\k"
    assert escape_md("two\nlines") == "two lines"
    assert ":" not in mermaid_label("Exam: part #1; 50% done") and "#" not in mermaid_label("a#b")
    assert mermaid_label(":#") == "schedule"


# --------------------------------------------------------------------------- timeline


def test_gantt_shows_old_and_new_windows_in_utc() -> None:
    text = render_markdown(_sample_plan("Exam: part #1"), mask=make_masker(None))
    block = text.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert block.startswith("gantt\n")
    assert "dateFormat YYYY-MM-DD HH:mm" in block
    sections = [line.strip() for line in block.splitlines() if line.strip().startswith("section ")]
    assert len(sections) == 2
    for line in block.splitlines():
        if line.strip().startswith(("section ", "old ", "new ")):
            label = line.split(" :", 1)[0]
            assert ":" not in label.replace("section ", "") and "#" not in label, line
    # Asia/Kolkata is UTC+05:30: 09:00 local is 03:30 UTC.
    assert "old :done, w1old, 2026-12-01 03:30, 2026-12-03 12:30" in block
    assert "new :active, w1new, 2026-12-03 03:30, 2026-12-05 12:30" in block
    assert "new :active, w2new, 2026-12-10 09:00, 2026-12-12 18:00" in block  # London in December is UTC
    assert "w2old" not in block


def test_no_gantt_without_window_changes() -> None:
    change = _update("mettl", "1", "A",
                            fields=(FieldChange(path="mettl.web_proctoring.enabled", before=False, after=True),))
    text = render_markdown(Plan.build([change]), mask=make_masker(None))
    assert "```mermaid" not in text
    empty = render_markdown(Plan.build([], in_sync=4), mask=make_masker(None))
    assert empty.splitlines()[0] == MARKER and "No changes" in empty and "```mermaid" not in empty


# --------------------------------------------------------------------------- budget


def _big_plan(schedules: int = 8, per_schedule: int = 625) -> tuple[Plan, list[str]]:
    changes = []
    emails: list[str] = []
    for index in range(schedules):
        adds = _people(f"new{index}-", per_schedule // 2, "school.example")
        removes = _people(f"old{index}-", per_schedule - per_schedule // 2, "school.example")
        emails += adds + removes
        before, after = _window(1 + index % 5), _window(2 + index % 5)
        changes.append(_update(
            "mettl", str(1000 + index), f"Exam {index} | day",
            candidates=CandidateChanges(add=tuple(Candidate(email=e, name="N") for e in adds), remove=tuple(removes),
                                        existing=len(removes) + 10),
            window_before=before, window_after=after,
            needs_force=(f"removes {len(removes)} of {len(removes) + 10} candidates",),
        ))
    return Plan.build(changes), emails


def test_five_thousand_candidates_fit_the_budget_and_say_so() -> None:
    plan, emails = _big_plan()
    assert len(emails) == 5000
    text = render_markdown(plan, mask=make_masker(None), full=True)
    assert len(text) <= 60_000
    assert text.splitlines()[0] == MARKER
    assert "summarised" in text
    assert text.rstrip().endswith(DEFAULT_HINT)
    assert "| Exam 0 \\| day |" in text  # the summary table is still whole
    lowered = text.lower()
    assert not any(e in lowered for e in emails[::50])


@pytest.mark.parametrize("budget", [60_000, 20_000, 6_000, 2_500, 1_200, 400, 120])
def test_budget_is_never_exceeded(budget: int) -> None:
    plan, _ = _big_plan(schedules=40, per_schedule=200)
    text = render_markdown(plan, mask=make_masker(None), budget=budget, full_plan_hint="See plan.json.", full=True)
    assert len(text) <= budget
    assert "summarised" in text
    if budget >= 1_200:
        assert text.splitlines()[0] == MARKER
        assert text.rstrip().endswith("See plan.json.")


def test_degrades_in_steps() -> None:
    plan, _ = _big_plan(schedules=40, per_schedule=200)
    full = render_markdown(plan, mask=make_masker(None), budget=10**7)
    assert "summarised" not in full and "<details>" in full
    short_lists = render_markdown(plan, mask=make_masker(None), budget=len(full) - 1)
    assert "candidate lists shortened" in short_lists and "… and" in short_lists
    no_details = render_markdown(plan, mask=make_masker(None), budget=20_000)
    assert "<details>" not in no_details
    table_cut = render_markdown(plan, mask=make_masker(None), budget=4_000)
    assert re.search(r"… and \d+ more schedules", table_cut)
    assert "```mermaid" not in table_cut


def test_long_values_are_shortened() -> None:
    change = _update("questionmark", "1", "A",
                            fields=(FieldChange(path="metadata.notes", before="x" * 5000, after="y"),))
    text = render_markdown(Plan.build([change]), mask=make_masker(None))
    assert "x" * 5000 not in text and "x" * 200 in text
    assert "long values shortened" in text


def test_large_candidate_lists_are_compact_unless_full() -> None:
    plan, emails = _big_plan(schedules=2, per_schedule=60)
    mask = make_masker(None)
    compact = render_markdown(plan, mask=mask)
    assert "- Add (30): " in compact and ", … and 25 more" in compact and "summarised" not in compact
    assert "`reconciler plan --full` shows all" in compact
    shown = [mask(e).partition("@")[0] + ")" for e in emails]  # `X.Y. e***@domain (cand-…)`
    assert sum(token in compact for token in shown) == 2 * 2 * 5  # two schedules, add and remove, five each
    full = render_markdown(plan, mask=mask, full=True)
    assert all(token in full for token in shown) and "… and" not in full


def test_needs_force_is_listed_above_the_table() -> None:
    plan, _ = _big_plan(schedules=2, per_schedule=60)
    text = render_markdown(plan, mask=make_masker(None))
    top = text.index("**⚠️ Needs `--force`:**\n\n- Mettl · 1000 · Exam 0 \\| day: removes 30 of 40 candidates\n")
    assert top < text.index("| Action |")
    assert "0 to disable, 2 need --force." in text
