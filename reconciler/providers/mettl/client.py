"""The Mettl REST client: signed requests, envelope errors, paging. No knowledge of the models."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import quote

import orjson
import requests

from ...errors import (
    AuthenticationError,
    BadRequestError,
    MalformedResponseError,
    NotFoundError,
    ProviderError,
    RateLimitedError,
    TransientError,
)
from ...http import HttpClient, VendorError, json_body, not_json
from ...models import MettlProviderConfig
from .answers import ListedSchedule, LiveSchedule, checked
from .signing import signature

PROVIDER = "mettl"
PAGE_LIMIT = 100
#: The request header the Create Schedule page gives. Without the charset a servlet reads the body as
#: ISO-8859-1, so a UTF-8 name such as "Zoë" would no longer match the signature (E401). assumption M-16
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}

_AUTH_CODES = {"E401", "E403", "E422", "E504"}
_TRANSIENT_CODES = {"E408", "E503"}

DEFAULTS = MettlProviderConfig()
"""The settings model's defaults: every Mettl default (workers, timeout, batch size, sourceApp) is read from it."""


_KINDS: dict[str, type[ProviderError]] = {
    **dict.fromkeys(_AUTH_CODES, AuthenticationError), "E404": NotFoundError, "E509": RateLimitedError,
    **dict.fromkeys(_TRANSIENT_CODES, TransientError), "E400": BadRequestError, "E405": BadRequestError,
}


def envelope_error(response: requests.Response) -> VendorError | None:
    """Mettl answers errors as {"status":"ERROR","error":{...}}, often with HTTP 200 (assumption M-08)."""
    if response.status_code < 400 and b'"ERROR"' not in response.content:
        return None  # no error envelope in it: `MettlClient.answer` parses the body, once
    try:
        body = json_body(response)
    except ValueError:
        if response.status_code < 400:
            raise not_json(PROVIDER, response) from None
        return None
    if not isinstance(body, dict) or body.get("status") != "ERROR":
        return None
    error = body.get("error")
    error = error if isinstance(error, dict) else {}
    code = str(error.get("code") or "E000")
    message = str(error.get("message") or "unspecified error")
    if code in ("E422", "E504"):
        message += " (check the API keys and the system clock)"
    return VendorError(message, code, _KINDS.get(code, ProviderError))


MAX_PAGES = 5_000  # a listing longer than this is a server that never stops paging


class MettlClient:
    """Signed calls to one Mettl account. Thread-safe: reads may run concurrently."""

    def __init__(
        self,
        base_url: str,
        public_key: str,
        private_key: str,
        *,
        version: str = "v2",
        timeout: float = DEFAULTS.timeout,
        pool_size: int = 16,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.version = version
        self._public_key = public_key
        self._private_key = private_key
        self._clock = clock
        self.http = HttpClient(PROVIDER, timeout=timeout, pool_size=pool_size, error_extractor=envelope_error,
                               base_url=self.base_url, echoed_params=("asgn",))

    def close(self) -> None:
        self.http.close()

    def url(self, path: str) -> str:
        return f"{self.base_url}/{self.version}{path}"

    def _signer(self, method: str, url: str, params: Mapping[str, str]) -> Callable[[], dict[str, str]]:
        def sign() -> dict[str, str]:
            auth = {"ak": self._public_key, "ts": str(int(self._clock()))}
            asgn = signature(self._private_key, method, url, {**params, **auth}, self.version)
            return {**auth, "asgn": asgn}

        return sign

    def call(self, method: str, path: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        """One signed call. GET parameters go in the query, POST parameters in the form body."""
        return self.answer(method, path, params)[0]

    def answer(self, method: str, path: str, params: Mapping[str, str] | None = None
               ) -> tuple[dict[str, Any], bytes]:
        """One signed call: the SUCCESS body and the bytes it came as."""
        url = self.url(path)
        params = dict(params or {})
        sign = self._signer(method, url, params)
        if method.upper() == "GET":
            response = self.http.request("GET", url, params=params, sign=sign)
        else:
            response = self.http.request(method, url, data=params, sign=sign, headers=FORM_HEADERS)  # assumption M-15
        try:
            body = json_body(response)
        except ValueError:
            raise not_json(PROVIDER, response) from None
        if not isinstance(body, dict) or body.get("status") != "SUCCESS":
            raise MalformedResponseError(PROVIDER, f"unexpected answer to {method} {path}", body=response.text)
        return body, response.content

    def _paged(self, path: str, key: str, *, limit: bool = True) -> Iterator[dict[str, Any]]:
        """Every item of a paged list. Each page is re-signed from limit/offset rather than following next
        (assumption M-01); without `limit` the server picks the page size and `offset` moves by what came."""
        offset = 0
        previous: object = None
        for _ in range(MAX_PAGES):
            paging = {"limit": str(PAGE_LIMIT), "offset": str(offset)} if limit else {"offset": str(offset)}
            body = self.call("GET", path, paging)
            items = body.get(key)
            if not isinstance(items, list):
                raise MalformedResponseError(PROVIDER, f"no '{key}' list in the answer to GET {path}")
            if offset and items and items[0] == previous:  # assumption M-17: offset advances
                raise MalformedResponseError(PROVIDER, f"GET {path} at offset {offset} repeated the previous page "
                                             "(offset did not advance); stopped")
            yield from items
            links = body.get("paging") or {}
            if not links.get("next") or not items:
                return
            offset += len(items)
            previous = items[0]
        raise MalformedResponseError(PROVIDER, f"GET {path} still had a next page after {MAX_PAGES} pages; stopped")

    # ------------------------------------------------------------------ endpoints

    def account(self) -> dict[str, Any]:
        return self.call("GET", "/account")

    def assessment_schedules(self, assessment_id: str) -> Iterator[dict[str, Any]]:
        path = f"/assessments/{quote(str(assessment_id), safe='')}/schedules"
        for item in self._paged(path, "schedules"):  # assumption M-17: limit/offset, as the account's listings
            yield checked(ListedSchedule, item, f"GET /{self.version}{path}")

    def schedule(self, access_key: str) -> dict[str, Any]:
        return self.schedule_answer(access_key)[0]

    def schedule_answer(self, access_key: str) -> tuple[dict[str, Any], bytes]:
        """One schedule in full, and the bytes of the answer (what its fingerprint hashes)."""
        path = f"/schedules/{quote(access_key, safe='')}"
        body, content = self.answer("GET", path)
        return checked(LiveSchedule, _schedule_of(body, "schedule"), f"GET /{self.version}{path}"), content

    def schedule_candidates(self, access_key: str) -> Iterator[dict[str, Any]]:
        """Per-candidate status rows of one schedule, paged by `offset` only: the v2 page documents no
        `limit` (assumption M-10)."""
        return self._paged(f"/schedules/{quote(access_key, safe='')}/candidates", "candidates", limit=False)

    def create_schedule(self, assessment_id: str, sc: Mapping[str, Any]) -> dict[str, Any]:
        path = f"/assessments/{quote(str(assessment_id), safe='')}/schedules"
        body = self.call("POST", path, {"sc": minify(sc)})
        return checked(ListedSchedule, _schedule_of(body, "createdSchedule", "schedule"), f"POST /{self.version}{path}")

    def edit_schedule(self, access_key: str, sc: Mapping[str, Any]) -> dict[str, Any]:
        path = f"/schedules/{quote(access_key, safe='')}/edit"
        body = self.call("POST", path, {"sc": minify(sc)})
        return checked(ListedSchedule, _schedule_of(body, "schedule"), f"POST /{self.version}{path}")


def minify(value: Any) -> str:
    """Minified JSON, as Mettl wants `sc`: orjson's bytes (what `json.dumps(value, separators=(",", ":"),
    ensure_ascii=False)` writes, ~10 × faster); json's own for what orjson refuses (non-str keys, huge ints)."""
    try:
        return orjson.dumps(value).decode("utf-8")
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _schedule_of(body: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    for key in keys:
        value = body.get(key)
        if isinstance(value, dict):
            return value
    raise MalformedResponseError(PROVIDER, f"answer has no {' or '.join(keys)} object")
