"""A full valid project loads; credentials may be missing; ${VAR} interpolation."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest

from reconciler.errors import ConfigError, Position
from reconciler.loader import LoadedProject, interpolate, load_project
from reconciler.models import Candidate, ScheduleKey

from .conftest import FIXTURES

Load = Callable[..., LoadedProject]


def test_full_example_loads(load_fixture: Load) -> None:
    loaded = load_fixture("valid")
    assert loaded.path == FIXTURES / "valid" / "reconciler.yaml"
    assert [p.relative_to(FIXTURES / "valid").as_posix() for p in loaded.files] == [
        "desired/lists.yaml",
        "desired/more/suppressions.yml",
        "desired/schedules.yaml",
    ]
    mettl = loaded.project.providers.mettl
    assert mettl is not None and mettl.public_key == "pub-key"
    assert mettl.private_key is not None and mettl.private_key.get_secret_value() == "priv-key"
    qm = loaded.project.providers.questionmark
    assert qm is not None and qm.base_url == "https://ondemand.questionmark.com/deliveryodata/123456"
    assert loaded.project.safety.max_removal_fraction == 0.25
    assert loaded.missing_env == {}

    java, ops = loaded.desired.schedules
    assert java.key == ScheduleKey("mettl", "769688", "Java Hiring Drive")
    assert [c.email for c in java.candidates or ()] == ["ana@example.com", "raj@example.com", "extra@example.com"]
    assert java.candidates is not None and java.candidates[1].fields == {"Date of birth": "Sep 16 1998"}
    assert java.mettl is not None and java.mettl.test_notification_basic_auth_header is not None
    assert java.mettl.test_notification_basic_auth_header.get_secret_value() == "Basic d2ViaG9vazpzZWNyZXQ="

    # CSV list: emails normalised, empty extra fields left out, blank rows skipped
    assert [(c.email, c.name, c.fields) for c in ops.candidates or ()] == [
        ("mei@example.com", "Mei Chen", {"Employee ID": "E-17"}),
        ("kofi@example.com", "Kofi Mensah", {}),
    ]
    assert set(ops.accommodations) == {"kofi@example.com"}
    assert ops.metadata == {"cohort": "2026-11", "owner": "ops"}

    suppression = loaded.desired.suppressions[0]
    assert (suppression.schedule, suppression.paths, suppression.expires) == (
        "Java Hiring Drive",
        ("window",),
        date(2026, 12, 31),
    )
    assert loaded.positions[java.key] == Position("desired/schedules.yaml", 3, 5)
    assert loaded.positions[ops.key] == Position("desired/schedules.yaml", 12, 5)


def test_unquoted_timestamps_stay_naive_local_times(load_fixture: Load) -> None:
    java, ops = load_fixture("valid").desired.schedules
    assert ops.window is not None and java.window is not None
    # unquoted (T and space forms) and quoted timestamps all load as the wall-clock time written
    assert (ops.window.start, ops.window.end) == (datetime(2026, 11, 2, 8, 0), datetime(2026, 11, 2, 17, 30))
    assert ops.window.start.tzinfo is None
    assert java.window.start == datetime(2026, 12, 1, 9, 0)


def test_missing_credentials_are_recorded_not_errors(load_fixture: Load) -> None:
    loaded = load_fixture("missing-credentials", {"WEBHOOK_AUTH": "x"})
    assert dict(loaded.missing_env) == {
        "providers.mettl.public_key": ("METTL_PUBLIC_KEY", Position("reconciler.yaml", 4, 17)),
        "providers.mettl.private_key": ("METTL_PRIVATE_KEY", Position("reconciler.yaml", 5, 18)),
        "providers.questionmark.username": ("QUESTIONMARK_USERNAME", Position("reconciler.yaml", 8, 15)),
        "providers.questionmark.password": ("QUESTIONMARK_PASSWORD", Position("reconciler.yaml", 9, 15)),
    }
    mettl = loaded.project.providers.mettl
    assert mettl is not None and mettl.public_key is None and mettl.private_key is None
    assert len(loaded.desired.schedules) == 1


def test_env_defaults_to_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"METTL_PUBLIC_KEY": "from-os", "WEBHOOK_AUTH": "w"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(FIXTURES / "missing-credentials")
    loaded = load_project(FIXTURES / "missing-credentials" / "reconciler.yaml")
    assert loaded.project.providers.mettl is not None
    assert loaded.project.providers.mettl.public_key == "from-os"


def test_missing_project_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    with pytest.raises(ConfigError) as caught:
        load_project("no-such-project.yaml", {})
    assert [str(p) for p in caught.value.problems] == [
        "no-such-project.yaml: cannot read file: No such file or directory"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("${A}", "a"),
        ("x-${A}-${B}-y", "x-a-b-y"),
        ("${UNSET:-fallback}", "fallback"),
        ("${EMPTY:-fallback}", "fallback"),
        ("${A:-fallback}", "a"),
        ("${UNSET:-}", ""),
        ("${EMPTY}", ""),
        ("$${A} costs $5", "${A} costs $5"),
    ],
)
def test_interpolate(text: str, expected: str) -> None:
    assert interpolate(text, {"A": "a", "B": "b", "EMPTY": ""}) == expected


def test_interpolate_unset_raises_key_error() -> None:
    with pytest.raises(KeyError) as caught:
        interpolate("pre-${MISSING}", {})
    assert caught.value.args == ("MISSING",)


def test_interpolate_malformed_reference() -> None:
    with pytest.raises(ValueError, match="malformed"):
        interpolate("${1BAD}", {})


ODD_BUT_LEGAL = ["sean.o'brien@example.com", "a+b@x.com", "x.y-z@x.com", "zoë@exämple.de", '"john doe"@example.com',
                 "Old.Applicant@Example.com", "ZOË@EXÄMPLE.DE"]
GARBAGE = ["raj@example", "a b@x.com", "x@@example.com", "ana@example.com,bob@example.com", "no-at-sign",
           "a@localhost", "trailing.dot.@example.com"]


def _project_with_emails(root: Path, emails: list[str]) -> None:
    (root / "desired").mkdir()
    (root / "reconciler.yaml").write_text("providers: {mettl: {}}\ndesired: [desired]\n", encoding="utf-8")
    quoted = [json.dumps(email, ensure_ascii=False) for email in emails]
    people = "".join(f"    - {{email: {email}, name: N{i}}}\n" for i, email in enumerate(quoted))
    (root / "desired" / "lists.yaml").write_text(
        "candidate_lists:\n  people:\n" + people
        + "schedules:\n  - {name: S, provider: mettl, assessment_id: 1, candidates: [people]}\n", encoding="utf-8")


def test_emails_as_the_standards_define_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _project_with_emails(tmp_path, ODD_BUT_LEGAL[:-1])
    [schedule] = load_project("reconciler.yaml", {}).desired.schedules
    assert [c.email for c in schedule.candidates or ()] == [
        "sean.o'brien@example.com", "a+b@x.com", "x.y-z@x.com", "zoë@exämple.de", '"john doe"@example.com',
        "old.applicant@example.com"]
    assert Candidate(email=ODD_BUT_LEGAL[-1], name="Z").email == "zoë@exämple.de"  # one identity, any case


def test_garbage_emails_are_refused_at_file_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _project_with_emails(tmp_path, GARBAGE)
    with pytest.raises(ConfigError) as caught:
        load_project("reconciler.yaml", {})
    assert [str(p) for p in caught.value.problems] == [
        f"desired/lists.yaml:{line}: candidate_lists.people[{index}].email: not a valid email address: {email!r}"
        for index, (line, email) in enumerate(zip(range(3, 3 + len(GARBAGE)), GARBAGE, strict=True))]
