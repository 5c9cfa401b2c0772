"""The signature rule on Mettl's verified vector, and timestamp handling against the emulator."""

from __future__ import annotations

import time
from urllib.parse import quote

import pytest

from reconciler.errors import AuthenticationError
from reconciler.providers.mettl.client import MettlClient
from reconciler.providers.mettl.signing import signature, string_to_sign
from reconciler.sandbox.base import SandboxServer
from reconciler.sandbox.mettl import SANDBOX_PRIVATE_KEY, SANDBOX_PUBLIC_KEY

AK = "ab12c345-6789-0123-456d-78e9f0123456"
PRIVATE = "zy98x765-4321-0987-654w-32v1u0987654"


def test_get_account_vector() -> None:
    params = {"ak": AK, "ts": "1635976200"}
    assert string_to_sign("GET", "https://api.mettl.com/v2/account", params) == (
        "GEThttps://api.mettl.com/v2/account\n" + AK + "\n1635976200")
    asgn = signature(PRIVATE, "GET", "https://api.mettl.com/v2/account", params)
    assert asgn == "v4+lYYoZTdoeFV9XSTehS1MLRpBmjTRqQqKGizlHIN8="
    assert quote(asgn, safe="") == "v4%2BlYYoZTdoeFV9XSTehS1MLRpBmjTRqQqKGizlHIN8%3D"


def test_parameters_sorted_by_name_and_asgn_excluded() -> None:
    sc = ('{"access":{"type":"ByInvitation","sendEmail":true,'
          '"candidates":{"add":[{"name":"Name","email":"name@email.com"}]}}}')
    params = {"ts": "1635976200", "sc": sc, "ak": AK, "asgn": "ignored"}
    url = "https://api.mettl.com/v2/schedules/0x0x0x0x0x/edit"
    assert string_to_sign("POST", url, params) == f"POST{url}\n{AK}\n{sc}\n1635976200"
    assert signature(PRIVATE, "POST", url, params) == "RyT43HheJXBnh2OQ1s9RCpgufJ46Y5AWWrUhfBnltNY="


def test_v1_uses_sha1() -> None:
    params = {"ak": AK, "ts": "1635976200"}
    v1 = signature(PRIVATE, "GET", "https://api.mettl.com/v1/account", params, version="v1")
    v2 = signature(PRIVATE, "GET", "https://api.mettl.com/v1/account", params, version="v2")
    assert len(v1) == 28 and len(v2) == 44  # 20-byte vs 32-byte digests, base64


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_both_versions_accepted_by_the_emulator(mettl_server: SandboxServer, version: str) -> None:
    client = MettlClient(mettl_server.url, SANDBOX_PUBLIC_KEY, SANDBOX_PRIVATE_KEY, version=version)
    assert client.account()["status"] == "SUCCESS"
    client.close()


def test_fresh_ts_per_request(mettl_server: SandboxServer) -> None:
    """The clock is read for every request, so a long run never signs with a stale ts."""
    seen: list[float] = []

    def clock() -> float:
        seen.append(time.time())
        return seen[-1]

    client = MettlClient(mettl_server.url, SANDBOX_PUBLIC_KEY, SANDBOX_PRIVATE_KEY, clock=clock)
    client.account()
    client.account()
    client.close()
    assert len(seen) == 2


def test_expired_ts_is_rejected_by_the_emulator(mettl_server: SandboxServer) -> None:
    two_days_ago = time.time() - 2 * 86400
    client = MettlClient(mettl_server.url, SANDBOX_PUBLIC_KEY, SANDBOX_PRIVATE_KEY, clock=lambda: two_days_ago)
    with pytest.raises(AuthenticationError) as caught:
        client.account()
    client.close()
    assert caught.value.code == "E422"
    assert "clock" in str(caught.value)


def test_wrong_private_key_is_a_clear_error_without_the_key(mettl_server: SandboxServer) -> None:
    client = MettlClient(mettl_server.url, SANDBOX_PUBLIC_KEY, "not-the-key-XYZ")
    with pytest.raises(AuthenticationError) as caught:
        client.account()
    client.close()
    assert caught.value.code == "E401"
    assert "not-the-key-XYZ" not in str(caught.value)
    assert "\n" not in str(caught.value)
