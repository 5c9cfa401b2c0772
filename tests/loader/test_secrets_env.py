"""`${VAR}` is read only in secret fields, for listed variables; what is read is scrubbed in every form."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from click.testing import CliRunner

from reconciler import cli
from reconciler.errors import ConfigError, redact, scrub
from reconciler.loader import load_project

from .hostile import NOW

SECRET = "S3cret/Pa+ss=word:42"


@pytest.mark.parametrize("form", [
    SECRET, SECRET.lower(), SECRET.upper(), quote(SECRET, safe=""), quote(SECRET), quote_plus(SECRET),
    quote(SECRET, safe="").lower(), json.dumps(SECRET)[1:-1],
    base64.b64encode(SECRET.encode()).decode(), base64.urlsafe_b64encode(SECRET.encode()).decode(),
    *(base64.b64encode(prefix.encode() + SECRET.encode()).decode() for prefix in ("u:", "us:", "use:")),
])
def test_scrub_removes_every_form_of_a_secret(form: str) -> None:
    text = f"before {form} after"
    cleaned = scrub(text, [SECRET])
    assert form not in cleaned and cleaned.startswith("before ") and cleaned.endswith(" after")
    assert form not in redact(text, (SECRET,))


def test_scrub_leaves_ordinary_text_and_short_values_alone() -> None:
    text = "schedule Java Hiring Drive: 3 candidates added"
    assert scrub(text, ["Hiring Drive X", "abc", ""]) == text
    assert scrub("the key abcdef", ["abcdef"], min_length=6) == "the key ***"
    assert scrub("the key abcde", ["abcde"], min_length=6) == "the key abcde"


def _project(root: Path, project: str, desired: str) -> Path:
    (root / "desired").mkdir()
    (root / "reconciler.yaml").write_text(project, encoding="utf-8")
    (root / "desired" / "a.yaml").write_text(desired, encoding="utf-8")
    return root / "reconciler.yaml"


CREDENTIALS = """providers:
  mettl: {public_key: "${METTL_PUBLIC_KEY}", private_key: "${MY_KEY:-fallback-key}"}
"""
HOOKED = """schedules:
  - name: Price $${AMOUNT}
    provider: mettl
    assessment_id: 769688
    mettl: {test_notification_basic_auth_header: "Basic ${HOOK_TOKEN}"}
"""


def test_listed_variables_are_read_in_secret_fields_and_registered(tmp_path: Path) -> None:
    config = _project(tmp_path, CREDENTIALS + "secrets: [HOOK_TOKEN, MY_KEY, UNUSED]\n", HOOKED)
    env = {"METTL_PUBLIC_KEY": "pub-value-1", "HOOK_TOKEN": "hook-token-2", "UNUSED": "unused-value-3"}
    loaded = load_project(config, env)
    schedule = loaded.desired.schedules[0]
    assert schedule.name == "Price ${AMOUNT}"  # `$${` is a literal `${`, allowed anywhere
    assert schedule.mettl is not None and schedule.mettl.test_notification_basic_auth_header is not None
    assert schedule.mettl.test_notification_basic_auth_header.get_secret_value() == "Basic hook-token-2"
    mettl = loaded.project.providers.mettl
    assert mettl is not None and mettl.private_key is not None
    assert mettl.private_key.get_secret_value() == "fallback-key"
    assert {"pub-value-1", "hook-token-2", "Basic hook-token-2", "unused-value-3", "fallback-key"} <= loaded.secrets


def test_a_credential_reads_only_its_own_variable_unless_listed(tmp_path: Path) -> None:
    config = _project(tmp_path, 'providers:\n  mettl: {public_key: "${QUESTIONMARK_PASSWORD}"}\n',
                      "schedules: []\n")
    with pytest.raises(ConfigError) as caught:
        load_project(config, {"QUESTIONMARK_PASSWORD": "qm-pass"})
    assert str(caught.value).endswith(
        "reconciler.yaml:2: providers.mettl.public_key: environment variable QUESTIONMARK_PASSWORD is not listed "
        "under secrets: in reconciler.yaml (this field may also use METTL_PUBLIC_KEY)"
    )
    assert "qm-pass" not in str(caught.value)


def test_the_cli_registers_every_value_read_before_printing(tmp_path: Path) -> None:
    config = _project(tmp_path, CREDENTIALS + "secrets: [HOOK_TOKEN, MY_KEY]\n", HOOKED)
    state = cli.RunState()
    env = {"METTL_PUBLIC_KEY": "pub-value-1", "HOOK_TOKEN": "hook-token-2", "RECONCILER_PII_KEY": "pii-key-4"}
    result = CliRunner().invoke(cli.main, ["validate", "--config", str(config)], env=env, obj=state)
    assert result.exit_code == 0, result.output
    assert {"pub-value-1", "hook-token-2", "pii-key-4", "fallback-key"} <= set(state.secrets)
    encoded = base64.b64encode(b"x:hook-token-2").decode()
    cleaned = state.clean(f"HOOK-TOKEN-2 / {encoded}")
    assert cleaned.startswith("*** / ") and encoded not in cleaned and "***" in cleaned.split(" / ")[1]


WINDOW = "    window: {start: 2020-01-10T09:00:00, end: 2020-01-10T17:00:00, time_zone: Europe/London}\n"


@pytest.mark.parametrize(("extra", "now", "fails"), [
    ("", NOW, True),
    ("    archived: true\n", NOW, False),
    ("", None, False),  # no clock: a past snapshot (drift baseline) is not checked
    ("    archived: false\n", datetime(2020, 1, 10, 16, 0, tzinfo=UTC), False),  # not over yet
])
def test_a_window_that_is_over_needs_archived(tmp_path: Path, extra: str, now: datetime | None, fails: bool) -> None:
    desired = "schedules:\n  - name: Old\n    provider: mettl\n    assessment_id: 769688\n" + WINDOW + extra
    config = _project(tmp_path, "providers: {mettl: {}}\n", desired)
    if fails:
        with pytest.raises(ConfigError, match="the window is over"):
            load_project(config, {}, now=now)
    else:
        loaded = load_project(config, {}, now=now)
        assert loaded.desired.schedules[0].window is not None  # reconciled as written


@pytest.mark.parametrize(("provider", "assessment_id", "zone", "start"), [
    ("mettl", "769688", "Europe/Oslo", "2027-01-10T09:00:00"),
    ("mettl", "1", "UTC", "2027-01-10 09:00"),
    ("questionmark", "9223372036854775807", "UTC+05:30", "2027-01-10T09:00:00.5"),
    ("questionmark", "65433000065433", "America/Argentina/Buenos_Aires", "2027-01-10T09:00"),
])
def test_what_a_scheduler_expects_is_accepted(tmp_path: Path, provider: str, assessment_id: str, zone: str,
                                              start: str) -> None:
    desired = (f"schedules:\n  - name: Exam\n    provider: {provider}\n    assessment_id: {assessment_id}\n"
               f"    window: {{start: '{start}', end: 2027-01-12T17:00:00, time_zone: {zone}}}\n")
    config = _project(tmp_path, "providers: {mettl: {}, questionmark: {}}\n", desired)
    schedule = load_project(config, {}, now=NOW).desired.schedules[0]
    assert schedule.window is not None and schedule.window.time_zone == zone
    assert schedule.assessment_id == assessment_id
