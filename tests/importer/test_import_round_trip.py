"""Import round-trips a real tenant: past windows archived, the check is validate's and plan's, one vendor's
configuration is enough, nothing is written before every check passed, no empty defaults in the YAML."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine

from reconciler.providers.questionmark.mapping import external_id

from .test_questionmark_import import ASSESSMENT, Project

BOTH_VENDORS = """\
providers:
  mettl:
    public_key: ${METTL_PUBLIC_KEY}
    private_key: ${METTL_PRIVATE_KEY}
  questionmark:
    username: ${QUESTIONMARK_USERNAME}
    password: ${QUESTIONMARK_PASSWORD}
desired: [desired]
"""
AFTER_CERTIFICATION = datetime(2027, 5, 1, 12, tzinfo=UTC)
"""Safety Certification's window (27 March to 2 April 2027) is over; Safety Induction's (3 May) is not."""


@pytest.fixture(autouse=True)
def _acme_time(at_acme_time: datetime) -> None:
    """The seeded windows are read at the example's instant (before both), whatever today's date is."""


def test_a_window_that_is_over_is_written_archived_and_validates(tmp_path: Path) -> None:
    project = Project(tmp_path)
    with time_machine.travel(AFTER_CERTIFICATION, tick=True):
        result = project.run("import", "questionmark", "--group", "Safety Team", "--adopt")
        assert result.exit_code == 0, result.output + result.stderr
        assert "3 schedule(s), 2 candidate(s); 1 archived (window over" in result.stdout
        found = project.schedules("safety-team")
        assert found["Safety Certification"]["archived"] is True
        assert "archived" not in found["Safety Induction"]
        assert project.run("validate").exit_code == 0
        assert project.run("plan", "--detailed-exitcode").exit_code == 0


def test_importing_one_vendor_needs_only_its_configuration(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.config.write_text(BOTH_VENDORS, encoding="utf-8")  # Mettl configured, its keys unset
    result = project.run("import", "questionmark", "--group", "Safety Team", "--adopt")
    assert result.exit_code == 0, result.output + result.stderr
    assert "Checked: planning the imported schedules shows no changes." in result.stdout
    assert "mettl" not in result.stderr


def test_nothing_is_written_or_marked_when_the_check_fails(tmp_path: Path) -> None:
    project = Project(tmp_path)
    desired = project.root / "desired"
    desired.mkdir()
    # Claims the UI-made schedule's name as a previous name: the imported file would not validate beside it.
    (desired / "renamed.yaml").write_text(
        "schedules:\n"
        "  - name: Safety Certification 2027\n"
        "    previous_names: [Safety Certification]\n"
        "    provider: questionmark\n"
        f"    assessment_id: \"{ASSESSMENT}\"\n"
        "    group: Safety Team\n", encoding="utf-8")
    before = project.state.read_text(encoding="utf-8")
    result = project.run("import", "questionmark", "--group", "Safety Team", "--adopt")
    assert result.exit_code == 1
    assert "nothing was written" in result.stderr
    assert "previous name 'Safety Certification' is the name of another declared schedule" in result.stderr
    assert not project.file("safety-team").exists()
    assert "adopted" not in result.stdout
    assert project.state.read_text(encoding="utf-8") == before  # no ownership mark written
    assert external_id(ASSESSMENT, "Safety Certification") not in before


def test_the_yaml_has_no_empty_defaults(tmp_path: Path) -> None:
    project = Project(tmp_path)
    assert project.run("import", "questionmark", "--group", "Safety Team", "--adopt").exit_code == 0
    text = project.file("safety-team").read_text(encoding="utf-8")
    assert "previous_names" not in text and "archived" not in text


def test_without_a_group_the_visible_groups_are_listed(tmp_path: Path) -> None:
    project = Project(tmp_path)
    result = project.run("import", "questionmark")
    assert result.exit_code == 0, result.output + result.stderr
    assert "Groups this account can see" in result.stdout
    assert "  Safety Team" in result.stdout.splitlines()
    assert not any((project.root / "desired").iterdir())  # nothing imported


def test_the_file_size_limit_applies_before_writing(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.config.write_text(project.config.read_text(encoding="utf-8") + "limits: {max_file_bytes: 600}\n",
                              encoding="utf-8")
    result = project.run("import", "questionmark", "--group", "Safety Team", "--adopt")
    assert result.exit_code == 1
    assert "nothing was written: the imported file would not validate" in result.stderr
    assert "imported-questionmark-safety-team.yaml" in result.stderr and "is too large" in result.stderr
    assert not project.file("safety-team").exists()
    assert "adopted" not in result.stdout
