"""The test clock itself: --clock-shift parsing, a started program runs at the test's instant (frozen or
shifted), and example copies hold only the files git tracks."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from .clocks import ACME_NOW, parse_shift, python_at_test_time, reconciler_at_test_time
from .support.examples import copy_example

NOW_IN_CHILD = "from datetime import UTC, datetime; print(datetime.now(UTC).isoformat())"


@pytest.mark.parametrize(("spec", "days"), [("3y", 1095), ("400d", 400), ("-30d", -30), ("0", 0), ("", 0)])
def test_a_shift_is_years_or_days(spec: str, days: int) -> None:
    assert parse_shift(spec) == timedelta(days=days)


@pytest.mark.parametrize("spec", ["3", "y", "3 years", "1.5y", "3m"])
def test_another_shift_is_a_usage_error(spec: str) -> None:
    with pytest.raises(pytest.UsageError, match=r"--clock-shift: expected e\.g\. 3y or 400d"):
        parse_shift(spec)


def _child_now(*extra: str) -> datetime:
    done = subprocess.run([*python_at_test_time(), *extra], capture_output=True, text=True, check=True, timeout=60)
    return datetime.fromisoformat(done.stdout.strip().splitlines()[-1])


def test_a_started_program_runs_at_the_frozen_instant(at_acme_time: datetime) -> None:
    seen = _child_now("-c", NOW_IN_CHILD)
    assert ACME_NOW <= seen < ACME_NOW + timedelta(minutes=5)  # ticking from the test's instant


def test_a_started_program_follows_a_moved_clock() -> None:
    later = datetime(2041, 2, 3, 4, 5, tzinfo=UTC)
    with time_machine.travel(later, tick=True):
        seen = _child_now("-c", NOW_IN_CHILD)
    assert later <= seen < later + timedelta(minutes=5)


def test_the_reconciler_stand_in_runs_at_the_test_instant(at_acme_time: datetime, tmp_path: Path) -> None:
    shim = reconciler_at_test_time(tmp_path / "bin")
    done = subprocess.run([str(shim), "--version"], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.startswith("reconciler ")
    assert f"{ACME_NOW:%Y-%m-%dT%H:%M}" in shim.read_text(encoding="utf-8")


def _git(folder: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=folder, check=True,
                   capture_output=True)


def test_an_example_copy_holds_only_tracked_files(tmp_path: Path) -> None:
    source = tmp_path / "repo" / "examples" / "acme"
    (source / "desired").mkdir(parents=True)
    (source / "reconciler.yaml").write_text("desired: [desired]\n")
    (source / "desired" / "a.yaml").write_text("schedules: []\n")
    _git(tmp_path / "repo", "init", "-q")
    _git(tmp_path / "repo", "add", "-A")
    _git(tmp_path / "repo", "commit", "-qm", "example")
    (source / ".reconciler-sandbox").mkdir()  # what the README's walkthrough leaves behind
    (source / ".reconciler-sandbox" / "mettl.json").write_text("{}")
    (source / "desired" / "notes.txt").write_text("untracked")

    copied = copy_example(source, tmp_path / "copy")

    assert sorted(str(p.relative_to(copied)) for p in copied.rglob("*") if p.is_file()) == [
        "desired/a.yaml", "reconciler.yaml"]


def test_outside_git_the_copy_skips_what_runs_leave_behind(tmp_path: Path) -> None:
    source = tmp_path / "acme"
    (source / ".reconciler-sandbox").mkdir(parents=True)
    (source / ".reconciler-sandbox" / "mettl.json").write_text("{}")
    (source / "reconciler.yaml").write_text("desired: [desired]\n")

    copied = copy_example(source, tmp_path / "copy")

    assert [p.name for p in copied.iterdir()] == ["reconciler.yaml"]
