"""The pieces of one HTTP exchange beneath HttpClient, on the public APIs of requests and urllib3.

`AnswerAdapter` is an `HTTPAdapter` whose `build_response` (the hook requests documents for subclasses) reads
the body at once, under the client's size cap, and scrubs from it any signature the request carried (a vendor
that echoes the request must not put the signature into an error message or a log). The response is
requests' own, with the body kept in memory (`Response.raw`).

`Transport` sends through a `requests.Session` (`Session.request`: its headers, auth, cookies and hooks
apply), never following redirects, with the environment's proxies (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY,
NO_PROXY) resolved once for the base URL every call goes to; a loopback base URL (the sandbox) never goes
through a proxy. `form_body` encodes a form of plain strings as requests would, in C-level loops (a Mettl
`sc` of 200 candidates is ~20 kB). `unreachable` names why no connection could be made.

`Workers` runs exchanges on reused daemon threads, so a call can be abandoned at its deadline without a new
thread per call.
"""

from __future__ import annotations

import errno
import io
import ipaddress
import re
import socket
import ssl
import threading
from collections.abc import Callable, Collection, Iterator, Mapping
from queue import SimpleQueue
from typing import Any, TypeVar
from urllib.parse import unquote_plus, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.models import PreparedRequest
from requests.utils import get_environ_proxies
from urllib3.exceptions import DecodeError, HTTPError as Urllib3Error, ProtocolError, ReadTimeoutError

from ..errors import scrub

T = TypeVar("T")

_CHUNK = 256 * 1024  # read size when the answer does not declare its length


#: Byte → its form-urlencoded spelling, as `urllib.parse.quote_plus(bytes, safe="")` spells it.
_FORM_BYTES = [chr(b) if chr(b).isascii() and (chr(b).isalnum() or chr(b) in "_.-~") else f"%{b:02X}"
               for b in range(256)]
_FORM_BYTES[ord(" ")] = "+"


def form_body(form: Mapping[str, Any]) -> str | None:
    """`k=v&...` exactly as requests encodes a dict of strings (UTF-8, quote_plus); None when a value is not a
    str (requests' own path then)."""
    if not all(type(key) is str and type(value) is str for key, value in form.items()):
        return None
    return "&".join(_form_text(key) + "=" + _form_text(value) for key, value in form.items())


_FORM_SAFE = frozenset(c for c in _FORM_BYTES if len(c) == 1 and c != "+")


def _form_text(text: str) -> str:
    """One `str.replace` pass per distinct unsafe byte ('%' first, '+' before the spaces become '+'):
    a JSON text holds a dozen of them; `str.translate` when there are many."""
    raw = text.encode("utf-8").decode("latin-1")
    unsafe = set(raw) - _FORM_SAFE
    if len(unsafe) > 24:
        return raw.translate(_FORM_BYTES)
    for char in sorted(unsafe, key=lambda c: (c != "%", c != "+")):
        raw = raw.replace(char, _FORM_BYTES[ord(char)])
    return raw


class AnswerTooLarge(Exception):
    """The answer's body is larger than the cap (nothing of it is kept)."""


class AnswerAdapter(HTTPAdapter):
    """Reads each answer's body whole, at most `max_bytes`, and scrubs the values of `echoed_params` the request
    carried (in its query or form body) from it."""

    def __init__(self, *, max_bytes: int, echoed_params: Collection[str] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_bytes = max_bytes
        self._echoed = re.compile("(?:^|&)(?:" + "|".join(map(re.escape, echoed_params)) + ")=([^&]*)") \
            if echoed_params else None

    def build_response(self, req: PreparedRequest, resp: Any) -> requests.Response:
        response = super().build_response(req, resp)
        body = self._read(req, resp)
        signatures = self._sent_signatures(req)
        if signatures:
            body = scrubbed(body, signatures)
        response.raw = io.BytesIO(body)
        return response

    def _read(self, req: PreparedRequest, resp: Any) -> bytes:
        """The whole (decoded) body; the connection goes back to the pool when it was read to its end."""
        declared = resp.headers.get("Content-Length", "")
        length = int(declared) if declared.isdigit() else 0
        chunks: list[bytes] = []
        size = 0
        complete = False
        try:
            if length > self.max_bytes:
                raise AnswerTooLarge
            for chunk in resp.stream(length or _CHUNK, decode_content=True):
                chunks.append(chunk)
                size += len(chunk)
                if size > self.max_bytes:
                    raise AnswerTooLarge
            complete = True
        except ReadTimeoutError as exc:
            raise requests.ReadTimeout(exc, request=req) from None
        except DecodeError as exc:
            raise requests.exceptions.ContentDecodingError(exc, request=req) from None
        except (ProtocolError, Urllib3Error, OSError) as exc:
            raise requests.ConnectionError(exc, request=req) from None
        finally:
            if not complete:
                resp.close()
            resp.release_conn()
        return b"".join(chunks)

    def _sent_signatures(self, req: PreparedRequest) -> list[str]:
        if self._echoed is None:
            return []
        query = urlsplit(req.url or "").query
        body = req.body.decode("latin-1") if isinstance(req.body, bytes) else (req.body or "")
        if not isinstance(body, str):
            body = ""
        return [unquote_plus(found) for text in (query, body) for found in self._echoed.findall(text) if found]


def scrubbed(body: bytes, secrets: list[str]) -> bytes:
    """`body` with every form of each secret (as written, URL- or JSON-encoded) replaced by `***`. A quick test
    first: every such form keeps the secret's longest run of letters and digits."""
    if not any(_longest_plain_run(secret).encode("ascii", "ignore") in body for secret in secrets):
        return body
    return scrub(body.decode("utf-8", "surrogateescape"), secrets).encode("utf-8", "surrogateescape")


def _longest_plain_run(secret: str) -> str:
    runs: list[str] = re.findall(r"[A-Za-z0-9]+", secret)
    return max(runs or [secret], key=len)


def _loopback(url: str) -> bool:
    """A loopback host (the sandbox, the emulators) is reached directly, whatever proxy the environment sets."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Transport:
    """Sends requests for one session, its proxies resolved once for the base URL."""

    def __init__(self, session: requests.Session, base_url: str | None) -> None:
        self.session = session
        session.trust_env = False  # the environment's proxies are read here, once
        session.proxies = dict(get_environ_proxies(base_url)) if base_url and not _loopback(base_url) else {}

    def send(self, method: str, url: str, query: Mapping[str, str] | None, form: Mapping[str, str] | None,
             json: Any, headers: Mapping[str, str] | None, timeout: tuple[float, float],
             content: bytes | None = None) -> requests.Response:
        """One exchange, its body read by the adapter; redirects are answers, never followed. `content`: a
        body sent as it is (a SOAP envelope), its Content-Type given in `headers`."""
        merged = dict(headers or {})
        data: Any = content
        if form and content is None:
            encoded = form_body(form)
            data = form if encoded is None else encoded.encode("ascii")
            if encoded is not None and not any(k.lower() == "content-type" for k in merged):
                merged["Content-Type"] = "application/x-www-form-urlencoded"
        response = self.session.request(method, url, params=query or None, data=data, json=json,
                                        headers=merged or None, timeout=timeout, allow_redirects=False)
        if response.cookies:  # the session's own jar reads them from `raw`, which now holds only the body
            self.session.cookies.update(response.cookies)
        return response


_CAUSES: tuple[tuple[Callable[[BaseException], bool], str], ...] = (
    (lambda e: isinstance(e, socket.gaierror), "unknown host (the name does not resolve)"),
    (lambda e: isinstance(e, ConnectionRefusedError) or getattr(e, "errno", None) == errno.ECONNREFUSED,
     "connection refused (nothing listens on that port)"),
    (lambda e: getattr(e, "errno", None) in (errno.ENETUNREACH, errno.EHOSTUNREACH), "network unreachable"),
    (lambda e: isinstance(e, ssl.SSLCertVerificationError), "its TLS certificate is not trusted"),
)


def unreachable(exc: BaseException) -> str | None:
    """Why no connection could be made, when that is what `exc` (a requests ConnectionError) says: the name
    does not resolve, the connection was refused, the network is unreachable or the certificate is not
    trusted. None for anything else (a dropped connection: worth another try)."""
    for cause in _causes(exc):
        for test, text in _CAUSES:
            if test(cause):
                return text
    return None


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and every exception it wraps (arguments, `reason`, cause, context), each once."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        wrapped = [*current.args, getattr(current, "reason", None), current.__cause__, current.__context__]
        todo.extend(w for w in wrapped if isinstance(w, BaseException))


class Workers:
    """Daemon threads, reused, that each run one call at a time; the caller waits up to a budget."""

    MAX_IDLE = 64

    def __init__(self, name: str) -> None:
        self._name = name
        self._idle: list[SimpleQueue[Callable[[], None] | None]] = []
        self._lock = threading.Lock()

    def run(self, task: Callable[[], T], budget: float) -> list[T | BaseException]:
        """[result] or [exception] of `task`, or [] when it did not end within `budget` seconds (it is left
        to finish, or never, on its own thread)."""
        outcome: list[T | BaseException] = []
        done = threading.Lock()
        done.acquire()

        def job() -> None:
            try:
                outcome.append(task())
            except BaseException as exc:  # handed to the caller's thread
                outcome.append(exc)
            finally:
                done.release()

        with self._lock:
            inbox = self._idle.pop() if self._idle else None
        if inbox is None:
            inbox = SimpleQueue()
            threading.Thread(target=self._serve, args=(inbox,), name=f"{self._name}-http", daemon=True).start()
        inbox.put(job)
        done.acquire(timeout=max(budget, 0.0))
        return outcome[:]

    def _serve(self, inbox: SimpleQueue[Callable[[], None] | None]) -> None:
        while (job := inbox.get()) is not None:
            job()
            del job
            with self._lock:
                if len(self._idle) >= self.MAX_IDLE:
                    return
                self._idle.append(inbox)

    def close(self) -> None:
        """Let the idle threads end (busy ones end when their call does)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for inbox in idle:
            inbox.put(None)
