"""Property: whatever YAML text or CSV bytes a desired-state file holds, loading ends in a project or in a
ConfigError whose every line names a place — never in any other exception (no traceback for a user)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from reconciler.errors import ConfigError
from reconciler.loader import load_project

from .hostile import NOW, SECRET_ENV

PROJECT = """providers:
  mettl: {public_key: "${METTL_PUBLIC_KEY}", private_key: "${METTL_PRIVATE_KEY}"}
  questionmark: {username: "${QUESTIONMARK_USERNAME}", password: "${QUESTIONMARK_PASSWORD}"}
desired: [desired]
secrets: [WEBHOOK_AUTH]
"""

YAML_TOKENS = [
    "schedules:", "candidate_lists:", "suppressions:", "name: ", "provider: mettl", "provider: questionmark",
    "assessment_id: ", "window: ", "start: ", "end: ", "time_zone: ", "mettl: ", "questionmark: ", "candidates: ",
    "metadata: ", "csv: team.csv", "test_notification_basic_auth_header: ", "archived: ", "expires: ",
    "\n", "\n  ", "\n    ", "- ", "[", "]", "{", "}", ": ", ", ", "? ", "<<: ", "&a ", "*a", "&b ", "*b",
    "!!binary ", "!!set ", "!!omap ", "!!timestamp ", "!!float ", "!!str ", "!!python/name:os.system ", "!local ",
    "|", ">-", "'", '"', "# c", "---\n", "...\n", "%YAML 1.1\n", "%TAG ! tag:x,2000:\n", "\t", "\x00", "\ufeff",
    "12", "-1", "1e999", "0x1F", ".nan", "2027-01-10", "2027-01-10T09:00:00", "2020-01-01 09:00:00", "null", "~",
    "true", "no", "UTC", "US/Eastern", "Europe/London", "a@example.com", "${WEBHOOK_AUTH}", "${X}", "$${", "${",
    "é", "\u2028", "\\", "%", "@", "`",
]
CSV_TOKENS = [b"email", b"name", b",", b"\n", b"\r\n", b"\r", b'"', b'""', b"a@example.com", b"Ana", b"\x00",
              b"\xff", b"\xef\xbb\xbf", b"\xe9", b" ", b"\t", b";", b"Employee ID", b"x" * 200]

yaml_texts = st.one_of(
    st.lists(st.sampled_from(YAML_TOKENS), max_size=40).map("".join),
    st.text(max_size=200),
)
csv_bytes = st.one_of(st.lists(st.sampled_from(CSV_TOKENS), max_size=40).map(b"".join), st.binary(max_size=200))


def _load_or_config_error(project: Path) -> None:
    try:
        load_project(project / "reconciler.yaml", SECRET_ENV, now=NOW)
    except ConfigError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.message and "\n" not in problem.message
            assert "Traceback" not in problem.message


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "desired").mkdir()
    (tmp_path / "reconciler.yaml").write_text(PROJECT, encoding="utf-8")
    return tmp_path


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=yaml_texts)
def test_any_yaml_text_ends_in_a_project_or_a_config_error(project: Path, text: str) -> None:
    (project / "desired" / "a.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
    _load_or_config_error(project)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=csv_bytes)
def test_any_csv_bytes_end_in_a_project_or_a_config_error(project: Path, data: bytes) -> None:
    (project / "desired" / "a.yaml").write_text("candidate_lists:\n  team: {csv: team.csv}\n", encoding="utf-8")
    (project / "desired" / "team.csv").write_bytes(data)
    _load_or_config_error(project)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=yaml_texts)
def test_any_project_file_ends_in_a_project_or_a_config_error(project: Path, text: str) -> None:
    (project / "reconciler.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
    _load_or_config_error(project)
