"""The exception hierarchy. Every message is safe to print: no secret ever reaches one."""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote, quote_plus

_SECRET_PATTERNS = [
    re.compile(r"(asgn=)[^&\s\"']+", re.IGNORECASE),
    re.compile(r"(\"?asgn\"?\s*[:=]\s*\"?)[^&\s\"',}]+", re.IGNORECASE),
    re.compile(r"(Authorization:\s*Basic\s+)\S+", re.IGNORECASE),
    re.compile(r"(\bBasic\s+)(?=[A-Za-z0-9+/_-]*[0-9+/=])[A-Za-z0-9+/_-]{6,}={0,2}", re.IGNORECASE),
    re.compile(r"(testNotificationBasicAuthHeader\"?\s*[:=]\s*\"?)[^\"',}&\s]+", re.IGNORECASE),
    re.compile(r"(\"password\"\s*:\s*\")[^\"]*", re.IGNORECASE),
    re.compile(r"(password=)[^&\s]+", re.IGNORECASE),
]


def _base64_forms(raw: bytes) -> set[str]:
    """The base64 text of raw at each of the three alignments it can have inside a longer encoded value
    (`Basic base64(user:password)`), standard and URL-safe alphabets; only characters raw alone decides."""
    forms: set[str] = set()
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw).decode("ascii")
        start, end = -(-8 * shift // 6), 8 * (shift + len(raw)) // 6
        middle = encoded[start:end]
        forms |= {middle, middle.translate(_URLSAFE)}
    return forms


_URLSAFE = str.maketrans("+/", "-_")


@functools.lru_cache(maxsize=256)
def _secret_pattern(secret: str, min_length: int) -> re.Pattern[str] | None:
    """One pattern for every form a secret takes in output: as written, JSON-escaped and URL-encoded (any
    case: output may lower-case it, as an email is), and base64-encoded (case kept: base64 is exact)."""
    if len(secret) < min_length:
        return None
    raw = secret.encode("utf-8")
    texts = {secret, json.dumps(secret)[1:-1], quote(secret, safe=""), quote(secret), quote_plus(secret)}
    exact = {form for form in _base64_forms(raw) if len(form) >= min_length}
    parts = [f"(?i:{re.escape(t)})" for t in sorted(texts, key=len, reverse=True)]
    parts += [re.escape(form) for form in sorted(exact, key=len, reverse=True)]
    return re.compile("|".join(parts))


def scrub(text: str, secrets: Iterable[str], min_length: int = 4) -> str:
    """Replace every secret value (of at least min_length characters) in text by `***`, whatever its case
    and whether it is written plainly, JSON-escaped, URL-encoded or base64-encoded."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        pattern = _secret_pattern(secret, min_length)
        if pattern is not None:
            text = pattern.sub("***", text)
    return text


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Remove known secret shapes and the given secret values from text."""
    text = scrub(text, secrets)
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(r"\1***", text)
    return text


def truncate(text: str, limit: int = 300) -> str:
    """Shorten a vendor body for an error message."""
    return text if len(text) <= limit else text[:limit] + f"… ({len(text) - limit} more characters)"


class ReconcilerError(Exception):
    """Base of every error the tool reports to a user as one line."""

    exit_code = 1


@dataclass(frozen=True)
class Position:
    """A place in a source file, 1-based."""

    file: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.file
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Problem:
    """One problem found in the user's configuration."""

    position: Position
    path: str
    message: str

    def __str__(self) -> str:
        where = f" {self.path}:" if self.path else ""
        return f"{self.position}:{where} {self.message}"


class ConfigError(ReconcilerError):
    """The user's configuration is invalid; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.position.file, p.position.line or 0, p.path))
        super().__init__("\n".join(str(p) for p in self.problems))


class PlanFileError(ReconcilerError):
    """A saved plan cannot be used (unreadable, tampered, or stale)."""


class StalePlanError(PlanFileError):
    """Live state moved since the plan was made: the plan changed since it was reviewed (exit code 4)."""

    exit_code = 4


class PlanChangedError(StalePlanError):
    """`apply --expect-checksum`: the fresh plan is not the reviewed one (`fresh_checksum` is its checksum)."""

    def __init__(self, message: str, fresh_checksum: str) -> None:
        super().__init__(message)
        self.fresh_checksum = fresh_checksum


class UnsafePlanError(ReconcilerError):
    """The plan breaks a safety rule; --force (or a narrower change) is needed."""

    exit_code = 3


class RenameConflictError(ReconcilerError):
    """A schedule's name and one of its previous names (or two previous names) are all live."""


class ProviderError(ReconcilerError):
    """A vendor API call failed. The message names the provider and is redacted."""

    def __init__(
        self,
        provider: str,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        body: str = "",
    ) -> None:
        self.provider = provider
        self.status = status
        self.code = code
        self.body = truncate(redact(body))
        parts = [f"{provider}:"]
        if status is not None:
            parts.append(f"HTTP {status}")
        if code:
            parts.append(f"[{code}]")
        parts.append(redact(message))
        super().__init__(" ".join(parts))


class AuthenticationError(ProviderError):
    """Credentials were refused (bad key, signature or password)."""


class NotFoundError(ProviderError):
    """The vendor has no such object."""


class BadRequestError(ProviderError):
    """The vendor refused the request as malformed."""


class TransientError(ProviderError):
    """A failure that may pass: 5xx, 429, timeouts, dropped connections on reads."""


class UnreachableError(ProviderError):
    """No connection could be made: the host does not resolve, or refuses the connection. Nothing was sent,
    so a write did not land; not retried (it does not pass in seconds)."""


class RateLimitedError(TransientError):
    """The vendor asked us to slow down."""

    def __init__(self, provider: str, message: str, *, retry_after: float | None = None, **kw: object) -> None:
        super().__init__(provider, message, **kw)  # type: ignore[arg-type]
        self.retry_after = retry_after


class AmbiguousWriteError(ProviderError):
    """A write was sent but no answer came back: it may or may not have landed. Re-read to find out."""


class ConflictError(ProviderError):
    """What a create would make exists now (made since the plan, e.g. by another apply): plan again."""


class MalformedResponseError(ProviderError):
    """The vendor answered with something we cannot read."""
