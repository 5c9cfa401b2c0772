"""`reconciler doctor` against the emulators: it passes on the demo world, reads only, and its output holds."""

from __future__ import annotations

import functools
import json
import re
import time
from pathlib import Path

import pytest

from reconciler.sandbox.quirks import TWO_DAYS

from ..cli.conftest import ACME, Cli, no_traceback
from .conftest import TenantFactory, mettl_world

ROW = re.compile(r"^([✓✗–])  (.+?)  +(documented|[MQ]-\d\d)  ")
STATUSES = {"pass": "✓", "fail": "✗", "manual": "–", "skipped": "–"}


def test_doctor_passes_against_both_emulators_with_the_example(tenant: TenantFactory) -> None:
    live = tenant()

    result = live.doctor()

    assert result.exit_code == 0, result.output
    rows = [ROW.match(line) for line in result.stdout.splitlines()]
    marks = [m[1] for m in rows if m]
    assert "✗" not in marks and marks.count("✓") >= 15, result.stdout
    assert {m[3] for m in rows if m} >= {"M-01", "M-05", "M-06", "M-07", "M-08", "M-09", "Q-01", "Q-04", "Q-07",
                                              "Q-12"}
    assert "manual:" in result.stdout and "0 failed" in result.stdout
    assert live.writes() == []


def test_doctor_passes_against_the_mettl_emulator_alone(tenant: TenantFactory) -> None:
    live = tenant(["mettl"])

    result, rows = live.rows()

    assert result.exit_code == 0, result.stdout
    assert {r["status"] for r in rows.values()} == {"pass", "manual"}, rows
    assert rows["mettl candidate status rows"]["detail"].startswith("5 row(s)")
    assert live.writes() == []


def test_doctor_checks_skip_pages_and_count_on_the_questionmark_emulator(tenant: TenantFactory) -> None:
    live = tenant(["questionmark"])

    result, rows = live.rows()

    assert result.exit_code == 0, result.stdout
    row = rows["questionmark $skip pages"]
    assert row["status"] == "pass" and "`Schedules/$count`" in row["detail"], row


def test_doctor_with_the_embedded_sandbox(run: Cli, tmp_path: Path) -> None:
    result = run("doctor", "--config", ACME / "reconciler.yaml", "--sandbox", "--sandbox-dir", tmp_path / "sandbox")

    assert result.exit_code == 0, result.output
    assert "mettl credentials" in result.stdout and "questionmark credentials" in result.stdout


def test_doctor_never_writes_even_when_checks_fail(tenant: TenantFactory) -> None:
    live = tenant(quirks={"mettl": ["M-06", "M-08"], "questionmark": ["Q-01", "Q-07"]})

    result = live.doctor()

    assert result.exit_code == 1
    calls = [c for server in live.servers.values() for c in server.calls]
    assert len(calls) >= 7 and {c.method for c in calls} == {"GET"}
    assert live.writes() == []


def test_json_output_has_the_same_rows(tenant: TenantFactory) -> None:
    live = tenant()
    text = live.doctor()
    result, rows = live.rows()

    data = json.loads(result.stdout)
    assert set(data) == {"ok", "summary", "checks"}
    assert data["ok"] is (result.exit_code == 0) and data["summary"] in text.stdout
    for row in data["checks"]:
        assert set(row) == {"mark", "provider", "name", "assumption", "status", "detail", "fix"}
        assert row["mark"] == STATUSES[row["status"]]
        assert row["name"].startswith(row["provider"] + " ")
        assert bool(row["fix"]) == (row["status"] == "fail")
    assert [r["name"] for r in data["checks"]] == [m[2] for m in map(ROW.match, text.stdout.splitlines()) if m]
    assert rows["questionmark access probe"]["status"] == "manual"  # checked only with --probe-access


def test_only_the_configured_provider_is_checked(tenant: TenantFactory) -> None:
    live = tenant(["mettl"])

    result, rows = live.rows()

    assert {row["provider"] for row in rows.values()} == {"mettl"}
    assert "mettl schedule listing 769688" in rows and "mettl schedule listing 769700" in rows
    assert "questionmark" not in result.stdout


def test_wrong_mettl_keys_fail_credentials_and_skip_the_rest(tenant: TenantFactory) -> None:
    live = tenant(["mettl"])

    result, rows = live.rows(env={"METTL_PRIVATE_KEY": "WRONG-PRIVATE-KEY-000"})

    assert result.exit_code == 1
    assert rows["mettl credentials"]["status"] == "fail"
    assert "METTL_PUBLIC_KEY/METTL_PRIVATE_KEY" in rows["mettl credentials"]["fix"]
    assert rows["mettl clock skew"]["status"] == "pass"  # read from the refusal's Date header
    others = {r["status"] for n, r in rows.items() if n not in ("mettl credentials", "mettl clock skew")}
    assert others == {"skipped", "manual"}
    assert "WRONG-PRIVATE-KEY-000" not in result.output


def test_a_clock_two_days_off_fails_credentials_and_says_why(tenant: TenantFactory) -> None:
    app = mettl_world()
    app.now = lambda: time.time() + TWO_DAYS  # the server lives two days ahead of this machine
    live = tenant(["mettl"], apps={"mettl": app}, quirks={"mettl": ["clock-skew"]})

    result, rows = live.rows()

    assert result.exit_code == 1
    assert rows["mettl credentials"]["status"] == "fail" and "clock" in rows["mettl credentials"]["fix"]
    assert rows["mettl clock skew"]["status"] == "fail"
    assert "2 d 00 h ahead" in rows["mettl clock skew"]["detail"] and "NTP" in rows["mettl clock skew"]["fix"]


def test_a_wrong_questionmark_password_fails_credentials(tenant: TenantFactory) -> None:
    live = tenant(["questionmark"])

    result = live.doctor(env={"QUESTIONMARK_PASSWORD": "WRONG-PASSWORD-000"})

    assert result.exit_code == 1
    no_traceback(result)
    line = next(li for li in result.stdout.splitlines() if "questionmark credentials" in li)
    assert line.startswith("✗") and "HTTP 401" in line
    assert "fix: check QUESTIONMARK_USERNAME/QUESTIONMARK_PASSWORD" in result.stdout
    assert "WRONG-PASSWORD-000" not in result.output


def test_an_unreachable_vendor_is_a_failed_check_not_a_traceback(tenant: TenantFactory,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from reconciler import http

    monkeypatch.setattr(http, "RetryPolicy", functools.partial(http.RetryPolicy, base_delay=0.0, max_delay=0.0))
    live = tenant(["mettl"])
    live.config.write_text(live.config.read_text().replace(live.servers["mettl"].url, "http://127.0.0.1:9"))

    started = time.monotonic()
    result = live.doctor()

    assert time.monotonic() - started < 10
    assert result.exit_code == 1
    no_traceback(result)
    assert "providers.mettl.base_url" in result.stdout
    failed = [line for line in result.stdout.splitlines() if line.startswith("✗")]
    assert failed and "cannot reach 127.0.0.1:9: connection refused" in failed[0], result.stdout


def test_a_missing_config_is_one_clear_line(run: Cli, tmp_path: Path) -> None:
    result = run("doctor", "--config", tmp_path / "nope.yaml")

    assert result.exit_code == 1
    no_traceback(result)
    lines = [li for li in result.stderr.splitlines() if li.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "nope.yaml" in lines[0]


def test_an_unwritable_samples_folder_is_one_clear_line(tenant: TenantFactory, tmp_path: Path) -> None:
    live = tenant(["mettl"])
    blocker = tmp_path / "a-file"
    blocker.write_text("x")

    result = live.doctor("--save-samples", blocker / "samples")

    assert result.exit_code == 1
    no_traceback(result)
    lines = [li for li in result.stderr.splitlines() if li.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "cannot write the samples" in lines[0]


def test_doctor_is_in_the_help(run: Cli) -> None:
    result = run("--help")
    assert "doctor" in result.stdout


def test_unstable_schedule_reads_fail_m14(tenant: TenantFactory) -> None:
    live = tenant(["mettl"], quirks={"mettl": ["M-14"]})

    result, rows = live.rows()

    assert result.exit_code == 1
    assert rows["mettl stable reads"]["status"] == "fail", rows["mettl stable reads"]
    assert "different bytes" in rows["mettl stable reads"]["detail"]
    assert rows["mettl schedule read"]["status"] == "pass"  # the same content: only the bytes differ
    assert live.writes() == []


def test_unstable_questionmark_reads_fail_q13(tenant: TenantFactory) -> None:
    live = tenant(["questionmark"], quirks={"questionmark": ["Q-13"]})

    result, rows = live.rows()

    assert result.exit_code == 1
    assert rows["questionmark stable reads"]["status"] == "fail", rows["questionmark stable reads"]
    assert "came back in another form" in rows["questionmark stable reads"]["detail"]
    assert rows["questionmark schedules $expand"]["status"] == "pass"  # an extra property is allowed
    assert live.writes() == []
