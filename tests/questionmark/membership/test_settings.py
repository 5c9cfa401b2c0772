"""Membership-mode settings: the effective access mode, the QMWISe URL it needs, and validation of schedules that
share one roster group."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from reconciler.errors import ConfigError
from reconciler.loader.project import load_project
from reconciler.models import QuestionmarkProviderConfig

QMWISE = "https://ondemand.questionmark.com/qmwise/123456/qmwise.asmx"


def test_access_defaults_to_membership_only_with_a_qmwise_url() -> None:
    assert QuestionmarkProviderConfig().access_mode == "seats"
    assert QuestionmarkProviderConfig(qmwise_url=QMWISE).access_mode == "membership"
    assert QuestionmarkProviderConfig(qmwise_url=QMWISE, access="seats").access_mode == "seats"
    assert QuestionmarkProviderConfig(qmwise_url=QMWISE).qmwise_batch <= 1000


def test_membership_without_a_qmwise_url_is_refused() -> None:
    with pytest.raises(ValidationError, match="access: membership needs qmwise_url"):
        QuestionmarkProviderConfig(access="membership")
    with pytest.raises(ValidationError, match="not a valid http"):
        QuestionmarkProviderConfig(qmwise_url="ftp://example.com/qmwise.asmx")
    with pytest.raises(ValidationError):
        QuestionmarkProviderConfig(qmwise_url=QMWISE, qmwise_batch=5000)


def _project(tmp_path: Path, access: str, second: str) -> Path:
    (tmp_path / "desired").mkdir(parents=True)
    (tmp_path / "reconciler.yaml").write_text(
        "providers:\n  questionmark:\n    username: u\n    password: p\n"
        f"    qmwise_url: {QMWISE}\n    access: {access}\n", encoding="utf-8")
    (tmp_path / "desired" / "qm.yaml").write_text(
        "schedules:\n"
        "  - name: Morning\n    provider: questionmark\n    assessment_id: '1'\n    group: Ops\n"
        "    candidates: [{email: ana@example.com, name: Ana}]\n"
        "  - name: Evening\n    provider: questionmark\n    assessment_id: '1'\n    group: Ops\n"
        f"    candidates: [{second}]\n", encoding="utf-8")
    return tmp_path / "reconciler.yaml"


def test_two_schedules_sharing_a_group_must_list_the_same_candidates(tmp_path: Path) -> None:
    path = _project(tmp_path, "membership", "{email: raj@example.com, name: Raj}")
    with pytest.raises(ConfigError) as caught:
        load_project(path, {})
    text = str(caught.value)
    assert "qm.yaml:11: schedules[1].candidates: Questionmark · 1 · Evening and Questionmark · 1 · Morning" in text
    assert "qm.yaml:2) share the Questionmark group 'Ops'" in text


def test_the_same_candidates_or_seats_mode_pass(tmp_path: Path) -> None:
    assert load_project(_project(tmp_path / "a", "membership", "{email: ana@example.com, name: Ana}"), {})
    assert load_project(_project(tmp_path / "b", "seats", "{email: raj@example.com, name: Raj}"), {})
