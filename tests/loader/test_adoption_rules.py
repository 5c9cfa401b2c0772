"""Rules a newcomer meets first: a window names its zone (or the project gives one), one mistake is one line,
a `;`-separated CSV and a bad date are named as such, and overlapping lists agree or are named at both places."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import ConfigError
from reconciler.loader import LoadedProject, load_project

PROJECT = "providers:\n  mettl: {}\ndesired: [desired]\n"
SCHEDULE = """\
  - name: Walk-in
    provider: mettl
    assessment_id: "769688"
    window: {start: "2027-01-10T09:00:00", end: "2027-01-12T17:00:00"%s}
"""


def _project(tmp_path: Path, desired: str, *, project: str = PROJECT, **files: str) -> Path:
    (tmp_path / "desired").mkdir()
    (tmp_path / "desired" / "a.yaml").write_text(desired, encoding="utf-8")
    for name, text in files.items():
        (tmp_path / "desired" / name.replace("_", ".")).write_text(text, encoding="utf-8")
    config = tmp_path / "reconciler.yaml"
    config.write_text(project, encoding="utf-8")
    return config


def _load(config: Path) -> LoadedProject:
    return load_project(config, env={})


def _problems(config: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        _load(config)
    return [str(p) for p in caught.value.problems]


def test_a_window_without_time_zone_is_an_error(tmp_path: Path) -> None:
    config = _project(tmp_path, "schedules:\n" + SCHEDULE % "")
    found = _problems(config)
    assert len(found) == 1
    assert found[0].startswith(f"{tmp_path / 'desired' / 'a.yaml'}:5: schedules[0].window: the window has no "
                               "time_zone"), found
    assert "set a default time_zone: in reconciler.yaml" in found[0]


def test_the_project_default_zone_applies_to_windows_without_one(tmp_path: Path) -> None:
    config = _project(tmp_path, "schedules:\n" + SCHEDULE % "" + SCHEDULE.replace("Walk-in", "Kept") % (
        ", time_zone: UTC"), project=PROJECT + "time_zone: Asia/Kolkata\n")
    schedules = {s.name: s for s in _load(config).desired.schedules}
    assert schedules["Walk-in"].window is not None and schedules["Walk-in"].window.time_zone == "Asia/Kolkata"
    assert schedules["Walk-in"].window.start_utc.hour == 3  # 09:00 in India is 03:30 UTC
    assert schedules["Kept"].window is not None and schedules["Kept"].window.time_zone == "UTC"


def test_a_bad_project_default_zone_is_named(tmp_path: Path) -> None:
    config = _project(tmp_path, "schedules: []\n", project=PROJECT + "time_zone: Mars/Base\n")
    found = _problems(config)
    assert len(found) == 1 and "time_zone: unknown time zone 'Mars/Base'" in found[0], found


def test_a_wrong_type_for_candidate_lists_is_one_error(tmp_path: Path) -> None:
    config = _project(tmp_path, "candidate_lists:\n  - cohort\nschedules:\n" + SCHEDULE % ", time_zone: UTC"
                      + "    candidates: [cohort]\n")
    found = _problems(config)
    assert found == [f"{tmp_path / 'desired' / 'a.yaml'}:1: candidate_lists: expected a mapping, got a list"]


def test_a_semicolon_separated_csv_is_named(tmp_path: Path) -> None:
    config = _project(tmp_path, "candidate_lists:\n  cohort: {csv: cohort.csv}\n",
                      cohort_csv="email;name\nana@example.com;Ana Lima\n")
    found = _problems(config)
    assert len(found) == 1
    assert "cohort.csv:1: candidate_lists.cohort: the columns are separated by ';', not ','" in found[0], found


@pytest.mark.parametrize(("written", "message"), [
    ("2027-13-01", "2027-13-01 is not a real date: expected a date such as 2027-01-31"),
    ('"soon"', "expected a date such as 2027-01-31, got 'soon'"),
    ('"2027-02-03T10:00:00"', "a date and time: write the date alone, e.g. 2027-02-03"),
    ("12", "expected a date such as 2027-01-31, got a number"),
])
def test_a_bad_suppression_date_is_worded_like_other_dates(tmp_path: Path, written: str, message: str) -> None:
    config = _project(tmp_path, f"suppressions:\n  - {{schedule: A, owner: ops, reason: x, expires: {written}}}\n")
    found = _problems(config)
    assert found == [f"{tmp_path / 'desired' / 'a.yaml'}:2: suppressions[0].expires: {message}"]


def test_a_window_time_that_does_not_exist_is_named(tmp_path: Path) -> None:
    config = _project(tmp_path, "schedules:\n" + SCHEDULE.replace("2027-01-10T09", "2027-02-30T09") % (
        ", time_zone: UTC"))
    found = _problems(config)
    assert len(found) == 1 and "2027-02-30T09:00:00 is not a real date and time" in found[0], found


OVERLAP = """\
candidate_lists:
  cohort-a:
    - {email: ana@example.com, name: Ana Lima}
    - {email: raj@example.com, name: Raj Patel}
  cohort-b: {csv: b.csv}
schedules:
""" + SCHEDULE % ", time_zone: UTC" + "    candidates: [cohort-a, cohort-b]\n"


def test_a_candidate_in_two_lists_with_the_same_details_is_listed_once(tmp_path: Path) -> None:
    config = _project(tmp_path, OVERLAP, b_csv="email,name\nANA@example.com,Ana Lima\nmei@example.com,Mei Chen\n")
    (schedule,) = _load(config).desired.schedules
    assert sorted(c.email for c in schedule.candidates or ()) == ["ana@example.com", "mei@example.com",
                                                                  "raj@example.com"]


def test_conflicting_details_are_an_error_naming_both_places(tmp_path: Path) -> None:
    config = _project(tmp_path, OVERLAP, b_csv="email,name\nmei@example.com,Mei Chen\nraj@example.com,Raj P.\n")
    found = _problems(config)
    a_yaml, b_csv = tmp_path / "desired" / "a.yaml", tmp_path / "desired" / "b.csv"
    assert found == [f"{b_csv}:3: schedules[0].candidates: candidate raj@example.com is listed twice with "
                     f"different details: name 'Raj Patel' in list 'cohort-a' ({a_yaml}:4), name 'Raj P.' in "
                     f"list 'cohort-b' ({b_csv}:3)"]
