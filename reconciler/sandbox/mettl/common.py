"""Pieces the Mettl emulator modules share: the error type with its envelope, and vendor date formats."""

from __future__ import annotations

import email.utils
from typing import Any

from ..wire import SandboxResponse

#: Seconds a client should wait after an E509 (rate limit) answer.
RATE_LIMIT_RETRY_AFTER = 1


class MettlError(ValueError):
    """An error the emulated API answers with the Mettl envelope `{"status":"ERROR","error":{...}}`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    def envelope(self) -> dict[str, Any]:
        """The JSON body the vendor sends for this error."""
        return {"status": "ERROR", "error": {"code": self.code, "message": self.message}}

    def response(self, retry_after: float = RATE_LIMIT_RETRY_AFTER) -> SandboxResponse:
        """HTTP 200 like the vendor, except E509 (429 with Retry-After) and E503 (503).

        assumption M-08: an error may come with HTTP 200; the envelope's `status` decides.
        """
        if self.code == "E509":
            return SandboxResponse(429, self.envelope(), {"Retry-After": str(retry_after)})
        if self.code == "E503":
            return SandboxResponse(503, self.envelope())
        if self.code == "E000":
            return SandboxResponse(500, self.envelope())
        return SandboxResponse(200, self.envelope())  # assumption M-08


def bad_request(message: str) -> MettlError:
    """An E400 (bad request / invalid parameters)."""
    return MettlError("E400", message)


def http_date(timestamp: float) -> str:
    """`Fri, 11 Feb 2022 23:05:57 GMT`, independent of the locale."""
    return email.utils.formatdate(timestamp, usegmt=True)
