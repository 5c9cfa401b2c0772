"""The HTTP layer both providers share: a pooled session, retries for reads, typed errors, call counting.

Reads (GET) are retried on transient failures with backoff (honouring Retry-After). Writes are retried
only when the vendor refused them outright (429, 503); a write whose answer is lost, or that failed with
another 5xx, raises at once (AmbiguousWriteError for a lost answer) so the caller can re-read and find
out whether it landed.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from .errors import (
    AmbiguousWriteError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    ProviderError,
    RateLimitedError,
    TransientError,
)

log = logging.getLogger("reconciler.http")

READ_METHODS = frozenset({"GET", "HEAD"})


@dataclass
class RetryPolicy:
    """How reads are retried."""

    attempts: int = 4
    base_delay: float = 0.2
    max_delay: float = 8.0

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


# A vendor-specific hook: given a response, raise the right typed error if it is a failure.
ErrorHook = Callable[[requests.Response], None]


def raise_for_status(provider: str, response: requests.Response, message: str = "") -> None:
    """Map an HTTP status to the typed error hierarchy (the vendor hook may refine it first)."""
    status = response.status_code
    if status < 400:
        return
    text = message or response.reason or "request failed"
    body = response.text
    if status in (401, 403):
        raise AuthenticationError(provider, text, status=status, body=body)
    if status == 404:
        raise NotFoundError(provider, text, status=status, body=body)
    if status == 429:
        raise RateLimitedError(provider, text, status=status, body=body, retry_after=_retry_after(response))
    if status >= 500:
        raise TransientError(provider, text, status=status, body=body)
    raise BadRequestError(provider, text, status=status, body=body)


def _retry_after(response: requests.Response) -> float | None:
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
        error_hook: ErrorHook | None = None,
        auth: tuple[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.provider = provider
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.stats = CallStats()
        self._error_hook = error_hook
        self._session = requests.Session()
        adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._session.trust_env = False
        if auth:
            self._session.auth = auth
        if headers:
            self._session.headers.update(headers)

    def close(self) -> None:
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
    ) -> requests.Response:
        """Send a request; reads are retried on transient failures. `sign` is called per attempt."""
        method = method.upper()
        is_read = method in READ_METHODS
        attempts = self.retry.attempts
        last: ProviderError | None = None
        for attempt in range(attempts):
            if attempt:
                self.stats.retried()
                delay = self.retry.delay(attempt, getattr(last, "retry_after", None))
                log.debug("%s: retrying %s after %.2fs (%s)", self.provider, method, delay, last)
                time.sleep(delay)
            try:
                return self._once(method, url, params=params, data=data, json=json, sign=sign, headers=headers)
            except TransientError as exc:
                last = exc
                if not is_read and not _refused(exc):
                    raise AmbiguousWriteError(
                        self.provider, f"{method} {_path(url)} failed with HTTP {exc.status}; it may have been applied"
                    ) from None
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
    ) -> requests.Response:
        signed = dict(sign()) if sign else {}
        if data is not None or (signed and method not in READ_METHODS):
            body = {**(data or {}), **signed}
            query = dict(params or {})
        else:
            body = None
            query = {**(params or {}), **signed}
        self.stats.count(method)
        try:
            response = self._session.request(
                method, url, params=query or None, data=body, json=json, timeout=self.timeout,
                headers=dict(headers) if headers else None,
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            reason = type(exc).__name__
            if method in READ_METHODS:
                raise TransientError(self.provider, f"{method} {_path(url)} failed: {reason}") from None
            raise AmbiguousWriteError(
                self.provider, f"{method} {_path(url)} got no answer ({reason}); it may have been applied"
            ) from None
        if self._error_hook:
            self._error_hook(response)
        raise_for_status(self.provider, response)
        return response


def _refused(exc: TransientError) -> bool:
    """429 and 503 mean the vendor turned the request away before doing anything: a write may be resent."""
    return isinstance(exc, RateLimitedError) or exc.status == 503


def _path(url: str) -> str:
    """The URL without query string, for messages (signatures live in query strings)."""
    return url.split("?", 1)[0]
