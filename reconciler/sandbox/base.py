"""A loopback HTTP server that hosts one vendor emulator, with fault injection, a call log and persistence.

An emulator is a `SandboxApp`: it turns a `SandboxRequest` into a `SandboxResponse` and can dump and load
its state. The server adds what every vendor shares: latency, injected faults, a record of every call, and
saving state to a folder after every write so separate CLI runs see the same world.
"""

from __future__ import annotations

import codecs
import json
import os
import random
import re
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .fault_queue import FaultKind, QueuedFault, take_queued
from .quirks import Quirks
from .wire import (  # re-exported: emulators and tests import them from base
    AnsweredFault as AnsweredFault,
    RecordedCall as RecordedCall,
    SandboxApp as SandboxApp,
    SandboxRequest as SandboxRequest,
    SandboxResponse as SandboxResponse,
)


@dataclass
class Faults:
    """Switches for latency and faults. Rates are probabilities per request, drawn from a generator seeded
    with `seed`; queued faults come first. `error` answers 503 and `rate_limit` 429 (with Retry-After): the
    request is turned away untouched. `drop` closes the line unanswered, untouched; `lost_answer` (a write
    rate: reads are not affected) applies the write and then closes the line unanswered."""

    latency: float = 0.0
    error_rate: float = 0.0
    rate_limit_rate: float = 0.0
    drop_rate: float = 0.0
    lost_answer_rate: float = 0.0
    retry_after: float = 0.05
    seed: int | None = None
    queue: list[QueuedFault] = field(default_factory=list)

    def fail_next(
        self, kind: FaultKind, methods: str = "*", count: int = 1, *, path: str | None = None, nth: int = 1
    ) -> None:
        """Queue `count` faults for the next requests whose method matches (`*`, `GET`, `POST`, ...) and whose
        path matches the regex `path`, starting with the `nth` such request (the ones before it pass)."""
        self.queue.extend(QueuedFault(kind, methods, path, nth) for _ in range(count))


class PreEncoded(dict[str, Any]):
    """A JSON object answer whose list under `key` is also held as each item's JSON bytes (an emulator keeps
    them per entity): sent by joining those bytes, unless the list or an item was changed since (a quirk or a
    test rewrote the answer), then encoded whole. The items are copies of `originals`; their nested values
    are shared: replace them, never change them in place."""

    def __init__(self, body: Mapping[str, Any], key: str, originals: list[dict[str, Any]],
                 encoded: list[bytes]) -> None:
        super().__init__(body)
        self[key] = [dict(item) for item in originals]
        self._key, self._items, self._originals, self._encoded = key, self[key], originals, encoded

    def encode_json(self) -> bytes:
        """The same bytes as `json.dumps(self).encode()`."""
        items = self.get(self._key)
        if items is not self._items or len(items) != len(self._originals) or any(
                a != b for a, b in zip(items, self._originals, strict=True)):
            return json.dumps(self).encode("utf-8")
        joined = b"[" + b", ".join(self._encoded) + b"]"
        return b"{" + b", ".join(json.dumps(k).encode("utf-8") + b": " + (
            joined if k == self._key else json.dumps(v).encode("utf-8")) for k, v in self.items()) + b"}"


def encode_body(body: Any) -> bytes:
    """An answer's bytes: bytes as they are, nothing as none, JSON otherwise."""
    if isinstance(body, bytes):
        return body
    if body is None:
        return b""
    return body.encode_json() if isinstance(body, PreEncoded) else json.dumps(body).encode("utf-8")


class SandboxServer:
    """Runs an emulator on 127.0.0.1 in a background thread."""

    def __init__(
        self,
        app: SandboxApp,
        *,
        port: int = 0,
        state_dir: str | Path | None = None,
        faults: Faults | None = None,
        quirks: Iterable[str] = (),
        quirk_settings: Mapping[str, float] | None = None,
    ) -> None:
        self.app = app
        self.faults = faults or Faults()
        self.quirks = Quirks(quirks, quirk_settings)
        self.stopping = threading.Event()
        self.calls: list[RecordedCall] = []
        self.injected: dict[FaultKind, int] = {}
        """How many faults of each kind were injected (queued or drawn)."""
        self.in_flight = 0
        self.peak_in_flight = 0
        """The most vendor requests handled at once (latency included) since the start or `reset_calls`."""
        self._flight_lock = threading.Lock()
        self._lock = threading.RLock()
        self._rng = random.Random(self.faults.seed)
        self._state_file = Path(state_dir) / f"{app.name}.json" if state_dir else None
        if self._state_file and self._state_file.exists():
            app.load_state(json.loads(self._state_file.read_text(encoding="utf-8")))
        self._httpd = _QuietServer(("127.0.0.1", port), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name=f"sandbox-{self.app.name}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()  # ends answers being dripped or streamed
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ call log helpers for tests

    def writes(self) -> list[RecordedCall]:
        with self._lock:
            return [c for c in self.calls if c.method not in ("GET", "HEAD")]

    def reset_calls(self) -> None:
        with self._lock:
            self.calls.clear()
        with self._flight_lock:
            self.peak_in_flight = self.in_flight

    def save(self) -> None:
        """Persist the emulator's world (atomically) if a state folder was given."""
        if not self._state_file:
            return
        with self._lock:
            self._state_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._state_file.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.app.dump_state(), indent=1, sort_keys=True), encoding="utf-8")
            os.replace(tmp, self._state_file)

    # ------------------------------------------------------------------ dispatch

    def _pick_fault(self, method: str, path: str) -> FaultKind | None:
        with self._lock:
            kind = take_queued(self.faults.queue, method, path)
            if kind is not None:
                return kind
            roll = self._rng.random()
        f = self.faults
        for kind, rate in (
            ("error", f.error_rate),
            ("rate_limit", f.rate_limit_rate),
            ("drop", f.drop_rate),
            ("lost_answer", f.lost_answer_rate),
        ):
            if roll < rate:
                return None if kind == "lost_answer" and method in ("GET", "HEAD") else kind
            roll -= rate
        return None

    def dispatch(self, request: SandboxRequest) -> SandboxResponse | None:
        """Handle one request; None means: close the connection without an answer."""
        if request.path.startswith("/__sandbox/"):
            return self._control(request)
        with self._flight_lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            return self._dispatch(request)
        finally:
            with self._flight_lock:
                self.in_flight -= 1

    def _dispatch(self, request: SandboxRequest) -> SandboxResponse | None:
        if self.faults.latency:
            time.sleep(self.faults.latency)
        fault = self._pick_fault(request.method, request.path)
        if fault is not None:
            with self._lock:
                self.injected[fault] = self.injected.get(fault, 0) + 1
        if fault in ("error", "rate_limit"):
            return self.app.fault_response(fault, self.faults.retry_after)
        if fault == "drop":
            return None
        with self._lock:
            response = self.quirks.apply(self.app, request, self.app.handle(request))
            is_write = self.app.is_write(request) and response.status < 400
            params = {k: v for k, v in request.params.items() if k not in ("asgn",)}
            try:
                body_json = request.json() if request.body and not request.form else None
            except ValueError:
                body_json = None
            self.calls.append(RecordedCall(request.method, request.path, params, body_json, response.status))
            if is_write:
                self.save()
        if fault == "lost_answer":
            return None
        return response

    def _control(self, request: SandboxRequest) -> SandboxResponse:
        """Test and demo controls: /__sandbox/faults (POST settings; `queue` replaces the queued faults, `fail_next`
        adds some: `{"kind", "methods", "path", "nth", "count"}` or a list of them), /__sandbox/quirks
        (POST {"enabled": [names], "settings": {"drip_interval": 0.5}}, GET), /__sandbox/calls (GET),
        /__sandbox/state (GET)."""
        if request.path == "/__sandbox/faults" and request.method == "POST":
            try:
                self._set_faults(request.json() or {})
            except (TypeError, ValueError, KeyError, re.error) as exc:
                return SandboxResponse(400, {"error": f"bad fault settings: {exc}"})
            return SandboxResponse(200, asdict(self.faults))
        if request.path == "/__sandbox/quirks":
            if request.method == "POST":
                try:
                    wanted = request.json() or {}
                    self.quirks.set(wanted.get("enabled", []), wanted.get("settings"))
                except ValueError as exc:
                    return SandboxResponse(400, {"error": str(exc)})
            return SandboxResponse(200, {"enabled": self.quirks.names})
        if request.path == "/__sandbox/calls":
            with self._lock:
                return SandboxResponse(200, [asdict(c) for c in self.calls])
        if request.path == "/__sandbox/state":
            with self._lock:
                return SandboxResponse(200, self.app.dump_state())
        return SandboxResponse(404, {"error": "unknown sandbox control"})

    def _set_faults(self, settings: dict[str, Any]) -> None:
        with self._lock:
            for key, value in settings.items():
                if key == "queue":
                    self.faults.queue = [QueuedFault.parse(v) for v in value]
                elif key == "fail_next":
                    for item in value if isinstance(value, list) else [value]:
                        options = {k: item[k] for k in ("methods", "count", "path", "nth") if k in item}
                        self.faults.fail_next(item["kind"], **options)
                elif hasattr(self.faults, key):
                    setattr(self.faults, key, value)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are separate writes: avoid 40 ms delayed-ACK stalls

            def log_message(self, format: str, *args: Any) -> None:
                return

            def date_time_string(self, timestamp: float | None = None) -> str:
                """The `Date` header: the server's clock, which the clock-skew quirk moves."""
                now = time.time() + server.quirks.clock_offset if timestamp is None else timestamp
                return super().date_time_string(now)

            def _serve(self) -> None:
                split = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                content_type = self.headers.get("Content-Type", "")
                form: dict[str, str] = {}
                if "application/x-www-form-urlencoded" in content_type:
                    form = _decode_form(body, content_type)
                request = SandboxRequest(
                    method=self.command,
                    path=split.path,
                    query=dict(parse_qsl(split.query, keep_blank_values=True)),
                    form=form,
                    headers={k: v for k, v in self.headers.items()},
                    body=body,
                    base_url=f"http://{self.headers.get('Host', server.url.split('//', 1)[1])}",
                )
                response = server.dispatch(request)
                if response is None:
                    self.close_connection = True
                    with suppress(OSError):
                        self.connection.shutdown(2)
                    return
                body = response.body
                payload = encode_body(body)
                self.send_response(response.status)
                for key, value in response.headers.items():
                    self.send_header(key, value)
                if payload and "Content-Type" not in response.headers:
                    self.send_header("Content-Type", "application/json")
                if response.filler_bytes:
                    self._stream(payload, response.filler_bytes)
                    return
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if response.drip_interval:
                    self._drip(payload, response.drip_interval)
                elif payload:
                    self.wfile.write(payload)

            def _drip(self, payload: bytes, interval: float) -> None:
                """One byte, then a pause, until the body is sent, the client is gone or the server stops."""
                self.close_connection = True
                with suppress(OSError):
                    for index in range(len(payload)):
                        self.wfile.write(payload[index : index + 1])
                        self.wfile.flush()
                        if server.stopping.wait(interval):
                            return

            def _stream(self, payload: bytes, filler: int) -> None:
                """The body, then `filler` bytes of whitespace, chunked (no length to refuse up front)."""
                self.close_connection = True
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                block = b" " * (1024 * 1024)
                with suppress(OSError):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(payload), payload) if payload else b"")
                    sent = 0
                    while sent < filler and not server.stopping.is_set():
                        piece = block[: filler - sent]
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                        sent += len(piece)
                    self.wfile.write(b"0\r\n\r\n")

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_MERGE = _serve

        return Handler


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up (a timed-out or refused answer, a lost one) is routine here, not an error."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _decode_form(body: bytes, content_type: str) -> dict[str, str]:
    """A form body decoded by its declared charset, and as ISO-8859-1 when none is declared (as a servlet
    container does); an unknown charset is read as ISO-8859-1 too."""
    charset = "iso-8859-1"
    for part in content_type.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"')
    try:
        codecs.lookup(charset)
    except LookupError:
        charset = "iso-8859-1"
    text = body.decode(charset, errors="replace")  # raw bytes; percent-escapes are decoded by parse_qsl
    fast = _plain_form(text, charset)
    return fast if fast is not None else dict(parse_qsl(text, keep_blank_values=True, encoding=charset,
                                                        errors="replace"))


_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _plain_form(text: str, charset: str) -> dict[str, str] | None:
    """What `parse_qsl(text, keep_blank_values=True, ...)` makes of an ASCII form in UTF-8 or ISO-8859-1
    with well-formed escapes and no backslash, its %XX decoded in C (`codecs.escape_decode` of \\xXX) rather
    than one Python step per escape (a Mettl `sc` holds thousands); None for anything else."""
    if (not text.isascii() or "\\" in text or _BAD_ESCAPE.search(text)
            or codecs.lookup(charset).name not in ("utf-8", "iso8859-1")):
        return None
    out: dict[str, str] = {}
    for pair in text.split("&"):
        if pair:
            name, _, value = pair.partition("=")
            out[_unescape(name, charset)] = _unescape(value, charset)
    return out


def _unescape(text: str, charset: str) -> str:
    if "%" not in text:
        return text.replace("+", " ")
    raw = codecs.escape_decode(text.replace("+", " ").replace("%", "\\x").encode("ascii"))[0]
    return raw.decode(charset, errors="replace")


@contextmanager
def running(app: SandboxApp, **kwargs: Any) -> Iterator[SandboxServer]:
    """Start a server for the duration of a with-block."""
    server = SandboxServer(app, **kwargs).start()
    try:
        yield server
    finally:
        server.stop()
