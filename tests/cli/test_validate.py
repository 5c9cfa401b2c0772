"""validate: exit 0 on the example, exit 1 with one `file:line: path: message` line per problem."""

from __future__ import annotations

import re
from pathlib import Path

from .conftest import ACME, Cli, error_lines, no_traceback

PROBLEM_LINE = re.compile(r"^error: (?P<file>\S+\.ya?ml):(?P<line>\d+): (?P<path>[\w.\[\]]+): (?P<message>.+)$")


def test_the_example_is_valid(run: Cli) -> None:
    result = run("validate", "--config", ACME / "reconciler.yaml")
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"valid: \d+ schedule\(s\) in \d+ file\(s\)\n", result.stdout)


def test_a_broken_config_lists_every_problem_at_file_line(run: Cli, tmp_path: Path) -> None:
    (tmp_path / "desired").mkdir()
    (tmp_path / "reconciler.yaml").write_text(
        "providers:\n"
        "  mettl:\n"
        "    public_key: ${METTL_PUBLIC_KEY}\n"
        "    private_key: ${METTL_PRIVATE_KEY}\n"
        "safety: {max_removal_fraction: 2}\n",
        encoding="utf-8")
    (tmp_path / "desired" / "exams.yaml").write_text(
        "schedules:\n"
        "  - name: Java\n"
        "    provider: mettl\n"
        "    assessment_id: 1\n"
        "    candidates: [{email: not-an-email, name: X}]\n"
        "    colour: red\n"
        "  - provider: mettl\n"
        "    assessment_id: 2\n",
        encoding="utf-8")

    result = run("validate", "--config", tmp_path / "reconciler.yaml")

    assert result.exit_code == 1
    no_traceback(result)
    assert result.stdout == ""
    lines = error_lines(result)
    matches = [PROBLEM_LINE.match(line) for line in lines]
    assert all(matches), lines
    found = {(Path(m["file"]).name, int(m["line"]), m["path"]) for m in matches if m}
    assert found == {
        ("reconciler.yaml", 5, "safety.max_removal_fraction"),
        ("exams.yaml", 5, "schedules[0].candidates[0].email"),
        ("exams.yaml", 6, "schedules[0].colour"),
        ("exams.yaml", 7, "schedules[1].name"),
    }


def test_an_unreadable_yaml_file_is_one_clean_line(run: Cli, tmp_path: Path) -> None:
    (tmp_path / "reconciler.yaml").write_text("providers: [unclosed\n", encoding="utf-8")
    result = run("validate", "--config", tmp_path / "reconciler.yaml")
    assert result.exit_code == 1
    no_traceback(result)
    assert all(line.startswith("error: ") and "reconciler.yaml:" in line for line in error_lines(result))


def test_a_missing_project_file_is_an_error(run: Cli, tmp_path: Path) -> None:
    result = run("validate", "--config", tmp_path / "nowhere.yaml")
    assert result.exit_code == 1
    no_traceback(result)
    assert "nowhere.yaml" in result.stderr
