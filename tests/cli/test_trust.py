"""The trust boundary (docs/security.md): a pull request's project file cannot send the credentials anywhere.

A plain listener on loopback plays the attacker's host: it records every connection and every Authorization
header it is sent. Credentials go only to the vendors' documented https hosts or to a prefix the environment
opts in ($RECONCILER_ALLOWED_BASE_URLS); with a trusted project file (--trusted-config, or
$RECONCILER_TRUSTED_CONFIG) its providers, safety, secrets, prune and limits rule, and the plan says which of
them the pull request changes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from reconciler.sandbox.launch import Sandbox
from reconciler.sandbox.mettl import MettlApp
from reconciler.trust import ALLOWED_BASE_URLS_ENV, TRUSTED_CONFIG_ENV, provider_urls, url_refusal

from ..support.listener import listening
from .conftest import Cli, all_output, error_lines, no_traceback

PASSWORD = "SENTINEL-QM-PASSWORD-314"
PRIVATE_KEY = "SENTINEL-METTL-KEY-271"
STOLEN = "SENTINEL-OTHER-SECRET-161"
NOT_ALLOWED: dict[str, str | None] = {ALLOWED_BASE_URLS_ENV: None}


@dataclass
class Listener:
    """An attacker's host: how many connections it accepted and the Authorization headers it was sent."""

    url: str
    connections: list[str] = field(default_factory=list)
    authorizations: list[str] = field(default_factory=list)
    redirect_to: str = ""
    """Answer every call with a 302 to this URL (a vendor host sending the client elsewhere)."""


@pytest.fixture
def listener() -> Iterator[Listener]:
    yield from _listen()


@pytest.fixture
def other_listener() -> Iterator[Listener]:
    yield from _listen()


def _listen() -> Iterator[Listener]:
    found = Listener("")

    class Handler(BaseHTTPRequestHandler):
        def setup(self) -> None:
            super().setup()
            found.connections.append(self.client_address[0])

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            found.authorizations.append(self.headers.get("Authorization") or "")
            body = b'{"value": []}'
            if found.redirect_to:
                self.send_response(302)
                self.send_header("Location", found.redirect_to + self.path)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    with listening(Handler) as url:
        found.url = url
        yield found


def _project(folder: Path, providers: str, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "desired").mkdir(exist_ok=True)
    path = folder / "reconciler.yaml"
    path.write_text(f"providers:\n{providers}{extra}", encoding="utf-8")
    return path


def _questionmark_at(url: str) -> str:
    return (f"  questionmark:\n    base_url: {url}/deliveryodata/123456\n"
            "    username: ${QUESTIONMARK_USERNAME}\n    password: ${QUESTIONMARK_PASSWORD}\n")


QM_ENV: dict[str, str | None] = {"QUESTIONMARK_USERNAME": "admin", "QUESTIONMARK_PASSWORD": PASSWORD}


# --------------------------------------------------------------------------- the exfiltration attempt


def test_a_project_file_pointing_the_credentials_at_its_own_host_sends_nothing(
        run: Cli, listener: Listener, tmp_path: Path) -> None:
    config = _project(tmp_path / "pr", _questionmark_at(listener.url))

    for command in (["plan"], ["drift"], ["doctor"]):
        result = run(*command, "--config", config, env={**QM_ENV, **NOT_ALLOWED})

        assert result.exit_code == 1, (command, result.output)
        no_traceback(result)
        [line] = [x for x in error_lines(result) if "base_url" in x]
        assert line.startswith(f"error: {config}:3: providers.questionmark.base_url: "), line
        assert "not a documented questionmark host" in line and ALLOWED_BASE_URLS_ENV in line
        assert PASSWORD not in all_output(result)
    assert listener.connections == [] and listener.authorizations == []


def test_the_listener_would_have_seen_the_password_had_the_environment_opted_it_in(
        run: Cli, listener: Listener, tmp_path: Path) -> None:
    """The control: the same attempt, the listener opted in by the environment, reaches it (so the test above
    can fail)."""
    config = _project(tmp_path / "pr", _questionmark_at(listener.url))

    run("plan", "--config", config, env={**QM_ENV, ALLOWED_BASE_URLS_ENV: listener.url + "/"})

    assert listener.connections and any(a.startswith("Basic ") for a in listener.authorizations)


def test_a_redirect_to_another_host_is_never_followed(
        run: Cli, listener: Listener, other_listener: Listener, tmp_path: Path) -> None:
    """An opted-in host (a proxy, say) that answers with a redirect does not pass the credentials on."""
    listener.redirect_to = other_listener.url
    config = _project(tmp_path / "pr", _questionmark_at(listener.url))

    result = run("plan", "--config", config, env={**QM_ENV, ALLOWED_BASE_URLS_ENV: listener.url + "/"})

    assert result.exit_code == 1 and "redirect" in result.stderr, result.output
    assert listener.connections  # the opted-in host was called
    assert other_listener.connections == [] and other_listener.authorizations == []
    assert PASSWORD not in all_output(result)


@pytest.fixture
def mettl_sandbox_app() -> MettlApp:
    app = MettlApp(credentials={"pub": PRIVATE_KEY})
    app.add_assessment(769688, "Java Developer Assessment")
    return app


def _trusted_and_pr(tmp_path: Path, sandbox: Sandbox, listener: Listener) -> tuple[Path, Path]:
    trusted = _project(tmp_path / "base", (
        f"  mettl:\n    base_url: {sandbox.url}\n"
        "    public_key: ${METTL_PUBLIC_KEY}\n    private_key: ${METTL_PRIVATE_KEY}\n"))
    pr = _project(tmp_path / "pr", (
        f"  mettl:\n    base_url: {listener.url}\n"
        "    public_key: ${METTL_PUBLIC_KEY}\n    private_key: ${METTL_PRIVATE_KEY}\n"),
        "safety:\n  max_removal_fraction: 1\n  protect_live_windows: false\nsecrets: [STOLEN]\nprune: true\n")
    (tmp_path / "pr" / "desired" / "exams.yaml").write_text(
        "schedules:\n"
        "  - name: Java Cohort\n"
        "    provider: mettl\n"
        "    assessment_id: 769688\n"
        "    candidates: [{email: ana.lima@example.com, name: Ana Lima}]\n", encoding="utf-8")
    return trusted, pr


METTL_ENV: dict[str, str | None] = {"METTL_PUBLIC_KEY": "pub", "METTL_PRIVATE_KEY": PRIVATE_KEY,
                                    "STOLEN": STOLEN}


@pytest.mark.parametrize("how", ["option", "environment"])
def test_with_a_trusted_project_file_the_pull_requests_settings_are_not_used_and_the_plan_says_so(
        run: Cli, listener: Listener, mettl_sandbox: Sandbox, tmp_path: Path, how: str) -> None:
    trusted, pr = _trusted_and_pr(tmp_path, mettl_sandbox, listener)
    env = {**METTL_ENV, ALLOWED_BASE_URLS_ENV: mettl_sandbox.url}  # the emulator only, not the listener
    args: list[str | Path] = ["--trusted-config", trusted] if how == "option" else []
    if how == "environment":
        env[TRUSTED_CONFIG_ENV] = str(trusted)

    text = run("plan", "--detailed-exitcode", "--config", pr, *args, env=env)
    markdown = run("plan", "--format", "markdown", "--config", pr, *args, env=env)

    assert text.exit_code == 2, text.output  # planned against the trusted host: the schedule is to create
    assert "Java Cohort" in text.stdout
    warning = text.stdout.splitlines()[0]
    assert warning.startswith("warning: This change sets `providers`, `safety`, `secrets`, `prune`"), warning
    assert "computed with the trusted values" in warning
    assert markdown.exit_code == 0 and "> [!WARNING]\n> This change sets `providers`" in markdown.stdout
    as_json = run("plan", "--format", "json", "--config", pr, *args, env=env)
    assert json.loads(as_json.stdout)["changes"] and as_json.stderr.startswith("warning: This change sets")
    assert listener.connections == []
    assert PRIVATE_KEY not in all_output(text) + all_output(markdown)


def test_a_pull_request_cannot_widen_secrets_to_read_another_variable(
        run: Cli, listener: Listener, mettl_sandbox: Sandbox, tmp_path: Path) -> None:
    trusted, pr = _trusted_and_pr(tmp_path, mettl_sandbox, listener)
    (tmp_path / "pr" / "desired" / "exams.yaml").write_text(
        "schedules:\n"
        "  - name: Java Cohort\n"
        "    provider: mettl\n"
        "    assessment_id: 769688\n"
        "    mettl:\n"
        f"      test_finish_notification_url: {listener.url}/hook\n"
        "      test_notification_basic_auth_header: ${STOLEN}\n", encoding="utf-8")

    result = run("validate", "--config", pr, "--trusted-config", trusted, env=METTL_ENV)

    assert result.exit_code == 1
    [line] = error_lines(result)
    assert "exams.yaml:7" in line and "STOLEN is not listed under secrets: in the trusted project file" in line
    assert STOLEN not in all_output(result)


def test_the_same_file_as_trusted_file_changes_nothing(run: Cli, mettl_sandbox: Sandbox, listener: Listener,
                                                       tmp_path: Path) -> None:
    trusted, _ = _trusted_and_pr(tmp_path, mettl_sandbox, listener)
    result = run("plan", "--config", trusted, "--trusted-config", trusted,
                 env={**METTL_ENV, ALLOWED_BASE_URLS_ENV: mettl_sandbox.url})
    assert result.exit_code == 0, result.output
    assert "warning:" not in result.output


def test_a_broken_trusted_file_is_an_error_at_its_line(run: Cli, tmp_path: Path) -> None:
    trusted = _project(tmp_path / "base", "  mettl:\n    max_workers: lots\n")
    pr = _project(tmp_path / "pr", "  mettl: {}\n")
    result = run("validate", "--config", pr, "--trusted-config", trusted)
    assert result.exit_code == 1
    assert any("base/reconciler.yaml:3" in line and "max_workers" in line for line in error_lines(result)), (
        result.stderr)


def test_the_sandbox_needs_no_opt_in(run: Cli, tmp_path: Path) -> None:
    config = _project(tmp_path / "demo", "  mettl:\n    base_url: http://10.9.8.7:1234\n")
    result = run("plan", "--sandbox", "--config", config, env=NOT_ALLOWED)
    assert result.exit_code == 0, result.output


# --------------------------------------------------------------------------- the allowlist


@pytest.mark.parametrize(("provider", "url"), [
    ("mettl", "https://api.mettl.com"),
    ("mettl", "https://api.mercermettl.eu/"),
    ("mettl", "https://API.METTL.COM:443"),
    ("questionmark", "https://ondemand.questionmark.com/deliveryodata/123456"),
    ("questionmark", "https://ondemand.questionmark.eu/deliveryodata/123456"),
    ("questionmark", "https://ondemand.questionmark.com/qmwise/123456/qmwise.asmx"),
])
def test_the_documented_hosts_need_no_opt_in(provider: str, url: str) -> None:
    assert url_refusal(provider, url, {}) is None


@pytest.mark.parametrize(("provider", "url"), [
    ("mettl", "http://api.mettl.com"),  # not https
    ("mettl", "https://api.mettl.com.evil.example"),
    ("mettl", "https://evil.example/api.mettl.com"),
    ("mettl", "https://api.mettl.com:8443"),
    ("mettl", "https://user:pw@api.mettl.com"),
    ("mettl", "https://ondemand.questionmark.com"),  # another vendor's host
    ("questionmark", "https://ondemand.questionmark.com.evil.example/deliveryodata/1"),
    ("questionmark", "http://127.0.0.1:8080/deliveryodata/1"),
    ("questionmark", "https://[::1"),  # not even a URL
])
def test_any_other_url_is_refused_without_the_environments_opt_in(provider: str, url: str) -> None:
    reason = url_refusal(provider, url, {})
    assert reason is not None and ALLOWED_BASE_URLS_ENV in reason


def test_the_opt_in_is_a_list_of_prefixes() -> None:
    env = {ALLOWED_BASE_URLS_ENV: " http://127.0.0.1:8080/ , https://proxy.example/qm/"}
    assert url_refusal("questionmark", "http://127.0.0.1:8080/deliveryodata/1", env) is None
    assert url_refusal("questionmark", "https://proxy.example/qm/deliveryodata/1", env) is None
    assert url_refusal("questionmark", "http://127.0.0.1:9090/deliveryodata/1", env) is not None
    # user info makes another host of a URL that starts like an opted-in one
    assert url_refusal("questionmark", "http://127.0.0.1:8080/@evil.example/", env) is None  # a path: fine
    assert url_refusal("questionmark", "http://127.0.0.1:8080@evil.example/", {ALLOWED_BASE_URLS_ENV:
                                                                               "http://127.0.0.1:8080"}) is not None


def test_a_refusal_never_echoes_a_password_written_into_the_url() -> None:
    reason = url_refusal("mettl", "https://admin:hunter2-secret@evil.example:8443/v2?token=abc#x", {})
    assert reason is not None and reason.startswith("https://evil.example:8443/v2 is not a documented mettl host")
    assert "hunter2" not in reason and "token" not in reason


def test_every_url_setting_of_a_provider_section_is_checked() -> None:
    """Provider sections are handled wholesale: a `*_url` key added later (Questionmark's qmwise_url) is
    covered without naming it."""
    from pydantic import BaseModel

    class Section(BaseModel):
        base_url: str = "https://ondemand.questionmark.com/deliveryodata/1"
        qmwise_url: str | None = "http://127.0.0.1:9/qmwise.asmx"
        username: str = "admin"

    urls = provider_urls(Section())
    assert urls == [("base_url", "https://ondemand.questionmark.com/deliveryodata/1"),
                    ("qmwise_url", "http://127.0.0.1:9/qmwise.asmx")]
    assert [field for field, url in urls if url_refusal("questionmark", url, {})] == ["qmwise_url"]
    assert provider_urls(Section(qmwise_url=None)) == [("base_url", Section().base_url)]


def test_an_empty_trusted_config_variable_means_none(run: Cli, tmp_path: Path) -> None:
    """The plan template passes an empty value when the base branch has no project file yet."""
    config = _project(tmp_path / "pr", "  mettl:\n    base_url: http://10.9.8.7:1234\n")
    result = run("plan", "--sandbox", "--config", config, env={TRUSTED_CONFIG_ENV: "", **NOT_ALLOWED})
    assert result.exit_code == 0, result.output
    assert "warning:" not in result.output
