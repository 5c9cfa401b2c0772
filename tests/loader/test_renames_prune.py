"""`previous_names` is checked at file:line across schedules; `prune` reaches the desired state per provider."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import ConfigError
from reconciler.loader import LoadedProject, load_project

from .conftest import FULL_ENV

PROJECT = """\
providers:
  mettl: {public_key: "${METTL_PUBLIC_KEY}", private_key: "${METTL_PRIVATE_KEY}"}
  questionmark: {username: "${QUESTIONMARK_USERNAME}", password: "${QUESTIONMARK_PASSWORD}"%s}
desired: [desired]
"""


def _load(tmp: Path, monkeypatch: pytest.MonkeyPatch, schedules: str, project: str = PROJECT % "") -> LoadedProject:
    (tmp / "desired").mkdir()
    (tmp / "reconciler.yaml").write_text(project, encoding="utf-8")
    (tmp / "desired" / "s.yaml").write_text("schedules:\n" + schedules, encoding="utf-8")
    monkeypatch.chdir(tmp)
    return load_project("reconciler.yaml", FULL_ENV)


def _problems(tmp: Path, monkeypatch: pytest.MonkeyPatch, schedules: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        _load(tmp, monkeypatch, schedules)
    return [str(p) for p in caught.value.problems]


def test_previous_names_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = _load(tmp_path, monkeypatch, """\
  - {name: New, provider: mettl, assessment_id: 1, previous_names: [Old, Older]}
  - {name: Old, provider: mettl, assessment_id: 2}
""")
    assert loaded.desired.schedules[0].previous_names == ("Old", "Older")
    assert loaded.desired.prune == frozenset()


def test_a_previous_name_of_another_declared_schedule_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _problems(tmp_path, monkeypatch, """\
  - {name: New, provider: mettl, assessment_id: 1, previous_names: [Old]}
  - {name: Old, provider: mettl, assessment_id: 1}
""") == ["desired/s.yaml:2: schedules[0].previous_names: previous name 'Old' is the name of another declared "
         "schedule in assessment 1"]


def test_two_schedules_claiming_one_previous_name_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _problems(tmp_path, monkeypatch, """\
  - {name: A, provider: questionmark, assessment_id: 7, previous_names: [Old]}
  - name: B
    provider: questionmark
    assessment_id: 7
    previous_names: [Old]
""") == ["desired/s.yaml:6: schedules[1].previous_names: previous name 'Old' is also a previous name of 'A'"]


@pytest.mark.parametrize(("names", "message"), [
    ("[New]", "previous_names lists the schedule's own name 'New'"),
    ("[Old, Old]", "previous_names lists a name twice"),
    ("Old", "expected a list, got a string"),
    ("[' Old']", "leading or trailing spaces in previous name ' Old'"),
])
def test_previous_names_mistakes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, names: str, message: str) -> None:
    (problem,) = _problems(tmp_path, monkeypatch,
                           f"  - {{name: New, provider: mettl, assessment_id: 1, previous_names: {names}}}\n")
    assert problem.startswith("desired/s.yaml:") and message in problem


@pytest.mark.parametrize(("top", "questionmark", "expected"), [
    ("", "", set()),
    ("prune: true\n", "", {"mettl", "questionmark"}),
    ("prune: true\n", ", prune: false", {"mettl"}),
    ("", ", prune: true", {"questionmark"}),
])
def test_prune_per_provider(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, top: str, questionmark: str,
                            expected: set[str]) -> None:
    loaded = _load(tmp_path, monkeypatch, "  - {name: A, provider: mettl, assessment_id: 1}\n",
                   project=PROJECT % questionmark + top)
    assert loaded.desired.prune == expected
