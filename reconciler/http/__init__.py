"""The HTTP layer both providers share: a pooled session, retries for reads, typed errors, call counting.

Reads (GET) are retried on transient failures with backoff (honouring Retry-After). Writes are retried
only when the vendor refused them outright (429, 503); a write whose answer is lost, or that failed with
another 5xx, raises at once (AmbiguousWriteError for a lost answer) so the caller can re-read and find
out whether it landed.

Vendor answers are untrusted, so every call is bounded: a whole-request deadline (connect + headers + body,
not per socket read, so a server that drip-feeds bytes cannot hang a run), an optional run-wide deadline, a
response-size cap, no redirects, and no URL outside the configured base URL (a `nextLink` or `paging.next`
to another host is refused before anything, credentials included, is sent).

`max_in_flight` caps the exchanges a client waits on at once, whichever threads send them (the engine's
changes, their seat writes, concurrent reads): a call waits for a free slot, at most its own deadline.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson
import requests

from ..errors import (
    AmbiguousWriteError,
    AuthenticationError,
    BadRequestError,
    MalformedResponseError,
    NotFoundError,
    ProviderError,
    RateLimitedError,
    TransientError,
    UnreachableError,
    redact,
)
from .transport import AnswerAdapter, AnswerTooLarge, Transport, Workers, unreachable

log = logging.getLogger("reconciler.http")

READ_METHODS = frozenset({"GET", "HEAD"})
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024


@dataclass
class RunDeadline:
    """A deadline shared by every client of one run (time.monotonic() seconds)."""

    at: float

    @classmethod
    def after(cls, seconds: float) -> RunDeadline:
        return cls(time.monotonic() + seconds)

    def remaining(self) -> float:
        return self.at - time.monotonic()


@dataclass
class RetryPolicy:
    """How reads (and refused writes) are retried: exponential backoff with jitter, or the vendor's
    Retry-After when it sends one. A call that got no complete answer within its deadline is tried at most
    `timeout_attempts` times (each costs the whole timeout), one answered 500 (or another server error that is
    not "busy") `error_attempts` times, one refused (429, 502-504) or dropped `attempts` times. A host that does
    not resolve or refuses the connection is not retried (UnreachableError)."""

    attempts: int = 10
    base_delay: float = 0.2
    max_delay: float = 8.0
    timeout_attempts: int = 2
    error_attempts: int = 3
    """Tries of a call answered with a server error other than 429/502/503/504 (a 500 is seldom passing)."""

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_delay)
        backoff: float = min(self.max_delay, self.base_delay * (2**attempt))
        return backoff * (0.5 + random.random() / 2)


@dataclass
class CallStats:
    """Thread-safe counters of the HTTP calls a client made."""

    reads: int = 0
    writes: int = 0
    retries: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, method: str) -> None:
        with self._lock:
            if method in READ_METHODS:
                self.reads += 1
            else:
                self.writes += 1

    def retried(self) -> None:
        with self._lock:
            self.retries += 1

    @property
    def total(self) -> int:
        return self.reads + self.writes


@dataclass(frozen=True)
class VendorError:
    """What a vendor's error answer says. `kind` None: the HTTP status decides the error type."""

    message: str
    code: str | None = None
    kind: type[ProviderError] | None = None


# A vendor's reader of error answers: the VendorError in this response, or None when it is no error.
ErrorExtractor = Callable[[requests.Response], "VendorError | None"]

_BY_STATUS: tuple[tuple[Callable[[int], bool], type[ProviderError]], ...] = (
    (lambda s: s in (401, 403), AuthenticationError),
    (lambda s: s == 404, NotFoundError),
    (lambda s: s == 429, RateLimitedError),
    (lambda s: s >= 500, TransientError),
    (lambda s: s >= 400, BadRequestError),
)


def check_response(provider: str, response: requests.Response, extract: ErrorExtractor | None = None,
                   secrets: tuple[str, ...] = ()) -> None:
    """The one place an answer becomes a typed error: the vendor's extractor reads its error body (Mettl's
    envelope even under HTTP 200, Questionmark's `odata.error`), the HTTP status decides what it leaves open."""
    found = extract(response) if extract else None
    status = response.status_code
    if found is None:
        if status < 400:
            return
        found = VendorError(response.reason or "request failed")
    kind = found.kind or next((k for test, k in _BY_STATUS if test(status)), ProviderError)
    message, body = f"{describe_call(response)}: " + redact(found.message, secrets), redact(response.text, secrets)
    if issubclass(kind, RateLimitedError):
        raise kind(provider, message, retry_after=retry_after(response), status=status, code=found.code, body=body)
    raise kind(provider, message, status=status, code=found.code, body=body)


def retry_after(response: requests.Response) -> float | None:
    """The `Retry-After` header in seconds (None when absent or not a number of seconds)."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


class HttpClient:
    """A pooled requests.Session for one provider, safe to share between reader threads."""

    def __init__(
        self,
        provider: str,
        *,
        timeout: float = 30.0,
        pool_size: int = 16,
        retry: RetryPolicy | None = None,
        error_extractor: ErrorExtractor | None = None,
        secrets: tuple[str, ...] = (),
        echoed_params: tuple[str, ...] = (),
        auth: tuple[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        base_url: str | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        run_deadline: RunDeadline | None = None,
        max_in_flight: int | None = None,
    ) -> None:
        self.provider = provider
        self.timeout = timeout
        self.base_url = base_url.rstrip("/") if base_url else None
        self.max_response_bytes = max_response_bytes
        self.run_deadline = run_deadline
        self.retry = retry or RetryPolicy()
        self.stats = CallStats()
        self._extract = error_extractor
        self._secrets = secrets
        self._session = requests.Session()
        adapter = AnswerAdapter(max_bytes=max_response_bytes, echoed_params=echoed_params,
                                pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        if auth:
            self._session.auth = auth
        if headers:
            self._session.headers.update(headers)
        self._transport = Transport(self._session, self.base_url)
        self._workers = Workers(provider)
        self._slots = threading.BoundedSemaphore(max_in_flight) if max_in_flight else None

    def close(self) -> None:
        self._workers.close()
        self._session.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        json: Any = None,
        sign: Callable[[], Mapping[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> requests.Response:
        """Send a request; reads are retried on transient failures. `sign` is called per attempt. `content`: a
        raw body (its Content-Type in `headers`)."""
        method = method.upper()
        is_read = method in READ_METHODS
        attempts = self.retry.attempts
        last: ProviderError | None = None
        timeouts = 0
        for attempt in range(attempts):
            if attempt:
                self.stats.retried()
                delay = self.retry.delay(attempt, getattr(last, "retry_after", None))
                log.debug("%s: retrying %s after %.2fs (%s)", self.provider, method, delay, last)
                time.sleep(delay)
            try:
                return self._once(method, url, params=params, data=data, json=json, sign=sign, headers=headers,
                                  content=content)
            except TransientError as exc:
                last = exc
                if exc.status is not None and exc.status not in _BUSY and attempt + 1 >= self.retry.error_attempts:
                    break  # a server error that is no "busy" answer: a few tries, not the whole back-off
                if not is_read and not _refused(exc):
                    raise AmbiguousWriteError(
                        self.provider, f"{method} {_path(url)} failed with HTTP {exc.status}; it may have been applied"
                    ) from None
                if isinstance(exc, _OutOfTime):
                    timeouts += 1
                    if exc.final or timeouts >= self.retry.timeout_attempts:
                        break
        assert last is not None
        raise last

    def _once(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None,
        data: Mapping[str, str] | None,
        json: Any,
        sign: Callable[[], Mapping[str, str]] | None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> requests.Response:
        self.check_target(url)
        budget = self._budget(method, url)
        signed = dict(sign()) if sign else {}
        if data is not None or (signed and method not in READ_METHODS):
            body = {**(data or {}), **signed}
            query = dict(params or {})
        else:
            body = None
            query = {**(params or {}), **signed}
        started = time.monotonic()
        if self._slots is not None and not self._slots.acquire(timeout=budget):
            raise _NotSent(self.provider, f"{method} {_path(url)} not sent: no free slot within {budget:.0f} s")
        try:
            self.stats.count(method)
            # The request runs on a daemon thread so a server that never finishes cannot hold the run past its
            # deadline (requests' own timeout bounds each socket read, not the whole answer). A call given up
            # at its deadline frees its slot then.
            budget = max(0.0, budget - (time.monotonic() - started))
            outcome = self._workers.run(lambda: self._fetch(method, url, query, body, json, headers, budget, content),
                                        budget)
        finally:
            if self._slots is not None:
                self._slots.release()
        if not outcome:
            raise self._no_answer(method, url, f"no complete answer within {budget:.0f} s", timed_out=True)
        result = outcome[0]
        if isinstance(result, requests.ConnectionError) and not isinstance(result, requests.Timeout):
            cause = unreachable(result)
            if cause is not None:
                host = urlsplit(url).netloc
                raise UnreachableError(self.provider, f"cannot reach {host}: {cause} ({method} {_path(url)}); "
                                       "check the configured base URL and the network")
        if isinstance(result, (requests.ConnectionError, requests.Timeout)):
            raise self._no_answer(method, url, _reason(result))
        if isinstance(result, BaseException):
            raise result
        response = result
        check_response(self.provider, response, self._extract, self._secrets)
        return response


    def check_target(self, url: str) -> None:
        """Refuse any URL outside the configured base URL (a link in an answer may point anywhere)."""
        if self.base_url is None:
            return
        base = self.base_url
        if url == base or url.startswith((base + "/", base + "?")):
            return
        parts = urlsplit(url)
        raise MalformedResponseError(
            self.provider, f"refused to call {parts.scheme}://{parts.netloc}{parts.path}: "
            f"it is not under the configured base URL {base}")

    def _budget(self, method: str, url: str) -> float:
        """Seconds this call may take: the per-request timeout, cut by the run's deadline."""
        if self.run_deadline is None:
            return self.timeout
        left = self.run_deadline.remaining()
        if left <= 0:
            raise _OutOfTime(self.provider, f"{method} {_path(url)} not sent: the run's deadline has passed",
                             final=True)
        return min(self.timeout, left)

    def _no_answer(self, method: str, url: str, reason: str, *, timed_out: bool = False) -> ProviderError:
        if method in READ_METHODS:
            message = f"{method} {_path(url)} failed: {reason}"
            return _OutOfTime(self.provider, message) if timed_out else TransientError(self.provider, message)
        return AmbiguousWriteError(
            self.provider, f"{method} {_path(url)} got no answer ({reason}); it may have been applied")

    def _fetch(
        self,
        method: str,
        url: str,
        query: Mapping[str, str],
        body: Mapping[str, str] | None,
        json: Any,
        headers: Mapping[str, str] | None,
        budget: float,
        content: bytes | None = None,
    ) -> requests.Response:
        """One exchange, the body read whole under the size cap; redirects are answers, never followed."""
        try:
            response = self._transport.send(method, url, query, body, json, headers, (min(10.0, budget), budget),
                                            content)
        except AnswerTooLarge:
            raise self._too_big(method, url) from None
        if 300 <= response.status_code < 400:
            location = urlsplit(response.headers.get("Location") or "")
            where = f" to {location.scheme}://{location.netloc}" if location.netloc else ""
            raise MalformedResponseError(
                self.provider, f"{method} {_path(url)} answered with a redirect{where}; redirects are not "
                "followed (check the configured base URL)", status=response.status_code)
        return response

    def _too_big(self, method: str, url: str) -> MalformedResponseError:
        limit = self.max_response_bytes // (1024 * 1024)
        return MalformedResponseError(self.provider, f"answer to {method} {_path(url)} is larger than {limit} MiB")


def describe_call(response: requests.Response) -> str:
    """`GET /v2/schedules/abc` for messages: the method and path of the call that got this answer (never the
    query string, where signatures travel)."""
    request = response.request
    return f"{request.method or '?'} {urlsplit(response.url or request.url or '').path}"


_UTF8 = frozenset({"utf-8", "utf8"})


def json_body(response: requests.Response) -> Any:
    """The answer's JSON: parsed by orjson when it is UTF-8, as answers are (a 127 KB page in a third of the
    time); anything orjson refuses (NaN, a lone surrogate) or another declared charset is parsed by
    `Response.json()` as before, so what it accepts and how it fails (ValueError) are unchanged. One
    difference: an integer past 64 bits becomes a float, which the answer checks refuse wherever an integer
    is expected (IDs are Int64 in Questionmark's model, counts are small)."""
    if (response.encoding or "utf-8").lower() in _UTF8:
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError:
            pass
    return response.json()


def not_json(provider: str, response: requests.Response) -> MalformedResponseError:
    """The error for an answer that should be JSON and is not (an HTML error page, a truncated body)."""
    kind = (response.headers.get("Content-Type") or "no content type").split(";")[0].strip()
    return MalformedResponseError(provider, f"{describe_call(response)}: answer is not JSON ({kind})",
                                  status=response.status_code, body=response.text)


class _OutOfTime(TransientError):
    """A read that got no complete answer within its deadline (`final`: the run's deadline has passed)."""

    def __init__(self, provider: str, message: str, *, final: bool = False) -> None:
        super().__init__(provider, message)
        self.final = final


class _NotSent(_OutOfTime):
    """A call that found no free slot (see `max_in_flight`) within its deadline: nothing was sent."""


_BUSY = frozenset({429, 502, 503, 504})
"""Answers that say "not now": retried with the whole back-off."""


def _reason(exc: BaseException) -> str:
    """The exception's kind and its innermost cause, for a message (`ConnectionError: Connection reset by peer`)."""
    inner = exc
    while True:
        wrapped = next((a for a in inner.args if isinstance(a, BaseException)), None)
        wrapped = wrapped or getattr(inner, "reason", None) or inner.__cause__
        if not isinstance(wrapped, BaseException) or wrapped is inner:
            break
        inner = wrapped
    detail = str(inner).split(": ", 1)[-1].strip() if inner is not exc else ""
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


def _refused(exc: TransientError) -> bool:
    """429 and 503 mean the vendor turned the request away before doing anything, and a call never sent was
    not seen at all: a write may be resent."""
    return isinstance(exc, (RateLimitedError, _NotSent)) or exc.status == 503


def _path(url: str) -> str:
    """The URL without query string, for messages (signatures live in query strings)."""
    return url.split("?", 1)[0]
