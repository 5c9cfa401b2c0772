"""People in output meant for others: initials, a masked address and a keyed pseudonym; no public key."""

from __future__ import annotations

import os
import subprocess
import sys

from reconciler.models import Candidate
from reconciler.plan import CandidateChanges, Plan
from reconciler.render.pii import NO_KEY_NOTICE, initials, make_masker, masked_address, person, scrub
from reconciler.render.text import render_text
from tests.changes import update


def test_initials_and_masked_address() -> None:
    assert initials("Ana María Lima") == "A.M.L."
    assert initials("  o'brien  sean ") == "O.S."
    assert masked_address("Ana.Lima@Example.COM") == "a***@example.com"


def test_a_person_is_recognisable_but_not_named() -> None:
    mask = make_masker("k")
    token = mask("ana.lima@example.com").partition("@")[0]
    assert person("ana.lima@example.com", "Ana Lima", mask) == f"A.L. a***@example.com ({token})"
    assert person("ana.lima@example.com", None, mask) == f"a***@example.com ({token})"
    assert person("ana.lima@example.com", "Ana Lima", lambda e: e) == "ana.lima@example.com (Ana Lima)"


def test_masked_output_is_not_masked_again() -> None:
    mask = make_masker("k")
    line = person("ana.lima@example.com", "Ana Lima", mask) + " and " + mask("raj@example.com")
    assert scrub(line, make_masker("other")) == line


def test_the_text_plan_masks_people_when_asked() -> None:
    change = update("mettl", "1", "Final", candidates=CandidateChanges(
        add=(Candidate(email="ana.lima@example.com", name="Ana Lima"),), remove=("raj.patel@example.com",),
        remove_names={"raj.patel@example.com": "Raj Patel"}, existing=1))
    plan = Plan.build([change])
    mask = make_masker("k")
    text = render_text(plan, mask)
    assert "Ana Lima" not in text and "Raj Patel" not in text and "example.com (" in text
    assert "+ A.L. a***@example.com (cand-" in text and "- R.P. r***@example.com (cand-" in text
    assert "+ ana.lima@example.com (Ana Lima)" in render_text(plan)  # trusted output: as it is


def _pipe(key: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "RECONCILER_PII_KEY"}
    if key:
        env["RECONCILER_PII_KEY"] = key
    return subprocess.run([sys.executable, "-m", "reconciler.render.pii"], input="ana@example.com\n", text=True,
                          capture_output=True, env=env, check=True, timeout=60)


def test_without_a_key_each_run_has_its_own_and_says_so() -> None:
    first, second = _pipe(None), _pipe(None)
    assert first.stdout != second.stdout  # a random key per run: no public default to test guesses against
    assert first.stderr.strip() == NO_KEY_NOTICE
    keyed = [_pipe("repo-secret"), _pipe("repo-secret")]
    assert keyed[0].stdout == keyed[1].stdout and keyed[0].stderr == ""
    assert keyed[0].stdout.strip() == make_masker("repo-secret")("ana@example.com")
