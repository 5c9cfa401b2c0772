"""The send path keeps what requests' Session does (the environment's proxies, resolved once per client; the
session's cookies); the form encoder makes requests' bytes; calls reuse their threads.

Loopback servers play the vendor and an HTTP proxy; the real HttpClient talks to them over sockets.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import ClassVar

import pytest
import requests

from reconciler.errors import TransientError, UnreachableError
from reconciler.http import HttpClient, RetryPolicy
from reconciler.http.transport import form_body

from ..support.listener import listening

BASE = "http://vendor.example:8080/api"
VENDOR = "http://vendor.invalid:8080"
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.mark.parametrize("form", [
    {"sc": json.dumps({"name": "Zoë's test", "c": [{"email": "a+b@example.org", "n": "~x_y.z-1 ?&=#%"}]},
                      separators=(",", ":"), ensure_ascii=False), "ak": "key", "ts": "1700000000",
     "asgn": "a+b/c=="},
    {"": "", "ü é": "\u2028\U0001f600\x00\x7f\xff", "k": "".join(map(chr, range(256)))},
])
def test_form_bodies_are_those_requests_encodes(form: dict[str, str]) -> None:
    assert form_body(form) == requests.Request("POST", BASE, data=form).prepare().body


def test_a_form_of_other_values_is_left_to_requests() -> None:
    assert form_body({"a": ["1", "2"]}) is None and form_body({"a": "1"}) == "a=1"


class Proxy(BaseHTTPRequestHandler):
    """A forward proxy that answers itself, telling what it was asked for."""

    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[str]] = []

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        type(self).seen.append(f"GET {self.path}")
        body = json.dumps({"via": "proxy", "target": self.path,
                           "cookie": self.headers.get("Cookie")}).encode()
        self.send_response(200)
        if self.path.endswith("/set-cookie"):
            self.send_header("Set-Cookie", "session=s1; Path=/")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_CONNECT(self) -> None:
        type(self).seen.append(f"CONNECT {self.path}")
        self.send_response(403)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture()
def proxy() -> Iterator[str]:
    Proxy.seen = []
    with listening(Proxy) as url:
        yield url


@pytest.fixture()
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    return monkeypatch


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _client(base: str) -> HttpClient:
    return HttpClient("vendor", timeout=2.0, retry=RetryPolicy(attempts=1), base_url=base)


def test_http_proxy_from_the_environment_is_used(proxy: str, clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("HTTP_PROXY", proxy)
    base = VENDOR  # a name nothing resolves: only the proxy can answer
    client = _client(base)
    answer = client.request("GET", f"{base}/v2/schedules", params={"limit": "100"}).json()
    assert answer["target"] == f"{base}/v2/schedules?limit=100"


def test_no_proxy_sends_the_base_url_directly(proxy: str, clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("HTTP_PROXY", proxy)
    clean_env.setenv("NO_PROXY", "localhost,vendor.invalid")
    with pytest.raises(UnreachableError, match=r"cannot reach vendor\.invalid:8080: unknown host"):
        _client(VENDOR).request("GET", f"{VENDOR}/v2/schedules")
    assert Proxy.seen == []


def test_loopback_is_never_proxied(proxy: str, clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("HTTP_PROXY", proxy)
    clean_env.setenv("ALL_PROXY", proxy)
    for base in (f"http://127.0.0.1:{_closed_port()}", f"http://localhost:{_closed_port()}"):
        with pytest.raises(UnreachableError, match="connection refused"):
            _client(base).request("GET", f"{base}/v2/schedules")
    assert Proxy.seen == []


def test_https_proxy_tunnels_to_the_vendor(proxy: str, clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("HTTPS_PROXY", proxy)
    base = "https://vendor.example"
    with pytest.raises(TransientError, match="ProxyError"):
        _client(base).request("GET", f"{base}/v2/schedules")
    assert Proxy.seen == ["CONNECT vendor.example:443"]


def test_proxies_are_read_once_when_the_client_is_made(proxy: str, clean_env: pytest.MonkeyPatch) -> None:
    base = VENDOR
    client = _client(base)
    clean_env.setenv("HTTP_PROXY", proxy)
    with pytest.raises(UnreachableError, match="unknown host"):
        client.request("GET", f"{base}/v2/schedules")
    assert Proxy.seen == []


def test_cookies_the_vendor_sets_are_sent_back(proxy: str, clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("HTTP_PROXY", proxy)
    base = VENDOR
    client = _client(base)
    assert client.request("GET", f"{base}/first").json()["cookie"] is None
    client.request("GET", f"{base}/set-cookie")
    assert client.request("GET", f"{base}/again").json()["cookie"] == "session=s1"


def test_calls_reuse_their_threads(proxy: str, clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("HTTP_PROXY", proxy)
    base = VENDOR
    client = _client(base)
    before = {t.ident for t in threading.enumerate() if t.name == "vendor-http"}
    for number in range(30):
        client.request("GET", f"{base}/call/{number}")
    started = {t.ident for t in threading.enumerate() if t.name == "vendor-http"} - before
    assert len(Proxy.seen) == 30
    assert 1 <= len(started) <= 2
    client.close()
