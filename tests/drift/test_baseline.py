"""`reconciler.baseline` on its own: the desired state at a git ref, no CLI and no network."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.baseline import APPLIED_TAG, BaselineError, desired_entries, find_baseline

from .test_cli import Repo


@pytest.mark.parametrize(("text", "entries"), [
    ("desired: [a, b/c.yaml]\n", ["a", "b/c.yaml"]),
    ("providers: {}\n", ["desired"]),
    ("desired: []\n", ["desired"]),
    ("desired: not-a-list\n", ["desired"]),
    ("- just\n- a list\n", ["desired"]),
    ("desired: [unclosed\n", ["desired"]),  # broken YAML: the loader reports it, not this
])
def test_desired_entries_read_leniently(text: str, entries: list[str]) -> None:
    assert desired_entries(text) == entries


def test_the_desired_state_as_it_was_at_the_tag(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    assert find_baseline(repo.root / "reconciler.yaml", None) is None  # no commit, no tag: no baseline
    repo.commit("first")
    repo.git("tag", APPLIED_TAG)
    repo.write_exams(count=9)
    (repo.root / "desired" / "more.yaml").write_text("schedules: []\n", encoding="utf-8")
    repo.commit("second, not applied")
    found = find_baseline(repo.root / "reconciler.yaml", None)
    assert found is not None and found.label.startswith(f"{APPLIED_TAG} (")
    [schedule] = found.desired.schedules
    assert schedule.name == "Ops Drill" and schedule.mettl is not None
    assert schedule.mettl.web_proctoring is not None and schedule.mettl.web_proctoring.count == 5
    head = find_baseline(repo.root / "reconciler.yaml", "HEAD")
    assert head is not None and head.label.startswith("HEAD (")
    assert head.desired.schedules[0].mettl is not None
    assert head.desired.schedules[0].mettl.web_proctoring is not None
    assert head.desired.schedules[0].mettl.web_proctoring.count == 9


def test_a_ref_that_does_not_exist_or_no_repository(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    repo.commit("first")
    with pytest.raises(BaselineError, match="--baseline nope: no such commit, branch or tag"):
        find_baseline(repo.root / "reconciler.yaml", "nope")
    outside = tmp_path / "plain"
    outside.mkdir()
    assert find_baseline(outside / "reconciler.yaml", None) is None
    with pytest.raises(BaselineError, match="is not in a git repository"):
        find_baseline(outside / "reconciler.yaml", "main")
