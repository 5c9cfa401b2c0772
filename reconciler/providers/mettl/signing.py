"""Mettl request signing (`asgn`), exactly as the Mettl API documents it."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

_ALGORITHMS = {"v1": hashlib.sha1, "v2": hashlib.sha256, "v3": hashlib.sha256}


def string_to_sign(method: str, url: str, params: Mapping[str, str]) -> str:
    """METHOD + URL (no query) + "\\n" + each parameter value except asgn, sorted by name."""
    values = [params[name] for name in sorted(params) if name != "asgn"]
    return method.upper() + url.split("?", 1)[0] + "".join("\n" + value for value in values)


def signature(private_key: str, method: str, url: str, params: Mapping[str, str], version: str = "v2") -> str:
    """Base64 of the HMAC (SHA-1 for v1, SHA-256 for v2/v3); URL-encoding is left to the HTTP layer."""
    digest = hmac.new(
        private_key.encode("utf-8"),
        string_to_sign(method, url, params).encode("utf-8"),
        _ALGORITHMS[version],
    ).digest()
    return base64.b64encode(digest).decode("ascii")
