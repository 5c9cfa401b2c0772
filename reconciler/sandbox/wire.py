"""The wire types every emulator speaks: a request, a response, a recorded call, and the app interface.

Kept apart from the server (`base.py`) so the quirks and hostile answers, which transform responses, import
these without importing the server that applies them.
"""

from __future__ import annotations

import json
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Literal

AnsweredFault = Literal["error", "rate_limit"]  # the faults that get an answer (the others hang up)


@dataclass(frozen=True)
class SandboxRequest:
    """One request as the emulator sees it. `params` merges the query string and a form body."""

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]
    body: bytes
    base_url: str

    @property
    def params(self) -> dict[str, str]:
        return {**self.query, **self.form}

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8")) if self.body else None


@dataclass
class SandboxResponse:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    drip_interval: float = 0.0
    """Hostile delivery: send the body one byte every this many seconds."""
    filler_bytes: int = 0
    """Hostile delivery: stream this many bytes of whitespace after the body (chunked, no length)."""


@dataclass(frozen=True)
class RecordedCall:
    """What the server received; secrets (signatures, auth headers) are not recorded."""

    method: str
    path: str
    params: dict[str, str]
    json: Any
    status: int


class SandboxApp(ABC):
    """Base for an emulator. Subclasses implement handle() and the state hooks."""

    name = "sandbox"

    @abstractmethod
    def handle(self, request: SandboxRequest) -> SandboxResponse:
        """Answer one request (called under the server's lock)."""

    def is_write(self, request: SandboxRequest) -> bool:
        return request.method not in ("GET", "HEAD")

    def fault_response(self, kind: AnsweredFault, retry_after: float) -> SandboxResponse:
        """The answer to an injected fault: 503, or 429 with Retry-After. Emulators answer in their envelope."""
        if kind == "rate_limit":
            return SandboxResponse(429, {"error": "injected fault: too many requests"},
                                   {"Retry-After": str(retry_after)})
        return SandboxResponse(503, {"error": "injected fault: service unavailable"})

    @abstractmethod
    def dump_state(self) -> dict[str, Any]:
        """The whole world as JSON-able data (what the server persists)."""

    @abstractmethod
    def load_state(self, state: dict[str, Any]) -> None:
        """Replace the world with a dumped one."""


_INTERNAL: list[str] = []
_INTERNAL_LOCK = threading.Lock()


def record_internal_error(emulator: str, request: SandboxRequest, exc: BaseException) -> None:
    """An emulator bug, answered as the vendor's catch-all error: kept so a test can never pass on it as if it
    were an expected vendor error (the pytest plugin fails the test at teardown)."""
    with _INTERNAL_LOCK:
        _INTERNAL.append(f"{emulator}: {request.method} {request.path}: {type(exc).__name__}: {exc}")


def internal_errors(*, clear: bool = False) -> list[str]:
    """The emulator bugs recorded in this process (and forget them, with `clear`)."""
    with _INTERNAL_LOCK:
        found = list(_INTERNAL)
        if clear:
            _INTERNAL.clear()
        return found
