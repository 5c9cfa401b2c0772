"""A candidate's explicit Questionmark login: a YAML field and a CSV column of the same name, checked as
`model/g_participant.rst` allows a login (a bad one is a problem at file:line), never a registration field."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import ConfigError
from reconciler.loader import load_project

PROJECT = "providers: {questionmark: {sign_in: {welcome_email: false, sso_id: email}}}\ndesired: [desired]\n"
SCHEDULE = ("schedules:\n  - {{name: S, provider: questionmark, assessment_id: '1', candidates: [{lists}],\n"
            "     questionmark: {{monitoring: UNMONITORED}}}}\n")


def _project(root: Path, lists: str, csv: str | None = None, used: str = "people") -> None:
    (root / "desired").mkdir()
    (root / "reconciler.yaml").write_text(PROJECT, encoding="utf-8")
    (root / "desired" / "s.yaml").write_text(lists + SCHEDULE.format(lists=used), encoding="utf-8")
    if csv is not None:
        (root / "desired" / "people.csv").write_text(csv, encoding="utf-8")


def test_a_yaml_field_and_a_csv_column_give_the_login(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _project(tmp_path, "candidate_lists:\n  people: {csv: people.csv}\n  more:\n"
             "    - {email: ana@example.com, name: Ana, questionmark_login: jsmith}\n",
             "email,name,questionmark_login,site\nraj@example.com,Raj,E100234,Pune\nmei@example.com,Mei,,Oslo\n",
             used="people, more")
    loaded = load_project("reconciler.yaml", {})
    [schedule] = loaded.desired.schedules
    by_email = {c.email: c for c in schedule.candidates or ()}
    assert by_email["raj@example.com"].questionmark_login == "E100234"
    assert by_email["raj@example.com"].fields == {"site": "Pune"}  # not a registration field
    assert by_email["mei@example.com"].questionmark_login is None
    assert by_email["ana@example.com"].questionmark_login == "jsmith"
    questionmark = loaded.project.providers.questionmark
    assert questionmark is not None and questionmark.sign_in.sso_id == "email"
    assert not questionmark.sign_in.welcome_email and questionmark.monitoring == "UNMONITORED"
    assert schedule.questionmark is not None and schedule.questionmark.monitoring == "UNMONITORED"


def test_an_illegal_login_is_a_problem_at_its_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _project(tmp_path, "candidate_lists:\n  people: {csv: people.csv}\n",
             "email,name,questionmark_login\nraj@example.com,Raj,ok\nmei@example.com,Mei,mei#2\n")
    with pytest.raises(ConfigError) as caught:
        load_project("reconciler.yaml", {})
    (problem,) = caught.value.problems
    assert str(problem).startswith("desired/people.csv:3: candidate_lists.people[1].questionmark_login:")


def test_an_illegal_yaml_login_is_a_problem_at_its_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _project(tmp_path,
             "candidate_lists:\n  people:\n    - {email: ana@example.com, name: Ana, questionmark_login: 'a/b'}\n")
    with pytest.raises(ConfigError) as caught:
        load_project("reconciler.yaml", {})
    (problem,) = caught.value.problems
    assert str(problem).startswith("desired/s.yaml:3: candidate_lists.people[0].questionmark_login:")
