"""Output cannot drive the runner: a name or other user string holding a control character or a line break
(which could start a `::add-mask::` or `::warning` line in a CI log) is refused at validation, with one clear
error at its file:line; free text (a suppression's reason, a metadata value) may hold tabs and line feeds."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler import cli
from reconciler.errors import ConfigError
from reconciler.loader import load_project

PROJECT = "providers:\n  mettl: {}\n  questionmark: {}\n"
INJECTED = "Java\\n::add-mask::x"


def _problems(tmp_path: Path, desired: str, csv: str | None = None) -> list[str]:
    (tmp_path / "desired").mkdir(exist_ok=True)
    (tmp_path / "reconciler.yaml").write_text(PROJECT, encoding="utf-8")
    (tmp_path / "desired" / "exams.yaml").write_text(desired, encoding="utf-8")
    if csv is not None:
        (tmp_path / "desired" / "people.csv").write_text(csv, encoding="utf-8", newline="")
    try:
        load_project(tmp_path / "reconciler.yaml", {})
    except ConfigError as exc:
        return [str(p) for p in exc.problems]
    return []


def _schedule(name: str = "Java", extra: str = "", provider: str = "mettl") -> str:
    return (f'schedules:\n  - name: "{name}"\n    provider: {provider}\n    assessment_id: 769688\n'
            f"    candidates: [{{email: ana@example.com, name: Ana}}]\n{extra}")


@pytest.mark.parametrize(("written", "shown"), [
    (INJECTED, "a line feed"),
    ("Java\\r::warning::x", "a carriage return"),
    ("Java\\e[31m", "an escape"),
    ("Java\\x85", "U+0085"),  # C1: next line
    ("Java\\u2028::error::x", "U+2028"),
    ("Java\\x00", "U+0000"),
    ("Ja\\tva", "a tab"),
])
def test_a_schedule_name_with_a_control_character_is_refused_at_its_line(
        tmp_path: Path, written: str, shown: str) -> None:
    [problem] = _problems(tmp_path, _schedule(written))
    assert problem.startswith(f"{tmp_path / 'desired' / 'exams.yaml'}:2: schedules[0].name: contains a control "
                              f"character ({shown}, at character ") or (
        "desired/exams.yaml:2: schedules[0].name: contains a control character" in problem), problem


@pytest.mark.parametrize(("extra", "line", "path"), [
    ("    previous_names: [\"Old\\nName\"]\n", 6, "schedules[0].previous_names"),
    ("    mettl:\n      source_app: \"app\\r\"\n", 6, "schedules[0].mettl: source_app"),
])
def test_other_one_line_strings_of_a_schedule(tmp_path: Path, extra: str, line: int, path: str) -> None:
    [problem] = _problems(tmp_path, _schedule(extra=extra))
    assert f"exams.yaml:{line}: {path}" in problem and "control character" in problem, problem


def test_questionmark_group_and_metadata(tmp_path: Path) -> None:
    extra = ('    group: "team\\n::stop-commands::x"\n'
             '    metadata:\n      notes: "first line\\nsecond line\\tand a tab"\n      bell: "ding\\a"\n')
    problems = _problems(tmp_path, _schedule(extra=extra, provider="questionmark"))
    assert len(problems) == 2, problems
    assert "exams.yaml:6: schedules[0].group: contains a control character (a line feed" in problems[0]
    assert "exams.yaml:7: schedules[0].metadata: contains a control character (U+0007" in problems[1]
    text_only = _schedule(extra='    metadata:\n      notes: "line one\\nline two\\tand a tab"\n',
                          provider="questionmark")
    assert _problems(tmp_path, text_only) == []
    key = _problems(tmp_path, _schedule(extra='    metadata:\n      "key\\n": ok\n', provider="questionmark"))
    assert len(key) == 1 and "schedules[0].metadata: contains a control character (a line feed" in key[0]


def test_an_inline_candidate_name(tmp_path: Path) -> None:
    desired = ("candidate_lists:\n  team:\n    - {email: ana@example.com, name: Ana}\n"
               f'    - {{email: raj@example.com, name: "{INJECTED}"}}\n')
    [problem] = _problems(tmp_path, desired)
    assert "exams.yaml:4: candidate_lists.team[1].name: contains a control character (a line feed" in problem


def test_a_csv_candidate_name_and_field(tmp_path: Path) -> None:
    desired = "candidate_lists:\n  team: {csv: people.csv}\n"
    csv = ('email,name,site\r\nana@example.com,Ana,Pune\r\nraj@example.com,"Raj\n::add-mask::x",Pune\r\n'
           "mei@example.com,Mei,\x1b[2J\r\n")
    problems = _problems(tmp_path, desired, csv)
    assert len(problems) == 2, problems
    assert "people.csv:3: candidate_lists.team[1].name: contains a control character (a line feed" in problems[0]
    assert "people.csv:5: candidate_lists.team[2].fields" in problems[1] and "an escape" in problems[1]


def test_a_tab_in_a_plain_csv_name_is_refused_and_a_clean_file_loads(tmp_path: Path) -> None:
    desired = "candidate_lists:\n  team: {csv: people.csv}\n" + _schedule().replace(
        "[{email: ana@example.com, name: Ana}]", "[team]")
    [problem] = _problems(tmp_path, desired, "email,name\nana@example.com,Ana Lima\nraj@example.com,Raj\tKumar\n")
    assert problem.endswith("people.csv:3: candidate_lists.team[1].name: contains a control character (a tab, at "
                            "character 4): names and other text must be printable, on one line"), problem
    assert _problems(tmp_path, desired, "email,name\nana@example.com,Ana Lima\nraj@example.com,Raj Kumar\n") == []


def test_a_suppressions_reason_is_free_text(tmp_path: Path) -> None:
    desired = ('suppressions:\n  - schedule: Java\n    owner: ops\n    reason: "line one\\nline two"\n'
               "    expires: 2030-01-01\n"
               '  - schedule: "Java\\n"\n    owner: ops\n    reason: "x\\e"\n    expires: 2030-01-01\n')
    problems = _problems(tmp_path, desired)
    assert len(problems) == 2, problems
    assert "exams.yaml:6: suppressions[1].schedule" in problems[0]
    assert "exams.yaml:8: suppressions[1].reason" in problems[1]


def test_the_command_line_shows_one_clear_line_and_exits_1(tmp_path: Path) -> None:
    _problems(tmp_path, _schedule(INJECTED))
    result = CliRunner().invoke(cli.main, ["validate", "--config", str(tmp_path / "reconciler.yaml")])
    assert result.exit_code == 1
    [line] = [x for x in result.stderr.splitlines() if x.strip()]
    assert line.startswith("error: ") and "exams.yaml:2: schedules[0].name: contains a control character" in line
    assert "::add-mask::" not in result.output  # the value itself is not echoed
