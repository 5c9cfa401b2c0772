"""Doctor's HTTP: a client made GET-only, and a probe that keeps every answer it receives.

`read_only(client)` swaps the client's HttpClient for `ReadOnlyHttp`, which shares its pooled session, auth,
error mapping and retries but refuses any method other than GET before anything is sent. The probe sees
every answer (errors included, through the session's response hook), labelled with the kind of read under
way, for the checks (status, `Date`, raw body) and for `--save-samples`.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

import requests

from ..errors import ReconcilerError
from ..http import HttpClient


class WriteRefused(ReconcilerError):
    """Doctor tried to send something other than a GET: refused before it left the machine (a bug)."""


@dataclass(frozen=True)
class Answer:
    """One answer as received: what was asked (path and query) and what came back."""

    kind: str
    path: str
    query: tuple[tuple[str, str], ...]
    status: int
    content_type: str
    date: str | None
    received_at: float
    response: requests.Response = field(repr=False, compare=False)

    @property
    def body(self) -> bytes:
        """The body as the HTTP layer read it (under its size cap)."""
        try:
            return self.response.content or b""
        except (RuntimeError, requests.RequestException, OSError):
            return b""

    def server_time(self) -> float | None:
        """The server's clock from its `Date` header, as a UNIX time (None when absent or unreadable)."""
        if not self.date:
            return None
        try:
            return email.utils.parsedate_to_datetime(self.date).timestamp()
        except (TypeError, ValueError, IndexError):
            return None


@dataclass
class Probe:
    """Every answer one provider's client received, in order."""

    provider: str
    answers: list[Answer] = field(default_factory=list)
    _kind: str = "other"

    @contextmanager
    def kind(self, name: str) -> Iterator[None]:
        """Label the answers received inside the block (`account`, `schedule-listing`, …)."""
        previous, self._kind = self._kind, name
        try:
            yield
        finally:
            self._kind = previous

    def keep(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """The session's response hook. It runs once the HTTP layer has read the body (under its size cap; an
        answer over the cap is never kept)."""
        split = urlsplit(response.request.url or "")
        self.answers.append(Answer(
            kind=self._kind, path=split.path, query=tuple(parse_qsl(split.query, keep_blank_values=True)),
            status=response.status_code, content_type=response.headers.get("Content-Type", ""),
            date=response.headers.get("Date"), received_at=time.time(), response=response))

    def first(self, kind: str) -> Answer | None:
        return next((a for a in self.answers if a.kind == kind), None)

    @property
    def last(self) -> Answer | None:
        return self.answers[-1] if self.answers else None

    def skew(self, kind: str) -> float | None:
        """Server clock minus local clock (seconds) at the first answer of this kind."""
        answer = self.first(kind)
        server = answer.server_time() if answer else None
        return None if answer is None or server is None else server - answer.received_at


READ_ONLY_POST = re.compile(r"/Participants\(\d+\)/ActionableSchedules")
"""participant.rst: `POST Participants(id)/ActionableSchedules` "takes no parameters" and changes nothing: the
only POST doctor sends (`--probe-access`, assumption Q-02)."""


def read_only_post(method: str, url: str, options: dict[str, Any]) -> bool:
    """Whether this is exactly the documented read-only action: POST, that path's end, body `{}`, nothing else."""
    split = urlsplit(url)
    return (method.upper() == "POST" and READ_ONLY_POST.search(split.path) is not None
            and split.path.endswith("ActionableSchedules") and not split.query
            and options.get("json") == {} and options.get("data") is None)


class ReadOnlyHttp(HttpClient):
    """An HttpClient that only ever sends GET. Built from a client's own HttpClient, sharing its state."""

    def __init__(self, inner: HttpClient, probe: Probe) -> None:
        # No super().__init__(): this is the same client (session, auth, hooks, stats), restricted.
        self.__dict__.update(inner.__dict__)
        self._session.hooks["response"].append(probe.keep)

    def request(self, method: str, url: str, **options: Any) -> requests.Response:
        """A GET with retries (options as HttpClient.request), or the one documented read-only action
        (`READ_ONLY_POST` with an empty JSON object); anything else raises WriteRefused, unsent."""
        if read_only_post(method, url, options):
            return super().request("POST", url, **options)
        if method.upper() != "GET" or options.get("data") is not None or options.get("json") is not None:
            raise WriteRefused(f"{self.provider}: doctor reads only; refused {method.upper()} {urlsplit(url).path}")
        return super().request("GET", url, **options)

    def get_document(self, url: str, accept: str) -> requests.Response:
        """A GET with another Accept header (e.g. `$metadata` as XML). Doctor is sequential: not thread-safe."""
        previous = self._session.headers.get("Accept")
        self._session.headers["Accept"] = accept
        try:
            return self.request("GET", url)
        finally:
            if previous is None:
                self._session.headers.pop("Accept", None)
            else:
                self._session.headers["Accept"] = previous

    @property
    def user(self) -> str | None:
        """The Basic-auth user name, when the client logs in that way."""
        auth = self._session.auth
        return str(auth[0]) if isinstance(auth, tuple) else None


class HasHttp(Protocol):
    http: HttpClient


def read_only(client: HasHttp, provider: str) -> tuple[ReadOnlyHttp, Probe]:
    """Make `client` GET-only from now on; return its new HTTP layer and the probe that sees its answers."""
    probe = Probe(provider)
    http = ReadOnlyHttp(client.http, probe)
    client.http = http
    return http, probe
