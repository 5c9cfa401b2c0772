"""HTTP errors say what to do: an unreachable vendor fails at once naming host and cause, every vendor error
names the call (never its query string), a 500 is tried a few times rather than for a minute, and a signature
the tool sent never comes back out of an echoing vendor's answer.

Loopback servers (a tiny one here, the Mettl emulator with its `mettl-echo-request` switch) play the vendor.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import ClassVar
from urllib.parse import quote, quote_plus

import pytest

from reconciler.errors import BadRequestError, ProviderError, TransientError, UnreachableError
from reconciler.http import HttpClient, RetryPolicy
from reconciler.providers.mettl.client import MettlClient
from reconciler.providers.mettl.signing import signature
from reconciler.sandbox.launch import Sandbox

from ..support.listener import listening

NO_WAIT = RetryPolicy(base_delay=0.0, max_delay=0.0)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_refused_connection_fails_at_once_naming_host_and_cause(method: str) -> None:
    base = f"http://127.0.0.1:{_closed_port()}"
    client = HttpClient("vendor", base_url=base)  # the default policy: ten tries with back-off
    started = time.monotonic()
    with pytest.raises(UnreachableError) as caught:
        client.request(method, f"{base}/v2/schedules?secret=1", data={"a": "b"} if method == "POST" else None)
    assert time.monotonic() - started < 3
    assert client.stats.retries == 0
    message = str(caught.value)
    assert f"cannot reach {base.removeprefix('http://')}: connection refused" in message
    assert f"({method} {base}/v2/schedules)" in message and "secret=1" not in message


def test_an_unknown_host_fails_at_once_naming_it() -> None:
    base = "http://vendor.invalid:8080"
    client = HttpClient("vendor", base_url=base)
    started = time.monotonic()
    with pytest.raises(UnreachableError, match=r"cannot reach vendor\.invalid:8080: unknown host"):
        client.request("GET", f"{base}/v2/account")
    assert time.monotonic() - started < 5 and client.stats.retries == 0


class Failing(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    calls: ClassVar[list[str]] = []
    status: ClassVar[int] = 500

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        type(self).calls.append(self.path)
        body = b"{}"
        self.send_response(type(self).status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture()
def failing() -> Iterator[str]:
    Failing.calls = []
    with listening(Failing) as url:
        yield url


def test_a_500_is_tried_a_few_times_and_names_the_call(failing: str) -> None:
    Failing.status = 500
    client = HttpClient("vendor", base_url=failing, retry=NO_WAIT)
    with pytest.raises(TransientError) as caught:
        client.request("GET", f"{failing}/v2/schedules/abc", params={"ak": "key", "asgn": "sig"})
    assert len(Failing.calls) == RetryPolicy().error_attempts == 3
    assert "HTTP 500" in str(caught.value) and "GET /v2/schedules/abc:" in str(caught.value)
    assert "asgn" not in str(caught.value) and "ak=" not in str(caught.value)


@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_busy_answer_gets_the_whole_back_off(failing: str, status: int) -> None:
    Failing.status = status
    client = HttpClient("vendor", base_url=failing, retry=RetryPolicy(attempts=5, base_delay=0.0, max_delay=0.0))
    with pytest.raises(TransientError, match=f"HTTP {status} GET /v2/x:"):
        client.request("GET", f"{failing}/v2/x")
    assert len(Failing.calls) == 5


@pytest.fixture
def mettl_sandbox_app() -> object:
    from reconciler.sandbox.mettl import MettlApp

    return MettlApp()


def test_a_signature_echoed_by_the_vendor_is_scrubbed(mettl_sandbox: Sandbox) -> None:
    mettl_sandbox.server.quirks.set(["mettl-echo-request"])
    instants = iter(range(1_700_000_000, 1_700_000_400))
    client = MettlClient(mettl_sandbox.url, mettl_sandbox.user, mettl_sandbox.secret,
                         clock=lambda: float(next(instants)))
    sent: list[str] = []
    for attempt in range(40):  # signatures with and without '+', '/' and '=' (each form of echo)
        ts = str(1_700_000_000 + attempt)
        sent.append(signature(mettl_sandbox.secret, "GET", f"{mettl_sandbox.url}/v2/account",
                              {"ak": mettl_sandbox.user, "ts": ts}))
        with pytest.raises(BadRequestError) as caught:
            client.call("GET", "/account")
        error: ProviderError = caught.value
        assert "GET /v2/account" in str(error) and "could not process" in str(error)
        for form in {sent[-1], quote(sent[-1], safe=""), quote_plus(sent[-1])}:
            assert form not in str(error) and form not in error.body
    assert any(set("+/") & set(s) for s in sent)
    client.close()


def test_the_cause_is_found_however_deeply_wrapped() -> None:
    import errno
    import ssl

    import requests

    from reconciler.http.transport import unreachable

    def wrapped(inner: BaseException) -> requests.ConnectionError:
        try:
            try:
                raise inner
            except OSError as exc:
                raise RuntimeError("pool gave up") from exc
        except RuntimeError as outer:
            return requests.ConnectionError(outer)

    assert unreachable(wrapped(socket.gaierror(-2, "Name or service not known"))) == \
        "unknown host (the name does not resolve)"
    assert unreachable(wrapped(ConnectionRefusedError(errno.ECONNREFUSED, "refused"))) == \
        "connection refused (nothing listens on that port)"
    assert unreachable(wrapped(ssl.SSLCertVerificationError("bad cert"))) == "its TLS certificate is not trusted"
    assert unreachable(wrapped(ConnectionResetError(errno.ECONNRESET, "reset"))) is None  # worth another try
