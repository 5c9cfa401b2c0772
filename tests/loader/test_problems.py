"""Every kind of user mistake is reported at the exact file:line with its field path and a clear message."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from reconciler.errors import ConfigError
from reconciler.loader import LoadedProject

from .conftest import FIXTURES

Load = Callable[..., LoadedProject]

# fixture folder -> every problem expected, in report order: (file:line, field path, phrase of the message)
CASES: dict[str, list[tuple[str, str, str]]] = {
    "unknown-field": [
        (
            "desired/schedules.yaml:7",
            "schedules[0].mettl.web_procturing",
            "unknown field 'web_procturing' (did you mean 'web_proctoring'?)",
        ),
    ],
    "bad-email": [
        (
            "desired/lists.yaml:4",
            "candidate_lists.java-cohort[1].email",
            "not a valid email address: 'raj-at-example.com'",
        ),
    ],
    "unknown-provider": [
        ("desired/schedules.yaml:3", "schedules[0].provider", "'moodle' is not allowed; use 'mettl' or 'questionmark'"),
    ],
    "window-end-before-start": [
        ("desired/schedules.yaml:5", "schedules[0].window", "window end must be after its start"),
    ],
    "unknown-time-zone": [
        ("desired/schedules.yaml:8", "schedules[0].window.time_zone", "unknown time zone 'Europe/Londn'"),
    ],
    "window-with-offset": [
        ("desired/schedules.yaml:6", "schedules[0].window.start", "write a local time without an offset"),
    ],
    "dst-gap": [
        ("desired/schedules.yaml:5", "schedules[0].window", "2026-03-29T01:30:00 does not exist in Europe/London"),
    ],
    "dst-ambiguous": [
        ("desired/schedules.yaml:5", "schedules[0].window", "2026-10-25T01:30:00 is ambiguous in Europe/London"),
    ],
    "missing-list": [
        (
            "desired/all.yaml:9",
            "schedules[0].candidates[0]",
            "no candidate list named 'java-cohrt' (did you mean 'java-cohort'?)",
        ),
    ],
    "duplicate-schedule": [
        (
            "desired/b.yaml:3",
            "schedules[0]",
            "duplicate schedule Mettl · 769688 · Java Hiring Drive (also defined at desired/a.yaml:2)",
        ),
    ],
    "duplicate-list": [
        ("desired/b.yaml:3", "candidate_lists.java-cohort", "already defined at desired/a.yaml:2"),
    ],
    "duplicate-email": [
        (
            "desired/all.yaml:8",
            "schedules[0].candidates",
            "candidate ana@example.com is listed twice with different details: name 'Ana Lima' in list "
            "'java-cohort' (desired/all.yaml:3), name 'Ana L.' in entry candidates[1] (desired/all.yaml:8)",
        ),
    ],
    "provider-not-configured": [
        (
            "desired/schedules.yaml:3",
            "schedules[0].provider",
            "provider 'questionmark' is not configured under providers: in reconciler.yaml",
        ),
    ],
    "unset-env": [
        (
            "desired/schedules.yaml:6",
            "schedules[0].mettl.test_notification_basic_auth_header",
            "environment variable WEBHOOK_AUTH is not set",
        ),
        # issue 9: the environment is read only in secret fields; elsewhere `${` is an error, set or not
        ("desired/schedules.yaml:7", "schedules[0].mettl.source_app", "${SOURCE_APP}: the environment is read only"),
        ("reconciler.yaml:3", "providers.mettl.base_url", "${METTL_BASE_URL}: the environment is read only"),
    ],
    "yaml-syntax": [
        ("desired/schedules.yaml:3", "", "YAML syntax error: could not find expected ':'"),
    ],
    "duplicate-yaml-key": [
        ("desired/a.yaml:5", "", "duplicate key 'provider'"),
    ],
    "broken-file-hides-missing-list": [
        ("desired/lists.yaml:2", "", "YAML syntax error: expected ',' or ']'"),
    ],
    "csv-missing-column": [  # issue 9: the header is not printed (it may be any file's first line)
        ("desired/ops-team.csv:1", "candidate_lists.ops-team", "missing column 'email' in the header (the first row) "
         "(is 'mail' meant to be 'email'?)"),
    ],
    "csv-bad-row": [
        (
            "desired/lists.yaml:3",
            "candidate_lists.night-shift.csv",
            "cannot read CSV file: No such file or directory (desired/lists/missing.csv)",
        ),
        ("desired/lists/ops-team.csv:3", "candidate_lists.ops-team[1].email", "not a valid email address"),
        ("desired/lists/ops-team.csv:5", "candidate_lists.ops-team[2].name", "at least 1 character"),
    ],
    "accommodation-not-candidate": [
        (
            "desired/schedules.yaml:9",
            'schedules[0].accommodations["kofi@example.com"]',
            "kofi@example.com is not a candidate of this schedule",
        ),
    ],
    "metadata-key-too-long": [
        (
            "desired/schedules.yaml:7",
            'schedules[0].metadata["' + "k" * 40 + '…"]',
            "key: string should have at most 200 characters",
        ),
    ],
    "unknown-top-level-key": [
        ("desired/a.yaml:2", "schedule", "unknown top-level key 'schedule' (did you mean 'schedules'?)"),
    ],
    "missing-field": [
        ("desired/a.yaml:2", "schedules[0].assessment_id", "required field is missing"),
        ("desired/a.yaml:4", "schedules[0].window.end", "required field is missing"),
    ],
    "missing-desired-path": [
        ("reconciler.yaml:5", "desired[1]", "no such file or folder: nowhere"),
    ],
    "several-problems": [
        ("desired/all.yaml:3", "candidate_lists.java-cohort[0].name", "required field is missing"),
        ("desired/all.yaml:4", "candidate_lists.java-cohort[1].email", "not a valid email address: 'raj@example'"),
        ("desired/all.yaml:9", "schedules[0].window.time_zone", "unknown time zone 'Mars/Olympus'"),
        ("desired/all.yaml:11", "schedules[1].provider", "'moodle' is not allowed"),
        ("desired/all.yaml:14", "schedules[2].name", "required field is missing"),
        ("desired/all.yaml:16", "schedules[2].metadata.cohort", "expected a string, got a number (put it in quotes)"),
        ("desired/all.yaml:17", "suppression", "unknown top-level key 'suppression'"),
    ],
}

VALID = {"valid", "missing-credentials"}


@pytest.mark.parametrize("scenario", sorted(CASES))
def test_problem_reported_at_file_line(scenario: str, load_fixture: Load) -> None:
    with pytest.raises(ConfigError) as caught:
        load_fixture(scenario, {})
    got = [(str(p.position), p.path, p.message) for p in caught.value.problems]
    expected = CASES[scenario]
    assert [(where, path) for where, path, _ in got] == [(where, path) for where, path, _ in expected], got
    for (_, _, message), (_, _, phrase) in zip(got, expected, strict=True):
        assert phrase in message
        assert "\n" not in message and "pydantic" not in message and "Value error" not in message


def test_error_text_is_file_line_path_message(load_fixture: Load) -> None:
    with pytest.raises(ConfigError) as caught:
        load_fixture("unknown-time-zone", {})
    assert str(caught.value) == (
        "desired/schedules.yaml:8: schedules[0].window.time_zone: unknown time zone 'Europe/Londn'"
        " (use an IANA name like Europe/London, or UTC+05:30)"
    )


def test_every_fixture_folder_is_a_case() -> None:
    folders = {p.name for p in FIXTURES.iterdir() if p.is_dir()}
    assert folders == set(CASES) | VALID
