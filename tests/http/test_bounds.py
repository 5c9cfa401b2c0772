"""The shared HTTP layer bounds every vendor answer: time, size, redirects and the host it talks to.

A small hostile server on loopback plays the vendor; the real HttpClient talks to it over sockets.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from reconciler.errors import AmbiguousWriteError, MalformedResponseError, ProviderError, TransientError
from reconciler.http import HttpClient, RetryPolicy, RunDeadline
from reconciler.providers.mettl.client import MettlClient

SECRET = "pa55-Very-Secret-Word"


class Hostile(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    connections = 0
    seen_auth: ClassVar[list[str]] = []

    def setup(self) -> None:
        super().setup()
        type(self).connections += 1

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _plain(self, body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        type(self).seen_auth.append(self.headers.get("Authorization") or "")
        if self.path.startswith("/ok"):
            self._plain(b'{"ok": true}')
        elif self.path.startswith("/html/"):
            self._plain(b"<html><body>Gateway error</body></html>", 200, {"Content-Type": "text/html; charset=utf-8"})
        elif self.path.startswith("/echo/"):
            echoed = b'{"status":"ERROR","error":{"code":"E401","message":"bad header Basic dXNlcjpwYTU1LVZlcnk="}}'
            self._plain(echoed, 200, {"Content-Type": "application/json"})
        elif self.path.startswith("/drip"):
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            for _ in range(1000):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.2)
        elif self.path.startswith("/redirect"):
            self._plain(b"", 302, {"Location": "http://elsewhere.example/steal"})
        elif self.path.startswith("/huge-declared"):
            self.send_response(200)
            self.send_header("Content-Length", str(10 * 1024 * 1024))
            self.end_headers()
        elif self.path.startswith("/huge-chunked"):
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            block = b"x" * 65536
            for _ in range(40):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self._plain(b"{}", 404)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        time.sleep(5)
        self._plain(b"{}")


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the client hangs up on purpose (deadline, size cap): not an error of the test


@pytest.fixture()
def server() -> Iterator[str]:
    Hostile.connections = 0
    Hostile.seen_auth = []
    httpd = QuietServer(("127.0.0.1", 0), Hostile)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _client(base: str, **kwargs: object) -> HttpClient:
    defaults: dict[str, object] = {"timeout": 1.0, "retry": RetryPolicy(attempts=1), "base_url": base,
                                   "auth": ("user", SECRET)}
    defaults.update(kwargs)
    return HttpClient("vendor", **defaults)  # type: ignore[arg-type]


def test_a_drip_fed_answer_ends_at_the_request_deadline(server: str) -> None:
    client = _client(server)
    started = time.monotonic()
    with pytest.raises(TransientError, match=r"GET .*/drip failed: no complete answer within 1 s"):
        client.request("GET", f"{server}/drip")
    assert time.monotonic() - started < 3


def test_a_write_without_an_answer_in_time_is_ambiguous(server: str) -> None:
    with pytest.raises(AmbiguousWriteError, match="may have been applied"):
        _client(server).request("POST", f"{server}/slow-write", json={"a": 1})


def test_the_run_deadline_stops_calls_once_it_has_passed(server: str) -> None:
    client = _client(server, run_deadline=RunDeadline.after(-1))
    with pytest.raises(TransientError, match="deadline has passed"):
        client.request("GET", f"{server}/ok")
    assert Hostile.connections == 0


def test_redirects_are_never_followed(server: str) -> None:
    with pytest.raises(MalformedResponseError, match=r"redirect to http://elsewhere.example; redirects are not"):
        _client(server).request("GET", f"{server}/redirect")
    assert len(Hostile.seen_auth) == 1


@pytest.mark.parametrize("path", ["/huge-declared", "/huge-chunked"])
def test_an_answer_over_the_size_cap_is_refused(server: str, path: str) -> None:
    client = _client(server, max_response_bytes=1024 * 1024, timeout=5.0)
    with pytest.raises(MalformedResponseError, match="larger than 1 MiB"):
        client.request("GET", f"{server}{path}")


@pytest.mark.parametrize("link", [
    "http://elsewhere.example/deliveryodata/1/Schedules?$skiptoken=2",
    "{base}-evil/x",
    "https://{hostport}/x",
])
def test_a_link_outside_the_base_url_is_refused_before_sending(server: str, link: str) -> None:
    base = f"{server}/api"
    url = link.format(base=base, hostport=server.split("//", 1)[1])
    with pytest.raises(MalformedResponseError, match="not under the configured base URL") as caught:
        _client(base).request("GET", url)
    assert SECRET not in str(caught.value)
    assert Hostile.seen_auth == []


def test_answers_are_read_whole_and_connections_are_reused(server: str) -> None:
    client = _client(server)
    for _ in range(5):
        assert client.request("GET", f"{server}/ok").json() == {"ok": True}
    assert Hostile.connections == 1


def test_an_html_answer_names_the_call(server: str) -> None:
    client = MettlClient(f"{server}/html", "public", "private-key-value", timeout=2.0)
    with pytest.raises(MalformedResponseError) as caught:
        client.account()
    message = str(caught.value)
    assert "GET /html/v2/account: answer is not JSON (text/html)" in message
    assert "asgn" not in message and "private-key-value" not in message


def test_a_vendor_message_echoing_basic_credentials_is_redacted(server: str) -> None:
    client = MettlClient(f"{server}/echo", "public", "private-key-value", timeout=2.0)
    with pytest.raises(ProviderError) as caught:
        client.account()
    assert "dXNlcjpwYTU1LVZlcnk" not in str(caught.value)
    assert "Basic ***" in str(caught.value)
