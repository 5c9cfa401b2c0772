"""The Mettl request signature (`asgn`), verified the way the vendor documents it.

String to sign = METHOD + full URL as called (no query string) + for every parameter except `asgn`, in
ascending order of name, "\\n" + its raw value. Signature = Base64(HMAC(private key, string)), SHA-1 for
`/v1/...` and SHA-256 for `/v2/...` and `/v3/...`. Deliberately independent of the client code.
"""

from __future__ import annotations

import base64
import hmac
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from .common import MettlError

#: A timestamp is valid this many seconds either side of the server's clock.
TIMESTAMP_VALIDITY = 24 * 3600

_TIMESTAMP = re.compile(r"[0-9]{1,15}")
_V1 = re.compile(r"/v1(?:/|$)")


def string_to_sign(method: str, url: str, params: Mapping[str, str]) -> str:
    """The exact text that is signed."""
    values = "".join("\n" + params[name] for name in sorted(params) if name != "asgn")
    return method.upper() + url + values


def digest_for(url: str) -> str:
    """The hash name: SHA-1 for the v1 API, SHA-256 otherwise."""
    return "sha1" if _V1.match(urlsplit(url).path) else "sha256"


def compute_signature(method: str, url: str, params: Mapping[str, str], private_key: str) -> str:
    """Base64 of the HMAC of the string to sign (not URL-encoded)."""
    mac = hmac.new(private_key.encode("utf-8"), string_to_sign(method, url, params).encode("utf-8"),
                   digest_for(url))
    return base64.b64encode(mac.digest()).decode("ascii")


def verify(
    method: str,
    url: str,
    params: Mapping[str, str],
    credentials: Mapping[str, str],
    now: float,
) -> str:
    """Check ak, ts and asgn; return the public key or raise E401 / E504 / E422."""
    public_key = params.get("ak")
    if not public_key or public_key not in credentials:
        raise MettlError("E401", "authentication failed: unknown or missing public key (ak)")
    ts = params.get("ts")
    if ts is None or not _TIMESTAMP.fullmatch(ts):
        raise MettlError("E504", "invalid timestamp (ts): expected UNIX seconds")
    given = params.get("asgn")
    if not given:
        raise MettlError("E401", "authentication failed: missing signature (asgn)")
    expected = compute_signature(method, url, params, credentials[public_key])
    if not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        raise MettlError("E401", "authentication failed: signature mismatch")
    if abs(now - int(ts)) > TIMESTAMP_VALIDITY:  # assumption M-09: ts is checked against the server's clock
        raise MettlError("E422", "signature expired: ts is more than 24 hours away from the server time")
    return public_key
