"""No secret (provider key, webhook auth header) reaches stdout, stderr or a saved plan, in any format.

A real project file (no --sandbox) points at a Mettl emulator on loopback that only accepts the sentinel
private key; the emulator's stored schedule proves that the webhook secret was really sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from reconciler import engine
from reconciler.sandbox.base import SandboxServer
from reconciler.sandbox.launch import Sandbox
from reconciler.sandbox.mettl import MettlApp

from .conftest import Cli, all_output, error_lines, no_traceback

PRIVATE_KEY = "SENTINEL-PRIVATE-KEY-123"
WEBHOOK = "SENTINEL-WEBHOOK-456"
ROTATED = "SENTINEL-WEBHOOK-789"
WRONG_KEY = "WRONG-PRIVATE-KEY-000"
SENTINELS = (PRIVATE_KEY, WEBHOOK, ROTATED, WRONG_KEY)
FORMATS = ("text", "json", "markdown")


@dataclass
class Live:
    app: MettlApp
    server: SandboxServer
    config: Path
    env: dict[str, str | None]

    def header(self) -> str | None:
        found = self.app.find(769688, "Hooked Exam")
        return None if found is None else found.get("testNotificationBasicAuthHeader")


@pytest.fixture
def mettl_sandbox_app() -> MettlApp:
    app = MettlApp(credentials={"pub": PRIVATE_KEY})
    app.add_assessment(769688, "Java Developer Assessment")
    return app


@pytest.fixture
def live(tmp_path: Path, mettl_sandbox: Sandbox, mettl_sandbox_app: MettlApp) -> Live:
    (tmp_path / "desired").mkdir()
    config = tmp_path / "reconciler.yaml"
    config.write_text(
        "providers:\n"
        "  mettl:\n"
        f"    base_url: {mettl_sandbox.url}\n"
        "    public_key: ${METTL_PUBLIC_KEY}\n"
        "    private_key: ${METTL_PRIVATE_KEY}\n"
        "secrets: [WEBHOOK_AUTH]\n",
        encoding="utf-8")
    (tmp_path / "desired" / "exams.yaml").write_text(
        "schedules:\n"
        "  - name: Hooked Exam\n"
        "    provider: mettl\n"
        "    assessment_id: 769688\n"
        "    candidates: [{email: ana.lima@example.com, name: Ana Lima}]\n"
        "    mettl:\n"
        "      test_finish_notification_url: https://hooks.example.com/finished\n"
        "      test_notification_basic_auth_header: ${WEBHOOK_AUTH}\n",
        encoding="utf-8")
    env: dict[str, str | None] = {
        "METTL_PUBLIC_KEY": "pub", "METTL_PRIVATE_KEY": PRIVATE_KEY, "WEBHOOK_AUTH": WEBHOOK}
    return Live(mettl_sandbox_app, mettl_sandbox.server, config, env)


def _assert_clean(text: str) -> None:
    for sentinel in SENTINELS:
        assert sentinel not in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_plan_never_shows_or_saves_a_secret(run: Cli, live: Live, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"plan-{fmt}.json"
    result = run("plan", "--format", fmt, "--out", out, "--detailed-exitcode", "--config", live.config,
                 env=live.env)
    assert result.exit_code == 2, result.output
    assert "Hooked Exam" in result.stdout
    _assert_clean(all_output(result, [out]))
    assert '"test_notification_basic_auth_header": "**********"' in out.read_text(encoding="utf-8")


def test_apply_sends_the_secret_but_never_prints_it(run: Cli, live: Live, tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    planned = run("plan", "--out", out, "--config", live.config, env=live.env)
    assert planned.exit_code == 0

    applied = run("apply", "--plan", out, "--auto-approve", "--config", live.config, env=live.env)

    assert applied.exit_code == 0, applied.output
    _assert_clean(all_output(applied))
    assert live.header() == WEBHOOK
    again = run("plan", "--detailed-exitcode", "--config", live.config, env=live.env)
    assert again.exit_code == 0  # write-only: never compared, so no perpetual diff


def test_rotating_the_webhook_secret_with_resend_secrets(run: Cli, live: Live, tmp_path: Path) -> None:
    assert run("apply", "--auto-approve", "--config", live.config, env=live.env).exit_code == 0
    rotated = {**live.env, "WEBHOOK_AUTH": ROTATED}
    for fmt in FORMATS:
        out = tmp_path / f"rotate-{fmt}.json"
        planned = run("plan", "--resend-secrets", "--format", fmt, "--out", out, "--detailed-exitcode",
                      "--config", live.config, env=rotated)
        assert planned.exit_code == 2, planned.output
        assert "basic_auth_header" in planned.stdout.replace("\\_", "_")
        assert "(sensitive)" in planned.stdout
        _assert_clean(all_output(planned, [out]))

    applied = run("apply", "--resend-secrets", "--auto-approve", "--config", live.config, env=rotated)

    assert applied.exit_code == 0, applied.output
    _assert_clean(all_output(applied))
    assert live.header() == ROTATED


def test_a_wrong_private_key_is_one_clean_line(run: Cli, live: Live) -> None:
    for command in ("plan", "apply"):
        result = run(command, "--auto-approve" if command == "apply" else "--detailed-exitcode",
                     "--config", live.config, env={**live.env, "METTL_PRIVATE_KEY": WRONG_KEY})
        assert result.exit_code == 1
        no_traceback(result)
        lines = error_lines(result)
        assert len(lines) == 1 and lines[0].startswith("error: mettl:"), lines
        assert "authentication" in lines[0].lower()
        _assert_clean(all_output(result))
        assert live.header() is None


def test_an_internal_error_never_echoes_a_secret(run: Cli, live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> engine.PlanRun:
        raise RuntimeError(f"unexpected state while signing with {PRIVATE_KEY} for {WEBHOOK}")

    monkeypatch.setattr(engine, "make_plan", broken)
    result = run("plan", "--config", live.config, env=live.env)
    assert result.exit_code == 1
    no_traceback(result)
    assert len(error_lines(result)) == 1 and "internal error: RuntimeError" in result.stderr
    _assert_clean(all_output(result))
