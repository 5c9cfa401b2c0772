"""The lean path of one HTTP exchange beneath HttpClient, on requests' own pieces.

`requests.Session.request` rebuilds per call what never changes for a client of one base URL: it merges the
session's settings, headers, cookies and hooks through case-insensitive copies, re-reads the environment's
proxies, parses the URL three times, and runs the cookie jar's request/response mocks even when no cookie was
ever set. `Transport` prepares the same `PreparedRequest` (the session's headers, auth, cookies and response
hooks still apply, read at each call) and hands it to the session's `HTTPAdapter`:

- the environment's proxies (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY) are resolved once, for the base URL
  every call goes to (HttpClient refuses any other), as requests would resolve them per call; a loopback
  base URL (the sandbox) never goes through a proxy;
- a URL of plain characters under that base URL is joined with its encoded query directly (what
  `PreparedRequest.prepare_url` makes of it, asserted by the tests); anything else goes through requests;
- the cookie jar is touched only when it holds cookies or the answer sets one;
- a form of plain strings is encoded by `form_body` (what requests' `urlencode` makes of it, byte for byte, in
  C-level loops instead of one Python call per byte: a Mettl `sc` of 200 candidates is ~20 kB).

`Workers` runs exchanges on reused daemon threads, so a call can be abandoned at its deadline without a new
thread per call.
"""

from __future__ import annotations

import ipaddress
import re
import threading
from collections.abc import Callable, Mapping
from functools import lru_cache
from queue import SimpleQueue
from typing import Any, TypeVar
from urllib.parse import quote_plus, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.auth import _basic_auth_str
from requests.cookies import extract_cookies_to_jar
from requests.hooks import dispatch_hook
from requests.models import PreparedRequest
from requests.structures import CaseInsensitiveDict
from requests.utils import check_header_validity, get_encoding_from_headers, get_environ_proxies

# Characters that requests' URL preparation (IDNA, percent re-quoting) leaves as they are.
T = TypeVar("T")

# urlencode's quoting of one key or value, remembered: the same names and most values recur on every call.
_quote = lru_cache(maxsize=4096)(quote_plus)

_PLAIN = re.compile(r"[A-Za-z0-9\-._~/?&=+,;:@!$'()*]*\Z")


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


class LeanAdapter(HTTPAdapter):
    """An HTTPAdapter that keeps the connection pool of each origin at hand (requests parses the URL and
    looks the pool up again per call) and whose responses skip the cookie jar unless the answer sets one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pools: dict[tuple[str, object, object], Any] = {}
        self._verified: set[tuple[int, object, object]] = set()

    def get_connection_with_tls_context(self, request: PreparedRequest, verify: Any, proxies: Any = None,
                                        cert: Any = None) -> Any:
        if proxies:
            return super().get_connection_with_tls_context(request, verify, proxies, cert)
        url = request.url or ""
        end = _path_start(url)
        key = (url if end < 0 else url[:end], verify, cert)
        pool = self._pools.get(key)
        if pool is None or pool.pool is None:  # a pool closed (evicted, or the session closed) is not reused
            if pool is not None:
                self._verified = {v for v in self._verified if v[0] != id(pool)}
            pool = self._pools[key] = super().get_connection_with_tls_context(request, verify, proxies, cert)
        return pool

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        """Set the pool's TLS settings once (requests does it per call, looking the CA bundle up on disk)."""
        key = (id(conn), verify, cert)
        if key not in self._verified:
            super().cert_verify(conn, url, verify, cert)  # type: ignore[no-untyped-call]
            self._verified.add(key)

    def request_url(self, request: PreparedRequest, proxies: Any) -> str:
        url = request.url or ""
        end = _path_start(url)
        if proxies or end < 0 or "#" in url or url.startswith("//", end):
            return super().request_url(request, proxies)
        return url[end:]  # what requests sends without a proxy: the path and query

    def close(self) -> None:
        self._pools.clear()
        self._verified.clear()
        super().close()

    def build_response(self, req: PreparedRequest, resp: Any) -> requests.Response:
        if "Set-Cookie" in resp.headers:
            return super().build_response(req, resp)
        response = requests.Response()
        response.status_code = resp.status
        response.headers = CaseInsensitiveDict(resp.headers)
        response.encoding = get_encoding_from_headers(response.headers)
        response.raw = resp
        response.reason = resp.reason
        response.url = req.url.decode("utf-8") if isinstance(req.url, bytes) else (req.url or "")
        response.request = req
        response.connection = self
        return response


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
    """Sends prepared requests for one session through its adapter, with proxies resolved once."""

    def __init__(self, session: requests.Session, adapter: HTTPAdapter, base_url: str | None) -> None:
        self.session = session
        self.adapter = adapter
        self.proxies: dict[str, str] = get_environ_proxies(base_url) if base_url and not _loopback(base_url) else {}
        self._plain_base: str | None = None
        if base_url and base_url.startswith(("http://", "https://")):
            probe = base_url + "/a"
            if _PLAIN.match(probe[probe.index("//") + 2:]) and prepared_url(probe, None) == probe:
                self._plain_base = base_url + "/"
        self._auth: tuple[object, str] = (None, "")  # (session.auth, its header): one value, thread-safe
        self._defaults: tuple[tuple[Any, ...], CaseInsensitiveDict[str]] = ((), CaseInsensitiveDict())

    def url(self, url: str, query: Mapping[str, str] | None) -> str:
        """`url` with `query` encoded, exactly as requests prepares it."""
        base = self._plain_base
        if base is None or not url.startswith(base) or not _PLAIN.match(url, len(base)):
            return prepared_url(url, query)
        if not query:
            return url
        if not all(type(k) is str and type(v) is str for k, v in query.items()):
            return prepared_url(url, query)
        encoded = "&".join(f"{_quote(k)}={_quote(v)}" for k, v in query.items())
        if not encoded:
            return url
        return f"{url}&{encoded}" if "?" in url else f"{url}?{encoded}"

    def send(self, method: str, url: str, query: Mapping[str, str] | None, form: Mapping[str, str] | None,
             json: Any, headers: Mapping[str, str] | None, timeout: tuple[float, float],
             content: bytes | None = None) -> requests.Response:
        """One exchange, the body left unread (stream); redirects are answers, never followed. `content`: a
        body sent as it is (a SOAP envelope), its Content-Type given in `headers`."""
        session = self.session
        request = PreparedRequest()
        request.method = method
        request.url = self.url(url, query)
        request.headers = merged = self._session_headers()
        for header in (headers or {}).items():
            check_header_validity(header)
            merged[header[0]] = header[1]
        encoded = form_body(form) if form else None
        request.prepare_body(content if content is not None else form if encoded is None else encoded, None, json)
        if encoded is not None and "Content-Type" not in merged:
            merged["Content-Type"] = "application/x-www-form-urlencoded"
        auth = session.auth
        if auth is not None:
            if isinstance(auth, tuple) and len(auth) == 2:
                known, basic = self._auth
                if auth is not known:
                    basic = _basic_auth_str(*auth)
                    self._auth = (auth, basic)
                request.headers["Authorization"] = basic
            else:
                request.prepare_auth(auth)
        if len(session.cookies):
            request.prepare_cookies(session.cookies)
        verify = True if session.verify is None else session.verify
        response = self.adapter.send(request, stream=True, timeout=timeout, verify=verify, cert=session.cert,
                                     proxies=self.proxies)
        if "Set-Cookie" in response.headers:
            extract_cookies_to_jar(session.cookies, request, response.raw)  # type: ignore[no-untyped-call]
        hooks = session.hooks.get("response")
        if hooks:
            response = dispatch_hook("response", {"response": hooks}, response)  # type: ignore[no-untyped-call]
        return response


    def _session_headers(self) -> CaseInsensitiveDict[str]:
        """A copy of the session's headers, checked as requests checks them; checked again only when they
        change (doctor switches Accept)."""
        current = tuple(self.session.headers.items())
        seen, checked = self._defaults
        if current != seen:
            prepared = PreparedRequest()
            prepared.prepare_headers({k: v for k, v in current if v is not None})
            checked = prepared.headers
            self._defaults = (current, checked)
        return checked.copy()


def _path_start(url: str) -> int:
    """Where the path of an absolute URL begins (-1 when it has none)."""
    return url.find("/", url.find("//") + 2)


def prepared_url(url: str, query: Mapping[str, str] | None) -> str:
    """What requests makes of `url` and `query` (the slow, general way)."""
    request = PreparedRequest()
    request.prepare_url(url, dict(query) if query else None)
    return request.url or url


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
