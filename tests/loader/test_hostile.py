"""Hostile desired state (issue 9): every project of the corpus ends in exit 1 with one `file:line:` line per
problem, no traceback, and no secret of the environment or byte of an outside file in any output."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler import cli, clock
from reconciler.errors import ConfigError
from reconciler.loader import load_project

from .conftest import FIXTURES
from .hostile import FORBIDDEN, HOSTILE_DIR, NOW, SECRET_ENV, prepare
from .test_problems import CASES

READ_ONLY = "the environment is read only in credentials and secret fields, not here (write $${ for a literal ${)"
ABSOLUTE = "is an absolute path: name files relative to the file that names them"
OUTSIDE = "is outside the folder of reconciler.yaml"
LINK_OUT = "is a symlink that points outside the folder of reconciler.yaml"
LEGACY = "is a legacy zone name: use"

# corpus project -> every problem expected, in report order: (file:line, field path, phrase of the message)
HOSTILE: dict[str, list[tuple[str, str, str]]] = {
    # files stay inside the repository
    "path-proc-environ": [("desired/lists.yaml:2", "candidate_lists.team.csv", f"'/proc/self/environ' {ABSOLUTE}")],
    "path-absolute-csv": [("desired/lists.yaml:2", "candidate_lists.team.csv", f"'/etc/passwd' {ABSOLUTE}")],
    "path-dotdot-csv": [("desired/lists.yaml:2", "candidate_lists.team.csv", f"'../../outside-secret.csv' {OUTSIDE}")],
    "path-symlink-out-csv": [("desired/lists.yaml:2", "candidate_lists.team.csv", f"'team.csv' {OUTSIDE}")],
    "path-device-csv": [("desired/lists.yaml:2", "candidate_lists.team.csv", f"'zero.csv' {OUTSIDE}")],
    "path-fifo-csv": [("desired/lists.yaml:2", "candidate_lists.team.csv", "desired/pipe.csv is not a regular file")],
    "path-folder-as-csv": [("desired/lists.yaml:2", "candidate_lists.team.csv", "is not a regular file (a folder)")],
    "path-symlink-out-yaml": [("reconciler.yaml:4", "desired[0]", f"desired/evil.yaml {LINK_OUT}")],
    "path-symlink-dir-out": [("reconciler.yaml:4", "desired[0]", f"desired/shared {LINK_OUT}")],
    "path-device-yaml": [("reconciler.yaml:4", "desired[0]", f"desired/zero.yaml {LINK_OUT}")],
    "path-fifo-yaml": [("reconciler.yaml:4", "desired[0]", "desired/pipe.yaml is not a regular file (a FIFO)")],
    "path-looping-symlink": [("reconciler.yaml:4", "desired[0]", "desired/loop.yaml is a symlink that loops")],
    "path-dangling-symlink": [("reconciler.yaml:4", "desired[0]", "desired/gone.yaml is a symlink to nothing")],
    "path-desired-absolute": [("reconciler.yaml:4", "desired[1]", f"'/etc' {ABSOLUTE}")],
    "path-desired-dotdot": [("reconciler.yaml:4", "desired[1]", f"'../elsewhere' {OUTSIDE}")],
    "path-desired-proc": [("reconciler.yaml:4", "desired[0]", f"'/proc/self/environ' {ABSOLUTE}")],
    "path-csv-header-like-env": [
        ("desired/team.csv:1", "candidate_lists.team", "missing column 'email' and 'name' in the header"),
    ],
    "path-csv-long-cell": [("desired/team.csv:2", "candidate_lists.team[0].email", "not a valid email address: 'xxx")],
    # the environment only where secrets belong
    "env-in-metadata": [("desired/a.yaml:5", "schedules[0].metadata.Note", f"${{RECONCILER_PII_KEY}}: {READ_ONLY}")],
    "env-in-email": [("desired/a.yaml:5", "schedules[0].candidates[0].email", f"${{METTL_PRIVATE_KEY}}: {READ_ONLY}")],
    "env-in-name": [("desired/a.yaml:2", "schedules[0].name", f"${{QUESTIONMARK_PASSWORD}}: {READ_ONLY}")],
    "env-in-csv-path": [("desired/lists.yaml:2", "candidate_lists.team.csv", f"${{HOME}}: {READ_ONLY}")],
    "env-in-base-url": [("reconciler.yaml:2", "providers.mettl.base_url", f"${{METTL_PRIVATE_KEY}}: {READ_ONLY}")],
    "env-unlisted-in-credentials": [
        ("reconciler.yaml:3", "providers.questionmark.password", "environment variable OTHER_SECRET is not listed "
         "under secrets: in reconciler.yaml (this field may also use QUESTIONMARK_PASSWORD)"),
    ],
    "env-unlisted-in-secret-field": [
        ("desired/a.yaml:5", "schedules[0].mettl.test_notification_basic_auth_header",
         "environment variable OTHER_SECRET is not listed under secrets: in reconciler.yaml"),
    ],
    "env-credential-var-in-secret-field": [
        ("desired/a.yaml:5", "schedules[0].mettl.test_notification_basic_auth_header",
         "environment variable METTL_PRIVATE_KEY is not listed under secrets:"),
    ],
    "env-listed-but-unset": [
        ("desired/a.yaml:5", "schedules[0].mettl.test_notification_basic_auth_header",
         "environment variable UNSET_WEBHOOK is not set"),
    ],
    "env-bad-secrets-list": [("reconciler.yaml:5", "secrets[0]", "string should match pattern")],
    # bounded input
    "limit-alias-bomb": [("desired/a.yaml:4", "", "aliases (*name) repeat more than 20000 values in all")],
    "limit-recursive-alias": [("desired/a.yaml:1", "", "the alias *loop is inside its own anchor")],
    "limit-big-file": [
        ("reconciler.yaml:4", "desired[0]", "desired/big.yaml is too large: 11534336 bytes, the limit is 10000000 "
         "(limits.max_file_bytes in reconciler.yaml)"),
    ],
    "limit-file-size-configured": [("reconciler.yaml:4", "desired[0]", "the limit is 200 (limits.max_file_bytes")],
    "limit-deep-nesting-flow": [("desired/deep.yaml:1", "", "nested deeper than 32 levels")],
    "limit-deep-nesting-block": [("desired/deep.yaml:2", "", "nested deeper than 32 levels")],
    "limit-csv-rows": [("desired/team.csv:5", "candidate_lists.team", "more than 3 rows (limits.max_csv_rows")],
    "limit-files": [("reconciler.yaml:4", "desired[0]", "desired holds more than 3 files to read (limits.max_files")],
    # what a scheduler expects
    "window-start-number": [
        ("desired/a.yaml:5", "schedules[0].window.start",
         "expected a local date and time such as 2027-01-10T09:00:00, got a number"),
    ],
    "window-date-only": [
        ("desired/a.yaml:5", "schedules[0].window.start", "a date without a time: write the local date and time, "
         "e.g. 2027-01-10T09:00:00"),
    ],
    "window-not-a-time": [
        ("desired/a.yaml:5", "schedules[0].window.start", "expected a local date and time such as 2027-01-10T09:00:00"),
    ],
    "window-in-the-past": [
        ("desired/a.yaml:5", "schedules[0].window", "the window is over (it ended 2020-01-10T17:00:00 Europe/London): "
         "move it, or mark the schedule archived: true"),
    ],
    "name-padded": [
        ("desired/a.yaml:2", "schedules[0].name", "leading or trailing spaces in ' Java Hiring Drive ': write "
         "'Java Hiring Drive'"),
    ],
    "zone-legacy-est": [("desired/a.yaml:5", "schedules[0].window.time_zone", f"'EST' {LEGACY} an IANA city zone such "
                         "as America/New_York")],
    "zone-legacy-us-eastern": [("desired/a.yaml:5", "schedules[0].window.time_zone", f"'US/Eastern' {LEGACY} the IANA "
                                "city zone America/New_York")],
    "zone-legacy-pst8pdt": [("desired/a.yaml:5", "schedules[0].window.time_zone", f"'PST8PDT' {LEGACY} an IANA city "
                             "zone such as America/Los_Angeles")],
    "zone-legacy-renamed": [("desired/a.yaml:5", "schedules[0].window.time_zone", f"'Asia/Calcutta' {LEGACY} the IANA "
                             "city zone Asia/Kolkata")],
    "assessment-mettl-not-digits": [
        ("desired/a.yaml:4", "schedules[0].assessment_id", "'JAVA-1' is not an assessment id: a Mettl assessment id is "
         "digits"),
    ],
    "assessment-questionmark-not-number": [
        ("desired/a.yaml:4", "schedules[0].assessment_id", "'QM-42' is not an assessment id: a Questionmark "
         "AssessmentID is an Int64 number"),
    ],
    "assessment-questionmark-past-int64": [
        ("desired/a.yaml:4", "schedules[0].assessment_id", "an Int64 number, at most 9223372036854775807"),
    ],
    "suppression-expires-number": [
        ("desired/a.yaml:6", "suppressions[0].expires", "expected a date such as 2027-01-31, got a number"),
    ],
    "setting-time-number": [
        ("desired/a.yaml:5", "schedules[0].questionmark.resume_until", "expected a local date and time such as "
         "2027-01-10T09:00:00, got a number"),
    ],
    "yaml-not-utf8": [("desired/a.yaml:2", "", "not UTF-8 text (bad byte at offset 24)")],
}

CONFIG_CASES = sorted(CASES)
LINE = re.compile(r"^error: (?P<file>[^\s:]+):(?P<line>\d+): (?:(?P<path>\S+): )?(?P<message>.+)$")


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The working folder; a case is prepared in it by `_project`, and loaded from inside it."""
    monkeypatch.setattr(clock, "utcnow", lambda: NOW)
    yield tmp_path


def _project(case: str, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    project = prepare(case, workdir) if case in HOSTILE else FIXTURES / case
    monkeypatch.chdir(project)
    return project


def test_every_corpus_folder_has_expectations() -> None:
    assert {p.name for p in HOSTILE_DIR.iterdir() if p.is_dir()} == set(HOSTILE)
    assert len(HOSTILE) + len(CONFIG_CASES) >= 45


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_problem_reported_at_file_line(case: str, hostile: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _project(case, hostile, monkeypatch)
    with pytest.raises(ConfigError) as caught:
        load_project("reconciler.yaml", SECRET_ENV, now=NOW)
    got = [(str(p.position), p.path, p.message) for p in caught.value.problems]
    expected = HOSTILE[case]
    assert [(where, path) for where, path, _ in got] == [(where, path) for where, path, _ in expected], got
    for (_, _, message), (_, _, phrase) in zip(got, expected, strict=True):
        assert phrase in message, message
        assert len(message) < 300


@pytest.mark.parametrize("command", [["validate"], ["plan", "--sandbox"]], ids=["validate", "plan"])
@pytest.mark.parametrize("case", sorted(HOSTILE) + CONFIG_CASES)
def test_cli_ends_in_one_clean_line_per_problem(case: str, command: list[str], hostile: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    project = _project(case, hostile, monkeypatch)
    args = [*command, "--config", str(project / "reconciler.yaml")]
    if "--sandbox" in command:
        args += ["--sandbox-dir", str(hostile / "sandbox")]
    env: dict[str, str | None] = {**SECRET_ENV}
    if case in CASES:
        env["WEBHOOK_AUTH"] = None  # as the loader tests of tests/fixtures/config load them: unset
    result = CliRunner().invoke(cli.main, args, env=env, catch_exceptions=False)

    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    expected = (HOSTILE | CASES)[case]
    assert len(lines) == len(expected), lines
    for line, (where, path, _) in zip(lines, expected, strict=True):
        match = LINE.match(line)
        assert match, line
        assert f"{match['file']}:{match['line']}" == where and (match["path"] or "") == path, line
    assert not (hostile / "sandbox").exists()
    output = result.stdout + result.stderr
    assert "Traceback" not in output and "internal error" not in output
    for secret in FORBIDDEN:
        assert secret not in output and secret.lower() not in output.lower()
